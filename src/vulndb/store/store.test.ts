import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../store/db.js';
import { MIGRATIONS } from '../../store/migrations.js';
import { matchPackages } from '../match/index.js';
import type { OsvRecord } from '../schema.js';
import { BLOCK_BYTES, BLOCK_RECORDS, BlockWriter, packBatch, packBlock, unpackBatch, unpackBlock } from './blocks.js';
import { advisoriesById, beginImport, candidateRows, dataDigest, openVulnDb, storeStatus, writeMeta, readMeta, type Db } from './index.js';
import { advisoryReleaseKey, nameKey } from './keys.js';
import { prepareAdvisory } from './prepare.js';

function record(id: string, modified: string, extra: Partial<OsvRecord> = {}): OsvRecord {
  return {
    id,
    modified,
    summary: `summary of ${id}`,
    details: `Line one of ${id}.\nLine two, with "quotes" and a \\ backslash.`,
    affected: [{ package: { ecosystem: 'npm', name: `pkg-${id}` }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }],
    ...extra,
  };
}

function importAll(db: Db, records: readonly OsvRecord[]): void {
  const session = beginImport(db, 'osv', 'test-feed', new Date('2026-01-01T00:00:00Z'));
  for (const r of records) session.put(r);
  session.commit();
}

/** A new database file as a build that stopped at migration `last` left it (a misspelled id fails). */
function olderDatabase(prefix: string, last: string): { path: string; old: Db } {
  const at = MIGRATIONS.findIndex((m) => m.id === last);
  if (at < 0) throw new Error(`no migration ${last}`);
  const path = join(mkdtempSync(join(tmpdir(), prefix)), 'rw.db');
  return { path, old: openDatabase(path, { migrations: MIGRATIONS.slice(0, at + 1) }) };
}

const blockCount = (db: Db): number => db.prepare<[], number>('SELECT count(*) FROM vuln_records').pluck(true).get() ?? 0;

describe('record blocks', () => {
  it('packs record texts and gives them back by slot, newlines inside strings included', () => {
    const texts = [JSON.stringify({ a: 'x\ny' }), JSON.stringify({ b: 'é\u2028' }), '{}'];
    expect(unpackBlock(packBlock(texts))).toEqual(texts);
  });

  it('packs texts given as compact UTF-8 bytes (a record as its file wrote it) beside strings', () => {
    const bytes = Buffer.from('{"d":"caf\u00e9 \\u003c 💥"}');
    const texts = [JSON.stringify({ a: 'x\ny' }), bytes, new Uint8Array(Buffer.from('{}'))];
    expect(unpackBlock(packBlock(texts))).toEqual([texts[0], bytes.toString('utf8'), '{}']);
  });

  it('closes a block at BLOCK_RECORDS records, or early when the next record would pass BLOCK_BYTES', () => {
    const written: Array<{ id: number; slots: number; live: number }> = [];
    const writer = new BlockWriter(7, (id, _data, slots, live) => written.push({ id, slots, live }));
    for (let i = 0; i < BLOCK_RECORDS + 1; i++) expect(writer.add('{}')).toEqual({ block: i < BLOCK_RECORDS ? 7 : 8, slot: i % BLOCK_RECORDS });
    writer.release();
    writer.add('x'.repeat(BLOCK_BYTES));
    writer.flush();
    writer.flush();
    expect(written).toEqual([
      { id: 7, slots: BLOCK_RECORDS, live: BLOCK_RECORDS },
      { id: 8, slots: 1, live: 0 },
      { id: 9, slots: 1, live: 1 },
    ]);
  });
});

