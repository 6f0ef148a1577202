/**
 * php: Composer's record of installed packages, `vendor/composer/installed.json`
 * (Composer 2: `{ "packages": [...] }`; Composer 1: a bare array; https://getcomposer.org/doc/07-runtime.md#installed-versions).
 * Dev packages listed under `dev-package-names` are left out (not installed with `--no-dev`).
 */
import { z } from 'zod';
import { issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { spdxList } from '../../licenses.js';
import { nameLinker } from '../../links.js';
import type { PackageRecord } from '../../schema.js';

const Links = z.record(z.string(), z.unknown()).optional().catch(undefined);
const Pkg = z.object({ name: z.string(), version: z.string(), license: z.array(z.string()).optional(), require: Links, replace: Links, provide: Links }).loose();

/** Composer platform requirements (https://getcomposer.org/doc/01-basic-usage.md#platform-packages): PHP itself, extensions, system libraries, Composer's APIs. */
export function isPlatformPackage(name: string): boolean {
  return /^(?:php(?:-64bit|-ipv6|-zts|-debug)?|hhvm|composer(?:-plugin-api|-runtime-api)?|ext-.+|lib-.+)$/i.test(name);
}
const Installed = z.union([z.object({ packages: z.array(Pkg), 'dev-package-names': z.array(z.string()).optional() }).loose(), z.array(Pkg)]);

export function parseInstalledJson(path: string, content: Buffer): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch (error) {
    return { packages: [], issues: [issue('php-installed-invalid', `"${path}" is not valid JSON (${error instanceof Error ? error.message : String(error)}); skipped`)] };
  }
  const got = Installed.safeParse(json);
  if (!got.success) return { packages: [], issues: [issue('php-installed-invalid', `"${path}" is neither Composer 2 ({"packages": [...]}) nor Composer 1 ([...]) installed.json; skipped`)] };
  const list = Array.isArray(got.data) ? got.data : got.data.packages;
  const dev = new Set(Array.isArray(got.data) ? [] : (got.data['dev-package-names'] ?? []));
  const packages: PackageRecord[] = [];
  const skipped = new Set(list.filter((p) => dev.has(p.name) || p.version.startsWith('dev-')).flatMap((p) => [p.name, ...Object.keys(p.replace ?? {}), ...Object.keys(p.provide ?? {})].map((n) => n.toLowerCase())));
  for (const p of list) {
    if (dev.has(p.name) || p.version.startsWith('dev-')) continue;
    const slash = p.name.indexOf('/');
    const r: PackageRecord = { name: p.name, version: p.version.replace(/^v(?=\d)/, ''), type: 'composer', ecosystem: 'Packagist' };
    if (slash > 0) r.namespace = p.name.slice(0, slash);
    const licenses = (p.license ?? []).flatMap((l) => spdxList(l) ?? []);
    if (licenses.length > 0) r.licenses = licenses;
    const provides = [...Object.keys(p.replace ?? {}), ...Object.keys(p.provide ?? {})];
    if (provides.length > 0) r.provides = provides;
    // Requirements met by a package left out here (dev, dev- version) are not edges, nor missing.
    r.dependsOn = Object.keys(p.require ?? {}).filter((n) => !isPlatformPackage(n)).map((n) => (skipped.has(n.toLowerCase()) ? `?${n}` : n));
    packages.push(r);
  }
  return { packages };
}

export const php = defineCataloger({
  id: 'php',
  version: '2',
  kind: 'language',
  globs: ['**/vendor/composer/installed.json'],
  maxBytes: 32 * 1024 * 1024,
  parse: parseInstalledJson,
  // `require` names within the same installed.json: a package name, else one a package replaces or provides.
  link: nameLinker({ names: (r) => [r.name], normalize: (n) => n.toLowerCase() }),
});
