/**
 * Property tests: every scheme's compare is a total preorder over the versions of its own tables —
 * reflexive, antisymmetric over all pairs, and transitive over deterministically sampled triples.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SchemeId } from '../core/ecosystem.js';
import { getScheme } from './registry.js';
import type { Ordering } from './types.js';

const UPSTREAM = new URL('../../testdata/upstream/version-vectors/', import.meta.url);
const SCHEMES = new URL('./schemes/', import.meta.url);

function columns(url: URL, ...indexes: number[]): string[] {
  return readFileSync(url, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line !== '')
    .flatMap((line) => {
      const cells = line.split('\t');
      return indexes.map((i) => (cells[i] ?? '').replace(/\\n/g, '\n').replace(/\\t/g, '\t'));
    });
}

function json<T>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

/** The versions each scheme's tables use (only the valid ones are checked). */
const TABLES: Record<SchemeId, () => string[]> = {
  deb: () => [...columns(new URL('dpkg/dpkg-compare.tsv', UPSTREAM), 0, 1), ...columns(new URL('dpkg/dpkg-valid.tsv', UPSTREAM), 0)],
  apk: () => columns(new URL('apk/apk-compare.tsv', UPSTREAM), 0, 1),
  rpm: () => [...columns(new URL('rpm/rpmvercmp.tsv', UPSTREAM), 0, 1), ...columns(new URL('rpm/rpmvercmp-oddities.tsv', UPSTREAM), 0, 1)],
  semver: () => [
    ...columns(new URL('semver/compare.tsv', UPSTREAM), 0, 1),
    ...columns(new URL('semver/range-satisfies.tsv', UPSTREAM), 1),
    ...json<{ valid: Array<{ version: string }> }>(new URL('semver/valid-invalid.json', UPSTREAM)).valid.map((v) => v.version),
  ],
  pep440: () => [
    ...json<{ sorted_versions: { versions: string[] } }>(new URL('pep440/pep440.json', UPSTREAM)).sorted_versions.versions,
    ...json<{ normalized: Array<{ input: string }> }>(new URL('pep440/pep440.json', UPSTREAM)).normalized.map((n) => n.input),
  ],
  go: () => [...columns(new URL('go/go-semver-compare.tsv', UPSTREAM), 0, 1), ...json<{ cases: Array<{ version: string }> }>(new URL('go/go-pseudo-versions.json', UPSTREAM)).cases.map((c) => c.version)],
  maven: () => columns(new URL('maven/testdata/comparable-version.tsv', SCHEMES), 0, 1),
  rubygems: () => columns(new URL('rubygems/testdata/gem-version.tsv', SCHEMES), 0, 1),
  nuget: () => columns(new URL('nuget/testdata/nuget-version.tsv', SCHEMES), 0, 1),
};

/** A small deterministic generator (LCG) so failures reproduce. */
function sampler(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

function violation(a: string, b: string, c: string, ab: Ordering, bc: Ordering, ac: Ordering): string | undefined {
  // a ≤ b ≤ c ⇒ a ≤ c, strictly when either step is strict; equality is transitive
  if (ab <= 0 && bc <= 0 && !(ac <= 0 && (ab === 0 && bc === 0 ? ac === 0 : ac < 0))) return `${a} ≤ ${b} ≤ ${c} but ${a} vs ${c} = ${ac}`;
  if (ab >= 0 && bc >= 0 && !(ac >= 0 && (ab === 0 && bc === 0 ? ac === 0 : ac > 0))) return `${a} ≥ ${b} ≥ ${c} but ${a} vs ${c} = ${ac}`;
  return undefined;
}

describe.each(Object.keys(TABLES) as SchemeId[])('%s: order laws over its tables', (id) => {
  const scheme = getScheme(id);
  const versions = [...new Set(TABLES[id]())].filter((v) => scheme.isValid(v));

  it('has enough versions to be meaningful', () => {
    expect(versions.length).toBeGreaterThanOrEqual(15);
  });

  it('is reflexive and antisymmetric over every pair', () => {
    const problems: string[] = [];
    for (const a of versions) {
      if (scheme.compare(a, a) !== 0) problems.push(`${a} vs itself`);
      for (const b of versions) {
        if (scheme.compare(a, b) !== -scheme.compare(b, a) && !(scheme.compare(a, b) === 0 && scheme.compare(b, a) === 0)) problems.push(`${a} vs ${b}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('is transitive over 20,000 sampled triples and sorts consistently', () => {
    const pick = sampler(0x5eed + id.length);
    const problems: string[] = [];
    for (let i = 0; i < 20_000 && problems.length < 5; i++) {
      const a = versions[pick(versions.length)]!;
      const b = versions[pick(versions.length)]!;
      const c = versions[pick(versions.length)]!;
      const problem = violation(a, b, c, scheme.compare(a, b), scheme.compare(b, c), scheme.compare(a, c));
      if (problem !== undefined) problems.push(problem);
    }
    const sorted = [...versions].sort((x, y) => scheme.compare(x, y));
    for (let i = 1; i < sorted.length; i++) {
      if (scheme.compare(sorted[i - 1]!, sorted[i]!) > 0) problems.push(`sorted out of order: ${sorted[i - 1]} > ${sorted[i]}`);
    }
    expect(problems).toEqual([]);
  });
});
