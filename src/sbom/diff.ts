/**
 * `sbom diff`: two package lists compared per ecosystem — packages only in A, only in B, and the same
 * package with other versions. A package is (ecosystem, name) with PyPI names normalised (PEP 503) and
 * ecosystems compared case-insensitively; its versions are a set (an app may vendor two versions of
 * one npm package). Pure: the CLI reads the SBOMs or catalogs the images.
 */
import type { PackageDependencies } from '../catalog/index.js';
import type { Package } from '../core/package.js';

export interface DiffSide {
  /** What was compared: a file, an image, an attached SBOM. */
  label: string;
  packages: readonly Package[];
  /** Dependency edges between `packages` (SBOM read back, or cataloged); compared when both sides give some. */
  dependencies?: readonly PackageDependencies[] | undefined;
}

/** Dependency edges compared by package identity (`ecosystem name`, ecosystem lower-cased, PyPI names PEP 503; versions aside: version changes are in `changed`). */
export interface DependencyDiff {
  /** Distinct edges on each side. */
  a: number;
  b: number;
  /** `npm express -> npm debug`. */
  onlyInA: string[];
  onlyInB: string[];
}

export interface DiffPackage {
  ecosystem: string;
  name: string;
  versions: string[];
}

export interface DiffChange {
  ecosystem: string;
  name: string;
  a: string[];
  b: string[];
}

export interface EcosystemSummary {
  ecosystem: string;
  /** Distinct packages (ecosystem + name) on each side. */
  a: number;
  b: number;
  same: number;
  onlyInA: number;
  onlyInB: number;
  changed: number;
}

/** The JSON shape of `sbom diff --format json` (schemaVersion 1; fields only ever added). */
export interface SbomDiff {
  schemaVersion: '1';
  a: { label: string; packages: number };
  b: { label: string; packages: number };
  identical: boolean;
  ecosystems: EcosystemSummary[];
  onlyInA: DiffPackage[];
  onlyInB: DiffPackage[];
  changed: DiffChange[];
  /** Present when both sides state dependency edges. Not part of `identical` (which is about the package sets). */
  dependencies?: DependencyDiff | undefined;
}

function normalName(ecosystem: string, name: string): string {
  return ecosystem.toLowerCase() === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

interface Entry { ecosystem: string; name: string; versions: Set<string> }

function index(packages: readonly Package[]): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const p of packages) {
    const key = `${p.ecosystem.toLowerCase()}\u0000${normalName(p.ecosystem, p.name)}`;
    const e = out.get(key) ?? { ecosystem: p.ecosystem, name: normalName(p.ecosystem, p.name), versions: new Set<string>() };
    e.versions.add(p.version);
    out.set(key, e);
  }
  return out;
}

const byName = (x: { ecosystem: string; name: string }, y: { ecosystem: string; name: string }): number => x.ecosystem.localeCompare(y.ecosystem) || x.name.localeCompare(y.name);
const sorted = (s: Set<string>): string[] => [...s].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));

function edges(side: DiffSide): Set<string> {
  const label = (i: number): string | undefined => {
    const p = side.packages[i];
    return p === undefined ? undefined : `${p.ecosystem.toLowerCase()} ${normalName(p.ecosystem, p.name)}`;
  };
  const out = new Set<string>();
  for (const d of side.dependencies ?? []) {
    const from = label(d.from);
    for (const t of d.to) {
      const to = label(t);
      if (from !== undefined && to !== undefined && from !== to) out.add(`${from} -> ${to}`);
    }
  }
  return out;
}

function diffDependencies(a: DiffSide, b: DiffSide): DependencyDiff | undefined {
  const ea = edges(a);
  const eb = edges(b);
  if (ea.size === 0 || eb.size === 0) return undefined;
  const sort = (x: string[]): string[] => x.sort((p, q) => p.localeCompare(q));
  return { a: ea.size, b: eb.size, onlyInA: sort([...ea].filter((e) => !eb.has(e))), onlyInB: sort([...eb].filter((e) => !ea.has(e))) };
}

