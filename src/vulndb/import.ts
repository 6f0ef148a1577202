/**
 * The import service behind `db import` and `db update`: fetch the input (a URL is downloaded whole to a
 * temporary file first, so a broken download never reaches the database), pick the source plugin, and
 * write every record in ONE transaction. A failure anywhere — a corrupt archive, a killed process, an
 * abort — rolls the transaction back: the previous database stays intact and usable.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError, errorMessage, type AppErrorOptions } from '../core/errors.js';
import { issue, type Issue } from '../core/issue.js';
import { detectSource, getSource } from './registry.js';
import type { VulnSource } from './source.js';
import { beginImport, markChecked, readMeta, writeMeta, type Db, type ImportCounts, type SourceId } from './store/index.js';

/** A feed URL that could not be downloaded (HTTP error, network failure, truncated body). */
export class FeedError extends AppError {
  readonly url: string;
  readonly status: number | undefined;
  /** A failure that may pass (a 5xx or 429 answer, a connection dropped mid-body): the download is tried again. */
  readonly transient: boolean;
  constructor(url: string, message: string, options: AppErrorOptions & { status?: number | undefined; transient?: boolean | undefined } = {}) {
    super('feed', message, options);
    this.url = url;
    this.status = options.status;
    this.transient = options.transient ?? false;
  }
}

/**
 * Connection failures worth another attempt: reset or timed out (a mirror restarting, a proxy dropping idle
 * connections), a DNS answer that may come next time. Not: an unknown host or a refused connection (a wrong
 * URL, or no network at all: `db update` offline fails at once).
 */
const DROPPED = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** Waits before the second and third attempt of a download that failed transiently (FeedError.transient). */
export const RETRY_DELAYS_MS: readonly number[] = [1000, 4000];

export interface ImportProgress {
  phase: 'download' | 'import';
  /** Bytes downloaded so far (download) or records read (import). */
  done: number;
  /** Bytes expected, when the server said (download). */
  total?: number | undefined;
}

export interface ImportOptions {
  /** Source id; detected from the input when left out. */
  source?: SourceId | undefined;
  signal?: AbortSignal | undefined;
  /** Provenance time ("fetched at"); tests pin it. */
  now?: Date | undefined;
  onProgress?: ((progress: ImportProgress) => void) | undefined;
  /** For URLs: send the stored ETag and skip the import on 304 Not Modified (`db update`). */
  conditional?: boolean | undefined;
  /**
   * Worker threads that read and prepare the records of a large input while this thread writes them
   * (sources with `readPrepared`); 0 reads in-thread. Default: defaultWorkers().
   */
  workers?: number | undefined;
  /** Inputs below this many bytes are read in-thread (default: the source's own threshold). */
  parallelMinBytes?: number | undefined;
  /** Waits before each new attempt of a download that failed transiently (default RETRY_DELAYS_MS; [] tries once). */
  retryDelaysMs?: readonly number[] | undefined;
  /** Called before each new attempt, with the failure and the attempt about to start (2, 3, …). */
  onRetry?: ((error: FeedError, attempt: number, delayMs: number) => void) | undefined;
  /**
   * Another process may open the database while this import runs (`db update --every` beside serve): a first
   * import stays in WAL mode, so that process reads the empty database meanwhile instead of waiting for the
   * whole import (store/index.ts beginImport).
   */
  shared?: boolean | undefined;
}

/**
 * One worker per CPU (at most 4), none on a single CPU. Measured on 2 CPUs (bench/vulndb, 200,000
 * records): in-thread 21.1 s, 1 worker 15.7 s, 2 workers 12.7 s — the writer thread is idle while it
 * waits, so two workers keep it busier than one.
 */
export function defaultWorkers(): number {
  const cpus = availableParallelism();
  return cpus < 2 ? 0 : Math.min(4, cpus);
}

export interface ImportResult {
  source: SourceId;
  feed: string;
  counts: ImportCounts;
  issues: Issue[];
  /** True when the server answered 304 and nothing was read. */
  notModified: boolean;
}

export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

const META_PREFIX = 'vulndb.feed.etag:';

interface Download {
  path: string;
  dir: string;
  etag: string | undefined;
  notModified: boolean;
}

