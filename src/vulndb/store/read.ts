/**
 * The matcher's reads of the advisory tables (match/index.ts, `db query`): affected rows by package, their
 * matching data, advisory heads by rowid, and the provenance of an import. Prepared statements are kept
 * per connection. The writes (imports) are in index.ts.
 */
import type Database from 'better-sqlite3';
import { DbError, type Db } from '../../store/db.js';
import type { SourceId } from './index.js';
import { nameKey } from './keys.js';
import { expandData, type AdvisoryFacts, type StoredHead } from './prepare.js';

/** The matcher's view of an advisory: identity and facts, no record to unpack. */
export interface AdvisoryHead {
  rowid: number;
  source: SourceId;
  id: string;
  withdrawn: string | null;
  summary: string | null;
  feed: string;
  facts: AdvisoryFacts;
}

/** Parse a `head` column into the matcher's view. */
export function parseHead(rowid: number, source: SourceId, id: string, withdrawn: string | null, feed: string, head: string): AdvisoryHead {
  const facts = JSON.parse(head) as StoredHead;
  return { rowid, source, id, withdrawn, summary: facts.summary ?? null, feed, facts };
}

/**
 * One affected row as the matcher reads it: positional (no object per row), and with the rowid of its
 * matching data instead of the data (read with `affectedDataText` only for an entry not seen before).
 */
export type MatchRow = [advisory: number, release: string, entry: number, data: number];

/** An advisory's identity and head as the matcher reads it (for rows that matched). */
export type HeadRow = [rowid: number, source: SourceId, id: string, withdrawn: string | null, head: string, importId: number];

interface Statements {
  rows: Database.Statement<[string, string], MatchRow>;
  data: Database.Statement<[number], string>;
  heads: Database.Statement<[string], HeadRow>;
  full: Database.Statement<[string, string], { advisory: number; source: SourceId; id: string; release: string; entry: number; data: string }>;
}

const statements = new WeakMap<Db, Statements>();

function statementsOf(db: Db): Statements {
  let s = statements.get(db);
  if (s === undefined) {
    s = {
      rows: db.prepare<[string, string], MatchRow>('SELECT advisory, release, entry, data FROM vuln_affected WHERE ecosystem = ? AND name = ? ORDER BY release, seq').raw(true),
      data: db.prepare<[number], string>('SELECT data FROM vuln_entries WHERE rowid = ?').pluck(true),
      heads: db.prepare<[string], HeadRow>('SELECT rowid, source, id, withdrawn, head, import_id FROM vuln_advisories WHERE rowid IN (SELECT value FROM json_each(?))').raw(true),
      full: db.prepare(
        `SELECT a.advisory AS advisory, v.source AS source, v.id AS id, a.release AS release, a.entry AS entry, e.data AS data
         FROM vuln_affected a JOIN vuln_advisories v ON v.rowid = a.advisory JOIN vuln_entries e ON e.rowid = a.data
         WHERE a.ecosystem = ? AND a.name = ? ORDER BY a.release, a.seq`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

/**
 * Affected rows of one package (ecosystem and name key) in every release, in (release, insertion) order.
 * The matcher filters by release. Withdrawn advisories have no affected rows.
 */
export function matchRows(db: Db, ecosystem: string, name: string): MatchRow[] {
  return statementsOf(db).rows.all(ecosystem, name);
}

/** The matching data of an affected row (by MatchRow[3], the rowid of its entry). */
export function affectedDataText(db: Db, rowid: number): string {
  const data = statementsOf(db).data.get(rowid);
  if (data === undefined) throw new DbError(`Affected entry ${rowid} disappeared while matching`, { hint: 'An import replaced it; run the command again.' });
  return data;
}

/** Identity and head of advisories (MatchRow[0]), in one statement for all of a package's matches. */
export function headRows(db: Db, advisories: readonly number[]): HeadRow[] {
  return statementsOf(db).heads.all(JSON.stringify(advisories));
}

/** Feed and fetch time of one import (the provenance of every advisory it wrote). */
export function importProvenance(db: Db, importId: number): { feed: string; fetchedAt: string } | undefined {
  const row = db.prepare<[number], { feed: string; fetched_at: string }>('SELECT feed, fetched_at FROM vuln_imports WHERE rowid = ?').get(importId);
  return row === undefined ? undefined : { feed: row.feed, fetchedAt: row.fetched_at };
}

/** One affected row joined with its advisory's identity (`db query`). */
export interface CandidateRow {
  advisory: number;
  source: SourceId;
  id: string;
  release: string;
  entry: number;
  /** AffectedData as JSON, with the entry's ecosystem and package name. */
  data: string;
}

/** Affected rows for one package name of an ecosystem, in every release (callers filter by release). */
export function candidateRows(db: Db, ecosystem: string, name: string): CandidateRow[] {
  const key = nameKey(ecosystem, name);
  return statementsOf(db).full.all(ecosystem, key).map((r) => ({ ...r, data: JSON.stringify(expandData(r.data, ecosystem, key)) }));
}
