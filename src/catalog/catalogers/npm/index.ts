/**
 * npm: `package.json` of every package installed under a `node_modules` folder (nested and scoped),
 * and the `package-lock.json` / `npm-shrinkwrap.json` of apps in the image (lockfileVersion 1, 2, 3;
 * https://docs.npmjs.com/cli/configuring-npm/package-lock-json). Dev dependencies of a lock file are left
 * out: a production image built with `npm ci --omit=dev` does not have them.
 */
import { z } from 'zod';
import { issue, type Issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { spdxList } from '../../licenses.js';
import type { Linker } from '../../links.js';
import type { PackageRecord } from '../../schema.js';

const Licence = z.union([z.string(), z.object({ type: z.string() }).loose()]);
/** Dependency maps: only the names are used (the versions are ranges; the tree decides what is installed). */
const Deps = z.record(z.string(), z.unknown()).optional().catch(undefined);
const Manifest = z.object({
  name: z.string().optional(),
  version: z.string().optional(),
  license: Licence.optional(),
  licenses: z.array(Licence).optional(),
  dependencies: Deps,
  optionalDependencies: Deps,
  peerDependencies: Deps,
}).loose();

const LockEntry = z.object({ version: z.string().optional(), license: z.string().optional(), dev: z.boolean().optional(), link: z.boolean().optional(), name: z.string().optional(), dependencies: Deps, optionalDependencies: Deps, peerDependencies: Deps }).loose();
type V1Dep = { version?: string | undefined; dev?: boolean | undefined; requires?: Record<string, unknown> | undefined; dependencies?: Record<string, V1Dep> | undefined };
const V1Dep: z.ZodType<V1Dep> = z.lazy(() => z.object({ version: z.string().optional(), dev: z.boolean().optional(), requires: Deps, dependencies: z.record(z.string(), V1Dep).optional() }));
const Lock = z.object({
  lockfileVersion: z.number().int().optional(),
  packages: z.record(z.string(), LockEntry).optional(),
  dependencies: z.record(z.string(), V1Dep).optional(),
}).loose();

const NAME = /^(?:@[a-z0-9-*~][a-z0-9-*._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/i;

function record(fullName: string, version: string, licenses?: string[]): PackageRecord {
  const slash = fullName.startsWith('@') ? fullName.indexOf('/') : -1;
  const r: PackageRecord = slash > 0
    ? { name: fullName, version, type: 'npm', ecosystem: 'npm', namespace: fullName.slice(0, slash) }
    : { name: fullName, version, type: 'npm', ecosystem: 'npm' };
  if (licenses !== undefined && licenses.length > 0) r.licenses = licenses;
  return r;
}

type DepMaps = { dependencies?: Record<string, unknown> | undefined; optionalDependencies?: Record<string, unknown> | undefined; peerDependencies?: Record<string, unknown> | undefined };

/** Names a manifest or lock entry depends on: `dependencies` required, optional and peer ones `?`-prefixed (an edge only when installed). */
function dependencyNames(m: DepMaps): string[] {
  const required = Object.keys(m.dependencies ?? {}).filter((n) => NAME.test(n));
  const optional = [...Object.keys(m.optionalDependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})].filter((n) => NAME.test(n) && !required.includes(n));
  return [...required, ...[...new Set(optional)].map((n) => `?${n}`)];
}

/**
 * Node's module lookup (https://nodejs.org/api/modules.html#loading-from-node_modules-folders) from
 * folder `dir` for `name`: `dir/node_modules/name`, then each parent's, skipping `node_modules` folders
 * themselves. The same rule gives the tree a lock file's `packages` keys describe.
 */
export function* lookupPaths(dir: string, name: string): Generator<string> {
  let p = dir;
  for (;;) {
    if (!p.endsWith('/node_modules') && p !== 'node_modules') yield `${p === '' ? '' : `${p}/`}node_modules/${name}`;
    if (p === '') return;
    const slash = p.lastIndexOf('/');
    p = slash === -1 ? '' : p.slice(0, slash);
  }
}

/**
 * A lock file's dependency names → references to the entries they resolve to (`=<key>`); names that
 * resolve to nothing stay plain (unresolved), names that resolve to an entry that is not a package
 * here (a workspace link, a dev dependency) are dropped.
 */
function resolveInLock(from: string, names: string[], has: (key: string) => 'package' | 'other' | undefined): string[] {
  const out: string[] = [];
  for (const raw of names) {
    const optional = raw.startsWith('?');
    const name = optional ? raw.slice(1) : raw;
    let found: string | undefined;
    let kind: 'package' | 'other' | undefined;
    for (const key of lookupPaths(from, name)) {
      kind = has(key);
      if (kind !== undefined) {
        found = key;
        break;
      }
    }
    if (found === undefined) {
      if (!optional) out.push(name);
    } else if (kind === 'package') out.push(`=${found}`);
  }
  return out;
}

function parseJson(path: string, content: Buffer, issues: Issue[]): unknown {
  try {
    return JSON.parse(content.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
  } catch (error) {
    issues.push(issue('npm-json-invalid', `"${path}" is not valid JSON (${error instanceof Error ? error.message : String(error)}); skipped`));
    return undefined;
  }
}

function parseManifest(path: string, content: Buffer): ParseResult {
  const issues: Issue[] = [];
  const json = parseJson(path, content, issues);
  if (json === undefined) return { packages: [], issues };
  const m = Manifest.safeParse(json);
  if (!m.success) return { packages: [], issues: [issue('npm-manifest-invalid', `"${path}": ${m.error.issues[0]?.message ?? 'not a package.json'}; skipped`)] };
  const { name, version } = m.data;
  // Folders that only hold a package.json for tooling (no name or version) are not packages.
  if (name === undefined || version === undefined) return { packages: [] };
  if (!NAME.test(name)) return { packages: [], issues: [issue('npm-manifest-invalid', `"${path}" names the package "${name.slice(0, 60)}", not a valid npm name; skipped`)] };
  const declared = [...(m.data.license === undefined ? [] : [m.data.license]), ...(m.data.licenses ?? [])].map((l) => (typeof l === 'string' ? l : l.type));
  const r = record(name, version, declared.flatMap((l) => spdxList(l) ?? []));
  // Only installed packages have a dependency tree around them; an app's own package.json is not cataloged.
  if (path.includes('node_modules/')) r.dependsOn = dependencyNames(m.data);
  return { packages: [r] };
}

function parseLock(path: string, content: Buffer): ParseResult {
  const issues: Issue[] = [];
  const json = parseJson(path, content, issues);
  if (json === undefined) return { packages: [], issues };
  const lock = Lock.safeParse(json);
  if (!lock.success) return { packages: [], issues: [issue('npm-lock-invalid', `"${path}": ${lock.error.issues[0]?.message ?? 'not a package-lock.json'}; skipped`, undefined, 'Expected lockfileVersion 1, 2 or 3.')] };
  const packages: PackageRecord[] = [];
  if (lock.data.packages !== undefined) {
    const entries = lock.data.packages;
    const kept = new Map<string, PackageRecord>();
    const deps = new Map<string, string[]>();
    for (const [key, entry] of Object.entries(entries)) {
      if (key === '' || entry.dev === true || entry.link === true || entry.version === undefined) continue;
      const at = key.lastIndexOf('node_modules/');
      if (at === -1) continue; // workspace folders: their own package.json is the app, not a dependency
      const name = entry.name ?? key.slice(at + 'node_modules/'.length);
      if (!NAME.test(name)) continue;
      const r: PackageRecord = { ...record(name, entry.version, spdxList(entry.license)), inner: key };
      kept.set(key, r);
      deps.set(key, dependencyNames(entry));
      packages.push(r);
    }
    const has = (key: string): 'package' | 'other' | undefined => (kept.has(key) ? 'package' : Object.hasOwn(entries, key) ? 'other' : undefined);
    for (const [key, r] of kept) r.dependsOn = resolveInLock(key, deps.get(key) ?? [], has);
  } else if (lock.data.dependencies !== undefined) {
    const kept = new Map<string, PackageRecord>();
    const all = new Set<string>();
    const requires = new Map<string, string[]>();
    const walk = (deps: Record<string, V1Dep>, prefix: string): void => {
      for (const [name, dep] of Object.entries(deps)) {
        const key = `${prefix}node_modules/${name}`;
        all.add(key);
        if (dep.dev !== true && dep.version !== undefined && NAME.test(name) && !/^(?:file|git|https?|github):/.test(dep.version)) {
          const r: PackageRecord = { ...record(name, dep.version), inner: key };
          kept.set(key, r);
          requires.set(key, Object.keys(dep.requires ?? {}).filter((n) => NAME.test(n)));
          packages.push(r);
        }
        if (dep.dependencies !== undefined) walk(dep.dependencies, `${key}/`);
      }
    };
    walk(lock.data.dependencies, '');
    const has = (key: string): 'package' | 'other' | undefined => (kept.has(key) ? 'package' : all.has(key) ? 'other' : undefined);
    for (const [key, r] of kept) r.dependsOn = resolveInLock(key, requires.get(key) ?? [], has);
  }
  return { packages, issues };
}

export function parseNpm(path: string, content: Buffer): ParseResult {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base === 'package.json') return parseManifest(path, content);
  // A lock file shipped inside an installed package describes its author's tree, not this image's.
  if (path.includes('node_modules/')) return { packages: [] };
  return parseLock(path, content);
}

/**
 * Lock-file records carry resolved `=<key>` references (same file); installed packages' names are
 * resolved here by Node's lookup over the package.json files found in the image.
 */
export const npmLinker: Linker = (nodes) => {
  const byKey = new Map<string, number>();
  nodes.forEach((n, i) => byKey.set(n.record.inner === undefined ? n.path.slice(0, -'/package.json'.length) : `${n.path}\u0000${n.record.inner}`, i));
  return (from, ref) => {
    const n = nodes[from];
    if (n === undefined) return [];
    if (n.record.inner !== undefined) {
      const at = ref.startsWith('=') ? byKey.get(`${n.path}\u0000${ref.slice(1)}`) : undefined;
      return at === undefined ? [] : [at];
    }
    for (const dir of lookupPaths(n.path.slice(0, -'/package.json'.length), ref)) {
      const at = byKey.get(dir);
      if (at !== undefined) return [at];
    }
    return [];
  };
};

export const npm = defineCataloger({
  id: 'npm',
  version: '2',
  kind: 'language',
  globs: ['**/node_modules/*/package.json', '**/node_modules/@*/*/package.json', '**/package-lock.json', '**/npm-shrinkwrap.json'],
  // Lock files of large monorepos reach tens of MB; a package.json is small.
  maxBytes: 64 * 1024 * 1024,
  parse: parseNpm,
  link: npmLinker,
});
