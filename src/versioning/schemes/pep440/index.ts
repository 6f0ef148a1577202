/**
 * Python package versions and version specifiers, PEP 440 (https://peps.python.org/pep-0440/), read as
 * pypa/packaging reads them: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], case-insensitive, with the
 * alternative spellings normalised ("1.0-ALPHA.1" = "1.0a1", "1.0-5" = "1.0.post5", "v1.0" = "1.0").
 * Order: epoch, release (trailing zeros ignored), then dev-only < pre < release < post, dev before the
 * release it belongs to, and a local label sorts after the same public version.
 */
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { MAX_RANGE_LENGTH } from '../../constraints.js';
import { compareDigits, isDigitCode, memoize, shown, stripZeros, trimWith } from '../../common.js';
import type { Ordering, Pieces, RangeOptions, VersionScheme } from '../../types.js';

const HINT = 'A PEP 440 version is [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], e.g. "2.31.0", "1.0rc1" or "1!2.0.post1".';
const RANGE_HINT = 'PEP 440 specifiers are comma-separated clauses: "~=2.2", "==1.4.*", "!=1.5.0", ">=1.0, <2.0", "===1.0-custom".';
const MAX_LENGTH = 1024;

type PreLabel = 'a' | 'b' | 'rc';

export interface Pep440Version {
  /** Digit strings without leading zeros. */
  readonly epoch: string;
  readonly release: readonly string[];
  readonly pre: readonly [PreLabel, string] | undefined;
  readonly post: string | undefined;
  readonly dev: string | undefined;
  /** Lower-case segments of the local label, "-" and "_" read as ".". */
  readonly local: readonly string[] | undefined;
  /** The canonical spelling (packaging's str(Version)). */
  readonly normalized: string;
  /** Release without trailing zeros, for ordering. */
  readonly releaseKey: readonly string[];
}

