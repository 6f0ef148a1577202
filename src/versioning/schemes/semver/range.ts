/**
 * npm's range grammar, read as node-semver 7 reads it (classes/range.js, classes/comparator.js,
 * ranges/outside.js): "||"-separated sets of space-separated comparators, with hyphen ranges
 * ("1.2 - 2.3.4"), x-ranges ("1.x", "*"), tilde ("~1.2.3", "~>1.2") and caret ("^0.2.3") desugared to
 * primitive comparators (<, <=, >, >=, =). A pre-release version only satisfies a set that names a
 * pre-release of the same MAJOR.MINOR.PATCH, unless includePrerelease is set.
 * The desugaring is a sequence of regex rewrites; quantifiers are bounded as in node-semver's safe regexes.
 */
import { InvalidRangeError } from '../../../core/errors.js';
import { MAX_RANGE_LENGTH } from '../../constraints.js';
import { memoize, shown } from '../../common.js';
import type { Ordering, RangeOptions } from '../../types.js';
import { FULL_PLAIN, LOOSE_PLAIN, SRC, compareParsedSemver, parseSemver, tryParseSemver, type SemVer } from './version.js';

const RANGE_HINT = 'npm ranges look like "^1.2.3", "~1.2", "1.x", ">=1.0.0 <2.0.0", "1.2.3 - 2.0.0" or "1.x || >=2.5.0" (https://github.com/npm/node-semver#ranges).';

export type SemverOp = '' | '<' | '<=' | '>' | '>=';

export interface Comparator {
  readonly op: SemverOp;
  /** undefined: matches any version (the empty comparator, "*"). */
  readonly semver: SemVer | undefined;
  /** op + version, node-semver's canonical text ("" for any). */
  readonly value: string;
}

export interface SemverRange {
  readonly raw: string;
  /** Alternatives ("||"); a version must satisfy every comparator of one of them. */
  readonly set: ReadonlyArray<readonly Comparator[]>;
  readonly loose: boolean;
  readonly includePrerelease: boolean;
  /** node-semver's Range#range: the desugared comparators. */
  readonly canonical: string;
}

// ── the rewrite rules ───────────────────────────────────────────────────────────────────────────────
const GTLT = '((?:<|>)?=?)';
const XR_ID = `${SRC.number}|x|X|\\*`;
const XR_ID_LOOSE = `${SRC.numberLoose}|x|X|\\*`;
const XR_PLAIN = `[v=\\s]*(${XR_ID})(?:\\.(${XR_ID})(?:\\.(${XR_ID})(?:${SRC.prerelease})?${SRC.build}?)?)?`;
const XR_PLAIN_LOOSE = `[v=\\s]*(${XR_ID_LOOSE})(?:\\.(${XR_ID_LOOSE})(?:\\.(${XR_ID_LOOSE})(?:${SRC.prereleaseLoose})?${SRC.build}?)?)?`;

const RE = {
  // build metadata never matters in a range; node-semver strips it first with an unbounded (linear) pattern
  buildStrip: /\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)/g,
  hyphen: new RegExp(`^\\s?(${XR_PLAIN})\\s-\\s(${XR_PLAIN})\\s?$`),
  hyphenLoose: new RegExp(`^\\s?(${XR_PLAIN_LOOSE})\\s-\\s(${XR_PLAIN_LOOSE})\\s?$`),
  comparatorTrim: new RegExp(`(\\s?)${GTLT}\\s?(${LOOSE_PLAIN}|${XR_PLAIN})`, 'g'),
  tildeTrim: /(\s?)(?:~>?)\s/g,
  caretTrim: /(\s?)(?:\^)\s/g,
  tilde: new RegExp(`^(?:~>?)${XR_PLAIN}$`),
  tildeLoose: new RegExp(`^(?:~>?)${XR_PLAIN_LOOSE}$`),
  caret: new RegExp(`^(?:\\^)${XR_PLAIN}$`),
  caretLoose: new RegExp(`^(?:\\^)${XR_PLAIN_LOOSE}$`),
  xrange: new RegExp(`^${GTLT}\\s?${XR_PLAIN}$`),
  xrangeLoose: new RegExp(`^${GTLT}\\s?${XR_PLAIN_LOOSE}$`),
  star: /(<|>)?=?\s?\*/,
  // ">=0.0.0" is any version ("*")
  gte0: /^\s?>=\s?0\.0\.0\s?$/,
  gte0Pre: /^\s?>=\s?0\.0\.0-0\s?$/,
  comparator: new RegExp(`^${GTLT}\\s?(${FULL_PLAIN})$|^$`),
  comparatorLoose: new RegExp(`^${GTLT}\\s?(${LOOSE_PLAIN})$|^$`),
} as const;

