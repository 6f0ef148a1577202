/**
 * Maven versions, ordered as org.apache.maven.artifact.versioning.ComparableVersion (Maven 4, apache/maven
 * compat/maven-artifact, which keeps Maven 3.9's order and fixes its transitivity corner cases), and Maven
 * version ranges as VersionRange.createFromVersionSpec reads them.
 *
 * A version is split at ".", "-" and digit/letter transitions into numbers, qualifiers and nested lists
 * (a "-" or a transition opens a sub-list); trailing "null" items (0, "", "ga", "final", "release") are
 * dropped. Qualifiers order alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp,
 * then any other word alphabetically; "a1", "b1", "m1" mean alpha-1, beta-1, milestone-1.
 */
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { MAX_RANGE_LENGTH } from '../../constraints.js';
import { compareDigits, isDigitCode, memoize, shown, stripZeros } from '../../common.js';
import type { Ordering, Pieces, VersionScheme } from '../../types.js';

const HINT = 'A Maven version is numbers and qualifiers separated by "." or "-", e.g. "2.17.1", "1.0-SNAPSHOT" or "5.3.0.RELEASE".';
const RANGE_HINT = 'Maven ranges look like "[1.0,2.0)", "(,1.0]", "[1.2]" or "(,1.0],[1.2,)"; a bare "1.0" is only a recommendation.';
const MAX_LENGTH = 256;

export type MavenItem =
  | { readonly kind: 'number'; readonly digits: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'combination'; readonly text: MavenString; readonly number: MavenNumber }
  | { readonly kind: 'list'; readonly items: readonly MavenItem[] };
type MavenNumber = Extract<MavenItem, { kind: 'number' }>;
type MavenString = Extract<MavenItem, { kind: 'string' }>;
type MavenList = Extract<MavenItem, { kind: 'list' }>;

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_QUALIFIERS = ['ga', 'final', 'release'];
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function stringItem(raw: string, followedByDigit: boolean): MavenString {
  let value = raw;
  // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
  if (followedByDigit && value.length === 1) value = value === 'a' ? 'alpha' : value === 'b' ? 'beta' : value === 'm' ? 'milestone' : value;
  return { kind: 'string', value: value === 'cr' ? 'rc' : value };
}

function numberItem(digits: string): MavenNumber {
  return { kind: 'number', digits: stripZeros(digits === '' ? '0' : digits) };
}

/** Known qualifiers by rank, then any other word after them (ComparableVersion.comparableQualifier). */
function qualifierKey(value: string): string {
  if (RELEASE_QUALIFIERS.includes(value)) return RELEASE_INDEX;
  const index = QUALIFIERS.indexOf(value);
  return index < 0 ? `${QUALIFIERS.length}-${value}` : String(index);
}

function compareText(a: string, b: string): Ordering {
  return a === b ? 0 : a < b ? -1 : 1;
}

function negate(order: Ordering): Ordering {
  return order === 0 ? 0 : order < 0 ? 1 : -1;
}

function isNull(item: MavenItem): boolean {
  switch (item.kind) {
    case 'number':
      return item.digits === '0';
    case 'string':
      return item.value === '';
    case 'combination':
      return false;
    case 'list':
      return item.items.length === 0;
  }
}

/** Item.compareTo(null): how an item compares with padding. */
function compareWithNothing(item: MavenItem): Ordering {
  switch (item.kind) {
    case 'number':
      return item.digits === '0' ? 0 : 1;
    case 'string':
      return compareText(qualifierKey(item.value), RELEASE_INDEX);
    case 'combination': {
      // the word decides, unless it is a release word ("ga1"): then the number does
      const order = compareWithNothing(item.text);
      return order === 0 ? compareWithNothing(item.number) : order;
    }
    case 'list':
      for (const inner of item.items) {
        const order = compareWithNothing(inner);
        if (order !== 0) return order;
      }
      return 0;
  }
}