/** Python's str.isspace(): the characters packaging strips around a version. */
function isPythonSpace(code: number): boolean {
  return (
    (code >= 9 && code <= 13) ||
    (code >= 28 && code <= 32) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

// spellings as packaging's regex lists them; each maps to its canonical label
const PRE_SPELLINGS = ['alpha', 'a', 'beta', 'b', 'preview', 'pre', 'c', 'rc'] as const;
const PRE_LABEL: Readonly<Record<(typeof PRE_SPELLINGS)[number], PreLabel>> = { alpha: 'a', a: 'a', beta: 'b', b: 'b', preview: 'rc', pre: 'rc', c: 'rc', rc: 'rc' };
const POST_LABELS = ['post', 'rev', 'r'] as const;

interface Scan {
  readonly text: string;
  pos: number;
}

function peek(s: Scan, offset = 0): number {
  return s.text.charCodeAt(s.pos + offset);
}

/** An optional "-", "_" or "." (PEP 440 allows one between the parts). */
function separator(s: Scan): void {
  const code = peek(s);
  if (code === 45 || code === 95 || code === 46) s.pos++;
}

function digits(s: Scan): string | undefined {
  const start = s.pos;
  while (isDigitCode(peek(s))) s.pos++;
  return s.pos === start ? undefined : stripZeros(s.text.slice(start, s.pos));
}

/** The first of `words` (longest spellings listed first) that the text continues with. */
function word<W extends string>(s: Scan, words: readonly W[]): W | undefined {
  const found = words.find((candidate) => s.text.startsWith(candidate, s.pos));
  if (found !== undefined) s.pos += found.length;
  return found;
}

/** ASCII-only lower-casing: PEP 440 versions are ASCII, and "1.0+İ" must not become valid. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export function tryParsePep440(input: string): Pep440Version | string {
  if (input.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  const text = asciiLower(trimWith(input, isPythonSpace));
  if (text === '') return 'empty version';
  const s: Scan = { text, pos: 0 };
  if (peek(s) === 118) s.pos++; // "v"
  let first = digits(s);
  if (first === undefined) return 'must start with a number (the release), optionally after "v" or "N!"';
  let epoch = '0';
  if (peek(s) === 33) {
    s.pos++;
    epoch = first;
    first = digits(s);
    if (first === undefined) return 'expected the release number after the epoch "!"';
  }
  const release = [first];
  while (peek(s) === 46 && isDigitCode(peek(s, 1))) {
    s.pos++;
    release.push(digits(s) ?? '0');
  }
  // each optional part may start with a separator; when its label is missing nothing is consumed
  let pre: [PreLabel, string] | undefined;
  const beforePre = s.pos;
  separator(s);
  const preSpelling = word(s, PRE_SPELLINGS);
  if (preSpelling === undefined) s.pos = beforePre;
  else {
    separator(s);
    pre = [PRE_LABEL[preSpelling], digits(s) ?? '0'];
  }
  let post: string | undefined;
  if (peek(s) === 45 && isDigitCode(peek(s, 1))) {
    s.pos++;
    post = digits(s);
  } else {
    const beforePost = s.pos;
    separator(s);
    if (word(s, POST_LABELS) === undefined) s.pos = beforePost;
    else {
      separator(s);
      post = digits(s) ?? '0';
    }
  }
  let dev: string | undefined;
  const beforeDev = s.pos;
  separator(s);
  if (word(s, ['dev']) === undefined) s.pos = beforeDev;
  else {
    separator(s);
    dev = digits(s) ?? '0';
  }
  let local: string[] | undefined;
  if (peek(s) === 43) {
    const body = text.slice(s.pos + 1);
    if (!/^[a-z0-9]+(?:[-_.][a-z0-9]+)*$/.test(body)) return `local version label "${body}" must be letters and digits separated by ".", "-" or "_"`;
    local = body.split(/[-_.]/).map((part) => (/^[0-9]+$/.test(part) ? stripZeros(part) : part));
    s.pos = text.length;
  }
  if (s.pos < text.length) return `unexpected ${JSON.stringify(text.slice(s.pos, s.pos + 12))} at offset ${s.pos} (after the release come a/b/rc, .post, .dev and +local)`;
  const releaseKey = [...release];
  while (releaseKey.length > 0 && releaseKey[releaseKey.length - 1] === '0') releaseKey.pop();
  return { epoch, release, pre, post, dev, local, releaseKey, normalized: format(epoch, release, pre, post, dev, local) };
}

function format(epoch: string, release: readonly string[], pre: Pep440Version['pre'], post: string | undefined, dev: string | undefined, local: readonly string[] | undefined): string {
  let out = epoch === '0' ? '' : `${epoch}!`;
  out += release.join('.');
  if (pre !== undefined) out += `${pre[0]}${pre[1]}`;
  if (post !== undefined) out += `.post${post}`;
  if (dev !== undefined) out += `.dev${dev}`;
  if (local !== undefined) out += `+${local.join('.')}`;
  return out;
}

export const parsePep440 = memoize((input: string): Pep440Version => {
  const parsed = tryParsePep440(input);
  if (typeof parsed === 'string') throw new InvalidVersionError('pep440', shown(input), parsed, { hint: HINT });
  return parsed;
});

function compareOptional(a: string | undefined, b: string | undefined, missing: Ordering): Ordering {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? missing : (-missing as Ordering);
  return compareDigits(a, b);
}

/** packaging's _cmpkey rank of the pre-release slot: dev-only releases sort before every pre-release. */
function preRank(v: Pep440Version): number {
  if (v.pre !== undefined) return v.pre[0] === 'a' ? 1 : v.pre[0] === 'b' ? 2 : 3;
  return v.post === undefined && v.dev !== undefined ? 0 : 4;
}

function compareLocal(a: readonly string[] | undefined, b: readonly string[] | undefined): Ordering {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const xNumeric = isDigitCode(x.charCodeAt(0));
    const yNumeric = isDigitCode(y.charCodeAt(0));
    // numeric segments sort after alphanumeric ones, and as numbers
    if (xNumeric !== yNumeric) return xNumeric ? 1 : -1;
    const order = xNumeric ? compareDigits(x, y) : x === y ? 0 : x < y ? -1 : 1;
    if (order !== 0) return order;
  }
  return 0;
}

export function compareParsedPep440(a: Pep440Version, b: Pep440Version): Ordering {
  let order = compareDigits(a.epoch, b.epoch);
  if (order !== 0) return order;
  const ra = a.releaseKey;
  const rb = b.releaseKey;
  for (let i = 0; ; i++) {
    const x = ra[i];
    const y = rb[i];
    if (x === undefined || y === undefined) {
      if (x !== y) return x === undefined ? -1 : 1;
      break;
    }
    order = compareDigits(x, y);
    if (order !== 0) return order;
  }
  const rankA = preRank(a);
  const rankB = preRank(b);
  if (rankA !== rankB) return rankA < rankB ? -1 : 1;
  if (a.pre !== undefined && b.pre !== undefined) {
    order = compareDigits(a.pre[1], b.pre[1]);
    if (order !== 0) return order;
  }
  return compareOptional(a.post, b.post, -1) || compareOptional(a.dev, b.dev, 1) || compareLocal(a.local, b.local);
}

export function comparePep440(a: string, b: string): Ordering {
  return compareParsedPep440(parsePep440(a), parsePep440(b));
}

export function isPrerelease(v: Pep440Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

/** The public version: without the local label. */
export function publicVersion(v: Pep440Version): string {
  return format(v.epoch, v.release, v.pre, v.post, v.dev, undefined);
}

/** The base version: epoch and release only. */
export function baseVersion(v: Pep440Version): string {
  return format(v.epoch, v.release, undefined, undefined, undefined, undefined);
}

// ── specifiers (PEP 440 "Version specifiers", packaging.specifiers) ─────────────────────────────────

type SpecOp = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';
const SPEC_OPS: readonly SpecOp[] = ['===', '~=', '==', '!=', '<=', '>=', '<', '>'];

export type Specifier =
  /** "===": arbitrary equality; the text need not be a PEP 440 version */
  | { readonly op: '==='; readonly version: string; readonly parsed: Pep440Version | undefined; readonly wildcard: false }
  /** wildcard: "==1.4.*" / "!=1.4.*" */
  | { readonly op: Exclude<SpecOp, '==='>; readonly version: string; readonly parsed: Pep440Version; readonly wildcard: boolean };

function parseSpecifier(clause: string, range: string): Specifier {
  const fail = (reason: string): InvalidRangeError => new InvalidRangeError('pep440', shown(range), reason, { hint: RANGE_HINT });
  const op = SPEC_OPS.find((candidate) => clause.startsWith(candidate));
  if (op === undefined) throw fail(`clause "${shown(clause)}" has no operator: expected one of ${SPEC_OPS.join(' ')}`);
  const version = trimWith(clause.slice(op.length), isPythonSpace);
  if (version === '') throw fail(`operator "${op}" has no version after it`);
  if (op === '===') {
    if (/[\s;)]/.test(version)) throw fail(`arbitrary equality "${version}" may not contain white space, ";" or ")"`);
    const parsed = tryParsePep440(version);
    return { op, version, parsed: typeof parsed === 'string' ? undefined : parsed, wildcard: false };
  }
  for (let i = 0; i < version.length; i++) {
    if (isPythonSpace(version.charCodeAt(i))) throw fail(`version "${shown(version)}" after "${op}" contains white space`);
  }
  const wildcard = version.endsWith('.*');
  if (wildcard && op !== '==' && op !== '!=') throw fail(`"${op}" does not take a ".*" wildcard; only == and != do`);
  const parsed = tryParsePep440(wildcard ? version.slice(0, -2) : version);
  if (typeof parsed === 'string') throw fail(`version "${shown(version)}" after "${op}": ${parsed}`);
  if (wildcard && (parsed.pre !== undefined || parsed.post !== undefined || parsed.dev !== undefined || parsed.local !== undefined)) {
    throw fail(`"${version}": a ".*" wildcard follows the release numbers directly`);
  }
  if (parsed.local !== undefined && op !== '==' && op !== '!=') throw fail(`"${op}" does not take a local version label ("+${parsed.local.join('.')}")`);
  if (op === '~=' && parsed.release.length < 2) throw fail(`"~=${version}" needs at least two release numbers, e.g. "~=${parsed.release[0] ?? '1'}.0"`);
  return { op, version, parsed, wildcard };
}

/** Parse a comma-separated specifier set; an empty set matches every version (packaging.SpecifierSet("")). */
export function parseSpecifiers(range: string): Specifier[] {
  if (range.length > MAX_RANGE_LENGTH) throw new InvalidRangeError('pep440', shown(range), `longer than ${MAX_RANGE_LENGTH} characters`, { hint: RANGE_HINT });
  return range
    .split(',')
    .map((part) => trimWith(part, isPythonSpace))
    .filter((part) => part !== '')
    .map((part) => parseSpecifier(part, range));
}

/** packaging's _version_split on a canonical string: epoch, then release and suffix pieces. */
function versionSplit(normalized: string): string[] {
  const bang = normalized.lastIndexOf('!');
  const result = [bang < 0 ? '0' : normalized.slice(0, bang)];
  for (const item of normalized.slice(bang + 1).split('.')) {
    const match = /^([0-9]+)((?:a|b|c|rc)[0-9]+)$/.exec(item);
    if (match === null) result.push(item);
    else result.push(match[1] ?? '', match[2] ?? '');
  }
  return result;
}

function isNumberPiece(piece: string): boolean {
  return /^[0-9]+$/.test(piece);
}

/** "==1.4.*": does the candidate's public version start with 1.4 (release padded with zeros)? */
function prefixMatch(candidate: Pep440Version, spec: Pep440Version): boolean {
  const want = versionSplit(baseVersion(spec));
  const have = versionSplit(publicVersion(candidate));
  const haveRelease = have.findIndex((piece) => !isNumberPiece(piece));
  const releaseLength = haveRelease < 0 ? have.length : haveRelease;
  const padded = [...have.slice(0, releaseLength), ...Array<string>(Math.max(0, want.length - releaseLength)).fill('0'), ...have.slice(releaseLength)];
  return want.every((piece, i) => padded[i] === piece);
}

function withoutLocal(v: Pep440Version): Pep440Version {
  return v.local === undefined ? v : { ...v, local: undefined };
}

function contains(spec: Specifier, candidate: Pep440Version, written: string): boolean {
  // arbitrary equality compares the version as written with the "===" text, case-insensitively
  if (spec.op === '===') return written.toLowerCase() === spec.version.toLowerCase();
  const target = spec.parsed;
  switch (spec.op) {
    case '==':
    case '!=': {
      // a public specifier ignores the candidate's local label: ==1.0 matches 1.0+ubuntu1
      const equal = spec.wildcard ? prefixMatch(candidate, target) : compareParsedPep440(target.local === undefined ? withoutLocal(candidate) : candidate, target) === 0;
      return spec.op === '==' ? equal : !equal;
    }
    case '~=': {
      // ~=2.2.post3 means >=2.2.post3, ==2.* — the last release number becomes the wildcard
      const prefix = target.release.slice(0, -1);
      const wildcard: Pep440Version = { ...target, release: prefix, releaseKey: prefix, pre: undefined, post: undefined, dev: undefined, local: undefined };
      return compareParsedPep440(withoutLocal(candidate), target) >= 0 && prefixMatch(candidate, wildcard);
    }
    case '<=':
      return compareParsedPep440(withoutLocal(candidate), target) <= 0;
    case '>=':
      return compareParsedPep440(withoutLocal(candidate), target) >= 0;
    case '<':
      // <V admits no pre-release of V unless V is one: "<3.1" excludes 3.1.dev0 and 3.1a1
      if (compareParsedPep440(candidate, target) >= 0) return false;
      return !(!isPrerelease(target) && isPrerelease(candidate) && compareParsedPep440(candidate, { ...target, dev: '0', local: undefined }) >= 0);
    case '>':
      // >V admits no post-release of V unless V is one (">1.7" excludes 1.7.0.post1), and no local version of V
      if (compareParsedPep440(candidate, target) <= 0) return false;
      if (target.post === undefined && candidate.post !== undefined && compareParsedPep440({ ...candidate, post: undefined, dev: undefined, local: undefined }, target) === 0) return false;
      return !(candidate.local !== undefined && compareParsedPep440(withoutLocal(candidate), target) === 0);
  }
}

/**
 * Whether `version` meets every specifier. Pre-releases match, as packaging's contains() does for a
 * single (installed) version; includePrerelease: false refuses every pre-release (prereleases=False).
 */
export function satisfiesPep440(version: string, range: string, options: RangeOptions = {}): boolean {
  const specs = parseSpecifiers(range);
  const candidate = parsePep440(version);
  if (options.includePrerelease === false && isPrerelease(candidate)) return false;
  return specs.every((spec) => contains(spec, candidate, version));
}

export const pep440: VersionScheme = {
  id: 'pep440',
  title: 'Python (PEP 440)',
  spec: 'https://peps.python.org/pep-0440/',
  options: ['includePrerelease'],
  isValid: (version) => typeof tryParsePep440(version) !== 'string',
  compare: comparePep440,
  explain(version): Pieces {
    const v = parsePep440(version);
    return {
      epoch: Number(v.epoch),
      release: v.release.map(Number),
      pre: v.pre === undefined ? null : `${v.pre[0]}${v.pre[1]}`,
      post: v.post === undefined ? null : Number(v.post),
      dev: v.dev === undefined ? null : Number(v.dev),
      local: v.local === undefined ? null : v.local.join('.'),
      normalized: v.normalized,
      public: publicVersion(v),
      base: baseVersion(v),
    };
  },
  ranges: {
    syntax: 'PEP 440 specifiers, comma-separated and all required: ~= == != <= >= < > ===, "==1.4.*" wildcards',
    satisfies: satisfiesPep440,
    explain(range): Pieces {
      return { clauses: parseSpecifiers(range).map((spec) => ({ op: spec.op, version: spec.version, wildcard: spec.wildcard })) };
    },
  },
};
