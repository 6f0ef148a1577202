import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { shown } from '../../common.js';
import { comparePep440, pep440, satisfiesPep440 } from './index.js';

const VECTORS = new URL('../../../../testdata/upstream/version-vectors/pep440/', import.meta.url);

interface Pep440Json {
  sorted_versions: { versions: string[] };
  invalid: string[];
  normalized: Array<{ input: string; normalized: string }>;
  public_and_base: Array<{ version: string; public: string; base_version: string; epoch: number }>;
}

const fixtures = JSON.parse(readFileSync(new URL('pep440.json', VECTORS), 'utf8')) as Pep440Json;
const pairs = readFileSync(new URL('pep440-compare.tsv', VECTORS), 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line !== '')
  .map((line) => line.split('\t'));

describe('pep440 scheme: upstream vectors (pypa/packaging tests/test_version.py)', () => {
  it('orders all 8,465 pairs exactly as packaging does', () => {
    expect(pairs).toHaveLength(8465);
    const mismatches = pairs.filter(([a, b, expected]) => comparePep440(a!, b!) !== Number(expected));
    expect(mismatches).toEqual([]);
  });

  it('keeps the 92 VERSIONS strictly increasing', () => {
    const versions = fixtures.sorted_versions.versions;
    expect(versions).toHaveLength(92);
    expect([...versions].sort(comparePep440)).toEqual(versions);
  });

  it.each(fixtures.invalid)('rejects %j', (version) => {
    expect(pep440.isValid(version)).toBe(false);
    expect(() => comparePep440(version, '1.0')).toThrow(InvalidVersionError);
  });

  it.each(fixtures.normalized)('normalises $input to $normalized', ({ input, normalized }) => {
    expect(pep440.explain(input).normalized).toBe(normalized);
    expect(comparePep440(input, normalized)).toBe(0);
  });

  it.each(fixtures.public_and_base)('gives $version the public $public and base $base_version', (row) => {
    expect(pep440.explain(row.version)).toMatchObject({ public: row.public, base: row.base_version, epoch: row.epoch });
  });
});

describe('pep440 scheme: pieces and messages', () => {
  it('explains a version', () => {
    expect(pep440.explain('1!2.0-RC.1.post2.dev3+Ubuntu-1')).toEqual({
      epoch: 1,
      release: [2, 0],
      pre: 'rc1',
      post: 2,
      dev: 3,
      local: 'ubuntu.1',
      normalized: '1!2.0rc1.post2.dev3+ubuntu.1',
      public: '1!2.0rc1.post2.dev3',
      base: '1!2.0',
    });
  });

  it.each([
    ['', 'empty version'],
    ['lolwat', 'must start with a number (the release), optionally after "v" or "N!"'],
    ['1!', 'expected the release number after the epoch "!"'],
    ['1.0+', 'local version label "" must be letters and digits separated by ".", "-" or "_"'],
    ['1.0 a1', 'unexpected " a1" at offset 3 (after the release come a/b/rc, .post, .dev and +local)'],
    ['1.0.', 'unexpected "." at offset 3 (after the release come a/b/rc, .post, .dev and +local)'],
    ['1'.repeat(1025), 'longer than 1024 characters'],
  ])('rejects %j: %s', (version, reason) => {
    expect(() => comparePep440(version, '1.0')).toThrow(`Invalid pep440 version "${shown(version)}": ${reason}`);
  });
});

