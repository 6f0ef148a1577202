/**
 * The matcher: packages in, `vulnerability` findings out (with issues for what could not be evaluated).
 *
 * - Language packages are looked up by (ecosystem, name); OS packages by their *source* package (Debian,
 *   Ubuntu) or *origin* (Alpine) and only against advisories of their release ("Debian:12", "Alpine:v3.18").
 * - Each affected entry is evaluated with the ecosystem's exact version scheme (evaluate.ts); distro
 *   statuses (will_not_fix, end_of_life, …) ride along into the finding.
 * - Advisories that share an id or alias (CVE ↔ GHSA ↔ PYSEC ↔ GO ↔ DSA) become ONE finding per package,
 *   keeping every id and every "why it matched".
 * - Anything that cannot be evaluated (unknown scheme, invalid version in the advisory or the package, a
 *   missing distro release) is a finding of state `unknown` or an issue — never a silent "not affected".
 */
import { fingerprint, type Finding, type Subject } from '../../core/finding.js';
import { issue, type Issue } from '../../core/issue.js';
import { packageLabel, type Package } from '../../core/package.js';
import type { Severity } from '../../core/severity.js';
import { purlOf } from '../inputs/purl.js';
import { DbError, affectedDataText, headRows, importProvenance, matchRows, parseHead, type AdvisoryHead, type AffectedData, type Db, type DistroStatus, type MatchRow, type SourceId } from '../store/index.js';
import { RELEASE_SCOPED, nameKey, packageReleaseKey } from '../store/keys.js';
import { applyVex, type VexStatement } from '../vex/index.js';
import { describeRange, evaluateEntry, prepareEntry, quickVerdict, type EntryEvaluation, type PreparedEntry, type RangeEvaluation, type Verdict } from './evaluate.js';
import { resolveSeverity, type SeverityVerdict } from './severity.js';

export const VULNERABILITY_RULE = 'vulnerable-package';

export interface MatchOptions {
  /** What the findings are about (an image, a workload's container, an SBOM); default `{ type: 'image' }`. */
  subject?: Subject | undefined;
  /** VEX statements (vex/readVex) applied to the findings. */
  vex?: readonly VexStatement[] | undefined;
}

export interface MatchResult {
  findings: Finding[];
  issues: Issue[];
}

/** Why one advisory matched one package: shown on every finding. */
export interface MatchReason {
  advisory: string;
  source: SourceId;
  feed: string;
  /** The advisory's affected package and ecosystem (with release suffix). */
  ecosystem: string;
  package: string;
  /** Version compared: the installed (or source) version. */
  version: string;
  verdict: 'affected' | 'unknown';
  /** `range` | `versions` (listed explicitly) | `distro-status`. */
  matchedBy: 'range' | 'versions' | 'distro-status';
  scheme?: string | undefined;
  ranges: Array<{ type: string; range: string; verdict: string; reason?: string | undefined }>;
  fixed?: string | undefined;
  lastAffected?: string | undefined;
  status?: DistroStatus | undefined;
  note?: string | undefined;
  problems?: string[] | undefined;
}

export type FixStatus = 'fixed' | 'affected' | 'will_not_fix' | 'fix_deferred' | 'end_of_life' | 'unknown';

interface Lookup {
  ecosystem: string;
  /** Name and version compared: the source package for Debian/Ubuntu, the origin for Alpine. */
  name: string;
  version: string;
  release: string | undefined;
  viaSource: boolean;
}

/** An advisory head with its ids upper-cased once, for alias grouping. */
interface Head extends AdvisoryHead {
  keys: string[];
}

interface Hit {
  /** Index of the matched entry in the advisory's `affected`. */
  entry: number;
  advisory: Head;
  reason: MatchReason;
  urgency?: string | undefined;
}

const FIX_PRIORITY: Record<FixStatus, number> = { fixed: 0, affected: 1, fix_deferred: 2, will_not_fix: 3, end_of_life: 4, unknown: 5 };

