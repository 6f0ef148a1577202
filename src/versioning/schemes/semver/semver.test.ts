import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { shown } from '../../common.js';
import type { RangeOptions } from '../../types.js';
import { compareSemver, gtr, intersects, ltr, satisfiesSemver, semver, tryParseSemver, validRange } from './index.js';

const VECTORS = new URL('../../../../testdata/upstream/version-vectors/semver/', import.meta.url);

function readTsv(name: string): string[][] {
  const lines = readFileSync(new URL(name, VECTORS), 'utf8').split('\n').slice(1);
  // SOURCE.md: a literal TAB or newline inside a value is written as the two characters \t / \n
  return lines.filter((line) => line !== '').map((line) => line.split('\t').map((cell) => cell.replace(/\\t/g, '\t').replace(/\\n/g, '\n')));
}

function options(text: string | undefined): RangeOptions {
  return { loose: text?.includes('loose') === true, includePrerelease: text?.includes('includePrerelease') === true };
}

interface ValidInvalid {
  valid: Array<{ version: string; major: number; minor: number; patch: number; prerelease: Array<string | number>; build: string[] }>;
  invalid: Array<{ value: string; reason: string; options: string }>;
}

describe('semver scheme: upstream vectors (node-semver test/fixtures)', () => {
  it.each(readTsv('compare.tsv'))('compare(%j, %j) = %s %s', (a, b, expected, opts) => {
    expect(compareSemver(a, b, options(opts).loose)).toBe(Number(expected));
  });

  // node-semver's satisfies() answers false for a version it cannot parse; runwarden refuses instead
  // (STYLE.md: invalid input is never "not affected"). These four range-exclude.js rows assert the refusal.
  const refusedVersions = new Set(['not a version', 'glorp', 'false', '1.0.0beta']);
  const satisfiesRows = readTsv('range-satisfies.tsv');
  const answered = satisfiesRows.filter(([, version, , opts]) => !(refusedVersions.has(version!) && !options(opts).loose));
  const refused = satisfiesRows.filter((row) => !answered.includes(row));

  it('covers all 224 satisfies rows: 220 answered, 4 refused', () => {
    expect(answered).toHaveLength(220);
    expect(refused).toHaveLength(4);
  });

  it.each(answered)('satisfies(range %j, version %j) = %s %s', (range, version, expected, opts) => {
    expect(satisfiesSemver(version, range, options(opts))).toBe(expected === 'true');
  });

  it.each(refused)('refuses range %j with the invalid version %j (upstream: false)', (range, version, _expected, opts) => {
    expect(() => satisfiesSemver(version, range, options(opts))).toThrow(InvalidVersionError);
  });

  it.each(readTsv('outside-range.tsv'))('range %j, version %j: %s = %s %s', (range, version, relation, expected, opts) => {
    const outside = relation === 'gtr' ? gtr : ltr;
    expect(outside(version, range, options(opts))).toBe(expected === 'true');
  });

  it.each(readTsv('range-parse.tsv'))('canonicalises %j to %j %s', (range, canonical, opts) => {
    expect(validRange(range, options(opts)) ?? '<invalid>').toBe(canonical);
  });

  it.each(readTsv('intersects.tsv'))('intersects(%j, %j) = %s %s', (a, b, expected, opts) => {
    expect(intersects(a, b, options(opts))).toBe(expected === 'true');
    expect(intersects(b, a, options(opts))).toBe(expected === 'true');
  });

  const fixtures = JSON.parse(readFileSync(new URL('valid-invalid.json', VECTORS), 'utf8')) as ValidInvalid;

  it.each(fixtures.valid)('parses $version', ({ version, major, minor, patch, prerelease, build }) => {
    expect(semver.explain(version)).toMatchObject({ major, minor, patch, prerelease, build });
  });

  it.each(fixtures.invalid)('rejects $value ($reason)', ({ value, options: opts }) => {
    expect(semver.isValid(value, options(opts))).toBe(false);
    expect(() => semver.compare(value, '1.0.0', options(opts))).toThrow(InvalidVersionError);
  });
});

describe('semver scheme: invalid input has a reason', () => {
  it.each([
    ['1.2', 'expected three numbers MAJOR.MINOR.PATCH, got 2'],
    ['01.2.3', 'numbers must not have leading zeros (the loose option accepts them)'],
    ['=1.2.3', 'a leading "=" or space is only accepted with the loose option'],
    ['1.2.3beta', 'a pre-release needs a "-" before it, e.g. "1.0.0-beta" (the loose option accepts "1.0.0beta")'],
    ['1.2.3-', 'expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] with ASCII letters, digits and "-" in identifiers'],
    ['', 'empty version'],
    ['9007199254740992.0.0', 'major version 9007199254740992 is larger than 9007199254740991'],
    [`1.0.0-${'a'.repeat(300)}`, 'longer than 256 characters'],
  ])('rejects %j: %s', (version, reason) => {
    expect(() => compareSemver(version, '1.0.0')).toThrow(`Invalid semver version "${shown(version)}": ${reason}`);
    expect(() => compareSemver('1.0.0', version)).toThrow(InvalidVersionError);
  });

  it.each([
    ['1.x.5', 'Invalid semver range "1.x.5": "1.x.5" is not a comparator'],
    ['>=1.2.3 <=', 'Invalid semver range ">=1.2.3 <=": "<=" is not a comparator'],
    ['^9007199254740991.0.0', 'Invalid semver range "^9007199254740991.0.0": version "9007199254740992.0.0-0" in "<9007199254740992.0.0-0": major version 9007199254740992 is larger than 9007199254740991'],
    ['foo', 'Invalid semver range "foo": "foo" is not a comparator'],
  ])('rejects the range %j', (range, message) => {
    expect(() => satisfiesSemver('1.0.0', range)).toThrow(InvalidRangeError);
    expect(() => satisfiesSemver('1.0.0', range)).toThrow(message);
    expect(validRange(range)).toBeNull();
  });

  it('answers quickly on long hostile input (bounded patterns, capped lengths)', () => {
    const started = performance.now();
    expect(() => satisfiesSemver('1.2.3', `${'v'.repeat(3000)}1.2.3`, { loose: true })).toThrow(
      `Invalid semver range "${'v'.repeat(100)}… (3005 characters)": version "${'v'.repeat(100)}… (3005 characters)" in "${'v'.repeat(100)}… (3005 characters)": longer than 256 characters`,
    );
    expect(() => satisfiesSemver('1.2.3', `${'1.'.repeat(2000)}x`)).toThrow(InvalidRangeError);
    expect(() => satisfiesSemver('1.2.3', '>'.repeat(5000))).toThrow('longer than 4096 characters');
    expect(tryParseSemver(`${'1'.repeat(200)}.0.0`, true)).toBe(`major version ${'1'.repeat(200)} is larger than 9007199254740991`);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('semver scheme: explain', () => {
  it('shows the pieces of a version', () => {
    expect(semver.explain('v1.2.3-rc.1+build.5')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: ['rc', 1], build: ['build', '5'], normalized: '1.2.3-rc.1' });
  });

  it('shows the desugared range', () => {
    expect(semver.ranges!.explain('^1.2.3 || 2.x')).toEqual({ canonical: '>=1.2.3 <2.0.0-0||>=2.0.0 <3.0.0-0', alternatives: [['>=1.2.3', '<2.0.0-0'], ['>=2.0.0', '<3.0.0-0']], includePrerelease: false });
    expect(semver.ranges!.explain('*')).toEqual({ canonical: '*', alternatives: [['*']], includePrerelease: false });
  });
});
