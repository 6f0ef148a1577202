/**
 * The JSON report formats (json, sarif, cyclonedx) as `JSON.stringify(value, null, 2)` writes them, either as one
 * string (`jsonText`) or in pieces (`jsonChunks`) for a writer. A scan of a large cluster with its images read has
 * hundreds of thousands of findings: ~1 GB of text, more than one string can hold (V8's limit is 2^29 characters)
 * and more than the heap should hold at once beside the report (bench/scan-images ran out of memory in
 * `JSON.stringify`). The pieces joined are the one string, byte for byte (json-text.test.ts). `compactJsonChunks`
 * is the same for `JSON.stringify(value)`: serve's published scan (serve/follow), compressed, never read by people.
 *
 * Arrays longer than BIG, and the objects and arrays that hold one (within three levels), are written member by
 * member; everything else by `JSON.stringify` itself, indented to its place. `toJSON` is honoured, but called with
 * the empty key (no report value's `toJSON` looks at its key).
 */
import type { Writable } from 'node:stream';

/** Items beyond which an array is written item by item. */
const BIG = 64;
/** How deep below a member the search for a big array goes (SARIF's results are runs[0].results). */
const DEPTH = 3;

/** How a text is laid out: `JSON.stringify(value, null, 2)` (the report formats) or `JSON.stringify(value)`. */
interface Layout {
  /** Indentation per level; '' for compact text, which has no newlines either. */
  gap: string;
  /** What follows a member's key. */
  colon: string;
}

const PRETTY: Layout = { gap: '  ', colon: ': ' };
const COMPACT: Layout = { gap: '', colon: ':' };

/** `JSON.stringify(value, null, 2)` plus a newline, as the report formats write it. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** jsonText in pieces: the same text, never more than one big array's single item in one piece. */
export function* jsonChunks(value: unknown): Generator<string> {
  yield* top(value, PRETTY);
  yield '\n';
}

/**
 * `JSON.stringify(value)` in pieces, the same way: for a document that is compressed or parsed rather than read
 * (serve's published scan, follow/index.ts). Gives nothing where JSON.stringify gives undefined.
 */
export function* compactJsonChunks(value: unknown): Generator<string> {
  yield* top(value, COMPACT);
}

function* top(value: unknown, layout: Layout): Generator<string> {
  const text = member(value, '', layout);
  if (text === undefined) {
    // what JSON.stringify gives for undefined or a function at the top: no JSON at all
    if (layout === PRETTY) yield 'undefined';
    return;
  }
  if (typeof text === 'string') yield text;
  else yield* text;
}

function resolved(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') return (value as { toJSON: (key: string) => unknown }).toJSON('');
  return value;
}

function big(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    if (value.length > BIG) return true;
    if (depth === 0) return false;
    for (const item of value) if (big(resolved(item), depth - 1)) return true;
    return false;
  }
  if (depth === 0) return false;
  for (const key of Object.keys(value)) if (big(resolved((value as Record<string, unknown>)[key]), depth - 1)) return true;
  return false;
}

/** A value's text at `indent`: a string, pieces (a big container), or undefined (skipped in an object, null in an array). */
function member(raw: unknown, indent: string, layout: Layout): string | Iterable<string> | undefined {
  const value = resolved(raw);
  if (typeof value === 'object' && value !== null && big(value, DEPTH)) return Array.isArray(value) ? arrayChunks(value, indent, layout) : objectChunks(value as Record<string, unknown>, indent, layout);
  if (layout.gap === '') return JSON.stringify(value) as string | undefined;
  const text = JSON.stringify(value, null, layout.gap) as string | undefined;
  if (text === undefined || indent === '' || !text.includes('\n')) return text;
  // a JSON text has newlines only between its tokens (strings escape theirs)
  return text.replaceAll('\n', `\n${indent}`);
}

/** Where a member starts: a newline and the indentation, or nothing in compact text. */
function lineAt(indent: string, layout: Layout): string {
  return layout.gap === '' ? '' : `\n${indent}`;
}

function* arrayChunks(items: readonly unknown[], indent: string, layout: Layout): Generator<string> {
  const inner = indent + layout.gap;
  const line = lineAt(inner, layout);
  yield '[';
  for (let i = 0; i < items.length; i++) {
    yield i === 0 ? line : `,${line}`;
    const text = member(items[i], inner, layout);
    if (text === undefined) yield 'null';
    else if (typeof text === 'string') yield text;
    else yield* text;
  }
  // a big array is never empty
  yield `${lineAt(indent, layout)}]`;
}

function* objectChunks(object: Record<string, unknown>, indent: string, layout: Layout): Generator<string> {
  const inner = indent + layout.gap;
  const line = lineAt(inner, layout);
  let first = true;
  for (const key of Object.keys(object)) {
    const text = member(object[key], inner, layout);
    if (text === undefined) continue;
    yield `${first ? '{' : ','}${line}${JSON.stringify(key)}${layout.colon}`;
    first = false;
    if (typeof text === 'string') yield text;
    else yield* text;
  }
  // a big object always has a member (the big array)
  yield first ? '{}' : `${lineAt(indent, layout)}}`;
}

/**
 * Write pieces to a stream at its reader's pace (utf8Batches; waiting for 'drain' when it is full), without ending it.
 * A stream whose reader has gone (closed, destroyed, errored: an HTTP client that left, `runwarden … | head`) takes
 * no more: the rest is not rendered, and its error is left to the stream's own handlers.
 */
export async function writePieces(stream: Writable, pieces: Iterable<string>): Promise<void> {
  const gone = (): boolean => stream.destroyed || stream.errored !== null;
  if (gone()) return;
  for (const piece of utf8Batches(pieces)) {
    if (!stream.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('close', done);
          stream.off('error', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('close', done);
        stream.on('error', done);
      });
    }
    // checked before the next piece is rendered
    if (gone()) return;
  }
}

/** Bytes per write of writePieces and the CLI's --output. */
export const WRITE_BYTES = 1 << 20;

/**
 * Pieces encoded into buffers of about `size` bytes, one write each. The text is never joined into large strings:
 * those live in V8's large-object space until a full collection, and joining a ~1 GB report 1 MiB at a time made
 * the collector a third of the scan (bench/scan-images). With `reuse`, every buffer is the same memory: the
 * consumer must be done with one (an awaited file write) before it asks for the next; a stream, which keeps what
 * it is given until it is flushed, gets a new one each time.
 */
export function* utf8Batches(pieces: Iterable<string>, size = WRITE_BYTES, reuse = false): Generator<Buffer> {
  let buffer = Buffer.allocUnsafe(size);
  let used = 0;
  for (const piece of pieces) {
    // a UTF-16 code unit is at most 3 bytes of UTF-8: a piece that may not fit goes into the next buffer
    if (used + piece.length * 3 > size && used > 0) {
      yield buffer.subarray(0, used);
      if (!reuse) buffer = Buffer.allocUnsafe(size);
      used = 0;
    }
    if (piece.length * 3 > size) {
      yield Buffer.from(piece, 'utf8');
      continue;
    }
    used += buffer.write(piece, used, 'utf8');
  }
  if (used > 0) yield buffer.subarray(0, used);
}
