import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { parsePythonMetadata, pep503, python } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const upstream = (p: string): string => here(`../../../../testdata/upstream/package-dbs/${p}`);

describe('python conformance (Syft wheel and egg metadata)', () => {
  it('the same name and version for both files; names PEP 503-normalised (documented: Syft keeps "Pygments")', async () => {
    const expected = JSON.parse(await readFile(upstream('python-syft/expected.json'), 'utf8')) as { cases: Array<{ file: string; name: string; version: string; license: string }> };
    for (const c of expected.cases) {
      const got = parsePythonMetadata(c.file, await readFile(upstream(`python-syft/${c.file}`)));
      expect(got.packages.map((p) => [p.name, p.version, p.ecosystem])).toEqual([[pep503(c.name), c.version, 'PyPI']]);
      expect(got.issues).toEqual([]);
    }
  });
});

describe('python cataloger', () => {
  it('dist-info and egg-info in a rootfs: normalised names, licences, purls; a METADATA without Name is an issue', async () => {
    const got = await catalogDirectory(here('testdata/site'), [python]);
    expect(got.packages.map((p) => [p.name, p.version, p.purl, p.licenses, p.locations?.[0]?.path]).sort()).toEqual([
      ['jinja2', '3.1.2', 'pkg:pypi/jinja2@3.1.2', ['BSD-3-Clause'], '/usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info/METADATA'],
      ['pyyaml', '6.0.1', 'pkg:pypi/pyyaml@6.0.1', ['MIT'], '/usr/lib/python3/dist-packages/PyYAML-6.0.1.egg-info/PKG-INFO'],
    ]);
    expect(got.issues.map((i) => `${i.location ?? ''}: ${i.message}`)).toEqual([
      'opt/app/lib/python3.11/site-packages/broken.dist-info/METADATA: "opt/app/lib/python3.11/site-packages/broken.dist-info/METADATA" has no Name; skipped',
    ]);
  });

  it('PEP 503 normalisation', () => {
    expect(['Friendly-Bard', 'FRIENDLY-BARD', 'friendly.bard', 'friendly_bard', 'friendly--bard', 'FrIeNdLy-._.-bArD'].map(pep503)).toEqual(Array(6).fill('friendly-bard'));
  });

  it('empty, binary and header-only-broken files are issues, never packages', () => {
    expect(parsePythonMetadata('x.dist-info/METADATA', Buffer.alloc(0)).issues?.[0]?.message).toBe('"x.dist-info/METADATA" has no Name; skipped');
    expect(parsePythonMetadata('x.dist-info/METADATA', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1])).issues?.[0]?.message).toBe('"x.dist-info/METADATA" holds binary data, not core metadata; skipped');
    expect(parsePythonMetadata('x.dist-info/METADATA', Buffer.from('Name: ../../etc\nVersion: 1\n')).issues?.[0]?.message).toBe('"x.dist-info/METADATA" has an invalid Name "../../etc"; skipped');
  });

  it('a 100 MB METADATA is not read: an issue with its path, the other packages kept', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rw-python-'));
    try {
      const dir = join(root, 'usr/lib/python3/site-packages');
      await mkdir(join(dir, 'huge-1.0.dist-info'), { recursive: true });
      await mkdir(join(dir, 'small-1.0.dist-info'), { recursive: true });
      await writeFile(join(dir, 'huge-1.0.dist-info/METADATA'), 'Name: huge\nVersion: 1.0\n\n');
      await truncate(join(dir, 'huge-1.0.dist-info/METADATA'), 100 * 1024 * 1024);
      await writeFile(join(dir, 'small-1.0.dist-info/METADATA'), 'Name: small\nVersion: 1.0\n');
      const got = await catalogDirectory(root, [python]);
      expect(got.packages.map((p) => p.name)).toEqual(['small']);
      expect(got.issues).toEqual([{ code: 'analysis-file-too-large', message: `"usr/lib/python3/site-packages/huge-1.0.dist-info/METADATA" is 104857600 bytes, more than the ${python.maxBytes} cataloger python reads; not analysed`, location: 'usr/lib/python3/site-packages/huge-1.0.dist-info/METADATA' }]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
