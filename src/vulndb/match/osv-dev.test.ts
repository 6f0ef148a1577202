/**
 * A cross-check against osv.dev's own matcher: the queries osv-scanner's test cassettes recorded against
 * https://api.osv.dev/v1/querybatch (testdata/upstream/osv/osv-dev-querybatch, with osv.dev's answers), run
 * through matchPackages over the OSV records testdata holds (the same upstream feeds osv.dev serves).
 *
 * For every PyPI, Go and npm query with a version, restricted to the advisories we hold for that package:
 * - nothing osv.dev reported is missed (a missed vulnerability is the failure that matters);
 * - anything we report beyond osv.dev's answer is one of the few differences listed below, each with the
 *   reason, and each reason is checked against the recording rather than taken on trust.
 * The OS ecosystems are left out: osv.dev's Alpine, Debian and Ubuntu records are built from other feeds than
 * the ones testdata holds (the legacy Alpine secdb, the Debian tracker), so their answers are not comparable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../core/package.js';
import { importAdvisories } from '../import.js';
import { openVulnDb, type Db } from '../store/index.js';
import { candidateRows } from '../store/read.js';
import { matchPackages, type MatchReason } from './index.js';

const OSV = join(import.meta.dirname, '..', '..', '..', 'testdata', 'upstream', 'osv');

interface Query {
  cassette: string;
  ecosystem: string;
  name: string;
  version: string;
  /** osv.dev's answer: the ids it returned. */
  returned: string[];
}

function queries(): Query[] {
  const lines = readFileSync(join(OSV, 'osv-dev-querybatch', 'queries.tsv'), 'utf8').trimEnd().split('\n');
  return lines.slice(1).map((line) => {
    const [cassette = '', ecosystem = '', name = '', , version = '', , ids = ''] = line.split('\t');
    return { cassette, ecosystem, name, version, returned: ids === '' ? [] : ids.split(',') };
  });
}

/**
 * Go advisories we hold that osv.dev did not return: every one is missing from all of its recorded answers,
 * so it was not published when the cassettes were recorded (Go report ids are given out before publication,
 * so a lower id can be published later: GO-2026-5026 after GO-2026-5856).
 */
const PUBLISHED_LATER = ['GO-2026-5026', 'GO-2026-5942', 'GO-2026-5972', 'GO-2026-6088', 'GO-2026-6089', 'GO-2026-6090', 'GO-2026-6091', 'GO-2026-6218'];
/**
 * PYSEC-2021-108 (CVE-2021-33503) in testdata (pypa/advisory-database, modified 2021-07-02) lists urllib3
 * 1.24.3 in its `versions`; osv.dev returned neither it nor its alias GHSA-q2q7-5pp4-w6pg for urllib3 1.24.3
 * while returning three other PYSEC records for it: the record osv.dev served differed from this copy.
 */
const RECORD_DIFFERS = { id: 'PYSEC-2021-108', aliases: ['CVE-2021-33503', 'GHSA-q2q7-5pp4-w6pg'], query: 'urllib3 1.24.3' };

describe('agreement with osv.dev (recorded querybatch answers of osv-scanner cassettes)', () => {
  let db: Db;
  const all = queries();
  const compared: Array<{ query: Query; expected: string[]; ours: string[] }> = [];

  beforeAll(async () => {
    db = openVulnDb(':memory:');
    for (const p of ['npm-ghsa', 'pypi-pypa/vulns', 'go-vulndb']) await importAdvisories(db, join(OSV, p));
    for (const query of all) {
      if (!['PyPI', 'Go', 'npm'].includes(query.ecosystem) || query.version === '' || query.version === '(devel)') continue;
      // the advisories we hold for the package (db query's reading: every release, PEP 503 names)
      const ours = new Set(candidateRows(db, query.ecosystem, query.name).map((r) => r.id));
      if (ours.size === 0) continue;
      const pkg: Package = { ecosystem: query.ecosystem, name: query.name, version: query.version };
      const affected = new Set<string>();
      for (const f of matchPackages(db, [pkg]).findings) for (const r of f.evidence['matches'] as MatchReason[]) if (r.verdict === 'affected') affected.add(r.advisory);
      compared.push({ query, expected: query.returned.filter((id) => ours.has(id)).sort(), ours: [...affected].sort() });
    }
  });

  it('compares the queries whose advisories testdata holds (PyPI, Go stdlib and modules, npm)', () => {
    expect(compared.length).toBe(22);
    expect(new Set(compared.map((c) => c.query.ecosystem))).toEqual(new Set(['PyPI', 'Go', 'npm']));
    // not an empty comparison: osv.dev's answers name 266 (query, advisory) pairs among the ones we hold
    expect(compared.reduce((n, c) => n + c.expected.length, 0)).toBe(266);
  });

  it('misses nothing osv.dev reported', () => {
    const missed = compared.flatMap((c) => c.expected.filter((id) => !c.ours.includes(id)).map((id) => `${c.query.ecosystem} ${c.query.name} ${c.query.version}: ${id}`));
    expect(missed).toEqual([]);
  });

  it('reports nothing more, except advisories published after the recording and one record that differs', () => {
    const extra = compared.flatMap((c) => c.ours.filter((id) => !c.expected.includes(id)).map((id) => ({ id, query: c.query })));
    expect(new Set(extra.map((e) => e.id))).toEqual(new Set([...PUBLISHED_LATER, RECORD_DIFFERS.id]));
    expect(compared.filter((c) => c.ours.every((id) => c.expected.includes(id))).length).toBe(16);
    // checked, not assumed: osv.dev returned none of the later ones for any query at all
    const everReturned = new Set(all.flatMap((q) => q.returned));
    expect(PUBLISHED_LATER.filter((id) => everReturned.has(id))).toEqual([]);
    expect(extra.filter((e) => PUBLISHED_LATER.includes(e.id)).every((e) => e.query.ecosystem === 'Go' && e.query.name === 'stdlib')).toBe(true);
    // and for the one record: neither it nor an alias came back for that query, other records for it did
    const differs = extra.filter((e) => e.id === RECORD_DIFFERS.id).map((e) => e.query);
    expect(differs.map((q) => `${q.name} ${q.version}`)).toEqual([RECORD_DIFFERS.query]);
    expect(differs[0]?.returned.some((id) => [RECORD_DIFFERS.id, ...RECORD_DIFFERS.aliases].includes(id))).toBe(false);
    expect(differs[0]?.returned.filter((id) => id.startsWith('PYSEC-')).length).toBeGreaterThan(2);
  });
});
