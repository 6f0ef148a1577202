import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { dpkg, parseDpkgStatus } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const upstream = (p: string): string => here(`../../../../testdata/upstream/package-dbs/${p}`);

interface TrivyPkg { Name: string; Version: string; Epoch?: number; Release?: string; SrcName?: string; SrcVersion?: string; SrcEpoch?: number; SrcRelease?: string }
const full = (epoch: number | undefined, version: string | undefined, release: string | undefined): string => `${epoch !== undefined && epoch > 0 ? `${epoch}:` : ''}${version ?? ''}${release !== undefined && release !== '' ? `-${release}` : ''}`;

describe('dpkg conformance (upstream package databases)', () => {
  it('Ubuntu 18.04 status (Trivy): exactly the 90 installed packages, with source, source version and epoch', async () => {
    const expected = JSON.parse(await readFile(upstream('debian-trivy/expected.json'), 'utf8')) as { packages: TrivyPkg[] };
    const got = parseDpkgStatus('var/lib/dpkg/status', await readFile(upstream('debian-trivy/status')));
    const want = expected.packages.map((p) => [p.Name, full(p.Epoch, p.Version, p.Release), p.SrcName ?? p.Name, full(p.SrcEpoch, p.SrcVersion, p.SrcRelease), p.Epoch ?? 0].join(' ')).sort();
    const have = got.packages.map((p) => [p.name, p.version, p.source?.name, p.source?.version, p.epoch ?? 0].join(' ')).sort();
    expect(have).toHaveLength(90);
    expect(have).toEqual(want);
    expect(got.issues).toEqual([]);
  });

  it('distroless status.d (Syft): the same packages and sources; the stanza without a version is skipped with an issue (documented)', async () => {
    const expected = JSON.parse(await readFile(upstream('debian-syft/expected.json'), 'utf8')) as { expected: Record<string, Array<{ Package: string; Version?: string; Source?: string }>> };
    for (const file of ['status.d-single', 'status.d-multiple']) {
      const got = parseDpkgStatus(`var/lib/dpkg/status.d/${file}`, await readFile(upstream(`debian-syft/${file}`)));
      const want = (expected.expected[file] ?? []).filter((p) => p.Version !== undefined).map((p) => `${p.Package}@${p.Version ?? ''} ${p.Source ?? p.Package}`).sort();
      expect(got.packages.map((p) => `${p.name}@${p.version} ${p.source?.name ?? ''}`).sort()).toEqual(want);
      const skipped = (expected.expected[file] ?? []).filter((p) => p.Version === undefined).map((p) => `Package "${p.Package}" at var/lib/dpkg/status.d/${file}:3 has no Version field (truncated or damaged stanza); skipped`);
      // Syft drops the empty "Package:" stanza silently; we say so.
      const empty = file === 'status.d-multiple' ? [`Stanza at var/lib/dpkg/status.d/${file}:1 has no Package field; skipped`] : [];
      expect(got.issues?.map((i) => i.message)).toEqual([...empty, ...skipped]);
    }
  });
});

describe('dpkg cataloger', () => {
  it('a Debian rootfs: installed packages only, source from "Source: name (version)", epochs, purls with arch and distro', async () => {
    const got = await catalogDirectory(here('testdata/debian'), [dpkg]);
    expect(got.os).toMatchObject({ id: 'debian', release: '12', codename: 'bookworm' });
    expect(got.issues).toEqual([]);
    expect(got.packages).toEqual([
      { ecosystem: 'Debian', name: 'libssl3', version: '3.0.11-1~deb12u2', foundBy: 'dpkg', arch: 'amd64', locations: [{ path: '/var/lib/dpkg/status' }], distro: { id: 'debian', release: '12', codename: 'bookworm' }, source: { name: 'openssl', version: '3.0.11-1~deb12u2' }, purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12' },
      expect.objectContaining({ name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: { name: 'zlib', version: '1:1.2.13.dfsg-1' }, purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12' }),
      expect.objectContaining({ name: 'bash', version: '5.2.15-2+b2', source: { name: 'bash', version: '5.2.15-2' } }),
    ]);
  });

  it('distroless status.d: one file per package, no Status field needed, md5sums ignored', async () => {
    const got = await catalogDirectory(here('testdata/distroless'), [dpkg]);
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => [p.name, p.version, p.source?.name, p.source?.version, p.locations?.[0]?.path, p.distro?.release])).toEqual([
      ['base-files', '12.4+deb12u5', 'base-files', '12.4+deb12u5', '/var/lib/dpkg/status.d/base', '12'],
      ['libssl3', '3.0.11-1~deb12u2+b1', 'openssl', '3.0.11-1~deb12u2', '/var/lib/dpkg/status.d/libssl3', '12'],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  });

  it('a corrupt status file (truncated stanza, duplicate field, binary garbage): the other packages plus one issue each', async () => {
    const got = parseDpkgStatus('var/lib/dpkg/status', await readFile(here('testdata/corrupt/var/lib/dpkg/status')));
    expect(got.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['good-one@1.0-1', 'dup-harmless@3.0-1', 'garbage@4.0-1', 'good-two@2:5.0-3']);
    expect(got.packages.at(-1)?.epoch).toBe(2);
    expect(got.issues?.map((i) => i.message)).toEqual([
      '"var/lib/dpkg/status" holds binary data (NUL bytes); stanzas that still parse are kept, the rest skipped',
      'Package "truncated" at var/lib/dpkg/status:6 has no Version field (truncated or damaged stanza); skipped',
      'Package "dup-version" at var/lib/dpkg/status:10 has duplicate field Version: which value is right is unknowable; skipped',
      'Package "dup-harmless" at var/lib/dpkg/status:15: duplicate field Section; kept (name, version and status are intact)',
      'Package "garbage" at var/lib/dpkg/status:21: line 24 is not "Field: value"; kept (name, version and status are intact)',
      'Stanza at var/lib/dpkg/status:26 has no Package field; skipped',
    ]);
  });

  it('an empty status file: no packages, no issues', () => {
    expect(parseDpkgStatus('var/lib/dpkg/status', Buffer.alloc(0))).toEqual({ packages: [], issues: [] });
  });
});