/** Download `url` whole into a fresh temporary directory; throws FeedError naming the URL. */
export async function download(url: string, options: { signal?: AbortSignal | undefined; etag?: string | undefined; onProgress?: ImportOptions['onProgress'] } = {}): Promise<Download> {
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-feed-'));
  const name = basename(new URL(url).pathname) || 'feed';
  const path = join(dir, name);
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: options.signal ?? null, headers: options.etag === undefined ? {} : { 'if-none-match': options.etag }, redirect: 'follow' });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      const code = error instanceof Error && error.cause instanceof Error ? (error.cause as NodeJS.ErrnoException).code : undefined;
      throw new FeedError(url, `Cannot download ${url}: ${errorMessage(error)}${cause}`, { hint: 'Check the mirror URL and the network (or proxy); the database was not changed.', cause: error, transient: code !== undefined && DROPPED.has(code) });
    }
    if (response.status === 304) {
      await response.body?.cancel();
      return { path, dir, etag: options.etag, notModified: true };
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new FeedError(url, `Cannot download ${url}: the server answered ${response.status} ${response.statusText}`.trim(), {
        status: response.status,
        transient: response.status >= 500 || response.status === 429,
        hint: response.status === 404 ? 'The feed is not at that URL; fix the mirror URL in the vulndb config.' : 'The mirror failed; try again later. The database was not changed.',
      });
    }
    const expected = Number(response.headers.get('content-length') ?? Number.NaN);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        options.onProgress?.({ phase: 'download', done: received, total: Number.isFinite(expected) ? expected : undefined });
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>), counter, createWriteStream(path), { signal: options.signal });
    } catch (error) {
      throw new FeedError(url, `Download of ${url} broke off after ${received} bytes: ${errorMessage(error)}`, { hint: 'The database was not changed; run the command again.', cause: error, transient: true });
    }
    if (Number.isFinite(expected) && received !== expected) {
      throw new FeedError(url, `Download of ${url} is truncated: ${received} of ${expected} bytes`, { hint: 'The database was not changed; run the command again.', transient: true });
    }
    const lastModified = Date.parse(response.headers.get('last-modified') ?? '');
    if (!Number.isNaN(lastModified)) await utimes(path, lastModified / 1000, lastModified / 1000);
    return { path, dir, etag: response.headers.get('etag') ?? undefined, notModified: false };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * `download`, tried again after each of `retryDelaysMs` while it fails transiently (a mirror answering 503, a
 * connection dropped mid-body); the last failure is thrown, saying how many attempts were made.
 */
async function downloadRetrying(url: string, request: Parameters<typeof download>[1], options: ImportOptions): Promise<Download> {
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await download(url, request);
    } catch (error) {
      const delay = delays[attempt - 1];
      if (!(error instanceof FeedError) || !error.transient || request?.signal?.aborted === true) throw error;
      if (delay === undefined) {
        if (attempt === 1) throw error;
        throw new FeedError(url, `${error.message} (${attempt} attempts)`, { status: error.status, hint: error.hint, cause: error.cause });
      }
      options.onRetry?.(error, attempt + 1, delay);
      await sleep(delay, undefined, { signal: request?.signal ?? undefined });
    }
  }
}

/** Import one input (path or URL) into the database, atomically. */
export async function importAdvisories(db: Db, input: string, options: ImportOptions = {}): Promise<ImportResult> {
  let fetched: Download | undefined;
  const url = isUrl(input);
  try {
    let path = input;
    if (url) {
      const etag = options.conditional === true ? readMeta(db, `${META_PREFIX}${input}`) : undefined;
      fetched = await downloadRetrying(input, { signal: options.signal, etag, onProgress: options.onProgress }, options);
      if (fetched.notModified) {
        // the data is as current as the feed: that counts for staleness (db status, vuln-db-stale), per feed too
        markChecked(db, options.now ?? new Date(), input);
        const source = options.source ?? 'osv';
        return { source, feed: input, counts: { added: 0, updated: 0, unchanged: 0, withdrawn: 0, retired: 0, rejected: 0, issues: 0 }, issues: [], notModified: true };
      }
      path = fetched.path;
    }
    const plugin: VulnSource = options.source === undefined ? await detectSource(path) : getSource(options.source);
    const issues: Issue[] = [];
    const scopes = new Set<string>();
    /** Complete scopes part of which could not be read: nothing of them is retired this time. */
    const damaged = new Set<string>();
    const session = beginImport(db, plugin.id, input, options.now, { shared: options.shared });
    try {
      let read = 0;
      const counted = (): void => {
        read++;
        if (read % 1000 === 0) options.onProgress?.({ phase: 'import', done: read });
      };
      const source = { path, display: input };
      const ctx = {
        signal: options.signal,
        issue: (i: Issue) => {
          issues.push(i);
          // every issue but a warning means a record or file was left out
          if (!i.code.endsWith('-warning')) session.counts.rejected++;
        },
        completeScope: (scope: string) => scopes.add(scope),
        incompleteScope: (scope: string) => damaged.add(scope),
        keepStored: (id: string, scope?: string) => {
          if (session.keep(id, scope)) issues.push(keptRecord(input, id));
        },
      };
      const batches = plugin.readPrepared === undefined ? undefined : await plugin.readPrepared(source, ctx, { workers: options.workers ?? defaultWorkers(), minBytes: options.parallelMinBytes });
      if (batches !== undefined) {
        const before = (): void => {
          options.signal?.throwIfAborted();
          counted();
        };
        for await (const batch of batches) session.putBatch(batch, before);
      } else {
        for await (const parsed of plugin.read(source, ctx)) {
          options.signal?.throwIfAborted();
          if (session.put(parsed.record, parsed.scope, parsed.partial) === 'kept') issues.push(keptRecord(input, parsed.record.id));
          counted();
        }
      }
      for (const scope of [...scopes].sort()) {
        const partial = damaged.has(scope);
        const { kept, listed } = session.retireMissing(scope, !partial);
        if (kept === 0) continue;
        issues.push(listed === 0 ? emptyScope(plugin, input, scope, kept) : partialScope(input, scope, kept));
      }
      if (read === 0 && issues.length === 0) issues.push(issue(FEED_EMPTY, `${input} holds no advisories (read as ${plugin.id}): nothing was imported`, input, `Expected ${plugin.formats.join('; ')}. Check the path or URL, or --source.`));
      session.counts.issues = issues.length;
      if (read === 0) {
        // an input that gave nothing leaves no trace: no import row (the data does not count as updated:
        // db status, vuln-db-stale) and no ETag (the next `db update` fetches it again instead of a 304)
        const counts = { ...session.counts };
        session.rollback();
        return { source: plugin.id, feed: input, counts, issues, notModified: false };
      }
      // a feed with an empty scope keeps no ETag either (the next update looks again), and does not count as
      // brought up to date (freshness.ts: its mirror is said to be behind once its last complete copy is old)
      const complete = !issues.some((i) => i.code === FEED_SCOPE_EMPTY);
      if (url && fetched?.etag !== undefined && complete) writeMeta(db, `${META_PREFIX}${input}`, fetched.etag);
      const counts = session.commit(complete);
      options.onProgress?.({ phase: 'import', done: read });
      return { source: plugin.id, feed: input, counts, issues, notModified: false };
    } catch (error) {
      session.rollback();
      throw error;
    }
  } finally {
    if (fetched !== undefined) await rm(fetched.dir, { recursive: true, force: true });
  }
}

