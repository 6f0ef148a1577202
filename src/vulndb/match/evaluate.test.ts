import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareVersions, isValidVersion } from '../../versioning/index.js';
import type { OsvRange } from '../schema.js';
import { evaluateEntry, prepareEntry } from './evaluate.js';

const OSV = join(import.meta.dirname, '..', '..', '..', 'testdata', 'upstream', 'osv');

interface PypiRecord {
  id: string;
  affected: Array<{ package: { name: string }; ranges?: OsvRange[]; versions?: string[] }>;
}

const range = (type: OsvRange['type'], ...events: OsvRange['events']): OsvRange => ({ type, events });
const verdict = (ecosystem: string, version: string, ranges: OsvRange[], versions?: string[]): string => evaluateEntry(ecosystem, version, { ranges, versions }).verdict;

describe('OSV range evaluation', () => {
  it('evaluates introduced/fixed, last_affected and open-ended ranges', () => {
    const r = [range('ECOSYSTEM', { introduced: '1.0' }, { fixed: '1.5' })];
    expect(['0.9', '1.0', '1.4.9', '1.5', '2.0'].map((v) => verdict('PyPI', v, r))).toEqual(['not-affected', 'affected', 'affected', 'not-affected', 'not-affected']);
    const last = [range('ECOSYSTEM', { introduced: '0' }, { last_affected: '2.0' })];
    expect(['1.0', '2.0', '2.0.1'].map((v) => verdict('PyPI', v, last))).toEqual(['affected', 'affected', 'not-affected']);
    expect(verdict('npm', '99.0.0', [range('SEMVER', { introduced: '1.0.0' })])).toBe('affected');
  });

  it('evaluates several disjoint intervals given in any order (path-to-regexp style)', () => {
    const r = [range('SEMVER', { introduced: '2.0.0' }, { fixed: '3.3.0' }, { introduced: '0' }, { fixed: '0.1.10' }, { introduced: '4.0.0' }, { fixed: '6.3.0' })];
    expect(['0.1.7', '0.1.10', '1.0.0', '2.0.0', '3.3.0', '4.0.0', '6.2.9', '6.3.0', '8.0.0'].map((v) => verdict('npm', v, r))).toEqual([
      'affected', 'not-affected', 'not-affected', 'affected', 'not-affected', 'affected', 'affected', 'not-affected', 'not-affected',
    ]);
    const e = evaluateEntry('npm', '4.1.0', { ranges: r });
    expect(e.ranges[0]).toMatchObject({ verdict: 'affected', fixed: '6.3.0', scheme: 'semver' });
  });

  it('caps a range with limit events', () => {
    const r = [range('ECOSYSTEM', { introduced: '0' }, { limit: '2.0' })];
    expect(['1.0', '2.0', '3.0'].map((v) => verdict('PyPI', v, r))).toEqual(['affected', 'not-affected', 'not-affected']);
    expect(verdict('PyPI', '3.0', [range('ECOSYSTEM', { introduced: '0' }, { limit: '*' })])).toBe('affected');
  });

  it('orders with the ecosystem scheme: dpkg epochs and tildes, apk revisions, Go with its "v"', () => {
    expect(verdict('Debian:12', '1:1.2.13.dfsg-1', [range('ECOSYSTEM', { introduced: '0' }, { fixed: '1:1.2.13.dfsg-1+deb12u1' })])).toBe('affected');
    expect(verdict('Debian:12', '1.2.13.dfsg-9', [range('ECOSYSTEM', { introduced: '0' }, { fixed: '1:1.0-1' })])).toBe('affected');
    expect(verdict('Debian:12', '3.0.13-1~deb12u1', [range('ECOSYSTEM', { introduced: '0' }, { fixed: '3.0.13-1' })])).toBe('affected');
    expect(verdict('Alpine:v3.18', '3.1.0-r4', [range('ECOSYSTEM', { introduced: '0' }, { fixed: '3.1.0-r5' })])).toBe('affected');
    expect(verdict('Alpine:v3.18', '3.1.0-r10', [range('ECOSYSTEM', { introduced: '0' }, { fixed: '3.1.0-r5' })])).toBe('not-affected');
    expect(verdict('Go', 'v1.22.1', [range('SEMVER', { introduced: '1.22.0-0' }, { fixed: '1.22.2' })])).toBe('affected');
    expect(verdict('Go', 'go1.22.2', [range('SEMVER', { introduced: '1.22.0-0' }, { fixed: '1.22.2' })])).toBe('not-affected');
  });

  it('ignores GIT ranges with a recorded reason, and is unknown when only commits are given', () => {
    const e = evaluateEntry('PyPI', '1.0', { ranges: [range('GIT', { introduced: '0' }, { fixed: 'a'.repeat(40) }), range('ECOSYSTEM', { introduced: '0' }, { fixed: '2.0' })] });
    expect(e.verdict).toBe('affected');
    expect(e.ranges[0]?.reason).toBe('GIT range ignored: it is defined by commits, and installed packages are matched by version');
    const gitOnly = evaluateEntry('PyPI', '1.0', { ranges: [range('GIT', { introduced: '0' }, { fixed: 'a'.repeat(40) })] });
    expect(gitOnly.verdict).toBe('unknown');
    expect(gitOnly.problems).toEqual(['the advisory gives only GIT (commit) ranges and no versions list']);
  });

  it('is unknown — never "not affected" — for an unknown scheme or an invalid version on either side', () => {
    const packagist = evaluateEntry('Packagist', '1.0.0', { ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '2.0.0' })] });
    expect(packagist.verdict).toBe('unknown');
    expect(packagist.problems[0]).toMatch(/^Ecosystem "Packagist" has no version scheme in runwarden/);
    // SEMVER ranges are SemVer whatever the ecosystem
    expect(verdict('Packagist', '1.0.0', [range('SEMVER', { introduced: '0' }, { fixed: '2.0.0' })])).toBe('affected');
    const badAdvisory = evaluateEntry('PyPI', '1.0', { ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '4.36.-1' })] });
    expect(badAdvisory.verdict).toBe('unknown');
    expect(badAdvisory.problems[0]).toMatch(/^Invalid pep440 version "4.36.-1"/);
    expect(verdict('npm', 'not-a-version', [range('SEMVER', { introduced: '0' }, { fixed: '2.0.0' })])).toBe('unknown');
    // a listed version still matches as exact text
    expect(verdict('Packagist', '1.0.0', [range('ECOSYSTEM', { introduced: '0' })], ['1.0.0'])).toBe('affected');
  });
});

