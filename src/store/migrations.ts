import { LIFECYCLE_MIGRATION } from '../lifecycle/data/migration.js';
import { MALWARE_MIGRATION } from '../malware/store/migration.js';
import { VULN_MATCH_TEXTS_MIGRATION, VULN_RED_HAT_STREAMS_MIGRATION, VULN_SHARED_ENTRIES_MIGRATION, VULN_SUSE_SERVICE_PACKS_MIGRATION, VULN_UPSTREAM_HEADS_MIGRATION } from '../vulndb/store/migration.js';
import type { Db } from './db.js';

/**
 * Every schema migration of the embedded database, in order. Ids are `<area>-<nnn>-<what>`; a
 * migration is never edited once released — add a new one. Areas own their tables (prefixed by
 * area: `vuln_*`, `layer_*`, `history_*`).
 */
export interface Migration {
  id: string;
  sql: string;
  /** Work SQL alone cannot do (a key computed by the code that computes it for new rows), run after `sql` in the same transaction. */
  run?: (db: Db) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 'store-001-meta',
    sql: `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  },
  {
    // image/analysis/cache.ts: per-layer file index and analyser values, keyed by layer blob digest.
    id: 'layer-001-cache',
    sql: `CREATE TABLE layer_index (
  digest TEXT PRIMARY KEY,
  format INTEGER NOT NULL,
  data BLOB NOT NULL,
  entries INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  used_at TEXT NOT NULL
);
CREATE INDEX layer_index_used_at ON layer_index (used_at);
CREATE TABLE layer_results (
  digest TEXT NOT NULL,
  analyzer TEXT NOT NULL,
  version TEXT NOT NULL,
  data BLOB NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (digest, analyzer, version)
);`,
  },
  {
    // vulndb/store: advisories (one row per source + id, the normalised OSV record deflated), their aliases,
    // one row per affected package indexed by (ecosystem, name, release), and the import history.
    id: 'vuln-001-advisories',
    sql: `CREATE TABLE vuln_advisories (
  rowid INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  modified TEXT NOT NULL,
  published TEXT,
  withdrawn TEXT,
  summary TEXT,
  -- what findings need without inflating the record: JSON of aliases, related ids and severity data
  facts TEXT NOT NULL,
  feed TEXT NOT NULL,
  scope TEXT,
  fetched_at TEXT NOT NULL,
  record BLOB NOT NULL,
  UNIQUE (source, id)
);
CREATE INDEX vuln_advisories_scope ON vuln_advisories (source, scope);
CREATE TABLE vuln_aliases (
  alias TEXT NOT NULL,
  advisory INTEGER NOT NULL REFERENCES vuln_advisories (rowid) ON DELETE CASCADE,
  PRIMARY KEY (alias, advisory)
) WITHOUT ROWID;
CREATE INDEX vuln_aliases_advisory ON vuln_aliases (advisory);
CREATE TABLE vuln_affected (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  release TEXT NOT NULL,
  advisory INTEGER NOT NULL REFERENCES vuln_advisories (rowid) ON DELETE CASCADE,
  entry INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX vuln_affected_package ON vuln_affected (ecosystem, name, release);
CREATE INDEX vuln_affected_advisory ON vuln_affected (advisory);
CREATE TABLE vuln_imports (
  rowid INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  feed TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  added INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  withdrawn INTEGER NOT NULL,
  retired INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  issues INTEGER NOT NULL
);`,
  },
  {
    // vulndb/store (bench/vulndb, issue 4 "Performance"): records kept whole in compressed blocks of 64
    // (vuln_records), a small `head` per advisory for findings, feed and fetch time once per import, and
    // compact matching rows with a digest of their data (the matcher prepares each distinct entry once).
    // vuln-001 data cannot be converted in SQL (per-record deflate) and shipped in no release: the tables
    // are rebuilt empty, and the feed ETags dropped so the next `db update` downloads everything again.
    id: 'vuln-002-compact',
    sql: `DROP TABLE vuln_affected;
DROP TABLE vuln_aliases;
DROP TABLE vuln_advisories;
DROP TABLE vuln_imports;
DELETE FROM meta WHERE key LIKE 'vulndb.feed.etag:%';
CREATE TABLE vuln_imports (
  rowid INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  feed TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  added INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  withdrawn INTEGER NOT NULL DEFAULT 0,
  retired INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  issues INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE vuln_records (
  rowid INTEGER PRIMARY KEY,
  data BLOB NOT NULL,
  slots INTEGER NOT NULL,
  live INTEGER NOT NULL
);
CREATE TABLE vuln_advisories (
  rowid INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  modified TEXT NOT NULL,
  withdrawn TEXT,
  scope TEXT,
  import_id INTEGER NOT NULL,
  head TEXT NOT NULL,
  block INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  UNIQUE (source, id)
);
CREATE INDEX vuln_advisories_scope ON vuln_advisories (source, scope) WHERE scope IS NOT NULL;
CREATE TABLE vuln_aliases (
  alias TEXT NOT NULL,
  advisory INTEGER NOT NULL,
  PRIMARY KEY (alias, advisory)
) WITHOUT ROWID;
CREATE TABLE vuln_affected (
  rowid INTEGER PRIMARY KEY,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  release TEXT NOT NULL,
  advisory INTEGER NOT NULL,
  entry INTEGER NOT NULL,
  digest TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX vuln_affected_package ON vuln_affected (ecosystem, name, release);
CREATE INDEX vuln_affected_advisory ON vuln_affected (advisory);`,
  },
  {
    // vulndb/store (bench/vulndb): matching rows clustered by package — a package's rows are neighbours on
    // disk, one range read per package instead of one page per row — with their data moved to vuln_entries
    // (read only for a digest the matcher has not seen). vuln-002's matching rows came in two shapes (with
    // and without `digest`) that SQL cannot tell apart or re-digest, and no release shipped either: the
    // advisory tables are emptied and the feed ETags dropped, so the next `db update` downloads everything.
    id: 'vuln-003-clustered',
    sql: `DROP TABLE vuln_affected;
DELETE FROM vuln_aliases;
DELETE FROM vuln_advisories;
DELETE FROM vuln_records;
DELETE FROM vuln_imports;
DELETE FROM meta WHERE key LIKE 'vulndb.feed.etag:%';
CREATE TABLE vuln_entries (
  rowid INTEGER PRIMARY KEY,
  data TEXT NOT NULL
);
CREATE TABLE vuln_affected (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  release TEXT NOT NULL,
  seq INTEGER NOT NULL,
  advisory INTEGER NOT NULL,
  entry INTEGER NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name, release, seq)
) WITHOUT ROWID;
CREATE INDEX vuln_affected_advisory ON vuln_affected (advisory);`,
  },
  {
    // serve/history (issue 11): scan history, one schema for SQLite and PostgreSQL (serve/history/postgres.ts applies the
    // history-* migrations there), so portable SQL only. A finding is stored once per fingerprint; its open/fixed
    // intervals are spans, so a scan writes only what changed; per-scan counts make trends a query.
    id: 'history-001-scans',
    sql: `CREATE TABLE history_scans (
  id TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  reason TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  findings INTEGER NOT NULL,
  opened INTEGER NOT NULL,
  fixed INTEGER NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX history_scans_started ON history_scans (started_at);
CREATE TABLE history_scan_counts (
  scan_id TEXT NOT NULL REFERENCES history_scans (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  namespace TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (scan_id, kind, severity, namespace)
);
CREATE TABLE history_findings (
  fingerprint TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  severity_rank INTEGER NOT NULL,
  title TEXT NOT NULL,
  namespace TEXT NOT NULL,
  workload TEXT NOT NULL,
  subject_path TEXT NOT NULL,
  detail TEXT NOT NULL,
  detail_hash TEXT NOT NULL,
  first_seen TEXT NOT NULL
);
CREATE INDEX history_findings_rank ON history_findings (severity_rank DESC, fingerprint);
CREATE INDEX history_findings_namespace ON history_findings (namespace, severity_rank DESC, fingerprint);
CREATE INDEX history_findings_workload ON history_findings (workload, severity_rank DESC, fingerprint);
CREATE TABLE history_spans (
  fingerprint TEXT NOT NULL REFERENCES history_findings (fingerprint) ON DELETE CASCADE,
  opened_at TEXT NOT NULL,
  opened_scan TEXT NOT NULL,
  closed_at TEXT,
  closed_scan TEXT,
  PRIMARY KEY (fingerprint, opened_at)
);
CREATE INDEX history_spans_closed ON history_spans (closed_at);
CREATE INDEX history_spans_opened ON history_spans (opened_at);`,
  },
  // lifecycle/data: endoflife.date products and release cycles (lifecycle_products).
  LIFECYCLE_MIGRATION,
  // malware/store: imported ClamAV signature files and CVDs (malware_databases).
  MALWARE_MIGRATION,
  // vulndb/store: matching entries stored once per distinct content (vulndb/store/migration.ts).
  VULN_SHARED_ENTRIES_MIGRATION,
  // vulndb/store: advisory ids inside heads and one text per affected row, for the matcher's reads.
  VULN_MATCH_TEXTS_MIGRATION,
  // vulndb/store: Red Hat's main streams keyed by major release.
  VULN_RED_HAT_STREAMS_MIGRATION,
  // vulndb/store: OSV advisories re-read by the next update, for the upstream ids in their heads.
  VULN_UPSTREAM_HEADS_MIGRATION,
  // vulndb/store: SUSE's products of one service pack keyed as the images' release ("15.5").
  VULN_SUSE_SERVICE_PACKS_MIGRATION,
  {
    // serve/follow: the leader's latest scan (report and the inventory the API reads), published for the followers
    // of a shared store. One row, overwritten by each scan; portable SQL, so the gzip body is base64 text.
    id: 'history-002-latest-scan',
    sql: `CREATE TABLE history_latest (
  slot INTEGER PRIMARY KEY,
  scan_id TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  published_at TEXT NOT NULL,
  body TEXT NOT NULL
);`,
  },
  {
    // serve/history: a finding's detail deflated with a preset dictionary (serve/history/packed.ts), ~3.7–4× less
    // than its JSON text; `detail` is '' in the rows that have it. BYTEA is PostgreSQL's binary type; SQLite
    // accepts the name and stores the bytes as they are.
    id: 'history-003-packed-detail',
    sql: `ALTER TABLE history_findings ADD COLUMN detail_packed BYTEA;`,
  },
];