function lookupOf(pkg: Package, issues: Issue[]): Lookup | undefined {
  const osPackage = RELEASE_SCOPED.has(pkg.ecosystem);
  const viaSource = osPackage && pkg.source !== undefined && pkg.source.name !== '';
  const name = viaSource && pkg.source !== undefined ? pkg.source.name : pkg.name;
  const version = viaSource && pkg.source?.version !== undefined && pkg.source.version !== '' ? pkg.source.version : pkg.version;
  if (!osPackage) return { ecosystem: pkg.ecosystem, name, version, release: undefined, viaSource: false };
  if (pkg.distro === undefined) {
    issues.push(issue('vuln-no-distro', `${packageLabel(pkg)}: no distribution release known, so ${pkg.ecosystem} advisories (which are per release) cannot be matched`, pkg.locations?.[0]?.path, 'Give the package a distro (os-release), e.g. a purl qualifier "distro=debian-12".'));
    return undefined;
  }
  const release = packageReleaseKey(pkg.ecosystem, pkg.distro.release, pkg.distro.codename);
  if (release === undefined) {
    issues.push(issue('vuln-no-distro', `${packageLabel(pkg)}: cannot read the ${pkg.ecosystem} release from "${pkg.distro.release}"`, pkg.locations?.[0]?.path, `Expected e.g. ${pkg.ecosystem === 'Alpine' ? '"3.18" or "v3.18"' : pkg.ecosystem === 'Ubuntu' ? '"22.04"' : '"12" or "bookworm"'}.`));
    return undefined;
  }
  return { ecosystem: pkg.ecosystem, name, version, release, viaSource };
}

/** The id that names the vulnerability: the first CVE, else the first GHSA, else the smallest id. */
function primaryId(ids: readonly string[]): string {
  let cve: string | undefined;
  let ghsa: string | undefined;
  let smallest: string | undefined;
  for (const id of ids) {
    // Alpine records carry a release-qualified id ("ALPINE-CVE-…@v3.18/main"); the CVE alias names the vulnerability.
    if (id.includes('@')) continue;
    if (cve === undefined && id.startsWith('CVE-')) cve = id;
    if (ghsa === undefined && id.startsWith('GHSA-')) ghsa = id;
    if (smallest === undefined || id < smallest) smallest = id;
  }
  return cve ?? ghsa ?? smallest ?? 'unknown';
}

/** Group hits whose advisories share an id or alias (union–find over upper-cased ids). */
function groupByAlias(hits: Hit[]): Hit[][] {
  if (hits.length === 1) return [hits];
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(x, root);
    return root;
  };
  for (const h of hits) {
    const keys = h.advisory.keys;
    const first = keys[0] ?? '';
    if (!parent.has(first)) parent.set(first, first);
    for (let i = 1; i < keys.length; i++) {
      const k = keys[i] ?? '';
      if (!parent.has(k)) parent.set(k, k);
      const ra = find(first);
      const rb = find(k);
      if (ra !== rb) parent.set(ra, rb);
    }
  }
  const groups = new Map<string, Hit[]>();
  for (const h of hits) {
    const root = find(h.advisory.keys[0] ?? '');
    const list = groups.get(root);
    if (list === undefined) groups.set(root, [h]);
    else list.push(h);
  }
  return [...groups.values()];
}

function fixStatusOf(reasons: readonly MatchReason[]): FixStatus {
  let best: FixStatus | undefined;
  for (const r of reasons) {
    if (r.verdict !== 'affected') continue;
    if (r.fixed !== undefined) return 'fixed';
    const status: FixStatus = r.status === undefined || r.status === 'fixed' || r.status === 'undetermined' ? 'affected' : r.status;
    if (best === undefined || FIX_PRIORITY[status] < FIX_PRIORITY[best]) best = status;
  }
  return best ?? 'unknown';
}

/**
 * A string built from parts as one flat string: a template literal leaves a tree of concatenations (one
 * heap object per `+`), and findings keep their title and remediation for as long as the report lives.
 */
function joined(...parts: string[]): string {
  return parts.join('');
}

