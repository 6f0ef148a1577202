/**
 * rust: the dependency tree `cargo auditable` embeds in Rust binaries — zlib-compressed JSON
 * (https://github.com/rust-secure-code/cargo-auditable, schema `cargo-auditable.schema.json`) in the ELF
 * section `.dep-v0`. Runtime crates become `pkg:cargo/<name>@<version>` packages (ecosystem crates.io);
 * build-time crates (proc-macros, build scripts: `"kind": "build"`) are not in the binary and are skipped.
 *
 * A stream analyser with bounded memory. The ELF section table that names `.dep-v0` usually sits at the
 * END of the file, after the section's bytes have passed, so one pass does both halves:
 * 1. while streaming, every zlib header (RFC 1950: CMF 0x78, FCHECK valid, no preset dictionary) is tried
 *    by inflating ≤ 1 KiB; a stream that starts `{"packages"` is captured (≤ 8 MiB) until it inflates whole;
 *    the file offsets of the string `.dep-v0\0` and the bytes of the section header table (`e_shoff`, known
 *    from the ELF header) are kept too;
 * 2. at the end the section table is read: the captured stream counts only if a section named `.dep-v0`
 *    starts at its offset. An ELF whose section table was stripped keeps the captured stream unverified.
 */
import { inflateSync } from 'node:zlib';
import { z } from 'zod';
import { errorMessage } from '../../../core/errors.js';
import { issue } from '../../../core/issue.js';
import { defineStreamCataloger, type FileScan, type ParseResult } from '../../cataloger.js';
import { nameLinker } from '../../links.js';
import type { PackageRecord } from '../../schema.js';
import { inflatePrefix } from './deflate-prefix.js';

const SECTION = '.dep-v0';
const NAME = Buffer.from(`${SECTION}\0`, 'latin1');
const PREFIX = '{"packages"';
/** Compressed bytes tried per candidate header: enough for any deflate block header plus the prefix. */
const PROBE = 1024;
const MAX_COMPRESSED = 8 * 1024 * 1024;
const MAX_JSON = 64 * 1024 * 1024;
const MAX_SECTION_TABLE = 4 * 1024 * 1024;

/** The audit data (cargo-auditable VersionInfo). Unknown fields are ignored, as its format rules say. */
export const VersionInfo = z.object({
  format: z.number().int().nonnegative().optional(),
  packages: z.array(z.object({
    name: z.string().min(1),
    version: z.string().min(1),
    source: z.union([z.string(), z.record(z.string(), z.string())]),
    kind: z.enum(['build', 'runtime']).optional(),
    dependencies: z.array(z.number().int().nonnegative()).optional(),
    root: z.boolean().optional(),
  })),
});
export type VersionInfo = z.infer<typeof VersionInfo>;

/** Parse inflated audit JSON. Throws with a reason when it is not cargo-auditable data. */
export function parseAuditJson(text: string): VersionInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`its JSON is invalid: ${errorMessage(error)}`);
  }
  const parsed = VersionInfo.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`its JSON is not cargo-auditable data at ${first?.path.map(String).join('.') || '(root)'}: ${first?.message ?? ''}`);
  }
  return parsed.data;
}

/**
 * Runtime crates, each with the crates its `dependencies` indexes name (`name@version`, resolved within
 * the same binary). Build-time crates are not in the binary: neither packages nor dependency targets.
 * An index outside the list is kept as the unresolved reference `#<index>`.
 */
export function auditPackages(info: VersionInfo): PackageRecord[] {
  const list = info.packages;
  return list.filter((p) => p.kind !== 'build').map((p) => ({
    name: p.name, version: p.version, type: 'cargo', ecosystem: 'crates.io',
    dependsOn: [...new Set((p.dependencies ?? []).flatMap((i) => {
      const d = list[i];
      return d === undefined ? [`#${i}`] : d.kind === 'build' ? [] : [`${d.name}@${d.version}`];
    }))],
  }));
}

interface ElfHeader { is64: boolean; le: boolean; phoff: number; phentsize: number; phnum: number; shoff: number; shentsize: number; shnum: number; shstrndx: number }

