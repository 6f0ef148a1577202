/**
 * NuGet package versions and version ranges, following NuGet.Client's NuGet.Versioning
 * (NuGetVersion.TryParse, VersionComparer.Default, VersionRange.Parse/Satisfies) and
 * https://learn.microsoft.com/nuget/concepts/package-versioning. A version is SemVer 2.0.0 with an
 * optional fourth number: MAJOR.MINOR[.PATCH[.REVISION]][-LABEL.LABEL][+METADATA]. Missing numbers are 0,
 * leading zeros are ignored, metadata never counts, and pre-release labels compare case-insensitively.
 */
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { MAX_RANGE_LENGTH } from '../../constraints.js';
import { compareDigits, isAsciiLetterCode, isDigitCode, memoize, shown, stripZeros } from '../../common.js';
import type { Ordering, Pieces, VersionScheme } from '../../types.js';

const HINT = 'A NuGet version is MAJOR.MINOR[.PATCH[.REVISION]][-PRERELEASE][+METADATA], e.g. "13.0.3", "6.0.0-preview.7" or "4.2.0.1".';
const RANGE_HINT = 'NuGet ranges: "1.0" (at least 1.0), "[1.0,2.0)", "(,1.0]", "[1.0]"; floating versions like "1.*" are not ranges to match against.';
const MAX_LENGTH = 1024;
const INT32_MAX = '2147483647';

export interface NuGetVersion {
  /** Four numbers without leading zeros (missing ones are "0"). */
  readonly numbers: readonly [string, string, string, string];
  readonly labels: readonly string[];
  /** Comparison keys of the labels: the Int32 value of a numeric label, else the label in upper case. */
  readonly labelKeys: ReadonlyArray<number | string>;
  readonly metadata: string | undefined;
  /** NuGet's normalised form: three numbers, the fourth only when not 0, labels, no metadata. */
  readonly normalized: string;
}

function isLabelCode(code: number): boolean {
  return isDigitCode(code) || isAsciiLetterCode(code) || code === 45;
}

/** SemanticVersion.IsValidPart: non-empty [0-9A-Za-z-], and no leading zero in a numeric label. */
function checkPart(part: string, what: string, allowLeadingZeros: boolean): string | undefined {
  if (part === '') return `empty ${what} identifier`;
  for (let i = 0; i < part.length; i++) {
    if (!isLabelCode(part.charCodeAt(i))) return `invalid character ${JSON.stringify(part.charAt(i))} in ${what} "${part}" (allowed: ASCII letters, digits and "-")`;
  }
  if (!allowLeadingZeros && part.length > 1 && part.charCodeAt(0) === 48 && /^[0-9]+$/.test(part)) return `numeric ${what} "${part}" has a leading zero`;
  return undefined;
}

export function tryParseNuGet(input: string): NuGetVersion | string {
  if (input.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  const text = input.trim();
  if (text === '') return 'empty version';
  // ParseSections: the numbers end at the first "-" or "+"; labels end at the first "+"
  const dash = text.search(/[-+]/);
  const core = dash < 0 ? text : text.slice(0, dash);
  let labelText: string | undefined;
  let metadata: string | undefined;
  if (dash >= 0) {
    const rest = text.slice(dash + 1);
    if (text.charAt(dash) === '+') metadata = rest;
    else {
      const plus = rest.indexOf('+');
      labelText = plus < 0 ? rest : rest.slice(0, plus);
      metadata = plus < 0 ? undefined : rest.slice(plus + 1);
    }
  }
  const parts = core.split('.');
  if (parts.length > 4) return `${parts.length} numbers; NuGet allows at most four (MAJOR.MINOR.PATCH.REVISION)`;
  const numbers: string[] = [];
  for (const part of parts) {
    if (!/^[0-9]+$/.test(part)) return part === '' ? 'empty number between dots' : `"${part}" is not a number`;
    const digits = stripZeros(part);
    if (compareDigits(digits, INT32_MAX) > 0) return `${part} is larger than ${INT32_MAX}`;
    numbers.push(digits);
  }
  while (numbers.length < 4) numbers.push('0');
  const labels = labelText === undefined ? [] : labelText.split('.');
  for (const label of labelText === undefined ? [] : labels) {
    const problem = checkPart(label, 'pre-release label', false);
    if (problem !== undefined) return problem;
  }
  if (metadata !== undefined) {
    for (const part of metadata.split('.')) {
      const problem = checkPart(part, 'metadata', true);
      if (problem !== undefined) return problem;
    }
  }
  const [major = '0', minor = '0', patch = '0', revision = '0'] = numbers;
  const normalized = `${major}.${minor}.${patch}${revision === '0' ? '' : `.${revision}`}${labels.length > 0 ? `-${labels.join('.')}` : ''}`;
  return { numbers: [major, minor, patch, revision], labels, labelKeys: labels.map((label) => labelNumber(label) ?? label.toUpperCase()), metadata, normalized };
}

export const parseNuGet = memoize((input: string): NuGetVersion => {
  const parsed = tryParseNuGet(input);
  if (typeof parsed === 'string') throw new InvalidVersionError('nuget', shown(input), parsed, { hint: HINT });
  return parsed;
});

/** int.TryParse on a label: an optional "-" and digits within Int32. */
function labelNumber(label: string): number | undefined {
  if (!/^-?[0-9]{1,10}$/.test(label)) return undefined;
  const value = Number(label);
  return value >= -2147483648 && value <= 2147483647 ? value : undefined;
}

/** VersionComparer.CompareRelease on label keys: numbers numerically and before words; words ignoring case. */
function compareLabel(x: number | string, y: number | string): Ordering {
  if (x === y) return 0;
  if (typeof x === 'number') return typeof y === 'number' && x > y ? 1 : -1;
  if (typeof y === 'number') return 1;
  return x < y ? -1 : 1;
}

export function compareParsedNuGet(a: NuGetVersion, b: NuGetVersion): Ordering {
  for (let i = 0; i < 4; i++) {
    const order = compareDigits(a.numbers[i] ?? '0', b.numbers[i] ?? '0');
    if (order !== 0) return order;
  }
  if (a.labels.length === 0 || b.labels.length === 0) return a.labels.length === b.labels.length ? 0 : a.labels.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.labelKeys.length, b.labelKeys.length); i++) {
    const x = a.labelKeys[i];
    const y = b.labelKeys[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const order = compareLabel(x, y);
    if (order !== 0) return order;
  }
  return 0;
}

