import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCES, getSource } from './registry.js';
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

  it('refuses an unknown --source with the known ones', () => {
    expect(() => getSource('nvd')).toThrow('Unknown --source "nvd": expected one of debian-tracker, alpine-secdb, osv');
  });
});
