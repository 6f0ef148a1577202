/**
 * A push parser for the tar stream of a layer: headers are decoded straight out of the decompressed
 * chunks, file bodies are handed on as sub-arrays of those chunks (no copy, no stream per entry),
 * and the bodies of files nobody asked for are skipped by arithmetic. It replaces tar-stream on the
 * hot path of the pass (layers/walk.ts): tar-stream's per-entry Readable, its buffer list and its
 * header objects cost more main-thread time and garbage than decompressing the layer (bench/layers).
 *
 * What it reads, and how untrusted input is treated (tar(5) "POSIX ustar", POSIX.1-2001 pax, GNU
 * long names; where formats disagree it does what Go's archive/tar — the reader of containerd's and
 * Docker's layer appliers — does, so the index is what the runtime builds):
 * - ustar (`ustar\0`, with its 155-byte prefix) and GNU (`ustar  \0`) headers; any other magic is
 *   refused ("unknown format"), as tar-stream did; the checksum must match (unsigned or signed sum);
 * - numbers in octal or GNU base-256; a negative or non-numeric size is a corrupt header;
 * - pax extended headers (`x`): `path`, `linkpath`, `size`, `uid`, `gid`, `mtime` override the next
 *   header; global headers (`g`) are skipped (the appliers ignore them); GNU `L`/`K` (and old `N`)
 *   long names; a long header larger than 1 MiB is refused (a name cannot need that);
 * - links, symlinks, devices, folders and FIFOs carry no body whatever their size field says (Go's
 *   "header-only types"): a size there is not an offset an attacker can use to hide entries;
 * - two zero blocks end the archive; whatever follows is not parsed (the runtime ignores it too); a
 *   single zero block followed by a header is corrupt; an archive that stops cleanly at a header
 *   boundary without the end marker is accepted (as Go does);
 * - the input ending inside a header, a body or its padding is truncation.
 */

/** A header as the pass needs it, long names and pax records applied. */
export interface TarHeader {
  name: string;
  /** The typeflag byte ('0' for NUL, as old tars write regular files). */
  flag: string;
  /** Body bytes that follow (0 for header-only types). */
  size: number;
  /** The size field as declared (for messages about header-only types and limits). */
  declared: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, whole. */
  mtime: number;
  linkname: string;
}

export class TarError extends Error {
  constructor(
    readonly kind: 'corrupt' | 'truncated',
    message: string,
  ) {
    super(message);
    this.name = 'TarError';
  }
}

export interface TarEvents {
  /** One entry's header (extended headers already applied). Its body, if any, follows through `data`. */
  header(h: TarHeader): void;
  /** A piece of the current entry's body; a returned promise holds the parser until it settles. */
  data(chunk: Buffer): void | Promise<void>;
  /** The current entry's body is complete (also called for entries without a body). */
  end(): void | Promise<void>;
}

const BLOCK = 512;
const MAX_LONG_HEADER = 1024 * 1024;
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);
const LONG = new Set(['x', 'g', 'L', 'K', 'N']);

const State = {
  Header: 0,
  Body: 1,
  Long: 2,
  Pad: 3,
  /** After one zero block: a second ends the archive. */
  Zero: 4,
  Done: 5,
} as const;
type State = (typeof State)[keyof typeof State];

/**
 * A numeric field: octal digits (leading spaces or NULs, ended by a space or NUL), or GNU base-256.
 * `strict` (the size): any other character makes it NaN; otherwise parsing stops there, as
 * tar-stream's parseInt did for modes, ids and times.
 */
function octal(buf: Buffer, offset: number, length: number, strict = false): number {
  const first = buf[offset] ?? 0;
  if ((first & 0x80) !== 0) {
    // GNU base-256: 0x80 positive, 0xff negative (two's complement).
    const negative = first === 0xff;
    if (!negative && first !== 0x80) return Number.NaN;
    let sum = 0;
    for (let i = offset + 1; i < offset + length; i++) {
      const b = buf[i] ?? 0;
      sum = sum * 256 + (negative ? 0xff - b : b);
    }
    return negative ? -(sum + 1) : sum;
  }
  let i = offset;
  const end = offset + length;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) {
      if (strict) return Number.NaN;
      break;
    }
    value = value * 8 + (c - 0x30);
    digits++;
  }
  return digits === 0 ? 0 : value;
}

function text(buf: Buffer, offset: number, length: number): string {
  let end = offset;
  const max = offset + length;
  while (end < max && buf[end] !== 0) end++;
  return buf.toString('utf8', offset, end);
}