describe('advisory store', () => {
  it('keeps each record whole: db show gets back exactly the normalised record', () => {
    const db = openVulnDb(':memory:');
    const records = Array.from({ length: 150 }, (_, i) => record(`GHSA-aaaa-bbbb-${String(i).padStart(4, '0')}`, '2024-01-01T00:00:00Z', { aliases: [`CVE-2024-${1000 + i}`], affected: [{ package: { ecosystem: 'PyPI', name: 'Some_Pkg' }, versions: [], ranges: [] }] }));
    importAll(db, records);
    expect(blockCount(db)).toBe(3);
    for (const r of [records[0], records[64], records[149]]) {
      const [stored] = advisoriesById(db, r?.aliases?.[0] ?? '');
      expect(stored?.record).toEqual(r);
      expect(stored).toMatchObject({ source: 'osv', feed: 'test-feed', fetchedAt: '2026-01-01T00:00:00.000Z', withdrawn: null });
    }
    db.close();
  });

  it('stores a repeated id of one input once, keeping the newer copy', () => {
    const db = openVulnDb(':memory:');
    const session = beginImport(db, 'osv', 'feed');
    expect(session.put(record('GHSA-dupe-dupe-dupe', '2024-01-01T00:00:00Z', { summary: 'first' }))).toBe('added');
    expect(session.put(record('GHSA-dupe-dupe-dupe', '2024-03-01T00:00:00Z', { summary: 'newer' }))).toBe('updated');
    expect(session.put(record('GHSA-dupe-dupe-dupe', '2024-02-01T00:00:00Z', { summary: 'older' }))).toBe('unchanged');
    session.commit();
    expect(advisoriesById(db, 'GHSA-dupe-dupe-dupe').map((a) => a.record.summary)).toEqual(['newer']);
    expect(storeStatus(db)).toMatchObject({ advisories: 1, affectedRows: 1 });
    db.close();
  });

  it('writes aliases in groups, and a record replaced within one import keeps only its newer aliases', () => {
    const db = openVulnDb(':memory:');
    const aliasRows = (): Array<[string, string]> =>
      db.prepare<[], [string, string]>('SELECT l.alias, v.id FROM vuln_aliases l JOIN vuln_advisories v ON v.rowid = l.advisory ORDER BY l.alias').raw(true).all();
    const many = Array.from({ length: 70 }, (_, i) => record(`GHSA-many-many-${String(i).padStart(4, '0')}`, '2024-01-01T00:00:00Z', { aliases: [`CVE-2024-${2000 + i}`] }));
    const session = beginImport(db, 'osv', 'feed');
    for (const r of many) session.put(r);
    // 70 aliases pending or written in groups of 32 when the repeated id replaces its first copy
    session.put(record('GHSA-dupe-dupe-dupe', '2024-01-01T00:00:00Z', { aliases: ['CVE-2024-0001', 'CVE-2024-0002'] }));
    session.put(record('GHSA-dupe-dupe-dupe', '2024-03-01T00:00:00Z', { aliases: ['CVE-2024-0002', 'CVE-2024-0003'] }));
    session.putBatch(packBatch([record('GHSA-dupe-dupe-dupe', '2024-04-01T00:00:00Z', { aliases: ['CVE-2024-0004'] })].map((r) => prepareAdvisory(r))));
    session.commit();
    const rows = aliasRows();
    expect(rows).toHaveLength(71);
    expect(rows.filter(([, id]) => id === 'GHSA-dupe-dupe-dupe')).toEqual([['CVE-2024-0004', 'GHSA-dupe-dupe-dupe']]);
    expect(advisoriesById(db, 'CVE-2024-2069').map((a) => a.id)).toEqual(['GHSA-many-many-0069']);
    expect(advisoriesById(db, 'CVE-2024-0002')).toEqual([]);
    db.close();
  });

  it('drops blocks whose records were all replaced and repacks the half-empty ones', () => {
    const db = openVulnDb(':memory:');
    const ids = Array.from({ length: 3 * BLOCK_RECORDS }, (_, i) => `GHSA-blck-blck-${String(i).padStart(4, '0')}`);
    importAll(db, ids.map((id) => record(id, '2024-01-01T00:00:00Z')));
    expect(blockCount(db)).toBe(3);
    // block 1: every record replaced; block 2: 40 of 64 replaced (more than half empty); block 3: untouched
    const replaced = [...ids.slice(0, BLOCK_RECORDS), ...ids.slice(BLOCK_RECORDS, BLOCK_RECORDS + 40)];
    importAll(db, replaced.map((id) => record(id, '2024-02-01T00:00:00Z', { summary: `new ${id}` })));
    const blocks = db.prepare<[], { slots: number; live: number }>('SELECT slots, live FROM vuln_records ORDER BY rowid').all();
    expect(blocks.reduce((n, b) => n + b.live, 0)).toBe(ids.length);
    expect(blocks.every((b) => b.live === b.slots)).toBe(true);
    expect(blocks.length).toBe(4);
    for (const id of ids) {
      const [stored] = advisoriesById(db, id);
      expect(stored?.record.summary).toBe(replaced.includes(id) ? `new ${id}` : `summary of ${id}`);
    }
    db.close();
  });

  it('rolls back everything of a failed import, blocks included', () => {
    const db = openVulnDb(':memory:');
    const cache = db.pragma('cache_size', { simple: true }) as number;
    importAll(db, [record('GHSA-keep-keep-keep', '2024-01-01T00:00:00Z')]);
    const session = beginImport(db, 'osv', 'feed');
    for (let i = 0; i < 100; i++) session.put(record(`GHSA-gone-gone-${String(i).padStart(4, '0')}`, '2024-01-01T00:00:00Z'));
    session.rollback();
    expect(storeStatus(db)).toMatchObject({ advisories: 1, affectedRows: 1 });
    expect(blockCount(db)).toBe(1);
    expect(db.pragma('cache_size', { simple: true })).toBe(cache);
    db.close();
  });

  it('indexes each affected package with its data digest, and db query gets the whole entry back', () => {
    const db = openVulnDb(':memory:');
    importAll(db, [
      record('GHSA-pypi-pypi-pypi', '2024-01-01T00:00:00Z', { affected: [{ package: { ecosystem: 'PyPI', name: 'PyYAML' }, versions: ['5.1', '5.2'] }] }),
      record('DEBIAN-CVE-2024-0001', '2024-01-01T00:00:00Z', {
        affected: [{ package: { ecosystem: 'Debian:bookworm', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], database_specific: { runwarden_status: 'will_not_fix', urgency: 'low' } }],
      }),
    ]);
    expect(candidateRows(db, 'PyPI', 'pyyaml').map((r) => [r.release, JSON.parse(r.data) as unknown])).toEqual([['', { ecosystem: 'PyPI', package: 'PyYAML', versions: ['5.1', '5.2'] }]]);
    const [debian] = candidateRows(db, 'Debian', 'zlib');
    expect(debian?.release).toBe('12');
    expect(JSON.parse(debian?.data ?? '')).toEqual({ ecosystem: 'Debian:bookworm', package: 'zlib', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], status: 'will_not_fix', urgency: 'low' });
    const prepared = prepareAdvisory(record('GHSA-pypi-pypi-pypi', '2024-01-01T00:00:00Z', { affected: [{ package: { ecosystem: 'PyPI', name: 'PyYAML' }, versions: ['5.1', '5.2'] }] }));
    expect(prepared.affected).toEqual([['PyPI', 'pyyaml', '', 0, '{"package":"PyYAML","versions":["5.1","5.2"]}']]);
    expect(dataDigest('{}')).toMatch(/^[A-Za-z0-9_-]{16}$/);
    db.close();
  });

  it('leaves the page cache as it was after matching, and the file memory-mapped for the next call', () => {
    const db = openVulnDb(join(mkdtempSync(join(tmpdir(), 'rw-vulndb-')), 'rw.db'));
    importAll(db, [record('GHSA-cach-cach-cach', '2024-01-01T00:00:00Z')]);
    db.pragma('cache_size = -4000');
    expect(db.pragma('mmap_size', { simple: true })).toBe(0);
    for (let call = 0; call < 2; call++) {
      expect(matchPackages(db, [{ ecosystem: 'npm', name: 'pkg-GHSA-cach-cach-cach', version: '1.0.0' }]).findings).toHaveLength(1);
      expect(db.pragma('cache_size', { simple: true })).toBe(-4000);
      expect(db.pragma('mmap_size', { simple: true })).toBe(256 * 1024 * 1024);
    }
    db.close();
  });
});