describe('pep440 scheme: specifiers (PEP 440 examples, checked against packaging 26.2)', () => {
  it.each([
    // compatible release: ~=2.2 is >=2.2, ==2.*
    ['2.2', '~=2.2', true],
    ['2.9', '~=2.2', true],
    ['3.0', '~=2.2', false],
    ['2.1', '~=2.2', false],
    ['1.4.9', '~=1.4.5', true],
    ['1.5.0', '~=1.4.5', false],
    ['2.3', '~=2.2.post3', true],
    ['2.2', '~=2.2.post3', false],
    ['1.4.5', '~=1.4.5a4', true],
    ['1.5', '~=1.4.5a4', false],
    ['2.2.1', '~=2.2.0', true],
    ['2.3', '~=2.2.0', false],
    ['1.4.5.1', '~=1.4.5.0', true],
    ['1.4.6', '~=1.4.5.0', false],
    // version matching, given 1.1.post1
    ['1.1.post1', '==1.1', false],
    ['1.1.post1', '==1.1.post1', true],
    ['1.1.post1', '==1.1.*', true],
    // zero padding and local labels
    ['1.1.0', '==1.1', true],
    ['1.1', '==1.1.0', true],
    ['1.0+ubuntu1', '==1.0', true],
    ['1.0+ubuntu1', '==1.0+ubuntu1', true],
    ['1.0+ubuntu2', '==1.0+ubuntu1', false],
    ['1.0', '==1.0+ubuntu1', false],
    ['1.1a1', '==1.1.*', true],
    ['1.10', '==1.1.*', false],
    ['1!1.1', '==1.1.*', false],
    ['1!1.1', '==1!1.1.*', true],
    ['1.5', '!=1.5.*', false],
    ['1.6', '!=1.5.*', true],
    // exclusive ordered comparisons
    ['1.7.1', '>1.7', true],
    ['1.7.0.post1', '>1.7', false],
    ['1.7.1', '>1.7.post2', true],
    ['1.7.0.post3', '>1.7.post2', true],
    ['1.7.0', '>1.7.post2', false],
    ['1.7+local', '>1.7', false],
    ['1.8+local', '>1.7', true],
    ['3.1.dev0', '<3.1', false],
    ['3.1a1', '<3.1', false],
    ['3.0.post1', '<3.1', true],
    ['3.1a1', '<3.1a2', true],
    ['2.0rc1', '>=1.0, <2.0', false],
    ['2.0+local', '<=2.0', true],
    // arbitrary equality compares the text as written
    ['1.0', '===1.0', true],
    ['1.0.0', '===1.0', false],
    ['v1.0', '===1.0', false],
    ['1.0', '==v1.0', true],
    // an installed pre-release matches (packaging's contains() for a single version)
    ['1.0a1', '>=0.9', true],
    ['1.0', '', true],
  ] as const)('%s satisfies %j: %s', (version, range, expected) => {
    expect(satisfiesPep440(version, range)).toBe(expected);
  });

  it('refuses pre-releases with includePrerelease: false (packaging prereleases=False)', () => {
    expect(satisfiesPep440('1.0a1', '>=0.9', { includePrerelease: false })).toBe(false);
    expect(satisfiesPep440('1.4.5a4', '~=1.4.5a4', { includePrerelease: false })).toBe(false);
    expect(satisfiesPep440('1.0', '>=0.9', { includePrerelease: false })).toBe(true);
  });

  it('explains the clauses', () => {
    expect(pep440.ranges!.explain('>= 1.0 , ==1.4.*')).toEqual({
      clauses: [
        { op: '>=', version: '1.0', wildcard: false },
        { op: '==', version: '1.4.*', wildcard: true },
      ],
    });
  });

  it.each([
    ['~=1', 'Invalid pep440 range "~=1": "~=1" needs at least two release numbers, e.g. "~=1.0"'],
    ['>=1.0.*', 'Invalid pep440 range ">=1.0.*": ">=" does not take a ".*" wildcard; only == and != do'],
    ['==1.0a1.*', 'Invalid pep440 range "==1.0a1.*": "1.0a1.*": a ".*" wildcard follows the release numbers directly'],
    ['>=1.0+local', 'Invalid pep440 range ">=1.0+local": ">=" does not take a local version label ("+local")'],
    ['1.0', 'Invalid pep440 range "1.0": clause "1.0" has no operator: expected one of === ~= == != <= >= < >'],
    ['>=lolwat', 'Invalid pep440 range ">=lolwat": version "lolwat" after ">=": must start with a number (the release), optionally after "v" or "N!"'],
    ['==1 .*', 'Invalid pep440 range "==1 .*": version "1 .*" after "==" contains white space'],
    ['>=', 'Invalid pep440 range ">=": operator ">=" has no version after it'],
  ])('rejects the specifier %j', (range, message) => {
    expect(() => satisfiesPep440('1.0', range)).toThrow(InvalidRangeError);
    expect(() => satisfiesPep440('1.0', range)).toThrow(message);
  });

  it('throws for an installed version that is not PEP 440, even for ===', () => {
    expect(() => satisfiesPep440('foobar', '===foobar')).toThrow('Invalid pep440 version "foobar"');
  });
});