function remediationOf(pkg: Package, lookup: Lookup, state: 'affected' | 'unknown', fixStatus: FixStatus, fixed: string[]): string {
  const what = lookup.viaSource ? `${pkg.name} (source package ${lookup.name})` : pkg.name;
  if (state === 'unknown') return joined('runwarden could not decide whether ', what, ' ', pkg.version, ' is affected (see evidence.matches[].problems); check the advisory by hand or fix the version data.');
  if (fixStatus === 'fixed') return joined('Upgrade ', what, ' to ', fixed.join(' or '), ' or later', RELEASE_SCOPED.has(pkg.ecosystem) ? ' from the distribution\'s security updates (rebuild the image on an updated base)' : '', '.');
  if (fixStatus === 'will_not_fix') return joined('The distribution will not fix ', what, ' in this release; remove the package, mitigate, or move to a newer release.');
  if (fixStatus === 'end_of_life') return joined(what, ' is out of security support in this release; move to a supported release.');
  if (fixStatus === 'fix_deferred') return joined('A fix for ', what, ' is postponed by the distribution; watch for an update or mitigate.');
  return joined('No fixed version of ', what, ' is available yet; mitigate, remove it, or accept the risk with a VEX statement.');
}

function rangeSummary(evaluations: RangeEvaluation[], ranges: PreparedEntry['ranges']): MatchReason['ranges'] {
  return evaluations.map((e, i) => ({ type: e.type, range: e.range !== '' ? e.range : ranges[i] === undefined ? '' : describeRange(ranges[i]), verdict: e.verdict, ...(e.reason === undefined ? {} : { reason: e.reason }) }));
}

/** Deduplicate packages by identity, merging their locations. */
function uniquePackages(packages: readonly Package[]): Package[] {
  const byKey = new Map<string, Package>();
  for (const p of packages) {
    const key = [p.ecosystem, p.name, p.version, p.distro?.release ?? '', p.source?.name ?? '', p.source?.version ?? ''].join('\0');
    const existing = byKey.get(key);
    if (existing === undefined) byKey.set(key, { ...p, locations: [...(p.locations ?? [])] });
    else existing.locations = [...(existing.locations ?? []), ...(p.locations ?? [])];
  }
  return [...byKey.values()];
}

/** Per-call caches: every advisory head, matching entry and package key is read and prepared once. */
interface MatchContext {
  db: Db;
  /** Candidate rows by group key (ecosystem + name key) for the packages of the current round. */
  rows: Map<string, MatchRow[]>;
  heads: Map<number, Head>;
  feeds: Map<number, string>;
  /** Parsed and prepared `data` by ecosystem column and entry rowid: identical entries (GHSA and PYSEC copies) are one row. */
  entries: Map<string, Map<number, EntryInfo>>;
  /** (advisory, entry) pairs whose invalid listed versions were reported. */
  reported: Set<string>;
}

/** Heads kept at once; an advisory usually matches one package, so this only bounds memory. */
const HEAD_CACHE_LIMIT = 50_000;
/** Bytes of the database file memory-mapped while matching (SQLite caps it at its compile-time maximum). */
const MATCH_MMAP_BYTES = 256 * 1024 * 1024;
/** Packages matched per round: their rows and heads are read together, in key order. */
const ROUND = 1024;
/** Advisory ids per statement (one JSON array parameter). */
const BATCH = 1000;

const EMPTY_ROWS: MatchRow[] = [];

/** Read the heads of `advisories` not cached yet, in rowid order, a batch per statement. */
function loadHeads(ctx: MatchContext, advisories: Iterable<number>): void {
  let missing: number[] = [];
  for (const a of advisories) if (!ctx.heads.has(a)) missing.push(a);
  if (missing.length === 0) return;
  if (ctx.heads.size + missing.length > HEAD_CACHE_LIMIT) {
    // start over, keeping (re-reading) only what this round needs
    ctx.heads.clear();
    missing = [...new Set(advisories)];
  }
  missing.sort((a, b) => a - b);
  for (let i = 0; i < missing.length; i += BATCH) {
    for (const [rowid, source, id, withdrawn, text, importId] of headRows(ctx.db, missing.slice(i, i + BATCH))) {
      let feed = ctx.feeds.get(importId);
      if (feed === undefined) {
        feed = importProvenance(ctx.db, importId)?.feed ?? '';
        ctx.feeds.set(importId, feed);
      }
      const head = parseHead(rowid, source, id, withdrawn, feed, text) as Head;
      head.keys = [id.toUpperCase()];
      for (const alias of head.facts.aliases ?? []) head.keys.push(alias.toUpperCase());
      ctx.heads.set(rowid, head);
    }
  }
}

