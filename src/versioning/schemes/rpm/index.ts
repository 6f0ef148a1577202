/**
 * RPM package versions: [epoch:]version[-release], each of version and release compared with rpm's
 * rpmvercmp (rpmio/rpmvercmp.c). rpmvercmp walks both strings in maximal runs of digits or of ASCII
 * letters, skipping any other characters as separators: "~" sorts before everything (even the end),
 * "^" after the end but before anything else, digits beat letters, numbers compare as numbers and
 * letters with strcmp. The epoch compares numerically first (missing = 0, as rpmverCmp does).
 */
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { parseClauses, type Clause, type ClauseSyntax } from '../../constraints.js';
import { compareDigits, isAsciiLetterCode, isDigitCode, memoize, shown, stripZeros } from '../../common.js';
import type { Ordering, Pieces, VersionScheme } from '../../types.js';

const HINT = 'An RPM version is [epoch:]version[-release], e.g. "1:3.0.7-27.el9", using letters, digits and . _ + ~ ^.';
const RANGE_HINT = 'Write rpm constraints comma-separated: ">= 1.2-3, < 2.0"; leave out the release to ignore it, as rpm does.';

const NUM = 0;
const ALPHA = 1;
const TILDE = 2;
const CARET = 3;

/** rpmvercmp's view of a string: runs of digits (without leading zeros), runs of letters, "~" and "^". */
export interface RpmSegments {
  readonly kinds: readonly number[];
  readonly texts: readonly string[];
}

export interface RpmVersion {
  /** undefined when written without "epoch:". */
  readonly epoch: number | undefined;
  readonly version: string;
  /** undefined when written without "-release". */
  readonly release: string | undefined;
  readonly versionSegments: RpmSegments;
  readonly releaseSegments: RpmSegments;
}

export function segment(text: string): RpmSegments {
  const kinds: number[] = [];
  const texts: string[] = [];
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    const start = i;
    if (isDigitCode(code)) {
      while (i < text.length && isDigitCode(text.charCodeAt(i))) i++;
      kinds.push(NUM);
      texts.push(stripZeros(text.slice(start, i)));
    } else if (isAsciiLetterCode(code)) {
      while (i < text.length && isAsciiLetterCode(text.charCodeAt(i))) i++;
      kinds.push(ALPHA);
      texts.push(text.slice(start, i));
    } else {
      // "~" and "^" are separators that order; anything else only separates
      if (code === 126 || code === 94) {
        kinds.push(code === 126 ? TILDE : CARET);
        texts.push(text.charAt(i));
      }
      i++;
    }
  }
  return { kinds, texts };
}

/** rpmvercmp over pre-split segments. */
export function compareSegments(a: RpmSegments, b: RpmSegments): Ordering {
  let i = 0;
  for (;;) {
    const ka = a.kinds[i];
    const kb = b.kinds[i];
    if (ka === TILDE || kb === TILDE) {
      if (ka !== TILDE) return 1;
      if (kb !== TILDE) return -1;
    } else if (ka === CARET || kb === CARET) {
      // "1.0^" is newer than "1.0" but older than "1.0.1"
      if (ka === undefined) return -1;
      if (kb === undefined) return 1;
      if (ka !== CARET) return 1;
      if (kb !== CARET) return -1;
    } else if (ka === undefined || kb === undefined) {
      if (ka === kb) return 0;
      return ka === undefined ? -1 : 1;
    } else if (ka !== kb) {
      // numeric segments are newer than alphabetic ones
      return ka === NUM ? 1 : -1;
    } else {
      const ta = a.texts[i] ?? '';
      const tb = b.texts[i] ?? '';
      const order = ka === NUM ? compareDigits(ta, tb) : ta === tb ? 0 : ta < tb ? -1 : 1;
      if (order !== 0) return order;
    }
    i++;
  }
}

/** rpmvercmp(3) on two version (or release) strings. */
export function rpmvercmp(a: string, b: string): Ordering {
  return a === b ? 0 : compareSegments(segment(a), segment(b));
}

function checkPart(part: string, name: string): string | undefined {
  if (part === '') return `empty ${name}`;
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    if (!isDigitCode(code) && !isAsciiLetterCode(code) && '._+~^'.indexOf(part.charAt(i)) < 0) {
      return `invalid character ${JSON.stringify(part.charAt(i))} in ${name} (allowed: letters, digits and . _ + ~ ^)`;
    }
  }
  return undefined;
}

