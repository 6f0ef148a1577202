import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS } from './registry.js';

const folders = readdirSync(import.meta.dirname, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('report format registry (contract)', () => {
  it('lists exactly one format per folder, with id = folder name', () => {
    expect(FORMATS.map((f) => f.id).sort()).toEqual(folders);
  });

  it.each(folders)('%s has an index.ts and a test', (folder) => {
    expect(existsSync(join(import.meta.dirname, folder, 'index.ts'))).toBe(true);
    expect(existsSync(join(import.meta.dirname, folder, 'index.test.ts'))).toBe(true);
  });
});