describe('migrations vuln-002-compact and vuln-003-clustered', () => {
  it('rebuilds the vuln-001 tables empty and forgets the feed ETags, so the next update downloads again', () => {
    const { path, old } = olderDatabase('rw-vuln002-', 'vuln-001-advisories');
    old.prepare("INSERT INTO vuln_advisories (source, id, modified, facts, feed, fetched_at, record) VALUES ('osv', 'GHSA-x', '2024-01-01T00:00:00Z', '{}', 'f', 't', x'00')").run();
    writeMeta(old, 'vulndb.feed.etag:https://example.test/all.zip', '"v1"');
    writeMeta(old, 'other.key', 'kept');
    old.close();
    const db = openVulnDb(path);
    expect(storeStatus(db)).toMatchObject({ advisories: 0, lastUpdate: null });
    expect(readMeta(db, 'vulndb.feed.etag:https://example.test/all.zip')).toBeUndefined();
    expect(readMeta(db, 'other.key')).toBe('kept');
    importAll(db, [record('GHSA-migr-migr-migr', '2024-01-01T00:00:00Z')]);
    expect(storeStatus(db).advisories).toBe(1);
    db.close();
  });

  it('empties a vuln-002 database (either shape of its matching rows) and forgets the feed ETags', () => {
    const { path, old } = olderDatabase('rw-vuln003-', 'vuln-002-compact');
    old.prepare("INSERT INTO vuln_imports (source, feed, fetched_at, started_at, finished_at) VALUES ('osv', 'f', 't', 't', 't')").run();
    old.prepare("INSERT INTO vuln_advisories (source, id, modified, import_id, head, block, slot) VALUES ('osv', 'GHSA-x', '2024-01-01T00:00:00Z', 1, '{}', 1, 0)").run();
    old.prepare("INSERT INTO vuln_affected (ecosystem, name, release, advisory, entry, digest, data) VALUES ('npm', 'x', '', 1, 0, 'd', '{}')").run();
    writeMeta(old, 'vulndb.feed.etag:https://example.test/all.zip', '"v1"');
    old.close();
    const db = openVulnDb(path);
    expect(storeStatus(db)).toMatchObject({ advisories: 0, affectedRows: 0, lastUpdate: null });
    expect(readMeta(db, 'vulndb.feed.etag:https://example.test/all.zip')).toBeUndefined();
    importAll(db, [record('GHSA-migr-migr-migr', '2024-01-01T00:00:00Z')]);
    expect(candidateRows(db, 'npm', 'pkg-GHSA-migr-migr-migr')).toHaveLength(1);
    db.close();
  });
});

