/**
 * SemVer 2.0.0 versions as node-semver reads them (the npm registry's reference implementation):
 * strict MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] with an optional leading "v", or node-semver's loose form
 * ("=1.2.3", "v 1.2.3", "1.2.3beta", leading zeros). Build metadata never affects order.
 * The grammar pieces are shared with range.ts; quantifiers are bounded like node-semver's "safe" regexes.
 */
import { InvalidVersionError } from '../../../core/errors.js';
import { memoize, shown } from '../../common.js';
import type { Ordering } from '../../types.js';

export const MAX_LENGTH = 256;
const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
/** Longest identifier run that fits in MAX_LENGTH after "0.0.0+". */
const MAX_IDENT = MAX_LENGTH - 6;

export const HINT = 'A semver version is MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. "1.2.3" or "2.0.0-rc.1" (https://semver.org).';

// Grammar pieces (source strings), bounded so that no input can make a regex backtrack badly.
const DIGITS = `\\d{1,${MAX_LENGTH}}`;
const NUMBER = `0|[1-9]\\d{0,${MAX_LENGTH}}`;
const NON_NUMBER = `\\d{0,${MAX_LENGTH}}[a-zA-Z-][a-zA-Z0-9-]{0,${MAX_IDENT}}`;
const IDENT = `[a-zA-Z0-9-]{1,${MAX_IDENT}}`;
export const SRC = {
  number: NUMBER,
  numberLoose: DIGITS,
  prerelease: `(?:-((?:${NON_NUMBER}|${NUMBER})(?:\\.(?:${NON_NUMBER}|${NUMBER}))*))`,
  // loose: the "-" is optional ("1.2.3beta") and numeric identifiers may have leading zeros
  prereleaseLoose: `(?:-?((?:${NON_NUMBER}|${DIGITS})(?:\\.(?:${NON_NUMBER}|${DIGITS}))*))`,
  build: `(?:\\+(${IDENT}(?:\\.${IDENT})*))`,
} as const;
export const FULL_PLAIN = `v?(${SRC.number})\\.(${SRC.number})\\.(${SRC.number})${SRC.prerelease}?${SRC.build}?`;
export const LOOSE_PLAIN = `[v=\\s]*(${SRC.numberLoose})\\.(${SRC.numberLoose})\\.(${SRC.numberLoose})${SRC.prereleaseLoose}?${SRC.build}?`;
const FULL = new RegExp(`^${FULL_PLAIN}$`);
const LOOSE = new RegExp(`^${LOOSE_PLAIN}$`);

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Numeric identifiers as numbers (below 2^53 - 1), others as strings. */
  readonly prerelease: ReadonlyArray<string | number>;
  readonly build: readonly string[];
  /** MAJOR.MINOR.PATCH[-PRERELEASE], as node-semver formats it. */
  readonly version: string;
}

function numberPart(text: string, name: string): number | string {
  const value = Number(text);
  return value > MAX_SAFE_INTEGER ? `${name} version ${text} is larger than ${MAX_SAFE_INTEGER}` : value;
}

/** Parse a version or return why it is not one. */
export function tryParseSemver(input: string, loose: boolean): SemVer | string {
  if (input.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  const match = input.trim().match(loose ? LOOSE : FULL);
  if (match === null) return diagnose(input.trim(), loose);
  const major = numberPart(match[1] ?? '', 'major');
  const minor = numberPart(match[2] ?? '', 'minor');
  const patch = numberPart(match[3] ?? '', 'patch');
  if (typeof major === 'string') return major;
  if (typeof minor === 'string') return minor;
  if (typeof patch === 'string') return patch;
  const pre = match[4];
  const prerelease = pre === undefined || pre === '' ? [] : pre.split('.').map(prereleaseIdentifier);
  const build = match[5] === undefined || match[5] === '' ? [] : match[5].split('.');
  const version = `${major}.${minor}.${patch}${prerelease.length > 0 ? `-${prerelease.join('.')}` : ''}`;
  return { major, minor, patch, prerelease, build, version };
}

function prereleaseIdentifier(id: string): string | number {
  if (/^[0-9]+$/.test(id)) {
    const value = Number(id);
    if (value >= 0 && value < MAX_SAFE_INTEGER) return value;
  }
  return id;
}

/** A specific reason for the common mistakes; the grammar otherwise. */
function diagnose(text: string, loose: boolean): string {
  if (text === '') return 'empty version';
  const core = text.replace(/^v/, '').split(/[-+]/)[0] ?? '';
  const parts = core.split('.');
  if (/^[0-9.]+$/.test(core) && parts.length !== 3) return `expected three numbers MAJOR.MINOR.PATCH, got ${parts.length}`;
  if (!loose && parts.some((part) => /^0[0-9]+$/.test(part))) return 'numbers must not have leading zeros (the loose option accepts them)';
  if (!loose && /^[=\s]|^v\s/.test(text)) return 'a leading "=" or space is only accepted with the loose option';
  if (!loose && /^v?[0-9]+\.[0-9]+\.[0-9]+[a-zA-Z]/.test(text)) return 'a pre-release needs a "-" before it, e.g. "1.0.0-beta" (the loose option accepts "1.0.0beta")';
  return 'expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] with ASCII letters, digits and "-" in identifiers';
}

const parseStrict = memoize((input: string): SemVer => {
  const parsed = tryParseSemver(input, false);
  if (typeof parsed === 'string') throw new InvalidVersionError('semver', shown(input), parsed, { hint: HINT });
  return parsed;
});

const parseLoose = memoize((input: string): SemVer => {
  const parsed = tryParseSemver(input, true);
  if (typeof parsed === 'string') throw new InvalidVersionError('semver', shown(input), parsed, { hint: `${HINT} Loose mode also accepts "=1.2.3" and "1.2.3beta".` });
  return parsed;
});

export function parseSemver(input: string, loose = false): SemVer {
  return loose ? parseLoose(input) : parseStrict(input);
}

const NUMERIC = /^[0-9]+$/;

/** node-semver's compareIdentifiers: numeric identifiers sort before alphanumeric ones. */
function compareIdentifiers(a: string | number, b: string | number): Ordering {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  const aNumeric = NUMERIC.test(String(a));
  const bNumeric = NUMERIC.test(String(b));
  let x = a;
  let y = b;
  if (aNumeric && bNumeric) {
    x = Number(a);
    y = Number(b);
  }
  if (x === y) return 0;
  if (aNumeric && !bNumeric) return -1;
  if (bNumeric && !aNumeric) return 1;
  return x < y ? -1 : 1;
}

export function compareParsedSemver(a: SemVer, b: SemVer): Ordering {
  if (a.version === b.version) return 0;
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const pa = a.prerelease;
  const pb = b.prerelease;
  // a release sorts after all of its pre-releases
  if (pa.length === 0 || pb.length === 0) return pa.length === pb.length ? 0 : pa.length === 0 ? 1 : -1;
  for (let i = 0; ; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? -1 : 1;
    if (x !== y) return compareIdentifiers(x, y);
  }
}

export function compareSemver(a: string, b: string, loose = false): Ordering {
  return compareParsedSemver(parseSemver(a, loose), parseSemver(b, loose));
}
