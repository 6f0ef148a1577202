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
import { fingerprints, type Finding, type Subject } from '../../core/finding.js';
import { issue, type Issue } from '../../core/issue.js';
import { sortedIndexOf } from '../../core/sorted.js';
import { packageLabel, type Package } from '../../core/package.js';
import type { Severity } from '../../core/severity.js';
import { purlOf } from '../inputs/purl.js';
import { DbError, type AffectedData, type Db, type DistroStatus, type SourceId } from '../store/index.js';
import { OSV_EXPORT } from '../config.js';
import { advisoriesNaming, advisoryReleases, affectedData, connectionState, factsOf, hasAdvisories, headImport, headTexts, importProvenance, matchRowTexts, parseHead, parseRowNumbers, type AdvisoryHead, type HeadText, type ImportOrigin, type RowKey } from '../store/read.js';
import { RELEASE_SCOPED, nameKey, packageReleaseKey, splitEcosystem } from '../store/keys.js';
import { applyVex, type VexStatement } from '../vex/index.js';
import { aliasGroups, foldBundles, groupMembers, releaseGroups, upstreamAlias } from './groups.js';
import { empty } from './lists.js';
import { describeRange, evaluateEntry, prepareEntry, quickVerdict, type EntryEvaluation, type PreparedEntry, type RangeEvaluation, type Verdict } from './evaluate.js';
import { resolveScore, resolveSeverity, type SeverityVerdict } from './severity.js';

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

interface Hit {
  /** Index of the matched entry in the advisory's `affected`. */
  entry: number;
  advisory: AdvisoryHead;
  reason: MatchReason;
  urgency?: string | undefined;
}

const FIX_PRIORITY: Record<FixStatus, number> = { fixed: 0, affected: 1, fix_deferred: 2, will_not_fix: 3, end_of_life: 4, unknown: 5 };

/** OS packages: the release-scoped distributions and the rolling apk ones; their fix is the distribution's update. */
const OS_ECOSYSTEMS = new Set([...RELEASE_SCOPED, 'Wolfi', 'Chainguard']);
/**
 * OS ecosystems whose advisories name the source package (Debian, Ubuntu, the RPM rebuilds) or the origin
 * (Alpine; Wolfi and Chainguard, whose advisories are kept per package build config, so `libcrypto3` is
 * found under `openssl`): all but Red Hat, whose advisories list every binary package (`openssl-libs`, `openssl-devel`).
 */
export const SOURCE_NAMED: ReadonlySet<string> = new Set([...OS_ECOSYSTEMS].filter((e) => e !== 'Red Hat'));

