import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { identityCheck } from '../inventory/identity.js';
import { OsvRecord, describeZodError } from './schema.js';

const OSV = join(import.meta.dirname, '..', '..', 'testdata', 'upstream', 'osv');

function rows(): Array<{ file: string; valid: boolean }> {
  return readFileSync(join(OSV, 'schema-verdicts.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [file = '', verdict = ''] = l.split('\t');
      return { file, valid: verdict === 'valid' };
    });
}

function load(file: string): unknown {
  const m = /^(.*)\[(\d+)\]$/.exec(file);
  if (m !== null) return (JSON.parse(readFileSync(join(OSV, m[1] ?? ''), 'utf8')) as unknown[])[Number(m[2])];
  return JSON.parse(readFileSync(join(OSV, file), 'utf8')) as unknown;
}

describe('OSV zod schema against the OSV JSON Schema', () => {
  const table = rows();

  it('has the verdicts of every record in the dataset (JSON Schema computed with python-jsonschema)', () => {
    expect(table.length).toBe(479);
    expect(table.filter((r) => !r.valid).map((r) => r.file)).toEqual([
      'schema/tools/osv-linter/testdata/nointroduced-CVE-2023-41045.json',
      'trivy-db-fixtures/ghsa/testdata/happy/ghsa/advisories/github-reviewed/2022/02/GHSA-f5pg-7wfw-84q9/GHSA-f5pg-7wfw-84q9.json',
      'trivy-db-fixtures/k8svulndb/testdata/happy-fixed/k8s-cve-feed/vulns/CVE-2023-2727.json',
      'trivy-db-fixtures/k8svulndb/testdata/happy/k8s-cve-feed/vulns/CVE-2023-2728.json',
      'trivy-db-fixtures/osv/testdata/happy/vuln-list/osv/python/PYSEC-2026-2.json',
    ]);
  });

  it('gives the same verdict as the JSON Schema on every record', () => {
    const disagreements = table.filter((r) => OsvRecord.safeParse(load(r.file)).success !== r.valid).map((r) => r.file);
    expect(disagreements).toEqual([]);
  });

  it('admits every valid record of the dataset as read (identityCheck: no zod copy), and never one zod rejects', () => {
    const fast = identityCheck(OsvRecord);
    const taken: string[] = [];
    for (const r of table) {
      const raw = load(r.file);
      if (!fast(raw)) continue;
      const parsed = OsvRecord.safeParse(raw);
      expect([r.file, parsed.success, isDeepStrictEqual(parsed.data, raw)]).toEqual([r.file, true, true]);
      taken.push(r.file);
    }
    expect(taken).toEqual(table.filter((r) => r.valid).map((r) => r.file));
  });

  it('takes no fast path for a record zod rejects: each rule of the schema, broken once in a valid record', () => {
    const fast = identityCheck(OsvRecord);
    const valid = (): Record<string, unknown> => structuredClone(load('npm-ghsa/GHSA-35jh-r3h4-6jhm.json')) as Record<string, unknown>;
    const affected = (r: Record<string, unknown>): Array<Record<string, unknown>> => r.affected as Array<Record<string, unknown>>;
    const range = (r: Record<string, unknown>): Record<string, unknown> => (affected(r)[0]?.ranges as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    const breaks: Array<[string, (r: Record<string, unknown>) => void]> = [
      ['unknown top-level field', (r) => (r.extra = 1)],
      ['unknown id prefix', (r) => (r.id = 'FOO-1')],
      ['modified not RFC 3339', (r) => (r.modified = '2024-01-01 00:00:00')],
      ['modified an impossible date', (r) => (r.modified = '2024-13-01T00:00:00Z')],
      ['an alias not a string', (r) => (r.aliases = ['CVE-2021-1', 7])],
      ['a CVSS vector that is not one', (r) => (r.severity = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:Q' }])],
      ['a severity type the schema does not know', (r) => (r.severity = [{ type: 'CVSS_V5', score: 'x' }])],
      ['top-level and per-entry severity', (r) => (affected(r)[0] = { ...affected(r)[0], severity: [{ type: 'Ubuntu', score: 'low' }] })],
      ['an ecosystem name that is not one', (r) => (affected(r)[0] = { ...affected(r)[0], package: { ecosystem: 'npmjs', name: 'x' } })],
      ['a listed version not a string', (r) => (affected(r)[0] = { ...affected(r)[0], versions: ['1.0.0', 2] })],
      ['an event with two kinds', (r) => (range(r).events = [{ introduced: '0', fixed: '1' }])],
      ['no introduced event', (r) => (range(r).events = [{ fixed: '1' }])],
      ['no events', (r) => (range(r).events = [])],
      ['fixed and last_affected together', (r) => (range(r).events = [{ introduced: '0' }, { fixed: '1' }, { last_affected: '2' }])],
      ['a GIT range without repo', (r) => (affected(r)[0] = { ...affected(r)[0], ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }] })],
      ['a GIT range with a short hash', (r) => (affected(r)[0] = { ...affected(r)[0], ranges: [{ type: 'GIT', repo: 'https://x', events: [{ introduced: 'abc123' }] }] })],
      ['a reference URL that is not a URI', (r) => (r.references = [{ type: 'WEB', url: 'not a uri' }])],
      ['a reference type the schema does not know', (r) => (r.references = [{ type: 'BLOG', url: 'https://x' }])],
      ['database_specific an array', (r) => (r.database_specific = [])],
      ['a credit type the schema does not know', (r) => (r.credits = [{ name: 'x', type: 'HERO' }])],
    ];
    expect(fast(valid())).toBe(true);
    const wrong = breaks.filter(([, mutate]) => {
      const r = valid();
      mutate(r);
      return fast(r) || OsvRecord.safeParse(r).success;
    });
    expect(wrong.map(([name]) => name)).toEqual([]);
  });

  it('names the failing field of an invalid record', () => {
    const bad = OsvRecord.safeParse(load('schema/tools/osv-linter/testdata/nointroduced-CVE-2023-41045.json'));
    expect(bad.success).toBe(false);
    if (!bad.success) expect(describeZodError(bad.error)).toBe("affected[0].ranges[0].events: missing 'introduced' object in events");
    const k8s = OsvRecord.safeParse(load('trivy-db-fixtures/k8svulndb/testdata/happy/k8s-cve-feed/vulns/CVE-2023-2728.json'));
    if (!k8s.success) expect(describeZodError(k8s.error)).toMatch(/^affected\[0\]\.package\.ecosystem: not an OSV ecosystem name/);
  });

  it('accepts a minimal record and rejects unknown top-level fields, bad ids and bad timestamps', () => {
    expect(OsvRecord.safeParse({ id: 'GHSA-xxxx-xxxx-xxxx', modified: '2024-01-01T00:00:00Z' }).success).toBe(true);
    expect(OsvRecord.safeParse({ id: 'GHSA-x', modified: '2024-01-01T00:00:00Z', extra: 1 }).success).toBe(false);
    expect(OsvRecord.safeParse({ id: 'FOO-1', modified: '2024-01-01T00:00:00Z' }).success).toBe(false);
    expect(OsvRecord.safeParse({ id: 'CVE-2024-1', modified: '2024-01-01 00:00:00' }).success).toBe(false);
    expect(OsvRecord.safeParse({ id: 'CVE-2024-1', modified: '2024-13-01T00:00:00Z' }).success).toBe(false);
  });

  it('gives every timestamp the verdict of the full check (pattern, RFC 3339, Date.parse)', () => {
    const full = (t: string): boolean =>
      /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/.test(t) && /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(t) && !Number.isNaN(Date.parse(t));
    const times = ['2024-01-28T23:59:59Z', '2024-02-29T00:00:00Z', '2024-02-30T00:00:00Z', '2024-04-31T12:00:00Z', '2024-01-32T00:00:00Z', '2024-13-01T00:00:00Z', '2024-00-10T00:00:00Z', '2024-01-00T00:00:00Z'];
    times.push('2024-01-01T24:00:00Z', '2024-01-01T23:60:00Z', '2024-01-01T23:59:60Z', '2024-01-01t00:00:00Z', '2024-01-01T00:00:00z', '2024-01-01T00:00:00.5Z', '2024-01-01 00:00:00Z', '2024-01-01T00:00:00+00:00');
    times.push('0000-01-01T00:00:00Z', '9999-12-28T23:59:59Z', '2024-1-01T00:00:00Z', '２024-01-01T00:00:00Z', 'x2024-01-01T00:00:00Z', '2024-01-01T00:00:00ZZ', '');
    for (const t of times) expect(OsvRecord.safeParse({ id: 'CVE-2024-1', modified: t }).success, t).toBe(full(t));
  });

  it('enforces event shape, GIT hashes, fixed/last_affected exclusivity and severity patterns', () => {
    const base = { id: 'CVE-2024-1', modified: '2024-01-01T00:00:00Z' };
    const withRange = (range: unknown): boolean => OsvRecord.safeParse({ ...base, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [range] }] }).success;
    expect(withRange({ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] })).toBe(true);
    expect(withRange({ type: 'SEMVER', events: [{ introduced: '0', fixed: '1.0.0' }] })).toBe(false);
    expect(withRange({ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1' }, { last_affected: '2' }] })).toBe(false);
    expect(withRange({ type: 'GIT', repo: 'https://x', events: [{ introduced: 'abc' }] })).toBe(false);
    expect(withRange({ type: 'GIT', events: [{ introduced: '0' }] })).toBe(false);
    expect(withRange({ type: 'SEMVER', events: [] })).toBe(false);
    const sev = (s: unknown): boolean => OsvRecord.safeParse({ ...base, severity: [s] }).success;
    expect(sev({ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' })).toBe(true);
    expect(sev({ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/' })).toBe(false);
    expect(sev({ type: 'Ubuntu', score: 'medium' })).toBe(true);
    expect(sev({ type: 'Ubuntu', score: 'urgent' })).toBe(false);
  });
});
