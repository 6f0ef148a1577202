/**
 * The embedded SQLite database (better-sqlite3@12; 13 crashes on Node 20) shared by every area that
 * persists something: the vulnerability DB, the layer-result cache, scan history. One file, one
 * migration list (`migrations.ts`), applied in order inside a transaction at open.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError, UsageError, errorMessage } from '../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

/** A database file that cannot be opened, migrated or written. */
export class DbError extends AppError {
  constructor(message: string, options: { hint?: string | undefined; cause?: unknown } = {}) {
    super('db', message, options);
  }
}

/** `$RUNWARDEN_DB`, else `$XDG_DATA_HOME/runwarden/runwarden.db`, else `~/.local/share/runwarden/runwarden.db`. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNWARDEN_DB !== undefined && env.RUNWARDEN_DB !== '') return env.RUNWARDEN_DB;
  const base = env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(env.HOME ?? homedir(), '.local', 'share');
  return join(base, 'runwarden', 'runwarden.db');
}

/**
 * The database a command uses: `--db` (or `--store`) when given, else defaultDbPath. An empty value is refused
 * (`--db ""`, e.g. from an unset shell variable), not looked up as a file named "".
 */
export function chosenDbPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, name = '--db'): string {
  if (flag === undefined) return defaultDbPath(env);
  if (flag.trim() === '') throw new UsageError(`${name} is empty: expected the path of a database file`, { hint: `Pass ${name} PATH, or leave it out for ${defaultDbPath(env)}.` });
  return flag;
}

/**
 * The page size of a database file runwarden creates: 64 KiB instead of SQLite's 4 KiB. Measured on the
 * machines of docs/PERFORMANCE.md ("Session 12"): a 200,000-advisory import −11 to −13 % (fewer, fuller B-tree pages
 * to write), the history store's first 30,000-finding scan −25 % and its rescans −10 %, matching no slower.
 */
export const NEW_PAGE_SIZE = 65_536;

export interface OpenOptions {
  readonly?: boolean;
  migrations?: readonly Migration[];
}

/** Open (creating the file and its folder) and migrate the database. `:memory:` works for tests. */
/** What is left of the write-ahead log after a checkpoint (SQLite truncates it to this). */
const WAL_LIMIT_BYTES = 64 * 1024 * 1024;

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  let db: Db;
  try {
    if (path !== ':memory:' && options.readonly !== true) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  } catch (error) {
    throw new DbError(`Cannot open database "${path}": ${errorMessage(error)}`, { hint: 'Pass a writable path with --db, or set RUNWARDEN_DB.', cause: error });
  }
  try {
    if (options.readonly !== true) {
      // A new file gets NEW_PAGE_SIZE pages (fixed once the file is written: an existing one keeps its own).
      if (db.pragma('page_count', { simple: true }) === 0) db.pragma(`page_size = ${NEW_PAGE_SIZE}`);
      db.pragma('journal_mode = WAL');
      // A large transaction (an import, a first scan's history) grows the WAL to its size; without a limit the
      // file keeps that size after its checkpoint until the last connection closes (1.9 GB beside a 1.9 GB history).
      db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, options.migrations ?? MIGRATIONS);
    }
  } catch (error) {
    db.close();
    if (error instanceof AppError) throw error;
    throw new DbError(`Cannot prepare database "${path}": ${errorMessage(error)}`, {
      hint: 'The file may be corrupt or from a newer runwarden; move it away to start fresh.',
      cause: error,
    });
  }
  return db;
}

/**
 * Switch a connection that has the database file to itself into rollback-journal mode for one large write
 * transaction, and give back the function that returns it to WAL. In WAL mode every page a transaction
 * writes goes to the WAL file and is copied into the database again by the checkpoint after the commit:
 * for a first advisory import of 200,000 records (~150 MB of pages) the checkpoint alone took ~0.9 s, run
 * on one thread after the work of the others has ended (docs/PERFORMANCE.md, "Session 13"). With a rollback
 * journal the new pages are written once, into the file; the journal keeps the original of each page the
 * transaction changes (few: the new pages lie past the file's end), so a failure or a killed process still
 * rolls back to the previous database. `synchronous = FULL` meanwhile, which that mode needs to be safe
 * on a power loss.
 *
 * Undefined (nothing changed, the write goes on in WAL) when the switch cannot be made at once: another
 * connection, in this process or another, has the file open (SQLite refuses the switch then; WAL is what
 * lets those readers go on during the write), or the database is in memory. While the write runs, a
 * connection that opens the file waits for it (busy timeout) instead of reading the previous snapshot:
 * callers use this only where nobody has anything to read yet (a first import).
 */
export function rollbackJournalFor(db: Db): (() => void) | undefined {
  if (db.memory || db.readonly || db.inTransaction) return undefined;
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  let mode: unknown;
  try {
    db.pragma('busy_timeout = 0');
    mode = db.pragma('journal_mode = DELETE', { simple: true });
  } catch {
    // "database is locked": another connection has the file open
    return undefined;
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
  if (mode !== 'delete') return undefined;
  db.pragma('synchronous = FULL');
  return () => {
    try {
      db.pragma('journal_mode = WAL');
    } catch {
      // a connection that opened meanwhile holds the file; openDatabase sets WAL again on every open
    }
    db.pragma('synchronous = NORMAL');
  };
}

/** Apply every migration not applied yet, in list order, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as Array<{ id: string }>).map((r) => r.id));
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      m.run?.(db);
      record.run(m.id, new Date().toISOString());
    })();
  }
}
