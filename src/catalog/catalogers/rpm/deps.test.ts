import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../../test/components.js';
import { linkRecords } from '../../links.js';
import { parseRpm, requirementAlternatives, rpm } from './index.js';

const run = promisify(execFile);
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const upstream = (p: string): string => here(`../../../../testdata/upstream/package-dbs/${p}`);

describe('rpm dependencies', () => {
  it('rich dependencies: only `or` alternatives are followed', () => {
    expect(requirementAlternatives('glibc')).toEqual(['glibc']);
    expect(requirementAlternatives('(glibc-langpack-en or glibc-all-langpacks)')).toEqual(['glibc-langpack-en', 'glibc-all-langpacks']);
    expect(requirementAlternatives('(foo >= 1.0 or bar)')).toEqual(['foo', 'bar']);
    expect(requirementAlternatives('(foo if bar)')).toBeUndefined();
    expect(requirementAlternatives('((a or b) and c)')).toBeUndefined();
  });

  it('Berkeley DB Packages (Syft data): the requirements of "dive", rpmlib() features left out', async () => {
    const got = parseRpm('var/lib/rpm/Packages', await readFile(upstream('rpm-syft/Packages')));
    expect(got.issues).toEqual([]);
    const dive = got.packages.find((p) => p.name === 'dive');
    expect(dive?.dependsOn).toBeDefined();
    expect(dive?.dependsOn?.some((d) => d.startsWith('rpmlib('))).toBe(false);
  });

  const rpmMissing = requireComponent('rpm', ['rpm', 'rpmbuild']);
  describe.skipIf(rpmMissing !== undefined)('rpmdb.sqlite built by the real rpm', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rw-rpm-deps-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('Requires resolved through names, Provides and the file list; rich `or` alternatives; rpmlib() skipped; missing ones kept unresolved; cycles and self-requirements', async () => {
      const specs: Array<{ name: string; lines: string[]; file?: string }> = [
        { name: 'rwbase', lines: ['Provides: rw-virtual = 1.0'], file: '/usr/bin/rwtool' },
        { name: 'rwlib', lines: ['Requires: rwbase'] },
        { name: 'rwapp', lines: ['Requires: rw-virtual', 'Requires: /usr/bin/rwtool', 'Requires: rwmissing >= 1', 'Requires: (rwnone or rwlib)', 'Requires: (rwlib if rwbase)', 'Requires: rwapp', 'Requires: /usr/bin/nowhere'] },
        { name: 'rwcyc1', lines: ['Requires: rwcyc2'] },
        { name: 'rwcyc2', lines: ['Requires: rwcyc1'] },
      ];
      const db = join(dir, 'var/lib/rpm');
      await mkdir(db, { recursive: true });
      const define = ['--define', '_db_backend sqlite'];
      await run('rpm', ['--initdb', '--dbpath', db, ...define]);
      for (const s of specs) {
        const spec = join(dir, `${s.name}.spec`);
        await writeFile(spec, [
          `Name: ${s.name}`, 'Version: 1.0', 'Release: 1', 'Summary: test', 'License: MIT', 'BuildArch: noarch', ...s.lines,
          '%description', 'test',
          '%install', s.file === undefined ? '' : `mkdir -p %{buildroot}$(dirname ${s.file}) && echo data > %{buildroot}${s.file}`,
          '%files', s.file ?? '', '',
        ].join('\n'));
        await run('rpmbuild', ['-bb', '--define', `_topdir ${join(dir, 'top')}`, spec]);
        await run('rpm', ['-i', '--justdb', '--nodeps', '--noscripts', '--ignoreos', '--dbpath', db, ...define, join(dir, 'top/RPMS/noarch', `${s.name}-1.0-1.noarch.rpm`)]);
      }
      const { stdout } = await run('rpm', ['-qR', '--dbpath', db, ...define, 'rwapp']);
      expect(stdout).toContain('rpmlib(');
      const got = parseRpm('var/lib/rpm/rpmdb.sqlite', await readFile(join(db, 'rpmdb.sqlite')));
      expect(got.issues).toEqual([]);
      const links = linkRecords(rpm.link ?? (() => () => []), got.packages.map((record) => ({ record, path: 'var/lib/rpm/rpmdb.sqlite' })));
      const name = (i: number): string => got.packages[i]?.name ?? '?';
      expect(Object.fromEntries(links.map((l) => [name(l.from), [[...new Set(l.to.filter((t) => t !== l.from).map(name))].sort(), l.unresolved.sort()]]))).toEqual({
        rwbase: [[], []],
        rwlib: [['rwbase'], []],
        rwapp: [['rwbase', 'rwlib'], ['/usr/bin/nowhere', 'rwmissing']],
        rwcyc1: [['rwcyc2'], []],
        rwcyc2: [['rwcyc1'], []],
      });
    });
  });
});
