/**
 * SemVer 2.0.0 (npm, crates.io ordering) with npm's range grammar, as node-semver 7 implements them.
 * version.ts: parsing and precedence; range.ts: ranges, satisfies, gtr/ltr, intersects, canonical form.
 */
import type { Pieces, VersionScheme } from '../../types.js';
import { parseRange, satisfiesSemver } from './range.js';
import { compareSemver, parseSemver, tryParseSemver } from './version.js';

export { gtr, intersects, ltr, outside, parseRange, satisfiesSemver, validRange, type Comparator, type SemverRange } from './range.js';
export { compareParsedSemver, compareSemver, parseSemver, tryParseSemver, type SemVer } from './version.js';

export const semver: VersionScheme = {
  id: 'semver',
  title: 'SemVer 2.0.0 (node-semver)',
  spec: 'https://semver.org/spec/v2.0.0.html',
  options: ['loose', 'includePrerelease'],
  isValid: (version, options) => typeof tryParseSemver(version, options?.loose === true) !== 'string',
  compare: (a, b, options) => compareSemver(a, b, options?.loose === true),
  explain(version, options): Pieces {
    const v = parseSemver(version, options?.loose === true);
    return { major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease, build: v.build, normalized: v.version };
  },
  ranges: {
    syntax: 'npm ranges: ^1.2.3, ~1.2, 1.x, >=1.0.0 <2.0.0, 1.2.3 - 2.0.0, joined with ||',
    satisfies: satisfiesSemver,
    explain(range, options): Pieces {
      const parsed = parseRange(range, options);
      return {
        canonical: parsed.canonical === '' ? '*' : parsed.canonical,
        alternatives: parsed.set.map((set) => set.map((comparator) => (comparator.value === '' ? '*' : comparator.value))),
        includePrerelease: parsed.includePrerelease,
      };
    },
  },
};
