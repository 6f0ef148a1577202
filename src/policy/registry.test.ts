import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINDING_KINDS } from '../core/finding.js';
import { SEVERITIES } from '../core/severity.js';
import { CONTROL_IDS } from './pss/controls.js';
import { CHECKS } from './registry.js';

const dir = join(import.meta.dirname, 'checks');
const folders = readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('policy check registry (contract)', () => {
  it('registers exactly one check per folder, with id = folder name', () => {
    expect(CHECKS.map((c) => c.id).sort()).toEqual(folders);
  });

  it.each(folders)('%s has index.ts, a readme and tests', (folder) => {
    for (const file of ['index.ts', 'readme.md', 'index.test.ts']) expect(existsSync(join(dir, folder, file)), `${folder}/${file}`).toBe(true);
  });

  it.each(CHECKS.map((c) => [c.id, c] as const))('%s declares a valid kind, severity, title and description', (_id, check) => {
    expect(FINDING_KINDS).toContain(check.kind);
    expect(SEVERITIES).toContain(check.severity);
    expect(check.title.length).toBeGreaterThan(10);
    expect(check.description.length).toBeGreaterThan(40);
  });

  it.each(CHECKS.map((c) => [c.id, c] as const))('%s has a remediation and well-formed CIS / NSA-CISA / PSS mappings', (_id, check) => {
    expect(check.remediation.length).toBeGreaterThan(20);
    for (const cis of check.mappings.cis) expect(cis).toMatch(/^5\.\d+\.\d+$/);
    for (const pss of check.mappings.pss) expect(CONTROL_IDS).toContain(pss);
    for (const nsa of check.mappings.nsa) expect(nsa.length).toBeGreaterThan(10);
  });
});
