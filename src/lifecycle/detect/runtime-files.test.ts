import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildImage, layerOf, type LayerEntry } from '../../../test/images.js';
import { catalogImage, catalogers, CATALOGERS } from '../../catalog/index.js';
import { analyzeImage } from '../../image/analysis/run.js';
import { ociLayout } from '../../image/sources/oci-layout/index.js';
import { IMAGE_LIFECYCLE_ANALYZERS, imageLifecycleFindings, runtimeFilesOf } from '../contribution.js';
import type { LifecycleData } from '../data/schema.js';
import { loadLifecycle } from '../data/store.js';
import { detectProducts } from './index.js';
import { MAX_BINARY_SCAN, runtimeFilesAnalyzer, type RuntimeFile } from './runtime-files.js';

const ROOTFS = join(fileURLToPath(new URL('.', import.meta.url)), 'testdata', 'rootfs');
const NOW = new Date('2026-11-28T12:00:00Z');

/** A layer holding a testdata root filesystem (folders first, then files, sorted). */
function entriesOf(root: string): LayerEntry[] {
  const out: LayerEntry[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const path = relative(root, full);
      if (statSync(full).isDirectory()) {
        out.push({ path: `${path}/` });
        walk(full);
      } else out.push({ path, content: readFileSync(full), mode: 0o755 });
    }
  };
  walk(root);
  return out;
}

let data: LifecycleData;
let dir: string;
beforeAll(async () => {
  data = (await loadLifecycle(undefined)).data;
  dir = await mkdtemp(join(tmpdir(), 'rw-runtime-files-'));
});

async function analyse(name: string, layers: LayerEntry[][]): Promise<Awaited<ReturnType<typeof analyzeImage>>> {
  const built = await buildImage(dir, { name, layers: await Promise.all(layers.map((l) => layerOf(l))) });
  return analyzeImage(await ociLayout.open(built.layout, {}), [...catalogers(), ...IMAGE_LIFECYCLE_ANALYZERS]);
}

