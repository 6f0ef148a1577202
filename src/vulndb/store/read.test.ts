import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAdvisories } from '../import.js';
import type { OsvRecord } from '../schema.js';
import { beginImport, openVulnDb, type Db } from './index.js';
import { affectedData, headImport, headTexts, matchRowTexts, parseHead, parseRowNumbers, type RowKey } from './read.js';

const OSV = join(import.meta.dirname, '..', '..', '..', 'testdata', 'upstream', 'osv');

/** Debian advisories whose rows interleave releases: a source package's rows in several releases, inserted out of order. */
function debianRecords(): OsvRecord[] {
  const out: OsvRecord[] = [];
  const releases = ['Debian:12', 'Debian:11', 'Debian:13', 'Debian'];
  for (let i = 0; i < 24; i++) {
    const affected: NonNullable<OsvRecord['affected']> = [];
    for (let j = 0; j <= i % 3; j++) {
      affected.push({ package: { ecosystem: releases[(i + j) % releases.length] as string, name: i % 2 === 0 ? 'openssl' : 'curl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `1.${i}.${j}-1` }] }] });
    }
    out.push({ id: `DEBIAN-CVE-2024-${1000 + i}`, modified: '2024-01-01T00:00:00Z', affected });
  }
  return out;
}

describe('matchRowTexts', () => {
  let db: Db;
  beforeAll(async () => {
    db = openVulnDb(':memory:');
    for (const p of ['npm-ghsa', 'pypi-pypa/vulns', 'go-vulndb', 'trivy-db-fixtures/alpine/testdata/happy/vuln-list/alpine']) await importAdvisories(db, join(OSV, p));
    const session = beginImport(db, 'osv', 'debian-test');
    for (const r of debianRecords()) session.put(r);
    session.commit();
  });
  afterAll(() => db.close());

  /** One key's rows as the matcher reads them. */
  function rowsOne(ecosystem: string, name: string, release: string | undefined, out: number[]): void {
    parseRowNumbers(matchRowTexts(db, [{ ecosystem, name, release }])[0], out, ecosystem, name);
  }

  it('gives every package the rows of a plain ordered SELECT, in (release, seq) order, filtered by release', () => {
    const keys = db.prepare('SELECT DISTINCT ecosystem, name FROM vuln_affected').all() as Array<{ ecosystem: string; name: string }>;
    const releases = db.prepare("SELECT DISTINCT release FROM vuln_affected WHERE release <> ''").pluck(true).all() as string[];
    expect(keys.length).toBeGreaterThan(40);
    expect(releases.length).toBeGreaterThan(3);
    const plain = db.prepare('SELECT advisory, entry, data, release FROM vuln_affected WHERE ecosystem = ? AND name = ? ORDER BY release, seq').raw(true);
    const out: number[] = [];
    let interleaved = 0;
    for (const { ecosystem, name } of keys) {
      const rows = plain.all(ecosystem, name) as Array<[number, number, number, string]>;
      // rows whose release order differs from insertion order: what the ordering is for
      if (rows.some((r, i) => i > 0 && r[0] < (rows[i - 1]?.[0] ?? 0))) interleaved++;
      rowsOne(ecosystem, name, undefined, out);
      expect(out).toEqual(rows.flatMap((r) => [r[0], r[1], r[2]]));
      for (const release of releases) {
        rowsOne(ecosystem, name, release, out);
        expect(out).toEqual(rows.filter((r) => r[3] === '' || r[3] === release).flatMap((r) => [r[0], r[1], r[2]]));
      }
    }
    expect(interleaved).toBeGreaterThanOrEqual(2);
    rowsOne('npm', 'no-such-package', undefined, out);
    expect(out).toEqual([]);
  });

  it('reads many keys at once as it reads each alone: in the order asked, across batches, with and without a release', () => {
    const names = db.prepare('SELECT DISTINCT ecosystem, name FROM vuln_affected').all() as Array<{ ecosystem: string; name: string }>;
    const releases = db.prepare("SELECT DISTINCT release FROM vuln_affected WHERE release <> ''").pluck(true).all() as string[];
    const keys: RowKey[] = [];
    // scoped and unscoped keys interleaved, keys without rows among them, more than one batch (256) of each kind
    for (let round = 0; keys.length < 700; round++) {
      for (const { ecosystem, name } of names) {
        keys.push({ ecosystem, name, release: round % 2 === 0 ? undefined : releases[round % releases.length] });
        keys.push({ ecosystem, name: `${name}-missing-${round}`, release: round % 3 === 0 ? undefined : releases[0] });
      }
    }
    const texts = matchRowTexts(db, keys);
    expect(texts).toHaveLength(keys.length);
    const one: number[] = [];
    const many: number[] = [];
    let withRows = 0;
    keys.forEach((k, i) => {
      rowsOne(k.ecosystem, k.name, k.release, one);
      parseRowNumbers(texts[i], many, k.ecosystem, k.name);
      expect(many).toEqual(one);
      if (one.length > 0) withRows++;
    });
    expect(withRows).toBeGreaterThan(300);
    expect(texts.filter((t) => t === null).length).toBeGreaterThan(300);
    expect(matchRowTexts(db, [])).toEqual([]);
  });

  it('refuses an affected-row text that is not numbers in threes, naming the package', () => {
    const out: number[] = [];
    expect(() => parseRowNumbers('1,2', out, 'npm', 'left-pad')).toThrow('Unexpected affected-row text for npm left-pad');
    expect(() => parseRowNumbers('1,2,x', out, 'npm', 'left-pad')).toThrow('Unexpected affected-row text for npm left-pad');
    parseRowNumbers('10,0,7,11,2,8', out, 'npm', 'left-pad');
    expect(out).toEqual([10, 0, 7, 11, 2, 8]);
    parseRowNumbers(null, out, 'npm', 'left-pad');
    expect(out).toEqual([]);
  });

  it('gives head texts in the order asked, null for a withdrawn advisory and undefined for a vanished one', () => {
    const rows = db.prepare('SELECT rowid, id, import_id, head FROM vuln_advisories ORDER BY rowid LIMIT 5').raw(true).all() as Array<[number, string, number, string]>;
    const asked = rows.map((r) => r[0]);
    const texts = headTexts(db, asked);
    expect(texts.map((t) => (t === null || t === undefined ? t : headImport(0, t)))).toEqual(rows.map((r) => r[2]));
    const origin = { source: 'osv' as const, feed: 'f' };
    expect(texts.map((t, i) => (typeof t === 'string' ? parseHead(asked[i] as number, t, origin) : t))).toEqual(
      rows.map((r) => {
        // the facts are the head's fields other than id and summary, which the head itself carries
        const { id: _id, summary, ...facts } = JSON.parse(r[3]) as { id: string; summary?: string };
        return { rowid: r[0], source: 'osv', id: r[1], withdrawn: null, summary: summary ?? null, feed: 'f', facts };
      }),
    );
    // every stored head starts with its own id (vuln-005-match-texts)
    expect(rows.every((r) => r[3].startsWith(`{"id":${JSON.stringify(r[1])}`))).toBe(true);
    db.exec('SAVEPOINT t');
    try {
      db.prepare("UPDATE vuln_advisories SET withdrawn = '2024-01-01T00:00:00Z' WHERE rowid = ?").run(asked[1]);
      db.prepare('DELETE FROM vuln_advisories WHERE rowid = ?').run(asked[3]);
      const after = headTexts(db, [...asked, 1e9]);
      expect(after.map((t) => (t === null ? 'withdrawn' : t === undefined ? 'gone' : headImport(0, t)))).toEqual([rows[0]?.[2], 'withdrawn', rows[2]?.[2], 'gone', rows[4]?.[2], 'gone']);
    } finally {
      db.exec('ROLLBACK TO t');
      db.exec('RELEASE t');
    }
  });

  it('reports a damaged head with the advisory and the fix, never a bare SyntaxError', () => {
    const origin = { source: 'osv' as const, feed: 'f' };
    expect(() => parseHead(7, '1{"summary":"s"}', origin)).toThrow('Advisory 7 has no import or no id in its head');
    expect(() => parseHead(7, '{"id":"X"}', origin)).toThrow('Advisory 7 has no import or no id in its head');
    expect(() => headImport(7, '{"id":"X"}')).toThrow('Advisory 7 has no import or no id in its head');
    expect(() => parseHead(7, '1null', origin)).toThrow('Advisory 7 has no import or no id in its head');
    expect(() => parseHead(7, '1{"id":"X",', origin)).toThrow(/^Advisory 7 has a damaged head: /);
    let caught: unknown;
    try {
      parseHead(7, '1{"id":', origin);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ hint: 'The database is damaged; re-import the feeds into a new --db.' });
  });

  it('reports damaged entry data with the entry and the fix', () => {
    const rowid = db.prepare('SELECT min(rowid) FROM vuln_entries').pluck(true).get() as number;
    expect(affectedData(db, rowid)).toBeTypeOf('object');
    db.exec('SAVEPOINT d');
    try {
      db.prepare("UPDATE vuln_entries SET data = '{\"ranges\":[' WHERE rowid = ?").run(rowid);
      expect(() => affectedData(db, rowid)).toThrow(new RegExp(`^Affected entry ${rowid} has damaged data: `));
      db.prepare("UPDATE vuln_entries SET data = '[]' WHERE rowid = ?").run(rowid);
      expect(() => affectedData(db, rowid)).toThrow(`Affected entry ${rowid} has damaged data: not an object`);
    } finally {
      db.exec('ROLLBACK TO d');
      db.exec('RELEASE d');
    }
    expect(() => affectedData(db, 1e9)).toThrow('Affected entry 1000000000 disappeared while matching');
  });
});