/** Item.compareTo(Item), dispatched on the left item's kind. */
export function compareItems(a: MavenItem, b: MavenItem): Ordering {
  switch (a.kind) {
    case 'number':
      // 1.1 > 1-sp, 1.1 > 1-1: a number beats anything that is not a number
      return b.kind === 'number' ? compareDigits(a.digits, b.digits) : 1;
    case 'string':
      return compareString(a, b);
    case 'combination':
      return compareCombination(a, b);
    case 'list':
      return compareList(a, b);
  }
}

function compareString(a: MavenString, b: MavenItem): Ordering {
  switch (b.kind) {
    case 'number':
      return -1;
    case 'string':
      return compareText(qualifierKey(a.value), qualifierKey(b.value));
    case 'combination': {
      const order = compareString(a, b.text);
      if (order !== 0) return order;
      return compareWithNothing(a) === 0 ? negate(compareWithNothing(b.number)) : -1;
    }
    case 'list':
      return negate(compareList(b, a));
  }
}

function compareCombination(a: Extract<MavenItem, { kind: 'combination' }>, b: MavenItem): Ordering {
  switch (b.kind) {
    case 'number':
      return -1;
    case 'string': {
      const order = compareString(a.text, b);
      if (order !== 0) return order;
      // X1 > X, except that after a release word ("ga1") the number decides
      return compareWithNothing(a.text) === 0 ? compareWithNothing(a.number) : 1;
    }
    case 'combination':
      return compareString(a.text, b.text) || compareDigits(a.number.digits, b.number.digits);
    case 'list':
      return negate(compareList(b, a));
  }
}

function compareList(a: MavenList, b: MavenItem): Ordering {
  switch (b.kind) {
    case 'number':
      return -1; // 1-1 < 1.0.x
    case 'string':
    case 'combination': {
      const first = a.items[0];
      let order = first === undefined ? negate(compareWithNothing(b)) : compareItems(first, b);
      for (const rest of a.items.slice(1)) {
        if (order !== 0) break;
        order = compareWithNothing(rest);
      }
      return order;
    }
    case 'list': {
      const length = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < length; i++) {
        const left = a.items[i];
        const right = b.items[i];
        let order: Ordering = 0;
        if (left === undefined) order = right === undefined ? 0 : negate(compareWithNothing(right));
        else order = right === undefined ? compareWithNothing(left) : compareItems(left, right);
        if (order !== 0) return order;
      }
      return 0;
    }
  }
}

/** ListItem.normalize: drop null items that only pad, and a lone nested list. */
function normalize(items: MavenItem[]): MavenItem[] {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item === undefined || !isNull(item)) continue;
    const next = items[i + 1];
    if (next === undefined || next.kind === 'string') items.splice(i, 1);
    else if (next.kind === 'list') {
      const head = next.items[0];
      if (head !== undefined && (head.kind === 'combination' || head.kind === 'string')) items.splice(i, 1);
    }
  }
  const only = items[0];
  if (items.length === 1 && only !== undefined && only.kind === 'list') return [...only.items];
  return items;
}

function parseItem(isCombination: boolean, isDigit: boolean, text: string): MavenItem {
  if (isCombination) {
    const word = text.replace(/-/g, '');
    let digitAt = 0;
    while (digitAt < word.length && !isDigitCode(word.charCodeAt(digitAt))) digitAt++;
    return { kind: 'combination', text: stringItem(word.slice(0, digitAt), true), number: numberItem(word.slice(digitAt)) };
  }
  return isDigit ? numberItem(text) : stringItem(text, false);
}

