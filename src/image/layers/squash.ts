/**
 * The squashed view: what the running container sees after every layer is applied in order
 * (OCI image-spec layer.md "Applying Changesets"). For each layer, its whiteouts and opaque folders
 * delete from the layers below first, then its entries are added in tar order. Parent folders are
 * resolved like the runtime's applier does: through symlinks, inside the root (".." stops at "/"),
 * so a hostile "evil/passwd" under "evil → ../../../etc" lands at "etc/passwd" *in the image* and is
 * reported; nothing ever resolves outside the root. Hard links take their target's content.
 */
import { issue, type Issue } from '../../core/issue.js';
import { basenameOf, dirnameOf } from './path.js';
import type { LayerEntry, LayerIndex } from './types.js';

export interface SquashedEntry extends LayerEntry {
  /** Layer (0 = base) that provides this entry. */
  layer: number;
  /** The entry's own name in that layer's tar (differs from `path` when a parent was a symlink). */
  layerPath: string;
  /** Hard links: where the content is (the target's layer and name). */
  content?: { layer: number; path: string } | undefined;
  /** A folder no tar entry created (a parent of an entry). */
  implicit?: boolean | undefined;
}

/** A node of the view is its entry (one object per path keeps a 100,000-file view cheap to build). */
export interface TreeNode extends SquashedEntry {
  /** Folders only. */
  children: Map<string, TreeNode> | undefined;
}

function makeNode(fields: SquashedEntry, dir: boolean): TreeNode {
  // One fixed object shape for every node keeps V8 on fast properties.
  return {
    path: fields.path,
    type: fields.type,
    size: fields.size,
    mode: fields.mode,
    uid: fields.uid,
    gid: fields.gid,
    mtime: fields.mtime,
    linkname: fields.linkname,
    layer: fields.layer,
    layerPath: fields.layerPath,
    content: fields.content,
    implicit: fields.implicit,
    children: dir ? new Map<string, TreeNode>() : undefined,
  };
}

const MAX_LINKS = 40; // as Linux's MAXSYMLINKS

export interface Resolved {
  node: TreeNode;
  path: string;
}

export class FileTree {
  /** The image root: not an entry itself (`stat("")` is undefined). */
  readonly root: TreeNode = makeNode(implicitDir('', -1), true);
  readonly issues: Issue[] = [];

