/**
 * The layer result cache in the embedded SQLite database (store/db.ts; tables `layer_*`). A layer is
 * keyed by its blob digest: its file index (what the squashed view and FileResolver need) and each
 * analyser's values (keyed by digest + analyser id + analyser version). A second scan of an image
 * whose layers were seen reads no blob. Rows are gzip-compressed JSON, validated with zod when read
 * back; a row that does not validate is treated as absent (and re-analysed), never trusted.
 * Only layers read completely are stored.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Issue } from '../../core/issue.js';
import { openDatabase, type Db } from '../../store/db.js';
import type { EntryType, LayerEntry, LayerIndex } from '../layers/types.js';

/**
 * Index row format. 4: indexes read by layers/tar.ts (links, folders and devices carry no body, nothing
 * after the end marker is parsed, pax uid/gid/mtime apply). Format-3 rows came from tar-stream and can
 * differ on hostile layers, so they are ignored and the layer is read again once; the encoding is the same.
 */
const FORMAT = 4;
const TYPE_CODES: Record<EntryType, number> = { file: 0, dir: 1, symlink: 2, hardlink: 3, char: 4, block: 5, fifo: 6 };
const CODE_TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo'];
/** size, mode, uid, gid, mtime per entry. */
const NUMS = 5;
/** "RWI3": a binary layer index row. */
const MAGIC = 0x33495752;

const StoredIssue = z.object({ code: z.string(), message: z.string(), location: z.string().optional(), hint: z.string().optional() });

/**
 * The small part of a binary index row (JSON, checked with zod). The per-entry columns follow it in
 * the row — one type byte per entry, the numbers as little-endian float64s, the paths joined by NUL
 * (a tar name cannot hold one), the link targets the same way with the entry number of each — and
 * are decoded with length and range checks instead of a schema, so 100,000 entries load in a few
 * milliseconds even in a fresh process (no JSON or base64 over the columns).
 */
const StoredHead = z.object({
  n: z.number().int().nonnegative(),
  pathBytes: z.number().int().nonnegative(),
  links: z.number().int().nonnegative(),
  linkBytes: z.number().int().nonnegative(),
  whiteouts: z.array(z.string()),
  opaques: z.array(z.string()),
  issues: z.array(StoredIssue),
  stats: z.object({ entries: z.number(), bytes: z.number(), fileBytes: z.number() }),
});

const StoredResult = z.object({ entries: z.array(z.tuple([z.string(), z.unknown()])), issues: z.array(StoredIssue) });

export interface CacheStats {
  layers: number;
  results: number;
  bytes: number;
}

export class LayerCache {
  private readonly getIndexStmt;
  private readonly putIndexStmt;
  private readonly getResultStmt;
  private readonly putResultStmt;
  private readonly touchStmt;

