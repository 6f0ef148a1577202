/**
 * rpm: the installed-package database of RPM distributions — `rpmdb.sqlite` (rpm ≥ 4.16: Fedora 33+,
 * RHEL 9, Azure Linux 3), Berkeley DB `Packages` (RHEL ≤ 8, CentOS, Amazon Linux 2), both as header
 * blobs parsed natively (header.ts, bdb.ts), and the Azure Linux / CBL-Mariner distroless manifest
 * `container-manifest-2` (tab-separated, one package per line).
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { issue, type Issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { spdxList } from '../../licenses.js';
import type { PackageRecord } from '../../schema.js';
import { isBerkeleyHash, readHashValues } from './bdb.js';
import { nameLinker } from '../../links.js';
import { DEP_TAG, parseHeaderBlob, readHeaderArrays, RPMSENSE_RPMLIB, type RpmHeader } from './header.js';

/** better-sqlite3 is loaded on the first rpmdb.sqlite: most images have none, and start-up stays shorter. */
let sqlite: typeof BetterSqlite3 | undefined;
const Database = (): typeof BetterSqlite3 => (sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3);

/** `openssl-3.0.7-16.el9.src.rpm` → `{ name: 'openssl', version: '3.0.7-16.el9' }`. */
export function parseSourceRpm(value: string): { name: string; version: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(value);
  return m?.[1] === undefined || m[2] === undefined || m[3] === undefined ? undefined : { name: m[1], version: `${m[2]}-${m[3]}` };
}

function toRecord(h: RpmHeader): PackageRecord {
  const evr = `${h.version}-${h.release}`;
  const r: PackageRecord = { name: h.name, version: h.epoch !== undefined && h.epoch > 0 ? `${h.epoch}:${evr}` : evr, type: 'rpm' };
  if (h.epoch !== undefined && h.epoch > 0) r.epoch = h.epoch;
  if (h.arch !== undefined && h.arch !== '') r.arch = h.arch;
  if (h.vendor !== undefined && h.vendor !== '') r.vendor = h.vendor;
  const licenses = spdxList(h.license);
  if (licenses !== undefined) r.licenses = licenses;
  if (h.sourceRpm !== undefined && h.sourceRpm !== '' && h.sourceRpm !== '(none)') {
    const src = parseSourceRpm(h.sourceRpm);
    // Advisories of Red Hat and its rebuilds name source packages; keep the epoch with the source version.
    if (src !== undefined) r.source = { name: src.name, version: r.epoch !== undefined ? `${r.epoch}:${src.version}` : src.version };
    r.qualifiers = { upstream: h.sourceRpm };
  }
  return r;
}

const strings = (m: Map<number, string[] | number[]>, tag: number): string[] => (m.get(tag) ?? []).filter((v): v is string => typeof v === 'string');
const ints = (m: Map<number, string[] | number[]>, tag: number): number[] => (m.get(tag) ?? []).filter((v): v is number => typeof v === 'number');

/** A header's requirements, less rpm's own features (`rpmlib(...)`), and what it provides. */
function headerDeps(blob: Buffer): { requires: string[]; provides: string[] } {
  const a = readHeaderArrays(blob, [DEP_TAG.provideName, DEP_TAG.requireFlags, DEP_TAG.requireName]);
  const flags = ints(a, DEP_TAG.requireFlags);
  const requires = strings(a, DEP_TAG.requireName).filter((n, i) => !n.startsWith('rpmlib(') && ((flags[i] ?? 0) & RPMSENSE_RPMLIB) === 0);
  return { requires: [...new Set(requires)], provides: strings(a, DEP_TAG.provideName) };
}

/** A header's file list: dirnames[dirindexes[i]] + basenames[i] (or the old flat list). */
function headerFiles(blob: Buffer): string[] {
  const a = readHeaderArrays(blob, [DEP_TAG.baseNames, DEP_TAG.dirNames, DEP_TAG.dirIndexes, DEP_TAG.oldFilenames]);
  const base = strings(a, DEP_TAG.baseNames);
  if (base.length === 0) return strings(a, DEP_TAG.oldFilenames);
  const dirs = strings(a, DEP_TAG.dirNames);
  const idx = ints(a, DEP_TAG.dirIndexes);
  return base.map((b, i) => `${dirs[idx[i] ?? -1] ?? ''}${b}`);
}

