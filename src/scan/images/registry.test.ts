import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRIBUTORS, contributorsFor } from './registry.js';

const dir = join(import.meta.dirname, 'contributors');
const folders = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

describe('image contributor registry (contract)', () => {
  it('registers exactly one contributor per folder, with id = folder name', () => {
    expect(CONTRIBUTORS.map((c) => c.id).sort()).toEqual(folders);
  });

  it.each(folders)('%s has index.ts, a readme and tests', (folder) => {
    for (const file of ['index.ts', 'readme.md', 'index.test.ts']) expect(existsSync(join(dir, folder, file)), `${folder}/${file}`).toBe(true);
  });

  it.each(CONTRIBUTORS.map((c) => [c.id, c] as const))('%s declares its rules and a description', (_id, c) => {
    expect(c.rules.length).toBeGreaterThan(0);
    expect(c.description.length).toBeGreaterThan(20);
  });

  it('picks the contributors whose rules are asked for', () => {
    expect(contributorsFor(undefined).map((c) => c.id)).toEqual(CONTRIBUTORS.map((c) => c.id));
    expect(contributorsFor(['vulnerable-package']).map((c) => c.id)).toEqual(['vulnerabilities']);
    expect(contributorsFor(['host-path'])).toEqual([]);
  });
});
