import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCES, detectSource, getSource } from './registry.js';
import { SOURCE_IDS } from './store/index.js';

const DIR = join(import.meta.dirname, 'sources');

describe('vulnerability source registry', () => {
  const folders = readdirSync(DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

  it('lists every source folder once, with id = folder name, in SOURCE_IDS', () => {
    expect(SOURCES.map((s) => s.id).sort()).toEqual(folders);
    expect([...SOURCE_IDS].sort()).toEqual(folders);
  });

  it.each(folders)('%s has an index, a readme, tests and testdata', (folder) => {
    expect(existsSync(join(DIR, folder, 'index.ts'))).toBe(true);
    expect(existsSync(join(DIR, folder, 'readme.md'))).toBe(true);
    expect(readdirSync(join(DIR, folder)).some((f) => f.endsWith('.test.ts'))).toBe(true);
    expect(existsSync(join(DIR, folder, 'testdata'))).toBe(true);
  });

  it('refuses a folder whose sub-folders hold different feeds (one source would skip the other\'s files), and detects each folder alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rw-feeds-'));
    mkdirSync(join(root, 'alpine-secdb'));
    mkdirSync(join(root, 'osv', 'npm'), { recursive: true });
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'alpine-secdb', 'v3.19-main.yaml'), 'distroversion: v3.19\nreponame: main\npackages:\n  - pkg:\n      name: zlib\n      secfixes:\n        1.2.12-r2:\n          - CVE-2022-37434\n');
    writeFileSync(join(root, 'osv', 'npm', 'GHSA-x.json'), JSON.stringify({ id: 'GHSA-xxxx-xxxx-xxxx', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }] }));
    writeFileSync(join(root, 'docs', 'README.txt'), 'not a feed');
    await expect(detectSource(root)).rejects.toThrow(`${root} holds several advisory feeds (alpine-secdb in alpine-secdb/; osv in osv/): one import reads one feed`);
    expect((await detectSource(join(root, 'alpine-secdb'))).id).toBe('alpine-secdb');
    expect((await detectSource(join(root, 'osv'))).id).toBe('osv');
  });

  it('refuses an unknown --source with the known ones', () => {
    expect(() => getSource('nvd')).toThrow('Unknown --source "nvd": expected one of debian-tracker, alpine-secdb, osv');
  });
});
