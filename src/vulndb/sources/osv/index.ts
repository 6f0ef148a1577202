/**
 * OSV source: records in the OSV schema from a directory tree of `.json`/`.yaml` files, a single file (one
 * record, or an array of records), or an OSV export zip (the per-ecosystem `all.zip` of
 * osv-vulnerabilities, one `<ID>.json` per entry). URLs are downloaded by the import service first.
 * Incremental: the store skips a record whose stored copy has the same or a newer `modified`.
 */
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { setImmediate } from 'node:timers/promises';
import { extname, join } from 'node:path';
import { InputError, errorMessage } from '../../../core/errors.js';
import { issue } from '../../../core/issue.js';
import { MAX_FILE_BYTES, isDirectory, isZip, walk, zipEntries, zipEntryRefs } from '../../files.js';
import type { ParallelOptions, ParsedAdvisory, SourceContext, SourceInput, VulnSource } from '../../source.js';
import type { PreparedBatch } from '../../store/prepare.js';
import { RECORD_EXTENSIONS, parseRecords as parseLocated } from './parse.js';
import { ParsePool, ordered } from './pool.js';
import type { JobItem } from './worker.js';

function* parseRecords(text: string, name: string, location: string, ctx: SourceContext): Generator<ParsedAdvisory> {
  yield* parseLocated(text, name, location, (i) => ctx.issue(i));
}

async function* readOsv(input: SourceInput, ctx: SourceContext): AsyncGenerator<ParsedAdvisory> {
  if (await isDirectory(input.path)) {
    const files = await walk(input.path, RECORD_EXTENSIONS, ctx.signal);
    for (const file of files) {
      ctx.signal?.throwIfAborted();
      const full = join(input.path, file);
      const location = join(input.display, file);
      const size = (await stat(full)).size;
      if (size > MAX_FILE_BYTES) {
        ctx.issue(issue('osv-parse', `Skipped ${file}: ${size} bytes is more than the ${MAX_FILE_BYTES}-byte limit`, location));
        continue;
      }
      yield* parseRecords(await readFile(full, 'utf8'), file, location, ctx);
    }
    return;
  }
  if (await isZip(input.path)) {
    for await (const entry of zipEntries(input.path, input.display, ctx.signal)) {
      if (!RECORD_EXTENSIONS.includes(extname(entry.name).toLowerCase())) continue;
      const location = `${input.display}!${entry.name}`;
      let bytes: Buffer;
      try {
        bytes = await entry.read();
      } catch (error) {
        if (error instanceof InputError) throw error;
        ctx.issue(issue('osv-parse', `Skipped zip entry ${entry.name}: ${errorMessage(error)}`, location));
        continue;
      }
      yield* parseRecords(bytes.toString('utf8'), entry.name, location, ctx);
    }
    return;
  }
  let text: string;
  try {
    const size = (await stat(input.path)).size;
    if (size > MAX_FILE_BYTES) throw new Error(`${size} bytes is more than the ${MAX_FILE_BYTES}-byte limit`);
    text = await readFile(input.path, 'utf8');
  } catch (error) {
    throw new InputError(input.display, `Cannot read OSV input "${input.display}": ${errorMessage(error)}`, { hint: 'Pass a directory of OSV records, an OSV .json/.yaml file, an OSV all.zip, or a URL to one.', cause: error });
  }
  yield* parseRecords(text, input.path, input.display, ctx);
}

/** Inputs smaller than this are read in-thread: starting workers would cost more than they save. */
export const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;
/** Input bytes per worker job. */
const JOB_BYTES = 1024 * 1024;
/** Files stat'ed between two turns of the event loop while a directory is listed. */
const STAT_SLICE = 2048;

/** Group items into jobs of about JOB_BYTES. */
async function* jobsOf(items: AsyncIterable<{ item: JobItem; bytes: number }> | Iterable<{ item: JobItem; bytes: number }>): AsyncGenerator<JobItem[]> {
  let job: JobItem[] = [];
  let bytes = 0;
  for await (const { item, bytes: size } of items) {
    job.push(item);
    bytes += size;
    if (bytes >= JOB_BYTES) {
      yield job;
      job = [];
      bytes = 0;
    }
  }
  if (job.length > 0) yield job;
}

