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
import type { PackageRecord } from '../../schema.js';

const Licence = z.union([z.string(), z.object({ type: z.string() }).loose()]);
const Manifest = z.object({
  name: z.string().optional(),
  version: z.string().optional(),
  license: Licence.optional(),
  licenses: z.array(Licence).optional(),
}).loose();

const LockEntry = z.object({ version: z.string().optional(), license: z.string().optional(), dev: z.boolean().optional(), link: z.boolean().optional(), name: z.string().optional() }).loose();
type V1Dep = { version?: string | undefined; dev?: boolean | undefined; dependencies?: Record<string, V1Dep> | undefined };
const V1Dep: z.ZodType<V1Dep> = z.lazy(() => z.object({ version: z.string().optional(), dev: z.boolean().optional(), dependencies: z.record(z.string(), V1Dep).optional() }));
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
  return { packages: [record(name, version, declared.flatMap((l) => spdxList(l) ?? []))] };
}

function parseLock(path: string, content: Buffer): ParseResult {
  const issues: Issue[] = [];
  const json = parseJson(path, content, issues);
  if (json === undefined) return { packages: [], issues };
  const lock = Lock.safeParse(json);
  if (!lock.success) return { packages: [], issues: [issue('npm-lock-invalid', `"${path}": ${lock.error.issues[0]?.message ?? 'not a package-lock.json'}; skipped`, undefined, 'Expected lockfileVersion 1, 2 or 3.')] };
  const packages: PackageRecord[] = [];
  if (lock.data.packages !== undefined) {
    for (const [key, entry] of Object.entries(lock.data.packages)) {
      if (key === '' || entry.dev === true || entry.link === true || entry.version === undefined) continue;
      const at = key.lastIndexOf('node_modules/');
      if (at === -1) continue; // workspace folders: their own package.json is the app, not a dependency
      const name = entry.name ?? key.slice(at + 'node_modules/'.length);
      if (!NAME.test(name)) continue;
      packages.push({ ...record(name, entry.version, spdxList(entry.license)), inner: key });
    }
  } else if (lock.data.dependencies !== undefined) {
    const walk = (deps: Record<string, V1Dep>, prefix: string): void => {
      for (const [name, dep] of Object.entries(deps)) {
        const key = `${prefix}node_modules/${name}`;
        if (dep.dev !== true && dep.version !== undefined && NAME.test(name) && !/^(?:file|git|https?|github):/.test(dep.version)) packages.push({ ...record(name, dep.version), inner: key });
        if (dep.dependencies !== undefined) walk(dep.dependencies, `${key}/`);
      }
    };
    walk(lock.data.dependencies, '');
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

export const npm = defineCataloger({
  id: 'npm',
  version: '1',
  kind: 'language',
  globs: ['**/node_modules/*/package.json', '**/node_modules/@*/*/package.json', '**/package-lock.json', '**/npm-shrinkwrap.json'],
  // Lock files of large monorepos reach tens of MB; a package.json is small.
  maxBytes: 64 * 1024 * 1024,
  parse: parseNpm,
});