describe('PyPI advisories with explicit versions (conformance)', () => {
  const records = JSON.parse(readFileSync(join(OSV, 'pypi-pypa', 'pypi-advisories.json'), 'utf8')) as PypiRecord[];
  // Released versions the dataset knows per package: the union of the advisories' version lists (osv.dev
  // enumerates them from PyPI). Fixed bounds are not added: some were never released (setuptools "0.7").
  const released = new Map<string, string[]>();
  for (const r of records) {
    for (const a of r.affected) {
      const list = released.get(a.package.name) ?? [];
      const add = (v: string): void => {
        const valid = isValidVersion('pep440', v);
        if (!list.some((x) => x === v || (valid && isValidVersion('pep440', x) && compareVersions('pep440', x, v) === 0))) list.push(v);
      };
      for (const v of a.versions ?? []) add(v);
      released.set(a.package.name, list);
    }
  }
  const entries = records.flatMap((r) => r.affected.filter((a) => (a.versions ?? []).length > 0).map((a) => ({ id: r.id, a })));

  it('covers every PyPI advisory of the dataset that lists versions', () => {
    expect(entries.length).toBe(127);
  });

  it('marks exactly the listed versions affected and none of the other released versions', () => {
    const wrong: string[] = [];
    let compared = 0;
    for (const { id, a } of entries) {
      const listed = a.versions ?? [];
      const withList = prepareEntry('PyPI', { ranges: a.ranges, versions: a.versions });
      const rangesAlone = prepareEntry('PyPI', { ranges: a.ranges });
      for (const v of released.get(a.package.name) ?? []) {
        const valid = isValidVersion('pep440', v);
        const isListed = listed.includes(v) || (valid && listed.some((x) => isValidVersion('pep440', x) && compareVersions('pep440', x, v) === 0));
        const full = evaluateEntry('PyPI', v, withList).verdict;
        const rangesOnly = evaluateEntry('PyPI', v, rangesAlone).verdict;
        compared++;
        // a legacy non-PEP 440 version ("0.9-eevee") that the list does not name cannot be placed in the ranges: unknown
        if (full !== (isListed ? 'affected' : valid ? 'not-affected' : 'unknown')) wrong.push(`${id} ${a.package.name} ${v}: ${full}, listed=${isListed}`);
        // the ranges alone agree with the list; a legacy non-PEP 440 version ("0.9-eevee") is unknown to them, never "not affected"
        const want = !valid ? 'unknown' : isListed ? 'affected' : 'not-affected';
        if (rangesOnly !== want) wrong.push(`${id} ${a.package.name} ${v}: ranges say ${rangesOnly}, expected ${want}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(compared).toBeGreaterThan(10_000);
  });
});
