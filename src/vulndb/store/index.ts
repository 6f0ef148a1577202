/**
 * The advisory store: tables `vuln_*` of the embedded SQLite database (migrations `vuln-001-advisories`,
 * `vuln-002-compact`, `vuln-003-clustered` in src/store/migrations.ts).
 *
 * - `vuln_advisories`: one row per (source, id) with what findings need (`head`: the id again, summary,
 *   aliases, related ids, severity data; migration `vuln-005-match-texts`) and where the whole normalised
 *   record lives (`block`, `slot` of `vuln_records`, compressed blocks of 64 records: see blocks.ts). Feed
 *   and fetch time are stored once per import.
 * - `vuln_affected`: one row per affected package, clustered by (ecosystem, name, release), pointing at
 *   its matching data in `vuln_entries` (ranges, versions, distro status as compact JSON), which holds each
 *   distinct content once (by digest; migration `vuln-004-shared-entries`) and is read only for entries
 *   the matcher has not prepared yet. `ref` repeats the row's three integers as one text (a stored
 *   generated column, `vuln-005-match-texts`), which is what the matcher reads.
 * - `vuln_aliases`: alias → advisory, for `db show <alias>`.
 *
 * The matcher's reads (and `db query`'s) are in read.ts; this file writes.
 *
 * Imports are atomic: `beginImport` opens one write transaction that `commit` ends, and any failure (or a
 * killed process) rolls it back, so readers always see the previous complete database.
 */
import { z } from 'zod';
import { errorMessage } from '../../core/errors.js';
import { DbError, migrate, openDatabase, rollbackJournalFor, type Db } from '../../store/db.js';
import type { OsvRecord } from '../schema.js';
import { BlockWriter, unpackBlock, type BlockSlot } from './blocks.js';
import { byRelease } from './keys.js';
import { VULN_LATEST_MIGRATION, VULN_MIGRATIONS } from './migration.js';
import { dataDigest, prepareAdvisory, type PreparedAdvisory, type PreparedBatch, type StoredHead } from './prepare.js';

export type { Db } from '../../store/db.js';
export { DbError } from '../../store/db.js';
export { DISTRO_STATUSES, affectedData, dataDigest, expandData, prepareAdvisory } from './prepare.js';
export type { AdvisoryFacts, AffectedData, DistroStatus, PreparedAdvisory, PreparedAffected, PreparedBatch } from './prepare.js';
export { candidateRows } from './read.js';
export type { AdvisoryHead, CandidateRow } from './read.js';

export const SOURCE_IDS = ['osv', 'debian-tracker', 'alpine-secdb'] as const;
export type SourceId = (typeof SOURCE_IDS)[number];

/** Open (creating and migrating) the database that holds the advisory tables. */
export function openVulnDb(path: string, options: { readonly?: boolean } = {}): Db {
  const db = openDatabase(path, options.readonly === true ? { readonly: true } : {});
  if (options.readonly === true) {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'vuln_records'").get();
    if (table === undefined) {
      db.close();
      throw new DbError(`Database "${path}" has no vulnerability tables`, { hint: 'Run "runwarden db import <path|url>" or "runwarden db update" first.' });
    }
    const current = db.prepare<[string], number>('SELECT 1 FROM schema_migrations WHERE id = ?').pluck(true).get(VULN_LATEST_MIGRATION.id);
    if (current === undefined) {
      // An older layout: upgrade it in place once (a few seconds, in one transaction per migration), then read.
      db.close();
      try {
        openVulnDb(path).close();
      } catch (error) {
        throw new DbError(`Database "${path}" holds advisories in an older layout and cannot be upgraded: ${errorMessage(error)}`, {
          hint: `Run "runwarden db status --db ${path}" once as a user who can write the file (no re-import needed).`,
          cause: error,
        });
      }
      return openDatabase(path, { readonly: true });
    }
  } else {
    // store/migrations.ts lists these too; applied here as well so a database opened for advisories is current
    migrate(db, VULN_MIGRATIONS);
  }
  return db;
}

/**
 * Alias rows per INSERT statement. bench/vulndb writes ~336,000 alias rows; one statement per row cost
 * ~0.95 s of CPU, 32 rows per statement ~0.35 s (docs/PERFORMANCE.md, "Import (session 5)"). Affected rows
 * gained nothing from the same (their cost is the B-tree, not the statement).
 */
const ALIAS_ROWS = 32;