const entryCount = (db: Db): number => db.prepare<[], number>('SELECT count(*) FROM vuln_entries').pluck(true).get() ?? 0;

describe('shared matching entries', () => {
  const fixedAt = (version: string) => ({ ranges: [{ type: 'SEMVER' as const, events: [{ introduced: '0' }, { fixed: version }] }] });
  const rec = (id: string, modified: string, version: string): OsvRecord => record(id, modified, { affected: [{ package: { ecosystem: 'npm', name: `pkg-${id}` }, ...fixedAt(version) }] });

  it('stores identical entries once, keeps them while a row uses them, and drops them when none does', () => {
    const db = openVulnDb(':memory:');
    importAll(db, [rec('GHSA-aaaa-aaaa-aaaa', '2024-01-01T00:00:00Z', '1.3.0'), rec('GHSA-bbbb-bbbb-bbbb', '2024-01-01T00:00:00Z', '1.3.0')]);
    expect(storeStatus(db).affectedRows).toBe(2);
    expect(entryCount(db)).toBe(1);
    // a has a new fix: its new entry is stored, the old one stays (b uses it)
    importAll(db, [rec('GHSA-aaaa-aaaa-aaaa', '2024-02-01T00:00:00Z', '2.0.0')]);
    expect(entryCount(db)).toBe(2);
    // b now says the same as a: the old entry is used by nobody and goes
    importAll(db, [rec('GHSA-bbbb-bbbb-bbbb', '2024-02-01T00:00:00Z', '2.0.0')]);
    expect(entryCount(db)).toBe(1);
    const found = matchPackages(db, [
      { ecosystem: 'npm', name: 'pkg-GHSA-aaaa-aaaa-aaaa', version: '1.5.0' },
      { ecosystem: 'npm', name: 'pkg-GHSA-bbbb-bbbb-bbbb', version: '1.5.0' },
      { ecosystem: 'npm', name: 'pkg-GHSA-bbbb-bbbb-bbbb', version: '2.0.0' },
    ]).findings;
    expect(found.map((f) => [(f.evidence['package'] as { name: string }).name, f.evidence['fixedVersions']])).toEqual([
      ['pkg-GHSA-aaaa-aaaa-aaaa', ['2.0.0']],
      ['pkg-GHSA-bbbb-bbbb-bbbb', ['2.0.0']],
    ]);
    db.close();
  });

  it('packs a batch in columns with each repeated text once, and unpacks it to the same prepared records', () => {
    const records = [
      rec('GHSA-aaaa-aaaa-aaaa', '2024-01-01T00:00:00Z', '1.3.0'),
      rec('GHSA-bbbb-bbbb-bbbb', '2024-01-01T00:00:00Z', '1.3.0'),
      record('GHSA-cccc-cccc-cccc', '2024-01-01T00:00:00Z', { aliases: ['CVE-2024-1', 'GHSA-cccc-cccc-cccc', 'CVE-2024-1', 'CVE-2024-2'], withdrawn: '2024-02-01T00:00:00Z' }),
    ];
    const prepared = records.map((r) => prepareAdvisory(r));
    expect(prepared[2]?.aliases).toEqual(['CVE-2024-1', 'CVE-2024-2']);
    const batch = packBatch(prepared);
    expect(batch.ids).toEqual(['GHSA-aaaa-aaaa-aaaa', 'GHSA-bbbb-bbbb-bbbb', 'GHSA-cccc-cccc-cccc']);
    expect(batch.aliasEnd).toEqual([0, 0, 2]);
    // two rows with the same ecosystem, release key ('') and matching data: three strings, not six
    expect(batch.affectedEnd).toEqual([1, 2, 2]);
    expect(batch.strings).toHaveLength(3);
    expect(batch.rowData[0]).toBe(batch.rowData[1]);
    expect(unpackBatch(batch)).toEqual(prepared);
  });

  it('stores a batch packed elsewhere: unchanged records leave no block behind, a repeated id keeps the newer copy', () => {
    const db = openVulnDb(':memory:');
    const first = [rec('GHSA-aaaa-aaaa-aaaa', '2024-01-01T00:00:00Z', '1.3.0'), rec('GHSA-bbbb-bbbb-bbbb', '2024-01-01T00:00:00Z', '1.3.0')];
    let session = beginImport(db, 'osv', 'feed');
    session.putBatch(packBatch(first.map((r) => prepareAdvisory(r))));
    expect(session.commit()).toMatchObject({ added: 2 });
    expect(blockCount(db)).toBe(1);
    // the same records again: nothing stored, no block written
    session = beginImport(db, 'osv', 'feed');
    session.putBatch(packBatch(first.map((r) => prepareAdvisory(r))));
    expect(session.commit()).toMatchObject({ added: 0, unchanged: 2 });
    expect(blockCount(db)).toBe(1);
    // one record twice in one batch, the second newer; and one unchanged record
    session = beginImport(db, 'osv', 'feed');
    session.putBatch(packBatch([rec('GHSA-cccc-cccc-cccc', '2024-01-01T00:00:00Z', '1.0.0'), rec('GHSA-cccc-cccc-cccc', '2024-03-01T00:00:00Z', '3.0.0'), first[0] as OsvRecord].map((r) => prepareAdvisory(r))));
    expect(session.commit()).toMatchObject({ added: 1, updated: 1, unchanged: 1 });
    const [c] = advisoriesById(db, 'GHSA-cccc-cccc-cccc');
    expect(c?.modified).toBe('2024-03-01T00:00:00Z');
    expect(c?.record.affected?.[0]?.ranges?.[0]?.events).toEqual([{ introduced: '0' }, { fixed: '3.0.0' }]);
    expect(advisoriesById(db, 'GHSA-aaaa-aaaa-aaaa')[0]?.record.id).toBe('GHSA-aaaa-aaaa-aaaa');
    // the batch's block kept one live record of three: repacked at commit
    const live = db.prepare<[], { slots: number; live: number }>('SELECT slots, live FROM vuln_records ORDER BY rowid').all();
    expect(live.every((b) => b.live * 2 > b.slots)).toBe(true);
    db.close();
  });
});

