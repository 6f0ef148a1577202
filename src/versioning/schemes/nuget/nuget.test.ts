import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { compareNuGet, nuget, satisfiesNuGet } from './index.js';

// Built from the NuGet package-versioning documentation (sort order, normalisation, range table) and
// NuGet.Client's VersionComparer rules; the source column names each row's origin.
function readTsv(name: string): string[][] {
  return readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

describe('nuget scheme: documented ordering', () => {
  it.each(readTsv('nuget-version.tsv'))('%s vs %s = %s', (a, b, expected) => {
    expect(compareNuGet(a, b)).toBe(Number(expected));
    expect(compareNuGet(b, a)).toBe(-Number(expected) || 0);
  });

  it('explains the four numbers, labels and the normalised form', () => {
    expect(nuget.explain('1.00.0.1-Beta.2+meta')).toEqual({ major: 1, minor: 0, patch: 0, revision: 1, prerelease: ['Beta', '2'], metadata: 'meta', normalized: '1.0.0.1-Beta.2' });
    expect(nuget.explain('13.0.3.0').normalized).toBe('13.0.3');
  });
});

describe('nuget scheme: invalid input', () => {
  it.each([
    ['', 'empty version'],
    ['1.2.3.4.5', '5 numbers; NuGet allows at most four (MAJOR.MINOR.PATCH.REVISION)'],
    ['1..2', 'empty number between dots'],
    ['v1.0', '"v1" is not a number'],
    ['1.0.0-', 'empty pre-release label identifier'],
    ['1.0.0-beta.01', 'numeric pre-release label "01" has a leading zero'],
    ['1.0.0-beta_1', 'invalid character "_" in pre-release label "beta_1" (allowed: ASCII letters, digits and "-")'],
    ['1.0.0+', 'empty metadata identifier'],
    ['2147483648.0', '2147483648 is larger than 2147483647'],
  ])('rejects %j: %s', (version, reason) => {
    expect(nuget.isValid(version)).toBe(false);
    expect(() => compareNuGet(version, '1.0')).toThrow(`Invalid nuget version "${version}": ${reason}`);
    expect(() => compareNuGet('1.0', version)).toThrow(InvalidVersionError);
  });
});

describe('nuget scheme: version ranges', () => {
  it.each(readTsv('nuget-range.tsv'))('%s contains %s: %s', (range, version, expected) => {
    expect(satisfiesNuGet(version, range)).toBe(expected === 'true');
  });

  it('explains the bounds', () => {
    expect(nuget.ranges!.explain(' [1.0, 2.0) ')).toEqual({ min: '1.0.0', minInclusive: true, max: '2.0.0', maxInclusive: false });
  });

  it.each([
    ['(1.0)', 'a single version must be written [1.0]'],
    ['[1.0)', 'a single version must be written [1.0]'],
    ['(,)', 'neither a lower nor an upper bound'],
    ['[2.0,1.0]', 'the lower bound is above the upper bound'],
    ['(1.0,1.0]', 'the bounds are equal but only one is inclusive'],
    ['[1.0,2.0,3.0]', 'more than two versions between the brackets'],
    ['[1.0,2.0', 'a range starting with "[" or "(" must end with "]" or ")"'],
    ['1.*', 'floating versions ("1.*") pick a version to restore; they are not a range to match against'],
    ['[1.0,x]', 'version "x": "x" is not a number'],
    ['', 'empty range'],
  ])('rejects the range %j', (range, reason) => {
    expect(() => satisfiesNuGet('1.0', range)).toThrow(InvalidRangeError);
    expect(() => satisfiesNuGet('1.0', range)).toThrow(`Invalid nuget range "${range}": ${reason}`);
  });
});