function* directoryItems(root: string, display: string, files: ReadonlyArray<{ file: string; size: number }>): Generator<{ item: JobItem; bytes: number }> {
  for (const { file, size } of files) {
    const location = join(display, file);
    if (size > MAX_FILE_BYTES) yield { item: { kind: 'issue', issue: issue('osv-parse', `Skipped ${file}: ${size} bytes is more than the ${MAX_FILE_BYTES}-byte limit`, location) }, bytes: 0 };
    else yield { item: { kind: 'file', path: join(root, file), name: file, location }, bytes: size };
  }
}

/** The record entries of a zip, as references the reader threads read and inflate themselves (files.ts readZipEntry). */
async function* zipItems(input: SourceInput, signal: AbortSignal | undefined): AsyncGenerator<{ item: JobItem; bytes: number }> {
  for await (const entry of zipEntryRefs(input.path, input.display, signal)) {
    if (!RECORD_EXTENSIONS.includes(extname(entry.name).toLowerCase())) continue;
    const location = `${input.display}!${entry.name}`;
    if (entry.tooLarge !== undefined) {
      yield { item: { kind: 'issue', issue: issue('osv-parse', `Skipped zip entry ${entry.name}: ${entry.tooLarge}`, location) }, bytes: 0 };
      continue;
    }
    const { tooLarge: _, ...ref } = entry;
    yield { item: { kind: 'zip', path: input.path, display: input.display, entry: ref, location }, bytes: entry.size };
  }
}

/**
 * A directory or zip of at least `minBytes` (default PARALLEL_MIN_BYTES), read on `workers` threads:
 * batches of prepared records in input order, with the same issues as `read`. undefined when the input is
 * better read in-thread.
 */
async function readOsvPrepared(input: SourceInput, ctx: SourceContext, options: ParallelOptions): Promise<AsyncIterable<PreparedBatch> | undefined> {
  const { workers } = options;
  const minBytes = options.minBytes ?? PARALLEL_MIN_BYTES;
  if (workers < 1) return undefined;
  let items: AsyncIterable<{ item: JobItem; bytes: number }> | Iterable<{ item: JobItem; bytes: number }>;
  if (await isDirectory(input.path)) {
    const files: Array<{ file: string; size: number }> = [];
    let total = 0;
    const paths = await walk(input.path, RECORD_EXTENSIONS, ctx.signal);
    for (let i = 0; i < paths.length; i++) {
      // A stat each, synchronously: one fs/promises stat after another (a trip to libuv's thread pool each) took ~3 s
      // for 50,000 one-record files before any reader started. The event loop still gets a turn every STAT_SLICE files.
      if (i > 0 && i % STAT_SLICE === 0) {
        await setImmediate();
        ctx.signal?.throwIfAborted();
      }
      const file = paths[i] as string;
      const size = statSync(join(input.path, file)).size;
      files.push({ file, size });
      total += size;
    }
    if (total < minBytes) return undefined;
    items = directoryItems(input.path, input.display, files);
  } else if (await isZip(input.path)) {
    // an OSV export compresses about 5:1
    if ((await stat(input.path)).size * 4 < minBytes) return undefined;
    items = zipItems(input, ctx.signal);
  } else return undefined;
  return (async function* batches(): AsyncGenerator<PreparedBatch> {
    const pool = new ParsePool(workers);
    try {
      for await (const result of ordered(pool, jobsOf(items), workers * 2 + 1, ctx.signal)) {
        for (const i of result.issues) ctx.issue(i);
        yield result.batch;
      }
    } finally {
      await pool.close();
    }
  })();
}

export const osv: VulnSource = {
  id: 'osv',
  title: 'OSV records (osv.dev exports, GitHub/PyPA/Go advisory databases)',
  formats: ['a directory of OSV .json/.yaml records', 'an OSV .json/.yaml file (one record or an array)', 'an OSV export zip (<ecosystem>/all.zip)'],
  // The fallback source: every JSON/YAML/zip input is tried as OSV when no other source claims it.
  detect: () => Promise.resolve(true),
  read: readOsv,
  readPrepared: readOsvPrepared,
};
