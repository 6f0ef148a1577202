/**
 * File access shared by the source plugins: walk a directory, read the entries of a zip (yauzl, entry by
 * entry, bounded; or as references to its central directory that reader threads read themselves:
 * `zipEntryRefs`, `readZipEntry`), and parse JSON or YAML text. Parsing failures are returned, not thrown: one bad file
 * becomes an issue. An unreadable archive throws InputError so the import replaces nothing.
 */
import { isAscii } from 'node:buffer';
import { createReadStream, read as readFd, readSync } from 'node:fs';
import { open as openFile, readdir, stat, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import { extname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import yauzl from 'yauzl';
import { InputError, errorMessage } from '../core/errors.js';

/** Largest single file or zip entry read into memory. The Debian tracker JSON is ~80 MB, OSV records a few KB. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
export const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** Whether a file of this name is read as YAML (.yaml/.yml); every other name is read as JSON. */
export function isYamlName(name: string): boolean {
  const ext = extname(name).toLowerCase();
  return ext === '.yaml' || ext === '.yml';
}

/** Parse `text` as JSON (.json) or YAML (.yaml/.yml; YAML 1.2 core schema, so timestamps stay strings). */
export function parseText(text: string, name: string): Parsed {
  try {
    if (isYamlName(name)) return { ok: true, value: parseYaml(text, { schema: 'core', maxAliasCount: 100 }) as unknown };
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
  if (isYamlName(name)) return parseText(bytes.toString('utf8'), name);
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

/** Bytes at the end of a zip read at once for its central directory (~70 bytes an entry: ~900,000 entries). */
const ZIP_TAIL_BYTES = 64 * 1024 * 1024;

/** A `close` for fs streams over a descriptor someone else closes. */
const KEEP_OPEN = (_fd: number, callback: (error: NodeJS.ErrnoException | null) => void): void => callback(null);

/**
 * yauzl's reader of a zip file, with the file's last bytes (where the central directory is) read once: yauzl reads
 * each central-directory entry with two reads, and through its own file reader that is a trip to libuv's thread
 * pool each (listing an osv.dev export of 50,000 entries took ~3 s; from memory ~0.45 s). Reads elsewhere go to the
 * file, as yauzl's own reader does. The file handle is the caller's to close.
 */
class TailReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly fd: number,
    private readonly tail: Buffer,
    private readonly tailStart: number,
  ) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    const from = position - this.tailStart;
    if (from >= 0 && from + length <= this.tail.length) {
      this.tail.copy(buffer, offset, from, from + length);
      callback(null, length);
      return;
    }
    readFd(this.fd, buffer, offset, length, position, (error, bytesRead) => callback(error, bytesRead));
  }

  override _readStreamForRange(start: number, end: number): Readable {
    // yauzl destroys a finished entry stream, and a destroyed fs stream closes its descriptor even with
    // `autoClose: false`; the descriptor is the zip's, for every entry: its close is left to the caller
    return createReadStream('', { fd: this.fd, start, end: end - 1, autoClose: false, fs: { read: readFd, close: KEEP_OPEN } });
  }
}

/** The zip at `path` opened for yauzl (lazy entries), with the handle to close after it. */
async function openZip(path: string): Promise<{ zip: yauzl.ZipFile; handle: FileHandle }> {
  const handle = await openFile(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const tailStart = Math.max(0, size - ZIP_TAIL_BYTES);
    // every byte is read into it (checked below): no need to zero up to 64 MiB first
    const tail = Buffer.allocUnsafe(size - tailStart);
    const { bytesRead } = await handle.read(tail, 0, tail.length, tailStart);
    if (bytesRead !== tail.length) throw new Error('the file changed while it was read');
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.fromRandomAccessReader(new TailReader(handle.fd, tail, tailStart), size, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (error, opened) => {
        if (error !== null && error !== undefined) reject(error);
        else resolve(opened);
      });
    });
    return { zip, handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
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

/** The error for a zip that cannot be read: the whole import is abandoned and nothing is replaced. */
export function zipCorrupt(display: string, error: unknown): InputError {
  return new InputError(display, `Cannot read zip archive "${display}": ${errorMessage(error)}`, { hint: 'The archive is truncated or corrupt; download it again. The database was not changed.', cause: error });
}

/** The file entries (not folders) of the zip at `path` as yauzl lists them, with the zip they are read from. */
async function* listZip(path: string, display: string, signal: AbortSignal | undefined): AsyncGenerator<{ zip: yauzl.ZipFile; entry: yauzl.Entry }> {
  let opened: { zip: yauzl.ZipFile; handle: FileHandle };
  try {
    opened = await openZip(path);
  } catch (error) {
    throw zipCorrupt(display, error);
  }
  const { zip, handle } = opened;
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
          reject(zipCorrupt(display, error));
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
      if (!entry.fileName.endsWith('/')) yield { zip, entry };
    }
  } finally {
    zip.close();
    await handle.close();
  }
}

