/**
 * python: installed distributions' core metadata (https://packaging.python.org/en/latest/specifications/core-metadata/):
 * `*.dist-info/METADATA` (wheels, pip) and `*.egg-info/PKG-INFO` (setuptools eggs, also `*.egg-info`
 * as a single file). Names are PEP 503-normalised (`Py_Gments` → `py-gments`) for matching and the purl.
 */
import { issue, type Issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { nameLinker } from '../../links.js';
import { spdxList } from '../../licenses.js';
import type { PackageRecord } from '../../schema.js';

/** PEP 503: lower case, runs of `-`, `_`, `.` become one `-`. */
export function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

const NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

/** Only the header matters (RFC 822 style, ends at the first blank line; the body is the description). */
function headers(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) continue;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim().toLowerCase();
    out.set(last, [...(out.get(last) ?? []), line.slice(i + 1).trim()]);
  }
  return out;
}

/**
 * `Requires-Dist` values (PEP 508: `name [extras] (constraints) ; marker`) → PEP 503 names; a
 * requirement under an environment marker (`extra == "socks"`, `python_version < "3.8"`) is optional
 * (`?`): an edge when that package is installed, never reported missing.
 */
export function requiresDist(values: readonly string[]): string[] {
  const required = new Map<string, boolean>();
  for (const v of values) {
    const name = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(v)?.[1];
    if (name !== undefined) required.set(pep503(name), (required.get(pep503(name)) ?? false) || !v.includes(';'));
  }
  return [...required].map(([name, req]) => (req ? name : `?${name}`));
}

/** The folder an installed distribution lives in (site-packages): where its requirements are looked up. */
export function environmentOf(path: string): string {
  const m = /^(.*?)\/?[^/]+\.(?:dist-info|egg-info)(?:\/[^/]+)?$/.exec(path);
  return m?.[1] ?? path.slice(0, path.lastIndexOf('/'));
}

export function parsePythonMetadata(path: string, content: Buffer): ParseResult {
  const issues: Issue[] = [];
  // The header is all we read: a huge description body (or a 100 MB file) costs nothing past it.
  const end = content.indexOf('\n\n');
  const text = content.subarray(0, end === -1 ? Math.min(content.length, 1024 * 1024) : end).toString('utf8');
  if (text.includes('\u0000')) return { packages: [], issues: [issue('python-metadata-invalid', `"${path}" holds binary data, not core metadata; skipped`)] };
  const h = headers(text);
  const name = h.get('name')?.[0];
  const version = h.get('version')?.[0];
  if (name === undefined || !NAME.test(name) || version === undefined || version === '') {
    issues.push(issue('python-metadata-invalid', `"${path}" has ${name === undefined ? 'no Name' : !NAME.test(name) ? `an invalid Name "${name.slice(0, 40)}"` : 'no Version'}; skipped`, undefined, 'Core metadata needs Name and Version headers before the first blank line.'));
    return { packages: [], issues };
  }
  const record: PackageRecord = { name: pep503(name), version, type: 'pypi', ecosystem: 'PyPI' };
  // License-Expression (metadata 2.4) is SPDX already; License is free text; classifiers are a fallback.
  const expression = h.get('license-expression')?.[0];
  const licence = h.get('license')?.[0];
  const classifiers = (h.get('classifier') ?? []).filter((c) => c.startsWith('License :: ')).map((c) => c.split(' :: ').at(-1) ?? c);
  const licenses = expression !== undefined ? [expression] : licence !== undefined && licence !== '' && licence !== 'UNKNOWN' ? spdxList(licence) : classifiers.length > 0 ? classifiers.flatMap((c) => spdxList(c) ?? []) : undefined;
  if (licenses !== undefined && licenses.length > 0) record.licenses = licenses;
  // METADATA always lists Requires-Dist when there are any; an egg's PKG-INFO keeps them in requires.txt (not read): unknown.
  const requires = h.get('requires-dist');
  if (requires !== undefined || path.endsWith('/METADATA')) record.dependsOn = requiresDist(requires ?? []);
  return { packages: [record], issues };
}

export const python = defineCataloger({
  id: 'python',
  version: '2',
  kind: 'language',
  globs: ['**/*.dist-info/METADATA', '**/*.egg-info/PKG-INFO', '**/*.egg-info'],
  // METADATA carries the README as its body; real ones reach a few hundred KB. Bigger is an issue.
  maxBytes: 8 * 1024 * 1024,
  parse: parsePythonMetadata,
  // Requirements resolve to distributions installed in the same folder (one site-packages, one venv).
  link: nameLinker({ scope: environmentOf, names: (r) => [r.name], normalize: pep503 }),
});
