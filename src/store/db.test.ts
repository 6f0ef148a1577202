import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DbError, NEW_PAGE_SIZE, defaultDbPath, openDatabase, rollbackJournalFor } from './db.js';

describe('embedded database', () => {
  it('creates the file and its folder, and applies migrations once', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rw-db-')), 'nested', 'rw.db');
    const migrations = [{ id: 't-001', sql: 'CREATE TABLE t (x INTEGER)' }];
    openDatabase(path, { migrations }).close();
    const db = openDatabase(path, { migrations: [...migrations, { id: 't-002', sql: 'ALTER TABLE t ADD COLUMN y TEXT' }] });
    expect((db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as Array<{ id: string }>).map((r) => r.id)).toEqual(['t-001', 't-002']);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('truncates the write-ahead log after a checkpoint that a large transaction grew past 64 MiB', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rw-db-')), 'rw.db');
    const db = openDatabase(path, { migrations: [{ id: 't-001', sql: 'CREATE TABLE t (x BLOB)' }] });
    const insert = db.prepare('INSERT INTO t (x) VALUES (randomblob(1048576))');
    db.transaction(() => {
      for (let i = 0; i < 72; i++) insert.run();
    })();
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(72 * 1048576);
    db.pragma('wal_checkpoint(PASSIVE)');
    db.prepare('INSERT INTO t (x) VALUES (zeroblob(10))').run();
    expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(64 * 1048576);
    db.close();
  });

  it('gives a new file 64 KiB pages and leaves an existing file its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-db-'));
    const fresh = openDatabase(join(dir, 'new.db'), { migrations: [{ id: 't-001', sql: 'CREATE TABLE t (x INTEGER)' }] });
    expect(fresh.pragma('page_size', { simple: true })).toBe(NEW_PAGE_SIZE);
    fresh.close();
    // a file written before (SQLite's default 4 KiB pages) keeps them: the page size is fixed once a file has data
    const old = new Database(join(dir, 'old.db'));
    old.exec('CREATE TABLE t (x INTEGER)');
    old.close();
    const reopened = openDatabase(join(dir, 'old.db'), { migrations: [] });
    expect(reopened.pragma('page_size', { simple: true })).toBe(4096);
    reopened.close();
  });

  it('writes one large transaction through a rollback journal when the file is its own, then goes back to WAL', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rw-db-')), 'rw.db');
    const migrations = [{ id: 't-001', sql: 'CREATE TABLE t (x TEXT)' }];
    const db = openDatabase(path, { migrations });
    const timeout = db.pragma('busy_timeout', { simple: true });
    const restore = rollbackJournalFor(db);
    expect(restore).toBeDefined();
    expect([db.pragma('journal_mode', { simple: true }), db.pragma('synchronous', { simple: true })]).toEqual(['delete', 2]);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(timeout);
    db.exec('BEGIN IMMEDIATE');
    db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000));
    db.exec('ROLLBACK');
    db.exec('BEGIN IMMEDIATE');
    db.prepare('INSERT INTO t VALUES (?)').run('kept');
    db.exec('COMMIT');
    restore?.();
    expect([db.pragma('journal_mode', { simple: true }), db.pragma('synchronous', { simple: true })]).toEqual(['wal', 1]);
    expect(db.prepare('SELECT x FROM t').pluck(true).all()).toEqual(['kept']);
    db.close();
  });

  it('leaves WAL alone while another connection has the file open, and for an in-memory database', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rw-db-')), 'rw.db');
    const migrations = [{ id: 't-001', sql: 'CREATE TABLE t (x TEXT)' }];
    const db = openDatabase(path, { migrations });
    const reader = new Database(path, { readonly: true });
    expect(reader.prepare('SELECT count(*) FROM t').pluck(true).get()).toBe(0);
    const started = Date.now();
    expect(rollbackJournalFor(db)).toBeUndefined();
    // refused at once, not after the busy timeout
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    reader.close();
    db.close();
    const memory = openDatabase(':memory:', { migrations });
    expect(rollbackJournalFor(memory)).toBeUndefined();
    memory.close();
  });

  it('rolls back a failing migration and names the file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rw-db-')), 'rw.db');
    expect(() => openDatabase(path, { migrations: [{ id: 'bad', sql: 'CREATE TABLE a (x); NOT SQL' }] })).toThrow(DbError);
    const db = openDatabase(path, { migrations: [] });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").get()).toBeUndefined();
    db.close();
  });

  it('throws DbError with a hint for a file that is not a database', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rw-db-')), 'garbage.db');
    writeFileSync(path, 'this is not sqlite'.repeat(100));
    expect(() => openDatabase(path)).toThrow(/^Cannot prepare database ".*garbage\.db": file is not a database$/);
  });

  it('puts the default file under XDG_DATA_HOME, or RUNWARDEN_DB when set', () => {
    expect(defaultDbPath({ XDG_DATA_HOME: '/x' })).toBe('/x/runwarden/runwarden.db');
    expect(defaultDbPath({ HOME: '/home/u' })).toBe('/home/u/.local/share/runwarden/runwarden.db');
    expect(defaultDbPath({ RUNWARDEN_DB: '/tmp/a.db', XDG_DATA_HOME: '/x' })).toBe('/tmp/a.db');
  });
});
