/**
 * The advisory store: tables `vuln_*` of the embedded SQLite database (migration `vuln-001-advisories` in
 * src/store/migrations.ts). One row per (source, id) keeps the whole normalised OSV record (deflated JSON,
 * for `db show` and findings), and one row per affected package keeps what matching needs (ranges,
 * versions, distro status) under an index on (ecosystem, name, release).
 *
 * Imports are atomic: `beginImport` opens one write transaction that `commit` ends, and any failure (or a
 * killed process) rolls it back, so readers always see the previous complete database.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Database from 'better-sqlite3';
import { errorMessage } from '../../core/errors.js';
import { DbError, openDatabase, type Db } from '../../store/db.js';
import type { OsvAffected, OsvRecord } from '../schema.js';
import { advisoryReleaseKey, nameKey, splitEcosystem } from './keys.js';

export type { Db } from '../../store/db.js';
export { DbError } from '../../store/db.js';

export const SOURCE_IDS = ['osv', 'debian-tracker', 'alpine-secdb'] as const;
export type SourceId = (typeof SOURCE_IDS)[number];

/** Open (creating and migrating) the database that holds the advisory tables. */
export function openVulnDb(path: string, options: { readonly?: boolean } = {}): Db {
  const db = openDatabase(path, options.readonly === true ? { readonly: true } : {});
  if (options.readonly === true) {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'vuln_advisories'").get();
    if (table === undefined) {
      db.close();
      throw new DbError(`Database "${path}" has no vulnerability tables`, { hint: 'Run "runwarden db import <path|url>" or "runwarden db update" first.' });
    }
  }
  return db;
}

/** What matching reads from an affected row (`data` column). */
export interface AffectedData {
  /** The entry's OSV ecosystem with suffix ("Debian:12") and package name as the advisory writes them. */
  ecosystem?: string;
  package?: string;
  /** OSV ranges of this affected entry. */
  ranges?: OsvAffected['ranges'];
  /** Explicit affected versions. */
  versions?: string[];
  /** Distro status (debian-tracker, alpine-secdb): see vulndb/sources/*\/readme.md. */
  status?: DistroStatus;
  /** Debian tracker urgency / source severity label. */
  urgency?: string;
  /** Free-text note the source attached (no-dsa reason, pending fix). */
  note?: string;
}

/** Fix state a distro feed states for a (package, release): Trivy's vocabulary for the same tracker statuses. */
export const DISTRO_STATUSES = ['fixed', 'affected', 'will_not_fix', 'fix_deferred', 'end_of_life', 'undetermined'] as const;
export type DistroStatus = (typeof DISTRO_STATUSES)[number];

export type PutOutcome = 'added' | 'updated' | 'unchanged' | 'withdrawn';

export interface ImportCounts {
  added: number;
  updated: number;
  unchanged: number;
  withdrawn: number;
  retired: number;
  rejected: number;
  issues: number;
}

export interface ImportSession {
  readonly source: SourceId;
  readonly feed: string;
  /** Insert or replace one advisory (skipped when the stored copy is as new: incremental by `modified`). */
  put(record: OsvRecord, scope?: string): PutOutcome;
  /** After a complete snapshot of `scope`: delete this source's advisories of that scope not seen in this import. */
  retireMissing(scope: string): number;
  readonly counts: ImportCounts;
  commit(): ImportCounts;
  rollback(): void;
}

/**
 * The stored copy of a record: ranges and versions of entries that have an affected row live only in that
 * row (`data`), so the long PyPI version lists are not stored twice; `restore` puts them back.
 */
function deflate(record: OsvRecord): Buffer {
  const stripped = record.withdrawn !== undefined || record.affected === undefined || record.affected === null
    ? record
    : { ...record, affected: record.affected.map((a) => (a.package === undefined ? a : { ...a, ranges: undefined, versions: undefined })) };
  return deflateRawSync(Buffer.from(JSON.stringify(stripped)), { level: 1 });
}