describe('migration vuln-004-shared-entries', () => {
  function vuln003Database(): string {
    const { path, old } = olderDatabase('rw-vuln004-', 'vuln-003-clustered');
    old.prepare("INSERT INTO vuln_imports (source, feed, fetched_at, started_at, finished_at) VALUES ('osv', 'f', '2026-01-01T00:00:00Z', 't', 't')").run();
    const a = record('GHSA-aaaa-aaaa-aaaa', '2024-01-01T00:00:00Z');
    const b = record('GHSA-bbbb-bbbb-bbbb', '2024-01-01T00:00:00Z');
    old.prepare('INSERT INTO vuln_records (rowid, data, slots, live) VALUES (1, ?, 2, 2)').run(packBlock([JSON.stringify(a), JSON.stringify(b)]));
    const data = '{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]}';
    [a, b].forEach((r, i) => {
      old.prepare("INSERT INTO vuln_advisories (rowid, source, id, modified, import_id, head, block, slot) VALUES (?, 'osv', ?, ?, 1, '{}', 1, ?)").run(i + 1, r.id, r.modified, i);
      // vuln-003: one entry per affected row (its rowid is the row's seq), with the digest on the row
      old.prepare('INSERT INTO vuln_entries (rowid, data) VALUES (?, ?)').run(i + 1, data);
      old.prepare("INSERT INTO vuln_affected (ecosystem, name, release, seq, advisory, entry, digest) VALUES ('npm', ?, '', ?, ?, 0, ?)").run(nameKey('npm', `pkg-${r.id}`), i + 1, i + 1, dataDigest(data));
    });
    writeMeta(old, 'vulndb.feed.etag:https://example.test/all.zip', '"v1"');
    old.close();
    return path;
  }

  it('upgrades an older layout in place when it is opened read-only (a scan after an upgrade just works)', () => {
    const path = vuln003Database();
    const db = openVulnDb(path, { readonly: true });
    expect(db.readonly).toBe(true);
    expect(entryCount(db)).toBe(1);
    expect(storeStatus(db)).toMatchObject({ advisories: 2, affectedRows: 2 });
    db.close();
  });

  it('names the file and the fix when an older layout cannot be upgraded (another process holds the write lock)', () => {
    const path = vuln003Database();
    const other = openDatabase(path, { migrations: [] });
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(() => openVulnDb(path, { readonly: true })).toThrow(new RegExp(`^Database "${path}" holds advisories in an older layout and cannot be upgraded: .*locked`));
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  }, 20_000);

  it('converts a vuln-003 database in place: entries stored once, rows pointing at them, nothing to re-import', () => {
    const path = vuln003Database();
    const db = openVulnDb(path);
    expect(entryCount(db)).toBe(1);
    expect(storeStatus(db)).toMatchObject({ advisories: 2, affectedRows: 2 });
    // vuln-004 keeps the feeds' ETags; vuln-007, applied after it, drops them so the next update re-reads the feeds
    expect(readMeta(db, 'vulndb.feed.etag:https://example.test/all.zip')).toBeUndefined();
    expect(candidateRows(db, 'npm', 'pkg-GHSA-bbbb-bbbb-bbbb').map((r) => JSON.parse(r.data) as unknown)).toEqual([
      { ecosystem: 'npm', package: nameKey('npm', 'pkg-GHSA-bbbb-bbbb-bbbb'), ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] },
    ]);
    expect(matchPackages(db, [{ ecosystem: 'npm', name: 'pkg-GHSA-aaaa-aaaa-aaaa', version: '1.0.0' }]).findings.map((f) => f.evidence['vulnerability'])).toEqual(['GHSA-aaaa-aaaa-aaaa']);
    // later imports go on from the converted rows
    importAll(db, [record('GHSA-cccc-cccc-cccc', '2024-01-01T00:00:00Z')]);
    expect(entryCount(db)).toBe(1);
    expect(storeStatus(db).affectedRows).toBe(3);
    db.close();
    expect(openVulnDb(path, { readonly: true }).close()).toBeDefined();
  });
});

