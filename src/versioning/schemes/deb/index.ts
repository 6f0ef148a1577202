/**
 * Debian package versions: deb-version(7) and dpkg's parseversion/verrevcmp (lib/dpkg/parsehelp.c,
 * lib/dpkg/version.c). A version is [epoch:]upstream_version[-debian_revision]. Upstream and revision
 * compare left to right in alternating runs: a non-digit run by character weight ("~" lowest, then the
 * end of the run, then letters, then everything else), then a digit run as a number.
 */
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { parseClauses, type Clause, type ClauseSyntax } from '../../constraints.js';
import { compareDigits, isAsciiLetterCode, isCSpaceCode, isDigitCode, memoize, shown, trimWith } from '../../common.js';
import type { Ordering, Pieces, VersionScheme } from '../../types.js';

const HINT = 'A Debian version is [epoch:]upstream_version[-debian_revision], e.g. "1:2.36-9+deb12u4" (deb-version(7)).';
const RANGE_HINT = 'Write relations as dpkg does, comma-separated: ">= 1.2-1, << 2.0".';
const MAX_EPOCH = 2 ** 31 - 1;

export interface DebVersion {
  readonly epoch: number;
  readonly upstream: string;
  /** undefined when the version has no "-revision". */
  readonly revision: string | undefined;
  /** Comparison keys: alternating non-digit runs (encoded, see encodeRun) and digit runs without leading zeros. */
  readonly upstreamKey: readonly string[];
  readonly revisionKey: readonly string[];
}

/** Parse a version or return why it is not one. */
export function tryParseDeb(input: string): DebVersion | string {
  // dpkg skips surrounding white space but refuses it inside the version
  const text = trimWith(input, isCSpaceCode);
  if (text === '') return 'version string is empty';
  if (/[ \t\n\v\f\r]/.test(text)) return 'version string has embedded spaces';
  let rest = text;
  let epoch = 0;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (epochText === '') return 'epoch before ":" is empty';
    if (!/^[0-9]+$/.test(epochText)) {
      return /^-[0-9]+$/.test(epochText) ? `epoch ${epochText} is negative` : `epoch "${epochText}" is not a number`;
    }
    epoch = Number(epochText);
    if (epochText.length > 10 || epoch > MAX_EPOCH) return `epoch ${epochText} is too big (at most ${MAX_EPOCH})`;
    rest = text.slice(colon + 1);
    if (rest === '') return 'empty upstream version after epoch';
  }
  let upstream = rest;
  let revision: string | undefined;
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') return 'empty revision after the last "-"';
    if (upstream === '') return 'empty upstream version before the revision';
  }
  if (!isDigitCode(upstream.charCodeAt(0))) return 'upstream version must start with a digit';
  for (let i = 0; i < upstream.length; i++) {
    const code = upstream.charCodeAt(i);
    if (!isDigitCode(code) && !isAsciiLetterCode(code) && '.+-~:'.indexOf(upstream.charAt(i)) < 0) {
      return `invalid character "${upstream.charAt(i)}" in upstream version (allowed: letters, digits and . + - ~ :)`;
    }
  }
  if (revision !== undefined) {
    // "_" is outside deb-version(7), but dpkg only warns about it and RPM-style revisions such as
    // "4.el6.x86_64" occur in third-party repositories (go-deb-version accepts them too)
    for (let i = 0; i < revision.length; i++) {
      const code = revision.charCodeAt(i);
      if (!isDigitCode(code) && !isAsciiLetterCode(code) && '.+~_'.indexOf(revision.charAt(i)) < 0) {
        return `invalid character "${revision.charAt(i)}" in revision (allowed: letters, digits and . + ~ _)`;
      }
    }
  }
  return { epoch, upstream, revision, upstreamKey: comparisonKey(upstream), revisionKey: comparisonKey(revision ?? '') };
}

/** Marks the end of a non-digit run: heavier than "~", lighter than any other character. */
const RUN_END = String.fromCharCode(2);

