import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { catalogDirectory } from '../../directory.js';
import { parseHeaderBlob } from './header.js';
import { parseRpm, parseSourceRpm, rpm } from './index.js';

const run = promisify(execFile);
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const upstream = (p: string): string => here(`../../../../testdata/upstream/package-dbs/${p}`);

interface Expected { name: string; version: string; epoch: number | null; arch: string; sourceRpm: string; vendor: string; license?: string }
const row = (p: Expected): string => [p.name, p.version, p.epoch ?? 0, p.arch, parseSourceRpm(p.sourceRpm)?.name ?? '', p.vendor].join(' ');

describe('rpm conformance (Syft)', () => {
  it('Azure Linux container-manifest-2: exactly the expected name, version, epoch, arch, source and vendor', async () => {
    const expected = JSON.parse(await readFile(upstream('rpm-syft/expected.json'), 'utf8')) as Record<string, { packages: Expected[] }>;
    const got = parseRpm('var/lib/rpmmanifest/container-manifest-2', await readFile(upstream('rpm-syft/container-manifest-2')));
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => [p.name, p.version, p.epoch ?? 0, p.arch, p.source?.name, p.vendor ?? ''].join(' '))).toEqual((expected['container-manifest-2']?.packages ?? []).map(row));
    expect(got.packages.find((p) => p.name === 'vim')).toMatchObject({ version: '2:9.0-1.cm2', epoch: 2, source: { name: 'vim', version: '2:9.0-1.cm2' } });
  });

  it('Berkeley DB Packages: the header blob of "dive" read natively', async () => {
    const expected = JSON.parse(await readFile(upstream('rpm-syft/expected.json'), 'utf8')) as Record<string, { packages: Expected[] }>;
    const got = parseRpm('var/lib/rpm/Packages', await readFile(upstream('rpm-syft/Packages')));
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => [p.name, p.version, p.epoch ?? 0, p.arch, p.source?.name, p.vendor ?? ''].join(' '))).toEqual((expected.Packages?.packages ?? []).map(row));
    expect(got.packages[0]).toMatchObject({ licenses: ['MIT'], qualifiers: { upstream: 'dive-0.9.2-1.src.rpm' } });
  });
});

