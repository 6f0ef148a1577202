/**
 * RubyGems versions (Gem::Version) and requirements (Gem::Requirement), following ruby/rubygems
 * lib/rubygems/version.rb and requirement.rb. A version is numbers and ASCII letters separated by dots;
 * any letter makes it a pre-release, which sorts before the release ("1.0.b1" < "1.0"). Segments compare
 * left to right (numbers as numbers, words with Ruby's byte order, a number after a word beats the word);
 * trailing zeros do not count ("1.0" = "1"). A SemVer hyphen is read as RubyGems does: "1.0.0-beta.1" is
 * "1.0.0.beta.1", "1.0.0-1" is "1.0.0.pre.1".
 */
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { parseClauses, type Clause, type ClauseSyntax } from '../../constraints.js';
import { compareDigits, incrementDigits, isAsciiLetterCode, isCSpaceCode, isDigitCode, memoize, shown, stripZeros, trimWith } from '../../common.js';
import type { Ordering, Pieces, VersionScheme } from '../../types.js';

const HINT = 'A RubyGems version is numbers and letters separated by dots, e.g. "7.1.3", "2.0.0.rc1" or "1.0.0-beta.1".';
const RANGE_HINT = 'Gem requirements are comma-separated clauses: "~> 1.2", ">= 1.0, < 2.0", "!= 1.5.0", "= 3.0.4".';
const MAX_LENGTH = 1024;

/** Numbers are digit strings without leading zeros; words keep their case. */
type Segment = { readonly number: string } | { readonly word: string };

export interface GemVersion {
  /** The version after RubyGems' normalisation (trimmed, hyphens rewritten). */
  readonly version: string;
  readonly segments: readonly Segment[];
  readonly canonical: readonly Segment[];
  readonly prerelease: boolean;
}

/** ANCHORED_VERSION_PATTERN without the surrounding white space, which the caller trims. */
const VERSION = /^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Gem::Version.normalize_hyphens: "-beta.1" becomes ".beta.1", "-1" becomes ".pre.1". */
function normalizeHyphens(text: string): string {
  if (!text.includes('-')) return text;
  const parts = text.split('-');
  // Ruby's String#split drops trailing empty strings
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts
    .map((part, index) => {
      if (index === 0) return part;
      const first = /^[^.]+/.exec(part)?.[0];
      return first !== undefined && /[a-zA-Z]/.test(first) ? part : `pre.${part}`;
    })
    .join('.');
}

/** partition_segments: runs of digits and runs of ASCII letters; everything else separates. */
function partition(text: string): Segment[] {
  const segments: Segment[] = [];
  for (let i = 0; i < text.length; ) {
    const start = i;
    if (isDigitCode(text.charCodeAt(i))) {
      while (i < text.length && isDigitCode(text.charCodeAt(i))) i++;
      segments.push({ number: stripZeros(text.slice(start, i)) });
    } else if (isAsciiLetterCode(text.charCodeAt(i))) {
      while (i < text.length && isAsciiLetterCode(text.charCodeAt(i))) i++;
      segments.push({ word: text.slice(start, i) });
    } else i++;
  }
  return segments;
}

function isZeroOrDot(code: number): boolean {
  return code === 48 || code === 46;
}

/** canonical_segments: drop trailing zeros, zeros before the first letter, and a "pre" before a word. */
function canonicalSegments(version: string, prerelease: boolean): Segment[] {
  // version.sub(/(?<=[a-zA-Z.])[.0]+\z/, ""): the trailing run of "." and "0" after a letter or dot
  let text = version;
  let tail = text.length;
  while (tail > 0 && isZeroOrDot(text.charCodeAt(tail - 1))) tail--;
  for (let i = Math.max(tail, 1); i < text.length; i++) {
    const before = text.charCodeAt(i - 1);
    if (isAsciiLetterCode(before) || before === 46) {
      text = text.slice(0, i);
      break;
    }
  }
  if (prerelease) {
    // sub!(/(?<=\.|\A)[0.]+(?=[a-zA-Z])/, ""): the first run of zeros and dots that ends at a letter
    for (let i = 0; i < text.length; i++) {
      if (!isZeroOrDot(text.charCodeAt(i)) || (i > 0 && text.charCodeAt(i - 1) !== 46)) continue;
      let end = i;
      while (end < text.length && isZeroOrDot(text.charCodeAt(end))) end++;
      if (isAsciiLetterCode(text.charCodeAt(end))) {
        text = text.slice(0, i) + text.slice(end);
        break;
      }
    }
  }
  const segments = partition(text);
  // older normalisation wrote "1.0.0-beta.1" as "1.0.0.pre.beta.1": skip such a redundant "pre"
  return segments.filter((segment, i) => {
    const next = segments[i + 1];
    return !('word' in segment && segment.word === 'pre' && next !== undefined && 'word' in next);
  });
}