/**
 * Read the rows of every package key of a round not read yet, keys sorted: the clustered index is walked
 * forward instead of sought at random (one statement per key measured a little cheaper than IN lists).
 */
function loadRows(ctx: MatchContext, round: readonly Planned[]): void {
  const wanted: Array<{ groupKey: string; ecosystem: string; key: string }> = [];
  for (const p of round) {
    if (p.lookup === undefined || ctx.rows.has(p.groupKey)) continue;
    ctx.rows.set(p.groupKey, EMPTY_ROWS);
    wanted.push({ groupKey: p.groupKey, ecosystem: p.lookup.ecosystem, key: p.key });
  }
  wanted.sort((a, b) => (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0));
  for (const w of wanted) ctx.rows.set(w.groupKey, matchRows(ctx.db, w.ecosystem, w.key));
}

function headFor(ctx: MatchContext, advisory: number): Head {
  const head = ctx.heads.get(advisory);
  if (head === undefined) throw new DbError(`Advisory ${advisory} disappeared while matching`, { hint: 'An import replaced it; run the command again.' });
  return head;
}

/** What explaining one entry for one version gives, shared by every row with that entry and version. */
interface Explained {
  evaluation: EntryEvaluation;
  affectedRange: RangeEvaluation | undefined;
  /** `reason.ranges`: read-only, shared by the findings that quote it (their JSON is the same). */
  ranges: MatchReason['ranges'];
}

interface EntryInfo {
  data: AffectedData;
  entry: PreparedEntry;
  /** The entry's own ecosystem string (with release suffix). */
  ecosystem: string;
  /** quickVerdict and evaluateEntry by installed version: packages of one scan share versions. */
  verdicts: Map<string, Verdict>;
  explained: Map<string, Explained>;
}

/** Versions remembered per entry; only bounds memory. */
const VERSION_CACHE_LIMIT = 4096;

function verdictOf(info: EntryInfo, version: string): Verdict {
  let verdict = info.verdicts.get(version);
  if (verdict === undefined) {
    verdict = quickVerdict(info.ecosystem, version, info.entry);
    if (info.verdicts.size >= VERSION_CACHE_LIMIT) info.verdicts.clear();
    info.verdicts.set(version, verdict);
  }
  return verdict;
}

function explain(info: EntryInfo, version: string): Explained {
  let explained = info.explained.get(version);
  if (explained === undefined) {
    const evaluation = evaluateEntry(info.ecosystem, version, info.entry);
    explained = { evaluation, affectedRange: evaluation.ranges.find((r) => r.verdict === 'affected'), ranges: rangeSummary(evaluation.ranges, info.entry.ranges) };
    if (info.explained.size >= VERSION_CACHE_LIMIT) info.explained.clear();
    info.explained.set(version, explained);
  }
  return explained;
}

/** The parsed and prepared entry of a row, by (ecosystem column, entry rowid): `data` is read only for a new entry. */
function entryFor(ctx: MatchContext, ecosystemColumn: string, row: MatchRow): EntryInfo {
  let byEntry = ctx.entries.get(ecosystemColumn);
  if (byEntry === undefined) {
    byEntry = new Map();
    ctx.entries.set(ecosystemColumn, byEntry);
  }
  let info = byEntry.get(row[3]);
  if (info === undefined) {
    const data = JSON.parse(affectedDataText(ctx.db, row[3])) as AffectedData;
    const ecosystem = data.ecosystem ?? ecosystemColumn;
    info = { data, entry: prepareEntry(ecosystem, data), ecosystem, verdicts: new Map(), explained: new Map() };
    byEntry.set(row[3], info);
  }
  return info;
}