/**
 * A requirement → the names that satisfy it, in order: itself, or the alternatives of a rich
 * dependency made only of `or` (`(a or b)`). Other rich dependencies (`if`, `with`, `and`, `unless`)
 * are conditions on the transaction, not one package: undefined (left out).
 */
export function requirementAlternatives(requirement: string): string[] | undefined {
  if (!requirement.startsWith('(')) return [requirement];
  const inner = /^\((.*)\)$/.exec(requirement)?.[1];
  if (inner === undefined || /[()]|\s(?:and|if|else|with|without|unless)\s/.test(inner)) return undefined;
  return inner.split(/\s+or\s+/).map((a) => a.trim().split(/\s+/)[0] ?? '').filter((a) => a !== '');
}

/**
 * Package records of the headers, with `dependsOn` resolved inside this database: every requirement
 * (less rpmlib() features) → the name of the installed package that has that name, provides it, or —
 * for a file requirement (`/bin/sh`) not provided explicitly — ships that file (the file lists are read
 * in a second pass, only when some file requirement is still open). What nothing satisfies is kept as
 * written (unresolved).
 */
function fromBlobs(path: string, blobs: () => Iterable<Buffer>, issues: Issue[]): PackageRecord[] {
  const packages: PackageRecord[] = [];
  const requires: Array<string[] | undefined> = [];
  /** Blob number → index in packages (gpg-pubkey and damaged headers have none). */
  const recordOf = new Map<number, number>();
  let n = 0;
  for (const blob of blobs()) {
    n++;
    try {
      const h = parseHeaderBlob(blob);
      // gpg-pubkey "packages" are imported signing keys, not software.
      if (h.name === 'gpg-pubkey') continue;
      const r = toRecord(h);
      try {
        const d = headerDeps(blob);
        if (d.provides.length > 0) r.provides = d.provides;
        requires.push(d.requires);
      } catch (error) {
        requires.push(undefined);
        issues.push(issue('rpm-header-damaged', `Package header #${n} (${h.name}) in "${path}": its dependency tags are damaged (${error instanceof Error ? error.message : String(error)}); the package is kept, its dependencies unknown`));
      }
      recordOf.set(n, packages.length);
      packages.push(r);
    } catch (error) {
      issues.push(issue('rpm-header-invalid', `Package header #${n} in "${path}" is damaged (${error instanceof Error ? error.message : String(error)}); skipped`));
    }
  }
  const names = new Set(packages.map((p) => p.name));
  const providers = new Map<string, string[]>();
  for (const p of packages) for (const v of new Set(p.provides ?? [])) providers.set(v, [...(providers.get(v) ?? []), p.name]);
  const open = new Set<string>();
  const satisfy = (alt: string): string[] | undefined => (names.has(alt) ? [alt] : providers.get(alt));
  for (const list of requires) {
    for (const req of list ?? []) {
      const alts = requirementAlternatives(req);
      if (alts !== undefined && !alts.some((a) => satisfy(a) !== undefined)) for (const a of alts) if (a.startsWith('/')) open.add(a);
    }
  }
  const owners = new Map<string, string[]>();
  if (open.size > 0) {
    let k = 0;
    for (const blob of blobs()) {
      k++;
      const at = recordOf.get(k);
      const owner = at === undefined ? undefined : packages[at]?.name;
      if (owner === undefined) continue;
      try {
        for (const f of headerFiles(blob)) if (open.has(f)) owners.set(f, [...(owners.get(f) ?? []), owner]);
      } catch {
        // Its dependency tags were read; a damaged file list only means its files cannot satisfy others.
      }
    }
  }
  packages.forEach((p, i) => {
    const list = requires[i];
    if (list === undefined) return;
    const out = new Set<string>();
    for (const req of list) {
      const alts = requirementAlternatives(req);
      if (alts === undefined) continue;
      let got: string[] | undefined;
      for (const a of alts) {
        got = satisfy(a) ?? owners.get(a);
        if (got !== undefined) break;
      }
      for (const name of got ?? [req]) out.add(name);
    }
    p.dependsOn = [...out];
  });
  return packages;
}

