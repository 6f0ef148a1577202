/**
 * Random access into an uncompressed tar file (an `oci-archive` or a `docker save` archive): one
 * scan of the 512-byte headers records where each member's data starts, then members are read with
 * ranged file streams — the archive is never unpacked. Understands ustar prefixes, GNU long names
 * (`L`) and pax `path`/`size` records, which is what skopeo, docker and GNU tar write.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InputError } from '../core/errors.js';
import { normalizeTarPath } from './layers/path.js';

export interface ArchiveMember {
  offset: number;
  size: number;
}

const BLOCK = 512;
const MAX_META = 1024 * 1024;

function str(buf: Buffer, start: number, length: number): string {
  const slice = buf.subarray(start, start + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul === -1 ? slice.length : nul).toString('utf8');
}

function num(buf: Buffer, start: number, length: number): number {
  const first = buf[start] ?? 0;
  if (first & 0x80) {
    // GNU base-256 for sizes over 8 GiB
    let value = 0;
    for (let i = 1; i < length; i++) value = value * 256 + (buf[start + i] ?? 0);
    return value;
  }
  const text = str(buf, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  return sum === num(header, 148, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const length = parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, i + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += length;
  }
  return out;
}

export class TarArchive {
  private constructor(
    readonly file: string,
    readonly members: Map<string, ArchiveMember>,
  ) {}

  /** Scan the archive's headers. Throws InputError for a compressed or corrupt archive. */
  static async open(file: string, kind: string): Promise<TarArchive> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (error) {
      throw new InputError(file, `Cannot open ${kind} "${file}": ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error)}`, { hint: `Give the path of a ${kind} tar file.`, cause: error });
    }
    try {
      const size = (await fh.stat()).size;
      const members = new Map<string, ArchiveMember>();
      const header = Buffer.alloc(BLOCK);
      let offset = 0;
      let longName: string | undefined;
      let pax: Record<string, string> | undefined;
      while (offset + BLOCK <= size) {
        await fh.read(header, 0, BLOCK, offset);
        if (offset === 0 && header[0] === 0x1f && header[1] === 0x8b) {
          throw new InputError(file, `${kind} "${file}" is gzip-compressed; runwarden reads plain tar archives`, { hint: `Decompress it first: gunzip -c "${file}" > image.tar` });
        }
        if (header.every((b) => b === 0)) break; // end-of-archive marker
        if (!checksumOk(header)) throw new InputError(file, `${kind} "${file}" is not a valid tar: bad header checksum at byte ${offset}`, { hint: 'The archive is corrupt or not a tar: recreate it.' });
        const type = String.fromCharCode(header[156] ?? 0x30);
        const memberSize = pax?.size !== undefined ? Number(pax.size) : num(header, 124, 12);
        const dataStart = offset + BLOCK;
        if (dataStart + memberSize > size) throw new InputError(file, `${kind} "${file}" is truncated: a member at byte ${offset} declares ${memberSize} bytes past the end of the file`, { hint: 'Copy the archive again.' });
        if (type === 'L' || type === 'x' || type === 'g') {
          if (memberSize > MAX_META) throw new InputError(file, `${kind} "${file}" has a ${memberSize}-byte header record; refusing`);
          const data = Buffer.alloc(memberSize);
          await fh.read(data, 0, memberSize, dataStart);
          if (type === 'L') longName = str(data, 0, data.length);
          else if (type === 'x') pax = parsePax(data);
        } else {
          const prefix = header.subarray(257, 263).toString('ascii').startsWith('ustar') ? str(header, 345, 155) : '';
          const raw = pax?.path ?? longName ?? (prefix === '' ? str(header, 0, 100) : `${prefix}/${str(header, 0, 100)}`);
          const name = normalizeTarPath(raw);
          if ((type === '0' || type === '\0' || type === '7') && !name.escapes) members.set(name.path, { offset: dataStart, size: memberSize });
          longName = undefined;
          pax = undefined;
        }
        offset = dataStart + Math.ceil(memberSize / BLOCK) * BLOCK;
      }
      return new TarArchive(file, members);
    } finally {
      await fh.close();
    }
  }

  has(name: string): boolean {
    return this.members.has(normalizeTarPath(name).path);
  }

  member(name: string): ArchiveMember | undefined {
    return this.members.get(normalizeTarPath(name).path);
  }

  async read(name: string, maxBytes: number): Promise<Buffer> {
    const m = this.member(name);
    if (m === undefined) throw new InputError(this.file, `"${name}" is not in archive "${this.file}"`);
    if (m.size > maxBytes) throw new InputError(this.file, `"${name}" in "${this.file}" is ${m.size} bytes, more than the ${maxBytes} accepted`);
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.alloc(m.size);
      await fh.read(buf, 0, m.size, m.offset);
      return buf;
    } finally {
      await fh.close();
    }
  }

  /** The first `n` bytes of a member (for sniffing compression). */
  async head(name: string, n: number): Promise<Buffer> {
    const m = this.member(name);
    if (m === undefined) throw new InputError(this.file, `"${name}" is not in archive "${this.file}"`);
    const length = Math.min(n, m.size);
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, m.offset);
      return buf;
    } finally {
      await fh.close();
    }
  }

  stream(name: string, signal?: AbortSignal): Readable {
    const m = this.member(name);
    if (m === undefined) throw new InputError(this.file, `"${name}" is not in archive "${this.file}"`);
    if (m.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 1024 * 1024, signal });
  }
}
