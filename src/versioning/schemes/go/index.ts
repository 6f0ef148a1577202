/**
 * Go module versions, as golang.org/x/mod/semver and golang.org/x/mod/module read them: semantic versions
 * with a required "v" ("v1.2.3", shorthands "v1" = v1.0.0 and "v1.2" = v1.2.0), build metadata ignored
 * (so "+incompatible" does not change order), and pseudo-versions — vX.0.0-yyyymmddhhmmss-abcdef123456,
 * vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456, vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456 — which are
 * ordinary pre-releases and sort just above the version they were derived from.
 */
import { InvalidVersionError } from '../../../core/errors.js';
import { compareDigits, incrementDigits, isAsciiLetterCode, isDigitCode, memoize, shown } from '../../common.js';
import type { Ordering, Pieces, VersionScheme } from '../../types.js';

const HINT = 'A Go module version is vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. "v1.2.3" or "v0.0.0-20191109021931-daa7c04131f5"; OSV records leave out the "v".';
const MAX_LENGTH = 1024;

export interface PseudoVersion {
  /** The tagged version the pseudo-version builds on ("" for vX.0.0-…, which has none; null when it cannot be derived). */
  readonly base: string | null;
  /** yyyymmddhhmmss, UTC. */
  readonly timestamp: string;
  /** The timestamp as ISO 8601, or null when it is not a real date. */
  readonly time: string | null;
  readonly revision: string;
}

export interface GoVersion {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** With its leading "-", or "". */
  readonly prerelease: string;
  /** With its leading "+", or "". */
  readonly build: string;
  /** vMAJOR.MINOR.PATCH[-PRERELEASE]: semver.Canonical. */
  readonly canonical: string;
  readonly pseudo: PseudoVersion | undefined;
  /** Pre-release identifiers, split once for comparison. */
  readonly identifiers: readonly string[];
}

function isIdentCode(code: number): boolean {
  return isDigitCode(code) || isAsciiLetterCode(code) || code === 45;
}

/** A numeric identifier with a leading zero ("01") is not allowed in a pre-release. */
function isBadNumber(ident: string): boolean {
  return ident.length > 1 && ident.charCodeAt(0) === 48 && /^[0-9]+$/.test(ident);
}

interface Cursor {
  readonly text: string;
  pos: number;
}

function number(c: Cursor, name: string): string {
  const start = c.pos;
  while (isDigitCode(c.text.charCodeAt(c.pos))) c.pos++;
  const digits = c.text.slice(start, c.pos);
  if (digits === '') throw new Error(`expected the ${name} number at offset ${start}`);
  if (digits.length > 1 && digits.charCodeAt(0) === 48) throw new Error(`${name} number "${digits}" has a leading zero`);
  return digits;
}

/** Dot-separated identifiers of [0-9A-Za-z-] after "-" or "+", up to "+" (pre-release) or the end. */
function identifiers(c: Cursor, kind: 'pre-release' | 'build'): string {
  const start = c.pos;
  c.pos++;
  let identStart = c.pos;
  for (; c.pos < c.text.length && !(kind === 'pre-release' && c.text.charCodeAt(c.pos) === 43); c.pos++) {
    const code = c.text.charCodeAt(c.pos);
    if (code === 46) {
      if (identStart === c.pos) throw new Error(`empty ${kind} identifier at offset ${c.pos}`);
      if (kind === 'pre-release' && isBadNumber(c.text.slice(identStart, c.pos))) throw new Error(`numeric ${kind} identifier "${c.text.slice(identStart, c.pos)}" has a leading zero`);
      identStart = c.pos + 1;
    } else if (!isIdentCode(code)) {
      throw new Error(`invalid character ${JSON.stringify(c.text.charAt(c.pos))} in ${kind} (allowed: ASCII letters, digits, "-" and ".")`);
    }
  }
  if (identStart === c.pos) throw new Error(`empty ${kind} identifier at offset ${c.pos}`);
  if (kind === 'pre-release' && isBadNumber(c.text.slice(identStart, c.pos))) throw new Error(`numeric ${kind} identifier "${c.text.slice(identStart, c.pos)}" has a leading zero`);
  return c.text.slice(start, c.pos);
}