interface Planned {
  pkg: Package;
  lookup: Lookup | undefined;
  /** Issues of the lookup itself, reported in package order. */
  lookupIssues: Issue[];
  /** Ecosystem + name key of the candidate rows. */
  key: string;
  groupKey: string;
}

/** A row that needs its advisory: affected or unknown (`evaluate`), or listing invalid versions not reported yet. */
interface Candidate {
  row: MatchRow;
  info: EntryInfo;
  report: boolean;
  evaluate: boolean;
}

/** Match packages against the advisory database. */
export function matchPackages(db: Db, packages: readonly Package[], options: MatchOptions = {}): MatchResult {
  const ctx: MatchContext = { db, rows: new Map(), heads: new Map(), feeds: new Map(), entries: new Map(), reported: new Set() };
  // A large match touches advisory pages all over the file: with a 64 MiB page cache (better-sqlite3's
  // default is ~16 MiB) each page is read once, and memory-mapped reads spare a read() and a copy per page
  // (bench/vulndb: ~10 % of the matcher's CPU). Both restored when done.
  const previousCache = db.pragma('cache_size', { simple: true }) as number;
  const previousMmap = db.pragma('mmap_size', { simple: true }) as number;
  db.pragma('cache_size = -65536');
  db.pragma(`mmap_size = ${MATCH_MMAP_BYTES}`);
  try {
    return matchPlanned(ctx, packages, options);
  } finally {
    db.pragma(`cache_size = ${previousCache}`);
    db.pragma(`mmap_size = ${previousMmap}`);
  }
}

/** First pass over a package's rows: decide each without building anything, keep those that need their advisory. */
function candidatesOf(ctx: MatchContext, lookup: Lookup, rows: readonly MatchRow[]): Candidate[] | undefined {
  let out: Candidate[] | undefined;
  for (const row of rows) {
    const release = row[1];
    if (lookup.release !== undefined && release !== '' && release !== lookup.release) continue;
    const info = entryFor(ctx, lookup.ecosystem, row);
    const report = info.entry.invalidListed.length > 0 && !ctx.reported.has(`${row[0]}:${row[2]}`);
    // Most candidate rows are not affected: decide that without building the explanation.
    const evaluate = info.data.status === 'undetermined' || verdictOf(info, lookup.version) !== 'not-affected';
    if (report || evaluate) (out ??= []).push({ row, info, report, evaluate });
  }
  return out;
}

function matchPlanned(ctx: MatchContext, packages: readonly Package[], options: MatchOptions): MatchResult {
  const issues: Issue[] = [];
  const findings: Finding[] = [];
  const subject: Subject = options.subject ?? { type: 'image' };
  const seenIssues = new Set<string>();
  const note = (i: Issue): void => {
    const key = `${i.code}\0${i.message}`;
    if (seenIssues.has(key)) return;
    seenIssues.add(key);
    issues.push(i);
  };

  const plan: Planned[] = uniquePackages(packages).map((pkg) => {
    const lookupIssues: Issue[] = [];
    const lookup = lookupOf(pkg, lookupIssues);
    const key = lookup === undefined ? '' : nameKey(lookup.ecosystem, lookup.name);
    return { pkg, lookup, lookupIssues, key, groupKey: lookup === undefined ? '' : `${lookup.ecosystem}\0${key}` };
  });

  // Rounds of packages: read their rows (names in key order), decide every row, read the heads the
  // remaining rows need (rowid order), then explain and build findings in package order, as before.
  for (let start = 0; start < plan.length; start += ROUND) {
    const round = plan.slice(start, start + ROUND);
    loadRows(ctx, round);
    const pending: Array<Candidate[] | undefined> = [];
    const advisories = new Set<number>();
    for (const p of round) {
      const candidates = p.lookup === undefined ? undefined : candidatesOf(ctx, p.lookup, ctx.rows.get(p.groupKey) ?? EMPTY_ROWS);
      pending.push(candidates);
      if (candidates !== undefined) for (const c of candidates) advisories.add(c.row[0]);
    }
    ctx.rows.clear();
    loadHeads(ctx, advisories);
    for (let i = 0; i < round.length; i++) {
      const { pkg, lookup, lookupIssues, key } = round[i] as Planned;
      issues.push(...lookupIssues);
      const candidates = pending[i];
      if (lookup === undefined || candidates === undefined) continue;
      const hits = explainCandidates(ctx, pkg, lookup, key, candidates, note);
      if (hits.length === 0) continue;
      const about = packageFacts(pkg, lookup);
      for (const group of groupByAlias(hits)) findings.push(buildFinding(pkg, lookup, about, group, subject, issues));
    }
  }
  const withVex = options.vex === undefined ? findings : applyVex(findings, options.vex);
  return { findings: withVex, issues };
}

