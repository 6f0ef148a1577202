import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { npm, parseNpm } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('npm cataloger', () => {
  it('node_modules (nested and scoped) and the app lock file: one package per app with both locations; dev and links left out', async () => {
    const got = await catalogDirectory(here('testdata/app'), [npm]);
    const byName = new Map(got.packages.map((p) => [p.name, p]));
    expect([...byName.keys()].sort()).toEqual(['@babel/core', 'debug', 'express']);
    expect(byName.get('@babel/core')).toMatchObject({ ecosystem: 'npm', version: '7.22.5', purl: 'pkg:npm/%40babel/core@7.22.5', licenses: ['MIT'], foundBy: 'npm' });
    expect(byName.get('express')?.locations?.map((l) => l.path).sort()).toEqual(['/srv/app/node_modules/express/package.json', '/srv/app/package-lock.json!node_modules/express']);
    expect(byName.get('debug')?.locations?.map((l) => l.path).sort()).toEqual(['/srv/app/node_modules/express/node_modules/debug/package.json', '/srv/app/package-lock.json!node_modules/express/node_modules/debug']);
    expect(got.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^"srv\/app\/node_modules\/broken\/package.json" is not valid JSON \(.+\); skipped$/)]);
  });

  it('lockfileVersion 1: nested dependencies, dev and file: versions left out', async () => {
    const got = await catalogDirectory(here('testdata/lock-v1'), [npm]);
    expect(got.packages.map((p) => `${p.name}@${p.version} ${p.locations?.[0]?.path ?? ''}`)).toEqual([
      'lodash@4.17.15 /opt/legacy/package-lock.json!node_modules/lodash',
      'request@2.88.2 /opt/legacy/package-lock.json!node_modules/request',
      'qs@6.5.3 /opt/legacy/package-lock.json!node_modules/request/node_modules/qs',
    ]);
    expect(got.issues).toEqual([]);
  });

  it('bad input: empty file, wrong shape, invalid name, lock files inside installed packages', () => {
    expect(parseNpm('app/package-lock.json', Buffer.alloc(0)).issues?.[0]?.message).toMatch(/^"app\/package-lock.json" is not valid JSON \(.+\); skipped$/);
    expect(parseNpm('app/package-lock.json', Buffer.from('{"packages": 5}')).issues?.[0]).toMatchObject({ message: expect.stringMatching(/^"app\/package-lock.json": .+; skipped$/) as unknown, hint: 'Expected lockfileVersion 1, 2 or 3.' });
    expect(parseNpm('node_modules/x/package.json', Buffer.from('{"name":"../evil","version":"1.0.0"}')).issues?.[0]?.message).toBe('"node_modules/x/package.json" names the package "../evil", not a valid npm name; skipped');
    expect(parseNpm('app/node_modules/x/package-lock.json', Buffer.from('{"lockfileVersion":3,"packages":{"node_modules/y":{"version":"1.0.0"}}}'))).toEqual({ packages: [] });
  });
});
