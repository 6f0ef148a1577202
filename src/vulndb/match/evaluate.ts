/**
 * OSV range evaluation (https://ossf.github.io/osv-schema/#evaluation), pure. A version is affected when it
 * is listed in `versions` or falls in one of the `ranges`. Within a range the events are sorted by the
 * scheme's order ("0" first; on a tie introduced < last_affected < fixed < limit) and walked:
 * `introduced` ≤ v opens, `fixed` ≤ v closes, `last_affected` < v closes; `limit` events cap the range
 * (v must be below one). Unsorted events and several disjoint intervals in one range both work.
 * ECOSYSTEM ranges use the ecosystem's scheme, SEMVER ranges SemVer (Go's own for Go), GIT ranges are
 * skipped with a reason. A version or scheme that cannot be evaluated gives `unknown`, never "not affected".
 */
import { InvalidVersionError, UnknownSchemeError, errorMessage } from '../../core/errors.js';
import { findEcosystem, schemeIdForEcosystem, type SchemeId } from '../../core/ecosystem.js';
import { getScheme, type VersionScheme } from '../../versioning/index.js';
import type { OsvRange } from '../schema.js';

export type Verdict = 'affected' | 'not-affected' | 'unknown';

export interface RangeEvaluation {
  verdict: Verdict;
  /** How the range reads: "introduced 0, fixed 4.17.21". */
  range: string;
  type: OsvRange['type'];
  scheme?: SchemeId | undefined;
  /** The first `fixed` above the version in this range, when affected. */
  fixed?: string | undefined;
  /** The `last_affected` that bounds the version's interval, when affected. */
  lastAffected?: string | undefined;
  /** Why the range was skipped or could not be evaluated. */
  reason?: string | undefined;
}

export interface EntryEvaluation {
  verdict: Verdict;
  /** The version is listed in the entry's `versions`. */
  listed: boolean;
  ranges: RangeEvaluation[];
  /** Reasons for `unknown` (unknown scheme, invalid version in the advisory or the package). */
  problems: string[];
}

const KIND_ORDER = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 } as const;
type Kind = keyof typeof KIND_ORDER;

interface Point {
  kind: Kind;
  value: string;
  /** The value as the scheme reads it (Go's "v" added). */
  scheme: string;
}

/** The scheme a range type uses for an ecosystem, and the prefix OSV leaves out (Go's "v"). */
export function schemeForRange(ecosystem: string, type: 'SEMVER' | 'ECOSYSTEM'): { scheme: VersionScheme; prefix: string } {
  if (type === 'SEMVER') {
    // SEMVER ranges are SemVer 2.0.0 whatever the ecosystem; Go module versions are SemVer with Go's "v".
    if (isGo(ecosystem)) return { scheme: getScheme('go'), prefix: 'v' };
    return { scheme: getScheme('semver'), prefix: '' };
  }
  const entry = findEcosystem(ecosystem);
  return { scheme: getScheme(schemeIdForEcosystem(ecosystem)), prefix: entry.versionPrefix ?? '' };
}

/**
 * `scheme.isValid`, remembered per string: advisories repeat the same bounds and listed versions across
 * thousands of records, and a failed parse (which the schemes do not cache) costs as much as a good one.
 */
const validity = new Map<VersionScheme, Map<string, boolean>>();
const VALIDITY_LIMIT = 100_000;

export function isValidIn(scheme: VersionScheme, version: string): boolean {
  let known = validity.get(scheme);
  if (known === undefined) {
    known = new Map();
    validity.set(scheme, known);
  }
  let valid = known.get(version);
  if (valid === undefined) {
    valid = scheme.isValid(version);
    if (known.size >= VALIDITY_LIMIT) known.clear();
    known.set(version, valid);
  }
  return valid;
}

/** "Go" or "Go:<suffix>", without splitting (this runs for every range of every candidate row). */
function isGo(ecosystem: string): boolean {
  return ecosystem.startsWith('Go') && (ecosystem.length === 2 || ecosystem.charCodeAt(2) === 58);
}

function withPrefix(value: string, prefix: string): string {
  return prefix === '' || value.startsWith(prefix) ? value : `${prefix}${value}`;
}

/** Descriptions by range object: a prepared entry's ranges are described once, however many findings quote them. */
const descriptions = new WeakMap<object, string>();

export function describeRange(range: Pick<OsvRange, 'events'>): string {
  let text = descriptions.get(range);
  if (text === undefined) {
    text = range.events
      .map((e) => (e.introduced !== undefined ? `introduced ${e.introduced}` : e.fixed !== undefined ? `fixed ${e.fixed}` : e.last_affected !== undefined ? `last_affected ${e.last_affected}` : `limit ${e.limit ?? ''}`))
      .join(', ');
    descriptions.set(range, text);
  }
  return text;
}

/** A SEMVER/ECOSYSTEM range made ready once: its events validated and sorted in the scheme's order. */
interface SortedRange {
  scheme: VersionScheme;
  prefix: string;
  points: Point[];
}