/** Second pass, in row order (as findings and issues are ordered): report invalid listed versions, explain hits. */
function explainCandidates(ctx: MatchContext, pkg: Package, lookup: Lookup, key: string, candidates: readonly Candidate[], note: (i: Issue) => void): Hit[] {
  const hits: Hit[] = [];
  for (const { row, info, report, evaluate } of candidates) {
    const { data, entry, ecosystem } = info;
    const advisory = headFor(ctx, row[0]);
    if (report && !ctx.reported.has(`${row[0]}:${row[2]}`)) {
      ctx.reported.add(`${row[0]}:${row[2]}`);
      if (advisory.withdrawn === null) {
        for (const bad of entry.invalidListed) {
          note(issue('vuln-advisory-version', `${advisory.id} lists "${bad}", which is not a valid ${entry.scheme?.id ?? ecosystem} version; it is compared as text only`, advisory.feed));
        }
      }
    }
    // withdrawn advisories keep no affected rows; the check guards a database written by an older build
    if (!evaluate || advisory.withdrawn !== null) continue;
    const { evaluation, affectedRange, ranges } = explain(info, lookup.version);
    let verdict = evaluation.verdict;
    let problems = evaluation.problems;
    if (data.status === 'undetermined') {
      verdict = 'unknown';
      problems = [...problems, 'the distribution has not determined whether this release is affected'];
    }
    if (verdict === 'not-affected') continue;
    const reason: MatchReason = {
      advisory: advisory.id,
      source: advisory.source,
      feed: advisory.feed,
      ecosystem,
      package: data.package ?? key,
      version: lookup.version,
      verdict,
      matchedBy: data.status !== undefined && data.status !== 'fixed' ? 'distro-status' : evaluation.listed ? 'versions' : 'range',
      scheme: affectedRange?.scheme ?? entry.scheme?.id,
      ranges,
    };
    if (affectedRange?.fixed !== undefined) reason.fixed = affectedRange.fixed;
    if (affectedRange?.lastAffected !== undefined) reason.lastAffected = affectedRange.lastAffected;
    if (data.status !== undefined) reason.status = data.status;
    if (data.note !== undefined) reason.note = data.note;
    if (problems.length > 0) {
      reason.problems = [...problems];
      for (const p of problems) note(issue('vuln-unevaluable', `${advisory.id} for ${packageLabel(pkg)}: ${p}`, advisory.feed, 'The finding is reported with state "unknown"; it is never treated as "not affected".'));
    }
    hits.push({ entry: row[2], advisory, reason, urgency: data.urgency });
  }
  return hits;
}

/** What every finding of one package says about it, computed once per package. */
interface PackageFacts {
  evidence: Record<string, unknown>;
}

function packageFacts(pkg: Package, lookup: Lookup): PackageFacts {
  const purl = purlOf(pkg);
  const evidence: Record<string, unknown> = { ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version };
  if (purl !== undefined) evidence.purl = purl;
  if (pkg.distro !== undefined) evidence.distro = `${pkg.distro.id} ${pkg.distro.release}`;
  if (lookup.viaSource) evidence.source = { name: lookup.name, version: lookup.version };
  if (pkg.locations !== undefined && pkg.locations.length > 0) evidence.locations = pkg.locations;
  return { evidence };
}

