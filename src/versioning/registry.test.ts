import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEME_IDS } from '../core/ecosystem.js';
import { UnknownSchemeError } from '../core/errors.js';
import { SCHEMES, getScheme } from './registry.js';

const SCHEMES_DIR = new URL('./schemes/', import.meta.url);
const folders = readdirSync(SCHEMES_DIR).filter((name) => statSync(new URL(name, SCHEMES_DIR)).isDirectory());

describe('versioning registry contract', () => {
  it('registers exactly one scheme per folder under schemes/, and every id in SCHEME_IDS', () => {
    expect([...folders].sort()).toEqual(SCHEMES.map((scheme) => scheme.id).sort());
    expect(SCHEMES.map((scheme) => scheme.id)).toEqual([...SCHEME_IDS]);
  });

  it.each(folders)('schemes/%s: id = folder name, index.ts, readme.md citing the spec, tests beside the code', (folder) => {
    const dir = new URL(`${folder}/`, SCHEMES_DIR);
    const scheme = getScheme(folder);
    expect(scheme.id).toBe(folder);
    expect(existsSync(new URL('index.ts', dir))).toBe(true);
    const readme = readFileSync(new URL('readme.md', dir), 'utf8');
    expect(readme.startsWith(`# ${folder} `)).toBe(true);
    expect(readme).toMatch(/\*\*Spec:\*\* .*https:\/\//);
    expect(readme).toContain('**Conformance:**');
    expect(readdirSync(dir).filter((name) => name.endsWith('.test.ts')).length).toBeGreaterThan(0);
    expect(scheme.spec).toMatch(/^https:\/\//);
    expect(scheme.title).not.toBe('');
  });

  it('describes the range syntax of every scheme that has one', () => {
    for (const scheme of SCHEMES) {
      if (scheme.ranges !== undefined) expect(scheme.ranges.syntax, scheme.id).not.toBe('');
    }
    expect(SCHEMES.filter((scheme) => scheme.ranges === undefined).map((scheme) => scheme.id)).toEqual(['go']);
  });

  it('throws UnknownSchemeError naming the known schemes and the closest one', () => {
    expect(() => getScheme('semvr')).toThrow(UnknownSchemeError);
    expect(() => getScheme('semvr')).toThrow('Unknown version scheme "semvr": expected one of deb, apk, rpm, semver, pep440, go, maven, rubygems, nuget');
    try {
      getScheme('DEB');
    } catch (error) {
      expect(error).toBeInstanceOf(UnknownSchemeError);
      expect((error as UnknownSchemeError).closest).toBe('deb');
      expect((error as UnknownSchemeError).hint).toBe('Did you mean "deb"?');
      expect((error as UnknownSchemeError).known).toEqual([...SCHEME_IDS]);
    }
  });
});
