/**
 * A finding's stored detail (`history_findings.detail_packed`): its JSON as a zlib stream (RFC 1950) deflated with a
 * preset dictionary. A finding's JSON is ~1.6–2 KiB, mostly keys and phrases every finding of its rule repeats, and
 * a stream that small compresses ~2.1× alone; primed with typical findings it compresses ~3.7–4× (readme.md). The
 * stream names its dictionary (the header's DICTID, an Adler-32 of it), so rows written with another dictionary are
 * told apart, and its checksum catches a damaged row.
 *
 * The dictionary is a file (`detail-dictionary-1.txt`, read once): **never edit it** — rows written with it could no
 * longer be read. A better one is a new file with the next number, written from then on, the old ones still read.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { errorMessage } from '../../core/errors.js';
import { packageRoot } from '../../paths.js';
import { DbError } from '../../store/db.js';

interface Dictionary {
  file: string;
  sha256: string;
}

/** The dictionaries, the one written last. Their SHA-256 guards against an edited file. */
const DICTIONARIES: readonly Dictionary[] = [{ file: 'detail-dictionary-1.txt', sha256: 'ef42aac9acaa1faa8f2bc722cd6c2c8f8e23903b46e1e115a89ff5b872bf87f1' }];

interface Loaded {
  bytes: Buffer;
  /** The DICTID a stream deflated with it carries. */
  id: number;
}

let loaded: Loaded[] | undefined;

/** Folder of the dictionary files (in the package: listed in package.json `files`). */
function dictionaryDir(): string {
  return join(packageRoot(), 'src', 'serve', 'history');
}

function dictionaries(): Loaded[] {
  if (loaded !== undefined) return loaded;
  loaded = DICTIONARIES.map((d) => {
    const path = join(dictionaryDir(), d.file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new DbError(`Cannot read the history's compression dictionary ${path}: ${errorMessage(error)}`, { hint: 'Reinstall runwarden: the file ships with it.' });
    }
    if (createHash('sha256').update(bytes).digest('hex') !== d.sha256) {
      throw new DbError(`The history's compression dictionary ${path} is not the one runwarden ships`, { hint: 'Reinstall runwarden: stored findings are read with that exact file.' });
    }
    // the DICTID of a stream deflated with it: bytes 2–5 of its header
    return { bytes, id: deflateSync(Buffer.alloc(0), { dictionary: bytes }).readUInt32BE(2) };
  });
  return loaded;
}

/**
 * zlib's settings: level 6 (its default; level 1 was ~5 % larger and no faster on findings); a 16 KiB window, the
 * dictionary's size, and memLevel 7: half of zlib's default state (~128 KiB), allocated and freed per finding. The
 * output buffer is 1 KiB, not Node's 16 KiB: the packed detail is a slice of it, and is copied out at its size.
 */
const OPTIONS = { level: 6, windowBits: 14, memLevel: 7, chunkSize: 1024 } as const;

/**
 * A finding's JSON, packed for the `detail_packed` column. Copied out: a slice of zlib's output buffer would keep
 * the whole buffer alive, and 674,000 findings' worth of those made V8 run a full collection every few thousand
 * findings (a serve of the 30,000-pod cluster took minutes more to store its first scan).
 */
export function packDetail(json: string): Buffer {
  const latest = dictionaries().at(-1) as Loaded;
  return Buffer.from(deflateSync(json, { ...OPTIONS, dictionary: latest.bytes }));
}

/** The JSON of a packed detail; a DbError naming `what` when it cannot be read. */
export function unpackDetail(packed: Uint8Array, what: string): string {
  const bytes = Buffer.isBuffer(packed) ? packed : Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  // a zlib header (deflate, its check bits right) with FDICT (bit 5 of the second byte) names its dictionary in the
  // next four bytes; anything else is left to inflate, which says what is wrong with it
  const header = bytes.length >= 6 && ((bytes[0] as number) & 0x0f) === 8 && bytes.readUInt16BE(0) % 31 === 0;
  const named = header && ((bytes[1] as number) & 0x20) !== 0 ? bytes.readUInt32BE(2) : undefined;
  const dictionary = named === undefined ? undefined : dictionaries().find((d) => d.id === named);
  if (named !== undefined && dictionary === undefined) {
    throw new DbError(`${what} was written with a compression dictionary this runwarden does not have (id ${named.toString(16)})`, { hint: 'A newer runwarden wrote it: run that version, or the same version on every replica.' });
  }
  try {
    return inflateSync(bytes, dictionary === undefined ? {} : { dictionary: dictionary.bytes }).toString('utf8');
  } catch (error) {
    throw new DbError(`${what} is damaged: ${errorMessage(error)}`, { hint: 'The history store is damaged: restore it from a backup, or start a new one (--store).' });
  }
}
