import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError } from '../../../core/errors.js';
import { compareDeb, deb } from './index.js';

const VECTORS = new URL('../../../../testdata/upstream/version-vectors/dpkg/', import.meta.url);

function readTsv(name: string): string[][] {
  const lines = readFileSync(new URL(name, VECTORS), 'utf8').split('\n').slice(1);
  return lines.filter((line) => line !== '').map((line) => line.split('\t').map((cell) => cell.replace(/\\t/g, '\t').replace(/\\n/g, '\n')));
}

// Dpkg_Version.t (newer Perl Dpkg::Version, lenient) compares these, but dpkg 1.21's C parser — which
// runwarden follows — rejects them: "0foo-" has an empty revision, "-0.6.5" an empty upstream version.
// SOURCE.md "Cross-checks" documents the difference; we assert the refusal instead of an order.
const REFUSED_BY_DPKG: Record<string, string> = {
  '0foo-': 'Invalid deb version "0foo-": empty revision after the last "-"',
  '-0.6.5': 'Invalid deb version "-0.6.5": empty upstream version before the revision',
};

describe('deb scheme: upstream vectors (dpkg Dpkg_Version.t, go-deb-version)', () => {
  const rows = readTsv('dpkg-compare.tsv');
  const ordered = rows.filter(([a, b]) => REFUSED_BY_DPKG[a!] === undefined && REFUSED_BY_DPKG[b!] === undefined);
  const refused = rows.filter((row) => !ordered.includes(row));

  it('covers the whole table', () => {
    expect(rows).toHaveLength(63);
    expect(ordered).toHaveLength(59);
    expect(refused).toHaveLength(4);
  });

  it.each(ordered)('compares %s with %s as %s', (a, b, expected) => {
    expect(compareDeb(a, b)).toBe(Number(expected));
    expect(compareDeb(b, a)).toBe(-Number(expected) || 0);
  });

  it.each(refused)('refuses %s vs %s like dpkg 1.21 does (lenient-parser row)', (a, b) => {
    const bad = REFUSED_BY_DPKG[a] === undefined ? b : a;
    expect(() => compareDeb(a, b)).toThrow(InvalidVersionError);
    expect(() => compareDeb(a, b)).toThrow(REFUSED_BY_DPKG[bad]);
  });

  it.each(readTsv('dpkg-valid.tsv'))('validates %j as %s', (version, valid, epoch, upstream, revision) => {
    expect(deb.isValid(version)).toBe(valid === 'true');
    if (valid === 'true') {
      expect(deb.explain(version)).toEqual({ epoch: Number(epoch), upstream, revision: revision === '' ? null : revision });
    } else {
      expect(() => deb.compare(version, '1.0')).toThrow(InvalidVersionError);
    }
  });
});

describe('deb scheme: ordering details from deb-version(7)', () => {
  it.each([
    ['1.0~rc1', '1.0', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0~', '1.0', -1],
    ['1.0', '1.0+b1', -1],
    ['1.0a', '1.0+', -1],
    ['1.0', '1.0-0', 0],
    ['1:0.1', '2.0', 1],
    ['0:2.0', '2.0', 0],
    ['1.2.3-1ubuntu0.1', '1.2.3-1', 1],
    ['7.4.052', '7.4.52', 0],
    ['1.0-1', '1.0-1~bpo1', 1],
    ['2.30-1', '2.30-1+deb12u1', -1],
    ['99999999999999999999999', '99999999999999999999998', 1],
    ['  1.0  ', '1.0', 0],
  ] as const)('orders %j against %j as %d', (a, b, expected) => {
    expect(compareDeb(a, b)).toBe(expected);
  });
});

describe('deb scheme: invalid input', () => {
  it.each([
    ['1:', 'empty upstream version after epoch'],
    ['', 'version string is empty'],
    ['   ', 'version string is empty'],
    ['1.0 1', 'version string has embedded spaces'],
    [':1.0', 'epoch before ":" is empty'],
    ['a:1.0', 'epoch "a" is not a number'],
    ['-1:1.0', 'epoch -1 is negative'],
    ['99999999999:1.0', 'epoch 99999999999 is too big (at most 2147483647)'],
    ['1.0-', 'empty revision after the last "-"'],
    ['-1', 'empty upstream version before the revision'],
    ['abc', 'upstream version must start with a digit'],
    ['1.0_1', 'invalid character "_" in upstream version (allowed: letters, digits and . + - ~ :)'],
    ['1.0-a=b', 'invalid character "=" in revision (allowed: letters, digits and . + ~ _)'],
  ])('rejects %j: %s', (version, reason) => {
    expect(deb.isValid(version)).toBe(false);
    expect(() => compareDeb(version, '1.0')).toThrow(`Invalid deb version "${version}": ${reason}`);
    expect(() => compareDeb('1.0', version)).toThrow(InvalidVersionError);
  });

  it('gives a hint with the expected form', () => {
    try {
      compareDeb('1:', '1');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidVersionError);
      expect((error as InvalidVersionError).hint).toContain('[epoch:]upstream_version[-debian_revision]');
      expect((error as InvalidVersionError).scheme).toBe('deb');
    }
  });
});

describe('deb scheme: relations', () => {
  const satisfies = (version: string, range: string): boolean => deb.ranges!.satisfies(version, range);

  it.each([
    ['1.2-1', '>= 1.2-1, << 2.0', true],
    ['2.0', '>= 1.2-1, << 2.0', false],
    ['2.0~rc1', '<< 2.0', true],
    ['1:1.0', '>> 2.0', true],
    ['1.0', '= 1.0-0', true],
    ['1.0', '<=1.0', true],
  ] as const)('%s satisfies %j: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('explains the clauses', () => {
    expect(deb.ranges!.explain('>= 1.0 , << 2')).toEqual({ clauses: [{ op: '>=', version: '1.0' }, { op: '<<', version: '2' }] });
  });

  it.each([
    ['< 2.0', 'Invalid deb range "< 2.0": relation "<" is obsolete and dpkg reads it as "<=": write "<<" or "<="'],
    ['> 2.0', 'Invalid deb range "> 2.0": relation ">" is obsolete and dpkg reads it as ">=": write ">>" or ">="'],
    ['2.0', 'Invalid deb range "2.0": clause "2.0" has no operator: expected one of << <= = >= >>'],
    ['', 'Invalid deb range "": empty constraint'],
    ['>= 1,', 'Invalid deb range ">= 1,": empty clause between commas'],
    ['>=', 'Invalid deb range ">=": operator ">=" has no version after it'],
    ['>= 1:', 'Invalid deb range ">= 1:": version "1:" after ">=": empty upstream version after epoch'],
  ])('rejects the range %j', (range, message) => {
    expect(() => satisfies('1.0', range)).toThrow(InvalidRangeError);
    expect(() => satisfies('1.0', range)).toThrow(message);
  });

  it('throws for an invalid version instead of answering no', () => {
    expect(() => satisfies('1:', '>= 1.0')).toThrow('Invalid deb version "1:": empty upstream version after epoch');
  });
});
