/**
 * The vulndb area's newest migrations (listed in store/migrations.ts after `vuln-003-clustered`; openVulnDb
 * applies them too, so a database opened for advisories is always current).
 *
 * `vuln-004-shared-entries`: matching data stored once per distinct content. Many affected entries are
 * identical (a GHSA and a PYSEC record listing the same versions, one Debian status for several releases;
 * bench/vulndb: 225,896 rows, 315 distinct entries), so `vuln_entries` becomes content-addressed (one row
 * per digest) and each `vuln_affected` row points at its entry by rowid (`data`) instead of carrying the
 * digest text. Existing data is converted in SQL (the digest was already stored per row), so nothing has
 * to be re-imported; the feed ETags stay.
 */
import type { Migration } from '../../store/migrations.js';
import { advisoryReleaseKey } from './keys.js';

export const VULN_SHARED_ENTRIES_MIGRATION: Migration = {
  id: 'vuln-004-shared-entries',
  sql: `CREATE TABLE vuln_entry_data (
  rowid INTEGER PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL
);
INSERT INTO vuln_entry_data (digest, data)
  SELECT a.digest, min(e.data) FROM vuln_affected a JOIN vuln_entries e ON e.rowid = a.seq GROUP BY a.digest ORDER BY min(a.seq);
CREATE TABLE vuln_affected_shared (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  release TEXT NOT NULL,
  seq INTEGER NOT NULL,
  advisory INTEGER NOT NULL,
  entry INTEGER NOT NULL,
  data INTEGER NOT NULL,
  PRIMARY KEY (ecosystem, name, release, seq)
) WITHOUT ROWID;
INSERT INTO vuln_affected_shared (ecosystem, name, release, seq, advisory, entry, data)
  SELECT a.ecosystem, a.name, a.release, a.seq, a.advisory, a.entry, d.rowid FROM vuln_affected a JOIN vuln_entry_data d ON d.digest = a.digest;
DROP TABLE vuln_affected;
DROP TABLE vuln_entries;
ALTER TABLE vuln_entry_data RENAME TO vuln_entries;
ALTER TABLE vuln_affected_shared RENAME TO vuln_affected;
CREATE INDEX vuln_affected_advisory ON vuln_affected (advisory);`,
};

/**
 * `vuln-005-match-texts`: what the matcher reads comes out of SQLite as one text per advisory and one per
 * affected row, because better-sqlite3 spends more on each value it hands over than SQLite spends on the
 * row (bench/vulndb, docs/PERFORMANCE.md "Matching (session 6)"):
 * - each advisory's `head` starts with its id (`{"id":"GHSA-…",…}`), so the matcher reads `import_id || head`
 *   instead of four columns (~0.6 µs less per advisory);
 * - each affected row carries `ref`, the text `advisory,entry,data`, computed by SQLite (a stored generated
 *   column, so it cannot disagree with the three integers), so a package's rows are one `group_concat`
 *   of stored texts instead of three number-to-text conversions and two concatenations per row.
 * Existing data is converted in SQL; nothing has to be re-imported.
 */
export const VULN_MATCH_TEXTS_MIGRATION: Migration = {
  id: 'vuln-005-match-texts',
  sql: `UPDATE vuln_advisories SET head = '{"id":' || json_quote(id) || CASE WHEN head = '{}' THEN '}' ELSE ',' || substr(head, 2) END
  WHERE head NOT LIKE '{"id":%';
CREATE TABLE vuln_affected_ref (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  release TEXT NOT NULL,
  seq INTEGER NOT NULL,
  advisory INTEGER NOT NULL,
  entry INTEGER NOT NULL,
  data INTEGER NOT NULL,
  ref TEXT GENERATED ALWAYS AS (advisory || ',' || entry || ',' || data) STORED,
  PRIMARY KEY (ecosystem, name, release, seq)
) WITHOUT ROWID;
INSERT INTO vuln_affected_ref (ecosystem, name, release, seq, advisory, entry, data)
  SELECT ecosystem, name, release, seq, advisory, entry, data FROM vuln_affected ORDER BY ecosystem, name, release, seq;
DROP TABLE vuln_affected;
ALTER TABLE vuln_affected_ref RENAME TO vuln_affected;
CREATE INDEX vuln_affected_advisory ON vuln_affected (advisory);`,
};

