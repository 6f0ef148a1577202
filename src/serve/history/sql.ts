/**
 * The few SQL operations the history store needs, over SQLite (better-sqlite3, synchronous) and PostgreSQL
 * (pg, a pool) alike. Statements are written once with `?` placeholders in the portable subset of SQL both
 * accept (ON CONFLICT upserts, TEXT/INTEGER columns and BYTEA bytes, ISO-8601 text times that sort as strings).
 */
import { setImmediate } from 'node:timers/promises';

/** A parameter: text, a number, NULL, or bytes (BLOB in SQLite, BYTEA in PostgreSQL). */
export type SqlValue = string | number | null | Uint8Array;

export interface SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs `fn` in one transaction on one connection; a throw rolls it back. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Insert rows in multi-row statements (one round trip per chunk on PostgreSQL, well under both bind limits), with a
 * turn of the event loop between statements: SQLite's are synchronous, and the API must answer meanwhile (the spans
 * of a first scan of 674,000 findings are 68 statements).
 */
export async function insertMany(sql: SqlExecutor, head: string, columns: number, rows: readonly SqlValue[][], tail = ''): Promise<void> {
  const perChunk = Math.max(1, Math.floor(30_000 / columns));
  const tuple = `(${new Array<string>(columns).fill('?').join(', ')})`;
  for (let i = 0; i < rows.length; i += perChunk) {
    if (i > 0) await setImmediate();
    const chunk = rows.slice(i, i + perChunk);
    await sql.run(`${head} VALUES ${chunk.map(() => tuple).join(', ')}${tail === '' ? '' : ` ${tail}`}`, chunk.flat());
  }
}

/** `?` → `$1, $2, …` for PostgreSQL (history statements contain no other question marks). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
