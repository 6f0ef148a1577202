/**
 * History in the embedded SQLite database (the same file as the vulnerability DB and layer cache, opened and
 * migrated by store/db.ts). better-sqlite3 is synchronous: a transaction's awaits only yield microtasks, so no
 * HTTP request can interleave with it on the shared connection.
 */
import type { Statement } from 'better-sqlite3';
import { openDatabase, type Db } from '../../store/db.js';
import type { SqlExecutor, SqlValue } from './sql.js';

export function sqliteExecutor(db: Db, options: { closeDb?: boolean } = {}): SqlExecutor {
  let depth = 0;
  // Prepared statements by SQL text: the API asks the same few queries over and over. Bounded, and bulk
  // inserts (their text depends on the batch size) are not kept.
  const statements = new Map<string, Statement<SqlValue[]>>();
  const prepare = (sql: string): Statement<SqlValue[]> => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare<SqlValue[]>(sql);
      if (sql.length > 4000) return statement;
      if (statements.size >= 100) statements.delete(statements.keys().next().value ?? '');
      statements.set(sql, statement);
    }
    return statement;
  };
  const executor: SqlExecutor = {
    dialect: 'sqlite',
    all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      return Promise.resolve(prepare(sql).all(...params) as T[]);
    },
    run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      return Promise.resolve(prepare(sql).run(...params).changes);
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      if (depth > 0) return fn(executor);
      depth++;
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(executor);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      } finally {
        depth--;
      }
    },
    close(): Promise<void> {
      if (options.closeDb === true) db.close();
      return Promise.resolve();
    },
  };
  return executor;
}

/**
 * SQLite's page cache for the history (KiB): a first scan of a large cluster inserts rows all over a large file
 * (674,000 findings: ~800 MB), and with SQLite's default 2 MB its pages were read back again and again (68 s
 * against 76 s to record that scan with 64 MiB; the same order with 32).
 */
const HISTORY_CACHE_KIB = 32 * 1024;

/** Open (and migrate) the database file for history. */
export function openSqliteHistory(path: string): SqlExecutor {
  const db = openDatabase(path);
  db.pragma(`cache_size = -${HISTORY_CACHE_KIB}`);
  return sqliteExecutor(db, { closeDb: true });
}