/** Distinct entry texts an import remembers (memory bound). */
const ENTRY_CACHE_LIMIT = 100_000;

/** `kept`: a partial record (put's `partial`) left the stored copy in place. */
export type PutOutcome = 'added' | 'updated' | 'unchanged' | 'withdrawn' | 'kept';

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
  /**
   * Insert or replace one advisory (skipped when the stored copy is as new: incremental by `modified`).
   * `partial`: the source could not read all of it (source.ts ParsedAdvisory): a stored copy is kept
   * (`kept`, counted unchanged) rather than replaced by less; with none stored yet it is stored.
   */
  put(record: OsvRecord, scope?: string, partial?: boolean): PutOutcome;
  /** Keep the stored copy of `id` (not retired by retireMissing) when the input named it but none of it could be read; whether there is one. */
  keep(id: string, scope?: string): boolean;
  /** `put` for a record prepared elsewhere (a worker thread: sources/osv/pool.ts). */
  putPrepared(prepared: PreparedAdvisory, scope?: string): PutOutcome;
  /**
   * Store a batch prepared and packed on a worker (its records already in compressed blocks: blocks.ts
   * packBatch). `before` runs before each record (abort checks, progress).
   */
  putBatch(batch: PreparedBatch, before?: () => void): void;
  /**
   * After a complete snapshot of `scope`: delete this source's advisories of that scope not seen in this
   * import. A snapshot that held none of the scope retires nothing: the stored ones are `kept` (a feed
   * answering `{}` or an empty secdb file is a broken mirror, not every advisory withdrawn at once).
   * `retire` false (part of the snapshot could not be read: source.ts incompleteScope): nothing is
   * deleted, and `kept` counts what would have been. `listed`: the scope's stored advisories this import saw.
   */
  retireMissing(scope: string, retire?: boolean): { retired: number; kept: number; listed: number };
  readonly counts: ImportCounts;
  /**
   * `complete` false: the input left out part of what the feed holds (a scope it held nothing of:
   * import.ts FEED_SCOPE_EMPTY), so it does not bring the feed up to date (feedUpdates) until a complete one does.
   */
  commit(complete?: boolean): ImportCounts;
  rollback(): void;
}