export function compareNuGet(a: string, b: string): Ordering {
  return compareParsedNuGet(parseNuGet(a), parseNuGet(b));
}

export interface NuGetRange {
  readonly min: NuGetVersion | undefined;
  readonly minInclusive: boolean;
  readonly max: NuGetVersion | undefined;
  readonly maxInclusive: boolean;
}

/** VersionRange.TryParse without floating ranges. */
export function parseNuGetRange(range: string): NuGetRange {
  const fail = (reason: string): InvalidRangeError => new InvalidRangeError('nuget', shown(range), reason, { hint: RANGE_HINT });
  if (range.length > MAX_RANGE_LENGTH) throw fail(`longer than ${MAX_RANGE_LENGTH} characters`);
  const text = range.trim();
  if (text === '') throw fail('empty range');
  if (text.includes('*')) throw fail('floating versions ("1.*") pick a version to restore; they are not a range to match against');
  const version = (part: string): NuGetVersion => {
    const parsed = tryParseNuGet(part);
    if (typeof parsed === 'string') throw fail(`version "${shown(part.trim())}": ${parsed}`);
    return parsed;
  };
  const first = text.charAt(0);
  if (first !== '[' && first !== '(') return { min: version(text), minInclusive: true, max: undefined, maxInclusive: false };
  const last = text.charAt(text.length - 1);
  if (last !== ']' && last !== ')') throw fail('a range starting with "[" or "(" must end with "]" or ")"');
  const minInclusive = first === '[';
  const maxInclusive = last === ']';
  const parts = text.slice(1, -1).split(',');
  if (parts.length > 2) throw fail('more than two versions between the brackets');
  if (parts.every((part) => part.trim() === '')) throw fail('neither a lower nor an upper bound');
  if (parts.length === 1 && !(minInclusive && maxInclusive)) throw fail('a single version must be written [1.0]');
  const minText = parts[0] ?? '';
  const maxText = parts.length === 2 ? (parts[1] ?? '') : minText;
  const min = minText.trim() === '' ? undefined : version(minText);
  const max = maxText.trim() === '' ? undefined : version(maxText);
  if (min !== undefined && max !== undefined) {
    const order = compareParsedNuGet(min, max);
    if (order > 0) throw fail('the lower bound is above the upper bound');
    if (order === 0 && minInclusive !== maxInclusive) throw fail('the bounds are equal but only one is inclusive');
  }
  return { min, minInclusive, max, maxInclusive };
}

/** VersionRangeBase.Satisfies with the default comparer. */
export function satisfiesNuGet(version: string, range: string): boolean {
  const v = parseNuGet(version);
  const r = parseNuGetRange(range);
  if (r.min !== undefined) {
    const order = compareParsedNuGet(r.min, v);
    if (order > 0 || (order === 0 && !r.minInclusive)) return false;
  }
  if (r.max !== undefined) {
    const order = compareParsedNuGet(r.max, v);
    if (order < 0 || (order === 0 && !r.maxInclusive)) return false;
  }
  return true;
}

export const nuget: VersionScheme = {
  id: 'nuget',
  title: 'NuGet (NuGet.Versioning)',
  spec: 'https://learn.microsoft.com/nuget/concepts/package-versioning',
  options: [],
  isValid: (version) => typeof tryParseNuGet(version) !== 'string',
  compare: compareNuGet,
  explain(version): Pieces {
    const v = parseNuGet(version);
    const [major, minor, patch, revision] = v.numbers.map(Number);
    return { major: major ?? 0, minor: minor ?? 0, patch: patch ?? 0, revision: revision ?? 0, prerelease: v.labels, metadata: v.metadata ?? null, normalized: v.normalized };
  },
  ranges: {
    syntax: 'NuGet version ranges: 1.0 (>= 1.0), [1.0,2.0), (1.0,), (,1.0], [1.0]',
    satisfies: satisfiesNuGet,
    explain(range): Pieces {
      const r = parseNuGetRange(range);
      return { min: r.min?.normalized ?? null, minInclusive: r.minInclusive, max: r.max?.normalized ?? null, maxInclusive: r.maxInclusive };
    },
  },
};