export function diffPackages(a: DiffSide, b: DiffSide): SbomDiff {
  const ia = index(a.packages);
  const ib = index(b.packages);
  const onlyInA: DiffPackage[] = [];
  const onlyInB: DiffPackage[] = [];
  const changed: DiffChange[] = [];
  const eco = new Map<string, EcosystemSummary>();
  const summary = (e: Entry): EcosystemSummary => {
    const k = e.ecosystem.toLowerCase();
    const s = eco.get(k) ?? { ecosystem: e.ecosystem, a: 0, b: 0, same: 0, onlyInA: 0, onlyInB: 0, changed: 0 };
    eco.set(k, s);
    return s;
  };
  for (const [key, ea] of ia) {
    const s = summary(ea);
    s.a++;
    const eb = ib.get(key);
    if (eb === undefined) {
      s.onlyInA++;
      onlyInA.push({ ecosystem: ea.ecosystem, name: ea.name, versions: sorted(ea.versions) });
    } else if (ea.versions.size === eb.versions.size && [...ea.versions].every((v) => eb.versions.has(v))) {
      s.same++;
    } else {
      s.changed++;
      changed.push({ ecosystem: ea.ecosystem, name: ea.name, a: sorted(ea.versions), b: sorted(eb.versions) });
    }
  }
  for (const [key, eb] of ib) {
    const s = summary(eb);
    s.b++;
    if (!ia.has(key)) {
      s.onlyInB++;
      onlyInB.push({ ecosystem: eb.ecosystem, name: eb.name, versions: sorted(eb.versions) });
    }
  }
  const out: SbomDiff = {
    schemaVersion: '1',
    a: { label: a.label, packages: a.packages.length },
    b: { label: b.label, packages: b.packages.length },
    identical: onlyInA.length === 0 && onlyInB.length === 0 && changed.length === 0,
    ecosystems: [...eco.values()].sort((x, y) => x.ecosystem.localeCompare(y.ecosystem)),
    onlyInA: onlyInA.sort(byName),
    onlyInB: onlyInB.sort(byName),
    changed: changed.sort(byName),
  };
  const deps = diffDependencies(a, b);
  if (deps !== undefined) out.dependencies = deps;
  return out;
}

/** The diff for people: a per-ecosystem table, then the differences. */
export function renderDiff(d: SbomDiff): string {
  const lines: string[] = [`a: ${d.a.label} (${d.a.packages} packages)`, `b: ${d.b.label} (${d.b.packages} packages)`, ''];
  const head = ['ECOSYSTEM', 'A', 'B', 'SAME', 'ONLY A', 'ONLY B', 'CHANGED'];
  const rows = d.ecosystems.map((e) => [e.ecosystem, e.a, e.b, e.same, e.onlyInA, e.onlyInB, e.changed].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  lines.push(fmt(head), ...rows.map(fmt));
  const deps = d.dependencies;
  if (deps !== undefined) lines.push('', `Dependency edges: a ${deps.a}, b ${deps.b}; only in a ${deps.onlyInA.length}, only in b ${deps.onlyInB.length}`);
  if (d.identical && (deps === undefined || (deps.onlyInA.length === 0 && deps.onlyInB.length === 0))) {
    lines.push('', 'No differences.');
    return `${lines.join('\n')}\n`;
  }
  const section = (title: string, items: string[]): void => {
    if (items.length === 0) return;
    lines.push('', `${title} (${items.length})`, ...items.map((i) => `  ${i}`));
  };
  section('Only in a', d.onlyInA.map((p) => `${p.ecosystem}  ${p.name}  ${p.versions.join(', ')}`));
  section('Only in b', d.onlyInB.map((p) => `${p.ecosystem}  ${p.name}  ${p.versions.join(', ')}`));
  section('Other versions', d.changed.map((c) => `${c.ecosystem}  ${c.name}  ${c.a.join(', ')} -> ${c.b.join(', ')}`));
  section('Dependency edges only in a', deps?.onlyInA ?? []);
  section('Dependency edges only in b', deps?.onlyInB ?? []);
  return `${lines.join('\n')}\n`;
}
