import { describe, expect, it } from 'vitest';
import type { Package } from '../core/package.js';
import { diffPackages, renderDiff } from './diff.js';

const pkg = (ecosystem: string, name: string, version: string): Package => ({ ecosystem, name, version });

describe('diffPackages', () => {
  it('compares per (ecosystem, name) with version sets: vendored duplicates, PEP 503 names, ecosystem case', () => {
    const d = diffPackages(
      { label: 'a', packages: [pkg('npm', 'ms', '2.0.0'), pkg('npm', 'ms', '2.1.3'), pkg('PyPI', 'Foo_Bar', '1.0'), pkg('Go', 'stdlib', 'v1.22.0'), pkg('crates.io', 'serde', '1.0.200')] },
      { label: 'b', packages: [pkg('npm', 'ms', '2.1.3'), pkg('npm', 'ms', '2.0.0'), pkg('pypi', 'foo-bar', '1.0'), pkg('Go', 'stdlib', 'v1.22.1'), pkg('Debian', 'bash', '5.2.15-2')] },
    );
    expect(d.identical).toBe(false);
    expect(d.onlyInA).toEqual([{ ecosystem: 'crates.io', name: 'serde', versions: ['1.0.200'] }]);
    expect(d.onlyInB).toEqual([{ ecosystem: 'Debian', name: 'bash', versions: ['5.2.15-2'] }]);
    expect(d.changed).toEqual([{ ecosystem: 'Go', name: 'stdlib', a: ['v1.22.0'], b: ['v1.22.1'] }]);
    expect(d.ecosystems).toEqual([
      { ecosystem: 'crates.io', a: 1, b: 0, same: 0, onlyInA: 1, onlyInB: 0, changed: 0 },
      { ecosystem: 'Debian', a: 0, b: 1, same: 0, onlyInA: 0, onlyInB: 1, changed: 0 },
      { ecosystem: 'Go', a: 1, b: 1, same: 0, onlyInA: 0, onlyInB: 0, changed: 1 },
      { ecosystem: 'npm', a: 1, b: 1, same: 1, onlyInA: 0, onlyInB: 0, changed: 0 },
      { ecosystem: 'PyPI', a: 1, b: 1, same: 1, onlyInA: 0, onlyInB: 0, changed: 0 },
    ]);
  });

  it('says two empty lists are identical', () => {
    const d = diffPackages({ label: 'x', packages: [] }, { label: 'y', packages: [] });
    expect(d).toEqual({ schemaVersion: '1', a: { label: 'x', packages: 0 }, b: { label: 'y', packages: 0 }, identical: true, ecosystems: [], onlyInA: [], onlyInB: [], changed: [] });
    expect(renderDiff(d)).toBe('a: x (0 packages)\nb: y (0 packages)\n\nECOSYSTEM  A  B  SAME  ONLY A  ONLY B  CHANGED\n\nNo differences.\n');
  });

  it('compares dependency edges by package identity when both sides state some (not part of identical: that is the package sets)', () => {
    const packages = [pkg('npm', 'express', '4.17.1'), pkg('npm', 'debug', '2.6.9'), pkg('PyPI', 'Foo_Bar', '1.0'), pkg('npm', 'ms', '2.0.0')];
    const other = [pkg('npm', 'express', '4.17.1'), pkg('npm', 'debug', '2.6.9'), pkg('pypi', 'foo-bar', '1.0'), pkg('npm', 'ms', '2.0.0')];
    const d = diffPackages(
      { label: 'a', packages, dependencies: [{ from: 0, to: [1, 2] }, { from: 1, to: [] }] },
      { label: 'b', packages: other, dependencies: [{ from: 0, to: [2, 0] }, { from: 1, to: [3] }] },
    );
    expect(d.identical).toBe(true);
    expect(d.dependencies).toEqual({ a: 2, b: 2, onlyInA: ['npm express -> npm debug'], onlyInB: ['npm debug -> npm ms'] });
    expect(renderDiff(d)).toContain('Dependency edges: a 2, b 2; only in a 1, only in b 1\n\nDependency edges only in a (1)\n  npm express -> npm debug\n\nDependency edges only in b (1)\n  npm debug -> npm ms\n');
    expect(diffPackages({ label: 'a', packages, dependencies: [{ from: 0, to: [1] }] }, { label: 'b', packages: other }).dependencies).toBeUndefined();
  });
});
