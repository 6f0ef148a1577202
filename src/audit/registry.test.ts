import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../policy/registry.js';
import { SEVERITIES } from '../core/severity.js';
import { AUDIT_RULES } from './registry.js';

const dir = join(import.meta.dirname, 'rules');
const folders = readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('audit rule registry (contract)', () => {
  it('registers exactly one rule per folder, with id = folder name', () => {
    expect(AUDIT_RULES.map((r) => r.id).sort()).toEqual(folders);
  });

  it.each(folders)('%s has index.ts, a readme and tests', (folder) => {
    for (const file of ['index.ts', 'readme.md', 'index.test.ts']) expect(existsSync(join(dir, folder, file)), `${folder}/${file}`).toBe(true);
  });

  it.each(AUDIT_RULES.map((r) => [r.id, r] as const))('%s declares a severity, title, description, remediation and its Falco counterparts', (_id, rule) => {
    expect(SEVERITIES).toContain(rule.severity);
    expect(rule.title.length).toBeGreaterThan(10);
    expect(rule.description.length).toBeGreaterThan(40);
    expect(rule.remediation.length).toBeGreaterThan(20);
    // Falco's rules see one event at a time: a burst rule has no counterpart there
    if (rule.window === undefined) expect(rule.falco.length).toBeGreaterThan(0);
    else expect(rule.falco).toEqual([]);
  });

  it('shares no id with a policy check (a rule id names one thing in reports, exceptions and alerts)', () => {
    const checks = new Set(CHECKS.map((c) => c.id));
    expect(AUDIT_RULES.filter((r) => checks.has(r.id)).map((r) => r.id)).toEqual([]);
  });
});
