import { describe, expect, it } from 'vitest';
import { aliasGroups, groupMembers, releaseGroups, upper, type GroupedHit } from './groups.js';

const hit = (id: string, aliases?: string[]): GroupedHit => ({ advisory: { id, facts: aliases === undefined ? {} : { aliases } } });

/** The groups the plain way: every pair of hits sharing an upper-cased key, joined until nothing changes. */
function reference(hits: readonly GroupedHit[]): number[][] {
  const keys = hits.map((h) => new Set([h.advisory.id, ...(h.advisory.facts.aliases ?? [])].map((k) => k.toUpperCase())));
  const group = hits.map((_, i) => i);
  for (let changed = true; changed; ) {
    changed = false;
    for (let a = 0; a < hits.length; a++)
      for (let b = a + 1; b < hits.length; b++) {
        if (group[a] === group[b] || ![...(keys[a] as Set<string>)].some((k) => keys[b]?.has(k))) continue;
        const from = Math.max(group[a] as number, group[b] as number);
        const to = Math.min(group[a] as number, group[b] as number);
        for (let i = 0; i < group.length; i++) if (group[i] === from) group[i] = to;
        changed = true;
      }
  }
  const firsts = [...new Set(group)];
  return firsts.map((g) => hits.flatMap((_, i) => (group[i] === g ? [i] : [])));
}

function grouped(hits: readonly GroupedHit[]): number[][] {
  const count = aliasGroups(hits);
  return Array.from({ length: count }, (_, g) => groupMembers(hits, g).map((h) => hits.indexOf(h)));
}

describe('alias groups', () => {
  it('joins hits sharing an id or alias, transitively and case-insensitively, numbered by first hit', () => {
    const hits = [
      hit('GHSA-aaaa-bbbb-cccc', ['CVE-2024-1']),
      hit('PYSEC-2024-7', ['cve-2024-1']),
      hit('GO-2024-9'),
      hit('OSV-1', ['ghsa-AAAA-bbbb-cccc', 'X-1']),
      hit('CVE-2024-2', ['X-2']),
      hit('DSA-1', ['X-2', 'X-2']),
      hit('straße', []),
      hit('OTHER', ['STRASSE']),
    ];
    expect(grouped(hits)).toEqual([[0, 1, 3], [2], [4, 5], [6, 7]]);
    expect(grouped(hits)).toEqual(reference(hits));
  });

  it('agrees with the plain way on random packages, small and larger than the key table', () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const key = (): string => {
      const base = `CVE-2024-${next(60)}`;
      return next(4) === 0 ? base.toLowerCase() : base;
    };
    for (let round = 0; round < 60; round++) {
      const size = round < 50 ? 1 + next(40) : 400 + next(400);
      const hits = Array.from({ length: size }, (_, i) => hit(next(3) === 0 ? key() : `ID-${round}-${i}`, Array.from({ length: next(4) }, key)));
      expect(grouped(hits)).toEqual(reference(hits));
    }
  });

  it('upper-cases only ids that have lower-case letters', () => {
    const id = 'CVE-2024-1234';
    expect(upper(id)).toBe(id);
    expect(upper('ghsa-x')).toBe('GHSA-X');
    expect(upper('é')).toBe('É');
  });

  it('keeps nothing of the last package once released', () => {
    const hits = [hit('A', ['B']), hit('C', ['b'])];
    expect(aliasGroups(hits)).toBe(1);
    releaseGroups();
    expect(groupMembers(hits, 0)).toEqual([]);
  });
});