function tooLarge(size: number): string {
  return `entry is ${size} bytes, more than the ${MAX_ENTRY_BYTES}-byte limit`;
}

/**
 * The file entries of a zip, one at a time. A zip that cannot be opened, or whose data is corrupt, throws
 * InputError naming the archive (the whole import is abandoned and nothing is replaced).
 */
export async function* zipEntries(path: string, display: string, signal?: AbortSignal): AsyncGenerator<ZipEntry> {
  for await (const { zip, entry } of listZip(path, display, signal)) {
    yield {
      name: entry.fileName,
      size: entry.uncompressedSize,
      read: async () => {
        if (entry.uncompressedSize > MAX_ENTRY_BYTES) throw new Error(tooLarge(entry.uncompressedSize));
        try {
          return await readStream(zip, entry);
        } catch (error) {
          throw zipCorrupt(display, error);
        }
      },
    };
  }
}

/** Where one zip entry's bytes are, as the central directory says: enough for any thread to read it (readZipEntry). */
export interface ZipEntryRef {
  name: string;
  /** Offset of the entry's local file header in the file. */
  offset: number;
  compressedSize: number;
  size: number;
  /** 0 stored, 8 deflated (others are refused when read, as yauzl refuses them). */
  method: number;
  encrypted: boolean;
  /** Name and extra field lengths in the central directory: the local header usually repeats them. */
  headerBytes: number;
}

/**
 * The file entries of a zip as references (ZipEntryRef), for reader threads that read and inflate the entries
 * themselves (readZipEntry): what yauzl would read entry by entry through a stream on this thread, one trip to the
 * thread pool per read. Entries over MAX_ENTRY_BYTES come with `tooLarge` set. Errors as zipEntries.
 */
export async function* zipEntryRefs(path: string, display: string, signal?: AbortSignal): AsyncGenerator<ZipEntryRef & { tooLarge?: string }> {
  for await (const { entry } of listZip(path, display, signal)) {
    const ref: ZipEntryRef = {
      name: entry.fileName,
      offset: entry.relativeOffsetOfLocalHeader,
      compressedSize: entry.compressedSize,
      size: entry.uncompressedSize,
      method: entry.compressionMethod,
      encrypted: (entry.generalPurposeBitFlag & 1) !== 0,
      headerBytes: entry.fileNameLength + entry.extraFieldLength,
    };
    yield entry.uncompressedSize > MAX_ENTRY_BYTES ? { ...ref, tooLarge: tooLarge(entry.uncompressedSize) } : ref;
  }
}

const LOCAL_HEADER_BYTES = 30;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;

/**
 * One entry's bytes, read synchronously from the open zip `fd` (a reader thread's own) and inflated: the local
 * file header (APPNOTE 4.3.7: its own name and extra field lengths say where the data starts) and the data in one
 * read when the header repeats the central directory's lengths, as it usually does. Checks what yauzl checks when
 * it reads an entry: the header's signature, encryption, the compression method and the size the central
 * directory gives. Throws Error naming what is wrong (the caller names the archive: zipCorrupt).
 */
export function readZipEntry(fd: number, ref: ZipEntryRef): Buffer {
  if (ref.encrypted) throw new Error(`${ref.name}: the entry is encrypted`);
  if (ref.method !== 0 && ref.method !== 8) throw new Error(`${ref.name}: unsupported compression method ${ref.method}`);
  const guess = LOCAL_HEADER_BYTES + ref.headerBytes;
  let buffer = Buffer.allocUnsafe(guess + ref.compressedSize);
  let got = readSync(fd, buffer, 0, buffer.length, ref.offset);
  if (got < LOCAL_HEADER_BYTES || buffer.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) throw new Error(`${ref.name}: invalid local file header signature at offset ${ref.offset}`);
  const start = LOCAL_HEADER_BYTES + buffer.readUInt16LE(26) + buffer.readUInt16LE(28);
  if (start !== guess) {
    buffer = Buffer.allocUnsafe(start + ref.compressedSize);
    got = readSync(fd, buffer, 0, buffer.length, ref.offset);
  }
  if (got < start + ref.compressedSize) throw new Error(`${ref.name}: unexpected end of file`);
  const data = buffer.subarray(start, start + ref.compressedSize);
  let bytes: Buffer;
  try {
    // one byte more than promised is enough to tell a lying size (yauzl's validateEntrySizes): zlib then throws
    bytes = ref.method === 0 ? data : inflateRawSync(data, { maxOutputLength: ref.size + 1 });
  } catch (error) {
    throw new Error(`${ref.name}: ${errorMessage(error)}`);
  }
  if (bytes.length !== ref.size) throw new Error(`${ref.name}: expected ${ref.size} bytes, got ${bytes.length}`);
  return bytes;
}