type Piece = string | undefined;

function isX(id: Piece): boolean {
  return id === undefined || id === '' || id.toLowerCase() === 'x' || id === '*';
}

function inc(id: Piece): number {
  return Number(id) + 1;
}

/** "1.2.3 - 2.3" → ">=1.2.3 <2.4.0-0" */
function desugarHyphen(includePrerelease: boolean) {
  return (_whole: string, from: string, fM: Piece, fm: Piece, fp: Piece, fpr: Piece, _fb: Piece, to: string, tM: Piece, tm: Piece, tp: Piece, tpr: Piece): string => {
    const z = includePrerelease ? '-0' : '';
    let low: string;
    if (isX(fM)) low = '';
    else if (isX(fm)) low = `>=${fM}.0.0${z}`;
    else if (isX(fp)) low = `>=${fM}.${fm}.0${z}`;
    else if (fpr !== undefined && fpr !== '') low = `>=${from}`;
    else low = `>=${from}${z}`;
    let high: string;
    if (isX(tM)) high = '';
    else if (isX(tm)) high = `<${inc(tM)}.0.0-0`;
    else if (isX(tp)) high = `<${tM}.${inc(tm)}.0-0`;
    else if (tpr !== undefined && tpr !== '') high = `<=${tM}.${tm}.${tp}-${tpr}`;
    else if (includePrerelease) high = `<${tM}.${tm}.${inc(tp)}-0`;
    else high = `<=${to}`;
    return `${low} ${high}`.trim();
  };
}

/** "~1.2.3" → ">=1.2.3 <1.3.0-0"; "~1" → ">=1.0.0 <2.0.0-0" */
function desugarTilde(comp: string, loose: boolean, includePrerelease: boolean): string {
  const z = includePrerelease ? '-0' : '';
  return comp.replace(loose ? RE.tildeLoose : RE.tilde, (_whole: string, M: Piece, m: Piece, p: Piece, pr: Piece) => {
    if (isX(M)) return '';
    if (isX(m)) return `>=${M}.0.0${z} <${inc(M)}.0.0-0`;
    if (isX(p)) return `>=${M}.${m}.0${z} <${M}.${inc(m)}.0-0`;
    if (pr !== undefined && pr !== '') return `>=${M}.${m}.${p}-${pr} <${M}.${inc(m)}.0-0`;
    return `>=${M}.${m}.${p} <${M}.${inc(m)}.0-0`;
  });
}

/** "^1.2.3" → ">=1.2.3 <2.0.0-0"; "^0.2.3" → ">=0.2.3 <0.3.0-0"; "^0.0.3" → ">=0.0.3 <0.0.4-0" */
function desugarCaret(comp: string, loose: boolean, includePrerelease: boolean): string {
  const z = includePrerelease ? '-0' : '';
  return comp.replace(loose ? RE.caretLoose : RE.caret, (_whole: string, M: Piece, m: Piece, p: Piece, pr: Piece) => {
    if (isX(M)) return '';
    if (isX(m)) return `>=${M}.0.0${z} <${inc(M)}.0.0-0`;
    if (isX(p)) return M === '0' ? `>=${M}.${m}.0${z} <${M}.${inc(m)}.0-0` : `>=${M}.${m}.0${z} <${inc(M)}.0.0-0`;
    const low = pr !== undefined && pr !== '' ? `>=${M}.${m}.${p}-${pr}` : `>=${M}.${m}.${p}`;
    if (M !== '0') return `${low} <${inc(M)}.0.0-0`;
    return m === '0' ? `${low} <${M}.${m}.${inc(p)}-0` : `${low} <${M}.${inc(m)}.0-0`;
  });
}

