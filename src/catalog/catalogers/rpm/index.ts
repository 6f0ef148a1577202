/**
 * rpm: the installed-package database of RPM distributions — `rpmdb.sqlite` (rpm ≥ 4.16: Fedora 33+,
 * RHEL 9, Azure Linux 3), Berkeley DB `Packages` (RHEL ≤ 8, CentOS, Amazon Linux 2), both as header
 * blobs parsed natively (header.ts, bdb.ts), and the Azure Linux / CBL-Mariner distroless manifest
 * `container-manifest-2` (tab-separated, one package per line).
 */
import Database from 'better-sqlite3';
import { issue, type Issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { spdxList } from '../../licenses.js';
import type { PackageRecord } from '../../schema.js';
import { isBerkeleyHash, readHashValues } from './bdb.js';
import { parseHeaderBlob, type RpmHeader } from './header.js';

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

function fromBlobs(path: string, blobs: Iterable<Buffer>, issues: Issue[]): PackageRecord[] {
  const packages: PackageRecord[] = [];
  let n = 0;
  for (const blob of blobs) {
    n++;
    try {
      const h = parseHeaderBlob(blob);
      // gpg-pubkey "packages" are imported signing keys, not software.
      if (h.name !== 'gpg-pubkey') packages.push(toRecord(h));
    } catch (error) {
      issues.push(issue('rpm-header-invalid', `Package header #${n} in "${path}" is damaged (${error instanceof Error ? error.message : String(error)}); skipped`));
    }
  }
  return packages;
}

function parseSqlite(path: string, content: Buffer, issues: Issue[]): PackageRecord[] {
  let db: Database.Database | undefined;
  try {
    // Deserialised into memory: nothing is written to disk and nothing outside this buffer is read.
    // rpm keeps the file in WAL mode (header bytes 18–19 = 2), which SQLite cannot open from memory;
    // marking a copy as rollback-journal is safe because rpm checkpoints after every transaction.
    const bytes = Buffer.from(content);
    if (bytes.length >= 20 && bytes.toString('latin1', 0, 15) === 'SQLite format 3') {
      bytes[18] = 1;
      bytes[19] = 1;
    }
    db = new Database(bytes, { readonly: true });
    const rows = db.prepare('SELECT blob FROM Packages ORDER BY hnum').raw().iterate() as IterableIterator<[unknown]>;
    const blobs = (function* () {
      for (const [blob] of rows) if (Buffer.isBuffer(blob)) yield blob;
    })();
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
    return fromBlobs(path, values, issues);
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
  version: '1',
  kind: 'os',
  globs: [
    'var/lib/rpm/Packages', 'var/lib/rpm/rpmdb.sqlite',
    'usr/lib/sysimage/rpm/Packages', 'usr/lib/sysimage/rpm/rpmdb.sqlite',
    'var/lib/rpmmanifest/container-manifest-2',
  ],
  // A full RHEL/Fedora rpmdb is 10–100 MB (headers carry file lists); parsed whole in memory.
  maxBytes: 160 * 1024 * 1024,
  parse: parseRpm,
});
