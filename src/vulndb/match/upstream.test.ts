import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../core/package.js';
import { importAdvisories } from '../import.js';
import { advisoriesById, openVulnDb, type Db } from '../store/index.js';
import { parseVex } from '../vex/index.js';
import { matchPackages } from './index.js';

/**
 * OSV `upstream`: the vulnerabilities a record is derived from. osv.dev's Debian export has one DEBIAN-CVE-…
 * record per CVE (`upstream: ["CVE-…"]`, no aliases) next to the DSA/DLA records, which list every CVE they fix
 * as upstream; Red Hat's RHSA records name their CVEs the same way (testdata/upstream/osv/schema/tools/redhat).
 * The default `db update` imports osv.dev's Debian export and the Debian Security Tracker, so one CVE of a
 * Debian package comes from both. The records here are cut to what matching reads.
 */
function debianCve(cve: string, fixed: string, urgency = 'not yet assigned'): Record<string, unknown> {
  return {
    id: `DEBIAN-${cve}`,
    modified: '2024-07-01T00:00:00Z',
    upstream: [cve],
    details: `${cve}: a flaw in openssl.`,
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }], ecosystem_specific: { urgency } }],
  };
}

const DSA = {
  id: 'DSA-5700-1',
  modified: '2024-07-01T00:00:00Z',
  summary: 'openssl - security update',
  upstream: ['CVE-2024-1111', 'CVE-2024-2222'],
  affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.14-1~deb12u1' }] }] }],
};

const TRACKER = {
  openssl: {
    'CVE-2024-1111': { description: 'A flaw', releases: { bookworm: { status: 'resolved', repositories: { bookworm: '3.0.14-1~deb12u1' }, fixed_version: '3.0.14-1~deb12u1', urgency: 'high' } } },
  },
};

const LIBSSL: Package = {
  ecosystem: 'Debian',
  name: 'libssl3',
  version: '3.0.11-1~deb12u2',
  purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl',
  source: { name: 'openssl' },
  distro: { id: 'debian', release: '12' },
};

async function databaseOf(records: Array<Record<string, unknown>>, tracker?: unknown): Promise<Db> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-upstream-'));
  const db = openVulnDb(':memory:');
  records.forEach((r, i) => writeFileSync(join(dir, `${i}.json`), JSON.stringify(r)));
  expect((await importAdvisories(db, dir)).issues).toEqual([]);
  if (tracker !== undefined) {
    writeFileSync(join(dir, 'json'), JSON.stringify(tracker));
    expect((await importAdvisories(db, join(dir, 'json'), { source: 'debian-tracker' })).issues).toEqual([]);
  }
  return db;
}

const summary = (db: Db, vex?: unknown): unknown =>
  matchPackages(db, [LIBSSL], vex === undefined ? {} : { vex: parseVex(vex, 'vex.json').statements }).findings.map((f) => ({
    vulnerability: f.evidence['vulnerability'],
    ids: f.evidence['ids'],
    related: f.evidence['related'],
    advisories: (f.evidence['matches'] as Array<{ advisory: string }>).map((m) => m.advisory),
    severity: f.severity,
    suppressed: f.suppression !== undefined,
  }));