/** Facts the matcher needs per advisory, kept uncompressed next to the record. */
export interface AdvisoryFacts {
  aliases?: string[];
  related?: string[];
  severity?: OsvRecord['severity'];
  /** database_specific.severity (GHSA's label). */
  label?: string;
  /** affected[i].severity by entry index, when entries carry their own. */
  entrySeverity?: Record<number, NonNullable<OsvAffected['severity']>>;
}

function factsOf(record: OsvRecord): string {
  const facts: AdvisoryFacts = {};
  if (record.aliases !== undefined && record.aliases !== null && record.aliases.length > 0) facts.aliases = record.aliases;
  if (record.related !== undefined && record.related.length > 0) facts.related = record.related;
  if (record.severity !== undefined && record.severity !== null && record.severity.length > 0) facts.severity = record.severity;
  const label = record.database_specific?.['severity'];
  if (typeof label === 'string') facts.label = label;
  (record.affected ?? []).forEach((a, i) => {
    if (a.severity !== undefined && a.severity !== null && a.severity.length > 0) (facts.entrySeverity ??= {})[i] = a.severity;
  });
  return JSON.stringify(facts);
}

/** The matcher's view of an advisory: identity and facts, no record to inflate. */
export interface AdvisoryHead {
  rowid: number;
  source: SourceId;
  id: string;
  withdrawn: string | null;
  summary: string | null;
  feed: string;
  facts: AdvisoryFacts;
}

const headStatements = new WeakMap<Db, Database.Statement<[number], Omit<AdvisoryHead, 'facts'> & { facts: string }>>();

export function advisoryHead(db: Db, rowid: number): AdvisoryHead | undefined {
  let stmt = headStatements.get(db);
  if (stmt === undefined) {
    stmt = db.prepare<[number], Omit<AdvisoryHead, 'facts'> & { facts: string }>('SELECT rowid, source, id, withdrawn, summary, feed, facts FROM vuln_advisories WHERE rowid = ?');
    headStatements.set(db, stmt);
  }
  const row = stmt.get(rowid);
  return row === undefined ? undefined : { ...row, facts: JSON.parse(row.facts) as AdvisoryFacts };
}

export function inflateRecord(blob: Buffer): OsvRecord {
  return JSON.parse(inflateRawSync(blob).toString('utf8')) as OsvRecord;
}

function restore(db: Db, rowid: number, record: OsvRecord): OsvRecord {
  if (record.withdrawn !== undefined || record.affected === undefined || record.affected === null) return record;
  const rows = db.prepare<[number], { entry: number; data: string }>('SELECT entry, data FROM vuln_affected WHERE advisory = ?').all(rowid);
  for (const row of rows) {
    const entry = record.affected[row.entry];
    if (entry === undefined) continue;
    const data = JSON.parse(row.data) as AffectedData;
    if (data.ranges !== undefined) entry.ranges = data.ranges;
    if (data.versions !== undefined) entry.versions = data.versions;
  }
  return record;
}

