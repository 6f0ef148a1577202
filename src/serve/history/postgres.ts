/**
 * History in PostgreSQL (`--store postgres://…`) for a replicated service: the `history-*` migrations of
 * store/migrations.ts (one schema for both databases), applied under an advisory lock so two replicas
 * starting together migrate once. Connection failures become one DbError naming the server, never the password.
 */
import pg from 'pg';
import { errorMessage } from '../../core/errors.js';
import { DbError } from '../../store/db.js';
import { MIGRATIONS, type Migration } from '../../store/migrations.js';
import { numberPlaceholders, type SqlExecutor, type SqlValue } from './sql.js';

/** Arbitrary constant: the advisory lock key of runwarden's history migrations. */
const MIGRATION_LOCK = 7_311_042;

export const HISTORY_MIGRATIONS: readonly Migration[] = MIGRATIONS.filter((m) => m.id.startsWith('history-'));

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

function executorOver(target: Queryable, pool: pg.Pool | undefined): SqlExecutor {
  const executor: SqlExecutor = {
    dialect: 'postgres',
    async all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      const result = await target.query(numberPlaceholders(sql), [...params]);
      return result.rows as T[];
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      const result = await target.query(numberPlaceholders(sql), [...params]);
      return result.rowCount ?? 0;
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      if (pool === undefined) return fn(executor);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(executorOver(client, undefined));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close(): Promise<void> {
      if (pool !== undefined) await pool.end();
    },
  };
  return executor;
}

/** A connection string without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/** Connect, check the server answers, and migrate. */
export async function openPostgresHistory(url: string, options: { max?: number } = {}): Promise<SqlExecutor> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 5, connectionTimeoutMillis: 10_000 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const executor = executorOver(pool, pool);
  try {
    await executor.transaction(async (tx) => {
      await tx.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
      const applied = new Set((await tx.all<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
      for (const m of HISTORY_MIGRATIONS) {
        if (applied.has(m.id)) continue;
        // The simple query protocol runs a multi-statement migration in one call.
        await tx.run(m.sql);
        await tx.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [m.id, new Date().toISOString()]);
      }
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DbError(`Cannot open the PostgreSQL history store ${redactUrl(url)}: ${errorMessage(error)}`, {
      hint: 'Check --store (postgres://user:password@host:5432/db, or ?host=/run/postgresql for a socket), that the server runs and that the user may create tables.',
      cause: error,
    });
  }
  return executor;
}