/** JSON's insignificant whitespace (RFC 8259): space, tab, line feed, carriage return. */
function isJsonSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(bytes: Uint8Array, from: number): number {
  let i = from;
  while (isJsonSpace(bytes[i])) i++;
  return i;
}

/** Set by valueEnd: whether the value it just scanned has whitespace outside its strings. */
let spaced = false;

/** The index of the quote that closes the string opened at `quote` (a backslash escapes the byte after it), at most `limit`. */
function stringEnd(bytes: Uint8Array, quote: number, limit: number): number {
  let i = quote + 1;
  for (; i < limit; i++) {
    const s = bytes[i];
    if (s === 0x5c) i++;
    else if (s === 0x22) break;
  }
  return i;
}

/** End (exclusive) of the JSON value starting at `start` of text that JSON.parse accepted. */
function valueEnd(bytes: Uint8Array, start: number): number {
  spaced = false;
  const n = bytes.length;
  let depth = 0;
  let i = start;
  do {
    const c = bytes[i] as number;
    if (c === 0x22) i = stringEnd(bytes, i, n);
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (isJsonSpace(c)) spaced = true;
    else if (depth === 0) {
      // a number, true, false or null at the top level: to the next delimiter
      while (i + 1 < n && !isJsonSpace(bytes[i + 1]) && bytes[i + 1] !== 0x2c && bytes[i + 1] !== 0x5d && bytes[i + 1] !== 0x7d) i++;
    }
    i++;
  } while (depth > 0 && i < n);
  return i;
}

/**
 * The bytes of `bytes[start, end)` (one JSON value) without the whitespace outside its strings. Strings are
 * copied byte by byte: a view per string to copy from (`subarray`, a Buffer object each) cost as much as the
 * copying, for the many short strings of a pretty-printed record.
 */
function compacted(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  let length = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (inString) {
      out[length++] = c;
      if (c === 0x5c && i + 1 < end) out[length++] = bytes[++i] as number;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      out[length++] = c;
      inString = true;
    } else if (!isJsonSpace(c)) out[length++] = c;
  }
  return out.subarray(0, length);
}

/**
 * The text of each record of a JSON file that JSON.parse accepted, as compact UTF-8 bytes (no whitespace
 * outside strings, so never a raw line feed): each element of a top-level array, or the top-level object.
 * Storing these instead of `JSON.stringify` of the parsed record gives the same values for a fraction of
 * the work (the store keeps records as text: store/blocks.ts). An element of a minified file is a view of
 * `bytes`, one of a pretty-printed file a compacted copy. Undefined when the top level is neither.
 */
export function jsonRecordTexts(bytes: Uint8Array): Uint8Array[] | undefined {
  let i = skipSpace(bytes, 0);
  const texts: Uint8Array[] = [];
  const take = (start: number): number => {
    const end = valueEnd(bytes, start);
    texts.push(spaced ? compacted(bytes, start, end) : bytes.subarray(start, end));
    return end;
  };
  if (bytes[i] === 0x7b) {
    // The whole file is the record (one per file: an osv.dev export's entries, a repository checkout's files): it
    // ends at the last byte that is not whitespace, so one compacting pass is all it takes, not a scan for its end
    // first. A file with nothing to compact (minified) keeps its own bytes.
    let end = bytes.length;
    while (end > i && isJsonSpace(bytes[end - 1])) end--;
    const text = compacted(bytes, i, end);
    texts.push(text.length === end - i ? bytes.subarray(i, end) : text);
    return texts;
  }
  if (bytes[i] !== 0x5b) return undefined;
  i = skipSpace(bytes, i + 1);
  if (bytes[i] === 0x5d) return texts;
  for (;;) {
    i = skipSpace(bytes, take(i));
    if (bytes[i] === 0x2c) i = skipSpace(bytes, i + 1);
    else return bytes[i] === 0x5d ? texts : undefined;
  }
}
