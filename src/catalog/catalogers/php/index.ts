/**
 * php: Composer's record of installed packages, `vendor/composer/installed.json`
 * (Composer 2: `{ "packages": [...] }`; Composer 1: a bare array; https://getcomposer.org/doc/07-runtime.md#installed-versions).
 * Dev packages listed under `dev-package-names` are left out (not installed with `--no-dev`).
 */
import { z } from 'zod';
import { issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { spdxList } from '../../licenses.js';
import type { PackageRecord } from '../../schema.js';

const Pkg = z.object({ name: z.string(), version: z.string(), license: z.array(z.string()).optional() }).loose();
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
  for (const p of list) {
    if (dev.has(p.name) || p.version.startsWith('dev-')) continue;
    const slash = p.name.indexOf('/');
    const r: PackageRecord = { name: p.name, version: p.version.replace(/^v(?=\d)/, ''), type: 'composer', ecosystem: 'Packagist' };
    if (slash > 0) r.namespace = p.name.slice(0, slash);
    const licenses = (p.license ?? []).flatMap((l) => spdxList(l) ?? []);
    if (licenses.length > 0) r.licenses = licenses;
    packages.push(r);
  }
  return { packages };
}

export const php = defineCataloger({
  id: 'php',
  version: '1',
  kind: 'language',
  globs: ['**/vendor/composer/installed.json'],
  maxBytes: 32 * 1024 * 1024,
  parse: parseInstalledJson,
});
