/**
 * The matcher's reads of the advisory tables (match/index.ts, `db query`): affected rows by package, their
 * matching data, advisory heads by rowid, and the provenance of an import. Prepared statements are kept
 * per connection. The writes (imports) are in index.ts.
 */
import type Database from 'better-sqlite3';
import { errorMessage } from '../../core/errors.js';
import { DbError, type Db } from '../../store/db.js';
import { SOURCE_IDS, type SourceId } from './index.js';
import { byRelease, nameKey } from './keys.js';
import { expandData, type AdvisoryFacts, type AffectedData, type StoredHead } from './prepare.js';

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

/**
 * An advisory as the matcher reads it (`headTexts`): the import id's digits, then the head JSON
 * (`{"id":…,"summary":…}`, prepare.ts StoredHead). One text per advisory: better-sqlite3 hands over one
 * value for less than it charges for a row of four (docs/PERFORMANCE.md, "Matching (session 6)"). The
 * matcher parses a head only when it builds a finding from it; the source and feed come from the import.
 */
export type HeadText = string;

/** Where an import came from: its source and feed (both shared by every advisory it wrote). */
export interface ImportOrigin {
  source: SourceId;
  feed: string;
}

const DAMAGED = 'The database is damaged; re-import the feeds into a new --db.';

/** Length of the import id's digits at the start of a head text (the JSON starts after them). */
function digitsOf(text: HeadText): number {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

/** The id of the import that wrote advisory `rowid`, from its head text. */
export function headImport(rowid: number, text: HeadText): number {
  const end = digitsOf(text);
  if (end === 0) throw new DbError(`Advisory ${rowid} has no import or no id in its head`, { hint: DAMAGED });
  let value = 0;
  for (let i = 0; i < end; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

/** Parse a head text into the matcher's view, with the source and feed of the import that wrote it. */
export function parseHead(rowid: number, text: HeadText, origin: ImportOrigin): AdvisoryHead {
  const digits = digitsOf(text);
  let facts: StoredHead | null;
  try {
    facts = digits === 0 ? null : (JSON.parse(text.slice(digits)) as StoredHead | null);
  } catch (error) {
    throw new DbError(`Advisory ${rowid} has a damaged head: ${errorMessage(error)}`, { hint: DAMAGED, cause: error });
  }
  if (facts === null || typeof facts !== 'object' || typeof facts.id !== 'string') throw new DbError(`Advisory ${rowid} has no import or no id in its head`, { hint: DAMAGED });
  return { rowid, source: origin.source, id: facts.id, withdrawn: null, summary: facts.summary ?? null, feed: origin.feed, facts: factsOf(facts) };
}

/**
 * The facts of a parsed head in one shape (absent ones undefined): the parsed objects have as many shapes as
 * there are combinations of fields, and the matcher reads these fields of every advisory it explains; one shape
 * keeps that code optimised from the first call on.
 */
export function factsOf(head: AdvisoryFacts): AdvisoryFacts {
  return { aliases: head.aliases, related: head.related, upstream: head.upstream, severity: head.severity, label: head.label, entrySeverity: head.entrySeverity };
}

interface Statements {
  changes: Database.Statement<[], number>;
  rowsBatch: Database.Statement<[string], string | null>;
  releaseRowsBatch: Database.Statement<[string], string | null>;
  data: Database.Statement<[number], string>;
  heads: Database.Statement<[string], HeadText | null>;
  headsByRowid: Database.Statement<[string], [number, HeadText | null]>;
  full: Database.Statement<[string, string], { advisory: number; source: SourceId; id: string; release: string; entry: number; data: string }>;
  anyRow: Database.Statement<[string], number>;
  anyReleaseRow: Database.Statement<[string, string], number>;
  releases: Database.Statement<[string], string>;
  naming: Database.Statement<[string, string], [string, number]>;
}

const statements = new WeakMap<Db, Statements>();

/**
 * A package's affected rows as one text: advisory, entry index, entry data rowid, … (see matchRowTexts), in
 * (release, seq) order: the rows' stored `ref` texts joined (vuln-005-match-texts; building them here took
 * ~40 % longer). The rows come from the primary key in that order, so the ordered subquery is read as it
 * is; `ORDER BY` inside group_concat made SQLite sort every package's rows again (a temporary B-tree, ~30 %
 * of the statement). read.test.ts checks the order against a plain ordered SELECT.
 */
function rowNumbers(where: string): string {
  return `SELECT group_concat(ref, ',') FROM (SELECT ref FROM vuln_affected WHERE ${where} ORDER BY release, seq)`;
}

/**
 * rowNumbers for each key of a JSON array parameter (`k.value`: [ecosystem, name] or [ecosystem, name, release]),
 * one text or NULL per key in the array's order.
 */
function batchOf(rows: string): string {
  return `SELECT (${rows}) FROM json_each(?) k ORDER BY k.key`;
}

/** Head texts of a batch of advisories (a JSON array of rowids, ascending); withdrawn ones give NULL. */
const HEADS = "SELECT iif(withdrawn IS NULL, import_id || head, NULL) FROM vuln_advisories WHERE rowid IN (SELECT value FROM json_each(?)) ORDER BY rowid";

function statementsOf(db: Db): Statements {
  let s = statements.get(db);
  if (s === undefined) {
    s = {
      changes: db.prepare<[], number>('SELECT total_changes()').pluck(true),
      rowsBatch: db.prepare<[string], string | null>(batchOf(rowNumbers('ecosystem = k.value ->> 0 AND name = k.value ->> 1'))).pluck(true),
      releaseRowsBatch: db.prepare<[string], string | null>(batchOf(rowNumbers("ecosystem = k.value ->> 0 AND name = k.value ->> 1 AND release IN ('', k.value ->> 2)"))).pluck(true),
      data: db.prepare<[number], string>('SELECT data FROM vuln_entries WHERE rowid = ?').pluck(true),
      heads: db.prepare<[string], HeadText | null>(HEADS).pluck(true),
      headsByRowid: db.prepare<[string], [number, HeadText | null]>(HEADS.replace('SELECT ', 'SELECT rowid, ')).raw(true),
      full: db.prepare(
        `SELECT a.advisory AS advisory, v.source AS source, v.id AS id, a.release AS release, a.entry AS entry, e.data AS data
         FROM vuln_affected a JOIN vuln_advisories v ON v.rowid = a.advisory JOIN vuln_entries e ON e.rowid = a.data
         WHERE a.ecosystem = ? AND a.name = ? ORDER BY a.release, a.seq`,
      ),
      anyRow: db.prepare<[string], number>('SELECT 1 FROM vuln_affected WHERE ecosystem = ? LIMIT 1').pluck(true),
      anyReleaseRow: db.prepare<[string, string], number>("SELECT 1 FROM vuln_affected WHERE ecosystem = ? AND release IN ('', ?) LIMIT 1").pluck(true),
      releases: db.prepare<[string], string>("SELECT DISTINCT release FROM vuln_affected WHERE ecosystem = ? AND release <> ''").pluck(true),
      // by alias (aliases and upstream ids), and by id within each source (the (source, id) index)
      naming: db
        .prepare<[string, string], [string, number]>(
          `SELECT alias, advisory FROM vuln_aliases WHERE alias IN (SELECT value FROM json_each(?))
           UNION ALL SELECT id, rowid FROM vuln_advisories WHERE source IN (${SOURCE_IDS.map((id) => `'${id}'`).join(', ')}) AND id IN (SELECT value FROM json_each(?))`,
        )
        .raw(true),
    };
    statements.set(db, s);
  }
  return s;
}

/** One package key of matchRowTexts: the ecosystem, the name key, and the release (undefined: the rows of every release). */
export interface RowKey {
  ecosystem: string;
  name: string;
  release: string | undefined;
}

/** Keys per statement of matchRowTexts (one JSON array parameter). */
const ROW_KEYS_BATCH = 256;

/**
 * The affected rows of many package keys, in the keys' order, each as one text for parseRowNumbers (null: none):
 * advisory rowid, entry index and entry data rowid per row, in (release, insertion) order. With a release, only
 * the rows of that release and the release-less ones. Withdrawn advisories have no affected rows.
 *
 * Why one string of integers per package: better-sqlite3 spends more on each value it hands over than SQLite
 * spends on the row (bench/vulndb: 4 values per row cost ~0.8 µs, a package's rows as one text and a scan for
 * digits about a third of that), and no array per row is left for the garbage collector. Why many keys per
 * statement: a statement per package cost about twice as much (~15 µs a key, most of it per statement, not per
 * row; 1,149 against 1,220 ms for the bench's 10,000 packages in fresh processes).
 */
export function matchRowTexts(db: Db, keys: readonly RowKey[]): Array<string | null> {
  const s = statementsOf(db);
  const out = new Array<string | null>(keys.length).fill(null);
  for (const scoped of [false, true]) {
    const at: number[] = [];
    const params: string[][] = [];
    keys.forEach((k, i) => {
      if ((k.release !== undefined) !== scoped) return;
      at.push(i);
      params.push(k.release === undefined ? [k.ecosystem, k.name] : [k.ecosystem, k.name, k.release]);
    });
    const statement = scoped ? s.releaseRowsBatch : s.rowsBatch;
    for (let b = 0; b < params.length; b += ROW_KEYS_BATCH) {
      const texts = statement.all(JSON.stringify(params.slice(b, b + ROW_KEYS_BATCH)));
      texts.forEach((text, j) => {
        out[at[b + j] as number] = text ?? null;
      });
    }
  }
  return out;
}

/**
 * A package's affected-row text as flat numbers in `out` (cleared first): advisory rowid, entry index and entry
 * data rowid per row.
 */
export function parseRowNumbers(text: string | null | undefined, out: number[], ecosystem: string, name: string): void {
  out.length = 0;
  if (text === null || text === undefined) return;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44) {
      out.push(value);
      value = 0;
    } else if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    else throw new DbError(`Unexpected affected-row text for ${ecosystem} ${name}`, { hint: DAMAGED });
  }
  out.push(value);
  if (out.length % 3 !== 0) throw new DbError(`Unexpected affected-row text for ${ecosystem} ${name}`, { hint: DAMAGED });
}

/**
 * Whether any advisory names a package of `ecosystem` (of `release`, or of every release, for a release-scoped
 * one): when none does, a package of it cannot be found vulnerable, and the matcher says so instead of
 * reporting nothing. Absent, a release costs a walk over the ecosystem's rows; the matcher asks only when
 * none of its packages had a row, and once per connection state.
 */
export function hasAdvisories(db: Db, ecosystem: string, release: string | undefined): boolean {
  const s = statementsOf(db);
  return (release === undefined ? s.anyRow.get(ecosystem) : s.anyReleaseRow.get(ecosystem, release)) !== undefined;
}

/** The release keys the advisories of a release-scoped ecosystem name, in `byRelease` order (a walk over its rows: asked when a release has none). */
export function advisoryReleases(db: Db, ecosystem: string): string[] {
  return statementsOf(db).releases.all(ecosystem).sort(byRelease);
}

/** The matching data of an affected row (by its entry data rowid, the third number of parseRowNumbers), parsed. */
export function affectedData(db: Db, rowid: number): AffectedData {
  const text = statementsOf(db).data.get(rowid);
  if (text === undefined) throw new DbError(`Affected entry ${rowid} disappeared while matching`, { hint: 'An import replaced it; run the command again.' });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new DbError(`Affected entry ${rowid} has damaged data: ${errorMessage(error)}`, { hint: DAMAGED, cause: error });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new DbError(`Affected entry ${rowid} has damaged data: not an object`, { hint: DAMAGED });
  return data;
}

/**
 * Head texts of `advisories` (parseRowNumbers' first numbers: distinct, ascending), in the same order: null for
 * a withdrawn advisory (withdrawn ones keep no affected rows; this guards a database written by an older
 * build), undefined for one that no longer exists (an import replaced it while matching).
 */
export function headTexts(db: Db, advisories: readonly number[]): Array<HeadText | null | undefined> {
  const s = statementsOf(db);
  const param = JSON.stringify(advisories);
  const texts: Array<HeadText | null | undefined> = s.heads.all(param);
  if (texts.length === advisories.length) return texts;
  // some are gone: align by rowid (rare, so the plain texts above stay one value per row)
  const byRowid = new Map(s.headsByRowid.all(param));
  return advisories.map((rowid) => byRowid.get(rowid));
}

/** Ids per statement of advisoriesNaming (one JSON array parameter). */
const NAMING_BATCH = 500;

/**
 * The advisories that name each of `ids` as their id, an alias or an upstream id, as [id, advisory rowid] pairs
 * (any source; withdrawn ones included: their heads say so). The matcher scores a vulnerability from another
 * record of it when the matched ones carry no severity.
 */
export function advisoriesNaming(db: Db, ids: readonly string[]): Array<[string, number]> {
  const s = statementsOf(db);
  const out: Array<[string, number]> = [];
  for (let i = 0; i < ids.length; i += NAMING_BATCH) {
    const param = JSON.stringify(ids.slice(i, i + NAMING_BATCH));
    for (const row of s.naming.all(param, param)) out.push(row);
  }
  return out;
}

/**
 * Where the connection's view of the database stands: `PRAGMA data_version` changes when another connection
 * commits, SQLite's `total_changes()` when this one writes (any table). While both stay the same, what was read
 * through this connection is still what is stored (the matcher keeps prepared entries between calls on it).
 */
export function connectionState(db: Db): string {
  return `${String(db.pragma('data_version', { simple: true }))}:${statementsOf(db).changes.get() ?? 0}`;
}

/** Source, feed and fetch time of one import (the provenance of every advisory it wrote). */
export function importProvenance(db: Db, importId: number): { source: SourceId; feed: string; fetchedAt: string } | undefined {
  const row = db.prepare<[number], { source: SourceId; feed: string; fetched_at: string }>('SELECT source, feed, fetched_at FROM vuln_imports WHERE rowid = ?').get(importId);
  return row === undefined ? undefined : { source: row.source, feed: row.feed, fetchedAt: row.fetched_at };
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
