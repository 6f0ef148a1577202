/**
 * The squashed view and the FileResolver (OCI image-spec layer.md "Applying Changesets",
 * "Whiteouts"): deletions apply to lower layers only, opaque folders hide lower content, parents are
 * resolved through symlinks inside the root, hard links take their target's content.
 */
import { describe, expect, it } from 'vitest';
import { layerResolver, squashedResolver } from './resolver.js';
import type { LayerEntry, LayerIndex } from './types.js';

const f = (path: string, size = 1, extra: Partial<LayerEntry> = {}): LayerEntry => ({ path, type: 'file', size, mode: 0o644, uid: 0, gid: 0, mtime: 0, ...extra });
const d = (path: string): LayerEntry => ({ path, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0 });
const l = (path: string, linkname: string): LayerEntry => ({ path, type: 'symlink', size: 0, mode: 0o777, uid: 0, gid: 0, mtime: 0, linkname });
const h = (path: string, linkname: string): LayerEntry => ({ path, type: 'hardlink', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkname });
const layer = (n: number, entries: LayerEntry[], extra: Partial<LayerIndex> = {}): LayerIndex => ({ digest: `sha256:${String(n).repeat(64)}`, entries, whiteouts: [], opaques: [], issues: [], stats: { entries: entries.length, bytes: 0, fileBytes: 0 }, complete: true, ...extra });