function timeOf(value: string | undefined | null): number {
  if (value === undefined || value === null) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(value);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/** The matching data of one affected entry: only what range evaluation needs, compact. */
export function affectedData(entry: OsvAffected): AffectedData {
  const data: AffectedData = {};
  if (entry.package !== undefined) {
    data.ecosystem = entry.package.ecosystem;
    data.package = entry.package.name;
  }
  if (entry.ranges !== undefined && entry.ranges.length > 0) data.ranges = entry.ranges.map((r) => ({ type: r.type, events: r.events, ...(r.repo === undefined ? {} : { repo: r.repo }) }));
  if (entry.versions !== undefined && entry.versions.length > 0) data.versions = entry.versions;
  const ds = entry.database_specific;
  if (ds !== undefined) {
    const status = ds['runwarden_status'];
    if (typeof status === 'string' && (DISTRO_STATUSES as readonly string[]).includes(status)) data.status = status as DistroStatus;
    const urgency = ds['urgency'];
    if (typeof urgency === 'string') data.urgency = urgency;
    const note = ds['note'];
    if (typeof note === 'string') data.note = note;
  }
  return data;
}

/** Start one atomic import. Throws DbError when another writer holds the database. */
export function beginImport(db: Db, source: SourceId, feed: string, now: Date = new Date()): ImportSession {
  const fetchedAt = now.toISOString();
  const startedAt = new Date().toISOString();
  const findExisting = db.prepare<[string, string], { rowid: number; modified: string; withdrawn: string | null }>('SELECT rowid, modified, withdrawn FROM vuln_advisories WHERE source = ? AND id = ?');
  const insertAdvisory = db.prepare(
    'INSERT INTO vuln_advisories (source, id, modified, published, withdrawn, summary, facts, feed, scope, fetched_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const updateAdvisory = db.prepare('UPDATE vuln_advisories SET modified = ?, published = ?, withdrawn = ?, summary = ?, facts = ?, feed = ?, scope = ?, fetched_at = ?, record = ? WHERE rowid = ?');
  const touchScope = db.prepare('UPDATE vuln_advisories SET scope = ?, feed = ?, fetched_at = ? WHERE rowid = ?');
  const deleteAffected = db.prepare('DELETE FROM vuln_affected WHERE advisory = ?');
  const deleteAliases = db.prepare('DELETE FROM vuln_aliases WHERE advisory = ?');
  const insertAlias = db.prepare('INSERT OR IGNORE INTO vuln_aliases (alias, advisory) VALUES (?, ?)');
  const insertAffected = db.prepare('INSERT INTO vuln_affected (ecosystem, name, release, advisory, entry, data) VALUES (?, ?, ?, ?, ?, ?)');
  const seen = new Set<number>();
  const counts: ImportCounts = { added: 0, updated: 0, unchanged: 0, withdrawn: 0, retired: 0, rejected: 0, issues: 0 };
  // One transaction holds the whole import: give SQLite a page cache that fits the index B-trees (256 MiB).
  db.pragma('cache_size = -262144');
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    throw new DbError(`Cannot start an import: ${errorMessage(error)}`, { hint: 'Another runwarden process may be importing into the same --db; wait for it to finish.', cause: error });
  }
  let open = true;

  function writeRows(rowid: number, record: OsvRecord): void {
    for (const alias of new Set(record.aliases ?? [])) if (alias !== record.id) insertAlias.run(alias, rowid);
    if (record.withdrawn !== undefined) return;
    (record.affected ?? []).forEach((entry, index) => {
      if (entry.package === undefined) return;
      const { ecosystem, suffix } = splitEcosystem(entry.package.ecosystem);
      insertAffected.run(ecosystem, nameKey(ecosystem, entry.package.name), advisoryReleaseKey(ecosystem, suffix), rowid, index, JSON.stringify(affectedData(entry)));
    });
  }

  return {
    source,
    feed,
    counts,
    put(record, scope) {
      const existing = findExisting.get(source, record.id);
      const withdrawn = record.withdrawn ?? null;
      if (existing !== undefined) {
        seen.add(existing.rowid);
        if (timeOf(existing.modified) >= timeOf(record.modified) && (existing.withdrawn !== null) === (withdrawn !== null)) {
          if (scope !== undefined) touchScope.run(scope, feed, fetchedAt, existing.rowid);
          counts.unchanged++;
          return 'unchanged';
        }
        deleteAffected.run(existing.rowid);
        deleteAliases.run(existing.rowid);
        updateAdvisory.run(record.modified, record.published ?? null, withdrawn, record.summary ?? null, factsOf(record), feed, scope ?? null, fetchedAt, deflate(record), existing.rowid);
        writeRows(existing.rowid, record);
        if (withdrawn !== null) {
          counts.withdrawn++;
          return 'withdrawn';
        }
        counts.updated++;
        return 'updated';
      }
      const info = insertAdvisory.run(source, record.id, record.modified, record.published ?? null, withdrawn, record.summary ?? null, factsOf(record), feed, scope ?? null, fetchedAt, deflate(record));
      const rowid = Number(info.lastInsertRowid);
      seen.add(rowid);
      writeRows(rowid, record);
      if (withdrawn !== null) {
        counts.withdrawn++;
        return 'withdrawn';
      }
      counts.added++;
      return 'added';
    },
    retireMissing(scope) {
      const rows = db.prepare<[string, string], { rowid: number }>('SELECT rowid FROM vuln_advisories WHERE source = ? AND scope = ?').all(source, scope);
      const del = db.prepare('DELETE FROM vuln_advisories WHERE rowid = ?');
      let n = 0;
      for (const row of rows) {
        if (seen.has(row.rowid)) continue;
        del.run(row.rowid);
        n++;
      }
      counts.retired += n;
      return n;
    },
    commit() {
      if (!open) return counts;
      db.prepare(
        'INSERT INTO vuln_imports (source, feed, started_at, finished_at, added, updated, unchanged, withdrawn, retired, rejected, issues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(source, feed, startedAt, new Date().toISOString(), counts.added, counts.updated, counts.unchanged, counts.withdrawn, counts.retired, counts.rejected, counts.issues);
      db.exec('COMMIT');
      open = false;
      return counts;
    },
    rollback() {
      if (!open) return;
      open = false;
      if (db.inTransaction) db.exec('ROLLBACK');
    },
  };
}

/** One affected row joined with its advisory's identity. */
export interface CandidateRow {
  advisory: number;
  source: SourceId;
  id: string;
  release: string;
  entry: number;
  data: string;
}

/** Affected rows for one package name of an ecosystem, in every release (the matcher filters by release). */
const candidateStatements = new WeakMap<Db, Database.Statement<[string, string], CandidateRow>>();

export function candidateRows(db: Db, ecosystem: string, name: string): CandidateRow[] {
  let stmt = candidateStatements.get(db);
  if (stmt === undefined) {
    stmt = db.prepare<[string, string], CandidateRow>(
      'SELECT a.advisory AS advisory, v.source AS source, v.id AS id, a.release AS release, a.entry AS entry, a.data AS data FROM vuln_affected a JOIN vuln_advisories v ON v.rowid = a.advisory WHERE a.ecosystem = ? AND a.name = ?',
    );
    candidateStatements.set(db, stmt);
  }
  return stmt.all(ecosystem, nameKey(ecosystem, name));
}

export interface StoredAdvisory {
  rowid: number;
  source: SourceId;
  id: string;
  modified: string;
  withdrawn: string | null;
  feed: string;
  fetchedAt: string;
  record: OsvRecord;
}

interface AdvisoryRow {
  rowid: number;
  source: SourceId;
  id: string;
  modified: string;
  withdrawn: string | null;
  feed: string;
  fetched_at: string;
  record: Buffer;
}

function toStored(db: Db, row: AdvisoryRow): StoredAdvisory {
  return { rowid: row.rowid, source: row.source, id: row.id, modified: row.modified, withdrawn: row.withdrawn, feed: row.feed, fetchedAt: row.fetched_at, record: restore(db, row.rowid, inflateRecord(row.record)) };
}

const byRowidStatements = new WeakMap<Db, Database.Statement<[number], AdvisoryRow>>();

/**
 * Load an advisory by rowid (cached by the caller). `full: false` skips putting ranges and versions back
 * into the record (the matcher reads them from the affected rows).
 */
export function advisoryByRowid(db: Db, rowid: number, options: { full?: boolean } = {}): StoredAdvisory | undefined {
  let stmt = byRowidStatements.get(db);
  if (stmt === undefined) {
    stmt = db.prepare<[number], AdvisoryRow>('SELECT rowid, source, id, modified, withdrawn, feed, fetched_at, record FROM vuln_advisories WHERE rowid = ?');
    byRowidStatements.set(db, stmt);
  }
  const row = stmt.get(rowid);
  if (row === undefined) return undefined;
  if (options.full === false) return { rowid: row.rowid, source: row.source, id: row.id, modified: row.modified, withdrawn: row.withdrawn, feed: row.feed, fetchedAt: row.fetched_at, record: inflateRecord(row.record) };
  return toStored(db, row);
}

/** Every advisory whose id or one of whose aliases is `id` (case-insensitive for the usual upper-case ids). */
export function advisoriesById(db: Db, id: string): StoredAdvisory[] {
  const wanted = id.trim();
  const rows = db
    .prepare<[string, string, string, string], AdvisoryRow>(
      `SELECT rowid, source, id, modified, withdrawn, feed, fetched_at, record FROM vuln_advisories
       WHERE id = ? OR id = ? OR rowid IN (SELECT advisory FROM vuln_aliases WHERE alias = ? OR alias = ?)
       ORDER BY source, id`,
    )
    .all(wanted, wanted.toUpperCase(), wanted, wanted.toUpperCase());
  return rows.map((r) => toStored(db, r));
}

export interface StoreStatus {
  advisories: number;
  withdrawn: number;
  affectedRows: number;
  bySource: Array<{ source: SourceId; advisories: number; withdrawn: number; lastImport: string | null; feeds: number }>;
  byEcosystem: Array<{ source: SourceId; ecosystem: string; advisories: number; packages: number }>;
  /** Finish time of the latest import, any source. */
  lastUpdate: string | null;
  imports: Array<{ source: SourceId; feed: string; finishedAt: string; added: number; updated: number; unchanged: number; withdrawn: number; retired: number; rejected: number; issues: number }>;
}

export function storeStatus(db: Db): StoreStatus {
  const totals = db.prepare<[], { n: number; w: number }>('SELECT count(*) AS n, count(withdrawn) AS w FROM vuln_advisories').get() ?? { n: 0, w: 0 };
  const affected = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM vuln_affected').get() ?? { n: 0 };
  const bySource = db
    .prepare<[], { source: SourceId; advisories: number; withdrawn: number; feeds: number }>(
      'SELECT source, count(*) AS advisories, count(withdrawn) AS withdrawn, count(DISTINCT feed) AS feeds FROM vuln_advisories GROUP BY source ORDER BY source',
    )
    .all();
  const lastBySource = new Map(
    db.prepare<[], { source: SourceId; last: string }>('SELECT source, max(finished_at) AS last FROM vuln_imports GROUP BY source').all().map((r) => [r.source, r.last]),
  );
  const byEcosystem = db
    .prepare<[], { source: SourceId; ecosystem: string; advisories: number; packages: number }>(
      `SELECT v.source AS source, a.ecosystem AS ecosystem, count(DISTINCT a.advisory) AS advisories, count(DISTINCT a.name) AS packages
       FROM vuln_affected a JOIN vuln_advisories v ON v.rowid = a.advisory GROUP BY v.source, a.ecosystem ORDER BY v.source, a.ecosystem`,
    )
    .all();
  const last = db.prepare<[], { last: string | null }>('SELECT max(finished_at) AS last FROM vuln_imports').get();
  const imports = db
    .prepare<[], { source: SourceId; feed: string; finished_at: string; added: number; updated: number; unchanged: number; withdrawn: number; retired: number; rejected: number; issues: number }>(
      'SELECT source, feed, finished_at, added, updated, unchanged, withdrawn, retired, rejected, issues FROM vuln_imports ORDER BY rowid DESC LIMIT 10',
    )
    .all()
    .map((r) => ({ source: r.source, feed: r.feed, finishedAt: r.finished_at, added: r.added, updated: r.updated, unchanged: r.unchanged, withdrawn: r.withdrawn, retired: r.retired, rejected: r.rejected, issues: r.issues }));
  return {
    advisories: totals.n,
    withdrawn: totals.w,
    affectedRows: affected.n,
    bySource: bySource.map((s) => ({ ...s, lastImport: lastBySource.get(s.source) ?? null })),
    byEcosystem,
    lastUpdate: last?.last ?? null,
    imports,
  };
}

/** Ecosystems that have at least one affected row, for "unknown ecosystem" messages. */
export function knownEcosystems(db: Db): string[] {
  return db.prepare<[], { ecosystem: string }>('SELECT DISTINCT ecosystem FROM vuln_affected ORDER BY ecosystem').all().map((r) => r.ecosystem);
}

/** Small key/value state (feed ETags) in the shared `meta` table. */
export function readMeta(db: Db, key: string): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
}

export function writeMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}
