/**
 * Catalog an unpacked root filesystem on disk (a miniature rootfs in testdata, an extracted image):
 * the same catalogers and limits as the image runner, without layers (locations carry no layer).
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { issue, type Issue } from '../core/issue.js';
import type { Package } from '../core/package.js';
import type { Cataloger } from './cataloger.js';
import { dependencyGraph, linkRecords, type PackageDependencies } from './links.js';
import { packageMerger, toPackage } from './to-package.js';
import { detectOsFromFiles, OS_FILES, type OsInfo } from './os/index.js';
import { CATALOGERS } from './registry.js';
import type { PackageRecord } from './schema.js';

export interface DirectoryCatalog {
  os: OsInfo | undefined;
  packages: Package[];
  /** As `CatalogResult.dependencies`. */
  dependencies: PackageDependencies[];
  issues: Issue[];
}

async function* files(root: string, signal: AbortSignal | undefined, paths: readonly string[] | undefined): AsyncGenerator<{ path: string; size: number; mode: number }> {
  const stack: string[] = [];
  if (paths === undefined) stack.push(root);
  else {
    // only these root-relative files and directories; the missing ones are skipped
    for (const path of paths) {
      const full = join(root, path);
      const st = await lstat(full).catch(() => undefined);
      if (st?.isDirectory() === true) stack.push(full);
      else if (st?.isFile() === true) yield { path: relative(root, full).split(sep).join('/'), size: st.size, mode: st.mode & 0o7777 };
    }
  }
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const dir = stack.pop() ?? root;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile()) {
        const st = await lstat(full);
        yield { path: relative(root, full).split(sep).join('/'), size: st.size, mode: st.mode & 0o7777 };
      }
    }
  }
}

/**
 * `options.paths`: walk only these root-relative files and directories (a host's package databases under a
 * mount of `/`, say), not the whole tree; those missing are skipped.
 */
export async function catalogDirectory(root: string, list: readonly Cataloger[] = CATALOGERS, options: { signal?: AbortSignal | undefined; paths?: readonly string[] | undefined } = {}): Promise<DirectoryCatalog> {
  const issues: Issue[] = [];
  const matchers = list.map((c) => ({ c, match: picomatch([...(c.globs ?? [])], { dot: true }) }));
  const osFiles: Array<{ path: string; content: Buffer }> = [];
  const found: Array<{ c: Cataloger; path: string; records: PackageRecord[] }> = [];
  for await (const f of files(root, options.signal, options.paths)) {
    if ((OS_FILES as readonly string[]).includes(f.path)) osFiles.push({ path: f.path, content: await readFile(join(root, f.path), { signal: options.signal }) });
    for (const { c, match } of matchers) {
      if (!match(f.path) && c.wants?.({ path: f.path, size: f.size, mode: f.mode, uid: 0, gid: 0 }) !== true) continue;
      if (c.mode === 'stream') {
        const s = c.scan(f.path);
        for await (const chunk of createReadStream(join(root, f.path), { signal: options.signal })) s.write(chunk as Buffer);
        const result = s.end();
        issues.push(...(result.issues ?? []).map((i) => ({ ...i, location: i.location ?? f.path })));
        found.push({ c, path: f.path, records: result.packages });
        continue;
      }
      if (f.size > c.maxBytes) {
        issues.push(issue('analysis-file-too-large', `"${f.path}" is ${f.size} bytes, more than the ${c.maxBytes} cataloger ${c.id} reads; not analysed`, f.path));
        continue;
      }
      const result = await c.parse(f.path, await readFile(join(root, f.path), { signal: options.signal }));
      issues.push(...(result.issues ?? []).map((i) => ({ ...i, location: i.location ?? f.path })));
      found.push({ c, path: f.path, records: result.packages });
    }
  }
  const detection = detectOsFromFiles(osFiles);
  issues.push(...detection.issues);
  const merger = packageMerger();
  const graph = dependencyGraph();
  // Cataloger by cataloger (in the list's order, as catalogImage): a linker sees all records of its cataloger.
  for (const c of list) {
    const nodes: Array<{ record: PackageRecord; path: string }> = [];
    const index: number[] = [];
    for (const f of found) {
      if (f.c !== c) continue;
      for (const record of f.records) {
        const where = { record, path: f.path, layer: { index: 0, digest: '' } };
        const pkg = toPackage(where, c.id, detection.os);
        pkg.locations = (pkg.locations ?? []).map((l) => ({ path: l.path }));
        index.push(merger.add(pkg, where));
        nodes.push({ record, path: f.path });
      }
    }
    if (c.link !== undefined) for (const l of linkRecords(c.link, nodes)) graph.add(index[l.from] ?? -1, l.to.map((t) => index[t] ?? -1), l.unresolved);
  }
  return { os: detection.os, packages: merger.packages(), dependencies: graph.edges(), issues };
}
