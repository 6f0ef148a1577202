/**
 * Package → package dependency edges. A cataloger records what each package depends on as its database
 * says (`PackageRecord.dependsOn`, in the cataloger's reference syntax) and gives a `link`: built over
 * every record it found in the image, it resolves one reference to the records it names. Resolution
 * never leaves the image and never invents a package: a reference nothing installed answers to is kept
 * as an unresolved name. `linkRecords` applies a linker; `dependencyGraph` turns record edges into
 * package edges once records are merged into packages (self-edges dropped, order deterministic).
 */
import type { PackageRecord } from './schema.js';

/** A record as a linker sees it: the record and the path of the file it came from (no leading `/`). */
export interface LinkNode {
  record: PackageRecord;
  path: string;
}

/** Built once over all nodes of a cataloger; resolves reference `ref` of node `from` to node indexes (empty: unresolved). */
export type Linker = (nodes: readonly LinkNode[]) => (from: number, ref: string) => readonly number[];

/** One node's resolved dependencies (only for nodes whose record says what it depends on). */
export interface NodeLinks {
  from: number;
  to: number[];
  /** References nothing installed answers to, as written. */
  unresolved: string[];
}

/** Dependencies of one package, by index into the package list. Present only when the source says (an empty `to` means none). */
export interface PackageDependencies {
  from: number;
  to: number[];
  /** What the package depends on that is not installed in the image (names as its database writes them). */
  unresolved?: string[] | undefined;
}

export function linkRecords(linker: Linker, nodes: readonly LinkNode[]): NodeLinks[] {
  if (!nodes.some((n) => n.record.dependsOn !== undefined)) return [];
  const resolve = linker(nodes);
  const out: NodeLinks[] = [];
  nodes.forEach((n, from) => {
    const refs = n.record.dependsOn;
    if (refs === undefined) return;
    const to: number[] = [];
    const unresolved: string[] = [];
    for (const raw of refs) {
      const optional = raw.startsWith('?');
      const ref = optional ? raw.slice(1) : raw;
      const got = resolve(from, ref);
      if (got.length > 0) to.push(...got);
      else if (!optional) unresolved.push(ref);
    }
    out.push({ from, to, unresolved });
  });
  return out;
}

/** Collects record links as package edges: union per package, no self-edges, sorted. */
export function dependencyGraph(): { add(from: number, to: readonly number[], unresolved: readonly string[]): void; edges(): PackageDependencies[] } {
  const byFrom = new Map<number, { to: Set<number>; unresolved: Set<string> }>();
  return {
    add(from, to, unresolved) {
      let e = byFrom.get(from);
      if (e === undefined) byFrom.set(from, (e = { to: new Set(), unresolved: new Set() }));
      for (const t of to) if (t !== from && t >= 0) e.to.add(t);
      for (const u of unresolved) e.unresolved.add(u);
    },
    edges() {
      return [...byFrom.entries()].sort((a, b) => a[0] - b[0]).map(([from, e]) => {
        const d: PackageDependencies = { from, to: [...e.to].sort((a, b) => a - b) };
        if (e.unresolved.size > 0) d.unresolved = [...e.unresolved].sort();
        return d;
      });
    },
  };
}

export interface NameLinkerOptions {
  /** Nodes resolve only to nodes of the same scope (default: the same file). */
  scope?: (path: string) => string;
  /** Names a node answers to (default: its name, and `name@version`). */
  names?: (r: PackageRecord) => readonly string[];
  /** Virtual names a node provides, tried after real names (default: `record.provides`). */
  provides?: (r: PackageRecord) => readonly string[];
  /** A reference → the names it accepts, in order of preference (default: the reference itself). */
  alternatives?: (ref: string) => readonly string[];
  /** Applied to names on both sides (case folding, PEP 503). */
  normalize?: (name: string) => string;
}

const ANY_ARCH = new Set(['all', 'noarch', 'any']);

/**
 * The common linker: references are names (or `name@version`), matched exactly within a scope, real
 * package names before provided (virtual) names; several alternatives → the first one installed. When a
 * name matches packages of several architectures (Debian multi-arch), those of the dependent's
 * architecture (or architecture-independent ones) are preferred.
 */
export function nameLinker(options: NameLinkerOptions = {}): Linker {
  const scope = options.scope ?? ((p: string) => p);
  const names = options.names ?? ((r: PackageRecord) => [r.name, `${r.name}@${r.version}`]);
  const provides = options.provides ?? ((r: PackageRecord) => r.provides ?? []);
  const alternatives = options.alternatives ?? ((ref: string) => [ref]);
  const norm = options.normalize ?? ((n: string) => n);
  return (nodes) => {
    const real = new Map<string, number[]>();
    const virtual = new Map<string, number[]>();
    const scopes = nodes.map((n) => scope(n.path));
    const put = (m: Map<string, number[]>, k: string, i: number): void => {
      const list = m.get(k);
      if (list === undefined) m.set(k, [i]);
      else if (list.at(-1) !== i) list.push(i);
    };
    nodes.forEach((n, i) => {
      const s = scopes[i] ?? '';
      for (const name of names(n.record)) put(real, `${s}\u0000${norm(name)}`, i);
      for (const name of provides(n.record)) put(virtual, `${s}\u0000${norm(name)}`, i);
    });
    return (from, ref) => {
      const s = scopes[from] ?? '';
      const arch = nodes[from]?.record.arch;
      for (const alt of alternatives(ref)) {
        const k = `${s}\u0000${norm(alt)}`;
        const got = real.get(k) ?? virtual.get(k);
        if (got === undefined || got.length === 0) continue;
        if (got.length === 1 || arch === undefined) return got;
        const same = got.filter((i) => {
          const a = nodes[i]?.record.arch;
          return a === undefined || a === arch || ANY_ARCH.has(a);
        });
        return same.length > 0 ? same : got;
      }
      return [];
    };
  };
}
