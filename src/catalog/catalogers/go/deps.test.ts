import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { buildInfoPackages, go } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('go dependencies (build info)', () => {
  it('the main module depends on every module of the binary and stdlib; the modules\' own dependencies are unknown (no entry)', async () => {
    const got = await catalogDirectory(here('testdata/crafted'), [go]);
    const name = (i: number): string => got.packages[i]?.name ?? '?';
    expect(got.dependencies.map((d) => [name(d.from), d.to.map(name), d.unresolved ?? []])).toEqual([
      ['example.com/svc', ['stdlib', 'github.com/google/uuid', 'golang.org/x/net'], []],
    ]);
  });

  it('a (devel) main module is no package, so there are no edges; the same module twice is one reference', () => {
    expect(buildInfoPackages({ goVersion: 'go1.22.1', main: { path: 'x/app', version: '(devel)' }, deps: [{ path: 'a/b', version: 'v1.0.0' }] }).some((r) => r.dependsOn !== undefined)).toBe(false);
    const main = buildInfoPackages({ goVersion: 'go1.22.1', main: { path: 'x/app', version: 'v1.2.3' }, deps: [{ path: 'a/b', version: 'v1.0.0' }, { path: 'a/b', version: 'v1.0.0' }] }).find((r) => r.name === 'x/app');
    expect(main?.dependsOn).toEqual(['stdlib@v1.22.1', 'a/b@v1.0.0']);
  });
});
