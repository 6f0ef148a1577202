import { describe, expect, it } from 'vitest';
import { ECOSYSTEMS, findEcosystem } from '../core/ecosystem.js';
import { InvalidRangeError, InvalidVersionError, UnknownSchemeError, UsageError } from '../core/errors.js';
import { compareVersions, getScheme, isValidVersion, listSchemes, satisfies, schemeForEcosystem } from './index.js';

describe('versioning public API', () => {
  it('compares versions in the named scheme', () => {
    expect(compareVersions('deb', '1:1.0', '2.0')).toBe(1);
    expect(compareVersions('apk', '1.0_rc1-r0', '1.0-r0')).toBe(-1);
    expect(compareVersions('rpm', '1.0-1.el9', '1.0-1.el9_1')).toBe(-1);
    expect(compareVersions('semver', '1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('pep440', '1.0.post1', '1.0')).toBe(1);
    expect(compareVersions('go', 'v0.0.0-20191109021931-daa7c04131f5', 'v0.1.0')).toBe(-1);
    expect(compareVersions('maven', '1.0-SNAPSHOT', '1.0')).toBe(-1);
    expect(compareVersions('rubygems', '1.0.0.rc1', '1.0.0')).toBe(-1);
    expect(compareVersions('nuget', '1.0.0.1', '1.0.0')).toBe(1);
  });

  it('validates and evaluates ranges', () => {
    expect(isValidVersion('semver', '1.2')).toBe(false);
    expect(isValidVersion('semver', 'v1.2.3 ', { loose: true })).toBe(true);
    expect(satisfies('semver', '1.2.3', '^1.0.0')).toBe(true);
    expect(satisfies('semver', '1.3.0-beta', '^1.0.0')).toBe(false);
    expect(satisfies('semver', '1.3.0-beta', '^1.0.0', { includePrerelease: true })).toBe(true);
    expect(satisfies('pep440', '2.31.0', '>=2.0,<3')).toBe(true);
    expect(satisfies('maven', '2.17.0', '[2.0,2.17.1)')).toBe(true);
  });

  it('throws instead of answering for invalid input', () => {
    expect(() => compareVersions('deb', '1:', '1.0')).toThrow(InvalidVersionError);
    expect(() => compareVersions('deb', '1:', '1.0')).toThrow('Invalid deb version "1:": empty upstream version after epoch');
    expect(() => satisfies('semver', '1.2.3', '^1.x.5 ||| junk')).toThrow(InvalidRangeError);
    expect(() => satisfies('semver', 'banana', '*')).toThrow(InvalidVersionError);
  });

  it('refuses options a scheme does not have, and ranges where there are none', () => {
    expect(() => compareVersions('deb', '1', '2', { loose: true })).toThrow(UsageError);
    expect(() => compareVersions('deb', '1', '2', { loose: true })).toThrow('The deb scheme has no "loose" option');
    expect(() => satisfies('go', 'v1.0.0', '>= v1.0.0')).toThrow('The go scheme has no range syntax');
  });

  it('names the known schemes and the closest one for an unknown scheme', () => {
    expect(() => compareVersions('pypi', '1', '2')).toThrow(UnknownSchemeError);
    expect(() => compareVersions('pep', '1', '2')).toThrow(/Unknown version scheme "pep": expected one of deb, apk/);
    expect(listSchemes().map((scheme) => scheme.id)).toContain('nuget');
    expect(getScheme('rubygems').title).toBe('RubyGems (Gem::Version)');
  });
});

describe('ecosystem table (core/ecosystem.ts)', () => {
  it.each([
    ['Debian', 'deb'],
    ['Debian:12', 'deb'],
    ['Ubuntu:Pro:22.04:LTS', 'deb'],
    ['Alpine:v3.20', 'apk'],
    ['Wolfi', 'apk'],
    ['Red Hat:enterprise_linux:9::appstream', 'rpm'],
    ['AlmaLinux:9', 'rpm'],
    ['Rocky Linux:8', 'rpm'],
    ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'],
    ['openSUSE:Leap 15.5', 'rpm'],
    ['Mariner:2.0', 'rpm'],
    ['Azure Linux:3.0', 'rpm'],
    ['npm', 'semver'],
    ['crates.io', 'semver'],
    ['PyPI', 'pep440'],
    ['Go', 'go'],
    ['Maven', 'maven'],
    ['Maven:https://repo.example.com/maven2/', 'maven'],
    ['RubyGems', 'rubygems'],
    ['NuGet', 'nuget'],
  ])('maps %s to %s', (ecosystem, scheme) => {
    expect(schemeForEcosystem(ecosystem).id).toBe(scheme);
  });

  it('records that OSV writes Go versions without the "v"', () => {
    expect(findEcosystem('Go').versionPrefix).toBe('v');
  });

  it('marks Packagist unsupported instead of falling back to another comparator', () => {
    expect(() => schemeForEcosystem('Packagist')).toThrow(UnknownSchemeError);
    expect(() => schemeForEcosystem('Packagist')).toThrow(/^Ecosystem "Packagist" has no version scheme in runwarden: Composer/);
  });

  it('names the closest OSV ecosystem for an unknown one', () => {
    try {
      schemeForEcosystem('pypi');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnknownSchemeError);
      const e = error as UnknownSchemeError;
      expect(e.message).toMatch(/^Unknown ecosystem "pypi": expected an OSV ecosystem name \(Debian, Ubuntu, /);
      expect(e.closest).toBe('PyPI');
      expect(e.hint).toBe('Did you mean "PyPI"? OSV ecosystem names are case-sensitive.');
      expect(e.exitCode).toBe(2);
    }
    expect(() => schemeForEcosystem('Debain')).toThrow(UnknownSchemeError);
    try {
      schemeForEcosystem('Debain');
    } catch (error) {
      expect((error as UnknownSchemeError).closest).toBe('Debian');
    }
  });

  it('lists every ecosystem once, each with a known scheme or an explicit null', () => {
    const names = ECOSYSTEMS.map((entry) => entry.ecosystem);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of ECOSYSTEMS) {
      if (entry.scheme !== null) expect(getScheme(entry.scheme).id).toBe(entry.scheme);
      expect(entry.note).not.toBe('');
    }
  });
});
