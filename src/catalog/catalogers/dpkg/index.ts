/**
 * dpkg: `/var/lib/dpkg/status` and distroless `/var/lib/dpkg/status.d/<pkg>` (deb822 stanzas, see
 * deb-control(5) / dpkg's status format). Only `install ok installed` counts; `Source: name (version)`
 * gives the source package and its version (binNMUs differ from the binary's).
 */
import { issue, type Issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { nameLinker } from '../../links.js';
import type { PackageRecord } from '../../schema.js';

interface Stanza {
  line: number;
  fields: Map<string, string>;
  duplicates: string[];
  garbage: number[];
}

/** deb822 stanzas: `Field: value`, continuation lines start with a space or tab, blank lines separate. */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let cur: Stanza | undefined;
  let last: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    if (raw.trim() === '') {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
      last = undefined;
      continue;
    }
    cur ??= { line: i + 1, fields: new Map(), duplicates: [], garbage: [] };
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && last !== undefined) {
      cur.fields.set(last, `${cur.fields.get(last) ?? ''}\n${raw}`);
      continue;
    }
    const m = /^([!-9;-~][!-9;-~]*):[ \t]*(.*)$/.exec(raw);
    if (m?.[1] === undefined || m[2] === undefined) {
      cur.garbage.push(i + 1);
      last = undefined;
      continue;
    }
    const name = m[1].toLowerCase();
    if (cur.fields.has(name)) cur.duplicates.push(m[1]);
    else cur.fields.set(name, m[2].trim());
    last = name;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

const VERSION = /^(?:(\d+):)?[0-9][A-Za-z0-9.+~:-]*$/;

/**
 * A relationship field (deb-control(5) / Debian Policy 7.1: `a (>= 1), b:any | c [amd64] <!nocheck>`)
 * → one reference per comma group, its alternatives as bare names joined by ` | `: version constraints,
 * architecture qualifiers (`:any`, `:native`, `:amd64`), architecture lists and build profiles dropped.
 * Installed packages satisfy their constraints already (dpkg enforces them), so the name decides.
 */
export function relationNames(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const out: string[] = [];
  for (const group of value.split(',')) {
    const alts = group.split('|').map((a) => a.replace(/\([^)]*\)|\[[^\]]*\]|<[^>]*>/g, '').trim().split(/\s+/)[0]?.split(':')[0] ?? '').filter((a) => a !== '');
    if (alts.length > 0) out.push(alts.join(' | '));
  }
  return out;
}
const SOURCE = /^(\S+)(?:\s+\((\S+)\))?$/;

export function parseDpkgStatus(path: string, content: Buffer): ParseResult {
  const issues: Issue[] = [];
  const packages: PackageRecord[] = [];
  if (path.endsWith('.md5sums') || path.endsWith('.list')) return { packages };
  const distroless = path.includes('status.d/');
  const text = content.toString('utf8');
  if (text.includes('\u0000')) issues.push(issue('dpkg-binary-garbage', `"${path}" holds binary data (NUL bytes); stanzas that still parse are kept, the rest skipped`, undefined, 'The package database is damaged; rebuild the image from a clean base.'));
  for (const s of parseStanzas(text)) {
    const name = s.fields.get('package');
    const where = `${path}:${s.line}`;
    if (name === undefined || name === '') {
      issues.push(issue('dpkg-stanza-invalid', `Stanza at ${where} has no Package field; skipped`, where));
      continue;
    }
    const bad: string[] = [];
    if (s.garbage.length > 0) bad.push(`line${s.garbage.length > 1 ? 's' : ''} ${s.garbage.slice(0, 3).join(', ')} ${s.garbage.length > 1 ? 'are' : 'is'} not "Field: value"`);
    const critical = s.duplicates.filter((d) => ['package', 'version', 'status', 'source', 'architecture'].includes(d.toLowerCase()));
    if (s.duplicates.length > 0) bad.push(`duplicate field${s.duplicates.length > 1 ? 's' : ''} ${s.duplicates.join(', ')}`);
    const status = s.fields.get('status');
    if (status === undefined ? !distroless : status.split(/\s+/)[2] !== 'installed' || status.split(/\s+/)[0] !== 'install') {
      if (status === undefined) issues.push(issue('dpkg-stanza-invalid', `Package "${name}" at ${where} has no Status field; skipped`, where));
      continue;
    }
    const version = s.fields.get('version');
    if (version === undefined || !VERSION.test(version)) {
      issues.push(issue('dpkg-stanza-invalid', `Package "${name}" at ${where} has ${version === undefined ? 'no Version field' : `an invalid Version "${version.slice(0, 40)}"`} (truncated or damaged stanza); skipped`, where, 'deb-version(7): [epoch:]upstream[-revision].'));
      continue;
    }
    if (critical.length > 0) {
      issues.push(issue('dpkg-stanza-invalid', `Package "${name}" at ${where} has ${bad.join('; ')}: which value is right is unknowable; skipped`, where, 'dpkg refuses such a database too ("duplicate value for field"); rebuild the image.'));
      continue;
    }
    if (bad.length > 0) issues.push(issue('dpkg-stanza-damaged', `Package "${name}" at ${where}: ${bad.join('; ')}; kept (name, version and status are intact)`, where));
    const record: PackageRecord = { name, version, type: 'deb' };
    const epoch = /^(\d+):/.exec(version)?.[1];
    if (epoch !== undefined) record.epoch = Number(epoch);
    const arch = s.fields.get('architecture');
    if (arch !== undefined && arch !== '') record.arch = arch;
    const src = s.fields.get('source');
    if (src !== undefined && src !== '') {
      const m = SOURCE.exec(src);
      if (m?.[1] !== undefined) record.source = { name: m[1], version: m[2] ?? version };
      else issues.push(issue('dpkg-stanza-damaged', `Package "${name}" at ${where}: Source "${src.slice(0, 60)}" is not "name (version)"; the binary name is used for advisories`, where));
    }
    record.source ??= { name, version };
    const provides = relationNames(s.fields.get('provides'));
    if (provides.length > 0) record.provides = provides;
    record.dependsOn = [...new Set([...relationNames(s.fields.get('pre-depends')), ...relationNames(s.fields.get('depends'))])];
    packages.push(record);
  }
  return { packages, issues };
}

export const dpkg = defineCataloger({
  id: 'dpkg',
  version: '2',
  kind: 'os',
  globs: ['var/lib/dpkg/status', 'var/lib/dpkg/status.d/*'],
  // A big Debian image's status file is 2–4 MB; 64 MB is far beyond any real one.
  maxBytes: 64 * 1024 * 1024,
  parse: parseDpkgStatus,
  // Depends/Pre-Depends within the image (status and status.d together): the first alternative that is
  // installed, by package name, else by a package that Provides it (virtual packages).
  link: nameLinker({ scope: () => '', names: (r) => [r.name], alternatives: (ref) => ref.split(' | ') }),
});
