import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCES } from './registry.js';

const dir = join(import.meta.dirname, 'sources');
const folders = readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('inventory source registry (contract)', () => {
  it('lists exactly one source per folder, with id = folder name', () => {
    expect(SOURCES.map((s) => s.id).sort()).toEqual(folders);
  });

  it.each(folders)('%s has index.ts, a readme and tests', (folder) => {
    for (const file of ['index.ts', 'readme.md', 'index.test.ts']) expect(existsSync(join(dir, folder, file)), `${folder}/${file}`).toBe(true);
  });
});
