/**
 * The layer result cache in the embedded SQLite database (store/db.ts; tables `layer_*`). A layer is
 * keyed by its blob digest: its file index (what the squashed view and FileResolver need) and each
 * analyser's values (keyed by digest + analyser id + analyser version). A second scan of an image
 * whose layers were seen reads no blob. Rows are gzip-compressed JSON, validated with zod when read
 * back; a row that does not validate is treated as absent (and re-analysed), never trusted.
 * Only layers read completely are stored.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Issue } from '../../core/issue.js';
import { openDatabase, type Db } from '../../store/db.js';
import type { EntryType, LayerEntry, LayerIndex } from '../layers/types.js';

const FORMAT = 2;
const TYPE_CODES: Record<EntryType, string> = { file: 'f', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' };
const CODE_TYPES: Record<string, EntryType> = { f: 'file', d: 'dir', l: 'symlink', h: 'hardlink', c: 'char', b: 'block', p: 'fifo' };
/** size, mode, uid, gid, mtime per entry. */
const NUMS = 5;

const StoredIssue = z.object({ code: z.string(), message: z.string(), location: z.string().optional(), hint: z.string().optional() });

/**
 * Packed index: paths joined by NUL (a tar name cannot hold one), one type letter per entry, and the
 * numbers as little-endian float64s in base64 — a handful of strings for zod to check, decoded with
 * length checks, so 100,000 entries load in milliseconds even in a fresh process.
 */
const StoredIndex = z.object({
  n: z.number().int().nonnegative(),
  paths: z.string(),
  types: z.string(),
  nums: z.string(),
  links: z.record(z.string(), z.string()),
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
    const parsed = StoredIndex.safeParse(decode(row.data));
    if (!parsed.success) return undefined;
    const entries = unpack(parsed.data);
    if (entries === undefined) return undefined;
    const s = parsed.data;
    // Record use for prune(), at most hourly: a write per layer per scan would cost more than the read.
    const now = new Date();
    if (now.getTime() - Date.parse(row.used_at) > 3_600_000) this.touchStmt.run(now.toISOString(), digest);
    return { digest, entries, whiteouts: s.whiteouts, opaques: s.opaques, issues: s.issues.map(toIssue), stats: s.stats, complete: true };
  }

  /** Store a layer's index. Incomplete indexes (a layer not read to its end) are not stored. */
  putIndex(index: LayerIndex): void {
    if (!index.complete) return;
    const n = index.entries.length;
    const nums = new Float64Array(n * NUMS);
    const types: string[] = new Array<string>(n);
    const paths: string[] = new Array<string>(n);
    const links: Record<string, string> = {};
    index.entries.forEach((e, i) => {
      paths[i] = e.path;
      types[i] = TYPE_CODES[e.type];
      nums.set([e.size, e.mode, e.uid, e.gid, e.mtime], i * NUMS);
      if (e.linkname !== undefined) links[String(i)] = e.linkname;
    });
    const stored: z.infer<typeof StoredIndex> = {
      n,
      paths: paths.join('\0'),
      types: types.join(''),
      nums: Buffer.from(nums.buffer, nums.byteOffset, nums.byteLength).toString('base64'),
      links,
      whiteouts: index.whiteouts,
      opaques: index.opaques,
      issues: index.issues,
      stats: index.stats,
    };
    const now = new Date().toISOString();
    this.putIndexStmt.run(index.digest, FORMAT, encode(stored), n, index.stats.bytes, now, now);
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
    this.putResultStmt.run(digest, analyzer.id, analyzer.version, encode({ entries: [...values], issues }), new Date().toISOString());
  }

  /** Delete layers not used since `before` (and their results); returns the layers removed. */
  prune(before: Date): number {
    const cutoff = before.toISOString();
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM layer_results WHERE digest IN (SELECT digest FROM layer_index WHERE used_at < ?)').run(cutoff);
      return this.db.prepare('DELETE FROM layer_index WHERE used_at < ?').run(cutoff).changes;
    })();
  }

  stats(): CacheStats {
    const layers = this.db.prepare<[], { n: number; bytes: number | null }>('SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM layer_index').get();
    const results = this.db.prepare<[], { n: number; bytes: number | null }>('SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM layer_results').get();
    return { layers: layers?.n ?? 0, results: results?.n ?? 0, bytes: (layers?.bytes ?? 0) + (results?.bytes ?? 0) };
  }
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

/** Entries of a packed index, or undefined when any column is inconsistent. */
function unpack(s: z.infer<typeof StoredIndex>): LayerEntry[] | undefined {
  const n = s.n;
  const paths = n === 0 ? [] : s.paths.split('\0');
  const raw = Buffer.from(s.nums, 'base64');
  if (paths.length !== n || s.types.length !== n || raw.length !== n * NUMS * 8) return undefined;
  // Copy into an aligned buffer: a base64-decoded Buffer may start at any offset.
  const nums = new Float64Array(new Uint8Array(raw).buffer);
  const entries = new Array<LayerEntry>(n);
  for (let i = 0; i < n; i++) {
    const type = CODE_TYPES[s.types[i] ?? ''];
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
  for (const [key, link] of Object.entries(s.links)) {
    const e = entries[Number(key)];
    if (e === undefined) return undefined;
    e.linkname = link;
  }
  return entries;
}
