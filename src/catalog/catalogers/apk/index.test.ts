import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { apk, apkChecksum, parseApkInstalled } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const upstream = (p: string): string => here(`../../../../testdata/upstream/package-dbs/${p}`);

describe('apk conformance (Trivy installed DB)', () => {
  it('exactly the 15 packages with name, version, origin, licences and checksum; the entry without a version is skipped', async () => {
    const expected = JSON.parse(await readFile(upstream('alpine-trivy/expected.json'), 'utf8')) as { packages: Array<{ Name: string; Version: string; SrcName: string; SrcVersion: string; Licenses?: string[]; Digest?: string; Arch?: string }> };
    const got = parseApkInstalled('lib/apk/db/installed', await readFile(upstream('alpine-trivy/installed')));
    const want = expected.packages.map((p) => [p.Name, p.Version, p.SrcName, p.SrcVersion, (p.Licenses ?? []).join(','), p.Digest ?? '', p.Arch ?? ''].join(' ')).sort();
    const have = got.packages.map((p) => [p.name, p.version, p.source?.name, p.source?.version, (p.licenses ?? []).join(','), p.checksum ?? '', p.arch ?? ''].join(' ')).sort();
    expect(have).toHaveLength(15);
    expect(have).toEqual(want);
    expect(got.issues?.map((i) => i.message)).toEqual([expect.stringMatching(/^Package "invalidPackageWithoutAVersion" at lib\/apk\/db\/installed:\d+ has no V: \(version\); skipped$/)]);
  });
});

describe('apk cataloger', () => {
  it('an Alpine rootfs: origin as source, provides, checksum, purls with arch and distro', async () => {
    const got = await catalogDirectory(here('testdata/alpine'), [apk]);
    expect(got.os).toMatchObject({ id: 'alpine', release: '3.18.4' });
    expect(got.issues).toEqual([]);
    expect(got.packages[0]).toEqual({
      ecosystem: 'Alpine', name: 'libcrypto3', version: '3.1.4-r1', foundBy: 'apk', arch: 'x86_64', licenses: ['Apache-2.0'],
      source: { name: 'openssl', version: '3.1.4-r1' }, distro: { id: 'alpine', release: '3.18.4' },
      purl: 'pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&distro=alpine-3.18.4', locations: [{ path: '/lib/apk/db/installed' }],
    });
    expect(got.packages[1]).toMatchObject({ name: 'musl-utils', source: { name: 'musl' }, licenses: ['MIT', 'BSD-3-Clause', 'GPL-2.0-or-later'] });
    const parsed = parseApkInstalled('lib/apk/db/installed', await readFile(here('testdata/alpine/lib/apk/db/installed')));
    expect(parsed.packages[1]?.provides).toEqual(['cmd:getconf=1.2.4-r2', 'cmd:getent=1.2.4-r2']);
    expect(parsed.packages[0]?.checksum).toBe(apkChecksum('Q1x2Nsg8JbUhUJaXHQr5Kz8ae0PFE='));
    expect(parsed.packages[0]?.checksum).toMatch(/^sha1:[0-9a-f]{40}$/);
  });

  it('a corrupt DB (entry without version, garbage line, missing blank line, entry without name): the others plus issues', async () => {
    const got = parseApkInstalled('lib/apk/db/installed', await readFile(here('testdata/corrupt/lib/apk/db/installed')));
    expect(got.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['ok@1.0-r0', 'missing-blank-line@2.0-r0']);
    expect(got.issues?.map((i) => i.message)).toEqual([
      'Package "no-version" at lib/apk/db/installed:1 has no V: (version); skipped',
      'Package "ok" at lib/apk/db/installed:4: 1 line(s) are not "X:value"; kept',
      'Entry at lib/apk/db/installed:10 has no P: (name); skipped',
    ]);
  });

  it('empty and binary files', () => {
    expect(parseApkInstalled('lib/apk/db/installed', Buffer.alloc(0))).toEqual({ packages: [], issues: [] });
    const garbage = parseApkInstalled('lib/apk/db/installed', Buffer.from([0, 1, 2, 0xff, 0x7f, 0x45, 0x4c, 0x46]));
    expect(garbage.packages).toEqual([]);
    expect(garbage.issues?.[0]?.message).toBe('"lib/apk/db/installed" holds binary data (NUL bytes); packages that still parse are kept');
  });
});
