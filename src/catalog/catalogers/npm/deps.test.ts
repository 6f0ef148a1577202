import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { lookupPaths, npm } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

async function graph(): Promise<Record<string, { to: string[]; unresolved?: string[] }>> {
  const got = await catalogDirectory(here('testdata/deps'), [npm]);
  expect(got.issues).toEqual([]);
  const label = (i: number): string => {
    const p = got.packages[i];
    return `${p?.name ?? '?'}@${p?.version ?? '?'}`;
  };
  return Object.fromEntries(got.dependencies.map((d) => [label(d.from), d.unresolved === undefined ? { to: d.to.map(label).sort() } : { to: d.to.map(label).sort(), unresolved: d.unresolved }]));
}

describe('npm dependencies', () => {
  it('Node lookup order: own node_modules, then each parent\'s, never node_modules/node_modules', () => {
    expect([...lookupPaths('srv/app/node_modules/@s/x', 'y')]).toEqual([
      'srv/app/node_modules/@s/x/node_modules/y', 'srv/app/node_modules/@s/node_modules/y', 'srv/app/node_modules/y', 'srv/node_modules/y', 'node_modules/y',
    ]);
    expect([...lookupPaths('node_modules/a', 'b')]).toEqual(['node_modules/a/node_modules/b', 'node_modules/b']);
  });

  it('installed node_modules: dependencies resolved by Node\'s lookup (nested before hoisted), peer and optional ones only when installed, cycles kept, missing ones unresolved', async () => {
    const g = await graph();
    expect(g['express@4.17.1']).toEqual({ to: ['@types/node@20.1.0', 'debug@2.6.9', 'ms@2.1.2'], unresolved: ['body-parser'] });
    expect(g['debug@2.6.9']).toEqual({ to: ['ms@2.1.2'] });
    expect(g['debug@4.3.4']).toEqual({ to: ['ms@2.1.2'] });
    expect(g['ms@2.1.2']).toEqual({ to: [] });
    // A "dependencies" that is not an object is ignored (the package is kept, with no dependencies known to be missing).
    expect(g['@types/node@20.1.0']).toEqual({ to: [] });
    expect(g['cyc-a@1.0.0']).toEqual({ to: ['cyc-b@1.0.0'] });
    expect(g['cyc-b@1.0.0']).toEqual({ to: ['cyc-a@1.0.0'] });
  });

  it('package-lock v3: packages[...].dependencies resolved by node_modules path rules; links and dev entries are not targets; missing names unresolved', async () => {
    const g = await graph();
    expect(g['a@1.0.0']).toEqual({ to: ['@s/c@1.2.0', 'b@2.0.0'], unresolved: ['gone'] });
    expect(g['b@2.0.0']).toEqual({ to: ['@s/c@1.2.0', 'a@1.0.0'] });
    expect(g['@s/c@1.2.0']).toEqual({ to: ['b@1.0.0'] });
    expect(g['b@1.0.0']).toEqual({ to: [] });
    expect(g['jest@29.7.0']).toBeUndefined();
  });

  it('package-lock v1: requires resolved through the nested dependencies tree', async () => {
    const g = await graph();
    expect(g['request@2.88.2']).toEqual({ to: ['mime@1.6.0', 'qs@6.5.3'], unresolved: ['tough-cookie'] });
    expect(g['mime@1.6.0']).toEqual({ to: ['qs@6.11.0'] });
  });
});