export function tryParseGem(input: string): GemVersion | string {
  if (input.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  const text = trimWith(input, isCSpaceCode);
  // Gem::Version reads "" as "0"; an empty version in package metadata is missing data, not 0
  if (text === '') return 'empty version';
  if (!VERSION.test(text)) {
    if (!isDigitCode(text.charCodeAt(0))) return 'must start with a number';
    if (/\.\.|\.$|\.-|-\./.test(text)) return 'empty segment between separators';
    return 'expected numbers and ASCII letters separated by "." with an optional "-prerelease", e.g. "1.2.3" or "1.0.0-rc.1"';
  }
  const version = normalizeHyphens(text);
  const prerelease = /[a-zA-Z]/.test(version);
  return { version, segments: partition(version), canonical: canonicalSegments(version, prerelease), prerelease };
}

export const parseGem = memoize((input: string): GemVersion => {
  const parsed = tryParseGem(input);
  if (typeof parsed === 'string') throw new InvalidVersionError('rubygems', shown(input), parsed, { hint: HINT });
  return parsed;
});

function isZero(segment: Segment): boolean {
  return 'number' in segment && segment.number === '0';
}

/** Gem::Version#<=> over canonical segments. */
export function compareParsedGem(a: GemVersion, b: GemVersion): Ordering {
  if (a.version === b.version) return 0;
  const left = a.canonical;
  const right = b.canonical;
  const common = Math.min(left.length, right.length);
  for (let i = 0; i < common; i++) {
    const x = left[i];
    const y = right[i];
    if (x === undefined || y === undefined) break;
    if ('number' in x) {
      if ('number' in y) {
        const order = compareDigits(x.number, y.number);
        if (order !== 0) return order;
      } else return 1;
    } else if ('number' in y) return -1;
    else if (x.word !== y.word) return x.word < y.word ? -1 : 1;
  }
  // the longer version decides by its first extra segment: a word makes it older, a non-zero number newer
  const [longer, sign] = left.length > right.length ? ([left, 1] as const) : ([right, -1] as const);
  for (const extra of longer.slice(common)) {
    if ('word' in extra) return sign === 1 ? -1 : 1;
    if (!isZero(extra)) return sign;
  }
  return 0;
}

export function compareGem(a: string, b: string): Ordering {
  return compareParsedGem(parseGem(a), parseGem(b));
}

function joinSegments(segments: readonly Segment[]): string {
  return segments.map((s) => ('number' in s ? s.number : s.word)).join('.');
}

/** Gem::Version#release: the version without its pre-release words. */
export function release(v: GemVersion): GemVersion {
  if (!v.prerelease) return v;
  const segments = [...v.segments];
  while (segments.some((s) => 'word' in s)) segments.pop();
  return parseGem(joinSegments(segments));
}

/** Gem::Version#bump: drop words and the last number, then increment ("5.3.1" → "5.4"). */
export function bump(v: GemVersion): GemVersion {
  const segments = [...v.segments];
  while (segments.some((s) => 'word' in s)) segments.pop();
  if (segments.length > 1) segments.pop();
  const last = segments.pop();
  const next = last !== undefined && 'number' in last ? incrementDigits(last.number) : '1';
  return parseGem(joinSegments([...segments, { number: next }]));
}

type GemOp = '=' | '!=' | '>' | '<' | '>=' | '<=' | '~>';

const REQUIREMENT_SYNTAX: ClauseSyntax<GemOp> = {
  scheme: 'rubygems',
  ops: ['=', '!=', '>', '<', '>=', '<=', '~>'],
  defaultOp: '=',
  hint: RANGE_HINT,
};

function parseRequirement(range: string): Array<Clause<GemOp> & { parsed: GemVersion }> {
  return parseClauses<GemOp>(range, REQUIREMENT_SYNTAX).map((clause) => {
    const parsed = tryParseGem(clause.version);
    if (typeof parsed === 'string') throw new InvalidRangeError('rubygems', shown(range), `version "${shown(clause.version)}" after "${clause.op}": ${parsed}`, { hint: HINT });
    return { ...clause, parsed };
  });
}

function holds(clause: Clause<GemOp> & { parsed: GemVersion }, version: GemVersion): boolean {
  const order = compareParsedGem(version, clause.parsed);
  switch (clause.op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '>':
      return order > 0;
    case '<':
      return order < 0;
    case '>=':
      return order >= 0;
    case '<=':
      return order <= 0;
    case '~>':
      // pessimistic: at least r, below r.bump ("~> 3.5.0" is >= 3.5.0, < 3.6)
      return order >= 0 && compareParsedGem(release(version), bump(clause.parsed)) < 0;
  }
}

export function satisfiesGem(version: string, range: string): boolean {
  const parsed = parseGem(version);
  return parseRequirement(range).every((clause) => holds(clause, parsed));
}

function segmentPieces(segments: readonly Segment[]): Array<number | string> {
  return segments.map((s) => ('word' in s ? s.word : s.number.length <= 15 ? Number(s.number) : s.number));
}

export const rubygems: VersionScheme = {
  id: 'rubygems',
  title: 'RubyGems (Gem::Version)',
  spec: 'https://github.com/ruby/rubygems/blob/master/lib/rubygems/version.rb',
  options: [],
  isValid: (version) => typeof tryParseGem(version) !== 'string',
  compare: compareGem,
  explain(version): Pieces {
    const v = parseGem(version);
    return { normalized: v.version, segments: segmentPieces(v.segments), canonical: segmentPieces(v.canonical), prerelease: v.prerelease, release: release(v).version };
  },
  ranges: {
    syntax: 'Gem requirements, comma-separated and all required: = != > < >= <= ~> (a bare version means =)',
    satisfies: satisfiesGem,
    explain(range): Pieces {
      return {
        clauses: parseRequirement(range).map((clause) => ({
          op: clause.op,
          version: clause.version,
          ...(clause.op === '~>' ? { below: bump(clause.parsed).version } : {}),
        })),
      };
    },
  },
};
