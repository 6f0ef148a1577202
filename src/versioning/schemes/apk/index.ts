/**
 * Alpine (apk-tools) package versions, following apk-tools' src/version.c as rewritten for apk-tools
 * 2.14/3 (token_first/token_next/token_cmp): digit{.digit}...{letter}{_suffix{digit}}...{~hash}{-rdigit}.
 * Versions split into typed tokens; equal leading tokens are skipped and the first differing value decides
 * (a fraction after "." with a leading zero compares as text, as Gentoo does). When one version runs out,
 * the longer one is newer — unless what follows is a pre-release suffix (_alpha < _beta < _pre < _rc),
 * which makes it older; post-release suffixes (_cvs < _svn < _git < _hg < _p) make it newer.
 */
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { ownEntry } from '../../../core/lookup.js';
import { parseClauses, type Clause, type ClauseSyntax } from '../../constraints.js';
import { compareDigits, isDigitCode, memoize, shown, stripZeros } from '../../common.js';
import type { Ordering, Pieces, VersionScheme } from '../../types.js';

const HINT = 'An Alpine version is NUMBER{.NUMBER}[letter]{_suffix[NUMBER]}[~hash][-rNUMBER], e.g. "1.36.1-r15" or "2.0_rc3-r1".';
const RANGE_HINT = 'Write apk constraints comma-separated: ">=1.2-r0, <2.0", or "~1.2" for 1.2.*.';

// Token types in apk-tools' order: a token may only be followed by tokens of a later type (digits excepted).
const INITIAL = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NUMBER = 4;
const COMMIT_HASH = 5;
const REVISION = 6;
const END = 7;

// Suffix values: pre-releases below NONE, post-releases above it.
const SUFFIXES: Readonly<Record<string, number>> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };
const SUFFIX_NONE = 5;

export interface ApkVersion {
  readonly text: string;
  /** types[i] is the type of token i; the last entry is END. */
  readonly types: readonly number[];
  /** For numbers: the digits without leading zeros; letters and hashes: their text; suffixes: unused. */
  readonly texts: readonly string[];
  /** For DIGIT tokens: the digits as written (a leading zero switches to text comparison). */
  readonly raws: readonly string[];
  /** For suffixes: the SUFFIXES value; for letters: the character code. */
  readonly values: readonly number[];
}

function isLower(code: number): boolean {
  return code >= 97 && code <= 122;
}

function isHex(code: number): boolean {
  return isDigitCode(code) || (code >= 97 && code <= 102);
}

const AFTER = 'after the numbers come one letter, then _suffixes, then ~hash, then -rNUMBER';

/** Tokenise like apk-tools' token_first/token_next; returns the reason when apk would call it invalid. */
export function tryParseApk(input: string): ApkVersion | string {
  if (input === '') return 'version string is empty';
  if (!isDigitCode(input.charCodeAt(0))) return 'must start with a digit';
  const types: number[] = [];
  const texts: string[] = [];
  const raws: string[] = [];
  const values: number[] = [];
  let pos = 0;
  const push = (type: number, text: string, raw: string, value: number): void => {
    types.push(type);
    texts.push(text);
    raws.push(raw);
    values.push(value);
  };
  const digits = (): string => {
    const start = pos;
    while (pos < input.length && isDigitCode(input.charCodeAt(pos))) pos++;
    return input.slice(start, pos);
  };
  const first = digits();
  push(INITIAL, stripZeros(first), first, 0);
  let type = INITIAL;
  while (pos < input.length) {
    const at = pos;
    const code = input.charCodeAt(pos);
    if (isLower(code)) {
      if (type > DIGIT) return `unexpected letter "${input.charAt(at)}" at offset ${at}: ${AFTER}`;
      type = LETTER;
      push(LETTER, input.charAt(pos), '', code);
      pos++;
    } else if (code === 46 || isDigitCode(code)) {
      if (code === 46 && type > DIGIT) return `unexpected "." at offset ${at}: ${AFTER}`;
      if (code === 46) pos++;
      if (type === INITIAL || type === DIGIT) type = DIGIT;
      else if (type === SUFFIX) type = SUFFIX_NUMBER;
      else return `unexpected digit at offset ${at}: ${AFTER}`;
      const number = digits();
      if (number === '') return `"." at offset ${at} is not followed by a number`;
      push(type, stripZeros(number), number, 0);
    } else if (code === 95) {
      if (type > SUFFIX_NUMBER) return `unexpected "_" at offset ${at}: ${AFTER}`;
      pos++;
      const start = pos;
      while (pos < input.length && isLower(input.charCodeAt(pos))) pos++;
      const name = input.slice(start, pos);
      const value = ownEntry(SUFFIXES, name);
      if (value === undefined) return `unknown suffix "_${name}" (expected ${Object.keys(SUFFIXES).map((s) => `_${s}`).join(' ')})`;
      type = SUFFIX;
      push(SUFFIX, name, '', value);
    } else if (code === 126) {
      if (type >= COMMIT_HASH) return `unexpected "~" at offset ${at}: ${AFTER}`;
      pos++;
      const start = pos;
      while (pos < input.length && isHex(input.charCodeAt(pos))) pos++;
      if (pos === start) return `"~" at offset ${at} is not followed by a lowercase hex commit hash`;
      type = COMMIT_HASH;
      push(COMMIT_HASH, input.slice(start, pos), '', 0);
    } else if (code === 45) {
      if (type >= REVISION) return `unexpected "-" at offset ${at}: ${AFTER}`;
      if (input.charCodeAt(pos + 1) !== 114) return `"-" at offset ${at} must be followed by "r" and the revision number`;
      pos += 2;
      const number = digits();
      if (number === '') return `"-r" at offset ${at} is not followed by a number`;
      type = REVISION;
      push(REVISION, stripZeros(number), number, 0);
    } else {
      return `unexpected "${input.charAt(at)}" at offset ${at}: ${AFTER}`;
    }
  }
  push(END, '', '', 0);
  return { text: input, types, texts, raws, values };
}