/**
 * `vuln-006-red-hat-main-streams`: the affected rows of Red Hat's main streams are keyed by the major release
 * ("enterprise_linux:9::appstream" → "9", keys.ts `advisoryReleaseKey`), as an image's release is; they were keyed
 * by the whole stream, which no image's release ever equalled. Re-importing would not re-key them (an unchanged
 * record is skipped), so the rows are re-keyed here: the same rule in SQL (digits and dots before "::", a
 * repository of lower-case letters, digits and "_" after).
 */
export const VULN_RED_HAT_STREAMS_MIGRATION: Migration = {
  id: 'vuln-006-red-hat-main-streams',
  sql: `UPDATE vuln_affected SET release = (
    WITH parts(version) AS (SELECT substr(release, 18, instr(substr(release, 18), '::') - 1))
    SELECT CASE WHEN instr(version, '.') > 0 THEN substr(version, 1, instr(version, '.') - 1) ELSE version END FROM parts
  )
  WHERE ecosystem = 'Red Hat'
    AND release GLOB 'enterprise_linux:[0-9]*::?*'
    AND substr(release, 18, instr(substr(release, 18), '::') - 1) NOT GLOB '*[^0-9.]*'
    AND substr(release, 18, instr(substr(release, 18), '::') - 1) NOT GLOB '*.*.*'
    AND substr(release, 18, instr(substr(release, 18), '::') - 1) NOT GLOB '*.'
    AND substr(release, instr(release, '::') + 2) NOT GLOB '*[^a-z0-9_]*';`,
};

/**
 * `vuln-007-upstream-heads`: heads carry the OSV `upstream` ids (DEBIAN-CVE-2024-1 → CVE-2024-1), which the
 * matcher groups and names findings by. The records are stored compressed, out of SQL's reach, so the heads
 * are not rewritten here: every OSV advisory is marked as older than any feed's copy (`modified` of the epoch)
 * and the feeds' ETags are dropped, so the next `db update` (or `db import` of the same feed) downloads each
 * feed and rewrites its advisories, as "updated". Until then matching works as before, without the upstream ids.
 */
export const VULN_UPSTREAM_HEADS_MIGRATION: Migration = {
  id: 'vuln-007-upstream-heads',
  sql: `UPDATE vuln_advisories SET modified = '1970-01-01T00:00:00Z' WHERE source = 'osv' AND head NOT LIKE '%"upstream":%';
DELETE FROM meta WHERE key LIKE 'vulndb.feed.etag:%';`,
};

/**
 * `vuln-008-suse-service-packs`: SUSE's affected rows are keyed by service pack ("Linux Enterprise Module for
 * Basesystem 15 SP5" → "15.5", keys.ts `advisoryReleaseKey`), as an SLES image's release is; they were keyed by the
 * whole product name, which no image's release ever equalled. Re-importing would not re-key them (an unchanged
 * record is skipped), so the stored keys are recomputed here by the function that keys new rows.
 */
export const VULN_SUSE_SERVICE_PACKS_MIGRATION: Migration = {
  id: 'vuln-008-suse-service-packs',
  sql: '',
  run(db) {
    const releases = db.prepare<[], string>("SELECT DISTINCT release FROM vuln_affected WHERE ecosystem = 'SUSE'").pluck(true).all();
    const rekey = db.prepare<[string, string]>("UPDATE vuln_affected SET release = ? WHERE ecosystem = 'SUSE' AND release = ?");
    for (const release of releases) {
      const key = advisoryReleaseKey('SUSE', release);
      if (key !== release) rekey.run(key, release);
    }
  },
};

/** The vulndb migrations openVulnDb makes sure of (store/migrations.ts lists them for every other opener). */
export const VULN_MIGRATIONS = [VULN_SHARED_ENTRIES_MIGRATION, VULN_MATCH_TEXTS_MIGRATION, VULN_RED_HAT_STREAMS_MIGRATION, VULN_UPSTREAM_HEADS_MIGRATION, VULN_SUSE_SERVICE_PACKS_MIGRATION] as const;

/** The newest of them: a read-only opener upgrades a database that lacks it. */
export const VULN_LATEST_MIGRATION = VULN_SUSE_SERVICE_PACKS_MIGRATION;
