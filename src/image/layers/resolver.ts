/**
 * FileResolver: how analysers see an image — paths, metadata and the layer each file came from,
 * never tar or OCI. Two views over the same model: the squashed view (what the running container
 * sees) and one layer on its own. Symlinks resolve inside the image root only.
 *
 * `read` fetches content from the layer blob again (one more decompression of that layer, up to the
 * file): it is for one-off reads outside the analysis pass. Analysers get their files' content
 * during the single pass (analysis/run.ts) and should not call it.
 */
import picomatch from 'picomatch';
import { RegistryError } from '../../core/errors.js';
import { squash, type FileTree, type SquashedEntry, type TreeNode } from './squash.js';
import type { EntryType, LayerIndex } from './types.js';

export interface FileInfo {
  /** Path in this view, relative to the image root ("etc/os-release"). */
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** Symlink target as written. */
  linkname?: string | undefined;
  /** The layer that provides the file. */
  layer: { index: number; digest: string };
  /** The file's name inside that layer's tar (differs from `path` when written through a symlink). */
  layerPath: string;
  /** Where the content is: the file itself, or a hard link's target. */
  content: { layer: number; path: string };
}

export type ContentReader = (layer: number, layerPath: string, options: { signal?: AbortSignal | undefined; maxBytes: number }) => Promise<Buffer>;

export interface GlobOptions {
  /** Only these entry types (default: all). */
  types?: readonly EntryType[];
}

export interface FileResolver {
  /** The layers of this view, bottom first. */
  readonly layers: ReadonlyArray<{ index: number; digest: string }>;
  /** Metadata, following symlinks (also the last component); undefined when missing or a loop. */
  stat(path: string): FileInfo | undefined;
  /** Metadata of the entry itself (a symlink stays a symlink). */
  lstat(path: string): FileInfo | undefined;
  /** The path after resolving every symlink, inside the root. */
  realpath(path: string): string | undefined;
  /** Entries of a folder (lstat), sorted by name. */
  list(dir: string): FileInfo[];
  /** Entries matching picomatch globs over root-relative paths (`**\/*.jar`, `etc/os-release`), sorted. */
  glob(patterns: string | readonly string[], options?: GlobOptions): FileInfo[];
  /** Every entry, depth first. */
  files(): Iterable<FileInfo>;
  /** Content of a file (following symlinks), up to `maxBytes` (default 16 MiB). */
  read(path: string, options?: { signal?: AbortSignal | undefined; maxBytes?: number }): Promise<Buffer>;
}

function clean(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

class TreeResolver implements FileResolver {
  constructor(
    private readonly tree: FileTree,
    readonly layers: ReadonlyArray<{ index: number; digest: string }>,
    private readonly layerOffset: number,
    private readonly reader: ContentReader | undefined,
  ) {}

  private info(entry: SquashedEntry): FileInfo {
    const index = entry.layer + this.layerOffset;
    const layer = this.layers.find((l) => l.index === index) ?? { index, digest: '' };
    const out: FileInfo = {
      path: entry.path,
      type: entry.type,
      size: entry.size,
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      mtime: entry.mtime,
      layer,
      layerPath: entry.layerPath,
      content: entry.content === undefined ? { layer: index, path: entry.layerPath } : { layer: entry.content.layer + this.layerOffset, path: entry.content.path },
    };
    if (entry.linkname !== undefined) out.linkname = entry.linkname;
    return out;
  }

  stat(path: string): FileInfo | undefined {
    const found = this.tree.resolve(clean(path), true);
    return found === undefined || found.node === this.tree.root ? undefined : { ...this.info(found.node), path: found.path };
  }

  lstat(path: string): FileInfo | undefined {
    const found = this.tree.resolve(clean(path), false);
    return found === undefined || found.node === this.tree.root ? undefined : this.info(found.node);
  }

  realpath(path: string): string | undefined {
    return this.tree.resolve(clean(path), true)?.path;
  }

  list(dir: string): FileInfo[] {
    const p = clean(dir);
    const found = p === '' ? { node: this.tree.root } : this.tree.resolve(p, true);
    const children = found?.node.children;
    if (children === undefined) return [];
    return [...children.keys()]
      .sort()
      .map((name) => children.get(name))
      .filter((e): e is TreeNode => e !== undefined)
      .map((e) => this.info(e));
  }

  glob(patterns: string | readonly string[], options: GlobOptions = {}): FileInfo[] {
    const list = (typeof patterns === 'string' ? [patterns] : [...patterns]).map(clean);
    const match = picomatch(list, { dot: true });
    const out: FileInfo[] = [];
    for (const entry of this.tree.walk()) {
      if (options.types !== undefined && !options.types.includes(entry.type)) continue;
      if (match(entry.path)) out.push(this.info(entry));
    }
    return out;
  }

  *files(): Iterable<FileInfo> {
    for (const entry of this.tree.walk()) yield this.info(entry);
  }

  async read(path: string, options: { signal?: AbortSignal | undefined; maxBytes?: number } = {}): Promise<Buffer> {
    const info = this.stat(path);
    if (info === undefined) throw new RegistryError('file-not-found', `No file "${clean(path)}" in the image`);
    if (info.type !== 'file') throw new RegistryError('not-a-file', `"${info.path}" is a ${info.type}, not a regular file`);
    const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    if (info.size > maxBytes) throw new RegistryError('too-large', `"${info.path}" is ${info.size} bytes, more than the ${maxBytes} requested at most`);
    if (this.reader === undefined) throw new RegistryError('no-content', `Cannot read "${info.path}": this resolver was built without access to the image's layers`);
    return this.reader(info.content.layer, info.content.path, { signal: options.signal, maxBytes });
  }
}

/** The squashed view of the given layer indexes (bottom first). */
export function squashedResolver(indexes: ReadonlyArray<LayerIndex>, options: { reader?: ContentReader | undefined; labels?: readonly string[] } = {}): { resolver: FileResolver; tree: FileTree } {
  const tree = squash(indexes, options.labels);
  const layers = indexes.map((l, index) => ({ index, digest: l.digest }));
  return { resolver: new TreeResolver(tree, layers, 0, options.reader), tree };
}

/** One layer on its own (`layer` is its position in the image, for FileInfo.layer). */
export function layerResolver(index: LayerIndex, layer: number, options: { reader?: ContentReader | undefined } = {}): FileResolver {
  const tree = squash([index], [`layer ${layer + 1}`]);
  return new TreeResolver(tree, [{ index: layer, digest: index.digest }], layer, options.reader);
}

/**
 * A resolver over the given layers whose view is built on the first call (the squashed view of a
 * cached scan costs tens of milliseconds; analyser sets that never look at it do not pay).
 */
export function lazyResolver(indexes: ReadonlyArray<LayerIndex>, build: () => FileResolver): FileResolver {
  let built: FileResolver | undefined;
  const get = (): FileResolver => (built ??= build());
  return {
    layers: indexes.map((l, index) => ({ index, digest: l.digest })),
    stat: (path) => get().stat(path),
    lstat: (path) => get().lstat(path),
    realpath: (path) => get().realpath(path),
    list: (dir) => get().list(dir),
    glob: (patterns, options) => get().glob(patterns, options),
    files: () => get().files(),
    read: (path, options) => get().read(path, options),
  };
}
