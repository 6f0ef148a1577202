import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { apk, compareApk } from './index.js';

const VECTORS = new URL('../../../../testdata/upstream/version-vectors/apk/', import.meta.url);

function readTsv(name: string): string[][] {
  const lines = readFileSync(new URL(name, VECTORS), 'utf8').split('\n').slice(1);
  return lines.filter((line) => line !== '').map((line) => line.split('\t'));
}

// Two rows of apk-tools' test/version.data use versions apk_version_validate() rejects ("23_foo": unknown
// suffix; "1.0bc": two letters, annotated upstream "invalid. do string sort"). apk-tools still orders them
// (lazily, or by string); runwarden refuses to order an invalid version (STYLE.md), so these rows assert
// the refusal and name the invalid operand.
const INVALID_OPERANDS: Record<string, string> = {
  '23_foo': 'Invalid apk version "23_foo": unknown suffix "_foo" (expected _alpha _beta _pre _rc _cvs _svn _git _hg _p)',
  '1.0bc': 'Invalid apk version "1.0bc": unexpected letter "c" at offset 4: after the numbers come one letter, then _suffixes, then ~hash, then -rNUMBER',
};

describe('apk scheme: upstream vectors (apk-tools test/version.data)', () => {
  const rows = readTsv('apk-compare.tsv');
  const ordered = rows.filter(([a, b]) => INVALID_OPERANDS[a!] === undefined && INVALID_OPERANDS[b!] === undefined);
  const refused = rows.filter((row) => !ordered.includes(row));

  it('covers all 729 rows: 727 ordered, 2 refused', () => {
    expect(rows).toHaveLength(729);
    expect(ordered).toHaveLength(727);
    expect(refused).toHaveLength(2);
  });

  it('orders every valid pair as apk-tools does, in both directions', () => {
    const mismatches = ordered.filter(([a, b, expected]) => compareApk(a!, b!) !== Number(expected) || compareApk(b!, a!) !== (-Number(expected) || 0));
    expect(mismatches).toEqual([]);
  });

  it.each(refused)('refuses %s vs %s (invalid operand)', (a, b) => {
    const bad = INVALID_OPERANDS[a] === undefined ? b : a;
    expect(apk.isValid(bad)).toBe(false);
    expect(() => compareApk(a, b)).toThrow(InvalidVersionError);
    expect(() => compareApk(a, b)).toThrow(INVALID_OPERANDS[bad]);
  });
});

describe('apk scheme: ordering details', () => {
  it.each([
    ['1.0_alpha1', '1.0_beta1', -1],
    ['1.0_rc1', '1.0', -1],
    ['1.0', '1.0_p1', -1],
    ['1.0_p1', '1.0.1', -1],
    ['1.0-r0', '1.0-r1', -1],
    ['1.0', '1.0-r0', -1],
    ['1.0a', '1.0b', -1],
    ['1.0a', '1.0.1', -1],
    ['1.05', '1.5', -1],
    ['1.0_git20230101', '1.0_p1', -1],
    ['2.0_rc3-r1', '2.0-r0', -1],
    ['12345678901234567', '12345678901234568', -1],
    ['1.0_rc1', '1.0', -1],
    ['1.0.0_alpha1', '1.0.0', -1],
    ['1.01', '1.1', -1],
    ['1.01', '1.001', 1],
    ['6.5_p20250503~ab12-r0', '6.5_p20250503~ab13-r0', -1],
    ['1.0~abc-r1', '1.0-r1', 1],
    ['1.2.3', '1.2.3', 0],
  ] as const)('orders %s against %s as %d', (a, b, expected) => {
    expect(compareApk(a, b)).toBe(expected);
    expect(compareApk(b, a)).toBe(-expected || 0);
  });

  it('explains the pieces', () => {
    expect(apk.explain('2.0_rc3_p1-r15')).toEqual({ release: '2.0', suffixes: ['rc3', 'p1'], commit: null, revision: 15 });
    expect(apk.explain('1.36.1')).toEqual({ release: '1.36.1', suffixes: [], commit: null, revision: null });
    expect(apk.explain('6.5_p20250503~ab12cd-r0')).toEqual({ release: '6.5', suffixes: ['p20250503'], commit: 'ab12cd', revision: 0 });
  });
});

describe('apk scheme: invalid input', () => {
  const AFTER = 'after the numbers come one letter, then _suffixes, then ~hash, then -rNUMBER';
  it.each([
    ['', 'version string is empty'],
    ['r1.0', 'must start with a digit'],
    ['1.0-1', '"-" at offset 3 must be followed by "r" and the revision number'],
    ['1.0-r', '"-r" at offset 3 is not followed by a number'],
    ['1.', '"." at offset 1 is not followed by a number'],
    ['1.0_foo', 'unknown suffix "_foo" (expected _alpha _beta _pre _rc _cvs _svn _git _hg _p)'],
    // named like an Object property: a plain table lookup found Object's constructor and the version parsed
    ['1.0_constructor', 'unknown suffix "_constructor" (expected _alpha _beta _pre _rc _cvs _svn _git _hg _p)'],
    ['1.0_rc1.2', `unexpected "." at offset 7: ${AFTER}`],
    ['1.0-r1.2', `unexpected "." at offset 6: ${AFTER}`],
    ['1.0-r1-r2', `unexpected "-" at offset 6: ${AFTER}`],
    ['1.0a1', `unexpected digit at offset 4: ${AFTER}`],
    ['1.0A', `unexpected "A" at offset 3: ${AFTER}`],
    ['1.0~', '"~" at offset 3 is not followed by a lowercase hex commit hash'],
  ])('rejects %j: %s', (version, reason) => {
    expect(apk.isValid(version)).toBe(false);
    expect(() => compareApk(version, '1.0')).toThrow(`Invalid apk version "${version}": ${reason}`);
    expect(() => compareApk('1.0', version)).toThrow(InvalidVersionError);
  });
});

describe('apk scheme: constraints', () => {
  const satisfies = (version: string, range: string): boolean => apk.ranges!.satisfies(version, range);

  it.each([
    ['1.2.3-r0', '>=1.2-r0, <2.0', true],
    ['2.0_rc1', '<2.0', true],
    ['2.0', '<2.0', false],
    ['1.2.3', '~1.2', true],
    ['1.3.0', '~1.2', false],
    ['1.2.3-r4', '=1.2.3-r4', true],
    ['1.2', '~1.2.3', false],
    ['1.3', '>~1.2', true],
    ['1.2.9', '<~1.2', true],
    ['1.3', '<~1.2', false],
  ] as const)('%s satisfies %j: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it.each([
    ['1.2', 'Invalid apk range "1.2": clause "1.2" has no operator: expected one of < <= <~ ~ = >= >~ >'],
    ['>=1.0_foo', 'Invalid apk range ">=1.0_foo": version "1.0_foo" after ">=": unknown suffix "_foo" (expected _alpha _beta _pre _rc _cvs _svn _git _hg _p)'],
  ])('rejects the range %j', (range, message) => {
    expect(() => satisfies('1.0', range)).toThrow(InvalidRangeError);
    expect(() => satisfies('1.0', range)).toThrow(message);
  });
});