/** golang.org/x/mod/semver's parse, as a linear scanner. */
function parseParts(input: string): Omit<GoVersion, 'pseudo' | 'canonical' | 'identifiers'> {
  if (input === '') throw new Error('empty version');
  if (input.charCodeAt(0) !== 118) throw new Error(/^[0-9]/.test(input) ? 'missing the leading "v" (Go writes v1.2.3; OSV records omit it)' : 'must start with "v"');
  const c: Cursor = { text: input, pos: 1 };
  const major = number(c, 'major');
  if (c.pos === input.length) return { major, minor: '0', patch: '0', prerelease: '', build: '' };
  if (input.charCodeAt(c.pos) !== 46) throw new Error(`expected "." after the major number at offset ${c.pos} (shorthands v1 and v1.2 take no suffix)`);
  c.pos++;
  const minor = number(c, 'minor');
  if (c.pos === input.length) return { major, minor, patch: '0', prerelease: '', build: '' };
  if (input.charCodeAt(c.pos) !== 46) throw new Error(`expected "." after the minor number at offset ${c.pos} (shorthands v1 and v1.2 take no suffix)`);
  c.pos++;
  const patch = number(c, 'patch');
  const prerelease = input.charCodeAt(c.pos) === 45 ? identifiers(c, 'pre-release') : '';
  const build = input.charCodeAt(c.pos) === 43 ? identifiers(c, 'build') : '';
  if (c.pos !== input.length) throw new Error(`unexpected ${JSON.stringify(input.charAt(c.pos))} at offset ${c.pos}`);
  return { major, minor, patch, prerelease, build };
}

function timeOf(timestamp: string): string | null {
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((at, i) => Number(timestamp.slice(at, at + (i === 0 ? 4 : 2))));
  const date = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0));
  const iso = `${timestamp.slice(0, 4)}-${timestamp.slice(4, 6)}-${timestamp.slice(6, 8)}T${timestamp.slice(8, 10)}:${timestamp.slice(10, 12)}:${timestamp.slice(12, 14)}Z`;
  return Number.isNaN(date.getTime()) || date.toISOString().replace('.000Z', 'Z') !== iso ? null : iso;
}

/** Decrement a decimal string ("100" → "99"); null for "0". */
function decDecimal(digits: string): string | null {
  if (/^0+$/.test(digits)) return null;
  const out = digits.split('');
  let i = out.length - 1;
  while (out[i] === '0') out[i--] = '9';
  out[i] = String(Number(out[i]) - 1);
  const joined = out.join('');
  return joined.length > 1 && joined.startsWith('0') ? joined.slice(1) : joined;
}

/** module.IsPseudoVersion plus PseudoVersionBase/Time/Rev, on an already valid version. */
function pseudoParts(v: Omit<GoVersion, 'pseudo' | 'canonical' | 'identifiers'>): PseudoVersion | undefined {
  const pre = v.prerelease.slice(1);
  const dash = pre.lastIndexOf('-');
  if (dash < 0) return undefined;
  const revision = pre.slice(dash + 1);
  const rest = pre.slice(0, dash);
  if (!/^[A-Za-z0-9]+$/.test(revision)) return undefined;
  const major = `v${v.major}`;
  // vX.0.0-yyyymmddhhmmss-rev: no tagged version before it
  if (v.minor === '0' && v.patch === '0' && /^[0-9]{14}$/.test(rest)) {
    return { base: v.build === '' ? '' : null, timestamp: rest, time: timeOf(rest), revision };
  }
  const timestamp = rest.slice(-14);
  const lead = rest.slice(0, -14);
  if (!/^[0-9]{14}$/.test(timestamp) || !(lead === '0.' || lead.endsWith('.0.'))) return undefined;
  let base: string | null;
  if (lead === '0.') {
    // vX.Y.(Z+1)-0.yyyymmddhhmmss-rev builds on vX.Y.Z
    const patch = decDecimal(v.patch);
    base = patch === null ? null : `${major}.${v.minor}.${patch}${v.build}`;
  } else {
    // vX.Y.Z-pre.0.yyyymmddhhmmss-rev builds on vX.Y.Z-pre
    base = `${major}.${v.minor}.${v.patch}-${lead.slice(0, -3)}${v.build}`;
  }
  return { base, timestamp, time: timeOf(timestamp), revision };
}