/** "1.2.x" → ">=1.2.0 <1.3.0-0"; ">1" → ">=2.0.0"; "<=1.2" → "<1.3.0-0"; "*" → "" */
function desugarXRange(input: string, loose: boolean, includePrerelease: boolean): string {
  const comp = input.trim();
  return comp.replace(loose ? RE.xrangeLoose : RE.xrange, (whole: string, gtlt: string, M: Piece, m: Piece, p: Piece) => {
    // "x.1" and "1.x.5" name no range: left as written, so the comparator parse rejects them
    if ((isX(M) && !isX(m)) || (isX(m) && p !== undefined && p !== '' && !isX(p))) return comp;
    const xM = isX(M);
    const xm = xM || isX(m);
    const xp = xm || isX(p);
    let op = gtlt === '=' && xp ? '' : gtlt;
    let pr = includePrerelease ? '-0' : '';
    if (xM) return op === '>' || op === '<' ? '<0.0.0-0' : '*';
    if (op !== '' && xp) {
      let major: number | Piece = M;
      let minor: number | Piece = xm ? 0 : m;
      let patch = 0;
      if (op === '>') {
        // ">1" means ">=2.0.0", ">1.2" means ">=1.3.0"
        op = '>=';
        if (xm) {
          major = inc(M);
          minor = 0;
        } else {
          minor = inc(m);
        }
        patch = 0;
      } else if (op === '<=') {
        // "<=1.2" means "<1.3.0-0": every 1.2.x is allowed
        op = '<';
        if (xm) major = inc(M);
        else minor = inc(m);
      }
      if (op === '<') pr = '-0';
      return `${op}${major}.${minor}.${patch}${pr}`;
    }
    if (xm) return `>=${M}.0.0${pr} <${inc(M)}.0.0-0`;
    if (xp) return `>=${M}.${m}.0${pr} <${M}.${inc(m)}.0-0`;
    return whole;
  });
}

function each(comp: string, rewrite: (part: string) => string): string {
  return comp.trim().split(/\s+/).map(rewrite).join(' ');
}

/** One space-free piece of a set → primitive comparators (space-separated). */
function desugar(comp: string, loose: boolean, includePrerelease: boolean): string {
  let out = each(comp, (part) => desugarCaret(part, loose, includePrerelease));
  out = each(out, (part) => desugarTilde(part, loose, includePrerelease));
  out = out.split(/\s+/).map((part) => desugarXRange(part, loose, includePrerelease)).join(' ');
  return out.trim().replace(RE.star, '');
}

function makeComparator(text: string, loose: boolean): Comparator | string {
  const comp = text.trim().split(/\s+/).join(' ');
  const match = comp.match(loose ? RE.comparatorLoose : RE.comparator);
  if (match === null) return `"${shown(comp)}" is not a comparator`;
  const op = match[1] === undefined || match[1] === '=' ? '' : match[1];
  if (op !== '' && op !== '<' && op !== '<=' && op !== '>' && op !== '>=') return `"${shown(comp)}" is not a comparator`;
  if (match[2] === undefined || match[2] === '') return { op, semver: undefined, value: '' };
  const semver = tryParseSemver(match[2], loose);
  if (typeof semver === 'string') return `version "${shown(match[2])}" in "${shown(comp)}": ${semver}`;
  return { op, semver, value: `${op}${semver.version}` };
}

/** "<0.0.0-0": the comparator nothing satisfies. */
function isNullSet(c: Comparator | undefined): boolean {
  return c?.value === '<0.0.0-0';
}

function isAny(c: Comparator | undefined): boolean {
  return c?.value === '';
}

function parseSet(text: string, loose: boolean, includePrerelease: boolean): Comparator[] | string {
  let range = text.replace(RE.buildStrip, '');
  range = range.replace(loose ? RE.hyphenLoose : RE.hyphen, desugarHyphen(includePrerelease));
  range = range.replace(RE.comparatorTrim, '$1$2$3');
  range = range.replace(RE.tildeTrim, '$1~');
  range = range.replace(RE.caretTrim, '$1^');
  let parts = range
    .split(' ')
    .map((comp) => desugar(comp, loose, includePrerelease))
    .join(' ')
    .split(/\s+/)
    .map((comp) => comp.trim().replace(includePrerelease ? RE.gte0Pre : RE.gte0, ''));
  // loose mode drops what is not a comparator; it is still an error if nothing is left anywhere
  if (loose) parts = parts.filter((comp) => RE.comparatorLoose.test(comp));
  const comparators: Comparator[] = [];
  for (const part of parts) {
    const comparator = makeComparator(part, loose);
    if (typeof comparator === 'string') return comparator;
    comparators.push(comparator);
  }
  const unique = new Map<string, Comparator>();
  for (const comparator of comparators) {
    if (isNullSet(comparator)) return [comparator];
    unique.set(comparator.value, comparator);
  }
  if (unique.size > 1) unique.delete('');
  return [...unique.values()];
}