/** Parse [epoch:]version[-release] or return why it is not one. */
export function tryParseRpm(input: string): RpmVersion | string {
  if (input === '') return 'version string is empty';
  let rest = input;
  let epoch: number | undefined;
  const colon = input.indexOf(':');
  if (colon >= 0) {
    const epochText = input.slice(0, colon);
    if (!/^[0-9]{1,10}$/.test(epochText)) return `epoch "${epochText}" is not a number of at most 10 digits`;
    epoch = Number(epochText);
    rest = input.slice(colon + 1);
    if (rest === '') return 'empty version after epoch';
  }
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen < 0 ? rest : rest.slice(0, hyphen);
  const release = hyphen < 0 ? undefined : rest.slice(hyphen + 1);
  if (version.includes('-')) return `version "${version}" contains "-": only the last "-" separates version and release`;
  const problem = checkPart(version, 'version') ?? (release === undefined ? undefined : checkPart(release, 'release'));
  if (problem !== undefined) return problem;
  return { epoch, version, release, versionSegments: segment(version), releaseSegments: segment(release ?? '') };
}

export const parseRpm = memoize((input: string): RpmVersion => {
  const parsed = tryParseRpm(input);
  if (typeof parsed === 'string') throw new InvalidVersionError('rpm', shown(input), parsed, { hint: HINT });
  return parsed;
});

/**
 * Full EVR order. A missing epoch is 0; a missing release compares as an empty release (older than any
 * release), which keeps the order total — rpm's own rpmverCmp skips the release instead, which is what
 * `satisfies` does for constraints written without one.
 */
export function compareParsedRpm(a: RpmVersion, b: RpmVersion, ignoreRelease = false): Ordering {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const order = compareSegments(a.versionSegments, b.versionSegments);
  if (order !== 0 || ignoreRelease) return order;
  return compareSegments(a.releaseSegments, b.releaseSegments);
}

export function compareRpm(a: string, b: string): Ordering {
  return compareParsedRpm(parseRpm(a), parseRpm(b));
}

type RpmOp = '<' | '<=' | '=' | '>=' | '>';

const CONSTRAINT_SYNTAX: ClauseSyntax<RpmOp> = {
  scheme: 'rpm',
  ops: ['<', '<=', '=', '>=', '>'],
  hint: RANGE_HINT,
};

function parseConstraints(range: string): Array<Clause<RpmOp> & { parsed: RpmVersion }> {
  return parseClauses<RpmOp>(range, CONSTRAINT_SYNTAX).map((clause) => {
    const parsed = tryParseRpm(clause.version);
    if (typeof parsed === 'string') throw new InvalidRangeError('rpm', shown(range), `version "${shown(clause.version)}" after "${clause.op}": ${parsed}`, { hint: HINT });
    return { ...clause, parsed };
  });
}

function holds(clause: Clause<RpmOp> & { parsed: RpmVersion }, version: RpmVersion): boolean {
  // rpm compares the release only when the constraint names one ("foo >= 1.2" matches 1.2-0.1)
  const order = compareParsedRpm(version, clause.parsed, clause.parsed.release === undefined);
  switch (clause.op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '=':
      return order === 0;
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
  }
}

export const rpm: VersionScheme = {
  id: 'rpm',
  title: 'RPM (rpmvercmp)',
  spec: 'https://github.com/rpm-software-management/rpm/blob/master/rpmio/rpmvercmp.c',
  options: [],
  isValid: (version) => typeof tryParseRpm(version) !== 'string',
  compare: compareRpm,
  explain(version): Pieces {
    const v = parseRpm(version);
    return { epoch: v.epoch ?? null, version: v.version, release: v.release ?? null };
  },
  ranges: {
    syntax: 'rpm constraints on [epoch:]version[-release], comma-separated and all required: < <= = >= >',
    satisfies(version, range) {
      const parsed = parseRpm(version);
      return parseConstraints(range).every((clause) => holds(clause, parsed));
    },
    explain(range): Pieces {
      return { clauses: parseConstraints(range).map((clause) => ({ op: clause.op, version: clause.version, comparesRelease: clause.parsed.release !== undefined })) };
    },
  },
};