describe('migration vuln-005-match-texts', () => {
  it('puts each advisory id into its head and gives every affected row its ref text; matching gives the same findings', () => {
    const { path, old } = olderDatabase('rw-vuln005-', 'vuln-004-shared-entries');
    old.prepare("INSERT INTO vuln_imports (source, feed, fetched_at, started_at, finished_at) VALUES ('osv', 'f', '2026-01-01T00:00:00Z', 't', 't')").run();
    const data = '{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]}';
    old.prepare('INSERT INTO vuln_entries (rowid, digest, data) VALUES (1, ?, ?)').run(dataDigest(data), data);
    // heads as vuln-004 wrote them: without the id; one of them empty, one with a quote in its id
    const heads: Array<[string, string]> = [
      ['GHSA-aaaa-aaaa-aaaa', '{"summary":"a \\"quoted\\" summary","aliases":["CVE-2024-1"]}'],
      ['GHSA-bbbb-bbbb-bbbb', '{}'],
      ['ODD-"ID"', '{"summary":"odd"}'],
    ];
    const records = heads.map(([id]) => record(id, '2024-01-01T00:00:00Z'));
    old.prepare('INSERT INTO vuln_records (rowid, data, slots, live) VALUES (1, ?, 3, 3)').run(packBlock(records.map((r) => JSON.stringify(r))));
    heads.forEach(([id, head], i) => {
      old.prepare("INSERT INTO vuln_advisories (rowid, source, id, modified, import_id, head, block, slot) VALUES (?, 'osv', ?, '2024-01-01T00:00:00Z', 1, ?, 1, ?)").run(i + 1, id, head, i);
      old.prepare("INSERT INTO vuln_affected (ecosystem, name, release, seq, advisory, entry, data) VALUES ('npm', 'shared', '', ?, ?, 0, 1)").run(i + 1, i + 1);
    });
    old.close();
    const db = openVulnDb(path);
    const converted = db.prepare('SELECT id, head FROM vuln_advisories ORDER BY rowid').all() as Array<{ id: string; head: string }>;
    expect(converted.map((r) => JSON.parse(r.head) as unknown)).toEqual([
      { id: 'GHSA-aaaa-aaaa-aaaa', summary: 'a "quoted" summary', aliases: ['CVE-2024-1'] },
      { id: 'GHSA-bbbb-bbbb-bbbb' },
      { id: 'ODD-"ID"', summary: 'odd' },
    ]);
    expect(db.prepare('SELECT ref FROM vuln_affected ORDER BY seq').pluck(true).all()).toEqual(['1,0,1', '2,0,1', '3,0,1']);
    const findings = matchPackages(db, [{ ecosystem: 'npm', name: 'shared', version: '1.0.0' }]).findings;
    expect(findings.map((f) => [f.evidence['vulnerability'], f.evidence['ids'], f.evidence['summary']])).toEqual([
      ['CVE-2024-1', ['CVE-2024-1', 'GHSA-aaaa-aaaa-aaaa'], 'a "quoted" summary'],
      ['GHSA-bbbb-bbbb-bbbb', ['GHSA-bbbb-bbbb-bbbb'], undefined],
      ['ODD-"ID"', ['ODD-"ID"'], 'odd'],
    ]);
    // rows written after the conversion get their ref too
    importAll(db, [record('GHSA-cccc-cccc-cccc', '2024-01-01T00:00:00Z')]);
    expect(db.prepare("SELECT ref FROM vuln_affected WHERE name = ?").pluck(true).get(nameKey('npm', 'pkg-GHSA-cccc-cccc-cccc'))).toBe('4,0,1');
    db.close();
  });
});