function pushNew(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/** `evidence.severity` without any severity data: one object shared by those findings (read-only). */
const NO_SEVERITY: Readonly<{ basis: 'none' }> = Object.freeze({ basis: 'none' });

function buildFinding(pkg: Package, lookup: Lookup, about: PackageFacts, group: Hit[], subject: Subject, issues: Issue[]): Finding {
  // ids and related ids in first-seen order, without repeats (a group holds a handful of advisories)
  const ids: string[] = [];
  const related: string[] = [];
  // arrays the finding keeps are made at their exact size (concat, map, slice): a grown array keeps spare
  // capacity, and 100,000 findings keep several each
  const reasons: MatchReason[] = group.length === 1 ? [(group[0] as Hit).reason] : group.map((h) => h.reason);
  let state: 'affected' | 'unknown' = 'unknown';
  const fixed: string[] = [];
  let summary: string | undefined;
  for (const h of group) {
    pushNew(ids, h.advisory.id);
    for (const a of h.advisory.facts.aliases ?? []) pushNew(ids, a);
    for (const r of h.advisory.facts.related ?? []) pushNew(related, r);
    if (h.reason.verdict === 'affected') {
      state = 'affected';
      if (h.reason.fixed !== undefined) pushNew(fixed, h.reason.fixed);
    }
    if (summary === undefined && h.advisory.summary !== null && h.advisory.summary !== '') summary = h.advisory.summary;
  }
  const primary = primaryId(ids);
  const fixStatus = fixStatusOf(reasons);
  const severity: SeverityVerdict = resolveSeverity(severityInputs(group), issues);
  const others = ids.length === 1 ? [primary] : [primary].concat(ids.filter((id) => id !== primary).sort());
  const evidence: Record<string, unknown> = {
    state,
    vulnerability: primary,
    ids: others,
    // one object per package, shared by its findings (read-only; JSON output is the same)
    package: about.evidence,
    installedVersion: pkg.version,
    fixedVersions: fixed.slice(),
    fixStatus,
    severity: severity.basis === 'none' ? NO_SEVERITY : severity,
    matches: reasons,
  };
  if (related.length > 0) evidence.related = related.sort().slice();
  if (summary !== undefined) evidence.summary = summary;
  const sev: Severity = severity.severity;
  const title = joined(state === 'unknown' ? '[unknown] ' : '', primary, summary === undefined ? '' : ': ', summary === undefined ? '' : summary.slice(0, 120), ' (', pkg.name, ' ', pkg.version, ')');
  return {
    id: fingerprint(VULNERABILITY_RULE, subject, `${primary}\0${pkg.ecosystem}\0${pkg.name}\0${pkg.version}`),
    rule: VULNERABILITY_RULE,
    kind: 'vulnerability',
    severity: sev,
    title,
    subject,
    evidence,
    remediation: remediationOf(pkg, lookup, state, fixStatus, fixed),
  };
}

/** Per distinct advisory of a group (first-seen order): its matched entries and the sources' labels. */
function severityInputs(group: readonly Hit[]): Array<{ advisory: AdvisoryHead; entries: number[]; labels: string[] }> {
  if (group.length === 1) {
    const h = group[0] as Hit;
    return [{ advisory: h.advisory, entries: [h.entry], labels: h.urgency === undefined ? [] : [h.urgency] }];
  }
  const out: Array<{ advisory: AdvisoryHead; entries: number[]; labels: string[] }> = [];
  for (const h of group) {
    let item = out.find((o) => o.advisory.rowid === h.advisory.rowid);
    if (item === undefined) {
      item = { advisory: h.advisory, entries: [], labels: [] };
      out.push(item);
    }
    item.entries.push(h.entry);
    if (h.urgency !== undefined) item.labels.push(h.urgency);
  }
  return out;
}
