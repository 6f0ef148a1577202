/**
 * Debian Security Tracker source. Reads the tracker's JSON export
 * (https://security-tracker.debian.org/tracker/data/json) or the same data as mirrored by
 * aquasecurity/vuln-list-debian (`tracker/` with CVE/, DLA/, DSA/, distributions.json, source/,
 * updates-source/), and states per (vulnerability, Debian release, source package) a fixed version or a
 * status (affected, will_not_fix, fix_deferred, end_of_life, undetermined). See readme.md for the rules.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, errorMessage } from '../../../core/errors.js';
import { issue } from '../../../core/issue.js';
import { ownEntry } from '../../../core/lookup.js';
import { compareVersions } from '../../../versioning/index.js';
import { distroRecord, distroRecordId, type DistroStatement } from '../../distro-record.js';
import { head, isDirectory, parseText, walk } from '../../files.js';
import type { OsvRecord } from '../../schema.js';
import type { ParsedAdvisory, SourceContext, SourceInput, VulnSource } from '../../source.js';
import { DEBIAN_CODENAMES } from '../../store/keys.js';
import type { DistroStatus } from '../../store/index.js';
import { admitRecord } from '../../validate.js';
import { Bug, Distributions, SourceStanza, TrackerIssue, TrackerRelease, type Annotation } from './schema.js';

export const SCOPE = 'debian';

/** Urgency → the label findings show when no CVSS vector is known (trivy-db's mapping of the same field). */
export function urgencyLabel(urgency: string | undefined): 'low' | 'medium' | 'high' | undefined {
  if (urgency === undefined) return undefined;
  const u = urgency.replace(/\*+$/, '');
  if (u === 'unimportant' || u === 'low') return 'low';
  if (u === 'medium') return 'medium';
  if (u === 'high') return 'high';
  return undefined;
}