/** Issue codes of an input that gave nothing (FEED_EMPTY) or nothing of a scope the database holds (FEED_SCOPE_EMPTY): a broken feed, not bad records. */
export const FEED_EMPTY = 'feed-empty';
export const FEED_SCOPE_EMPTY = 'feed-scope-empty';

/** Whether a result's input gave nothing (or nothing of a stored scope): the commands report it as a failed feed. */
export function emptyFeed(result: ImportResult): boolean {
  return result.issues.some((i) => i.code === FEED_EMPTY || i.code === FEED_SCOPE_EMPTY);
}

/**
 * A complete snapshot (a Debian tracker export, an Alpine secdb file) that holds nothing of a scope the
 * database has advisories of: they are kept, and said so (store retireMissing).
 */
function emptyScope(plugin: VulnSource, input: string, scope: string, kept: number): Issue {
  return issue(
    FEED_SCOPE_EMPTY,
    `${input} holds no ${plugin.id} advisories of "${scope}", but the database holds ${kept}: they are kept, not retired (an empty feed is more likely broken than every advisory withdrawn at once)`,
    input,
    'Check the feed (URL, mirror, --source). If it really is empty now, import it into a new --db.',
  );
}

/** Issue codes of a snapshot read in part: a stored advisory kept whole (FEED_RECORD_KEPT), a scope whose missing advisories were not retired (FEED_SCOPE_PARTIAL). */
export const FEED_RECORD_KEPT = 'feed-record-kept';
export const FEED_SCOPE_PARTIAL = 'feed-scope-partial';

/** Part of advisory `id` could not be read (an issue above says which part): the stored copy stays, rather than less of it. */
function keptRecord(input: string, id: string): Issue {
  return issue(
    FEED_RECORD_KEPT,
    `${id}: part of it could not be read from ${input} (see the issue above), so the stored copy is kept as it was rather than replaced by less`,
    input,
    'It is updated once the feed gives it whole; report the entry to the feed if it stays.',
  );
}

/** Part of a complete snapshot could not be read: the `kept` advisories of `scope` it does not list were not retired. */
function partialScope(input: string, scope: string, kept: number): Issue {
  return issue(
    FEED_SCOPE_PARTIAL,
    `${input}: part of "${scope}" could not be read (see the issues above), so ${kept} stored advisor${kept === 1 ? 'y' : 'ies'} it does not list ${kept === 1 ? 'is' : 'are'} kept this time, not retired`,
    input,
    'They are retired by the next import that reads the feed whole.',
  );
}

/** An import failure as an issue (for `db update`, where one broken mirror must not stop the others). */
export function importFailure(input: string, error: unknown): Issue {
  const hint = error instanceof AppError ? error.hint : undefined;
  return issue('feed', errorMessage(error), input, hint);
}
