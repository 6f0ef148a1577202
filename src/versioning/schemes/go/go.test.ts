import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidVersionError } from '../../../core/errors.js';
import { compareGo, go, isPseudoVersion, pseudoVersion } from './index.js';

const VECTORS = new URL('../../../../testdata/upstream/version-vectors/go/', import.meta.url);

function readTsv(name: string): string[][] {
  const lines = readFileSync(new URL(name, VECTORS), 'utf8').split('\n').slice(1);
  return lines.filter((line) => line !== '').map((line) => line.split('\t'));
}

interface PseudoFixtures {
  time: string;
  rev: string;
  cases: Array<{ major: string; older: string; version: string }>;
}

describe('go scheme: upstream vectors (golang.org/x/mod semver_test.go, cmd/go pseudo_test.go)', () => {
  const rows = readTsv('go-semver-compare.tsv');
  // x/mod's Compare orders invalid strings below every valid version (and equal to each other);
  // runwarden refuses to order invalid versions at all (STYLE.md), so rows with an invalid operand
  // assert the refusal, and that the row's expectation is exactly x/mod's invalid-is-lowest rule.
  const ordered = rows.filter(([a, b]) => go.isValid(a!) && go.isValid(b!));
  const refused = rows.filter((row) => !ordered.includes(row));

  it('covers all 1,027 rows: 579 ordered, 448 with an invalid operand', () => {
    expect(rows).toHaveLength(1027);
    expect(ordered).toHaveLength(579);
    expect(refused).toHaveLength(448);
  });

  it('orders every valid pair exactly as x/mod does', () => {
    const mismatches = ordered.filter(([a, b, expected]) => compareGo(a!, b!) !== Number(expected));
    expect(mismatches).toEqual([]);
  });

  it('refuses every row with an invalid operand, which x/mod would rank lowest', () => {
    for (const [a, b, expected] of refused) {
      const rank = (v: string): number => (go.isValid(v) ? 1 : 0);
      expect(Number(expected)).toBe(Math.sign(rank(a!) - rank(b!)));
      expect(() => compareGo(a!, b!)).toThrow(InvalidVersionError);
    }
  });

  it.each(readTsv('go-semver-canonical.tsv'))('canonicalises %j to %j (valid: %s)', (input, canonical, valid) => {
    expect(go.isValid(input)).toBe(valid === 'true');
    if (valid === 'true') expect(go.explain(input).canonical).toBe(canonical);
  });

  const pseudo = JSON.parse(readFileSync(new URL('go-pseudo-versions.json', VECTORS), 'utf8')) as PseudoFixtures;

  it.each(pseudo.cases)('builds and parses the pseudo-version $version', ({ major, older, version }) => {
    expect(pseudoVersion(major, older, new Date(pseudo.time), pseudo.rev)).toBe(version);
    expect(isPseudoVersion(version)).toBe(true);
    expect(isPseudoVersion(older)).toBe(false);
    expect(go.explain(version).pseudo).toMatchObject({ time: pseudo.time.replace('.000', ''), revision: pseudo.rev });
  });

  it('finds no pseudo-version in "---"', () => {
    expect(isPseudoVersion('---')).toBe(false);
  });
});

describe('go scheme: pseudo-versions and +incompatible', () => {
  it('parses the parts of each pseudo-version form', () => {
    expect(go.explain('v0.0.0-20191109021931-daa7c04131f5').pseudo).toEqual({ base: '', timestamp: '20191109021931', time: '2019-11-09T02:19:31Z', revision: 'daa7c04131f5' });
    expect(go.explain('v1.2.4-0.20191109021931-daa7c04131f5').pseudo).toMatchObject({ base: 'v1.2.3' });
    expect(go.explain('v1.3.0-rc.1.0.20191109021931-daa7c04131f5').pseudo).toMatchObject({ base: 'v1.3.0-rc.1' });
    expect(go.explain('v2.0.1-0.20191109021931-daa7c04131f5+incompatible')).toMatchObject({ incompatible: true, pseudo: { base: 'v2.0.0+incompatible' } });
    expect(go.explain('v1.2.3').pseudo).toBeNull();
  });

  it('orders a pseudo-version after its base and before the next release', () => {
    expect(compareGo('v1.2.3', 'v1.2.4-0.20191109021931-daa7c04131f5')).toBe(-1);
    expect(compareGo('v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.4')).toBe(-1);
    expect(compareGo('v1.2.4-0.20191109021931-aaaa', 'v1.2.4-0.20201109021931-aaaa')).toBe(-1);
    expect(compareGo('v2.0.0+incompatible', 'v2.0.0')).toBe(0);
  });

  it('marks an impossible timestamp instead of inventing a date', () => {
    expect(go.explain('v0.0.0-20191399021931-daa7c04131f5').pseudo).toMatchObject({ time: null });
  });
});

describe('go scheme: invalid input', () => {
  it.each([
    ['1.2.3', 'missing the leading "v" (Go writes v1.2.3; OSV records omit it)'],
    ['', 'empty version'],
    ['version', 'expected the major number at offset 1'],
    ['latest', 'must start with "v"'],
    ['v1.2-pre', 'expected "." after the minor number at offset 4 (shorthands v1 and v1.2 take no suffix)'],
    ['v01.2.3', 'major number "01" has a leading zero'],
    ['v1.2.3-01', 'numeric pre-release identifier "01" has a leading zero'],
    ['v1.2.3-a..b', 'empty pre-release identifier at offset 9'],
    ['v1.2.3+', 'empty build identifier at offset 7'],
    ['v1.2.3_x', 'unexpected "_" at offset 6'],
  ])('rejects %j: %s', (version, reason) => {
    expect(go.isValid(version)).toBe(false);
    expect(() => compareGo(version, 'v1.0.0')).toThrow(`Invalid go version "${version}": ${reason}`);
  });

  it('has no range syntax', () => {
    expect(go.ranges).toBeUndefined();
  });
});
