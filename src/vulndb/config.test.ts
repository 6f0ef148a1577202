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
});
