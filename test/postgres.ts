/**
 * A real PostgreSQL (Debian `postgresql`, version 15 or whatever `pg_ctl` is on PATH) started for a test file:
 * initdb into a temp dir, listening only on a unix socket in that dir (no TCP port), trust auth for the one
 * local user. PostgreSQL refuses to run as root, so as root (CI) the server runs as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findExecutable, requireComponent } from './components.js';

const run = promisify(execFile);
const DEBIAN_BIN = '/usr/lib/postgresql/15/bin';

function binary(name: string): string {
  return findExecutable(join(DEBIAN_BIN, name)) ?? findExecutable(name) ?? name;
}

/** `undefined` when PostgreSQL can run here, else the skip reason (throws under RUNWARDEN_REQUIRE_COMPONENTS=1). */
export function postgresSkipReason(): string | undefined {
  return requireComponent('postgresql', [binary('initdb'), binary('pg_ctl')]);
}

export interface PostgresServer {
  /** Socket directory (the `host` of a unix-socket connection). */
  socketDir: string;
  /** Connection string of database `name` (default `postgres`). */
  url(name?: string): string;
  /** Create a fresh, empty database and return its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const exec = async (file: string, args: string[]): Promise<void> => {
    if (asRoot) await run('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', file, ...args], { cwd: dir });
    else await run(file, args, { cwd: dir });
  };
  await exec(binary('initdb'), ['-D', data, '-U', 'runwarden', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  // No TCP listener; fsync off (a test database).
  await exec(binary('pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-k ${dir} -c listen_addresses= -F`, 'start']);
  const url = (name = 'postgres'): string => `postgresql://runwarden@localhost/${name}?host=${encodeURIComponent(dir)}`;
  return {
    socketDir: dir,
    url,
    async createDatabase(name: string): Promise<string> {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop(): Promise<void> {
      await exec(binary('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
