/**
 * File access shared by the source plugins: walk a directory, read the entries of a zip (yauzl, entry by
 * entry, bounded), and parse JSON or YAML text. Parsing failures are returned, not thrown: one bad file
 * becomes an issue. An unreadable archive throws InputError so the import replaces nothing.
 */
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
