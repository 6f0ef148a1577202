import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { OsvRange } from '../schema.js';
import { describeRange, evaluateEntry, prepareEntry, quickVerdict } from './evaluate.js';

const OSV = join(import.meta.dirname, '..', '..', '..', 'testdata', 'upstream', 'osv');

interface Entry {
  ecosystem: string;
  ranges?: OsvRange[];
  versions?: string[];
}

function datasetEntries(): Entry[] {
  const out: Entry[] = [];
  const add = (record: { affected?: Array<{ package?: { ecosystem: string }; ranges?: OsvRange[]; versions?: string[] }> }): void => {
    for (const a of record.affected ?? []) if (a.package !== undefined) out.push({ ecosystem: a.package.ecosystem, ranges: a.ranges, versions: a.versions });
  };
  for (const f of readdirSync(join(OSV, 'go-vulndb'))) add(JSON.parse(readFileSync(join(OSV, 'go-vulndb', f), 'utf8')) as Parameters<typeof add>[0]);
  for (const f of readdirSync(join(OSV, 'npm-ghsa'))) if (f.endsWith('.json')) add(JSON.parse(readFileSync(join(OSV, 'npm-ghsa', f), 'utf8')) as Parameters<typeof add>[0]);
  for (const pkg of readdirSync(join(OSV, 'pypi-pypa', 'vulns'))) {
    for (const f of readdirSync(join(OSV, 'pypi-pypa', 'vulns', pkg))) add(parseYaml(readFileSync(join(OSV, 'pypi-pypa', 'vulns', pkg, f), 'utf8'), { schema: 'core' }) as Parameters<typeof add>[0]);
  }
  return out;
}

const range = (type: OsvRange['type'], ...events: OsvRange['events']): OsvRange => ({ type, events });

describe('quickVerdict', () => {
  it('gives the verdict of evaluateEntry for every entry of the dataset and every version it names, plus neighbours', () => {
    let compared = 0;
    for (const entry of datasetEntries()) {
      const versions = new Set(['0', '0.0.1', '99.0.0', 'latest', 'v1.0.0', 'go1.22.1']);
      for (const r of entry.ranges ?? []) for (const e of r.events) for (const v of Object.values(e)) if (typeof v === 'string') versions.add(v);
      for (const v of entry.versions ?? []) versions.add(v);
      const prepared = prepareEntry(entry.ecosystem, entry);
      for (const v of versions) {
        expect(quickVerdict(entry.ecosystem, v, prepared), `${entry.ecosystem} ${v}`).toBe(evaluateEntry(entry.ecosystem, v, prepared).verdict);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it('agrees on limits, GIT-only ranges, unknown schemes and bounds that do not parse', () => {
    const cases: Array<[string, OsvRange[], string[] | undefined]> = [
      ['PyPI', [range('ECOSYSTEM', { introduced: '0' }, { limit: '2.0' })], undefined],
      ['PyPI', [range('ECOSYSTEM', { introduced: '0' }, { limit: '*' })], undefined],
      ['npm', [range('GIT', { introduced: '0' }, { fixed: 'a'.repeat(40) })], undefined],
      ['npm', [range('GIT', { introduced: '0' })], ['1.0.0']],
      ['Packagist', [range('ECOSYSTEM', { introduced: '0' }, { fixed: '4.13.1' })], undefined],
      ['npm', [range('SEMVER', { introduced: '0' }, { fixed: 'not-a-version' })], undefined],
      ['npm', [range('SEMVER', { introduced: '1.0.0' }, { fixed: '2.0.0' }), range('SEMVER', { introduced: '0' }, { fixed: 'x.y' })], undefined],
      ['Go', [range('SEMVER', { introduced: '0' }, { fixed: '1.21.5' })], undefined],
    ];
    for (const [ecosystem, ranges, versions] of cases) {
      const prepared = prepareEntry(ecosystem, { ranges, versions });
      for (const v of ['0.5', '1.0.0', '1.5.0', '3.0', 'latest', '4.13.0', 'go1.21.4', 'v1.22.0']) {
        expect(quickVerdict(ecosystem, v, prepared), `${ecosystem} ${ranges.map(describeRange).join(' | ')} @ ${v}`).toBe(evaluateEntry(ecosystem, v, prepared).verdict);
      }
    }
  });
});
