import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { compareRpm, rpm, rpmvercmp } from './index.js';

const VECTORS = new URL('../../../../testdata/upstream/version-vectors/rpm/', import.meta.url);

function readTsv(name: string): string[][] {
  const lines = readFileSync(new URL(name, VECTORS), 'utf8').split('\n').slice(1);
  return lines.filter((line) => line !== '').map((line) => line.split('\t'));
}

describe('rpm scheme: upstream vectors (rpm tests/rpmvercmp.at)', () => {
  const rows = readTsv('rpmvercmp.tsv');

  it('has all 91 rows', () => {
    expect(rows).toHaveLength(91);
  });

  it.each(rows)('rpmvercmp(%j, %j) = %s, and the EVR compare agrees', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(Number(expected));
    expect(compareRpm(a, b)).toBe(Number(expected));
  });

  // The commented-out "oddities" block documents what rpmvercmp does today (RhBug:811992); runwarden
  // orders exactly like rpm, oddities included, because that is what rpm-based systems install.
  it.each(readTsv('rpmvercmp-oddities.tsv'))('reproduces the documented oddity %j vs %j = %s', (a, b, expected) => {
    expect(compareRpm(a, b)).toBe(Number(expected));
  });
});

describe('rpm scheme: epoch:version-release', () => {
  it.each([
    ['1:1.0-1', '2.0-1', 1],
    ['0:1.0-1', '1.0-1', 0],
    ['1.0-1.el9', '1.0-2.el9', -1],
    ['1.0-10.el9', '1.0-9.el9', 1],
    ['3.0.7-27.el9', '3.0.7-27.el9_5', -1],
    ['1.0', '1.0-1', -1],
    ['1.0~rc1-1', '1.0-1', -1],
    ['2:1.0-1', '1:9.9-9', 1],
    ['1.0^git1-1', '1.0-1', 1],
  ] as const)('orders %s against %s as %d', (a, b, expected) => {
    expect(compareRpm(a, b)).toBe(expected);
    expect(compareRpm(b, a)).toBe(-expected || 0);
  });

  it('explains the pieces', () => {
    expect(rpm.explain('1:3.0.7-27.el9')).toEqual({ epoch: 1, version: '3.0.7', release: '27.el9' });
    expect(rpm.explain('3.0.7')).toEqual({ epoch: null, version: '3.0.7', release: null });
  });
});

describe('rpm scheme: invalid input', () => {
  it.each([
    ['', 'version string is empty'],
    ['1:', 'empty version after epoch'],
    ['a:1.0', 'epoch "a" is not a number of at most 10 digits'],
    ['1.0-', 'empty release'],
    ['-1', 'empty version'],
    ['1.0-2-3', 'version "1.0-2" contains "-": only the last "-" separates version and release'],
    ['1.0 1', 'invalid character " " in version (allowed: letters, digits and . _ + ~ ^)'],
    ['1.0-1/2', 'invalid character "/" in release (allowed: letters, digits and . _ + ~ ^)'],
  ])('rejects %j: %s', (version, reason) => {
    expect(rpm.isValid(version)).toBe(false);
    expect(() => compareRpm(version, '1.0')).toThrow(`Invalid rpm version "${version}": ${reason}`);
    expect(() => compareRpm('1.0', version)).toThrow(InvalidVersionError);
  });
});

describe('rpm scheme: constraints', () => {
  const satisfies = (version: string, range: string): boolean => rpm.ranges!.satisfies(version, range);

  it.each([
    ['1.2-3.el9', '>= 1.2', true],
    ['1.2-3.el9', '= 1.2', true],
    ['1.2-3.el9', '= 1.2-4.el9', false],
    ['1.2-3.el9', '< 1.2-4.el9', true],
    ['1:1.0-1', '> 2.0', true],
    ['1.0-1', '>= 0:1.0, < 2.0', true],
  ] as const)('%s satisfies %j: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('explains whether each clause compares the release', () => {
    expect(rpm.ranges!.explain('>= 1.2, < 2.0-1')).toEqual({
      clauses: [
        { op: '>=', version: '1.2', comparesRelease: false },
        { op: '<', version: '2.0-1', comparesRelease: true },
      ],
    });
  });

  it.each([
    ['1.2', 'Invalid rpm range "1.2": clause "1.2" has no operator: expected one of < <= = >= >'],
    ['>= a:1', 'Invalid rpm range ">= a:1": version "a:1" after ">=": epoch "a" is not a number of at most 10 digits'],
  ])('rejects the range %j', (range, message) => {
    expect(() => satisfies('1.0', range)).toThrow(InvalidRangeError);
    expect(() => satisfies('1.0', range)).toThrow(message);
  });
});
