/**
 * Every schema migration of the embedded database, in order. Ids are `<area>-<nnn>-<what>`; a
 * migration is never edited once released — add a new one. Areas own their tables (prefixed by
 * area: `vuln_*`, `layer_*`, `history_*`).
 */
export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 'store-001-meta',
    sql: `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  },
];
