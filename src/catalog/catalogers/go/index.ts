/**
 * go: the module build information the Go linker embeds in every module-mode binary (the
 * `.go.buildinfo` section; format of Go ≥ 1.18, see https://pkg.go.dev/debug/buildinfo and
 * https://pkg.go.dev/runtime/debug#BuildInfo): the Go toolchain (reported as the `stdlib` package),
 * the main module, and every dependency module with `=>` replacements applied.
 *
 * A stream analyser: Go binaries are tens of MB and only a few KB matter, so the file is scanned
 * chunk by chunk for the section's 14-byte magic and only the bytes after it are kept (bounded).
 */
import { issue, type Issue } from '../../../core/issue.js';
import { defineStreamCataloger, type FileScan } from '../../cataloger.js';
import { nameLinker } from '../../links.js';
import type { PackageRecord } from '../../schema.js';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
/** Bytes kept after the magic: header + version + module list (thousands of modules fit). */
const CAPTURE = 4 * 1024 * 1024;

/** The magic's rarest byte in executables ('b', offset 5): memchr for it, then compare the rest. */
const ANCHOR = 5;

/**
 * First offset of MAGIC in `buf`. Buffer#indexOf with a 14-byte needle runs at ~1 GB/s; a one-byte
 * search (memchr) for the magic's rarest byte, confirmed in place, is 3–4× faster over ELF files.
 */
export function indexOfMagic(buf: Buffer): number {
  const anchor = MAGIC[ANCHOR] ?? 0;
  let at = buf.indexOf(anchor, ANCHOR);
  while (at !== -1) {
    const start = at - ANCHOR;
    if (start + MAGIC.length > buf.length) return -1;
    if (buf[start] === 0xff && buf.compare(MAGIC, 0, MAGIC.length, start, start + MAGIC.length) === 0) return start;
    at = buf.indexOf(anchor, at + 1);
  }
  return -1;
}

export class BuildInfoError extends Error {
  /** More bytes might complete it (the data was cut, not wrong). */
  constructor(message: string, readonly incomplete = false) {
    super(message);
  }
}

function uvarint(buf: Buffer, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i] ?? 0;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  throw new BuildInfoError(`length at byte ${at} of the build info is cut off`, true);
}

export interface BuildInfo {
  goVersion: string;
  path?: string | undefined;
  main?: { path: string; version: string } | undefined;
  deps: Array<{ path: string; version: string }>;
}

/** The build info from the bytes starting at the magic. Throws BuildInfoError when damaged. */
export function parseBuildInfo(data: Buffer): BuildInfo {
  if (!data.subarray(0, 14).equals(MAGIC)) throw new BuildInfoError('no build info header');
  if (data.length < 33) throw new BuildInfoError(`the build info header is cut off after ${data.length} bytes`, true);
  const ptrSize = data[14];
  const flags = data[15] ?? 0;
  if (ptrSize !== 4 && ptrSize !== 8) throw new BuildInfoError(`pointer size ${String(ptrSize)} in the build info header is neither 4 nor 8`);
  if ((flags & 0x2) === 0) throw new BuildInfoError('the build info uses the pre-Go 1.18 pointer format, which is not supported');
  const v = uvarint(data, 32);
  if (v.next + v.value > data.length) throw new BuildInfoError(`the Go version claims ${v.value} bytes, past the end of the data`, v.value < 1024);
  const goVersion = data.toString('utf8', v.next, v.next + v.value);
  if (!/^(?:go\d|devel)/.test(goVersion)) throw new BuildInfoError(`"${goVersion.slice(0, 30)}" is not a Go version`);
  const m = uvarint(data, v.next + v.value);
  if (m.next + m.value > data.length) throw new BuildInfoError(`the module list claims ${m.value} bytes, past the end of the data`, m.value <= CAPTURE);
  let mod = data.toString('utf8', m.next, m.next + m.value);
  // The module list is wrapped in 16-byte sentinels.
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, -16);
  const info: BuildInfo = { goVersion, deps: [] };
  for (const line of mod.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'path' && f[1] !== undefined) info.path = f[1];
    else if (f[0] === 'mod' && f[1] !== undefined) info.main = { path: f[1], version: f[2] ?? '' };
    else if (f[0] === 'dep' && f[1] !== undefined && f[2] !== undefined) info.deps.push({ path: f[1], version: f[2] });
    else if (f[0] === '=>' && f[1] !== undefined) {
      const last = info.deps.at(-1);
      // A replacement by a local directory has no version: the module is whatever that folder held.
      if (last !== undefined) info.deps[info.deps.length - 1] = { path: f[2] !== undefined && f[2] !== '' ? f[1] : last.path, version: f[2] !== undefined && f[2] !== '' ? f[2] : last.version };
    }
  }
  return info;
}

/** `go1.21.5` → `v1.21.5`; `go1.22` → `v1.22.0`; extra words (`X:boringcrypto`) dropped. */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?((?:rc|beta)\d+)?/.exec(goVersion);
  if (m === null) return undefined;
  return `v${m[1] ?? ''}.${m[2] ?? ''}.${m[3] ?? '0'}${m[4] !== undefined ? `-${m[4]}` : ''}`;
}