  constructor(readonly db: Db) {
    this.getIndexStmt = db.prepare<[string, number], { data: Buffer; used_at: string }>('SELECT data, used_at FROM layer_index WHERE digest = ? AND format = ?');
    this.putIndexStmt = db.prepare('INSERT OR REPLACE INTO layer_index (digest, format, data, entries, bytes, created_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.getResultStmt = db.prepare<[string, string, string], { data: Buffer }>('SELECT data FROM layer_results WHERE digest = ? AND analyzer = ? AND version = ?');
    this.putResultStmt = db.prepare('INSERT OR REPLACE INTO layer_results (digest, analyzer, version, data, created_at) VALUES (?, ?, ?, ?, ?)');
    this.touchStmt = db.prepare('UPDATE layer_index SET used_at = ? WHERE digest = ?');
  }

  /** Open (and migrate) the database file; `:memory:` for a throwaway cache. */
  static open(path: string): LayerCache {
    return new LayerCache(openDatabase(path));
  }

  close(): void {
    this.db.close();
  }

  getIndex(digest: string): LayerIndex | undefined {
    const row = this.getIndexStmt.get(digest, FORMAT);
    if (row === undefined) return undefined;
    const unpacked = unpackIndex(row.data);
    if (unpacked === undefined) return undefined;
    const { head: s, entries } = unpacked;
    // Record use for prune(), at most hourly: a write per layer per scan would cost more than the read.
    const now = new Date();
    if (now.getTime() - Date.parse(row.used_at) > 3_600_000) this.write(() => this.touchStmt.run(now.toISOString(), digest));
    return { digest, entries, whiteouts: s.whiteouts, opaques: s.opaques, issues: s.issues.map(toIssue), stats: s.stats, complete: true };
  }

  /** Store a layer's index. Incomplete indexes (a layer not read to its end) are not stored. */
  putIndex(index: LayerIndex): void {
    if (!index.complete) return;
    const now = new Date().toISOString();
    const data = gzipSync(packIndex(index), { level: 1 });
    this.write(() => this.putIndexStmt.run(index.digest, FORMAT, data, index.entries.length, index.stats.bytes, now, now));
  }

  /**
   * A cache write: skipped (the layer is read again next time) when another process holds the database's write lock
   * longer than the busy timeout — `runwarden db update` importing a feed into the same file, the sidecar of serve.
   * A cache must never fail the scan it speeds up. Other errors (a full disk, a damaged file) are thrown.
   */
  private write(run: () => unknown): void {
    try {
      run();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return;
      throw error;
    }
  }

  /** An analyser's values for a layer, validated with its schema; undefined when absent or invalid. */
  getResult<T>(digest: string, analyzer: { id: string; version: string; schema: z.ZodType<T> }): { values: Map<string, T>; issues: Issue[] } | undefined {
    const row = this.getResultStmt.get(digest, analyzer.id, analyzer.version);
    if (row === undefined) return undefined;
    const parsed = StoredResult.safeParse(decode(row.data));
    if (!parsed.success) return undefined;
    const values = new Map<string, T>();
    for (const [path, raw] of parsed.data.entries) {
      const value = analyzer.schema.safeParse(raw);
      if (!value.success) return undefined;
      values.set(path, value.data);
    }
    return { values, issues: parsed.data.issues.map(toIssue) };
  }

  putResult<T>(digest: string, analyzer: { id: string; version: string }, values: ReadonlyMap<string, T>, issues: readonly Issue[]): void {
    const data = encode({ entries: [...values], issues });
    this.write(() => this.putResultStmt.run(digest, analyzer.id, analyzer.version, data, new Date().toISOString()));
  }

  /**
   * The issues of the squashed view of exactly these layers (bottom first), when a scan of them
   * stored it. Kept in `layer_results` under a key made of the ordered digests (analyser
   * `@squash`), so a cached scan reports them without building the view.
   */
  getSquashIssues(layers: readonly string[]): Issue[] | undefined {
    const row = this.getResultStmt.get(squashKey(layers), SQUASH_ID, SQUASH_VERSION);
    if (row === undefined) return undefined;
    const parsed = z.array(StoredIssue).safeParse(decode(row.data));
    return parsed.success ? parsed.data.map(toIssue) : undefined;
  }

  putSquashIssues(layers: readonly string[], issues: readonly Issue[]): void {
    const data = encode(issues);
    this.write(() => this.putResultStmt.run(squashKey(layers), SQUASH_ID, SQUASH_VERSION, data, new Date().toISOString()));
  }

  /** Delete layers not used since `before` (and their results); returns the layers removed. */
  prune(before: Date): number {
    const cutoff = before.toISOString();
    return this.db.transaction(() => {
      // Squash issues are cheap to recompute: dropped by age.
      this.db.prepare('DELETE FROM layer_results WHERE analyzer = ? AND created_at < ?').run(SQUASH_ID, cutoff);
      this.db.prepare('DELETE FROM layer_results WHERE digest IN (SELECT digest FROM layer_index WHERE used_at < ?)').run(cutoff);
      return this.db.prepare('DELETE FROM layer_index WHERE used_at < ?').run(cutoff).changes;
    })();
  }

  stats(): CacheStats {
    const layers = this.db.prepare<[], { n: number; bytes: number | null }>('SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM layer_index').get();
    // The per-image squash records are not analyser results (their bytes count all the same).
    const results = this.db.prepare<[string], { n: number | null; bytes: number | null }>('SELECT SUM(analyzer <> ?) AS n, SUM(LENGTH(data)) AS bytes FROM layer_results').get(SQUASH_ID);
    return { layers: layers?.n ?? 0, results: results?.n ?? 0, bytes: (layers?.bytes ?? 0) + (results?.bytes ?? 0) };
  }
}

/** Version of the squash semantics (layers/squash.ts): bump when its issues change. */
const SQUASH_VERSION = '1';
const SQUASH_ID = '@squash';

function squashKey(layers: readonly string[]): string {
  return `squash:${createHash('sha256').update(layers.join('\n')).digest('hex')}`;
}

function encode(value: unknown): Buffer {
  return gzipSync(JSON.stringify(value), { level: 1 });
}

function decode(data: Buffer): unknown {
  try {
    return JSON.parse(gunzipSync(data).toString('utf8'));
  } catch {
    return undefined;
  }
}

function toIssue(i: z.infer<typeof StoredIssue>): Issue {
  const out: Issue = { code: i.code, message: i.message };
  if (i.location !== undefined) out.location = i.location;
  if (i.hint !== undefined) out.hint = i.hint;
  return out;
}

/** A binary index row (before gzip): magic, head length, head JSON, then the columns (see StoredHead). */
export function packIndex(index: LayerIndex): Buffer {
  const n = index.entries.length;
  const nums = new Float64Array(n * NUMS);
  const types = Buffer.allocUnsafe(n);
  const paths = new Array<string>(n);
  const linkAt: number[] = [];
  const linkNames: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = index.entries[i] as LayerEntry;
    paths[i] = e.path;
    types[i] = TYPE_CODES[e.type];
    const o = i * NUMS;
    nums[o] = e.size;
    nums[o + 1] = e.mode;
    nums[o + 2] = e.uid;
    nums[o + 3] = e.gid;
    nums[o + 4] = e.mtime;
    if (e.linkname !== undefined) {
      linkAt.push(i);
      linkNames.push(e.linkname);
    }
  }
  const pathBuf = Buffer.from(paths.join('\0'), 'utf8');
  const linkBuf = Buffer.from(linkNames.join('\0'), 'utf8');
  const head: z.infer<typeof StoredHead> = { n, pathBytes: pathBuf.length, links: linkAt.length, linkBytes: linkBuf.length, whiteouts: index.whiteouts, opaques: index.opaques, issues: index.issues, stats: index.stats };
  const headBuf = Buffer.from(JSON.stringify(head), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(MAGIC, 0);
  prefix.writeUInt32LE(headBuf.length, 4);
  return Buffer.concat([prefix, headBuf, types, Buffer.from(nums.buffer, nums.byteOffset, nums.byteLength), Buffer.from(new Uint32Array(linkAt).buffer), pathBuf, linkBuf]);
}

/** Head and entries of a stored index row, or undefined when the row is corrupt or inconsistent. */
export function unpackIndex(data: Buffer): { head: z.infer<typeof StoredHead>; entries: LayerEntry[] } | undefined {
  let raw: Buffer;
  try {
    raw = gunzipSync(data);
  } catch {
    return undefined;
  }
  if (raw.length < 8 || raw.readUInt32LE(0) !== MAGIC) return undefined;
  const headEnd = 8 + raw.readUInt32LE(4);
  if (headEnd > raw.length) return undefined;
  let parsed;
  try {
    parsed = StoredHead.safeParse(JSON.parse(raw.toString('utf8', 8, headEnd)));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  const head = parsed.data;
  const n = head.n;
  const numsAt = headEnd + n;
  const linkAtAt = numsAt + n * NUMS * 8;
  const pathsAt = linkAtAt + head.links * 4;
  const linksAt = pathsAt + head.pathBytes;
  if (linksAt + head.linkBytes !== raw.length) return undefined;
  // Copies into aligned arrays: the columns may start at any offset.
  const nums = new Float64Array(raw.buffer.slice(raw.byteOffset + numsAt, raw.byteOffset + linkAtAt));
  const linkAt = new Uint32Array(raw.buffer.slice(raw.byteOffset + linkAtAt, raw.byteOffset + pathsAt));
  const paths = n === 0 ? [] : raw.toString('utf8', pathsAt, linksAt).split('\0');
  const linkNames = head.links === 0 ? [] : raw.toString('utf8', linksAt, raw.length).split('\0');
  if (paths.length !== n || linkNames.length !== head.links) return undefined;
  const entries = new Array<LayerEntry>(n);
  for (let i = 0; i < n; i++) {
    const type = CODE_TYPES[raw[headEnd + i] ?? 255];
    const path = paths[i] ?? '';
    if (type === undefined || path === '') return undefined;
    const o = i * NUMS;
    const size = nums[o] ?? Number.NaN;
    const mode = nums[o + 1] ?? Number.NaN;
    const uid = nums[o + 2] ?? Number.NaN;
    const gid = nums[o + 3] ?? Number.NaN;
    const mtime = nums[o + 4] ?? Number.NaN;
    if (!(size >= 0) || !Number.isInteger(mode) || !Number.isInteger(uid) || !Number.isInteger(gid) || !Number.isFinite(mtime)) return undefined;
    entries[i] = { path, type, size, mode, uid, gid, mtime, linkname: undefined };
  }
  for (let k = 0; k < head.links; k++) {
    const e = entries[linkAt[k] ?? n];
    if (e === undefined) return undefined;
    e.linkname = linkNames[k];
  }
  return { head, entries };
}