export function tryParseGo(input: string): GoVersion | string {
  if (input.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  try {
    const parts = parseParts(input);
    const canonical = `v${parts.major}.${parts.minor}.${parts.patch}${parts.prerelease}`;
    return { ...parts, canonical, pseudo: pseudoParts(parts), identifiers: parts.prerelease === '' ? [] : parts.prerelease.slice(1).split('.') };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export const parseGo = memoize((input: string): GoVersion => {
  const parsed = tryParseGo(input);
  if (typeof parsed === 'string') throw new InvalidVersionError('go', shown(input), parsed, { hint: HINT });
  return parsed;
});

const NUMERIC = /^[0-9]+$/;

/** semver.comparePrerelease: identifiers left to right, numbers before words, a release after its pre-releases. */
function comparePrerelease(a: GoVersion, b: GoVersion): Ordering {
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  for (let i = 0; ; i++) {
    const dx = a.identifiers[i];
    const dy = b.identifiers[i];
    if (dx === undefined || dy === undefined) return dx === dy ? 0 : dx === undefined ? -1 : 1;
    if (dx === dy) continue;
    const nx = NUMERIC.test(dx);
    const ny = NUMERIC.test(dy);
    if (nx !== ny) return nx ? -1 : 1;
    if (nx) return compareDigits(dx, dy);
    return dx < dy ? -1 : 1;
  }
}

export function compareParsedGo(a: GoVersion, b: GoVersion): Ordering {
  return compareDigits(a.major, b.major) || compareDigits(a.minor, b.minor) || compareDigits(a.patch, b.patch) || comparePrerelease(a, b);
}

export function compareGo(a: string, b: string): Ordering {
  return compareParsedGo(parseGo(a), parseGo(b));
}

export function isPseudoVersion(version: string): boolean {
  const parsed = tryParseGo(version);
  return typeof parsed !== 'string' && parsed.pseudo !== undefined;
}

/** module.PseudoVersion: the pseudo-version for a commit made at `time` after the tag `older` ("" for none). */
export function pseudoVersion(major: string, older: string, time: Date, revision: string): string {
  const stamp = time.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const segment = `${stamp}-${revision}`;
  const parsed = older === '' ? undefined : tryParseGo(older);
  if (parsed === undefined || typeof parsed === 'string') return `${major === '' ? 'v0' : major}.0.0-${segment}`;
  if (parsed.prerelease !== '') return `${parsed.canonical}.0.${segment}${parsed.build}`;
  return `v${parsed.major}.${parsed.minor}.${incrementDigits(parsed.patch)}-0.${segment}${parsed.build}`;
}

function numeric(digits: string): number | string {
  return digits.length <= 15 ? Number(digits) : digits;
}

export const go: VersionScheme = {
  id: 'go',
  title: 'Go modules',
  spec: 'https://go.dev/ref/mod#versions',
  options: [],
  isValid: (version) => typeof tryParseGo(version) !== 'string',
  compare: compareGo,
  explain(version): Pieces {
    const v = parseGo(version);
    return {
      major: numeric(v.major),
      minor: numeric(v.minor),
      patch: numeric(v.patch),
      prerelease: v.prerelease === '' ? null : v.prerelease.slice(1),
      build: v.build === '' ? null : v.build.slice(1),
      canonical: v.canonical,
      incompatible: v.build === '+incompatible',
      pseudo: v.pseudo === undefined ? null : { ...v.pseudo },
    };
  },
  ranges: undefined,
};