function buildRange(input: string, loose: boolean, includePrerelease: boolean): SemverRange | string {
  if (input.length > MAX_RANGE_LENGTH) return `longer than ${MAX_RANGE_LENGTH} characters`;
  const raw = input.trim().replace(/\s+/g, ' ');
  let set: Comparator[][] = [];
  for (const alternative of raw.split('||')) {
    const comparators = parseSet(alternative.trim(), loose, includePrerelease);
    if (typeof comparators === 'string') return comparators;
    if (comparators.length > 0) set.push(comparators);
  }
  if (set.length === 0) return 'no valid comparator';
  if (set.length > 1) {
    // a set that can match nothing is dropped unless all are; a set that matches anything wins
    const first = set[0] ?? [];
    set = set.filter((comparators) => !isNullSet(comparators[0]));
    if (set.length === 0) set = [first];
    else if (set.length > 1) {
      const any = set.find((comparators) => comparators.length === 1 && isAny(comparators[0]));
      if (any !== undefined) set = [any];
    }
  }
  const canonical = set.map((comparators) => comparators.map((c) => c.value.trim()).join(' ')).join('||');
  return { raw, set, loose, includePrerelease, canonical };
}

function rangeParser(loose: boolean, includePrerelease: boolean): (input: string) => SemverRange {
  return memoize((input: string): SemverRange => {
    const range = buildRange(input, loose, includePrerelease);
    if (typeof range === 'string') throw new InvalidRangeError('semver', shown(input), range, { hint: RANGE_HINT });
    return range;
  }, 5_000);
}

const PARSERS = {
  strict: rangeParser(false, false),
  strictWithPrereleases: rangeParser(false, true),
  loose: rangeParser(true, false),
  looseWithPrereleases: rangeParser(true, true),
} as const;

/** Parse an npm range; throws InvalidRangeError. */
export function parseRange(input: string, options: RangeOptions = {}): SemverRange {
  const pre = options.includePrerelease === true;
  if (options.loose === true) return pre ? PARSERS.looseWithPrereleases(input) : PARSERS.loose(input);
  return pre ? PARSERS.strictWithPrereleases(input) : PARSERS.strict(input);
}

/** node-semver's validRange: the canonical comparators ("*" for any), or null when invalid. */
export function validRange(input: string, options: RangeOptions = {}): string | null {
  try {
    const canonical = parseRange(input, options).canonical;
    return canonical === '' ? '*' : canonical;
  } catch (error) {
    if (error instanceof InvalidRangeError) return null;
    throw error;
  }
}