describe('OSV upstream ids', () => {
  it('names a DEBIAN-CVE record\'s finding by its CVE, and makes it one finding with the tracker\'s record of that CVE', async () => {
    const db = await databaseOf([debianCve('CVE-2024-1111', '3.0.14-1~deb12u1'), debianCve('CVE-2024-3333', '3.0.15-1~deb12u1', 'unimportant')], TRACKER);
    expect(summary(db)).toEqual([
      // one finding per vulnerability, with both sources' reasons; the tracker's urgency gives the severity, as the
      // urgency osv.dev copies into a DEBIAN-CVE record's ecosystem_specific does ("unimportant" rates low)
      { vulnerability: 'CVE-2024-1111', ids: ['CVE-2024-1111', 'DEBIAN-CVE-2024-1111'], related: undefined, advisories: ['DEBIAN-CVE-2024-1111', 'CVE-2024-1111'], severity: 'high', suppressed: false },
      { vulnerability: 'CVE-2024-3333', ids: ['CVE-2024-3333', 'DEBIAN-CVE-2024-3333'], related: undefined, advisories: ['DEBIAN-CVE-2024-3333'], severity: 'low', suppressed: false },
    ]);
    db.close();
  });

  it('keeps an advisory that bundles several vulnerabilities (a DSA) as its own finding, listing them as related', async () => {
    const db = await databaseOf([DSA, debianCve('CVE-2024-1111', '3.0.14-1~deb12u1')]);
    expect(summary(db)).toEqual([
      { vulnerability: 'DSA-5700-1', ids: ['DSA-5700-1'], related: ['CVE-2024-1111', 'CVE-2024-2222'], advisories: ['DSA-5700-1'], severity: 'unknown', suppressed: false },
      { vulnerability: 'CVE-2024-1111', ids: ['CVE-2024-1111', 'DEBIAN-CVE-2024-1111'], related: undefined, advisories: ['DEBIAN-CVE-2024-1111'], severity: 'unknown', suppressed: false },
    ]);
    db.close();
  });

  it('folds a bundle into the findings of what it bundles when each of them is one, listing it as related', async () => {
    const db = await databaseOf([DSA, debianCve('CVE-2024-1111', '3.0.14-1~deb12u1'), debianCve('CVE-2024-2222', '3.0.14-1~deb12u1')], TRACKER);
    expect(summary(db)).toEqual([
      { vulnerability: 'CVE-2024-1111', ids: ['CVE-2024-1111', 'DEBIAN-CVE-2024-1111'], related: ['DSA-5700-1'], advisories: ['DEBIAN-CVE-2024-1111', 'CVE-2024-1111'], severity: 'high', suppressed: false },
      { vulnerability: 'CVE-2024-2222', ids: ['CVE-2024-2222', 'DEBIAN-CVE-2024-2222'], related: ['DSA-5700-1'], advisories: ['DEBIAN-CVE-2024-2222'], severity: 'unknown', suppressed: false },
    ]);
    // VEX statements about both CVEs leave nothing unsuppressed (a bundle's finding of its own would have stayed)
    const statement = (cve: string): unknown => ({ vulnerability: { name: cve }, products: [{ '@id': 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' });
    const vex = { '@context': 'https://openvex.dev/ns/v0.2.0', statements: [statement('CVE-2024-1111'), statement('CVE-2024-2222')] };
    expect(summary(db, vex)).toMatchObject([{ suppressed: true }, { suppressed: true }]);
    db.close();
  });

  it('applies a VEX statement about the CVE to the finding of a record derived from it', async () => {
    const db = await databaseOf([debianCve('CVE-2024-1111', '3.0.14-1~deb12u1')]);
    const vex = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [{ vulnerability: { name: 'CVE-2024-1111' }, products: [{ '@id': 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }],
    };
    expect(summary(db, vex)).toMatchObject([{ vulnerability: 'CVE-2024-1111', suppressed: true }]);
    db.close();
  });

  it('lets "db show CVE-…" find the records derived from it, and forgets them when a record no longer names it', async () => {
    const db = await databaseOf([DSA, debianCve('CVE-2024-1111', '3.0.14-1~deb12u1')], TRACKER);
    const found = (id: string): string[] => advisoriesById(db, id).map((a) => `${a.source} ${a.id}`);
    expect(found('CVE-2024-1111')).toEqual(['debian-tracker CVE-2024-1111', 'osv DEBIAN-CVE-2024-1111', 'osv DSA-5700-1']);
    expect(found('cve-2024-2222')).toEqual(['osv DSA-5700-1']);
    // a newer DSA that no longer lists CVE-2024-2222
    const dir = mkdtempSync(join(tmpdir(), 'rw-upstream-'));
    writeFileSync(join(dir, 'dsa.json'), JSON.stringify({ ...DSA, modified: '2024-08-01T00:00:00Z', upstream: ['CVE-2024-1111'] }));
    expect((await importAdvisories(db, dir)).counts.updated).toBe(1);
    expect(found('CVE-2024-2222')).toEqual([]);
    db.close();
  });

  it('lists as related only ids that are not the finding\'s own (a GHSA naming the PYSEC record it is merged with)', async () => {
    const affected = [{ package: { ecosystem: 'PyPI', name: 'foo' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] }];
    const db = await databaseOf([
      { id: 'GHSA-aaaa-bbbb-cccc', modified: '2024-07-01T00:00:00Z', aliases: ['CVE-2024-9999'], related: ['PYSEC-2024-99', 'CVE-2024-8888'], affected },
      { id: 'PYSEC-2024-99', modified: '2024-07-01T00:00:00Z', aliases: ['CVE-2024-9999'], affected },
    ]);
    const [f] = matchPackages(db, [{ ecosystem: 'PyPI', name: 'foo', version: '1.0' }]).findings;
    expect([f?.evidence['ids'], f?.evidence['related']]).toEqual([['CVE-2024-9999', 'GHSA-aaaa-bbbb-cccc', 'PYSEC-2024-99'], ['CVE-2024-8888']]);
    db.close();
  });
});