function modifiedOf(mtimeMs: number): string {
  return new Date(Math.floor(mtimeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A plain "(…)" description from the list file header: "(Libgcrypt before … ...)" → "Libgcrypt before … ...". */
function headerText(description: string | undefined): string | undefined {
  if (description === undefined) return undefined;
  const t = description.trim();
  return t.startsWith('(') && t.endsWith(')') ? t.slice(1, -1) : t;
}

function debCompare(a: string, b: string): number | undefined {
  try {
    return compareVersions('deb', a, b);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The official JSON export

function statementFromRelease(release: TrackerRelease): { status: DistroStatus; fixed?: string; note?: string } | 'not-affected' {
  const fixed = release.fixed_version;
  if (release.status === 'resolved') {
    if (fixed === undefined || fixed === '' || fixed === '0') return 'not-affected';
    return { status: 'fixed', fixed };
  }
  if (release.status === 'undetermined') return { status: 'undetermined' };
  // open
  const note = [release.nodsa, release.nodsa_reason === undefined || release.nodsa_reason === '' ? undefined : `(${release.nodsa_reason})`].filter((s) => s !== undefined && s !== '').join(' ');
  if (release.urgency === 'end-of-life') return { status: 'end_of_life', ...(note === '' ? {} : { note }) };
  if (release.nodsa_reason === 'ignored') return { status: 'will_not_fix', ...(note === '' ? {} : { note }) };
  if (release.nodsa_reason === 'postponed') return { status: 'fix_deferred', ...(note === '' ? {} : { note }) };
  return { status: 'affected', ...(note === '' ? {} : { note: `no DSA: ${note}` }) };
}

async function* readTrackerJson(input: SourceInput, ctx: SourceContext): AsyncGenerator<ParsedAdvisory> {
  let text: string;
  let modified: string;
  try {
    text = await readFile(input.path, 'utf8');
    modified = modifiedOf((await stat(input.path)).mtimeMs);
  } catch (error) {
    throw new InputError(input.display, `Cannot read Debian tracker JSON "${input.display}": ${errorMessage(error)}`, { cause: error });
  }
  const parsed = parseText(text, 'tracker.json');
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new InputError(input.display, `Debian tracker JSON "${input.display}" is not a JSON object of source packages: ${parsed.ok ? 'wrong shape' : parsed.error}`, {
      hint: 'Download https://security-tracker.debian.org/tracker/data/json again; a truncated file is refused whole and the database was not changed.',
    });
  }
  // Group by vulnerability: the export is keyed by source package first.
  const byVuln = new Map<string, { description?: string | undefined; statements: DistroStatement[] }>();
  /** Vulnerabilities with a part skipped (an invalid entry): their records are partial (a stored copy is kept). */
  const damaged = new Set<string>();
  for (const [pkg, issues] of Object.entries(parsed.value as Record<string, unknown>)) {
    if (typeof issues !== 'object' || issues === null) {
      ctx.issue(issue('debian-tracker-parse', `Skipped source package "${pkg}": expected an object of issues`, `${input.display}#${pkg}`));
      // which advisories it held is unknown: none is retired this time
      ctx.incompleteScope(SCOPE);
      continue;
    }
    for (const [vulnId, rawIssue] of Object.entries(issues as Record<string, unknown>)) {
      const checked = TrackerIssue.safeParse(rawIssue);
      if (!checked.success) {
        ctx.issue(issue('debian-tracker-parse', `Skipped ${vulnId} for "${pkg}": ${checked.error.issues[0]?.message ?? 'invalid'}`, `${input.display}#${pkg}/${vulnId}`));
        damaged.add(vulnId);
        continue;
      }
      const entry = byVuln.get(vulnId) ?? { description: checked.data.description, statements: [] };
      byVuln.set(vulnId, entry);
      for (const [codename, rawRelease] of Object.entries(checked.data.releases)) {
        const release = TrackerRelease.safeParse(rawRelease);
        const number = ownEntry(DEBIAN_CODENAMES, codename);
        if (!release.success || number === undefined) {
          ctx.issue(issue('debian-tracker-parse', `Skipped ${vulnId} ${pkg} in "${codename}": ${release.success ? 'unknown Debian codename' : 'invalid release entry'}`, `${input.display}#${pkg}/${vulnId}/${codename}`));
          // a release this build does not know was never stored either; an unreadable entry of a known one was
          if (!release.success) damaged.add(vulnId);
          continue;
        }
        const s = statementFromRelease(release.data);
        if (s === 'not-affected') continue;
        entry.statements.push({ ecosystem: `Debian:${number}`, package: pkg, status: s.status, fixed: s.fixed, note: s.note, urgency: release.data.urgency });
      }
    }
  }
  ctx.completeScope(SCOPE);
  // named only by skipped entries: the stored copy stays
  for (const vulnId of damaged) if ((byVuln.get(vulnId)?.statements.length ?? 0) === 0) ctx.keepStored(distroRecordId(vulnId, 'DEBIAN'), SCOPE);
  for (const [vulnId, entry] of byVuln) {
    ctx.signal?.throwIfAborted();
    if (entry.statements.length === 0) continue;
    yield* admit(
      distroRecord({
        id: vulnId,
        home: 'DEBIAN',
        details: entry.description,
        modified,
        statements: entry.statements,
        references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${vulnId}` }],
      }),
      `${input.display}#${vulnId}`,
      ctx,
      damaged.has(vulnId),
    );
  }
}

/** Validate a built record; one that fails keeps its stored copy (the snapshot named it). */
function* admit(record: OsvRecord, location: string, ctx: SourceContext, partial = false): Generator<ParsedAdvisory> {
  const admitted = admitRecord(record, location);
  if (admitted.record === undefined) {
    ctx.issue(admitted.rejection);
    ctx.keepStored(record.id, SCOPE);
    return;
  }
  yield { record: admitted.record, location, scope: SCOPE, partial };
}

// ---------------------------------------------------------------------------------------------------------
// The vuln-list-debian layout (the tracker's list files, parsed), with the rules of trivy-db's importer

/** Tracker "kind" of a release line → status, when the line gives no version. */
const KIND_STATUS: Record<string, DistroStatus> = {
  unfixed: 'affected',
  'no-dsa': 'affected',
  ignored: 'will_not_fix',
  postponed: 'fix_deferred',
  'end-of-life': 'end_of_life',
  undetermined: 'undetermined',
  removed: 'affected',
};

interface Bucket {
  fixed: string;
  kind: string;
  severity?: string | undefined;
  vendorIds: string[];
}

async function trackerRoot(path: string): Promise<string | undefined> {
  for (const candidate of [path, join(path, 'tracker')]) {
    if ((await isDirectory(join(candidate, 'CVE'))) || (await isDirectory(join(candidate, 'DSA')))) {
      try {
        await stat(join(candidate, 'distributions.json'));
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}

async function readJsonFile(path: string, display: string, ctx: SourceContext): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    ctx.issue(issue('debian-tracker-parse', `Cannot read ${display}: ${errorMessage(error)}`, display));
    // what the file held is unknown: no advisory is retired this time
    ctx.incompleteScope(SCOPE);
    return undefined;
  }
  const parsed = parseText(text, path);
  if (!parsed.ok) {
    ctx.issue(issue('debian-tracker-parse', `Cannot parse ${display}: ${parsed.error}`, display, 'The rest of the import went on.'));
    ctx.incompleteScope(SCOPE);
    return undefined;
  }
  return parsed.value;
}

async function* readVulnList(root: string, input: SourceInput, ctx: SourceContext): AsyncGenerator<ParsedAdvisory> {
  const at = (rel: string): string => join(input.display, rel);
  const rawDists = await readJsonFile(join(root, 'distributions.json'), at('distributions.json'), ctx);
  const dists = Distributions.safeParse(rawDists);
  if (!dists.success) {
    throw new InputError(input.display, `Debian tracker "${at('distributions.json')}" is missing or invalid: expected codename → {"major-version": …}`, { hint: 'Point at the vuln-list-debian "tracker" directory.' });
  }
  const distributions = new Map<string, string>();
  for (const [codename, info] of Object.entries(dists.data)) if (info['major-version'] !== '') distributions.set(codename, info['major-version']);
  const modified = modifiedOf((await stat(join(root, 'distributions.json'))).mtimeMs);

  // Latest source version per (codename, package) from the archive's Sources (source/ and updates-source/).
  const pkgVersions = new Map<string, string>();
  for (const dir of ['source', 'updates-source']) {
    for (const codename of distributions.keys()) {
      const base = join(root, dir, codename);
      if (!(await isDirectory(base))) continue;
      for (const file of await walk(base, ['.json'], ctx.signal)) {
        const raw = await readJsonFile(join(base, file), at(join(dir, codename, file)), ctx);
        for (const item of Array.isArray(raw) ? raw : [raw]) {
          const stanza = SourceStanza.safeParse(item);
          const name = stanza.success ? stanza.data.Package?.[0] : undefined;
          const version = stanza.success ? stanza.data.Version?.[0] : undefined;
          if (name === undefined || version === undefined) continue;
          const key = `${codename}\0${name}`;
          const old = pkgVersions.get(key);
          const cmp = old === undefined ? 1 : debCompare(version, old);
          if (cmp === undefined) {
            ctx.issue(issue('debian-tracker-parse', `Invalid Debian version "${version}" for ${name} in ${codename} sources`, at(join(dir, codename, file))));
            ctx.incompleteScope(SCOPE);
            continue;
          }
          if (cmp > 0) pkgVersions.set(key, version);
        }
      }
    }
  }

  /** Vulnerabilities with a fix line skipped (an invalid version): their records are partial (a stored copy is kept). */
  const damaged = new Set<string>();
  const sid = new Map<string, { version: string; severity?: string | undefined }>(); // pkg\0vuln
  const buckets = new Map<string, Bucket>(); // codename\0pkg\0vuln
  const notAffected = new Set<string>(); // codename|''\0pkg\0vuln
  const titles = new Map<string, string>();
  const vendorAliases = new Map<string, Set<string>>();

  const bugs = async function* (dir: string): AsyncGenerator<{ bug: Bug; file: string }> {
    const base = join(root, dir);
    if (!(await isDirectory(base))) return;
    for (const file of await walk(base, ['.json'], ctx.signal)) {
      const raw = await readJsonFile(join(base, file), at(join(dir, file)), ctx);
      if (raw === undefined) continue;
      const bug = Bug.safeParse(raw);
      if (!bug.success) {
        ctx.issue(issue('debian-tracker-parse', `Skipped ${join(dir, file)}: ${bug.error.issues[0]?.message ?? 'not a tracker entry'} at ${bug.error.issues[0]?.path.join('.') ?? ''}`, at(join(dir, file))));
        ctx.incompleteScope(SCOPE);
        continue;
      }
      yield { bug: bug.data, file: at(join(dir, file)) };
    }
  };

  for await (const { bug } of bugs('CVE')) {
    const vulnId = bug.Header.ID;
    const title = headerText(bug.Header.Description);
    if (title !== undefined) titles.set(vulnId, title);
    const severities = new Map<string, string>();
    for (const ann of bug.Annotations ?? []) {
      if (ann.Type !== 'package' || ann.Package === undefined) continue;
      const release = ann.Release ?? '';
      const key = `${release}\0${ann.Package}\0${vulnId}`;
      const kind = ann.Kind ?? '';
      if (kind === 'not-affected') {
        notAffected.add(key);
        continue;
      }
      if (kind === 'itp') continue; // intent to package: not in Debian yet
      if (release === '') {
        if (ann.Severity !== undefined) severities.set(ann.Package, ann.Severity);
        sid.set(`${ann.Package}\0${vulnId}`, { version: kind === 'fixed' ? (ann.Version ?? '') : '', severity: ann.Severity });
        continue;
      }
      buckets.set(key, { fixed: ann.Version ?? '', kind: ann.Version === undefined ? kind : '', severity: severities.get(ann.Package), vendorIds: [] });
    }
  }

  for (const dir of ['DLA', 'DSA']) {
    for await (const { bug, file } of bugs(dir)) {
      const advisoryId = bug.Header.ID;
      const title = headerText(bug.Header.Description);
      let cves: string[] = [];
      for (const ann of bug.Annotations ?? []) {
        if (ann.Type === 'xref') {
          cves = ann.Bugs ?? [];
          continue;
        }
        if (ann.Type !== 'package' || ann.Package === undefined) continue;
        const vulnIds = cves.length > 0 ? cves : [advisoryId];
        if (cves.length === 0 && title !== undefined) titles.set(advisoryId, title);
        for (const vulnId of vulnIds) {
          const key = `${ann.Release ?? ''}\0${ann.Package}\0${vulnId}`;
          if (ann.Kind === 'not-affected') {
            notAffected.add(key);
            continue;
          }
          if (vulnId !== advisoryId) {
            const set = vendorAliases.get(vulnId) ?? new Set<string>();
            set.add(advisoryId);
            vendorAliases.set(vulnId, set);
          }
          const existing = buckets.get(key);
          const version = ann.Version ?? '';
          if (existing === undefined) {
            buckets.set(key, { fixed: version, kind: version === '' ? (ann.Kind ?? '') : '', vendorIds: [advisoryId] });
            continue;
          }
          // Several advisories fixing one issue: the latest fix wins (the earlier one was incomplete).
          const cmp = existing.fixed === '' ? 1 : version === '' ? -1 : debCompare(version, existing.fixed);
          if (cmp === undefined) {
            ctx.issue(issue('debian-tracker-parse', `Invalid Debian version "${version}" in ${advisoryId}`, file));
            damaged.add(vulnId);
          } else if (cmp > 0) {
            existing.fixed = version;
            existing.kind = '';
          }
          existing.vendorIds.push(advisoryId);
        }
      }
    }
  }

  const statements = new Map<string, DistroStatement[]>();
  const add = (vulnId: string, codename: string, pkg: string, b: Bucket): void => {
    const major = distributions.get(codename);
    if (major === undefined) return; // a release the distributions list no longer has (squeeze, sarge)
    let status: DistroStatus = b.fixed !== '' ? 'fixed' : (ownEntry(KIND_STATUS, b.kind) ?? 'affected');
    let fixed: string | undefined = b.fixed === '' ? undefined : b.fixed;
    let note: string | undefined = b.kind === 'no-dsa' ? 'no DSA: minor issue, may be fixed in a point release' : undefined;
    const current = pkgVersions.get(`${codename}\0${pkg}`);
    if (fixed !== undefined && current !== undefined && (debCompare(current, fixed) ?? 0) < 0) {
      // The tracker names a fix the release's archive does not carry yet: still affected, no fix to install.
      note = `fix ${fixed} announced, but ${codename} carries ${current}`;
      fixed = undefined;
      status = 'affected';
    }
    const list = statements.get(vulnId) ?? [];
    list.push({ ecosystem: `Debian:${major}`, package: pkg, status, fixed, urgency: b.severity, note, vendorIds: b.vendorIds.length > 0 ? b.vendorIds : undefined });
    statements.set(vulnId, list);
  };

  for (const [sidKey, sidEntry] of sid) {
    const [pkg = '', vulnId = ''] = sidKey.split('\0');
    if (notAffected.has(`\0${pkg}\0${vulnId}`)) continue;
    for (const codename of distributions.keys()) {
      const key = `${codename}\0${pkg}\0${vulnId}`;
      if (notAffected.has(key)) continue;
      const own = buckets.get(key);
      if (own !== undefined && own.kind === '') continue; // a release line with a version: written below
      const current = pkgVersions.get(`${codename}\0${pkg}`);
      if (current === undefined) continue; // the release does not ship this source package
      // The release's archive already carries sid's fix (or newer): fixed at sid's version, whatever a
      // stale no-dsa/postponed line says. Otherwise it is open in that release.
      const cmp = sidEntry.version === '' ? -1 : debCompare(current, sidEntry.version);
      const b: Bucket = own ?? { fixed: '', kind: 'unfixed', vendorIds: [] };
      if (cmp !== undefined && cmp >= 0) {
        b.fixed = sidEntry.version;
        b.kind = '';
      }
      b.severity = sidEntry.severity;
      buckets.delete(key);
      add(vulnId, codename, pkg, b);
    }
  }
  for (const [key, b] of buckets) {
    const [codename = '', pkg = '', vulnId = ''] = key.split('\0');
    add(vulnId, codename, pkg, b);
  }

  ctx.completeScope(SCOPE);
  for (const vulnId of damaged) if (!statements.has(vulnId)) ctx.keepStored(distroRecordId(vulnId, 'DEBIAN'), SCOPE);
  for (const [vulnId, list] of [...statements].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    ctx.signal?.throwIfAborted();
    const related = [...(vendorAliases.get(vulnId) ?? [])].sort();
    yield* admit(
      distroRecord({
        id: vulnId,
        home: 'DEBIAN',
        related,
        summary: titles.get(vulnId),
        modified,
        statements: list,
        references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${vulnId}` }],
      }),
      at(vulnId),
      ctx,
      damaged.has(vulnId),
    );
  }
}

export type { Annotation };

export const debianTracker: VulnSource = {
  id: 'debian-tracker',
  title: 'Debian Security Tracker',
  formats: ['the tracker JSON export (https://security-tracker.debian.org/tracker/data/json)', 'a vuln-list-debian "tracker" directory (CVE/, DLA/, DSA/, distributions.json, source/)'],
  async detect(path) {
    if (await isDirectory(path)) return (await trackerRoot(path)) !== undefined;
    return /^\s*\{\s*"[^"]+"\s*:\s*\{\s*"(CVE|TEMP|DSA|DLA)-/.test(await head(path, 512));
  },
  async *read(input, ctx) {
    if (await isDirectory(input.path)) {
      const root = await trackerRoot(input.path);
      if (root === undefined) throw new InputError(input.display, `"${input.display}" is not a Debian tracker directory: expected distributions.json and CVE/ (vuln-list-debian "tracker" layout)`);
      yield* readVulnList(root, input, ctx);
      return;
    }
    yield* readTrackerJson(input, ctx);
  },
};
