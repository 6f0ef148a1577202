/**
 * apk: `/lib/apk/db/installed` (apk-tools' installed database: one `X:value` line per field, blank
 * line between packages; https://wiki.alpinelinux.org/wiki/Apk_spec). P name, V version, A arch,
 * o origin (the source package Alpine's advisories name), L licence, C checksum (`Q1`+base64 SHA-1).
 */
import { issue, type Issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { nameLinker } from '../../links.js';
import { spdxList } from '../../licenses.js';
import type { PackageRecord } from '../../schema.js';

const VERSION = /^[0-9][A-Za-z0-9._+~-]*$/;

/** `Q1<base64 sha1>` → `sha1:<hex>`; other forms kept as written. */
export function apkChecksum(value: string): string {
  if (value.startsWith('Q1')) {
    const bytes = Buffer.from(value.slice(2), 'base64');
    if (bytes.length === 20) return `sha1:${bytes.toString('hex')}`;
  }
  return value;
}

/**
 * One `D:` token → the name it needs: `so:libc.musl-x86_64.so.1`, `cmd:sh`, `pc:zlib`, `musl>=1.2`
 * (version constraints `=`, `<`, `>`, `~` and repository tags `@edge` dropped); conflicts (`!name`) are
 * not dependencies.
 */
export function apkDependency(token: string): string | undefined {
  if (token.startsWith('!')) return undefined;
  const name = /^[^<>=~@]+/.exec(token)?.[0];
  return name === undefined || name === '' ? undefined : name;
}

export function parseApkInstalled(path: string, content: Buffer): ParseResult {
  const issues: Issue[] = [];
  const packages: PackageRecord[] = [];
  const text = content.toString('utf8');
  if (text.includes('\u0000')) issues.push(issue('apk-binary-garbage', `"${path}" holds binary data (NUL bytes); packages that still parse are kept`, undefined, 'The package database is damaged; rebuild the image from a clean base.'));
  let fields = new Map<string, string>();
  let provides: string[] = [];
  let depends: string[] = [];
  let start = 1;
  let garbage = 0;
  const flush = (): void => {
    if (fields.size === 0) return;
    const where = `${path}:${start}`;
    const name = fields.get('P');
    const version = fields.get('V');
    if (name === undefined || name === '') issues.push(issue('apk-entry-invalid', `Entry at ${where} has no P: (name); skipped`, where));
    else if (version === undefined || !VERSION.test(version)) issues.push(issue('apk-entry-invalid', `Package "${name}" at ${where} has ${version === undefined ? 'no V: (version)' : `an invalid version "${version.slice(0, 40)}"`}; skipped`, where));
    else {
      const record: PackageRecord = { name, version, type: 'apk', source: { name: fields.get('o') ?? name, version } };
      const arch = fields.get('A');
      if (arch !== undefined && arch !== '') record.arch = arch;
      const licenses = spdxList(fields.get('L'));
      if (licenses !== undefined) record.licenses = licenses;
      const checksum = fields.get('C');
      if (checksum !== undefined) record.checksum = apkChecksum(checksum);
      if (provides.length > 0) record.provides = provides;
      record.dependsOn = [...new Set(depends.map(apkDependency).filter((d): d is string => d !== undefined))];
      if (garbage > 0) issues.push(issue('apk-entry-damaged', `Package "${name}" at ${where}: ${garbage} line(s) are not "X:value"; kept`, where));
      packages.push(record);
    }
    fields = new Map();
    provides = [];
    depends = [];
    garbage = 0;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line === '') {
      flush();
      start = i + 2;
      continue;
    }
    if (line.length < 2 || line[1] !== ':') {
      garbage++;
      continue;
    }
    const k = line[0] ?? '';
    const v = line.slice(2);
    if (k === 'p') provides.push(...v.split(/\s+/).filter((p) => p !== ''));
    else if (k === 'D') depends.push(...v.split(/\s+/).filter((p) => p !== ''));
    else if (!fields.has(k)) fields.set(k, v);
    else if (k === 'P' || k === 'V') {
      // Two names or versions in one entry: a missing blank line (truncated write). Close the first.
      flush();
      start = i + 1;
      fields.set(k, v);
    }
  }
  flush();
  return { packages, issues };
}

export const apk = defineCataloger({
  id: 'apk',
  version: '2',
  kind: 'os',
  globs: ['lib/apk/db/installed'],
  // Lists every installed file; a large Alpine image's DB is a few MB.
  maxBytes: 64 * 1024 * 1024,
  parse: parseApkInstalled,
  // D: names within the image: a package name, else a `p:` provide (`so:`, `cmd:`, `pc:` names; `=version` dropped).
  link: nameLinker({ scope: () => '', names: (r) => [r.name], provides: (r) => (r.provides ?? []).map((p) => apkDependency(p) ?? p) }),
});