function elfHeader(b: Buffer): ElfHeader | undefined {
  const cls = b[4];
  const data = b[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const is64 = cls === 2;
  const le = data === 1;
  const u16 = (o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (o: number): number => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  return is64
    ? { is64, le, phoff: u64(0x20), phentsize: u16(0x36), phnum: u16(0x38), shoff: u64(0x28), shentsize: u16(0x3a), shnum: u16(0x3c), shstrndx: u16(0x3e) }
    : { is64, le, phoff: u32(0x1c), phentsize: u16(0x2a), phnum: u16(0x2c), shoff: u32(0x20), shentsize: u16(0x2e), shnum: u16(0x30), shstrndx: u16(0x32) };
}

interface Section { name: number; offset: number; size: number }

function sections(h: ElfHeader, table: Buffer): Section[] {
  const out: Section[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const o = i * h.shentsize;
    if (o + (h.is64 ? 64 : 40) > table.length) break;
    const u32 = (x: number): number => (h.le ? table.readUInt32LE(o + x) : table.readUInt32BE(o + x));
    const u64 = (x: number): number => Number(h.le ? table.readBigUInt64LE(o + x) : table.readBigUInt64BE(o + x));
    out.push(h.is64 ? { name: u32(0), offset: u64(0x18), size: u64(0x20) } : { name: u32(0), offset: u32(0x10), size: u32(0x14) });
  }
  return out;
}

const PT_LOAD = 1;
const PF_X = 1;
const PF_W = 2;

/**
 * File ranges of executable PT_LOAD segments, which cannot hold `.dep-v0` (read-only data) — but only
 * when the binary has a read-only segment of its own (lld, or ld.bfd's separate-code layout, the default
 * since binutils 2.31): in the older layout read-only data shares the executable segment.
 */
function codeRanges(h: ElfHeader, b: Buffer): Array<[number, number]> {
  const code: Array<[number, number]> = [];
  let readOnly = false;
  for (let i = 0; i < h.phnum; i++) {
    const o = h.phoff + i * h.phentsize;
    if (o + (h.is64 ? 56 : 32) > b.length) return [];
    const u32 = (x: number): number => (h.le ? b.readUInt32LE(o + x) : b.readUInt32BE(o + x));
    const u64 = (x: number): number => Number(h.le ? b.readBigUInt64LE(o + x) : b.readBigUInt64BE(o + x));
    if (u32(0) !== PT_LOAD) continue;
    const flags = h.is64 ? u32(4) : u32(0x18);
    const offset = h.is64 ? u64(8) : u32(4);
    const size = h.is64 ? u64(0x20) : u32(0x10);
    if ((flags & PF_X) !== 0) code.push([offset, offset + size]);
    else if ((flags & PF_W) === 0 && size > 0) readOnly = true;
  }
  return readOnly ? code.sort((x, y) => x[0] - y[0]) : [];
}

/** RFC 1950 header: deflate, window ≤ 32 KiB (CMF 0x78, what every zlib writer emits), FCHECK, no dictionary. */
function zlibHeaderAt(b: Buffer, i: number): boolean {
  const flg = b[i + 1];
  return b[i] === 0x78 && flg !== undefined && ((0x78 << 8) | flg) % 31 === 0 && (flg & 0x20) === 0;
}

/** The zlib stream at `probe` (header included) decodes to the audit JSON's first bytes. */
function startsWithPrefix(probe: Buffer): boolean {
  return inflatePrefix(probe, 2, PREFIX.length)?.toString('latin1') === PREFIX;
}

/** Bytes kept before the section header table: where linkers and objcopy put `.shstrtab`. */
const BEFORE_TABLE = 64 * 1024;
/** Bytes buffered at the start for the ELF and program headers. */
const HEAD = 64 * 1024;

function scanner(path: string): FileScan {
  let head: Buffer = Buffer.alloc(0);
  let header: ElfHeader | undefined;
  let done = false;
  let notElf = false;
  /** Bytes seen before the current chunk. */
  let offset = 0;
  /** Last bytes of the previous data whose candidate starts are not tried yet, and their file offset. */
  let tail = Buffer.alloc(0);
  let tailAt = 0;
  let capture: { at: number; parts: Buffer[]; size: number } | undefined;
  let found: { at: number; json: string } | undefined;
  let captureError: string | undefined;
  let skip: Array<[number, number]> = [];
  /** The section header table and the bytes before it: [endAt, endAt + end.length). */
  let end: Buffer | undefined;
  let endAt = 0;
  let endFilled = 0;

  /** First offset ≥ abs outside the code ranges. */
  const nextProbe = (abs: number): number => {
    for (const [from, to] of skip) if (abs >= from && abs < to) return to;
    return abs;
  };

  const tryCandidates = (buf: Buffer, base: number, from: number, to: number): void => {
    let i = buf.indexOf(0x78, nextProbe(base + from) - base);
    while (i !== -1 && i < to && capture === undefined && found === undefined) {
      const next = nextProbe(base + i) - base;
      if (next !== i) {
        i = next < buf.length ? buf.indexOf(0x78, next) : -1;
        continue;
      }
      if (zlibHeaderAt(buf, i) && startsWithPrefix(buf.subarray(i, Math.min(buf.length, i + PROBE)))) {
        capture = { at: base + i, parts: [Buffer.from(buf.subarray(i))], size: buf.length - i };
        settle(false);
      }
      i = buf.indexOf(0x78, i + 1);
    }
  };

  /** Inflate the captured stream when it is whole; give up past the bound. */
  const settle = (final: boolean): void => {
    const c = capture;
    if (c === undefined) return;
    const data = Buffer.concat(c.parts);
    c.parts = [data];
    try {
      const json = inflateSync(data, { maxOutputLength: MAX_JSON }).toString('utf8');
      found = { at: c.at, json };
      capture = undefined;
    } catch (error) {
      const cut = error instanceof Error && /unexpected end of file/i.test(error.message);
      if (cut && !final && c.size < MAX_COMPRESSED) return;
      captureError = cut ? (c.size >= MAX_COMPRESSED ? `its compressed data exceeds ${MAX_COMPRESSED} bytes` : 'its compressed data is cut off') : `it does not inflate: ${errorMessage(error)}`;
      capture = undefined;
    }
  };

  const collectEnd = (chunk: Buffer, base: number): void => {
    if (end === undefined) return;
    const start = Math.max(endAt, base);
    const stop = Math.min(endAt + end.length, base + chunk.length);
    if (start >= stop) return;
    chunk.copy(end, start - endAt, start - base, stop - base);
    endFilled += stop - start;
  };

  const feed = (chunk: Buffer): void => {
    const base = offset;
    offset += chunk.length;
    collectEnd(chunk, base);
    if (found !== undefined) return;
    if (capture !== undefined) {
      capture.parts.push(Buffer.from(chunk));
      capture.size += chunk.length;
      settle(false);
      return;
    }
    if (tail.length + chunk.length < 2 * PROBE) {
      // Small chunks: keep them together until a probe's worth lies beyond each start.
      tail = Buffer.concat([tail, chunk]);
      const ready = tail.length - PROBE;
      if (ready > 0) {
        tryCandidates(tail, tailAt, 0, ready);
        tail = Buffer.from(tail.subarray(ready));
        tailAt += ready;
      }
      return;
    }
    // Starts in the previous tail, with the first PROBE bytes of this chunk after them.
    if (tail.length > 0) {
      const seam = Buffer.concat([tail, chunk.subarray(0, PROBE)]);
      tryCandidates(seam, tailAt, 0, tail.length);
      if (capture !== undefined) {
        // The capture holds the seam; add the rest of this chunk.
        const c: { parts: Buffer[]; size: number } = capture;
        c.parts.push(Buffer.from(chunk.subarray(PROBE)));
        c.size += chunk.length - PROBE;
        settle(false);
        return;
      }
    }
    tryCandidates(chunk, base, 0, chunk.length - PROBE);
    if (capture !== undefined || found !== undefined) return;
    tail = Buffer.from(chunk.subarray(chunk.length - PROBE));
    tailAt = base + chunk.length - PROBE;
  };

  const result = (): ParseResult => {
    if (found === undefined && capture === undefined && tail.length > 0) tryCandidates(tail, tailAt, 0, tail.length);
    settle(true);
    if (header === undefined) return { packages: [] };
    const bad = (why: string): ParseResult => ({ packages: [], issues: [issue('rust-audit-invalid', `"${path}" has a cargo-auditable ${SECTION} section that cannot be read (${why}); its crates are not listed`, undefined, 'The binary may be damaged or truncated; rebuild it with "cargo auditable build".')] });
    if (end !== undefined && endFilled === end.length) {
      const list = sections(header, end.subarray(header.shoff - endAt));
      const strtab = list[header.shstrndx];
      const kept = end;
      // The names are readable when .shstrtab lies in the kept bytes (it does for ld.bfd, lld and objcopy output).
      const namesKnown = strtab !== undefined && strtab.offset >= endAt && strtab.offset + strtab.size <= endAt + kept.length;
      const isDepV0 = (sec: Section): boolean => strtab !== undefined && sec.name + NAME.length <= strtab.size && kept.toString('latin1', strtab.offset - endAt + sec.name, strtab.offset - endAt + sec.name + NAME.length) === NAME.toString('latin1');
      const at = found?.at;
      const section = namesKnown ? list.find(isDepV0) : list.find((sec) => sec.offset === at);
      if (section === undefined) return namesKnown || captureError === undefined ? { packages: [] } : bad(captureError);
      if (found === undefined || found.at !== section.offset) return bad(captureError ?? `no zlib stream of audit JSON starts at its offset ${section.offset}`);
    } else if (found === undefined) {
      return captureError === undefined ? { packages: [] } : bad(captureError);
    }
    if (found === undefined) return { packages: [] };
    try {
      return { packages: auditPackages(parseAuditJson(found.json)), issues: [] };
    } catch (error) {
      return bad(errorMessage(error));
    }
  };

  return {
    write(chunk) {
      if (done) return;
      if (header === undefined) {
        // The first chunk is looked at in place; bytes are gathered (copied) only while the ELF and
        // program headers are incomplete, so an executable's first chunk is not copied whole.
        const buf = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const keep = (): void => {
          head = buf === chunk ? Buffer.from(buf) : buf;
        };
        if (buf.length < 4) return keep();
        if (buf[0] !== 0x7f || buf.toString('latin1', 1, 4) !== 'ELF') {
          done = true;
          notElf = true;
          head = Buffer.alloc(0);
          return;
        }
        if (buf.length < 64) return keep();
        const h = elfHeader(buf);
        if (h === undefined) {
          done = true;
          notElf = true;
          head = Buffer.alloc(0);
          return;
        }
        // Wait for the program headers when they are near the start (they are, in every linker's output).
        const phEnd = h.phoff + h.phnum * h.phentsize;
        if (phEnd <= HEAD && buf.length < phEnd) return keep();
        header = h;
        if (phEnd <= buf.length) skip = codeRanges(h, buf);
        const size = h.shnum * h.shentsize;
        if (h.shoff > 0 && size > 0 && size <= MAX_SECTION_TABLE) {
          endAt = Math.max(0, h.shoff - BEFORE_TABLE);
          end = Buffer.alloc(h.shoff + size - endAt);
        }
        chunk = buf;
        head = Buffer.alloc(0);
      }
      feed(chunk);
    },
    end() {
      if (notElf) return { packages: [] };
      if (header === undefined) {
        // A file that ended inside its headers.
        if (head.length >= 64 && elfHeader(head) !== undefined) {
          header = elfHeader(head);
          feed(head);
        } else return { packages: [] };
      }
      done = true;
      return result();
    },
  };
}

export const rust = defineStreamCataloger({
  id: 'rust',
  version: '2',
  kind: 'language',
  // Executables only (any x bit), not tiny scripts; non-ELF files are dropped after 4 bytes.
  wants: (file) => (file.mode & 0o111) !== 0 && file.size >= 4096 && file.size <= 1024 * 1024 * 1024,
  scan: scanner,
  // `name@version` references to crates of the same binary.
  link: nameLinker(),
});
