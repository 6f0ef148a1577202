/**
 * The analysis runner on real OCI layouts (test/images.ts) read through the oci-layout source:
 * one pass per layer feeding every analyser that asked, results over the squashed view, the layer
 * cache (a second scan reads no blob), and damaged input (a tampered layer, an analyser that throws).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requireComponent } from '../../../test/components.js';
import { buildImage, layerOf, layerWith, type BuiltImage } from '../../../test/images.js';
import { openImage } from '../registry.js';
import type { ImageHandle } from '../types.js';
import type { BufferAnalyzer } from './analyzer.js';
import { fileDigests } from './builtin.js';
import { LayerCache } from './cache.js';
import { analyzeImage } from './run.js';

/** The real handle, counting layer blob reads. */
async function counted(layout: string): Promise<{ image: ImageHandle; opened: string[] }> {
  const image = await openImage(`oci:${layout}`);
  const opened: string[] = [];
  const openLayer = image.openLayer.bind(image);
  image.openLayer = (layer, options) => {
    opened.push(layer.digest);
    return openLayer(layer, options);
  };
  return { image, opened };
}

const osRelease: BufferAnalyzer<{ id: string }, string | undefined> = {
  id: 'os-release',
  version: '1',
  mode: 'buffer',
  maxBytes: 64 * 1024,
  schema: z.object({ id: z.string() }),
  globs: ['etc/os-release', 'usr/lib/os-release'],
  analyze(_file, content) {
    const id = /^ID=(.*)$/m.exec(content.toString('utf8'))?.[1];
    return id === undefined ? { issues: [{ code: 'os-release-invalid', message: 'no ID=' }] } : { value: { id } };
  },
  finalize({ results }) {
    return results.get('etc/os-release')?.value.id;
  },
};

const lines: BufferAnalyzer<number> = {
  id: 'lines',
  version: '1',
  mode: 'buffer',
  maxBytes: 1024,
  schema: z.number(),
  globs: ['**/*.txt', 'bin/copy'],
  analyze: (_file, content) => ({ value: content.toString('utf8').split('\n').length - 1 }),
};

const broken: BufferAnalyzer<number> = {
  id: 'broken',
  version: '1',
  mode: 'buffer',
  maxBytes: 1024,
  schema: z.number(),
  globs: ['etc/hostname'],
  analyze: () => {
    throw new Error('parser exploded');
  },
};