/** Validate and sort a range's events; throws InvalidVersionError / UnknownSchemeError. */
function sortRange(ecosystem: string, range: OsvRange): SortedRange {
  if (range.type === 'GIT') throw new Error('GIT ranges are not sorted');
  const { scheme, prefix } = schemeForRange(ecosystem, range.type);
  const points: Point[] = [];
  for (const e of range.events) {
    for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
      const value = e[kind];
      if (value !== undefined) points.push({ kind, value, scheme: kind === 'limit' && value === '*' ? '*' : withPrefix(value, prefix) });
    }
  }
  // Validate every bound first, so a bad event is reported even when the walk would not reach it.
  for (const p of points) {
    if ((p.kind === 'introduced' && p.value === '0') || p.scheme === '*') continue;
    if (!isValidIn(scheme, p.scheme)) scheme.compare(p.scheme, p.scheme);
  }
  points.sort((a, b) => {
    const zeroA = a.kind === 'introduced' && a.value === '0';
    const zeroB = b.kind === 'introduced' && b.value === '0';
    if (zeroA || zeroB) return zeroA && zeroB ? 0 : zeroA ? -1 : 1;
    if (a.scheme === '*' || b.scheme === '*') return a.scheme === b.scheme ? 0 : a.scheme === '*' ? 1 : -1;
    return scheme.compare(a.scheme, b.scheme) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  });
  return { scheme, prefix, points };
}

/**
 * Where the version's affected interval opens (an index into the points), or -1 when the range does not
 * affect it. Throws InvalidVersionError. Allocates nothing: most candidate rows end here, not affected.
 */
function openingOf(version: string, sorted: SortedRange): number {
  const { scheme, points } = sorted;
  let affected = false;
  let openedAt = -1;
  let limited = false;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as Point;
    if (p.kind === 'introduced') {
      if (p.value === '0' || scheme.compare(version, p.scheme) >= 0) {
        if (!affected) openedAt = i;
        affected = true;
      }
    } else if (p.kind === 'fixed') {
      if (scheme.compare(version, p.scheme) >= 0) affected = false;
    } else if (p.kind === 'last_affected') {
      if (scheme.compare(version, p.scheme) > 0) affected = false;
    } else limited = true;
  }
  if (affected && limited) {
    // `limit` events cap the range: the version must be below one of them
    affected = false;
    for (const l of points) {
      if (l.kind === 'limit' && (l.scheme === '*' || scheme.compare(version, l.scheme) < 0)) {
        affected = true;
        break;
      }
    }
  }
  return affected ? openedAt : -1;
}

/** Walk a sorted range for `version` (already in the scheme's form). Throws InvalidVersionError. */
function walkRange(version: string, sorted: SortedRange): Omit<RangeEvaluation, 'range' | 'type'> {
  const { scheme, points } = sorted;
  const openedAt = openingOf(version, sorted);
  if (openedAt < 0) return { verdict: 'not-affected', scheme: scheme.id };
  // The bound that closes the version's interval: the first fixed / last_affected after the opening event.
  let fixed: string | undefined;
  let lastAffected: string | undefined;
  for (let i = openedAt + 1; i < points.length; i++) {
    const p = points[i] as Point;
    if (p.kind === 'fixed' && scheme.compare(version, p.scheme) < 0) {
      fixed = p.value;
      break;
    }
    if (p.kind === 'last_affected' && scheme.compare(version, p.scheme) <= 0) {
      lastAffected = p.value;
      break;
    }
  }
  return { verdict: 'affected', scheme: scheme.id, fixed, lastAffected };
}

function problemOf(error: unknown): string {
  if (error instanceof InvalidVersionError || error instanceof UnknownSchemeError) return error.message;
  return `cannot evaluate: ${errorMessage(error)}`;
}

/** The installed version in the form the scheme expects (Go: "v" prefix, "go1.21.5" → "v1.21.5"). */
export function installedForm(ecosystem: string, version: string, prefix: string): string {
  if (prefix === 'v' && isGo(ecosystem)) {
    if (version.startsWith('go')) return `v${version.slice(2)}`;
    return withPrefix(version, 'v');
  }
  return version;
}

/**
 * An affected entry made ready for many lookups: its versions list as an exact-text set plus a copy sorted
 * in the scheme's order (binary search finds "1.0" for an installed "1.0.0" under PEP 440).
 */
export interface PreparedEntry {
  ranges: OsvRange[];
  /** Per range: sorted events, or why the range cannot be evaluated (GIT ranges: undefined). */
  sorted: Array<SortedRange | { problem: string } | undefined>;
  exact: ReadonlySet<string>;
  sortedVersions: readonly string[];
  scheme: VersionScheme | undefined;
  prefix: string;
  /** Listed versions the scheme refuses: they can only match as exact text. */
  invalidListed: readonly string[];
}