function parseSqlite(path: string, content: Buffer, issues: Issue[]): PackageRecord[] {
  let db: BetterSqlite3.Database | undefined;
  try {
    // Deserialised into memory: nothing is written to disk and nothing outside this buffer is read.
    // rpm keeps the file in WAL mode (header bytes 18–19 = 2), which SQLite cannot open from memory;
    // marking a copy as rollback-journal is safe because rpm checkpoints after every transaction.
    const bytes = Buffer.from(content);
    if (bytes.length >= 20 && bytes.toString('latin1', 0, 15) === 'SQLite format 3') {
      bytes[18] = 1;
      bytes[19] = 1;
    }
    db = new (Database())(bytes, { readonly: true });
    const query = db.prepare('SELECT blob FROM Packages ORDER BY hnum').raw();
    const blobs = function* (): Generator<Buffer> {
      for (const [blob] of query.iterate() as IterableIterator<[unknown]>) if (Buffer.isBuffer(blob)) yield blob;
    };
    return fromBlobs(path, blobs, issues);
  } catch (error) {
    issues.push(issue('rpm-db-invalid', `"${path}" is not a readable rpm SQLite database (${error instanceof Error ? error.message : String(error)}); no packages read from it`, undefined, 'rpm ≥ 4.16 writes rpmdb.sqlite with a Packages(hnum, blob) table; a WAL not checkpointed into the file is not seen.'));
    return [];
  } finally {
    db?.close();
  }
}

function parseBdb(path: string, content: Buffer, issues: Issue[]): PackageRecord[] {
  if (!isBerkeleyHash(content)) {
    issues.push(issue('rpm-db-invalid', `"${path}" is not a Berkeley DB hash database; no packages read from it`, undefined, 'NDB (SUSE Packages.db) and other backends are not supported.'));
    return [];
  }
  try {
    const { values, errors } = readHashValues(content);
    for (const e of errors) issues.push(issue('rpm-db-damaged', `"${path}": ${e}; the other packages are kept`));
    return fromBlobs(path, () => values, issues);
  } catch (error) {
    issues.push(issue('rpm-db-invalid', `"${path}" is damaged (${error instanceof Error ? error.message : String(error)}); no packages read from it`));
    return [];
  }
}

/** container-manifest-2: name, version-release, install time, build time, vendor, epoch|(none), size, arch, epoch, source rpm. */
function parseManifest(path: string, content: Buffer, issues: Issue[]): PackageRecord[] {
  const packages: PackageRecord[] = [];
  content.toString('utf8').split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const cols = line.split('\t');
    const [name, vr, , , vendor, epochCol, , arch, , sourceRpm] = cols;
    const dash = vr?.lastIndexOf('-') ?? -1;
    if (cols.length < 10 || name === undefined || name === '' || vr === undefined || dash <= 0) {
      issues.push(issue('rpm-manifest-invalid', `"${path}" line ${i + 1} has ${cols.length} tab-separated columns${cols.length >= 2 ? ` and version "${(vr ?? '').slice(0, 40)}"` : ''}; expected 10 with version-release in the second; skipped`, `${path}:${i + 1}`));
      return;
    }
    const epoch = epochCol === undefined || epochCol === '(none)' || epochCol === '' ? undefined : Number(epochCol);
    packages.push(toRecord({
      name, version: vr.slice(0, dash), release: vr.slice(dash + 1),
      epoch: epoch !== undefined && Number.isInteger(epoch) ? epoch : undefined,
      arch, vendor, sourceRpm,
    }));
  });
  return packages;
}

export function parseRpm(path: string, content: Buffer): ParseResult {
  const issues: Issue[] = [];
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (content.length === 0) return { packages: [], issues: base === 'container-manifest-2' ? [] : [issue('rpm-db-invalid', `"${path}" is empty; no packages read from it`)] };
  const packages = base === 'container-manifest-2' ? parseManifest(path, content, issues)
    : base === 'rpmdb.sqlite' ? parseSqlite(path, content, issues)
      : parseBdb(path, content, issues);
  return { packages, issues };
}

export const rpm = defineCataloger({
  id: 'rpm',
  version: '2',
  kind: 'os',
  globs: [
    'var/lib/rpm/Packages', 'var/lib/rpm/rpmdb.sqlite',
    'usr/lib/sysimage/rpm/Packages', 'usr/lib/sysimage/rpm/rpmdb.sqlite',
    'var/lib/rpmmanifest/container-manifest-2',
  ],
  // A full RHEL/Fedora rpmdb is 10–100 MB (headers carry file lists); parsed whole in memory.
  maxBytes: 160 * 1024 * 1024,
  parse: parseRpm,
  // Requirements are resolved to package names inside the database (fromBlobs); names within the same file.
  link: nameLinker({ names: (r) => [r.name], provides: () => [] }),
});
