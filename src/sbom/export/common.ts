/** Helpers both formats share: stable ids, a document UUID derived from its content, timestamps. */
import { createHash } from 'node:crypto';
import type { Package } from '../../core/package.js';
import type { PackageDependencies } from '../../catalog/index.js';
import type { SbomDocument } from '../model.js';

/** RFC 4122 version-4-shaped UUID from the document's content: the same image and time give the same id. */
export function documentUuid(doc: SbomDocument): string {
  const h = createHash('sha256');
  h.update(`${doc.subject.digest ?? ''}\u0000${doc.subject.configDigest}\u0000${doc.created.toISOString()}\u0000`);
  for (const p of doc.packages) h.update(`${p.purl ?? ''}\u0000${p.ecosystem}\u0000${p.name}\u0000${p.version}\u0000`);
  return uuidOf(h.digest());
}

/** An RFC 4122 version-4-shaped UUID from the first 16 bytes of a digest (version and variant bits set). */
export function uuidOf(digest: Buffer): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** ISO 8601 UTC without fractions (SPDX 2.3 `created` is `YYYY-MM-DDThh:mm:ssZ`). */
export function utcSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** `foundBy` and locations of a package in one line (SPDX `sourceInfo`, table output). */
export function provenance(pkg: Package): string {
  const where = (pkg.locations ?? []).map((l) => (l.layer === undefined ? l.path : `${l.path} (layer ${l.layer})`));
  return `found by ${pkg.foundBy ?? 'unknown'}${where.length > 0 ? ` in ${where.join(', ')}` : ''}`;
}

/** A package's ecosystem-qualified label for ids: `npm/lodash@4.17.21`. */
export function packageKey(pkg: Package): string {
  return `${pkg.ecosystem}/${pkg.name}@${pkg.version}`;
}

/**
 * The packages the image itself depends on in a dependency graph: those no other package depends on,
 * plus one package of each cycle nothing outside reaches (the lowest index), so every package is
 * reachable from the image (CycloneDX: the graph starts at `metadata.component`). Sorted by index.
 */
export function topLevel(count: number, dependencies: readonly PackageDependencies[]): number[] {
  const out = new Map<number, number[]>();
  const indegree = new Array<number>(count).fill(0);
  for (const d of dependencies) {
    if (d.from < 0 || d.from >= count) continue;
    const to = d.to.filter((t) => t >= 0 && t < count && t !== d.from);
    out.set(d.from, to);
    for (const t of to) indegree[t] = (indegree[t] ?? 0) + 1;
  }
  const reached = new Array<boolean>(count).fill(false);
  const roots: number[] = [];
  const visit = (start: number): void => {
    const stack = [start];
    reached[start] = true;
    while (stack.length > 0) {
      const i = stack.pop() ?? 0;
      for (const t of out.get(i) ?? []) {
        if (!reached[t]) {
          reached[t] = true;
          stack.push(t);
        }
      }
    }
  };
  for (let i = 0; i < count; i++) {
    if (indegree[i] === 0) {
      roots.push(i);
      visit(i);
    }
  }
  for (let i = 0; i < count; i++) {
    if (!reached[i]) {
      roots.push(i);
      visit(i);
    }
  }
  return roots.sort((a, b) => a - b);
}