function timeOf(value: string | undefined | null): number {
  if (value === undefined || value === null) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(value);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

interface ExistingRow {
  rowid: number;
  modified: string;
  withdrawn: string | null;
  head: string;
  block: number;
}

/** Start one atomic import. Throws DbError when another writer holds the database. */
export function beginImport(db: Db, source: SourceId, feed: string, now: Date = new Date(), options: { shared?: boolean | undefined } = {}): ImportSession {
  const fetchedAt = now.toISOString();
  const startedAt = new Date().toISOString();
  const findExisting = db.prepare<[string, string], ExistingRow>('SELECT rowid, modified, withdrawn, head, block FROM vuln_advisories WHERE source = ? AND id = ?');
  const insertAdvisory = db.prepare<[string, string, string, string | null, string | null, number, string, number, number]>(
    'INSERT INTO vuln_advisories (source, id, modified, withdrawn, scope, import_id, head, block, slot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING',
  );
  const updateAdvisory = db.prepare<[string, string | null, string | null, number, string, number, number, number]>(
    'UPDATE vuln_advisories SET modified = ?, withdrawn = ?, scope = ?, import_id = ?, head = ?, block = ?, slot = ? WHERE rowid = ?',
  );
  const touchScope = db.prepare<[string, number, number]>('UPDATE vuln_advisories SET scope = ?, import_id = ? WHERE rowid = ?');
  const deleteAdvisory = db.prepare<[number]>('DELETE FROM vuln_advisories WHERE rowid = ?');
  const deleteAffected = db.prepare<[number]>('DELETE FROM vuln_affected WHERE advisory = ?');
  const deleteAlias = db.prepare<[string, number]>('DELETE FROM vuln_aliases WHERE alias = ? AND advisory = ?');
  const insertAlias = db.prepare<[string, number]>('INSERT OR IGNORE INTO vuln_aliases (alias, advisory) VALUES (?, ?)');
  const insertAliases = db.prepare<Array<string | number>>(`INSERT OR IGNORE INTO vuln_aliases (alias, advisory) VALUES ${Array.from({ length: ALIAS_ROWS }, () => '(?, ?)').join(', ')}`);
  const findEntry = db.prepare<[string], number>('SELECT rowid FROM vuln_entries WHERE digest = ?').pluck(true);
  const insertEntry = db.prepare<[string, string]>('INSERT INTO vuln_entries (digest, data) VALUES (?, ?)');
  const insertAffected = db.prepare<[string, string, string, number, number, number, number]>(
    'INSERT INTO vuln_affected (ecosystem, name, release, seq, advisory, entry, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertBlock = db.prepare<[number, Buffer, number, number]>('INSERT INTO vuln_records (rowid, data, slots, live) VALUES (?, ?, ?, ?)');
  const releaseSlot = db.prepare<[number]>('UPDATE vuln_records SET live = live - 1 WHERE rowid = ?');
  const seen = new Set<number>();
  /** Written blocks that lost a record in this import: dropped or repacked at commit. */
  const thinned = new Set<number>();
  const counts: ImportCounts = { added: 0, updated: 0, unchanged: 0, withdrawn: 0, retired: 0, rejected: 0, issues: 0 };
  // One transaction holds the whole import; a 64 MiB page cache keeps the index B-trees of a 200,000-record
  // import in memory (bench/vulndb) without holding the whole file.
  const previousCache = db.pragma('cache_size', { simple: true }) as number;
  // The first import into a database (no advisories of any source yet: nobody has any to read) writes its
  // pages once, through a rollback journal, instead of into the WAL and again at the checkpoint (db.ts) —
  // unless another process may open the file meanwhile (`shared`): in that mode it would wait for the whole import.
  const empty = db.prepare<[], number>('SELECT 1 FROM vuln_advisories LIMIT 1').pluck(true).get() === undefined;
  const restoreJournal = empty && options.shared !== true ? rollbackJournalFor(db) : undefined;
  const settle = (): void => {
    db.pragma(`cache_size = ${previousCache}`);
    restoreJournal?.();
  };
  db.pragma('cache_size = -65536');
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    settle();
    throw new DbError(`Cannot start an import: ${errorMessage(error)}`, { hint: 'Another runwarden process may be importing into the same --db; wait for it to finish.', cause: error });
  }
  let open = true;
  const importId = Number(db.prepare<[string, string, string, string]>('INSERT INTO vuln_imports (source, feed, fetched_at, started_at) VALUES (?, ?, ?, ?)').run(source, feed, fetchedAt, startedAt).lastInsertRowid);
  // Nothing of this source stored yet (a first import): insert straight away, look up only a repeated id.
  const fresh = db.prepare<[string], number>('SELECT 1 FROM vuln_advisories WHERE source = ? LIMIT 1').pluck(true).get(source) === undefined;
  const firstBlock = db.prepare<[], number>('SELECT coalesce(max(rowid), 0) + 1 FROM vuln_records').pluck(true).get() ?? 1;
  const writer = new BlockWriter(firstBlock, (id, data, slots, live) => insertBlock.run(id, data, slots, live));
  // affected rows of a package come back in insertion order: `seq` counts up across imports
  let nextSeq = db.prepare<[], number>('SELECT coalesce(max(seq), 0) + 1 FROM vuln_affected').pluck(true).get() ?? 1;
  /** Entry rowid by data text, for this import (the only writer): each distinct entry is digested and looked up once. */
  const entryIds = new Map<string, number>();
  /** Affected rows were deleted: entries nobody points at any more are dropped at commit. */
  let orphans = false;
  /** Blocks of the batch being stored (putBatch), not written yet: block id → live records so far. */
  const batchLive = new Map<number, number>();

  function release(block: number): void {
    if (writer.isPending(block)) {
      writer.release();
      return;
    }
    const live = batchLive.get(block);
    if (live !== undefined) {
      batchLive.set(block, live - 1);
      return;
    }
    releaseSlot.run(block);
    thinned.add(block);
  }

  /**
   * Alias rows not inserted yet, as (alias, advisory) pairs: written ALIAS_ROWS at a time by one statement,
   * and always before anything deletes aliases (removeRows) and at commit.
   */
  let pendingAliases: Array<string | number> = [];

  function addAlias(alias: string, rowid: number): void {
    pendingAliases.push(alias, rowid);
    if (pendingAliases.length === ALIAS_ROWS * 2) {
      insertAliases.run(...pendingAliases);
      pendingAliases = [];
    }
  }

  function flushAliases(): void {
    for (let i = 0; i < pendingAliases.length; i += 2) insertAlias.run(pendingAliases[i] as string, pendingAliases[i + 1] as number);
    pendingAliases = [];
  }

  function removeRows(rowid: number, head: string): void {
    flushAliases();
    deleteAffected.run(rowid);
    orphans = true;
    const stored = JSON.parse(head) as StoredHead;
    for (const alias of new Set([...(stored.aliases ?? []), ...(stored.upstream ?? [])])) deleteAlias.run(alias, rowid);
  }

  function entryId(data: string): number {
    let id = entryIds.get(data);
    if (id === undefined) {
      const digest = dataDigest(data);
      id = findEntry.get(digest) ?? Number(insertEntry.run(digest, data).lastInsertRowid);
      // bounded: past the limit an entry costs a digest and an index lookup again
      if (entryIds.size >= ENTRY_CACHE_LIMIT) entryIds.clear();
      entryIds.set(data, id);
    }
    return id;
  }

  function writeRows(rowid: number, prepared: PreparedAdvisory): void {
    for (const alias of prepared.aliases) addAlias(alias, rowid);
    for (const [ecosystem, name, release, entry, data] of prepared.affected) insertAffected.run(ecosystem, name, release, nextSeq++, rowid, entry, entryId(data));
  }

  /** What upsert stores for one advisory, prepared in this thread or in a worker's batch (putBatch). */
  interface Incoming {
    readonly head: string;
    /** Where the record's text goes. */
    place(): BlockSlot;
    /** The record just placed was not stored after all (its id came twice in one input). */
    unplace(at: BlockSlot): void;
    /** The advisory's aliases and affected rows. */
    writeRows(rowid: number): void;
  }

  function inThread(prepared: PreparedAdvisory): Incoming {
    return {
      head: prepared.head,
      place: () => writer.add(prepared.text),
      unplace: () => writer.release(),
      writeRows: (rowid) => writeRows(rowid, prepared),
    };
  }

  function outcome(withdrawn: string | null, otherwise: 'added' | 'updated'): PutOutcome {
    if (withdrawn !== null) {
      counts.withdrawn++;
      return 'withdrawn';
    }
    counts[otherwise]++;
    return otherwise;
  }

  /** The stored copy of `id`, if any, counts as seen in this import (so it is not retired) and stays as it is. */
  function keepStored(id: string, scope: string | undefined): boolean {
    const existing = findExisting.get(source, id);
    if (existing === undefined) return false;
    seen.add(existing.rowid);
    if (scope !== undefined) touchScope.run(scope, importId, existing.rowid);
    counts.unchanged++;
    return true;
  }

  /** Store one advisory; `prepare` runs only when something is written (an unchanged record costs one lookup). */
  function upsert(id: string, modified: string, withdrawn: string | null, scope: string | undefined, prepare: () => Incoming): PutOutcome {
    if (fresh) {
      const incoming = prepare();
      const at = incoming.place();
      const info = insertAdvisory.run(source, id, modified, withdrawn, scope ?? null, importId, incoming.head, at.block, at.slot);
      if (info.changes === 1) {
        const rowid = Number(info.lastInsertRowid);
        seen.add(rowid);
        incoming.writeRows(rowid);
        return outcome(withdrawn, 'added');
      }
      // the same id twice in one input: the copy stored a moment ago decides below
      incoming.unplace(at);
    }
    const existing = findExisting.get(source, id);
    if (existing !== undefined) {
      seen.add(existing.rowid);
      if (timeOf(existing.modified) >= timeOf(modified) && (existing.withdrawn !== null) === (withdrawn !== null)) {
        if (scope !== undefined) touchScope.run(scope, importId, existing.rowid);
        counts.unchanged++;
        return 'unchanged';
      }
      const incoming = prepare();
      removeRows(existing.rowid, existing.head);
      release(existing.block);
      const at = incoming.place();
      updateAdvisory.run(modified, withdrawn, scope ?? null, importId, incoming.head, at.block, at.slot, existing.rowid);
      incoming.writeRows(existing.rowid);
      return outcome(withdrawn, 'updated');
    }
    const incoming = prepare();
    const at = incoming.place();
    const rowid = Number(insertAdvisory.run(source, id, modified, withdrawn, scope ?? null, importId, incoming.head, at.block, at.slot).lastInsertRowid);
    seen.add(rowid);
    incoming.writeRows(rowid);
    return outcome(withdrawn, 'added');
  }

  /** Drop blocks no advisory uses any more, and rewrite those at most half used (records move to new blocks). */
  function compact(): void {
    writer.flush();
    if (thinned.size === 0) return;
    const state = db.prepare<[number], { slots: number; live: number }>('SELECT slots, live FROM vuln_records WHERE rowid = ?');
    const dropBlock = db.prepare<[number]>('DELETE FROM vuln_records WHERE rowid = ?');
    const sparse: number[] = [];
    for (const block of thinned) {
      const s = state.get(block);
      if (s === undefined) continue;
      if (s.live <= 0) dropBlock.run(block);
      else if (s.live * 2 <= s.slots) sparse.push(block);
    }
    thinned.clear();
    if (sparse.length === 0) return;
    const moveTo = db.prepare<[number, number, number]>('UPDATE vuln_advisories SET block = ?, slot = ? WHERE rowid = ?');
    const readBlock = db.prepare<[number], Buffer>('SELECT data FROM vuln_records WHERE rowid = ?').pluck(true);
    for (let i = 0; i < sparse.length; i += 500) {
      const chunk = sparse.slice(i, i + 500);
      const members = db
        .prepare<number[], { rowid: number; block: number; slot: number }>(`SELECT rowid, block, slot FROM vuln_advisories WHERE block IN (${chunk.map(() => '?').join(',')}) ORDER BY block, slot`)
        .all(...chunk);
      let texts: string[] = [];
      let current = -1;
      for (const m of members) {
        if (m.block !== current) {
          current = m.block;
          texts = unpackBlock(readBlock.get(m.block) ?? Buffer.alloc(0));
        }
        const text = texts[m.slot];
        if (text === undefined) throw new DbError(`Advisory record ${m.block}/${m.slot} is missing from its block`, { hint: 'The database is damaged; re-import the feeds into a new --db.' });
        const to = writer.add(text);
        moveTo.run(to.block, to.slot, m.rowid);
      }
      for (const block of chunk) dropBlock.run(block);
    }
    writer.flush();
  }

  return {
    source,
    feed,
    counts,
    put(record, scope, partial = false) {
      if (partial && keepStored(record.id, scope)) return 'kept';
      return upsert(record.id, record.modified, record.withdrawn ?? null, scope, () => inThread(prepareAdvisory(record)));
    },
    keep(id, scope) {
      return keepStored(id, scope);
    },
    putPrepared(prepared, scope) {
      return upsert(prepared.id, prepared.modified, prepared.withdrawn, scope, () => inThread(prepared));
    },
    putBatch(batch, before) {
      // block ids are taken when a block gets its first stored record; a block nobody is stored in is never written
      const ids: Array<number | undefined> = new Array<number | undefined>(batch.blocks.length);
      /** vuln_entries rowid of each of the batch's strings used as matching data, looked up once per batch. */
      const entries: Array<number | undefined> = new Array<number | undefined>(batch.strings.length);
      const text = (index: number | undefined): string => {
        const value = index === undefined ? undefined : batch.strings[index];
        if (value === undefined) throw new Error('internal: a prepared batch refers to a string it does not hold');
        return value;
      };
      // one cursor for the whole batch: upsert uses it synchronously, record by record
      let i = 0;
      const cursor: Incoming = {
        get head() {
          return batch.heads[i] ?? '';
        },
        place() {
          const index = batch.block[i] ?? -1;
          const slot = batch.slot[i] ?? -1;
          if (index < 0 || index >= ids.length) throw new Error(`internal: advisory ${batch.ids[i]} of a packed batch has no block`);
          let block = ids[index];
          if (block === undefined) {
            block = writer.reserve();
            ids[index] = block;
            batchLive.set(block, 0);
          }
          batchLive.set(block, (batchLive.get(block) ?? 0) + 1);
          return { block, slot };
        },
        unplace: (at) => release(at.block),
        writeRows(rowid) {
          for (let a = batch.aliasEnd[i - 1] ?? 0, end = batch.aliasEnd[i] ?? 0; a < end; a++) addAlias(batch.aliases[a] ?? '', rowid);
          for (let r = batch.affectedEnd[i - 1] ?? 0, end = batch.affectedEnd[i] ?? 0; r < end; r++) {
            const data = batch.rowData[r] ?? -1;
            let entry = entries[data];
            if (entry === undefined) {
              entry = entryId(text(data));
              entries[data] = entry;
            }
            insertAffected.run(text(batch.rowEcosystem[r]), batch.rowName[r] ?? '', text(batch.rowRelease[r]), nextSeq++, rowid, batch.rowEntry[r] ?? 0, entry);
          }
        },
      };
      const prepare = (): Incoming => cursor;
      // an error leaves the batch half stored: the caller rolls the import back
      for (i = 0; i < batch.ids.length; i++) {
        before?.();
        upsert(batch.ids[i] ?? '', batch.modified[i] ?? '', batch.withdrawn[i] ?? null, undefined, prepare);
      }
      for (let b = 0; b < ids.length; b++) {
        const block = ids[b];
        if (block === undefined) continue;
        const live = batchLive.get(block) ?? 0;
        batchLive.delete(block);
        const slots = batch.slots[b] ?? 0;
        const data = batch.blocks[b];
        if (live <= 0 || data === undefined) continue;
        insertBlock.run(block, Buffer.from(data.buffer, data.byteOffset, data.byteLength), slots, live);
        // records skipped as unchanged leave dead slots: a block at most half live is repacked at commit
        if (live * 2 <= slots) thinned.add(block);
      }
    },
    retireMissing(scope, retire = true) {
      const rows = db.prepare<[string, string], { rowid: number; head: string; block: number }>('SELECT rowid, head, block FROM vuln_advisories WHERE source = ? AND scope = ?').all(source, scope);
      const listed = rows.filter((row) => seen.has(row.rowid)).length;
      if (listed === 0) return { retired: 0, kept: rows.length, listed };
      if (!retire) return { retired: 0, kept: rows.length - listed, listed };
      let n = 0;
      for (const row of rows) {
        if (seen.has(row.rowid)) continue;
        removeRows(row.rowid, row.head);
        deleteAdvisory.run(row.rowid);
        release(row.block);
        n++;
      }
      counts.retired += n;
      return { retired: n, kept: 0, listed };
    },
    commit(complete = true) {
      if (!open) return counts;
      const marker = `${INCOMPLETE_FROM}:${feed}`;
      if (complete) db.prepare<[string]>('DELETE FROM meta WHERE key = ?').run(marker);
      else if (readMeta(db, marker) === undefined) writeMeta(db, marker, String(importId));
      flushAliases();
      compact();
      if (orphans) db.exec('DELETE FROM vuln_entries WHERE rowid NOT IN (SELECT data FROM vuln_affected)');
      db.prepare<[string, number, number, number, number, number, number, number, number]>(
        'UPDATE vuln_imports SET finished_at = ?, added = ?, updated = ?, unchanged = ?, withdrawn = ?, retired = ?, rejected = ?, issues = ? WHERE rowid = ?',
      ).run(new Date().toISOString(), counts.added, counts.updated, counts.unchanged, counts.withdrawn, counts.retired, counts.rejected, counts.issues, importId);
      db.exec('COMMIT');
      open = false;
      settle();
      return counts;
    },
    rollback() {
      if (!open) return;
      open = false;
      if (db.inTransaction) db.exec('ROLLBACK');
      settle();
    },
  };
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
  block: number;
  slot: number;
}

/** Every advisory whose id or one of whose aliases is `id` (case-insensitive for the usual upper-case ids). */
export function advisoriesById(db: Db, id: string): StoredAdvisory[] {
  const wanted = id.trim();
  const rows = db
    .prepare<[string, string, string, string], AdvisoryRow>(
      `SELECT v.rowid AS rowid, v.source AS source, v.id AS id, v.modified AS modified, v.withdrawn AS withdrawn, i.feed AS feed, i.fetched_at AS fetched_at, v.block AS block, v.slot AS slot
       FROM vuln_advisories v JOIN vuln_imports i ON i.rowid = v.import_id
       WHERE v.id = ? OR v.id = ? OR v.rowid IN (SELECT advisory FROM vuln_aliases WHERE alias = ? OR alias = ?)
       ORDER BY v.source, v.id`,
    )
    .all(wanted, wanted.toUpperCase(), wanted, wanted.toUpperCase());
  const readBlock = db.prepare<[number], { data: Buffer }>('SELECT data FROM vuln_records WHERE rowid = ?');
  const blocks = new Map<number, string[]>();
  return rows.map((row) => {
    let texts = blocks.get(row.block);
    if (texts === undefined) {
      const stored = readBlock.get(row.block);
      if (stored === undefined) throw new DbError(`Advisory ${row.id} has no stored record (block ${row.block})`, { hint: 'The database is damaged; re-import the feeds into a new --db.' });
      texts = unpackBlock(stored.data);
      blocks.set(row.block, texts);
    }
    const text = texts[row.slot];
    if (text === undefined) throw new DbError(`Advisory ${row.id} has no stored record (block ${row.block}, slot ${row.slot})`, { hint: 'The database is damaged; re-import the feeds into a new --db.' });
    return { rowid: row.rowid, source: row.source, id: row.id, modified: row.modified, withdrawn: row.withdrawn, feed: row.feed, fetchedAt: row.fetched_at, record: JSON.parse(text) as OsvRecord };
  });
}

export interface StoreStatus {
  advisories: number;
  withdrawn: number;
  affectedRows: number;
  bySource: Array<{ source: SourceId; advisories: number; withdrawn: number; lastImport: string | null; feeds: number }>;
  /** `releases`: the release keys (keys.ts) of a release-scoped ecosystem's advisories, in version order; none for the others. */
  byEcosystem: Array<{ source: SourceId; ecosystem: string; advisories: number; packages: number; releases: string[] }>;
  /** Finish time of the latest import, any source. */
  lastUpdate: string | null;
  imports: Array<{ source: SourceId; feed: string; finishedAt: string; added: number; updated: number; unchanged: number; withdrawn: number; retired: number; rejected: number; issues: number }>;
}

export function storeStatus(db: Db): StoreStatus {
  const totals = db.prepare<[], { n: number; w: number }>('SELECT count(*) AS n, count(withdrawn) AS w FROM vuln_advisories').get() ?? { n: 0, w: 0 };
  const affected = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM vuln_affected').get() ?? { n: 0 };
  const bySource = db
    .prepare<[], { source: SourceId; advisories: number; withdrawn: number; feeds: number }>(
      `SELECT v.source AS source, count(*) AS advisories, count(v.withdrawn) AS withdrawn, count(DISTINCT i.feed) AS feeds
       FROM vuln_advisories v JOIN vuln_imports i ON i.rowid = v.import_id GROUP BY v.source ORDER BY v.source`,
    )
    .all();
  const lastBySource = new Map(
    db.prepare<[], { source: SourceId; last: string }>('SELECT source, max(finished_at) AS last FROM vuln_imports WHERE finished_at IS NOT NULL GROUP BY source').all().map((r) => [r.source, r.last]),
  );
  const byEcosystem = db
    .prepare<[], { source: SourceId; ecosystem: string; advisories: number; packages: number; releases: string | null }>(
      `SELECT v.source AS source, a.ecosystem AS ecosystem, count(DISTINCT a.advisory) AS advisories, count(DISTINCT a.name) AS packages,
         group_concat(DISTINCT nullif(a.release, '')) AS releases
       FROM vuln_affected a JOIN vuln_advisories v ON v.rowid = a.advisory GROUP BY v.source, a.ecosystem ORDER BY v.source, a.ecosystem`,
    )
    .all()
    // release keys hold no comma (keys.ts), so group_concat's separator splits them back
    .map((e) => ({ ...e, releases: e.releases === null ? [] : e.releases.split(',').sort(byRelease) }));
  const imports = db
    .prepare<[], { source: SourceId; feed: string; finished_at: string; added: number; updated: number; unchanged: number; withdrawn: number; retired: number; rejected: number; issues: number }>(
      'SELECT source, feed, finished_at, added, updated, unchanged, withdrawn, retired, rejected, issues FROM vuln_imports WHERE finished_at IS NOT NULL ORDER BY rowid DESC LIMIT 10',
    )
    .all()
    .map((r) => ({ source: r.source, feed: r.feed, finishedAt: r.finished_at, added: r.added, updated: r.updated, unchanged: r.unchanged, withdrawn: r.withdrawn, retired: r.retired, rejected: r.rejected, issues: r.issues }));
  return {
    advisories: totals.n,
    withdrawn: totals.w,
    affectedRows: affected.n,
    bySource: bySource.map((s) => ({ ...s, lastImport: lastBySource.get(s.source) ?? null })),
    byEcosystem,
    lastUpdate: lastUpdated(db),
    imports,
  };
}

/** Ecosystems that have at least one affected row, for "unknown ecosystem" messages. */
export function knownEcosystems(db: Db): string[] {
  return db.prepare<[], { ecosystem: string }>('SELECT DISTINCT ecosystem FROM vuln_affected ORDER BY ecosystem').all().map((r) => r.ecosystem);
}

/** Meta key: when a `db update` last found a feed unchanged (304 Not Modified); per feed under `CHECKED_AT:<feed>`. */
const CHECKED_AT = 'vulndb.checked_at';

/**
 * Meta key per feed (`INCOMPLETE_FROM:<feed>`): the first of the feed's latest imports that left part of it out
 * (ImportSession.commit `complete` false), by import rowid; removed by the next complete import or "not modified"
 * answer (the ETag kept is a complete copy's: import.ts stores none for an incomplete one).
 */
const INCOMPLETE_FROM = 'vulndb.incomplete_from';

/** Record that `feed` was checked and found unchanged at `when`: its data is as current as the feed then. */
export function markChecked(db: Db, when: Date, feed?: string): void {
  for (const key of feed === undefined ? [CHECKED_AT] : [CHECKED_AT, `${CHECKED_AT}:${feed}`]) {
    const previous = readMeta(db, key);
    if (previous === undefined || Date.parse(previous) < when.getTime()) writeMeta(db, key, when.toISOString());
  }
  if (feed !== undefined) db.prepare<[string]>('DELETE FROM meta WHERE key = ?').run(`${INCOMPLETE_FROM}:${feed}`);
}

/** When the data was last brought up to date (ISO time), or null when nothing was ever imported. */
export function lastUpdated(db: Db): string | null {
  const imported = db.prepare<[], { last: string | null }>('SELECT max(finished_at) AS last FROM vuln_imports').get()?.last ?? null;
  if (imported === null) return null;
  const checked = readMeta(db, CHECKED_AT);
  return checked !== undefined && Date.parse(checked) > Date.parse(imported) ? checked : imported;
}

/**
 * Per feed (URL or path as imported): when it was last brought up to date, by a complete import or a "not modified"
 * answer (ISO time). The imports since one that left part of the feed out (INCOMPLETE_FROM) do not count.
 */
export function feedUpdates(db: Db): Map<string, string> {
  const out = new Map<string, string>(
    db
      .prepare<[string], { feed: string; last: string }>(
        `SELECT i.feed, max(i.finished_at) AS last FROM vuln_imports i LEFT JOIN meta m ON m.key = ? || i.feed
          WHERE i.finished_at IS NOT NULL AND (m.value IS NULL OR i.rowid < CAST(m.value AS INTEGER)) GROUP BY i.feed`,
      )
      .all(`${INCOMPLETE_FROM}:`)
      .map((r) => [r.feed, r.last]),
  );
  const prefix = `${CHECKED_AT}:`;
  // range instead of LIKE: feed URLs hold `_` and `%`
  for (const { key, value } of db.prepare<[string, string], { key: string; value: string }>('SELECT key, value FROM meta WHERE key > ? AND key < ?').all(prefix, `${CHECKED_AT};`)) {
    const feed = key.slice(prefix.length);
    const imported = out.get(feed);
    if (imported === undefined || Date.parse(value) > Date.parse(imported)) out.set(feed, value);
  }
  return out;
}

/** A mirror `db update` keeps current, as its last run had it configured. */
export interface TrackedMirror {
  url: string;
  name: string;
}

/** Meta key: the mirrors configured for the last `db update` (JSON), whose freshness every report checks. */
const MIRRORS = 'vulndb.update.mirrors';

/** Record the configured mirrors of a `db update` run (all of them, also when --source narrowed the run). */
export function recordMirrors(db: Db, mirrors: readonly TrackedMirror[]): void {
  writeMeta(db, MIRRORS, JSON.stringify(mirrors.map((m) => ({ url: m.url, name: m.name }))));
}

const TrackedMirrors = z.array(z.strictObject({ url: z.string(), name: z.string() }));

/** The mirrors of the last `db update`, or none when the data only ever came from `db import`. */
export function trackedMirrors(db: Db): TrackedMirror[] {
  const text = readMeta(db, MIRRORS);
  if (text === undefined) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  // written by recordMirrors; a value this build cannot read tracks nothing (as before any `db update`)
  return TrackedMirrors.safeParse(raw).data ?? [];
}

/** Small key/value state (feed ETags) in the shared `meta` table. */
export function readMeta(db: Db, key: string): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
}

export function writeMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}