function moduleRecord(path: string, version: string): PackageRecord {
  const slash = path.lastIndexOf('/');
  const r: PackageRecord = { name: path, version, type: 'golang', ecosystem: 'Go' };
  if (slash > 0) r.namespace = path.slice(0, slash);
  return r;
}

export function buildInfoPackages(info: BuildInfo): PackageRecord[] {
  const out: PackageRecord[] = [];
  const std = stdlibVersion(info.goVersion);
  if (std !== undefined) out.push({ name: 'stdlib', version: std, type: 'golang', ecosystem: 'Go' });
  // `(devel)` is what a main module built from a checkout says: no version to match.
  if (info.main !== undefined && /^v\d/.test(info.main.version)) {
    // Build info lists every module linked into the binary, flat: the main module depends on all of
    // them (and on the toolchain's standard library); how the modules depend on each other is not
    // recorded, so theirs stay unknown.
    const main = moduleRecord(info.main.path, info.main.version);
    main.dependsOn = [...new Set([...out.map((r) => `${r.name}@${r.version}`), ...info.deps.map((d) => `${d.path}@${d.version}`)])];
    out.push(main);
  }
  for (const d of info.deps) out.push(moduleRecord(d.path, d.version));
  return out;
}

function scanner(path: string): FileScan {
  let head = Buffer.alloc(0);
  let elf = false;
  let done = false;
  let tail = Buffer.alloc(0);
  /** Bytes from a magic on, while that candidate is incomplete. */
  let candidate: Buffer | undefined;
  let packages: PackageRecord[] = [];
  let lastError: Issue | undefined;

  /** Decide on the candidate if its bytes suffice; on a false match, resume scanning after it. */
  const settle = (final: boolean): void => {
    while (candidate !== undefined && !done) {
      const c: Buffer = candidate;
      try {
        packages = buildInfoPackages(parseBuildInfo(c));
        done = true;
        candidate = undefined;
        return;
      } catch (error) {
        const e = error instanceof BuildInfoError ? error : new BuildInfoError(String(error));
        if (e.incomplete && !final && c.length < CAPTURE) return;
        // The magic can also be plain data (the Go toolchain's own debug/buildinfo): keep looking.
        lastError = issue('go-buildinfo-invalid', `"${path}" has a Go build info header that cannot be read (${e.message}); its modules are not listed`, undefined, 'The binary may be damaged or built by Go < 1.18 (pointer format).');
        const rest = c.subarray(1);
        candidate = undefined;
        search(rest);
      }
    }
  };
  const search = (chunk: Buffer): void => {
    // A magic split across chunks: look in the few bytes around the boundary only (no copy of the chunk).
    if (tail.length > 0) {
      const seam = Buffer.concat([tail, chunk.subarray(0, MAGIC.length - 1)]);
      const at = seam.indexOf(MAGIC);
      if (at !== -1) {
        tail = Buffer.alloc(0);
        candidate = Buffer.concat([seam.subarray(at), chunk.subarray(MAGIC.length - 1)]);
        return;
      }
    }
    const at = indexOfMagic(chunk);
    if (at === -1) {
      const keep = Math.min(MAGIC.length - 1, chunk.length);
      tail = Buffer.concat([tail, chunk.subarray(chunk.length - keep)]);
      tail = Buffer.from(tail.subarray(Math.max(0, tail.length - (MAGIC.length - 1))));
      return;
    }
    tail = Buffer.alloc(0);
    candidate = Buffer.from(chunk.subarray(at));
  };
  return {
    write(chunk) {
      if (done) return;
      if (!elf) {
        // The first 4 bytes decide: an ELF goes on, anything else is dropped at once. (The first
        // chunk is looked at in place; bytes are gathered only when it is shorter than 4.)
        if (head.length > 0 || chunk.length < 4) {
          head = Buffer.concat([head, chunk]);
          if (head.length < 4) return;
          chunk = head;
          head = Buffer.alloc(0);
        }
        elf = chunk.subarray(0, 4).equals(ELF);
        if (!elf) {
          done = true;
          return;
        }
      }
      if (candidate !== undefined) candidate = Buffer.concat([candidate, chunk]);
      else search(chunk);
      settle(false);
    },
    end() {
      if (!elf) return { packages: [] };
      settle(true);
      if (packages.length > 0) return { packages };
      return { packages: [], issues: lastError === undefined ? [] : [lastError] };
    },
  };
}

export const go = defineStreamCataloger({
  id: 'go',
  version: '2',
  kind: 'language',
  // Executables only (any owner's x bit), and not tiny scripts; the scan stops at once when the file is not ELF.
  wants: (file) => (file.mode & 0o111) !== 0 && file.size >= 4096 && file.size <= 1024 * 1024 * 1024,
  scan: scanner,
  // The main module → `path@version` of every module (and stdlib) of the same binary.
  link: nameLinker(),
});