  /**
   * Walk `path` from the root. Symlinks in parent folders are always followed; the last component
   * only when `followFinal`. ".." stops at the root; undefined when something is missing or a
   * symlink loop is found.
   */
  resolve(path: string, followFinal: boolean): Resolved | undefined {
    const queue = path.split('/').reverse();
    const names: string[] = [];
    const nodes: TreeNode[] = [this.root];
    let links = 0;
    while (queue.length > 0) {
      const part = queue.pop() ?? '';
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (names.length > 0) {
          names.pop();
          nodes.pop();
        }
        continue;
      }
      const node = nodes[nodes.length - 1];
      const child = node?.children?.get(part);
      if (child === undefined) return undefined;
      const last = queue.every((p) => p === '' || p === '.');
      if (child.type === 'symlink' && (followFinal || !last)) {
        if (++links > MAX_LINKS) return undefined;
        const target = child.linkname ?? '';
        if (target.startsWith('/')) {
          names.length = 0;
          nodes.length = 1;
        }
        for (const p of target.split('/').reverse()) queue.push(p);
        continue;
      }
      names.push(part);
      nodes.push(child);
    }
    const node = nodes[nodes.length - 1];
    return node === undefined ? undefined : { node, path: names.join('/') };
  }

  /**
   * Folders already resolved for adding entries: most entries share their parent with the previous
   * one. Cleared whenever a node is replaced or deleted (a folder may have become a file or link).
   */
  private readonly dirs = new Map<string, { node: TreeNode; path: string }>();

  /** The folder node for `dir`, creating missing folders and following symlinks (for adding an entry). */
  private ensureDir(dir: string, layer: number, entryPath: string, label: string): { node: TreeNode; path: string } {
    const cached = this.dirs.get(dir);
    if (cached !== undefined) return cached;
    const found = this.walkDir(dir, layer, entryPath, label);
    this.dirs.set(dir, found);
    return found;
  }

  private walkDir(dir: string, layer: number, entryPath: string, label: string): { node: TreeNode; path: string } {
    let node = this.root;
    const names: string[] = [];
    const queue = dir === '' ? [] : dir.split('/').reverse();
    let links = 0;
    let through: string | undefined;
    while (queue.length > 0) {
      const part = queue.pop() ?? '';
      if (part === '' || part === '.') continue;
      if (part === '..') {
        names.pop();
        node = this.resolve(names.join('/'), true)?.node ?? this.root;
        continue;
      }
      const children = (node.children ??= new Map<string, TreeNode>());
      let child = children.get(part);
      if (child?.type === 'symlink' && links < MAX_LINKS) {
        links++;
        const target = child.linkname ?? '';
        through ??= `${[...names, part].join('/')} → ${target}`;
        if (target.startsWith('/')) {
          names.length = 0;
          node = this.root;
        }
        for (const p of target.split('/').reverse()) queue.push(p);
        continue;
      }
      if (child === undefined || child.type !== 'dir') {
        const childPath = [...names, part].join('/');
        if (child !== undefined) {
          this.issues.push(issue('layer-parent-not-dir', `${label}: entry "${entryPath}" needs folder "${childPath}", which is a ${child.type}; replaced by a folder`, label));
          this.dirs.clear();
        }
        child = makeNode(implicitDir(childPath, layer), true);
        children.set(part, child);
      }
      names.push(part);
      node = child;
    }
    const path = names.join('/');
    if (through !== undefined) {
      this.issues.push(issue('layer-path-through-symlink', `${label}: entry "${entryPath}" goes through symlink ${through}; placed at "${path === '' ? '' : `${path}/`}${basenameOf(entryPath)}" inside the image root`, label, 'Layers written by a runtime never do this: the image was crafted by hand or is hostile.'));
    }
    return { node, path };
  }

  /** Apply one layer: its deletions first (they only affect lower layers), then its entries. */
  apply(index: LayerIndex, layer: number, label: string): void {
    if (index.opaques.length > 0 || index.whiteouts.length > 0) this.dirs.clear();
    for (const dir of index.opaques) {
      const found = dir === '' ? { node: this.root, path: '' } : this.resolve(dir, false);
      if (found?.node.children !== undefined) found.node.children = new Map<string, TreeNode>();
    }
    for (const path of index.whiteouts) {
      const parent = dirnameOf(path);
      const found = parent === '' ? { node: this.root, path: '' } : this.resolve(parent, true);
      found?.node.children?.delete(basenameOf(path));
    }
    for (const entry of index.entries) this.add(entry, layer, label);
  }

  private add(entry: LayerEntry, layer: number, label: string): void {
    const dir = dirnameOf(entry.path);
    const { node: parent, path: parentPath } = this.ensureDir(dir, layer, entry.path, label);
    const name = basenameOf(entry.path);
    const path = parentPath === dir ? entry.path : parentPath === '' ? name : `${parentPath}/${name}`;
    const children = (parent.children ??= new Map<string, TreeNode>());
    const existing = children.get(name);
    // The same fixed object shape as makeNode's keeps V8 on fast properties (a spread does not).
    const squashed: TreeNode = { path, type: entry.type, size: entry.size, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, linkname: entry.linkname, layer, layerPath: entry.path, content: undefined, implicit: false, children: entry.type === 'dir' ? new Map<string, TreeNode>() : undefined };
    if (entry.type === 'hardlink') {
      const target = this.resolve(entry.linkname ?? '', false);
      const t = target === undefined || target.node === this.root ? undefined : target.node;
      if (t === undefined || t.type === 'dir' || t.type === 'hardlink') {
        this.issues.push(issue('layer-hardlink-missing', `${label}: hard link "${entry.path}" → "${entry.linkname ?? ''}" names ${t === undefined ? 'nothing in the image' : `a ${t.type}`}; skipped`, label));
        return;
      }
      squashed.type = t.type;
      squashed.size = t.size;
      squashed.content = t.content ?? { layer: t.layer, path: t.layerPath };
      if (t.type === 'symlink') squashed.linkname = t.linkname;
    }
    if (entry.type === 'dir' && existing !== undefined && existing.type === 'dir') {
      // A folder entry over a folder: new metadata, same content.
      existing.path = squashed.path;
      existing.mode = squashed.mode;
      existing.uid = squashed.uid;
      existing.gid = squashed.gid;
      existing.mtime = squashed.mtime;
      existing.layer = squashed.layer;
      existing.layerPath = squashed.layerPath;
      existing.implicit = false;
      existing.children ??= new Map<string, TreeNode>();
      return;
    }
    if (existing !== undefined) this.dirs.clear();
    children.set(name, squashed);
  }

  /** Every entry, depth first, names in byte order. */
  *walk(from: TreeNode = this.root): Generator<SquashedEntry> {
    const children = from.children;
    if (children === undefined) return;
    for (const name of [...children.keys()].sort()) {
      const child = children.get(name);
      if (child === undefined) continue;
      yield child;
      if (child.children !== undefined) yield* this.walk(child);
    }
  }
}

function implicitDir(path: string, layer: number): SquashedEntry {
  return { path, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, linkname: undefined, layer, layerPath: path, content: undefined, implicit: true };
}

/** Build the squashed view of layers 0..n-1 (bottom first). */
export function squash(indexes: ReadonlyArray<LayerIndex | undefined>, labels?: readonly string[]): FileTree {
  const tree = new FileTree();
  indexes.forEach((index, i) => {
    if (index !== undefined) tree.apply(index, i, labels?.[i] ?? `layer ${i + 1}/${indexes.length}`);
  });
  return tree;
}