/** ComparableVersion.parseVersion: a nested list of items, built in one pass. */
function parseItems(version: string): MavenItem[] {
  const text = version.toLowerCase();
  const root: MavenItem[] = [];
  // mutable lists while parsing; each list is normalised once complete (innermost first)
  const stack: MavenItem[][] = [root];
  let list = root;
  const open = (): void => {
    const child: MavenItem[] = [];
    list.push({ kind: 'list', items: child });
    stack.push(child);
    list = child;
  };
  let isDigit = false;
  let isCombination = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      list.push(i === start ? numberItem('0') : parseItem(isCombination, isDigit, text.slice(start, i)));
      isCombination = false;
      start = i + 1;
    } else if (code === 45) {
      if (i === start) list.push(numberItem('0'));
      else {
        // "X-1" reads as "X1"
        if (!isDigit && i !== text.length - 1 && isDigitCode(text.charCodeAt(i + 1))) {
          isCombination = true;
          continue;
        }
        list.push(parseItem(isCombination, isDigit, text.slice(start, i)));
      }
      start = i + 1;
      if (list.length > 0) open();
      isCombination = false;
    } else if (isDigitCode(code)) {
      if (!isDigit && i > start) {
        // "X1": a word directly followed by a number
        isCombination = true;
        if (list.length > 0) open();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(isCombination, true, text.slice(start, i)));
        start = i;
        open();
        isCombination = false;
      }
      isDigit = false;
    }
  }
  if (text.length > start) {
    // "1.0.0.X1" sorts like "1.0.0-X1": a trailing word opens a list
    if (!isDigit && list.length > 0) open();
    list.push(parseItem(isCombination, isDigit, text.slice(start)));
  }
  // normalise innermost lists first; each normalised array replaces its slot in the parent
  for (let depth = stack.length - 1; depth >= 0; depth--) {
    const current = stack[depth] ?? [];
    const normalized = normalize(current);
    if (depth === 0) return normalized;
    const parent = stack[depth - 1] ?? [];
    const slot = parent.findIndex((item) => item.kind === 'list' && item.items === current);
    if (slot >= 0) parent[slot] = { kind: 'list', items: normalized };
  }
  return root;
}

export interface MavenVersion {
  readonly text: string;
  readonly items: MavenList;
}

export function tryParseMaven(input: string): MavenVersion | string {
  if (input === '') return 'empty version';
  if (input.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code <= 32 || code >= 127) return `contains ${JSON.stringify(input.charAt(i))}: only printable ASCII without spaces is accepted`;
    if ('[](),'.includes(input.charAt(i))) return `contains ${JSON.stringify(input.charAt(i))}, which Maven reserves for version ranges`;
  }
  if (!/[0-9a-zA-Z]/.test(input)) return 'has no letters or digits';
  return { text: input, items: { kind: 'list', items: parseItems(input) } };
}

export const parseMaven = memoize((input: string): MavenVersion => {
  const parsed = tryParseMaven(input);
  if (typeof parsed === 'string') throw new InvalidVersionError('maven', shown(input), parsed, { hint: HINT });
  return parsed;
});

export function compareMaven(a: string, b: string): Ordering {
  return compareItems(parseMaven(a).items, parseMaven(b).items);
}

/** ComparableVersion.getCanonical. */
function canonical(item: MavenItem): string {
  switch (item.kind) {
    case 'number':
      return item.digits;
    case 'string':
      return item.value;
    case 'combination':
      return `${item.text.value}${item.number.digits}`;
    case 'list':
      return item.items.map((inner, i) => `${i === 0 ? '' : inner.kind === 'list' ? '-' : '.'}${canonical(inner)}`).join('');
  }
}

function tokens(item: MavenItem): Piece {
  switch (item.kind) {
    case 'number':
      return item.digits.length <= 15 ? Number(item.digits) : item.digits;
    case 'string':
      return item.value;
    case 'combination':
      return `${item.text.value}${item.number.digits}`;
    case 'list':
      return item.items.map(tokens);
  }
}
type Piece = Pieces[string];

// ── ranges ──────────────────────────────────────────────────────────────────────────────────────────

export interface Restriction {
  readonly lower: MavenVersion | undefined;
  readonly lowerInclusive: boolean;
  readonly upper: MavenVersion | undefined;
  readonly upperInclusive: boolean;
}