function isZeroBlock(buf: Buffer, offset: number): boolean {
  // A real header's first byte (its name) is never NUL: this loop stops at once for all but zero blocks.
  for (let i = offset; i < offset + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

function checksumOk(buf: Buffer, offset: number): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = offset; i < offset + BLOCK; i++) {
    const b = i >= offset + 148 && i < offset + 156 ? 0x20 : (buf[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  const stored = octal(buf, offset + 148, 8);
  return stored === unsigned || stored === signed;
}

const USTAR = Buffer.from('ustar\0', 'latin1');
const GNU = Buffer.from('ustar  \0', 'latin1');

interface Pending {
  name?: string;
  linkname?: string;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

/** Apply pax records ("<len> <key>=<value>\n"); stops quietly at a malformed record, as tar-stream did. */
function paxRecords(buf: Buffer, into: Pending): void {
  let at = 0;
  while (at < buf.length) {
    const space = buf.indexOf(0x20, at);
    if (space === -1) return;
    const len = Number.parseInt(buf.toString('latin1', at, space), 10);
    if (!(len > 0) || at + len > buf.length) return;
    const record = buf.toString('utf8', space + 1, at + len - 1);
    at += len;
    const eq = record.indexOf('=');
    if (eq === -1) return;
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') into.name = value;
    else if (key === 'linkpath') into.linkname = value;
    else if (key === 'size' || key === 'uid' || key === 'gid' || key === 'mtime') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new TarError('corrupt', `Invalid tar header: pax record ${key}="${value.slice(0, 40)}" is not a number`);
      into[key] = key === 'mtime' ? Math.floor(n) : n;
    }
  }
}

export class TarParser {
  private state: State = State.Header;
  /** Bytes still to come in the current body, long header or padding. */
  private remaining = 0;
  /** Padding after the current body or long header. */
  private pad = 0;
  /** A header split across chunks. */
  private partial: Buffer | undefined;
  private partialLength = 0;
  private longFlag = '';
  private longParts: Buffer[] = [];
  private pending: Pending = {};
  /** Bytes of the input before the current chunk, and in all. */
  private chunkBase = 0;
  private total = 0;
  /** Where the header being decoded starts (for messages). */
  private headerAt = 0;

  constructor(private readonly events: TarEvents) {}

  /** The archive ended (two zero blocks): the rest of the input is not parsed. */
  get done(): boolean {
    return this.state === State.Done;
  }

  /**
   * Parse a chunk. Returns a promise when a consumer asked to wait: feed nothing more until it
   * settles (it settles once the rest of this chunk has been parsed). Throws TarError (the promise
   * rejects with it when the error comes after a wait).
   */
  write(chunk: Buffer): Promise<void> | undefined {
    this.chunkBase = this.total;
    this.total += chunk.length;
    return this.run(chunk, 0);
  }

  /** Parse nothing more (the caller stopped the pass). */
  stop(): void {
    this.state = State.Done;
  }

  /** The input ended: throws a truncation TarError unless the archive was complete. */
  end(): void {
    if (this.state === State.Header && this.partialLength === 0) return;
    if (this.state === State.Zero || this.state === State.Done) return;
    throw new TarError('truncated', 'Unexpected end of data');
  }

  private run(chunk: Buffer, from: number): Promise<void> | undefined {
    let at = from;
    const length = chunk.length;
    while (at < length) {
      const state = this.state;
      if (state === State.Body) {
        const n = Math.min(this.remaining, length - at);
        const piece = at === 0 && n === length ? chunk : chunk.subarray(at, at + n);
        at += n;
        this.remaining -= n;
        let wait = this.events.data(piece);
        if (this.remaining === 0) {
          this.state = this.pad > 0 ? State.Pad : State.Header;
          this.remaining = this.pad;
          wait = wait === undefined ? this.events.end() : wait.then(() => this.events.end());
        }
        if (wait !== undefined) {
          const resumeAt = at;
          return wait.then(() => this.run(chunk, resumeAt));
        }
      } else if (state === State.Pad || state === State.Long) {
        const n = Math.min(this.remaining, length - at);
        if (state === State.Long) this.longParts.push(Buffer.from(chunk.subarray(at, at + n)));
        at += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          if (state === State.Long) this.finishLong();
          else this.state = State.Header;
        }
      } else if (state === State.Done) {
        return undefined;
      } else {
        let block: Buffer;
        let base: number;
        if (this.partialLength === 0 && length - at >= BLOCK) {
          block = chunk;
          base = at;
          this.headerAt = this.chunkBase + at;
          at += BLOCK;
        } else {
          if (this.partialLength === 0) this.headerAt = this.chunkBase + at;
          this.partial ??= Buffer.allocUnsafe(BLOCK);
          const n = Math.min(BLOCK - this.partialLength, length - at);
          chunk.copy(this.partial, this.partialLength, at, at + n);
          this.partialLength += n;
          at += n;
          if (this.partialLength < BLOCK) break;
          block = this.partial;
          base = 0;
          this.partialLength = 0;
        }
        const wait = this.block(block, base);
        if (wait !== undefined) {
          const resumeAt = at;
          return wait.then(() => this.run(chunk, resumeAt));
        }
      }
    }
    return undefined;
  }

  private finishLong(): void {
    const body = this.longParts.length === 1 && this.longParts[0] !== undefined ? this.longParts[0] : Buffer.concat(this.longParts);
    this.longParts = [];
    if (this.longFlag === 'x') paxRecords(body, this.pending);
    else if (this.longFlag === 'L' || this.longFlag === 'N') this.pending.name = text(body, 0, body.length);
    else if (this.longFlag === 'K') this.pending.linkname = text(body, 0, body.length);
    // 'g': global pax records are not applied (Docker's and containerd's appliers ignore them).
    this.state = this.pad > 0 ? State.Pad : State.Header;
    this.remaining = this.pad;
  }

  /** One 512-byte header block at `base` of `buf`. */
  private block(buf: Buffer, base: number): Promise<void> | undefined {
    const at = this.headerAt;
    if (isZeroBlock(buf, base)) {
      this.state = this.state === State.Zero ? State.Done : State.Zero;
      return undefined;
    }
    if (this.state === State.Zero) throw new TarError('corrupt', `Invalid tar header at byte ${at}: a single zero block is followed by more headers`);
    if (!checksumOk(buf, base)) throw new TarError('corrupt', `Invalid tar header at byte ${at}: bad checksum. Maybe the tar is corrupted or it needs to be gunzipped?`);
    const ustar = buf.compare(USTAR, 0, 6, base + 257, base + 263) === 0;
    if (!ustar && buf.compare(GNU, 0, 8, base + 257, base + 265) !== 0) throw new TarError('corrupt', `Invalid tar header at byte ${at}: unknown format (neither ustar nor GNU)`);
    const typeByte = buf[base + 156] ?? 0;
    let flag = typeByte === 0 ? '0' : String.fromCharCode(typeByte);
    const declared = octal(buf, base + 124, 12, true);
    if (!(declared >= 0)) throw new TarError('corrupt', `Invalid header at byte ${at}: the size field is not a non-negative number`);

    if (LONG.has(flag)) {
      if (declared > MAX_LONG_HEADER) throw new TarError('corrupt', `Header exceeds max size: an extended header of ${declared} bytes at byte ${at} (at most ${MAX_LONG_HEADER})`);
      this.longFlag = flag;
      this.remaining = declared;
      this.pad = (BLOCK - (declared % BLOCK)) % BLOCK;
      if (declared === 0) this.finishLong();
      else this.state = State.Long;
      return undefined;
    }

    const p = this.pending;
    this.pending = {};
    let name = p.name;
    if (name === undefined) {
      name = text(buf, base, 100);
      if (ustar && buf[base + 345] !== 0) name = `${text(buf, base + 345, 155)}/${name}`;
    }
    if (flag === '0' && name.endsWith('/')) flag = '5';
    const size = p.size ?? declared;
    const body = HEADER_ONLY.has(flag) ? 0 : size;
    this.events.header({
      name,
      flag,
      size: body,
      declared: size,
      mode: octal(buf, base + 100, 8),
      uid: p.uid ?? octal(buf, base + 108, 8),
      gid: p.gid ?? octal(buf, base + 116, 8),
      mtime: p.mtime ?? octal(buf, base + 136, 12),
      linkname: p.linkname ?? (buf[base + 157] === 0 ? '' : text(buf, base + 157, 100)),
    });
    if (this.state === State.Done) return undefined; // the consumer stopped the pass
    this.pad = (BLOCK - (body % BLOCK)) % BLOCK;
    if (body > 0) {
      this.state = State.Body;
      this.remaining = body;
      return undefined;
    }
    this.state = State.Header;
    return this.events.end() ?? undefined;
  }
}