export function prepareEntry(ecosystem: string, entry: { ranges?: OsvRange[] | undefined; versions?: string[] | undefined }): PreparedEntry {
  let scheme: VersionScheme | undefined;
  let prefix = '';
  try {
    const s = schemeForRange(ecosystem, 'ECOSYSTEM');
    scheme = s.scheme;
    prefix = s.prefix;
  } catch {
    // an ecosystem without a scheme: versions lists still match exactly, ranges become unknown
  }
  const versions = entry.versions ?? [];
  const valid: string[] = [];
  const invalidListed: string[] = [];
  for (const v of versions) {
    const form = withPrefix(v, prefix);
    if (scheme !== undefined && isValidIn(scheme, form)) valid.push(form);
    else invalidListed.push(v);
  }
  if (scheme !== undefined) {
    const s = scheme;
    valid.sort((a, b) => s.compare(a, b));
  }
  const ranges = entry.ranges ?? [];
  const sortedRanges = ranges.map((r) => {
    if (r.type === 'GIT') return undefined;
    try {
      return sortRange(ecosystem, r);
    } catch (error) {
      return { problem: problemOf(error) };
    }
  });
  return { ranges, sorted: sortedRanges, exact: new Set(versions), sortedVersions: valid, scheme, prefix, invalidListed };
}

function isListed(prepared: PreparedEntry, ecosystem: string, version: string): boolean {
  if (prepared.exact.has(version)) return true;
  const scheme = prepared.scheme;
  if (scheme === undefined || prepared.sortedVersions.length === 0) return false;
  const installed = installedForm(ecosystem, version, prepared.prefix);
  if (!isValidIn(scheme, installed)) return false;
  let lo = 0;
  let hi = prepared.sortedVersions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = scheme.compare(installed, prepared.sortedVersions[mid] ?? '');
    if (c === 0) return true;
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return false;
}

export function evaluateEntry(ecosystem: string, version: string, entry: PreparedEntry | { ranges?: OsvRange[] | undefined; versions?: string[] | undefined }): EntryEvaluation {
  const prepared = 'exact' in entry ? entry : prepareEntry(ecosystem, entry);
  const problems: string[] = [];
  const ranges: RangeEvaluation[] = [];
  const listed = isListed(prepared, ecosystem, version);
  let anyAffected = listed;
  let anyUnknown = false;
  let evaluable = 0;
  for (let i = 0; i < prepared.ranges.length; i++) {
    const range = prepared.ranges[i] as OsvRange;
    const sorted = prepared.sorted[i];
    if (range.type === 'GIT' || sorted === undefined) {
      ranges.push({ verdict: 'not-affected', range: describeRange(range), type: 'GIT', reason: 'GIT range ignored: it is defined by commits, and installed packages are matched by version' });
      continue;
    }
    evaluable++;
    let problem: string | undefined;
    if ('problem' in sorted) problem = sorted.problem;
    else {
      const installed = installedForm(ecosystem, version, sorted.prefix);
      let result: ReturnType<typeof walkRange> | undefined;
      try {
        result = walkRange(installed, sorted);
      } catch (error) {
        problem = problemOf(error);
      }
      if (result !== undefined) {
        // The range text is built only when someone will read it (affected or unknown).
        ranges.push({ ...result, range: result.verdict === 'affected' ? describeRange(range) : '', type: range.type });
        if (result.verdict === 'affected') anyAffected = true;
        continue;
      }
    }
    const reason = problem ?? 'cannot evaluate';
    problems.push(reason);
    anyUnknown = true;
    ranges.push({ verdict: 'unknown', range: describeRange(range), type: range.type, reason });
  }
  if (!anyAffected && evaluable === 0 && prepared.exact.size === 0 && prepared.ranges.length > 0) {
    // Only commit ranges and no version list: there is nothing to compare the installed version with.
    problems.push('the advisory gives only GIT (commit) ranges and no versions list');
    anyUnknown = true;
  }
  const verdict: Verdict = anyAffected ? 'affected' : anyUnknown ? 'unknown' : 'not-affected';
  return { verdict, listed, ranges, problems };
}

/**
 * The verdict `evaluateEntry` would give, without building its explanation: the matcher asks this first
 * for every candidate row and explains only the rows that are affected or unknown.
 */
export function quickVerdict(ecosystem: string, version: string, prepared: PreparedEntry): Verdict {
  if (isListed(prepared, ecosystem, version)) return 'affected';
  let anyUnknown = false;
  let evaluable = 0;
  for (let i = 0; i < prepared.ranges.length; i++) {
    const sorted = prepared.sorted[i];
    if (prepared.ranges[i]?.type === 'GIT' || sorted === undefined) continue;
    evaluable++;
    if ('problem' in sorted) {
      anyUnknown = true;
      continue;
    }
    try {
      if (openingOf(installedForm(ecosystem, version, sorted.prefix), sorted) >= 0) return 'affected';
    } catch {
      anyUnknown = true;
    }
  }
  if (evaluable === 0 && prepared.exact.size === 0 && prepared.ranges.length > 0) anyUnknown = true;
  return anyUnknown ? 'unknown' : 'not-affected';
}