/** Affected rows of one package name under each (ecosystem, release), as an older build stored them (seq in list order). */
function seedReleases(old: Db, releases: ReadonlyArray<[string, string]>, name: string): void {
  const insert = old.prepare('INSERT INTO vuln_affected (ecosystem, name, release, seq, advisory, entry, data) VALUES (?, ?, ?, ?, 1, 0, 1)');
  releases.forEach(([ecosystem, release], i) => insert.run(ecosystem, name, release, i + 1));
}

describe('migration vuln-006-red-hat-main-streams', () => {
  it('re-keys the rows of Red Hat\'s main streams by major release, as an import now keys them, and leaves every other key alone', () => {
    const { path, old } = olderDatabase('rw-vuln006-', 'vuln-005-match-texts');
    const releases: Array<[string, string]> = [
      ['Red Hat', 'enterprise_linux:9::appstream'],
      ['Red Hat', 'enterprise_linux:8::baseos'],
      ['Red Hat', 'enterprise_linux:9.2::crb'],
      ['Red Hat', 'rhel_eus:9.2::baseos'],
      ['Red Hat', 'enterprise_linux:9::Weird-Repo'],
      ['Red Hat', 'enterprise_linux:x9::appstream'],
      ['Red Hat', 'enterprise_linux:9.2.1::baseos'],
      ['Debian', 'enterprise_linux:9::appstream'],
    ];
    seedReleases(old, releases, 'openssl');
    old.close();
    const db = openVulnDb(path);
    const after = db.prepare('SELECT release FROM vuln_affected ORDER BY seq').pluck(true).all() as string[];
    // the same keys advisoryReleaseKey gives
    expect(after).toEqual(releases.map(([ecosystem, release]) => advisoryReleaseKey(ecosystem, release)));
    expect(after).toEqual(['9', '8', '9', 'rhel_eus:9.2::baseos', 'enterprise_linux:9::Weird-Repo', 'enterprise_linux:x9::appstream', 'enterprise_linux:9.2.1::baseos', 'enterprise_linux:9::appstream']);
    db.close();
  });
});