function holds(op: SemverOp, order: Ordering): boolean {
  switch (op) {
    case '':
      return order === 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

function testComparator(comparator: Comparator, version: SemVer): boolean {
  return comparator.semver === undefined || holds(comparator.op, compareParsedSemver(version, comparator.semver));
}

function testSet(set: readonly Comparator[], version: SemVer, includePrerelease: boolean): boolean {
  if (!set.every((comparator) => testComparator(comparator, version))) return false;
  if (version.prerelease.length === 0 || includePrerelease) return true;
  // a pre-release only matches when the set names a pre-release of the same MAJOR.MINOR.PATCH:
  // ^1.2.3-pr.1 admits 1.2.3-pr.2 but not 1.2.4-alpha
  return set.some((c) => c.semver !== undefined && c.semver.prerelease.length > 0 && c.semver.major === version.major && c.semver.minor === version.minor && c.semver.patch === version.patch);
}

function testRange(range: SemverRange, version: SemVer): boolean {
  return range.set.some((set) => testSet(set, version, range.includePrerelease));
}

/** Whether `version` satisfies the npm range; throws for an invalid version or range (never "no"). */
export function satisfiesSemver(version: string, range: string, options: RangeOptions = {}): boolean {
  const parsedRange = parseRange(range, options);
  return testRange(parsedRange, parseSemver(version, options.loose === true));
}

type Bounded = Comparator & { readonly semver: SemVer };

/** Stands in for the any-version comparator when looking for a range's edges. */
const AT_LEAST_ZERO: Bounded = { op: '>=', semver: { major: 0, minor: 0, patch: 0, prerelease: [], build: [], version: '0.0.0' }, value: '>=0.0.0' };

function bounded(comparator: Comparator): Bounded {
  const { semver } = comparator;
  return semver === undefined ? AT_LEAST_ZERO : { ...comparator, semver };
}

/** node-semver's outside(): is `version` above (">") or below ("<") every version the range admits? */
export function outside(version: string, range: string, direction: '>' | '<', options: RangeOptions = {}): boolean {
  const v = parseSemver(version, options.loose === true);
  const r = parseRange(range, options);
  if (testRange(r, v)) return false;
  const higher = direction === '>' ? 1 : -1;
  const [op, opEq] = direction === '>' ? (['>', '>='] as const) : (['<', '<='] as const);
  for (const set of r.set) {
    let high: Bounded | undefined;
    let low: Bounded | undefined;
    for (const original of set) {
      const comparator = bounded(original);
      high ??= comparator;
      low ??= comparator;
      if (compareParsedSemver(comparator.semver, high.semver) === higher) high = comparator;
      else if (compareParsedSemver(comparator.semver, low.semver) === -higher) low = comparator;
    }
    if (high === undefined || low === undefined) continue;
    // the edge comparator bounds the range on this side: the version is not outside it
    if (high.op === op || high.op === opEq) return false;
    const order = compareParsedSemver(v, low.semver);
    if ((low.op === '' || low.op === op) && order !== higher) return false;
    if (low.op === opEq && order === -higher) return false;
  }
  return true;
}

/** semver.gtr: greater than every version the range admits. */
export function gtr(version: string, range: string, options: RangeOptions = {}): boolean {
  return outside(version, range, '>', options);
}

/** semver.ltr: less than every version the range admits. */
export function ltr(version: string, range: string, options: RangeOptions = {}): boolean {
  return outside(version, range, '<', options);
}

function comparatorsIntersect(a: Comparator, b: Comparator, options: RangeOptions): boolean {
  const includePrerelease = options.includePrerelease === true;
  if (a.op === '') {
    if (a.value === '') return true;
    return testRangeText(b.value, a.value, options);
  }
  if (b.op === '') {
    if (b.semver === undefined) return true;
    return testRange(parseRange(a.value, options), b.semver);
  }
  // only the any-version comparator has no version, and it has no operator
  if (a.semver === undefined || b.semver === undefined) return true;
  // nothing is below <0.0.0-0 (or below <0.0.0 when pre-releases are excluded)
  if (includePrerelease && (a.value === '<0.0.0-0' || b.value === '<0.0.0-0')) return false;
  if (!includePrerelease && (a.value.startsWith('<0.0.0') || b.value.startsWith('<0.0.0'))) return false;
  if (a.op.startsWith('>') && b.op.startsWith('>')) return true;
  if (a.op.startsWith('<') && b.op.startsWith('<')) return true;
  const order = compareParsedSemver(a.semver, b.semver);
  if (order === 0 && a.op.includes('=') && b.op.includes('=')) return true;
  if (order < 0 && a.op.startsWith('>') && b.op.startsWith('<')) return true;
  if (order > 0 && a.op.startsWith('<') && b.op.startsWith('>')) return true;
  return false;
}

function testRangeText(range: string, version: string, options: RangeOptions): boolean {
  const parsed = tryParseSemver(version, options.loose === true);
  return typeof parsed !== 'string' && testRange(parseRange(range, options), parsed);
}

function isSatisfiable(comparators: readonly Comparator[], options: RangeOptions): boolean {
  const remaining = [...comparators];
  let test = remaining.pop();
  while (test !== undefined && remaining.length > 0) {
    const current = test;
    if (!remaining.every((other) => comparatorsIntersect(current, other, options))) return false;
    test = remaining.pop();
  }
  return true;
}

/** semver.intersects: can some version satisfy both ranges? */
export function intersects(a: string, b: string, options: RangeOptions = {}): boolean {
  const ra = parseRange(a, options);
  const rb = parseRange(b, options);
  return ra.set.some(
    (setA) =>
      isSatisfiable(setA, options) &&
      rb.set.some((setB) => isSatisfiable(setB, options) && setA.every((ca) => setB.every((cb) => comparatorsIntersect(ca, cb, options)))),
  );
}
