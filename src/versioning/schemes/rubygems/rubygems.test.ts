import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { bump, compareGem, parseGem, release, rubygems, satisfiesGem } from './index.js';

// Built from ruby/rubygems' test_gem_version.rb and the Gem::Version class documentation; the
// source column names each row's origin. "\n" in a cell is a newline (test_initialize).
function readTsv(name: string): string[][] {
  return readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line !== '')
    .map((line) => line.split('\t').map((cell) => cell.replace(/\\n/g, '\n')));
}

describe('rubygems scheme: Gem::Version examples', () => {
  it.each(readTsv('gem-version.tsv'))('%j <=> %j = %s', (a, b, expected) => {
    expect(compareGem(a, b)).toBe(Number(expected));
    expect(compareGem(b, a)).toBe(-Number(expected) || 0);
  });

  it('drops trailing zeros and a redundant "pre" from the canonical segments (test_canonical_segments)', () => {
    expect(rubygems.explain('1.0.0').canonical).toEqual([1]);
    expect(rubygems.explain('1.0.0.a.1.0').canonical).toEqual([1, 'a', 1]);
    expect(rubygems.explain('1.2.3-1').canonical).toEqual([1, 2, 3, 'pre', 1]);
    expect(rubygems.explain('1.0.0-beta.1')).toMatchObject({ normalized: '1.0.0.beta.1', prerelease: true });
  });

  it('bumps and releases like Gem::Version (test_bump, test_release)', () => {
    const bumped = (v: string): string => bump(parseGem(v)).version;
    expect([bumped('5.2.4'), bumped('5.2.4.a'), bumped('5.2.4.a10'), bumped('5.0.0'), bumped('5')]).toEqual(['5.3', '5.3', '5.3', '5.1', '6']);
    const released = (v: string): string => release(parseGem(v)).version;
    expect([released('1.2.0.a'), released('1.1.rc10'), released('1.9.3.alpha.5'), released('1.9.3')]).toEqual(['1.2.0', '1.1', '1.9.3', '1.9.3']);
  });
});

describe('rubygems scheme: invalid input (test_initialize_invalid)', () => {
  it.each([
    ['junk', 'must start with a number'],
    ['1.0\n2.0', 'expected numbers and ASCII letters separated by "." with an optional "-prerelease", e.g. "1.2.3" or "1.0.0-rc.1"'],
    ['1..2', 'empty segment between separators'],
    ['1.2 3.4', 'expected numbers and ASCII letters separated by "." with an optional "-prerelease", e.g. "1.2.3" or "1.0.0-rc.1"'],
    ['2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.', 'empty segment between separators'],
    ['', 'empty version'],
    ['   ', 'empty version'],
  ])('rejects %j: %s', (version, reason) => {
    expect(rubygems.isValid(version)).toBe(false);
    expect(() => compareGem(version, '1.0')).toThrow(`Invalid rubygems version "${version}": ${reason}`);
    expect(() => compareGem('1.0', version)).toThrow(InvalidVersionError);
  });
});

describe('rubygems scheme: Gem::Requirement', () => {
  it.each(readTsv('gem-requirement.tsv'))('%s satisfies %j: %s', (version, requirement, expected) => {
    expect(satisfiesGem(version, requirement)).toBe(expected === 'true');
  });

  it.each([
    ['2.0.0', '>= 1.0, < 2.0', false],
    ['1.9.9', '>= 1.0, < 2.0', true],
    ['1.5.0', '!= 1.5.0', false],
    ['1.5.0', '1.5', true],
    ['2.0.0.rc1', '~> 1.9', false],
    ['1.10.0', '~> 1.9', true],
  ] as const)('%s satisfies %j: %s', (version, requirement, expected) => {
    expect(satisfiesGem(version, requirement)).toBe(expected);
  });

  it('explains where "~>" stops', () => {
    expect(rubygems.ranges!.explain('~> 3.5.0, != 3.5.2')).toEqual({
      clauses: [
        { op: '~>', version: '3.5.0', below: '3.6' },
        { op: '!=', version: '3.5.2' },
      ],
    });
  });

  it.each([
    ['>= junk', 'Invalid rubygems range ">= junk": version "junk" after ">=": must start with a number'],
    ['=> 1.0', 'Invalid rubygems range "=> 1.0": version "> 1.0" after "=": must start with a number'],
    ['', 'Invalid rubygems range "": empty constraint'],
  ])('rejects the requirement %j', (range, message) => {
    expect(() => satisfiesGem('1.0', range)).toThrow(InvalidRangeError);
    expect(() => satisfiesGem('1.0', range)).toThrow(message);
  });
});