function restrictionOf(spec: string, range: string): Restriction {
  const fail = (reason: string): InvalidRangeError => new InvalidRangeError('maven', shown(range), reason, { hint: RANGE_HINT });
  const version = (text: string): MavenVersion => {
    const parsed = tryParseMaven(text);
    if (typeof parsed === 'string') throw fail(`version "${shown(text)}" in "${shown(spec)}": ${parsed}`);
    return parsed;
  };
  const lowerInclusive = spec.startsWith('[');
  const upperInclusive = spec.endsWith(']');
  const body = spec.slice(1, -1).trim();
  const comma = body.indexOf(',');
  if (comma < 0) {
    if (!lowerInclusive || !upperInclusive) throw fail(`a single version must be surrounded by []: "${spec}"`);
    const exact = version(body);
    return { lower: exact, lowerInclusive, upper: exact, upperInclusive };
  }
  const lowText = body.slice(0, comma).trim();
  const highText = body.slice(comma + 1).trim();
  const lower = lowText === '' ? undefined : version(lowText);
  const upper = highText === '' ? undefined : version(highText);
  if (lower !== undefined && upper !== undefined) {
    const order = compareItems(upper.items, lower.items);
    if (order < 0 || (order === 0 && (!lowerInclusive || !upperInclusive))) throw fail(`"${spec}" defies version ordering`);
  }
  return { lower, lowerInclusive, upper, upperInclusive };
}

/** VersionRange.createFromVersionSpec, refusing the bare "soft" version (it would match everything). */
export function parseMavenRange(range: string): Restriction[] {
  const fail = (reason: string): InvalidRangeError => new InvalidRangeError('maven', shown(range), reason, { hint: RANGE_HINT });
  if (range.length > MAX_RANGE_LENGTH) throw fail(`longer than ${MAX_RANGE_LENGTH} characters`);
  const restrictions: Restriction[] = [];
  let rest = range.trim();
  let upper: MavenVersion | undefined;
  while (rest.startsWith('[') || rest.startsWith('(')) {
    const paren = rest.indexOf(')');
    const bracket = rest.indexOf(']');
    let end = bracket;
    if ((bracket < 0 || paren < bracket) && paren >= 0) end = paren;
    if (end < 0) throw fail('unbounded range: a "[" or "(" is never closed');
    const restriction = restrictionOf(rest.slice(0, end + 1), range);
    if (restrictions.length > 0 && (restriction.lower === undefined || upper === undefined || compareItems(restriction.lower.items, upper.items) < 0)) {
      throw fail('ranges overlap: list them in ascending order without overlap');
    }
    restrictions.push(restriction);
    upper = restriction.upper;
    rest = rest.slice(end + 1).trim();
    if (rest.startsWith(',')) rest = rest.slice(1).trim();
  }
  if (rest !== '') {
    if (restrictions.length > 0) throw fail(`unexpected "${shown(rest)}" after the ranges: only bracketed ranges may be combined`);
    throw fail('a bare version is a soft requirement that Maven satisfies with any version; write "[1.0]" for exactly 1.0 or "[1.0,)" for 1.0 and later');
  }
  if (restrictions.length === 0) throw fail('empty range');
  return restrictions;
}

function contains(restriction: Restriction, version: MavenVersion): boolean {
  if (restriction.lower !== undefined) {
    const order = compareItems(restriction.lower.items, version.items);
    if (order > 0 || (order === 0 && !restriction.lowerInclusive)) return false;
  }
  if (restriction.upper !== undefined) {
    const order = compareItems(restriction.upper.items, version.items);
    if (order < 0 || (order === 0 && !restriction.upperInclusive)) return false;
  }
  return true;
}

export function satisfiesMaven(version: string, range: string): boolean {
  const parsed = parseMaven(version);
  return parseMavenRange(range).some((restriction) => contains(restriction, parsed));
}

export const maven: VersionScheme = {
  id: 'maven',
  title: 'Maven (ComparableVersion)',
  spec: 'https://maven.apache.org/pom.html#version-order-specification',
  options: [],
  isValid: (version) => typeof tryParseMaven(version) !== 'string',
  compare: compareMaven,
  explain(version): Pieces {
    const v = parseMaven(version);
    return { canonical: canonical(v.items), items: tokens(v.items) };
  },
  ranges: {
    syntax: 'Maven version ranges: [1.0,2.0) (,1.0] [1.2] (,1.0],[1.2,)',
    satisfies: satisfiesMaven,
    explain(range): Pieces {
      return {
        restrictions: parseMavenRange(range).map((r) => ({
          lower: r.lower?.text ?? null,
          lowerInclusive: r.lowerInclusive,
          upper: r.upper?.text ?? null,
          upperInclusive: r.upperInclusive,
        })),
      };
    },
  },
};