describe('migration vuln-008-suse-service-packs', () => {
  it('re-keys SUSE\'s rows by service pack, as an import now keys them, and leaves every other key alone; a read-only opener upgrades', () => {
    const { path, old } = olderDatabase('rw-vuln008-', 'vuln-007-upstream-heads');
    const releases: Array<[string, string]> = [
      ['SUSE', 'Linux Enterprise Module for Basesystem 15 SP5'],
      ['SUSE', 'Linux Enterprise Server 15 SP4-LTSS'],
      ['SUSE', 'Linux Enterprise Micro 5.5'],
      ['SUSE', 'Linux Enterprise Module for Basesystem 15 SP5'],
      ['openSUSE', 'Leap 15.5'],
      ['Red Hat', '9'],
    ];
    seedReleases(old, releases, 'openssl-3');
    old.close();
    openVulnDb(path, { readonly: true }).close();
    const db = openVulnDb(path, { readonly: true });
    const after = db.prepare('SELECT release FROM vuln_affected ORDER BY seq').pluck(true).all() as string[];
    expect(after).toEqual(releases.map(([ecosystem, release]) => (ecosystem === 'SUSE' ? advisoryReleaseKey(ecosystem, release) : release)));
    expect(after).toEqual(['15.5', '15.4', 'Linux Enterprise Micro 5.5', '15.5', 'Leap 15.5', '9']);
    db.close();
  });
});

describe('migration vuln-007-upstream-heads', () => {
  it('makes the next import of each OSV feed rewrite its advisories, so their heads gain the upstream ids', () => {
    const { path, old } = olderDatabase('rw-vuln007-', 'vuln-006-red-hat-main-streams');
    // as an older build stored it: the record's upstream ids were not in the head
    const derived = record('DEBIAN-CVE-2024-1111', '2024-07-01T00:00:00Z');
    importAll(old, [derived]);
    const tracker = beginImport(old, 'debian-tracker', 'tracker', new Date('2026-01-01T00:00:00Z'));
    tracker.put(record('CVE-2024-2222', '2024-07-01T00:00:00Z'));
    tracker.commit();
    writeMeta(old, 'vulndb.feed.etag:https://example.test/Debian/all.zip', '"v1"');
    old.close();

    const db = openVulnDb(path);
    const modified = db.prepare<[], [string, string]>('SELECT id, modified FROM vuln_advisories ORDER BY id').raw(true).all();
    // OSV advisories read as older than any feed's copy; other sources' are left alone
    expect(modified).toEqual([['CVE-2024-2222', '2024-07-01T00:00:00Z'], ['DEBIAN-CVE-2024-1111', '1970-01-01T00:00:00Z']]);
    expect(readMeta(db, 'vulndb.feed.etag:https://example.test/Debian/all.zip')).toBeUndefined();
    // the feed's next import rewrites the record, and its finding is named by its CVE
    const session = beginImport(db, 'osv', 'test-feed', new Date('2026-01-02T00:00:00Z'));
    expect(session.put({ ...derived, upstream: ['CVE-2024-1111'] })).toBe('updated');
    session.commit();
    const findings = matchPackages(db, [{ ecosystem: 'npm', name: 'pkg-DEBIAN-CVE-2024-1111', version: '1.0.0' }]).findings;
    expect(findings.map((f) => f.evidence['ids'])).toEqual([['CVE-2024-1111', 'DEBIAN-CVE-2024-1111']]);
    db.close();
  });
});