describe('analyzeImage', () => {
  let dir: string;
  let image: BuiltImage;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-analyze-'));
    const base = await layerOf([
      { path: 'etc/' },
      { path: 'etc/hostname', content: 'box\n' },
      { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { path: 'usr/lib/os-release', content: 'NAME="Debian"\nID=debian\n' },
      { path: 'docs/a.txt', content: 'one\ntwo\n' },
      { path: 'docs/deleted.txt', content: 'gone\n' },
      { path: 'docs/big.txt', content: 'x\n'.repeat(2000) },
    ]);
    const top = await layerOf([
      { path: 'docs/.wh.deleted.txt', content: '' },
      { path: 'docs/a.txt', content: 'one\ntwo\nthree\n' },
      { path: 'bin/orig', content: 'l1\nl2\nl3\nl4\n' },
      { path: 'bin/copy', type: 'link', linkname: 'bin/orig' },
    ]);
    image = await buildImage(dir, { name: 'analyze', layers: [base, top] });
  });

  it('hands each wanted file to every analyser that asked for it, and combines values over the squashed view', async () => {
    const { image: handle, opened } = await counted(image.layout);
    const analysis = await analyzeImage(handle, [osRelease, lines, fileDigests]);
    expect(analysis.complete).toBe(true);
    expect(analysis.of(osRelease).output).toBe('debian');
    const l = analysis.of(lines).results;
    expect(l.all().map((x) => [x.layer.index, x.path, x.value])).toEqual([
      [0, 'docs/a.txt', 2],
      [0, 'docs/deleted.txt', 1],
      [1, 'docs/a.txt', 3],
      [1, 'bin/copy', 4],
    ]);
    expect(l.visible().map((x) => [x.path, x.value])).toEqual([['bin/copy', 4], ['docs/a.txt', 3]]);
    expect(analysis.of(lines).issues.map((i) => i.message)).toEqual([`"docs/big.txt" in layer 1/2 (${image.layers[0]!.digest.slice(0, 19)}…) is 4000 bytes, more than the 1024 analyser lines reads; not analysed`]);
    const digests = analysis.of(fileDigests).results;
    expect(digests.get('docs/a.txt')?.value.size).toBe(14);
    expect(digests.get('bin/copy')?.value).toEqual(digests.get('bin/orig')?.value);
    // Two layers, plus one extra read of layer 2 for the hard link "bin/copy" whose target "bin/orig"
    // the lines analyser did not ask for under its own name.
    expect(opened).toEqual([image.layers[0]!.digest, image.layers[1]!.digest, image.layers[1]!.digest]);
  });

  it('reads each layer exactly once when no hard link needs its target again', async () => {
    const { image: handle, opened } = await counted(image.layout);
    await analyzeImage(handle, [osRelease, fileDigests]);
    expect(opened).toEqual(image.layers.map((x) => x.digest));
  });

  it('turns an analyser that throws into an issue for that file and goes on', async () => {
    const { image: handle } = await counted(image.layout);
    const analysis = await analyzeImage(handle, [broken, osRelease]);
    expect(analysis.of(broken).issues.map((i) => i.message)).toEqual([`Analyser broken failed on "etc/hostname" in layer 1/2 (${image.layers[0]!.digest.slice(0, 19)}…): parser exploded`]);
    expect(analysis.of(osRelease).output).toBe('debian');
  });

  it('reads no blob on a second scan with the layer cache, and re-reads only for a new analyser version', async () => {
    const cache = LayerCache.open(':memory:');
    const first = await counted(image.layout);
    const a = await analyzeImage(first.image, [osRelease, lines, fileDigests], { cache });
    const second = await counted(image.layout);
    const b = await analyzeImage(second.image, [osRelease, lines, fileDigests], { cache });
    expect(second.opened).toEqual([]);
    expect(b.blobsRead).toBe(0);
    expect(b.layers.every((x) => x.cached)).toBe(true);
    expect(b.of(osRelease).output).toBe('debian');
    expect(b.of(lines).results.visible()).toEqual(a.of(lines).results.visible());
    expect(b.of(lines).issues).toEqual(a.of(lines).issues);
    expect(b.of(fileDigests).results.all()).toEqual(a.of(fileDigests).results.all());
    expect([...b.resolver.files()]).toEqual([...a.resolver.files()]);
    const third = await counted(image.layout);
    const c = await analyzeImage(third.image, [{ ...lines, version: '2' }, osRelease], { cache });
    expect(c.blobsRead).toBe(2);
    expect(c.layers.map((x) => x.cached)).toEqual([false, false]);
    expect(cache.stats()).toMatchObject({ layers: 2, results: 8 });
  });

  it('reports the squash issues of a cached scan identically, from the cache, and builds the squashed view only when asked', async () => {
    const hostile = await buildImage(dir, {
      name: 'squash-issues',
      layers: [
        await layerOf([{ path: 'etc/' }, { path: 'lnk', type: 'symlink', linkname: 'etc' }]),
        await layerOf([{ path: 'lnk/x.txt', content: 'a\nb\n' }, { path: 'bin/orphan', type: 'link', linkname: 'bin/nothing' }]),
      ],
    });
    const cache = LayerCache.open(':memory:');
    const first = await analyzeImage((await counted(hostile.layout)).image, [lines], { cache });
    const codes = first.issues.map((i) => i.code);
    expect(codes).toContain('layer-path-through-symlink');
    const digests = hostile.layers.map((l) => l.digest);
    expect(cache.getSquashIssues(digests)?.map((i) => i.code)).toContain('layer-path-through-symlink');
    const second = await analyzeImage((await counted(hostile.layout)).image, [lines], { cache });
    expect(second.blobsRead).toBe(0);
    expect(second.issues).toEqual(first.issues);
    expect(second.resolver.layers).toEqual(first.resolver.layers);
    expect(second.resolver.stat('etc/x.txt')?.layerPath).toBe('lnk/x.txt');
    expect(second.of(lines).results.visible().map((x) => [x.path, x.value])).toEqual([['etc/x.txt', 2]]);
    // Without the stored squash issues the view is built to find them again: the same issues.
    cache.db.prepare("DELETE FROM layer_results WHERE analyzer = '@squash'").run();
    const third = await analyzeImage((await counted(hostile.layout)).image, [lines], { cache });
    expect(third.blobsRead).toBe(0);
    expect(third.issues).toEqual(first.issues);
    // Another order of the same layers is another image: its issues are not taken from the first.
    expect(cache.getSquashIssues([...digests].reverse())).toBeUndefined();
  });

  it('rejects a layer whose blob was tampered with: none of its data is used and the analysis says it is incomplete', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'rw-analyze-tamper-'));
    const tampered = await buildImage(copy, { name: 'analyze', layers: image.layers });
    const file = join(tampered.layout, 'blobs', 'sha256', image.layers[1]!.digest.slice(7));
    const blob = await readFile(file);
    blob[blob.length - 20] = (blob[blob.length - 20] ?? 0) ^ 0x55;
    await writeFile(file, blob);
    const cache = LayerCache.open(':memory:');
    const analysis = await analyzeImage(await openImage(`oci:${tampered.layout}`), [lines], { cache });
    expect(analysis.complete).toBe(false);
    expect(analysis.layers.map((x) => x.index === undefined)).toEqual([false, true]);
    expect(analysis.issues.map((i) => i.code)).toContain('layer-rejected');
    expect(analysis.issues.find((i) => i.code === 'layer-rejected')?.message).toMatch(/^layer 2\/2 \(sha256:[a-f0-9]{12}…\) of oci:.* was rejected and not analysed: blob sha256:[a-f0-9]{64} in OCI layout .* does not match its digest/);
    expect(analysis.of(lines).results.all().every((x) => x.layer.index === 0)).toBe(true);
    expect(analysis.resolver.stat('bin/orig')).toBeUndefined();
    expect(analysis.resolver.stat('docs/deleted.txt')).toBeDefined();
    expect(cache.getIndex(image.layers[1]!.digest)).toBeUndefined();
  });

  it('reads one file on demand through the resolver (re-reading its layer), following symlinks', async () => {
    const analysis = await analyzeImage(await openImage(`oci:${image.layout}`), []);
    expect((await analysis.resolver.read('etc/os-release')).toString()).toBe('NAME="Debian"\nID=debian\n');
    expect((await analysis.layerView(1).read('bin/copy')).toString()).toBe('l1\nl2\nl3\nl4\n');
    await expect(analysis.resolver.read('docs/big.txt', { maxBytes: 10 })).rejects.toThrow('"docs/big.txt" is 4000 bytes, more than the 10 requested at most');
  });

  it.skipIf(requireComponent('zstd', ['zstd']) !== undefined)('reads a zstd layer (made by the real zstd CLI) that the manifest mislabels as gzip, and says so', async () => {
    const zstd = await layerWith([{ path: 'etc/os-release', content: 'ID=alpine\n' }], 'zstd');
    const built = await buildImage(await mkdtemp(join(tmpdir(), 'rw-analyze-zstd-')), { name: 'zstd', layers: [zstd] });
    const analysis = await analyzeImage(await openImage(`oci:${built.layout}`), [osRelease]);
    expect(analysis.of(osRelease).output).toBe('alpine');
    expect(analysis.issues.map((i) => i.message)).toEqual([`layer 1/1 (${zstd.digest.slice(0, 19)}…) is declared application/vnd.oci.image.layer.v1.tar+gzip but its content is zstd; read as zstd`]);
  });

  it('refuses two analysers with the same id', async () => {
    await expect(analyzeImage(await openImage(`oci:${image.layout}`), [lines, { ...lines }])).rejects.toThrow('Two analysers share the id "lines"');
  });
});
