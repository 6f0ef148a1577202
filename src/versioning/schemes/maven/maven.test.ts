import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { shown } from '../../common.js';
import { compareMaven, maven, satisfiesMaven } from './index.js';

// Built from apache/maven's ComparableVersionTest (Maven 4, compat/maven-artifact) and the POM reference's
// "Version Order Specification" examples; the source column names each row's origin.
const rows = readFileSync(new URL('testdata/comparable-version.tsv', import.meta.url), 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line !== '')
  .map((line) => line.split('\t'));

describe('maven scheme: ComparableVersion examples', () => {
  it('has the whole table', () => {
    expect(rows).toHaveLength(985);
  });

  it('orders every pair as ComparableVersion does, in both directions', () => {
    const mismatches = rows.filter(([a, b, expected]) => compareMaven(a!, b!) !== Number(expected) || compareMaven(b!, a!) !== (-Number(expected) || 0));
    expect(mismatches).toEqual([]);
  });

  it('re-parses its canonical form to the same version (ComparableVersionTest.newComparable)', () => {
    for (const version of new Set(rows.flatMap(([a, b]) => [a!, b!]))) {
      const canonical = maven.explain(version).canonical as string;
      if (canonical === '') continue;
      expect(maven.explain(canonical).canonical, version).toBe(canonical);
      expect(compareMaven(version, canonical), version).toBe(0);
    }
  });

  it('explains the canonical form and the item tree (MNG-7700)', () => {
    expect(maven.explain('0.x')).toEqual({ canonical: 'x', items: ['x'] });
    expect(maven.explain('0.2')).toEqual({ canonical: '0.2', items: [0, 2] });
    expect(maven.explain('1.0-alpha-1-SNAPSHOT')).toEqual({ canonical: '1-alpha1-snapshot', items: [1, ['alpha1', ['snapshot']]] });
    expect(maven.explain('5.3.0.RELEASE')).toEqual({ canonical: '5.3-release', items: [5, 3, ['release']] });
  });

  it.each([
    ['2.17.1', '2.17.0', 1],
    ['2.0.0-RC1', '2.0.0', -1],
    ['5.3.0.RELEASE', '5.3.0', 0],
    ['1.0-SNAPSHOT', '1.0-rc1', 1],
    ['31.1-jre', '31.1-android', 1],
    ['9.4.51.v20230217', '9.4.51.v20230218', -1],
  ] as const)('orders real-world %s against %s as %d', (a, b, expected) => {
    expect(compareMaven(a, b)).toBe(expected);
  });
});

describe('maven scheme: invalid input', () => {
  it.each([
    ['', 'empty version'],
    ['1.0 beta', 'contains " ": only printable ASCII without spaces is accepted'],
    ['1.0é', 'contains "é": only printable ASCII without spaces is accepted'],
    ['[1.0]', 'contains "[", which Maven reserves for version ranges'],
    ['...', 'has no letters or digits'],
    ['1'.repeat(257), 'longer than 256 characters'],
  ])('rejects %j: %s', (version, reason) => {
    expect(maven.isValid(version)).toBe(false);
    expect(() => compareMaven(version, '1.0')).toThrow(`Invalid maven version "${shown(version)}": ${reason}`);
    expect(() => compareMaven('1.0', version)).toThrow(InvalidVersionError);
  });
});

describe('maven scheme: version ranges (VersionRange.createFromVersionSpec)', () => {
  it.each([
    ['1.0', '[1.0,2.0)', true],
    ['2.0', '[1.0,2.0)', false],
    ['2.0-SNAPSHOT', '[1.0,2.0)', true],
    ['1.0', '(1.0,2.0)', false],
    ['1.0', '(,1.0]', true],
    ['1.0.1', '(,1.0]', false],
    ['1.2', '[1.2]', true],
    ['1.2.0', '[1.2]', true],
    ['1.1', '(,1.0],[1.2,)', false],
    ['1.3', '(,1.0],[1.2,)', true],
    ['0.9', '(,1.0],[1.2,)', true],
    ['7', '(,)', true],
  ] as const)('%s is in %s: %s', (version, range, expected) => {
    expect(satisfiesMaven(version, range)).toBe(expected);
  });

  it('explains the restrictions', () => {
    expect(maven.ranges!.explain('(,1.0],[1.2,)')).toEqual({
      restrictions: [
        { lower: null, lowerInclusive: false, upper: '1.0', upperInclusive: true },
        { lower: '1.2', lowerInclusive: true, upper: null, upperInclusive: false },
      ],
    });
  });

  it.each([
    ['1.0', 'a bare version is a soft requirement that Maven satisfies with any version; write "[1.0]" for exactly 1.0 or "[1.0,)" for 1.0 and later'],
    ['[1.0', 'unbounded range: a "[" or "(" is never closed'],
    ['(1.0)', 'a single version must be surrounded by []: "(1.0)"'],
    ['[2.0,1.0]', '"[2.0,1.0]" defies version ordering'],
    ['[1.0,1.0)', '"[1.0,1.0)" defies version ordering'],
    ['[1.0,2.0),[1.5,3.0)', 'ranges overlap: list them in ascending order without overlap'],
    ['[1.0,2.0)x', 'unexpected "x" after the ranges: only bracketed ranges may be combined'],
    ['[1.0 beta,2.0)', 'version "1.0 beta" in "[1.0 beta,2.0)": contains " ": only printable ASCII without spaces is accepted'],
    ['', 'empty range'],
  ])('rejects the range %j', (range, reason) => {
    expect(() => satisfiesMaven('1.0', range)).toThrow(InvalidRangeError);
    expect(() => satisfiesMaven('1.0', range)).toThrow(`Invalid maven range "${range}": ${reason}`);
  });
});
