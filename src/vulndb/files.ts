/**
 * File access shared by the source plugins: walk a directory, read the entries of a zip (yauzl, entry by
 * entry, bounded), and parse JSON or YAML text. Parsing failures are returned, not thrown: one bad file
 * becomes an issue. An unreadable archive throws InputError so the import replaces nothing.
 */
import { isAscii } from 'node:buffer';
import { open as openFile, readdir, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import yauzl from 'yauzl';
import { InputError, errorMessage } from '../core/errors.js';

/** Largest single file or zip entry read into memory. The Debian tracker JSON is ~80 MB, OSV records a few KB. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
export const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** Parse `text` as JSON (.json) or YAML (.yaml/.yml; YAML 1.2 core schema, so timestamps stay strings). */
export function parseText(text: string, name: string): Parsed {
  try {
    const ext = extname(name).toLowerCase();
    if (ext === '.yaml' || ext === '.yml') return { ok: true, value: parseYaml(text, { schema: 'core', maxAliasCount: 100 }) as unknown };
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: errorMessage(error).split('\n')[0] ?? 'unparseable' };
  }
}

/**
 * Parse a file's bytes like `parseText(bytes.toString('utf8'), name)` (same values, same error messages), but
 * JSON with few non-ASCII characters is handed to JSON.parse as a one-byte string: those characters, which
 * valid JSON has only inside strings, are written as `\uXXXX` escapes. One non-ASCII character anywhere
 * makes the UTF-8 decode produce a two-byte string, and V8 decodes and parses those measurably slower
 * (bench/vulndb: every 1 MB file has a few dozen; ~40,000 fewer instructions per record, docs/PERFORMANCE.md).
 */
export function parseBytes(bytes: Buffer, name: string): Parsed {
  const ext = extname(name).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return parseText(bytes.toString('utf8'), name);
  const text = asciiJson(bytes);
  if (text === undefined) return parseText(bytes.toString('utf8'), name);
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // the error message (and its position) of the text as written
    return parseText(bytes.toString('utf8'), name);
  }
}

/** Runs of non-ASCII bytes allowed per byte of input before asciiJson gives up (mostly non-Latin text). */
const NON_ASCII_RUNS_PER_BYTE = 1 / 256;
/** Below this many bytes, asciiJson looks at each byte instead of halving further. */
const SCAN_BYTES = 256;

/**
 * JSON bytes as an ASCII string with every non-ASCII character escaped; undefined when that would not give
 * the same value: a non-ASCII character right after an odd number of backslashes (an invalid escape that
 * would turn into a valid one), or too many non-ASCII runs to be worth it.
 */
export function asciiJson(bytes: Buffer): string | undefined {
  if (isAscii(bytes)) return bytes.toString('latin1');
  // [start, end) of each run, found by halving with the native (vectorised) isAscii
  const runs: number[] = [];
  const limit = Math.max(16, bytes.length * NON_ASCII_RUNS_PER_BYTE);
  const visit = (start: number, end: number): boolean => {
    if (isAscii(bytes.subarray(start, end))) return true;
    if (end - start > SCAN_BYTES) {
      const middle = (start + end) >>> 1;
      return visit(start, middle) && visit(middle, end);
    }
    for (let i = start; i < end; i++) {
      if ((bytes[i] ?? 0) < 0x80) continue;
      // a character split across two halves continues the run before it
      if (runs.length > 0 && runs[runs.length - 1] === i) runs[runs.length - 1] = i + 1;
      else runs.push(i, i + 1);
    }
    return runs.length <= limit * 2;
  };
  if (!visit(0, bytes.length)) return undefined;
  const parts: string[] = [];
  let at = 0;
  for (let r = 0; r < runs.length; r += 2) {
    const start = runs[r] ?? 0;
    const end = runs[r + 1] ?? 0;
    let backslashes = 0;
    while (start - backslashes - 1 >= 0 && bytes[start - backslashes - 1] === 0x5c) backslashes++;
    if (backslashes % 2 === 1) return undefined;
    parts.push(bytes.toString('latin1', at, start));
    // decoded on its own, a run gives the same characters (U+FFFD for a broken sequence) as in the whole text
    const chars = bytes.toString('utf8', start, end);
    let escaped = '';
    for (let i = 0; i < chars.length; i++) escaped += `\\u${chars.charCodeAt(i).toString(16).padStart(4, '0')}`;
    parts.push(escaped);
    at = end;
  }
  parts.push(bytes.toString('latin1', at));
  return parts.join('');
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The first `bytes` of a file as text ('' when unreadable). */
export async function head(path: string, bytes = 4096): Promise<string> {
  let handle;
  try {
    handle = await openFile(path, 'r');
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}

export async function isZip(path: string): Promise<boolean> {
  const start = await head(path, 4);
  return start.startsWith('PK\x03\x04') || start.startsWith('PK\x05\x06');
}

/** Every regular file under `dir` whose extension is in `extensions`, sorted, as paths relative to `dir`. */
export async function walk(dir: string, extensions: readonly string[], signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const current = pending.pop();
    if (current === undefined) break;
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile() && extensions.includes(extname(entry.name).toLowerCase())) out.push(relative(dir, full));
    }
  }
  return out.sort();
}

export interface ZipEntry {
  name: string;
  /** The entry's bytes, or an error for an entry that is too large. */
  read(): Promise<Buffer>;
  size: number;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (error, zip) => {
      if (error !== null && error !== undefined) reject(error);
      else resolve(zip);
    });
  });
}

function readStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error !== null && error !== undefined) {
        reject(error);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/**
 * The file entries of a zip, one at a time. A zip that cannot be opened, or whose data is corrupt, throws
 * InputError naming the archive (the whole import is abandoned and nothing is replaced).
 */
export async function* zipEntries(path: string, display: string, signal?: AbortSignal): AsyncGenerator<ZipEntry> {
  const corrupt = (error: unknown): InputError =>
    new InputError(display, `Cannot read zip archive "${display}": ${errorMessage(error)}`, { hint: 'The archive is truncated or corrupt; download it again. The database was not changed.', cause: error });
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (error) {
    throw corrupt(error);
  }
  try {
    for (;;) {
      signal?.throwIfAborted();
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry): void => {
          cleanup();
          resolve(e);
        };
        const onEnd = (): void => {
          cleanup();
          resolve(undefined);
        };
        const onError = (error: unknown): void => {
          cleanup();
          reject(corrupt(error));
        };
        const cleanup = (): void => {
          zip.removeListener('entry', onEntry);
          zip.removeListener('end', onEnd);
          zip.removeListener('error', onError);
        };
        zip.on('entry', onEntry);
        zip.on('end', onEnd);
        zip.on('error', onError);
        zip.readEntry();
      });
      if (entry === undefined) return;
      if (entry.fileName.endsWith('/')) continue;
      yield {
        name: entry.fileName,
        size: entry.uncompressedSize,
        read: async () => {
          if (entry.uncompressedSize > MAX_ENTRY_BYTES) throw new Error(`entry is ${entry.uncompressedSize} bytes, more than the ${MAX_ENTRY_BYTES}-byte limit`);
          try {
            return await readStream(zip, entry);
          } catch (error) {
            throw corrupt(error);
          }
        },
      };
    }
  } finally {
    zip.close();
  }
}