describe('squashed view', () => {
  const base = layer(1, [d('etc'), f('etc/os-release', 10), f('etc/hosts', 3), d('var/cache'), f('var/cache/a'), f('var/cache/b'), d('usr/lib'), f('usr/lib/os-release', 20), d('opt/app'), f('opt/app/x')]);

  it('lets a later layer replace a file, delete one (.wh.), hide a folder (opaque) and delete a folder', () => {
    const top = layer(2, [f('etc/hosts', 30), d('var/cache'), f('var/cache/c')], { whiteouts: ['etc/os-release', 'opt/app'], opaques: ['var/cache'] });
    const { resolver } = squashedResolver([base, top]);
    expect(resolver.stat('etc/hosts')).toMatchObject({ size: 30, layer: { index: 1 } });
    expect(resolver.stat('etc/os-release')).toBeUndefined();
    expect(resolver.list('var/cache').map((x) => x.path)).toEqual(['var/cache/c']);
    expect(resolver.stat('opt/app')).toBeUndefined();
    expect(resolver.stat('opt/app/x')).toBeUndefined();
    expect(resolver.list('opt').map((x) => x.path)).toEqual([]);
  });

  it('applies a layer\'s whiteouts to lower layers only: its own file of the same name survives', () => {
    const top = layer(2, [f('etc/hosts', 99)], { whiteouts: ['etc/hosts'] });
    expect(squashedResolver([base, top]).resolver.stat('etc/hosts')).toMatchObject({ size: 99, layer: { index: 1 } });
  });

  it('follows symlinks inside the root for stat and realpath, absolute and relative, and detects loops', () => {
    const top = layer(2, [l('etc/os-release', '../usr/lib/os-release'), l('lib', 'usr/lib'), l('abs', '/usr/lib/os-release'), l('loop1', 'loop2'), l('loop2', 'loop1'), l('up', '../../../../usr')]);
    const { resolver } = squashedResolver([base, top]);
    expect(resolver.lstat('etc/os-release')).toMatchObject({ type: 'symlink', linkname: '../usr/lib/os-release', layer: { index: 1 } });
    expect(resolver.stat('etc/os-release')).toMatchObject({ path: 'usr/lib/os-release', size: 20, layer: { index: 0 } });
    expect(resolver.stat('/lib/os-release')).toMatchObject({ path: 'usr/lib/os-release' });
    expect(resolver.realpath('abs')).toBe('usr/lib/os-release');
    expect(resolver.stat('loop1')).toBeUndefined();
    // ".." stops at the root: the container would see /usr, never the host's
    expect(resolver.realpath('up/lib')).toBe('usr/lib');
  });

  it('places an entry written through a symlinked parent at the resolved path inside the root, with an issue', () => {
    const hostile = layer(2, [l('evil', '../../../../../tmp/outside'), f('evil/passwd', 5)]);
    const { resolver, tree } = squashedResolver([base, hostile], { labels: ['layer 1/2', 'layer 2/2'] });
    expect(resolver.lstat('tmp/outside/passwd')).toMatchObject({ type: 'file', layerPath: 'evil/passwd', layer: { index: 1 } });
    expect(resolver.stat('evil/passwd')).toMatchObject({ path: 'tmp/outside/passwd' });
    expect(tree.issues.map((i) => i.message)).toEqual(['layer 2/2: entry "evil/passwd" goes through symlink evil → ../../../../../tmp/outside; placed at "tmp/outside/passwd" inside the image root']);
  });

  it('gives hard links their target\'s content and size, within and across layers, and reports a missing target', () => {
    const top = layer(2, [f('bin/tool', 7), h('bin/tool2', 'bin/tool'), h('bin/hosts-link', 'etc/hosts'), h('bin/ghost', 'nope')]);
    const { resolver, tree } = squashedResolver([base, top], { labels: ['l1', 'l2'] });
    expect(resolver.stat('bin/tool2')).toMatchObject({ type: 'file', size: 7, content: { layer: 1, path: 'bin/tool' }, layerPath: 'bin/tool2' });
    expect(resolver.stat('bin/hosts-link')).toMatchObject({ size: 3, content: { layer: 0, path: 'etc/hosts' } });
    expect(resolver.stat('bin/ghost')).toBeUndefined();
    expect(tree.issues.map((i) => i.message)).toEqual(['l2: hard link "bin/ghost" → "nope" names nothing in the image; skipped']);
  });

  it('replaces a file by a folder when a later entry needs it as a parent, with an issue', () => {
    const top = layer(2, [f('etc/hosts/inner')]);
    const { resolver, tree } = squashedResolver([base, top], { labels: ['l1', 'l2'] });
    expect(resolver.stat('etc/hosts')).toMatchObject({ type: 'dir', layer: { index: 1 } });
    expect(tree.issues.map((i) => i.code)).toEqual(['layer-parent-not-dir']);
  });

  it('globs over the squashed view with picomatch (dot files included), sorted, optionally by type', () => {
    const { resolver } = squashedResolver([base, layer(2, [f('etc/.hidden'), l('etc/link', 'hosts')])]);
    expect(resolver.glob('etc/*').map((x) => x.path)).toEqual(['etc/.hidden', 'etc/hosts', 'etc/link', 'etc/os-release']);
    expect(resolver.glob(['**/os-release'], { types: ['file'] }).map((x) => x.path)).toEqual(['etc/os-release', 'usr/lib/os-release']);
    expect(resolver.glob('/etc/link', { types: ['symlink'] }).map((x) => x.layer.index)).toEqual([1]);
    expect([...resolver.files()].length).toBe(15); // 10 base entries + 3 implicit parents (var, usr, opt) + 2 on top
  });

  it('shows one layer on its own, with its position in the image', () => {
    const view = layerResolver(layer(2, [f('etc/hosts', 30)], { whiteouts: ['etc/os-release'] }), 3);
    expect(view.stat('etc/hosts')).toMatchObject({ size: 30, layer: { index: 3, digest: `sha256:${'2'.repeat(64)}` } });
    expect(view.stat('usr/lib/os-release')).toBeUndefined();
  });

  it('refuses to read without access to the layers, and names the problem', async () => {
    const { resolver } = squashedResolver([base]);
    await expect(resolver.read('etc/hosts')).rejects.toThrow('Cannot read "etc/hosts": this resolver was built without access to the image\'s layers');
    await expect(resolver.read('nope')).rejects.toThrow('No file "nope" in the image');
    await expect(resolver.read('etc')).rejects.toThrow('"etc" is a dir, not a regular file');
  });

  it('is empty for no layers', () => {
    const { resolver } = squashedResolver([]);
    expect([...resolver.files()]).toEqual([]);
    expect(resolver.stat('')).toBeUndefined();
    expect(resolver.list('')).toEqual([]);
  });
});