describe('rpm cataloger', () => {
  it('a Mariner rootfs: Mariner 2.0 packages with purls carrying arch, distro and upstream', async () => {
    const got = await catalogDirectory(here('testdata/mariner'), [rpm]);
    expect(got.issues).toEqual([]);
    expect(got.packages[3]).toEqual({
      ecosystem: 'Mariner', name: 'openssl-libs', version: '1.1.1k-15.cm2', foundBy: 'rpm', arch: 'x86_64',
      distro: { id: 'mariner', release: '2.0' }, source: { name: 'openssl', version: '1.1.1k-15.cm2' },
      purl: 'pkg:rpm/mariner/openssl-libs@1.1.1k-15.cm2?arch=x86_64&distro=mariner-2.0&upstream=openssl-1.1.1k-15.cm2.src.rpm',
      locations: [{ path: '/var/lib/rpmmanifest/container-manifest-2' }],
    });
  });

  it('a corrupt manifest: the good lines plus one issue per bad line', async () => {
    const got = parseRpm('var/lib/rpmmanifest/container-manifest-2', await readFile(here('testdata/corrupt/var/lib/rpmmanifest/container-manifest-2')));
    expect(got.packages.map((p) => p.name)).toEqual(['mariner-release', 'filesystem', 'glibc']);
    expect(got.issues?.map((i) => i.message)).toEqual([
      '"var/lib/rpmmanifest/container-manifest-2" line 3 has 1 tab-separated columns; expected 10 with version-release in the second; skipped',
      '"var/lib/rpmmanifest/container-manifest-2" line 4 has 10 tab-separated columns and version ""; expected 10 with version-release in the second; skipped',
    ]);
  });

  it('bad databases: empty, not Berkeley DB, truncated Berkeley DB, garbage SQLite, damaged header blob', async () => {
    expect(parseRpm('var/lib/rpm/Packages', Buffer.alloc(0)).issues?.[0]?.message).toBe('"var/lib/rpm/Packages" is empty; no packages read from it');
    expect(parseRpm('var/lib/rpm/Packages', Buffer.alloc(4096, 7)).issues?.[0]?.message).toBe('"var/lib/rpm/Packages" is not a Berkeley DB hash database; no packages read from it');
    const real = await readFile(upstream('rpm-syft/Packages'));
    const cut = parseRpm('var/lib/rpm/Packages', real.subarray(0, 4096 * 2));
    expect(cut.packages).toEqual([]);
    expect(cut.issues?.map((i) => i.message)).toEqual(['"var/lib/rpm/Packages": the file is truncated: it holds 2 of its 4 pages, packages on the missing pages are lost; the other packages are kept']);
    expect(parseRpm('var/lib/rpm/rpmdb.sqlite', Buffer.from('SQLite format 3\u0000garbage')).issues?.[0]?.message).toMatch(/^"var\/lib\/rpm\/rpmdb.sqlite" is not a readable rpm SQLite database \(.+\); no packages read from it$/);
    expect(() => parseHeaderBlob(Buffer.from([0, 0, 0, 9, 0, 0, 0, 100]))).toThrow('header claims 9 entries and 100 data bytes, more than its 8 bytes');
    expect(parseSourceRpm('openssl-3.0.7-16.el9.src.rpm')).toEqual({ name: 'openssl', version: '3.0.7-16.el9' });
    expect(parseSourceRpm('(none)')).toBeUndefined();
  });

  const rpmMissing = requireComponent('rpm', ['rpm', 'rpmbuild']);
  describe.skipIf(rpmMissing !== undefined)('rpmdb.sqlite built by the real rpm (rpmbuild + rpm -i --justdb)', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rw-rpm-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads every package rpm -qa lists, with epoch, release, source RPM, vendor and licence', async () => {
      const specs = [
        { name: 'rwtest', version: '1.2.3', release: '4.el9', epoch: 2, license: 'MIT', vendor: 'runwarden' },
        { name: 'rwother', version: '0.1', release: '1', epoch: undefined, license: 'GPLv2+', vendor: undefined },
      ];
      const db = join(dir, 'var/lib/rpm');
      await mkdir(db, { recursive: true });
      const define = ['--define', '_db_backend sqlite'];
      await run('rpm', ['--initdb', '--dbpath', db, ...define]);
      for (const s of specs) {
        const spec = join(dir, `${s.name}.spec`);
        await writeFile(spec, [`Name: ${s.name}`, `Version: ${s.version}`, `Release: ${s.release}`, s.epoch === undefined ? '' : `Epoch: ${s.epoch}`, 'Summary: test', `License: ${s.license}`, s.vendor === undefined ? '' : `Vendor: ${s.vendor}`, 'BuildArch: noarch', '%description', 'test', '%files', ''].join('\n'));
        await run('rpmbuild', ['-bb', '--define', `_topdir ${join(dir, 'top')}`, spec]);
        await run('rpm', ['-i', '--justdb', '--nodeps', '--noscripts', '--ignoreos', '--dbpath', db, ...define, join(dir, 'top/RPMS/noarch', `${s.name}-${s.version}-${s.release}.noarch.rpm`)]);
      }
      const { stdout } = await run('rpm', ['-qa', '--dbpath', db, ...define, '--qf', '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{SOURCERPM} %{VENDOR} %{LICENSE}\\n']);
      const got = parseRpm('var/lib/rpm/rpmdb.sqlite', await readFile(join(db, 'rpmdb.sqlite')));
      expect(got.issues).toEqual([]);
      const ours = got.packages.map((p) => `${p.name} ${p.version} ${String(p.qualifiers?.upstream)} ${p.vendor ?? '(none)'} ${p.licenses?.join(' ') ?? ''}`).sort();
      expect(ours).toEqual(stdout.trim().split('\n').map((l) => l.replace('GPLv2+', 'GPL-2.0-or-later')).sort());
      expect(got.packages.find((p) => p.name === 'rwtest')).toMatchObject({ version: '2:1.2.3-4.el9', epoch: 2, source: { name: 'rwtest', version: '2:1.2.3-4.el9' }, vendor: 'runwarden', arch: 'noarch' });
    });
  });
});