function lookupOf(pkg: Package, issues: Issue[]): Lookup | undefined {
  const osPackage = RELEASE_SCOPED.has(pkg.ecosystem);
  const viaSource = SOURCE_NAMED.has(pkg.ecosystem) && pkg.source !== undefined && pkg.source.name !== '';
  const name = viaSource && pkg.source !== undefined ? pkg.source.name : pkg.name;
  const version = viaSource && pkg.source?.version !== undefined && pkg.source.version !== '' ? pkg.source.version : pkg.version;
  if (!osPackage) return { ecosystem: pkg.ecosystem, name, version, release: undefined, viaSource };
  if (pkg.distro === undefined) {
    issues.push(issue('vuln-no-distro', `${packageLabel(pkg)}: no distribution release known, so ${pkg.ecosystem} advisories (which are per release) cannot be matched`, pkg.locations?.[0]?.path, 'Give the package a distro (os-release), e.g. a purl qualifier "distro=debian-12".'));
    return undefined;
  }
  const release = packageReleaseKey(pkg.ecosystem, pkg.distro.release, pkg.distro.codename, pkg.distro.id);
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

/**
 * Array.prototype.sort's order for the few strings of a finding (ids, related ids), in place, from index
 * `from` on: V8's sort copies its input into temporaries first, ~500 bytes per call over 100,000 findings.
 */
function sortStrings(list: string[], from = 0): string[] {
  if (list.length - from > 16) {
    const tail = list.splice(from).sort();
    for (const value of tail) list.push(value);
    return list;
  }
  for (let i = from + 1; i < list.length; i++) {
    const value = list[i] as string;
    let j = i - 1;
    for (; j >= from && (list[j] as string) > value; j--) list[j + 1] = list[j] as string;
    list[j + 1] = value;
  }
  return list;
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

function remediationOf(pkg: Package, lookup: Lookup, state: 'affected' | 'unknown', fixStatus: FixStatus, fixed: readonly string[]): string {
  const what = lookup.viaSource ? `${pkg.name} (source package ${lookup.name})` : pkg.name;
  if (state === 'unknown') return joined('runwarden could not decide whether ', what, ' ', pkg.version, ' is affected (see evidence.matches[].problems); check the advisory by hand or fix the version data.');
  if (fixStatus === 'fixed') return joined('Upgrade ', what, ' to ', fixed.join(' or '), ' or later', OS_ECOSYSTEMS.has(pkg.ecosystem) ? ' from the distribution\'s security updates (rebuild the image on an updated base)' : '', '.');
  if (fixStatus === 'will_not_fix') return joined('The distribution will not fix ', what, ' in this release; remove the package, mitigate, or move to a newer release.');
  if (fixStatus === 'end_of_life') return joined(what, ' is out of security support in this release; move to a supported release.');
  if (fixStatus === 'fix_deferred') return joined('A fix for ', what, ' is postponed by the distribution; watch for an update or mitigate.');
  return joined('No fixed version of ', what, ' is available yet; mitigate, remove it, or accept the risk with a VEX statement.');
}

/** `reason.ranges` of one (entry, version), frozen: the findings of every call on the connection quote the same one. */
function rangeSummary(evaluations: RangeEvaluation[], ranges: PreparedEntry['ranges']): MatchReason['ranges'] {
  const summary = evaluations.map((e, i) => Object.freeze({ type: e.type, range: e.range !== '' ? e.range : ranges[i] === undefined ? '' : describeRange(ranges[i]), verdict: e.verdict, ...(e.reason === undefined ? {} : { reason: e.reason }) }));
  return Object.freeze(summary) as MatchReason['ranges'];
}

/**
 * Deduplicate packages by identity, merging their locations. A package met once is used as given; only a
 * merged one is a new object (copied, so the caller's packages are left as they were).
 */
function uniquePackages(packages: readonly Package[]): Package[] {
  const at = new Map<string, number>();
  const out: Package[] = [];
  for (const p of packages) {
    const key = joined(p.ecosystem, '\0', p.name, '\0', p.version, '\0', p.distro?.release ?? '', '\0', p.source?.name ?? '', '\0', p.source?.version ?? '');
    const index = at.get(key);
    if (index === undefined) {
      at.set(key, out.length);
      out.push(p);
      continue;
    }
    const existing = out[index] as Package;
    out[index] = { ...existing, locations: [...(existing.locations ?? []), ...(p.locations ?? [])] };
  }
  return out;
}

/**
 * What a call works with: heads once per round that needs them; every matching entry and import read and
 * prepared once, and kept for the next call on the same connection with the rows of repeated packages
 * (ConnectionCache).
 */
interface MatchContext {
  db: Db;
  /**
   * The round's advisories (rowids, ascending) and their head texts at the same index (store/read.ts
   * headTexts), parsed only when a finding is built; null: withdrawn, undefined: gone since. Two arrays
   * looked up by halving instead of a Map: filling a Map of ~100,000 heads per call cost more than the lookups.
   */
  headRowids: number[];
  heads: Array<HeadText | null | undefined>;
  cache: ConnectionCache;
  /** (advisory, entry) pairs whose invalid listed versions were reported (per call: every report lists its issues). */
  reported: Set<string>;
}

/**
 * The prepared entries (with their verdicts per version), the import origins and the rows of repeated package
 * keys (rowsOf) of one connection, kept between calls while nothing has changed the database (store/read.ts
 * connectionState): a scan matches image after image on one connection, and images share most of their
 * packages. Preparing the same entries again for every image was ~25 % of matching 200 images of 300 packages
 * one by one, and reading the same rows again ~30 % of what was left.
 */
interface ConnectionCache {
  state: string;
  /** Parsed and prepared `data` by ecosystem column and entry rowid: identical entries (GHSA and PYSEC copies) are one row. */
  entries: Map<string, Map<number, EntryInfo>>;
  origins: Map<number, ImportOrigin>;
  /** Entries held, over all ecosystems. */
  size: number;
  /** Rows of the package keys read more than once (rowsOf), the keys read once, and the numbers held. */
  rows: Map<string, number[]>;
  seen: Set<string>;
  rowNumbers: number;
  /**
   * Per (ecosystem, release) (scopeOf), as far as asked: true when the database has an advisory for it, else
   * the releases it has advisories of in that ecosystem (none for an ecosystem it does not hold at all).
   */
  covered: Map<string, true | string[]>;
}

const connectionCaches = new WeakMap<Db, ConnectionCache>();
/** Entries a connection keeps between calls; a call that starts above it starts afresh (only bounds memory). */
const ENTRY_CACHE_LIMIT = 20_000;
/** Row numbers (three per affected row) and keys read once that a connection keeps (only bounds memory: ~16 MB, ~10 MB). */
const KEPT_ROW_NUMBERS_LIMIT = 2_000_000;
const SEEN_KEYS_LIMIT = 200_000;

/**
 * The connection's cache, emptied when the database changed since it was filled, or when it grew too large.
 * Inside a transaction a call gets a cache of its own that is not kept: what it reads may yet be rolled back,
 * and a rollback leaves `total_changes()` where the writes took it.
 */
function connectionCache(db: Db): ConnectionCache {
  const state = connectionState(db);
  if (db.inTransaction) return emptyCache(state);
  let cache = connectionCaches.get(db);
  if (cache === undefined || cache.state !== state || cache.size > ENTRY_CACHE_LIMIT) {
    cache = emptyCache(state);
    connectionCaches.set(db, cache);
  }
  return cache;
}

function emptyCache(state: string): ConnectionCache {
  return { state, entries: new Map(), origins: new Map(), size: 0, rows: new Map(), seen: new Set(), rowNumbers: 0, covered: new Map() };
}

/** Bytes of the database file memory-mapped while matching (SQLite caps it at its compile-time maximum). */
const MATCH_MMAP_BYTES = 256 * 1024 * 1024;
/**
 * Packages matched per round: their heads are read together, in rowid order, and forgotten when the round
 * is done (kept for later rounds, up to 50,000 of them survived collections and were promoted; dropping
 * them measured ~5 % faster at best of 5 processes, and a later round re-reads the odd head it needs). A
 * round's candidates and head texts stay alive until its findings are built, so smaller rounds leave less
 * for those collections to copy: 256 measured ~7 % less main-thread CPU than 1,024 on bench/vulndb (12
 * alternated pairs; the heads are still read 1,000 to a statement when a round needs that many).
 */
const ROUND = 256;
/** Advisory ids per statement (one JSON array parameter). */
const BATCH = 1000;

/** Read the head texts of a round's `advisories`, in rowid order, a batch per statement (the previous round's are dropped). */
function loadHeads(ctx: MatchContext, advisories: Set<number>): void {
  const sorted = ctx.headRowids;
  empty(sorted);
  for (const rowid of advisories) sorted.push(rowid);
  sorted.sort((a, b) => a - b);
  empty(ctx.heads);
  for (let i = 0; i < sorted.length; i += BATCH) {
    const texts = headTexts(ctx.db, i === 0 && sorted.length <= BATCH ? sorted : sorted.slice(i, i + BATCH));
    for (const text of texts) ctx.heads.push(text);
  }
}

function originOf(ctx: MatchContext, importId: number): ImportOrigin {
  let origin = ctx.cache.origins.get(importId);
  if (origin === undefined) {
    const provenance = importProvenance(ctx.db, importId);
    if (provenance === undefined) throw new DbError(`Import ${importId} disappeared while matching`, { hint: 'An import replaced it; run the command again.' });
    origin = { source: provenance.source, feed: provenance.feed };
    ctx.cache.origins.set(importId, origin);
  }
  return origin;
}

/** The facts of an advisory that has none (read-only), in the shape of every other's. */
const NO_FACTS = Object.freeze(factsOf({}));

/** What the matcher knows of a withdrawn advisory: that it is withdrawn (its rows are skipped, without issues). */
function withdrawnHead(rowid: number): AdvisoryHead {
  return { rowid, source: 'osv', id: '', withdrawn: 'withdrawn', summary: null, feed: '', facts: NO_FACTS };
}

/**
 * The head parsed last for the package being explained: an advisory's rows in a package are neighbours (its
 * affected entries are inserted together, and rows come in (release, insertion) order), so this parses each
 * head once. An advisory whose rows are apart (a release-less row and a release's) is parsed once per run of
 * rows, which gives the same finding: heads are compared by rowid and their ids by value, never by identity.
 */
let lastHead: AdvisoryHead | undefined;

function forgetParsedHeads(): void {
  lastHead = undefined;
}

/** The head of `advisory`, parsed when a finding needs it: heads live no longer than the findings built from them. */
function headFor(ctx: MatchContext, advisory: number): AdvisoryHead {
  if (lastHead !== undefined && lastHead.rowid === advisory) return lastHead;
  const at = sortedIndexOf(ctx.headRowids, advisory);
  const text = at < 0 ? undefined : ctx.heads[at];
  // an advisory that is gone (undefined) is reported when a finding needs it
  if (text === undefined) throw new DbError(`Advisory ${advisory} disappeared while matching`, { hint: 'An import replaced it; run the command again.' });
  lastHead = text === null ? withdrawnHead(advisory) : parseHead(advisory, text, originOf(ctx, headImport(advisory, text)));
  return lastHead;
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
  /**
   * What explaining reads of `data`, copied out once per entry: the parsed data objects come in many shapes
   * (whichever fields an entry has), and reading them per row made the matcher's hottest functions see
   * ever more shapes, so V8 threw away their optimised code and compiled them again during the first call.
   */
  status: DistroStatus | undefined;
  note: string | undefined;
  urgency: string | undefined;
  package: string | undefined;
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

/**
 * The row texts of a round's package keys that the connection does not keep (rowsOf), read together
 * (store/read.ts matchRowTexts), by rows key.
 */
function roundRowTexts(ctx: MatchContext, plan: readonly Planned[], order: readonly number[]): Map<string, string | null> {
  const keys: RowKey[] = [];
  const rowsKeys: string[] = [];
  const asked = new Set<string>();
  for (const i of order) {
    const { lookup, key, rowsKey } = plan[i] as Planned;
    if (lookup === undefined || asked.has(rowsKey) || ctx.cache.rows.has(rowsKey)) continue;
    asked.add(rowsKey);
    rowsKeys.push(rowsKey);
    keys.push({ ecosystem: lookup.ecosystem, name: key, release: lookup.release });
  }
  const texts = matchRowTexts(ctx.db, keys);
  const out = new Map<string, string | null>();
  rowsKeys.forEach((k, i) => out.set(k, texts[i] ?? null));
  return out;
}

/** Where parseRowNumbers writes a package's rows when they are not kept (reused from package to package). */
const scratchRows: number[] = [];

/**
 * A package's rows (parseRowNumbers' numbers), kept by the connection once its key was read a second time: images
 * of a cluster repeat the same packages, one call each, while within a call a key is read once (so a single
 * large call keeps nothing but the keys it has seen).
 */
function rowsOf(ctx: MatchContext, lookup: Lookup, key: string, rowsKey: string, texts: ReadonlyMap<string, string | null>): readonly number[] {
  const { cache } = ctx;
  const kept = cache.rows.get(rowsKey);
  if (kept !== undefined) return kept;
  parseRowNumbers(texts.get(rowsKey), scratchRows, lookup.ecosystem, key);
  if (!cache.seen.has(rowsKey)) {
    if (cache.seen.size >= SEEN_KEYS_LIMIT) cache.seen.clear();
    cache.seen.add(rowsKey);
    return scratchRows;
  }
  if (cache.rowNumbers + scratchRows.length > KEPT_ROW_NUMBERS_LIMIT) {
    cache.rows.clear();
    cache.rowNumbers = 0;
  }
  const copy = scratchRows.slice();
  cache.rows.set(rowsKey, copy);
  cache.rowNumbers += copy.length;
  return copy;
}

/** The parsed and prepared entry of a row, by (ecosystem column, entry rowid): `data` is read only for a new entry. */
function entryFor(ctx: MatchContext, ecosystemColumn: string, dataId: number): EntryInfo {
  let byEntry = ctx.cache.entries.get(ecosystemColumn);
  if (byEntry === undefined) {
    byEntry = new Map();
    ctx.cache.entries.set(ecosystemColumn, byEntry);
  }
  let info = byEntry.get(dataId);
  if (info === undefined) {
    const data = affectedData(ctx.db, dataId);
    const ecosystem = data.ecosystem ?? ecosystemColumn;
    info = { data, status: data.status, note: data.note, urgency: data.urgency, package: data.package, entry: prepareEntry(ecosystem, data), ecosystem, verdicts: new Map(), explained: new Map() };
    byEntry.set(dataId, info);
    ctx.cache.size++;
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
  /** What the rows are read and kept by: the group key, and the release when the lookup has one (rows are read per release). */
  rowsKey: string;
  /** The (ecosystem, release) whose advisories the package is matched against (scopeOf). */
  coverage: string;
}

/**
 * The rows of a round that need their advisory (affected or unknown: `evaluate`; or listing invalid versions
 * not reported yet: `report`), as parallel arrays: no object per row or candidate lives through the round.
 */
interface Candidates {
  advisory: number[];
  entry: number[];
  info: EntryInfo[];
  report: boolean[];
  evaluate: boolean[];
}

/** First pass over a package's rows (parseRowNumbers' numbers): decide each without building anything, keep those that need their advisory. */
function collectCandidates(ctx: MatchContext, lookup: Lookup, rows: readonly number[], out: Candidates, advisories: Set<number>): void {
  for (let r = 0; r < rows.length; r += 3) {
    const advisory = rows[r] as number;
    const index = rows[r + 1] as number;
    const info = entryFor(ctx, lookup.ecosystem, rows[r + 2] as number);
    const report = info.entry.invalidListed.length > 0 && !ctx.reported.has(`${advisory}:${index}`);
    // Most candidate rows are not affected: decide that without building the explanation.
    const evaluate = info.status === 'undetermined' || verdictOf(info, lookup.version) !== 'not-affected';
    if (!report && !evaluate) continue;
    out.advisory.push(advisory);
    out.entry.push(index);
    out.info.push(info);
    out.report.push(report);
    out.evaluate.push(evaluate);
    advisories.add(advisory);
  }
}

/** Match packages against the advisory database. */
export function matchPackages(db: Db, packages: readonly Package[], options: MatchOptions = {}): MatchResult {
  const ctx: MatchContext = { db, headRowids: [], heads: [], cache: connectionCache(db), reported: new Set() };
  // A large match touches advisory pages all over the file: with a 64 MiB page cache (better-sqlite3's
  // default is ~16 MiB) each page is read once (restored when done), and memory-mapped reads spare a read()
  // and a copy per page (bench/vulndb: ~10 % of the matcher's CPU). The mapping is set once per connection
  // and left on: unmapping after every call made the next one fault each page in again (a scan matches
  // image after image on one connection: 200 images of 300 packages took 12–15 % longer).
  const previousCache = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('cache_size = -65536');
  if (!mapped.has(db)) {
    db.pragma(`mmap_size = ${MATCH_MMAP_BYTES}`);
    mapped.add(db);
  }
  try {
    return matchPlanned(ctx, packages, options);
  } finally {
    db.pragma(`cache_size = ${previousCache}`);
    releaseWorkingLists();
  }
}

/** Connections whose file matchPackages has memory-mapped (once; the mapping stays for the connection). */
const mapped = new WeakSet<Db>();

/** Empty the reused working lists, so nothing of a finished call stays reachable through them. */
function releaseWorkingLists(): void {
  for (const list of [scratch.ids, scratch.others, scratch.related, scratch.fixed, single.labels]) list.length = 0;
  fixedLists.clear();
  releaseGroups();
  forgetParsedHeads();
  single.advisory = NO_ADVISORY;
}

function byGroupKey(plan: readonly Planned[]): (a: number, b: number) => number {
  return (a, b) => {
    const ka = (plan[a] as Planned).groupKey;
    const kb = (plan[b] as Planned).groupKey;
    return ka < kb ? -1 : ka > kb ? 1 : a - b;
  };
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

  /** Findings of OS packages whose advisories carry no severity: scored from other records of them at the end (borrowScores). */
  const unscored: Finding[] = [];
  const add = (finding: Finding, scoreLater: boolean): void => {
    findings.push(finding);
    if (scoreLater && finding.evidence['severity'] === NO_SEVERITY) unscored.push(finding);
  };

  const plan: Planned[] = uniquePackages(packages).map((pkg) => {
    const lookupIssues: Issue[] = [];
    const lookup = lookupOf(pkg, lookupIssues);
    const key = lookup === undefined ? '' : nameKey(lookup.ecosystem, lookup.name);
    const groupKey = lookup === undefined ? '' : `${lookup.ecosystem}\0${key}`;
    // rows are read per release: two releases of one source package share a name, not rows
    const rowsKey = lookup?.release === undefined ? groupKey : `${groupKey}\0${lookup.release}`;
    return { pkg, lookup, lookupIssues, key, groupKey, rowsKey, coverage: lookup === undefined ? '' : scopeOf(lookup) };
  });
  /** Per (ecosystem, release): the packages matched against it and whether any of them had an affected row. */
  const coverage = new Map<string, { lookup: Lookup; packages: number; rows: boolean }>();

  // Rounds of packages: decide every row of every package (names in key order, so the clustered index is
  // walked forward and a repeated name is read once), read the heads the remaining rows need (rowid order),
  // then explain and build findings in package order.
  const candidates: Candidates = { advisory: [], entry: [], info: [], report: [], evaluate: [] };
  const fingerprintOf = fingerprints(VULNERABILITY_RULE, subject);
  for (let start = 0; start < plan.length; start += ROUND) {
    const end = Math.min(plan.length, start + ROUND);
    const order: number[] = [];
    for (let i = start; i < end; i++) if ((plan[i] as Planned).lookup !== undefined) order.push(i);
    order.sort(byGroupKey(plan));
    candidates.advisory.length = 0;
    candidates.entry.length = 0;
    candidates.info.length = 0;
    candidates.report.length = 0;
    candidates.evaluate.length = 0;
    const from = new Array<number>(end - start).fill(0);
    const to = new Array<number>(end - start).fill(0);
    const advisories = new Set<number>();
    let lastKey: string | undefined;
    let rows: readonly number[] = scratchRows;
    const texts = roundRowTexts(ctx, plan, order);
    for (const i of order) {
      const { lookup, key, rowsKey } = plan[i] as Planned;
      if (lookup === undefined) continue;
      if (rowsKey !== lastKey) {
        rows = rowsOf(ctx, lookup, key, rowsKey, texts);
        lastKey = rowsKey;
      }
      const covered = coverage.get((plan[i] as Planned).coverage);
      if (covered === undefined) coverage.set((plan[i] as Planned).coverage, { lookup, packages: 1, rows: rows.length > 0 });
      else {
        covered.packages++;
        if (rows.length > 0) covered.rows = true;
      }
      from[i - start] = candidates.advisory.length;
      collectCandidates(ctx, lookup, rows, candidates, advisories);
      to[i - start] = candidates.advisory.length;
    }
    loadHeads(ctx, advisories);
    for (let i = start; i < end; i++) {
      const { pkg, lookup, lookupIssues, key } = plan[i] as Planned;
      if (lookupIssues.length > 0) issues.push(...lookupIssues);
      const first = from[i - start] as number;
      const last = to[i - start] as number;
      if (lookup === undefined || first === last) continue;
      const hits = explainCandidates(ctx, pkg, lookup, key, candidates, first, last, note);
      if (hits.length === 0) continue;
      const about = packageFacts(pkg, lookup);
      const scoreLater = OS_ECOSYSTEMS.has(pkg.ecosystem);
      if (hits.length === 1) add(buildFinding(pkg, lookup, about, hits, fingerprintOf, subject, issues), scoreLater);
      else {
        const groups = aliasGroups(hits);
        const folded = foldBundles(hits, groups);
        for (let g = 0; g < groups; g++) {
          if (folded?.skip[g] === true) continue;
          add(buildFinding(pkg, lookup, about, groupMembers(hits, g), fingerprintOf, subject, issues, folded?.related[g]), scoreLater);
        }
      }
    }
  }
  borrowScores(ctx, unscored, note);
  issues.push(...uncovered(ctx, coverage));
  const withVex = options.vex === undefined ? findings : applyVex(findings, options.vex);
  return { findings: withVex, issues };
}

/**
 * Score the findings of OS packages whose advisories carry no severity (Alpine's secdb and osv.dev's Alpine,
 * Wolfi and Chainguard records have none; a Debian tracker entry without urgency) from the CVSS vectors of
 * the database's other records of the same vulnerability — Ubuntu's record of the CVE, a GHSA — as scanners
 * score them from NVD. `evidence.severity.from` names that record and `via` the finding's id it was found by.
 * Language packages are left out: their GHSA twin comes in the same ecosystem's feed and is merged already.
 */
function borrowScores(ctx: MatchContext, unscored: readonly Finding[], note: (i: Issue) => void): void {
  if (unscored.length === 0) return;
  const wanted = new Set<string>();
  for (const f of unscored) for (const id of f.evidence['ids'] as string[]) wanted.add(id);
  const naming = new Map<string, number[]>();
  const rowids = new Set<number>();
  for (const [id, rowid] of advisoriesNaming(ctx.db, [...wanted])) {
    const list = naming.get(id);
    if (list === undefined) naming.set(id, [rowid]);
    else list.push(rowid);
    rowids.add(rowid);
  }
  const heads = new Map<number, AdvisoryHead>();
  const sorted = [...rowids].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i += BATCH) {
    const batch = sorted.slice(i, i + BATCH);
    const texts = headTexts(ctx.db, batch);
    batch.forEach((rowid, j) => {
      const text = texts[j];
      // withdrawn (null) or gone since (undefined): nothing to score from
      if (text !== null && text !== undefined) heads.set(rowid, parseHead(rowid, text, originOf(ctx, headImport(rowid, text))));
    });
  }
  const issues: Issue[] = [];
  const byIds = new Map<string, SeverityVerdict | null>();
  for (const f of unscored) {
    const ids = f.evidence['ids'] as string[];
    const key = ids.join('\0');
    let verdict = byIds.get(key);
    if (verdict === undefined) {
      const records: AdvisoryHead[] = [];
      const via = new Map<string, string>();
      for (const id of ids) {
        for (const rowid of naming.get(id) ?? []) {
          const head = heads.get(rowid);
          if (head === undefined || records.includes(head)) continue;
          records.push(head);
          if (!via.has(head.id)) via.set(head.id, id);
        }
      }
      const score = resolveScore(records, issues);
      verdict = score === undefined ? null : { ...score, via: via.get(score.from ?? '') };
      byIds.set(key, verdict);
    }
    if (verdict === null) continue;
    f.severity = verdict.severity;
    f.evidence['severity'] = verdict;
  }
  for (const i of issues) note(i);
}

/** The OSV ecosystem string of a lookup's advisories, with the release key: "Alpine:v3.20", "Rocky Linux:8", "npm". */
function scopeOf(lookup: Lookup): string {
  return lookup.release === undefined ? lookup.ecosystem : `${lookup.ecosystem}:${lookup.release}`;
}

/**
 * One issue per (ecosystem, release) that none of the database's advisories name, when packages were matched
 * against it: "no findings" would otherwise read as "not vulnerable" (a Rocky Linux image against a database of
 * the default feeds). Asked only where none of the call's packages had a row, and kept per connection state.
 */
function uncovered(ctx: MatchContext, coverage: ReadonlyMap<string, { lookup: Lookup; packages: number; rows: boolean }>): Issue[] {
  const out: Issue[] = [];
  for (const [scope, { lookup, packages, rows }] of coverage) {
    if (rows) continue;
    let has = ctx.cache.covered.get(scope);
    if (has === undefined) {
      has = hasAdvisories(ctx.db, lookup.ecosystem, lookup.release) ? true : lookup.release === undefined ? [] : advisoryReleases(ctx.db, lookup.ecosystem);
      ctx.cache.covered.set(scope, has);
    }
    if (has === true) continue;
    out.push(noAdvisoriesIssue(scope, `${packages} ${scopeLabel(scope)} package${packages === 1 ? ' was' : 's were'}`, has));
  }
  return out;
}

/** The code of noAdvisoriesIssue: a scan merges these issues of its images into one per scope. */
export const NO_ADVISORIES = 'vuln-no-advisories';

/** "Alpine:v3.20" → "Alpine v3.20"; "npm" stays. */
export function scopeLabel(scope: string): string {
  const colon = scope.indexOf(':');
  return colon < 0 ? scope : `${scope.slice(0, colon)} ${scope.slice(colon + 1)}`;
}

/** Releases named in the issue's hint when the database holds other releases of the ecosystem. */
const RELEASES_SHOWN = 12;

/**
 * Packages of `scope` (an OSV ecosystem string with the release key: "Alpine:v3.20", "Rocky Linux:8", "npm"; the
 * issue's location) were not checked because the database holds no advisory for it; `what` names them ("11
 * Alpine v3.20 packages were"). `others`, the releases of the ecosystem it does hold advisories for, go into
 * the hint: one of them may be this release under another name (a release runwarden reads wrongly).
 */
export function noAdvisoriesIssue(scope: string, what: string, others: readonly string[] = []): Issue {
  const { ecosystem } = splitEcosystem(scope);
  const held = others.slice(0, RELEASES_SHOWN).join(', ') + (others.length > RELEASES_SHOWN ? ` and ${others.length - RELEASES_SHOWN} more` : '');
  const importIt = `e.g. "runwarden db import ${OSV_EXPORT}/${encodeURIComponent(ecosystem)}/all.zip", or add the feed to the mirrors of "runwarden db update"`;
  return issue(
    NO_ADVISORIES,
    `The database holds no advisories for ${scopeLabel(scope)}: ${what} not checked for vulnerabilities`,
    scope,
    others.length === 0
      ? `Import that ecosystem's advisories, ${importIt}.`
      : `The database's ${ecosystem} advisories are for release${others.length === 1 ? '' : 's'} ${held} only. Import those of this release, ${importIt}; if one of those is this release under another name, please report it.`,
  );
}

/** Second pass, in row order (as findings and issues are ordered): report invalid listed versions, explain hits. */
function explainCandidates(ctx: MatchContext, pkg: Package, lookup: Lookup, key: string, candidates: Candidates, first: number, last: number, note: (i: Issue) => void): Hit[] {
  const hits: Hit[] = [];
  forgetParsedHeads();
  for (let c = first; c < last; c++) {
    const info = candidates.info[c] as EntryInfo;
    const { status, entry, ecosystem } = info;
    const rowid = candidates.advisory[c] as number;
    const index = candidates.entry[c] as number;
    const advisory = headFor(ctx, rowid);
    if (candidates.report[c] === true && !ctx.reported.has(`${rowid}:${index}`)) {
      ctx.reported.add(`${rowid}:${index}`);
      if (advisory.withdrawn === null) {
        for (const bad of entry.invalidListed) {
          note(issue('vuln-advisory-version', `${advisory.id} lists "${bad}", which is not a valid ${entry.scheme?.id ?? ecosystem} version; it is compared as text only`, advisory.feed));
        }
      }
    }
    // withdrawn advisories keep no affected rows; the check guards a database written by an older build
    if (candidates.evaluate[c] !== true || advisory.withdrawn !== null) continue;
    const { evaluation, affectedRange, ranges } = explain(info, lookup.version);
    let verdict = evaluation.verdict;
    let problems = evaluation.problems;
    if (status === 'undetermined') {
      verdict = 'unknown';
      problems = [...problems, 'the distribution has not determined whether this release is affected'];
    }
    if (verdict === 'not-affected') continue;
    const matchedBy = status !== undefined && status !== 'fixed' ? 'distro-status' : evaluation.listed ? 'versions' : 'range';
    const scheme = affectedRange?.scheme ?? entry.scheme?.id;
    const fixed = affectedRange?.fixed;
    // One literal with every field, absent ones undefined (JSON leaves them out, in this order): every reason
    // has one shape, so the code that reads them stays optimised, and the fields stay inline.
    const reason: MatchReason = {
      advisory: advisory.id,
      source: advisory.source,
      feed: advisory.feed,
      ecosystem,
      package: info.package ?? key,
      version: lookup.version,
      verdict,
      matchedBy,
      scheme,
      ranges,
      fixed,
      lastAffected: affectedRange?.lastAffected,
      status,
      note: info.note,
      problems: problems.length > 0 ? [...problems] : undefined,
    };
    if (problems.length > 0) {
      for (const p of problems) note(issue('vuln-unevaluable', `${advisory.id} for ${packageLabel(pkg)}: ${p}`, advisory.feed, 'The finding is reported with state "unknown"; it is never treated as "not affected".'));
    }
    hits.push({ entry: index, advisory, reason, urgency: info.urgency });
  }
  return hits;
}

/** What every finding of one package says about it, computed once per package. */
interface PackageFacts {
  evidence: Record<string, unknown>;
  /** Remediation texts by the one fixed version, and by state or fix status when nothing is fixed: a package's findings share them. */
  remediations: Map<string, string>;
  statusRemediations: Map<string, string>;
  /** What follows the vulnerability id in the fingerprint key: `\0ecosystem\0name\0version`. */
  keySuffix: string;
}

/** The fingerprint key of a vulnerability finding: its vulnerability, then the package it is about (packageFacts' keySuffix). */
function findingKey(vulnerability: string, pkg: Pick<Package, 'ecosystem' | 'name' | 'version'>): string {
  return joined(vulnerability, '\0', pkg.ecosystem, '\0', pkg.name, '\0', pkg.version);
}

/**
 * The findings of a match, about another subject with the same packages (nodes of one pool share one OS image:
 * scan/host-packages.ts matches their packages once): new ids and subject, the rest shared read-only.
 */
export function forSubject(findings: readonly Finding[], subject: Subject): Finding[] {
  const fingerprintOf = fingerprints(VULNERABILITY_RULE, subject);
  return findings.map((f) => {
    const pkg = f.evidence['package'] as Pick<Package, 'ecosystem' | 'name' | 'version'>;
    return { ...f, id: fingerprintOf(findingKey(f.evidence['vulnerability'] as string, pkg)), subject };
  });
}

function packageFacts(pkg: Package, lookup: Lookup): PackageFacts {
  const purl = purlOf(pkg);
  const evidence: Record<string, unknown> = { ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version };
  if (purl !== undefined) evidence.purl = purl;
  if (pkg.distro !== undefined) evidence.distro = `${pkg.distro.id} ${pkg.distro.release}`;
  if (lookup.viaSource) evidence.source = { name: lookup.name, version: lookup.version };
  if (pkg.locations !== undefined && pkg.locations.length > 0) evidence.locations = pkg.locations;
  return { evidence, remediations: new Map(), statusRemediations: new Map(), keySuffix: findingKey('', pkg) };
}

function pushNew(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/** `evidence.severity` without any severity data: one object shared by those findings (read-only). */
const NO_SEVERITY: Readonly<{ basis: 'none' }> = Object.freeze({ basis: 'none' });

/**
 * Working lists of buildFinding, reused from finding to finding (it is not re-entered): what a finding
 * keeps is copied out at its exact size, so 100,000 findings leave no grown temporaries behind.
 */
const scratch = { ids: [] as string[], others: [] as string[], related: [] as string[], fixed: [] as string[] };

function buildFinding(
  pkg: Package,
  lookup: Lookup,
  about: PackageFacts,
  group: Hit[],
  fingerprintOf: (key: string) => string,
  subject: Subject,
  issues: Issue[],
  /** Bundles folded into this finding (groups.ts foldBundles): listed as related. */
  bundles?: readonly string[],
): Finding {
  // ids and related ids in first-seen order, without repeats (a group holds a handful of advisories)
  const { ids, others, related, fixed } = scratch;
  empty(ids);
  empty(others);
  empty(related);
  empty(fixed);
  const reasons: MatchReason[] = group.length === 1 ? [(group[0] as Hit).reason] : group.map((h) => h.reason);
  let state: 'affected' | 'unknown' = 'unknown';
  let summary: string | undefined;
  for (const h of group) {
    const { facts } = h.advisory;
    pushNew(ids, h.advisory.id);
    for (const a of facts.aliases ?? []) pushNew(ids, a);
    for (const r of facts.related ?? []) pushNew(related, r);
    if (facts.upstream !== undefined) {
      // one upstream id is this vulnerability's own (an alias); several are what the advisory bundles
      const same = upstreamAlias(facts);
      if (same !== undefined) pushNew(ids, same);
      else for (const u of facts.upstream) pushNew(related, u);
    }
    if (h.reason.verdict === 'affected') {
      state = 'affected';
      if (h.reason.fixed !== undefined) pushNew(fixed, h.reason.fixed);
    }
    if (summary === undefined && h.advisory.summary !== null && h.advisory.summary !== '') summary = h.advisory.summary;
  }
  if (bundles !== undefined) for (const b of bundles) pushNew(related, b);
  // related ids are the others: not one of the finding's own (a bundle's upstream list names it too)
  for (let i = related.length - 1; i >= 0; i--) if (ids.includes(related[i] as string)) related.splice(i, 1);
  const primary = primaryId(ids);
  const fixStatus = fixStatusOf(reasons);
  const severity: SeverityVerdict = resolveSeverity(severityInputs(group), issues);
  // the primary id, then the others sorted, copied out at their exact size (`concat` took longer)
  others.push(primary);
  for (const id of ids) if (id !== primary) others.push(id);
  sortStrings(others, 1);
  const lead = state === 'unknown' ? UNKNOWN_MARK : '';
  const title = joined(lead, primary, summary === undefined ? '' : ': ', summary === undefined ? '' : summary.slice(0, TITLE_SUMMARY), ' (', pkg.name, ' ', pkg.version, ')');
  const evidence = evidenceOf(
    state,
    primary,
    others.slice(),
    about.evidence,
    pkg.version,
    fixedList(fixed),
    fixStatus,
    severity.basis === 'none' ? NO_SEVERITY : severity,
    reasons,
    related.length > 0 ? sortStrings(related).slice() : undefined,
    summary === undefined ? undefined : summaryIn(title, summary, lead.length + primary.length + 2),
  );
  const sev: Severity = severity.severity;
  return {
    id: fingerprintOf(primary + about.keySuffix),
    rule: VULNERABILITY_RULE,
    kind: 'vulnerability',
    severity: sev,
    title,
    subject,
    evidence,
    remediation: remediationFor(pkg, lookup, about, state, fixStatus, fixed),
  };
}

/** A title starts with this when the finding's state is `unknown`. */
const UNKNOWN_MARK = '[unknown] ';
/** Characters of the summary a title quotes. */
const TITLE_SUMMARY = 120;

/**
 * The summary as a slice of the title that quotes it whole (at `from`): one short string object that shares
 * the title's characters instead of a second copy of them (~50 bytes less per finding kept; the value is the
 * same). A summary the title cuts is kept as it is.
 */
function summaryIn(title: string, summary: string, from: number): string {
  return summary.length <= TITLE_SUMMARY ? title.slice(from, from + summary.length) : summary;
}

/** `fixedVersions` without a fixed version: one read-only list for every finding. */
const NO_FIX = Object.freeze([]) as unknown as string[];
/** `fixedVersions` of one fixed version, by that version, read-only and shared by the call's findings (emptied after each call). */
const fixedLists = new Map<string, string[]>();

/**
 * `fixedVersions`: one read-only list for none and for each single fixed version, shared by the findings of the call
 * that say the same (the packages of a call share fixed versions: 49,149 lists per package were ~1,000 shared ones on
 * bench/vulndb).
 */
function fixedList(fixed: readonly string[]): string[] {
  if (fixed.length === 0) return NO_FIX;
  // one fixed version, the usual case, is the key as it is; several (rare) are not shared, so no joined key can be ambiguous
  if (fixed.length > 1) return fixed.slice();
  const version = fixed[0] as string;
  let list = fixedLists.get(version);
  if (list === undefined) {
    list = Object.freeze([version]) as unknown as string[];
    fixedLists.set(version, list);
  }
  return list;
}

/**
 * A finding's evidence, in one literal per shape (with or without `related` and `summary`), so the object
 * keeps every field inline instead of growing a separate property store; the key order is the same.
 * `package` is one object per package, shared by its findings (read-only; the JSON output is the same).
 */
function evidenceOf(
  state: 'affected' | 'unknown',
  vulnerability: string,
  ids: string[],
  about: Record<string, unknown>,
  installedVersion: string,
  fixedVersions: string[],
  fixStatus: FixStatus,
  severity: unknown,
  matches: MatchReason[],
  related: string[] | undefined,
  summary: string | undefined,
): Record<string, unknown> {
  if (related === undefined) {
    if (summary === undefined) return { state, vulnerability, ids, package: about, installedVersion, fixedVersions, fixStatus, severity, matches };
    return { state, vulnerability, ids, package: about, installedVersion, fixedVersions, fixStatus, severity, matches, summary };
  }
  if (summary === undefined) return { state, vulnerability, ids, package: about, installedVersion, fixedVersions, fixStatus, severity, matches, related };
  return { state, vulnerability, ids, package: about, installedVersion, fixedVersions, fixStatus, severity, matches, related, summary };
}

/** remediationOf, shared by the findings of a package that say the same. */
function remediationFor(pkg: Package, lookup: Lookup, about: PackageFacts, state: 'affected' | 'unknown', fixStatus: FixStatus, fixed: readonly string[]): string {
  // the text depends on the fixed versions when there are some, else only on the state or the fix status
  const byFix = state === 'affected' && fixStatus === 'fixed';
  // several fixed versions (rare) are not cached: a key joined from them could be ambiguous
  if (byFix && fixed.length !== 1) return remediationOf(pkg, lookup, state, fixStatus, fixed);
  const texts = byFix ? about.remediations : about.statusRemediations;
  const key = byFix ? (fixed[0] as string) : state === 'unknown' ? 'unknown' : fixStatus;
  let text = texts.get(key);
  if (text === undefined) {
    text = remediationOf(pkg, lookup, state, fixStatus, fixed);
    texts.set(key, text);
  }
  return text;
}

/** What `single` holds between calls: no advisory of a finished match. */
const NO_ADVISORY: AdvisoryHead = Object.freeze({ rowid: 0, source: 'osv', id: '', withdrawn: null, summary: null, feed: '', facts: NO_FACTS });
/** One input of resolveSeverity for a group of one hit, refilled per finding (resolveSeverity only reads it). */
const single = { advisory: NO_ADVISORY, entries: [0], labels: [] as string[] };
const singleInputs = [single];

/** Per distinct advisory of a group (first-seen order): its matched entries and the sources' labels. */
function severityInputs(group: readonly Hit[]): Array<{ advisory: AdvisoryHead; entries: number[]; labels: string[] }> {
  if (group.length === 1) {
    const h = group[0] as Hit;
    single.advisory = h.advisory;
    single.entries[0] = h.entry;
    empty(single.labels);
    if (h.urgency !== undefined) single.labels.push(h.urgency);
    return singleInputs;
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
