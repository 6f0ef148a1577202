import { mkdtempSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LayerIndex } from '../layers/types.js';
import { LayerCache } from './cache.js';

const D = `sha256:${'a'.repeat(64)}`;
const index: LayerIndex = {
  digest: D,
  entries: [
    { path: 'etc', type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 1 },
    { path: 'etc/passwd', type: 'file', size: 12, mode: 0o644, uid: 0, gid: 0, mtime: 2 },
    { path: 'bin/sh', type: 'symlink', size: 0, mode: 0o777, uid: 0, gid: 0, mtime: 3, linkname: 'busybox' },
    { path: 'bin/sh2', type: 'hardlink', size: 0, mode: 0o755, uid: 1000, gid: 1000, mtime: 4, linkname: 'bin/busybox' },
    { path: 'dev/null', type: 'char', size: 0, mode: 0o666, uid: 0, gid: 0, mtime: 5 },
  ],
  whiteouts: ['tmp/x'],
  opaques: ['var/cache'],
  issues: [{ code: 'layer-absolute-paths', message: 'm', location: 'l' }],
  stats: { entries: 6, bytes: 4096, fileBytes: 12 },
  complete: true,
};
const analyzer = { id: 'sizes', version: '1', schema: z.object({ n: z.number() }) };

describe('layer cache (SQLite)', () => {
  it('stores and returns a layer index and analyser values unchanged', () => {
    const cache = LayerCache.open(join(mkdtempSync(join(tmpdir(), 'rw-cache-')), 'rw.db'));
    cache.putIndex(index);
    cache.putResult(D, analyzer, new Map([['etc/passwd', { n: 1 }]]), [{ code: 'x', message: 'y' }]);
    expect(cache.getIndex(D)).toEqual(index);
    expect(cache.getResult(D, analyzer)).toEqual({ values: new Map([['etc/passwd', { n: 1 }]]), issues: [{ code: 'x', message: 'y' }] });
    expect(cache.getResult(D, { ...analyzer, version: '2' })).toBeUndefined();
    expect(cache.getResult(D, { ...analyzer, id: 'other' })).toBeUndefined();
    expect(cache.stats()).toMatchObject({ layers: 1, results: 1 });
    cache.close();
  });

  it('skips a write while another connection holds the write lock (db update importing into the same file), and never fails the scan', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rw-cache-')), 'rw.db');
    const cache = LayerCache.open(file);
    cache.db.pragma('busy_timeout = 50');
    const importer = new Database(file);
    importer.exec('BEGIN IMMEDIATE');
    try {
      expect(() => cache.putIndex(index)).not.toThrow();
      expect(() => cache.putResult(D, analyzer, new Map([['etc/passwd', { n: 1 }]]), [])).not.toThrow();
      expect(() => cache.putSquashIssues([D], [])).not.toThrow();
    } finally {
      importer.exec('COMMIT');
      importer.close();
    }
    // nothing was written, and the next scan stores it
    expect(cache.getIndex(D)).toBeUndefined();
    cache.putIndex(index);
    expect(cache.getIndex(D)).toEqual(index);
    cache.close();
  });

  it('does not store an index of a layer that was not read to its end', () => {
    const cache = LayerCache.open(':memory:');
    cache.putIndex({ ...index, complete: false });
    expect(cache.getIndex(D)).toBeUndefined();
  });

  it('treats a corrupt row, or values that fail the analyser schema, as absent', () => {
    const cache = LayerCache.open(':memory:');
    cache.putIndex(index);
    cache.db.prepare('UPDATE layer_index SET data = ?').run(Buffer.from('not gzip'));
    expect(cache.getIndex(D)).toBeUndefined();
    cache.db.prepare('UPDATE layer_index SET data = ?').run(gzipSync(JSON.stringify({ paths: ['a'], types: 'fz' })));
    expect(cache.getIndex(D)).toBeUndefined();
    cache.putResult(D, analyzer, new Map([['p', { n: 'not a number' }]]), []);
    expect(cache.getResult(D, analyzer)).toBeUndefined();
    cache.putResult(D, analyzer, new Map(), []);
    expect(cache.getResult(D, analyzer)).toEqual({ values: new Map(), issues: [] });
  });

  it('prunes layers not used since a date, with their results', () => {
    const cache = LayerCache.open(':memory:');
    cache.putIndex(index);
    cache.putResult(D, analyzer, new Map(), []);
    expect(cache.prune(new Date(Date.now() - 60_000))).toBe(0);
    expect(cache.prune(new Date(Date.now() + 60_000))).toBe(1);
    expect(cache.stats()).toEqual({ layers: 0, results: 0, bytes: 0 });
  });
});
