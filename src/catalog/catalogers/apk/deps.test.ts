import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { linkRecords } from '../../links.js';
import { apk, apkDependency, parseApkInstalled } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const upstream = (p: string): string => here(`../../../../testdata/upstream/package-dbs/${p}`);

describe('apk dependencies', () => {
  it('D: tokens: constraints and tags dropped, conflicts are not dependencies', () => {
    expect(['so:libc.musl-x86_64.so.1', 'musl>=1.2', 'zlib=1.3', 'musl~1.2', 'pc:zlib>=1.3', 'ca-certificates@edge', '!app-legacy', 'a<2'].map(apkDependency)).toEqual(['so:libc.musl-x86_64.so.1', 'musl', 'zlib', 'musl', 'pc:zlib', 'ca-certificates', undefined, 'a']);
  });

  it('D: resolved within the image: package names, then so:/cmd:/pc: provides of p: lines; cycles kept, self-edges dropped, missing names unresolved', async () => {
    const got = await catalogDirectory(here('testdata/depends'), [apk]);
    expect(got.issues).toEqual([]);
    const name = (i: number): string => got.packages[i]?.name ?? '?';
    expect(got.dependencies.map((d) => [name(d.from), d.to.map(name), d.unresolved ?? []])).toEqual([
      ['musl', [], []],
      ['busybox', ['musl'], []],
      ['zlib', ['musl'], []],
      ['app', ['musl', 'busybox', 'zlib'], ['ca-certificates', 'so:libmissing.so.1']],
      ['ring-a', ['ring-b'], []],
      ['ring-b', ['ring-a'], []],
    ]);
  });

  it('the Trivy installed DB (real Alpine 3.x data): every so:/cmd: dependency resolves to an installed package', async () => {
    const parsed = parseApkInstalled('lib/apk/db/installed', await readFile(upstream('alpine-trivy/installed')));
    const links = linkRecords(apk.link ?? (() => () => []), parsed.packages.map((record) => ({ record, path: 'lib/apk/db/installed' })));
    const name = (i: number): string => parsed.packages[i]?.name ?? '?';
    expect(links.flatMap((l) => l.unresolved.map((u) => `${name(l.from)} → ${u}`))).toEqual([]);
    const musl = parsed.packages.findIndex((p) => p.name === 'musl');
    expect(links.find((l) => name(l.from) === 'busybox')?.to).toContain(musl);
    expect(links.filter((l) => l.to.length > 0).length).toBeGreaterThan(10);
  });
});
