/** The "op version, op version" constraint syntax several schemes share (deb, rpm, apk, rubygems). */
import { InvalidRangeError } from '../core/errors.js';
import { shown } from './common.js';

/** Ranges longer than this are rejected before any parsing, so hostile input costs little. */
export const MAX_RANGE_LENGTH = 4096;

export interface Clause<Op extends string> {
  readonly op: Op;
  readonly version: string;
}

export interface ClauseSyntax<Op extends string> {
  readonly scheme: string;
  /** Operators this scheme accepts; matched longest first. */
  readonly ops: readonly Op[];
  /** Operator of a clause written without one; undefined makes that an error. */
  readonly defaultOp?: Op | undefined;
  /** Operators that look valid but are refused, with the reason (dpkg's obsolete "<" and ">"). */
  readonly refused?: ReadonlyArray<readonly [string, string]>;
  readonly hint: string;
}

/** Split a comma-separated list of clauses (all must hold). Throws InvalidRangeError naming the bad clause. */
export function parseClauses<Op extends string>(range: string, syntax: ClauseSyntax<Op>): Clause<Op>[] {
  const fail = (reason: string): InvalidRangeError => new InvalidRangeError(syntax.scheme, shown(range), reason, { hint: syntax.hint });
  if (range.length > MAX_RANGE_LENGTH) throw fail(`longer than ${MAX_RANGE_LENGTH} characters`);
  if (range.trim() === '') throw fail('empty constraint');
  const ops = [...syntax.ops].sort((a, b) => b.length - a.length);
  return range.split(',').map((part) => {
    const clause = part.trim();
    if (clause === '') throw fail('empty clause between commas');
    for (const [refused, reason] of syntax.refused ?? []) {
      if (clause.startsWith(refused) && !ops.some((op) => op.length > refused.length && clause.startsWith(op))) throw fail(reason);
    }
    const op = ops.find((candidate) => clause.startsWith(candidate));
    if (op === undefined) {
      if (syntax.defaultOp !== undefined) return { op: syntax.defaultOp, version: clause };
      throw fail(`clause "${shown(clause)}" has no operator: expected one of ${syntax.ops.join(' ')}`);
    }
    const version = clause.slice(op.length).trim();
    if (version === '') throw fail(`operator "${op}" has no version after it`);
    return { op, version };
  });
}