describe('runtime files in the single layer pass (miniature root filesystems in testdata/rootfs)', () => {
  it('reads each runtime\'s version from its well-known path, text file or binary marker', async () => {
    const analysis = await analyse('official', [entriesOf(join(ROOTFS, 'official'))]);
    expect(analysis.issues).toEqual([]);
    expect(runtimeFilesOf(analysis)?.map((f) => `${f.path} ${f.product ?? '-'} ${f.version ?? '-'} ${f.marker}`)).toEqual([
      'opt/java/openjdk/release eclipse-temurin 17.0.9 JAVA_VERSION="17.0.9" IMPLEMENTOR="Eclipse Adoptium"',
      'usr/lib/postgresql/12/bin/postgres postgresql 12.17 binary marker "PostgreSQL 12.17"',
      'usr/local/bin/node nodejs 20.11.1 binary marker "node.js/v20.11.1"',
      'usr/local/bin/php php 8.1.27 binary marker "X-Powered-By: PHP/8.1.27"',
      'usr/local/bin/python3.12 python 3.12 path',
      'usr/local/bin/redis-server redis 7.2.5 binary marker "7.2.5buildkitsandbox-1716915900000000000"',
      'usr/local/go/VERSION go 1.21.5 go1.21.5',
      'usr/local/include/php/main/php_version.h php 8.1.27 PHP_VERSION "8.1.27"',
      'usr/local/include/python3.12/patchlevel.h python 3.12.1 PY_VERSION "3.12.1"',
      'usr/local/lib/python3.12/os.py python 3.12 path',
      'usr/local/lib/ruby/3.1.0/x86_64-linux/rbconfig.rb ruby 3.1.4 RUBY_PROGRAM_VERSION "3.1.4"',
      'usr/sbin/nginx nginx 1.25.3 binary marker "nginx/1.25.3"',
      'usr/share/dotnet/shared/Microsoft.NETCore.App/6.0.25/Microsoft.NETCore.App.deps.json dotnet 6.0.25 path',
    ]);
  });

  it('gives one detection per product and cycle, saying how each was found, and end-of-life findings for the image', async () => {
    const analysis = await analyse('official-findings', [entriesOf(join(ROOTFS, 'official'))]);
    const { detections, issues } = detectProducts({ reference: undefined, files: runtimeFilesOf(analysis) }, data);
    expect(issues).toEqual([]);
    expect(detections.map((d) => `${d.product} ${d.cycle?.cycle ?? '?'} (${d.version}): ${d.how.map((h) => `${h.method} ${h.evidence}`).join('; ')}`).sort()).toEqual([
      'dotnet 6 (6.0.25): file file /usr/share/dotnet/shared/Microsoft.NETCore.App/6.0.25/Microsoft.NETCore.App.deps.json (path)',
      'eclipse-temurin 17 (17.0.9): file file /opt/java/openjdk/release (JAVA_VERSION="17.0.9" IMPLEMENTOR="Eclipse Adoptium")',
      'go 1.21 (1.21.5): file file /usr/local/go/VERSION (go1.21.5)',
      'nginx 1.25 (1.25.3): file file /usr/sbin/nginx (binary marker "nginx/1.25.3")',
      'nodejs 20 (20.11.1): file file /usr/local/bin/node (binary marker "node.js/v20.11.1")',
      // two files said 8.1.27: both listed
      'php 8.1 (8.1.27): file file /usr/local/bin/php (binary marker "X-Powered-By: PHP/8.1.27"); file file /usr/local/include/php/main/php_version.h (PHP_VERSION "8.1.27")',
      'postgresql 12 (12.17): file file /usr/lib/postgresql/12/bin/postgres (binary marker "PostgreSQL 12.17")',
      // patchlevel.h's 3.12.1 wins over the paths' 3.12; path-only evidence is not listed beside it
      'python 3.12 (3.12.1): file file /usr/local/include/python3.12/patchlevel.h (PY_VERSION "3.12.1")',
      'redis 7.2 (7.2.5): file file /usr/local/bin/redis-server (binary marker "7.2.5buildkitsandbox-1716915900000000000")',
      'ruby 3.1 (3.1.4): file file /usr/local/lib/ruby/3.1.0/x86_64-linux/rbconfig.rb (RUBY_PROGRAM_VERSION "3.1.4")',
    ]);
    const image = { input: 'oci:official', name: 'localhost/rw/official:1', digest: undefined, config: {}, referrers: () => Promise.resolve({ supported: true, via: 'layout', manifests: [] }) };
    const r = await imageLifecycleFindings({ image: image as never, analysis, packages: { packages: [] }, db: undefined, now: NOW, subject: { type: 'image', image: 'localhost/rw/official:1' } });
    expect(r.findings.map((f) => f.key).sort()).toEqual(['dotnet:6', 'go:1.21', 'nginx:1.25', 'nodejs:20', 'php:8.1', 'postgresql:12', 'ruby:3.1']);
    const node = r.findings.find((f) => f.key === 'nodejs:20')?.finding;
    expect(node?.title).toBe('Node.js 20 reached end of life on 2026-04-30 in localhost/rw/official:1');
    expect(node?.evidence.detectedBy).toEqual(['file: file /usr/local/bin/node (binary marker "node.js/v20.11.1")']);
    expect(node?.remediation).toBe('Move to Node.js 22: upgrade Node.js to 22.');
  });

  it('merges with the package-based detection of the same install; a later layer that deletes a binary removes it', async () => {
    const dpkg = 'Package: nginx\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.25.3-1~bookworm\n\n';
    const analysis = await analyse('nginx-deb', [
      [{ path: 'etc/' }, { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' }, { path: 'var/' }, { path: 'var/lib/' }, { path: 'var/lib/dpkg/' }, { path: 'var/lib/dpkg/status', content: dpkg }, ...entriesOf(join(ROOTFS, 'official')).filter((e) => e.path.startsWith('usr/'))],
      [{ path: 'usr/' }, { path: 'usr/local/' }, { path: 'usr/local/bin/' }, { path: 'usr/local/bin/.wh.redis-server', content: '' }],
    ]);
    const catalog = catalogImage(analysis, CATALOGERS);
    const nginx = catalog.packages.filter((p) => p.name === 'nginx');
    expect(nginx).toHaveLength(1);
    const files = runtimeFilesOf(analysis) ?? [];
    expect(files.some((f) => f.product === 'redis')).toBe(false);
    const { detections } = detectProducts({ reference: undefined, packages: catalog.packages, files }, data);
    expect(detections.filter((d) => d.product === 'nginx').map((d) => d.how.map((h) => h.method))).toEqual([['package', 'file']]);
    expect(detections.some((d) => d.product === 'redis')).toBe(false);
  });

  it('reports a vendor the data does not track and a binary without a version marker, unless a package names it', async () => {
    const analysis = await analyse('other', [entriesOf(join(ROOTFS, 'other'))]);
    const files = runtimeFilesOf(analysis);
    const alone = detectProducts({ reference: undefined, files }, data);
    expect(alone.detections).toEqual([]);
    expect(alone.issues.map((i) => `${i.code}: ${i.message}`)).toEqual([
      'lifecycle-untracked-product: /usr/lib/jvm/zulu17/release: Java 17.0.9 from Azul Systems, Inc. is not in the lifecycle data (JAVA_VERSION="17.0.9" IMPLEMENTOR="Azul Systems, Inc."); its end of life is not checked',
      'lifecycle-file-no-version: /usr/bin/node looks like Node.js, but its version could not be read (no version marker in the binary); its end of life is not checked',
    ]);
    const withPackage = detectProducts({ reference: undefined, files, packages: [{ ecosystem: 'Debian', name: 'nodejs', version: '18.19.0+dfsg-6~deb12u2', purl: 'pkg:deb/debian/nodejs@18.19.0%2Bdfsg-6~deb12u2?arch=amd64' }] }, data);
    expect(withPackage.detections.map((d) => `${d.product} ${d.cycle?.cycle ?? '?'}`)).toEqual(['nodejs 18']);
    expect(withPackage.issues.map((i) => i.code)).toEqual(['lifecycle-untracked-product']);
  });

  it('reports a JDK whose IMPLEMENTOR is named like an Object property as untracked (a plain lookup took Object\'s members for a product)', async () => {
    for (const implementor of ['constructor', 'toString', '__proto__']) {
      const sink = runtimeFilesAnalyzer.open({ path: 'opt/java/openjdk/release', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 0, layer: { index: 0, digest: 'sha256:x' } });
      await sink.write(Buffer.from(`JAVA_VERSION="17.0.9"\nIMPLEMENTOR="${implementor}"\n`));
      expect((await sink.end())?.value).toEqual({ version: '17.0.9', marker: `JAVA_VERSION="17.0.9" IMPLEMENTOR="${implementor}"`, untracked: `Java 17.0.9 from ${implementor}` });
    }
  });

  it('finds a marker split across two chunks, far into a binary, and stops at the scan cap', async () => {
    const run = async (path: string, chunks: Buffer[], size: number): Promise<RuntimeFile | undefined> => {
      const sink = runtimeFilesAnalyzer.open({ path, size, mode: 0o755, uid: 0, gid: 0, mtime: 0, layer: { index: 0, digest: 'sha256:x' } });
      for (const c of chunks) await sink.write(c);
      return (await sink.end())?.value;
    };
    const pad = Buffer.alloc(3 * 1024 * 1024, 0x41);
    const marker = Buffer.from('\0nginx/1.27.2\0');
    const split = [Buffer.concat([pad, marker.subarray(0, 9)]), Buffer.concat([marker.subarray(9), pad])];
    expect(await run('usr/sbin/nginx', split, pad.length * 2 + marker.length)).toEqual({ product: 'nginx', version: '1.27.2', marker: 'binary marker "nginx/1.27.2"' });
    // a version cut at the chunk end is not taken early: "nginx/1.2" + "7.2"
    const cut = [Buffer.concat([pad, Buffer.from('\0nginx/1.2')]), Buffer.from('7.2\0')];
    expect((await run('usr/sbin/nginx', cut, 0))?.version).toBe('1.27.2');
    // redis' build id (no fixed anchor) across chunks
    expect((await run('usr/local/bin/redis-server', [Buffer.from('\0\x007.2.5buildkitsa'), Buffer.from('ndbox-1716915900000000000\0')], 0))?.version).toBe('7.2.5');
    // past the cap nothing more is read
    const big = Buffer.alloc(64 * 1024 * 1024);
    const beyond = [big, big, big, big, Buffer.from('\0nginx/1.27.2\0')];
    expect(await run('usr/sbin/nginx', beyond, MAX_BINARY_SCAN + 14)).toEqual({ product: 'nginx', marker: 'no version marker in the first 256 MiB' });
  });
});