/** apk-tools' token_cmp for two tokens of the same type. */
function compareToken(type: number, a: ApkVersion, b: ApkVersion, i: number): Ordering {
  switch (type) {
    case DIGIT: {
      const rawA = a.raws[i] ?? '';
      const rawB = b.raws[i] ?? '';
      // a leading zero in either fraction switches to plain text order, as the Gentoo spec does
      if (rawA.charCodeAt(0) === 48 || rawB.charCodeAt(0) === 48) return rawA === rawB ? 0 : rawA < rawB ? -1 : 1;
      return compareDigits(a.texts[i] ?? '', b.texts[i] ?? '');
    }
    case INITIAL:
    case SUFFIX_NUMBER:
    case REVISION:
      return compareDigits(a.texts[i] ?? '', b.texts[i] ?? '');
    case LETTER:
    case SUFFIX: {
      const va = a.values[i] ?? 0;
      const vb = b.values[i] ?? 0;
      return va === vb ? 0 : va < vb ? -1 : 1;
    }
    default: {
      const ta = a.texts[i] ?? '';
      const tb = b.texts[i] ?? '';
      return ta === tb ? 0 : ta < tb ? -1 : 1;
    }
  }
}

function compareTokens(a: ApkVersion, b: ApkVersion, fuzzy: boolean): Ordering {
  let i = 0;
  let ta = a.types[0] ?? END;
  let tb = b.types[0] ?? END;
  while (ta === tb && ta < END) {
    const order = compareToken(ta, a, b, i);
    if (order !== 0) return order;
    i++;
    ta = a.types[i] ?? END;
    tb = b.types[i] ?? END;
  }
  if (ta === tb) return 0;
  // fuzzy ("~1.2"): b is a prefix of a
  if (tb === END && fuzzy) return 0;
  // same leading tokens: the longer version is newer unless what follows is a pre-release suffix
  if (ta === SUFFIX && (a.values[i] ?? SUFFIX_NONE) < SUFFIX_NONE) return -1;
  if (tb === SUFFIX && (b.values[i] ?? SUFFIX_NONE) < SUFFIX_NONE) return 1;
  return ta > tb ? -1 : 1;
}

export const parseApk = memoize((input: string): ApkVersion => {
  const parsed = tryParseApk(input);
  if (typeof parsed === 'string') throw new InvalidVersionError('apk', shown(input), parsed, { hint: HINT });
  return parsed;
});

export function compareApk(a: string, b: string): Ordering {
  return compareTokens(parseApk(a), parseApk(b), false);
}

type ApkOp = '<' | '<=' | '<~' | '~' | '=' | '>=' | '>~' | '>';

const CONSTRAINT_SYNTAX: ClauseSyntax<ApkOp> = {
  scheme: 'apk',
  ops: ['<', '<=', '<~', '~', '=', '>=', '>~', '>'],
  hint: RANGE_HINT,
};

function parseConstraints(range: string): Array<Clause<ApkOp> & { parsed: ApkVersion }> {
  return parseClauses<ApkOp>(range, CONSTRAINT_SYNTAX).map((clause) => {
    const parsed = tryParseApk(clause.version);
    if (typeof parsed === 'string') throw new InvalidRangeError('apk', shown(range), `version "${shown(clause.version)}" after "${clause.op}": ${parsed}`, { hint: HINT });
    return { ...clause, parsed };
  });
}

/** apk_version_match: the operator's characters are a mask of allowed results; "~" adds fuzzy equality. */
function holds(clause: Clause<ApkOp> & { parsed: ApkVersion }, version: ApkVersion): boolean {
  const order = compareTokens(version, clause.parsed, clause.op.includes('~'));
  if (order < 0) return clause.op.includes('<');
  if (order > 0) return clause.op.includes('>');
  return clause.op.includes('=') || clause.op.includes('~');
}

function pieces(version: ApkVersion): Pieces {
  const release: string[] = [];
  const suffixes: string[] = [];
  let commit: string | null = null;
  let revision: number | null = null;
  version.types.forEach((type, i) => {
    const raw = version.raws[i] ?? '';
    const text = version.texts[i] ?? '';
    if (type === INITIAL) release.push(raw);
    else if (type === DIGIT) release.push(`.${raw}`);
    else if (type === LETTER) release.push(text);
    else if (type === SUFFIX) suffixes.push(text);
    else if (type === SUFFIX_NUMBER) suffixes[suffixes.length - 1] += raw;
    else if (type === COMMIT_HASH) commit = text;
    else if (type === REVISION) revision = Number(text);
  });
  return { release: release.join(''), suffixes, commit, revision };
}

export const apk: VersionScheme = {
  id: 'apk',
  title: 'Alpine (apk-tools)',
  spec: 'https://gitlab.alpinelinux.org/alpine/apk-tools/-/blob/master/src/version.c',
  options: [],
  isValid: (version) => typeof tryParseApk(version) !== 'string',
  compare: compareApk,
  explain: (version) => pieces(parseApk(version)),
  ranges: {
    syntax: 'apk constraints, comma-separated and all required: < <= = >= > and the fuzzy ~ <~ >~ ("~1.2" matches 1.2.*)',
    satisfies(version, range) {
      const parsed = parseApk(version);
      return parseConstraints(range).every((clause) => holds(clause, parsed));
    },
    explain(range): Pieces {
      return { clauses: parseConstraints(range).map((clause) => ({ op: clause.op, version: clause.version })) };
    },
  },
};
