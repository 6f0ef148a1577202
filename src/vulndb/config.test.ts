import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DISTROS } from '../catalog/to-package.js';
import { defaultMirrors, DEFAULT_OSV_ECOSYSTEMS } from './config.js';

describe('default feeds of db update', () => {
  it('cover every language ecosystem the catalogers give packages of, so no cataloged package goes unchecked by default', () => {
    // src/catalog/catalogers/*: npm, python, go, java, ruby, rust, dotnet, php
    for (const ecosystem of ['npm', 'PyPI', 'Go', 'Maven', 'RubyGems', 'crates.io', 'NuGet', 'Packagist']) expect(DEFAULT_OSV_ECOSYSTEMS).toContain(ecosystem);
  });

  it('cover the distributions the matcher reads releases of, and leave out those it cannot key yet', () => {
    const distros = new Set(Object.values(DISTROS).map((d) => d.ecosystem));
    for (const ecosystem of ['Debian', 'Ubuntu', 'Alpine', 'AlmaLinux', 'Rocky Linux', 'Wolfi', 'Chainguard']) {
      expect(distros.has(ecosystem)).toBe(true);
      expect(DEFAULT_OSV_ECOSYSTEMS).toContain(ecosystem);
    }
    // Red Hat's advisories are per product stream (CPE), which os-release does not give
    expect(DEFAULT_OSV_ECOSYSTEMS).not.toContain('Red Hat');
    expect(defaultMirrors().filter((m) => m.source === 'osv').map((m) => m.url)).toContain('https://osv-vulnerabilities.storage.googleapis.com/Rocky%20Linux/all.zip');
  });

  it('fetch the Alpine secdb of every release the bundled end-of-life data calls supported on its own date', () => {
    const eol = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'testdata', 'upstream', 'endoflife', 'eol.json'), 'utf8')) as {
      _source: string;
      products: Record<string, { releases: Array<{ cycle: string; releaseDate: string; eol: string | boolean }> }>;
    };
    const asOf = /\((\d{4}-\d{2}-\d{2})\)/.exec(eol._source)?.[1] ?? '';
    expect(asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const supported = (eol.products['alpine-linux']?.releases ?? []).filter((r) => r.releaseDate <= asOf && (r.eol === false || (typeof r.eol === 'string' && r.eol > asOf))).map((r) => `v${r.cycle}`);
    expect(supported.length).toBeGreaterThan(0);
    const secdb = defaultMirrors().filter((m) => m.source === 'alpine-secdb').map((m) => m.url);
    for (const release of supported) for (const repo of ['main', 'community']) expect(secdb).toContain(`https://secdb.alpinelinux.org/${release}/${repo}.json`);
  });
});