/**
 * Encode a non-digit run so that plain string comparison gives dpkg's order: each character becomes
 * its weight + 2 ("~" = 1, letters = their code + 2, others = code + 258) and the run ends with RUN_END,
 * which stands for the digit or end of string that dpkg compares with weight 0.
 */
function encodeRun(run: string): string {
  let out = '';
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    out += String.fromCharCode(code === 126 ? 1 : isAsciiLetterCode(code) ? code + 2 : code + 258);
  }
  return out + RUN_END;
}

function comparisonKey(part: string): string[] {
  const key: string[] = [];
  let i = 0;
  while (i < part.length || key.length === 0) {
    const start = i;
    while (i < part.length && !isDigitCode(part.charCodeAt(i))) i++;
    key.push(encodeRun(part.slice(start, i)));
    while (i < part.length && part.charCodeAt(i) === 48) i++;
    const digits = i;
    while (i < part.length && isDigitCode(part.charCodeAt(i))) i++;
    key.push(part.slice(digits, i));
  }
  return key;
}

/** dpkg's verrevcmp over pre-computed keys. */
function compareKeys(a: readonly string[], b: readonly string[]): Ordering {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i += 2) {
    const runA = a[i] ?? RUN_END;
    const runB = b[i] ?? RUN_END;
    if (runA !== runB) return runA < runB ? -1 : 1;
    const order = compareDigits(a[i + 1] ?? '', b[i + 1] ?? '');
    if (order !== 0) return order;
  }
  return 0;
}

export function compareParsedDeb(a: DebVersion, b: DebVersion): Ordering {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return compareKeys(a.upstreamKey, b.upstreamKey) || compareKeys(a.revisionKey, b.revisionKey);
}

export const parseDeb = memoize((input: string): DebVersion => {
  const parsed = tryParseDeb(input);
  if (typeof parsed === 'string') throw new InvalidVersionError('deb', shown(input), parsed, { hint: HINT });
  return parsed;
});

export function compareDeb(a: string, b: string): Ordering {
  return compareParsedDeb(parseDeb(a), parseDeb(b));
}

type DebOp = '<<' | '<=' | '=' | '>=' | '>>';

const RELATION_SYNTAX: ClauseSyntax<DebOp> = {
  scheme: 'deb',
  ops: ['<<', '<=', '=', '>=', '>>'],
  refused: [
    ['<', 'relation "<" is obsolete and dpkg reads it as "<=": write "<<" or "<="'],
    ['>', 'relation ">" is obsolete and dpkg reads it as ">=": write ">>" or ">="'],
  ],
  hint: RANGE_HINT,
};

function parseRelations(range: string): Array<Clause<DebOp> & { parsed: DebVersion }> {
  return parseClauses<DebOp>(range, RELATION_SYNTAX).map((clause) => {
    const parsed = tryParseDeb(clause.version);
    if (typeof parsed === 'string') throw new InvalidRangeError('deb', shown(range), `version "${shown(clause.version)}" after "${clause.op}": ${parsed}`, { hint: HINT });
    return { ...clause, parsed };
  });
}

function holds(op: DebOp, order: Ordering): boolean {
  switch (op) {
    case '<<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '=':
      return order === 0;
    case '>=':
      return order >= 0;
    case '>>':
      return order > 0;
  }
}

export const deb: VersionScheme = {
  id: 'deb',
  title: 'Debian (dpkg)',
  spec: 'https://manpages.debian.org/deb-version.7',
  options: [],
  isValid: (version) => typeof tryParseDeb(version) !== 'string',
  compare: compareDeb,
  explain(version): Pieces {
    const v = parseDeb(version);
    return { epoch: v.epoch, upstream: v.upstream, revision: v.revision ?? null };
  },
  ranges: {
    syntax: 'dpkg relations, comma-separated and all required: << <= = >= >> (e.g. ">= 1.2-1, << 2.0")',
    satisfies(version, range) {
      const v = parseDeb(version);
      return parseRelations(range).every((clause) => holds(clause.op, compareParsedDeb(v, clause.parsed)));
    },
    explain(range): Pieces {
      return { clauses: parseRelations(range).map((clause) => ({ op: clause.op, version: clause.version })) };
    },
  },
};
