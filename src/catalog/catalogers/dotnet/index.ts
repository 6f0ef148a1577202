/**
 * dotnet: `*.deps.json`, which the .NET SDK writes beside every published app and lists the NuGet
 * packages it was built with (https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md).
 * Every `libraries` entry of `type: "package"` is a NuGet package (`project` entries are the app itself).
 */
import { z } from 'zod';
import { issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { nameLinker } from '../../links.js';
import type { PackageRecord } from '../../schema.js';

const Target = z.record(z.string(), z.object({ dependencies: z.record(z.string(), z.string()).optional().catch(undefined) }).loose().catch({}));
const DepsJson = z.object({
  libraries: z.record(z.string(), z.object({ type: z.string() }).loose()),
  targets: z.record(z.string(), Target).optional().catch(undefined),
}).loose();

export function parseDepsJson(path: string, content: Buffer): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    return { packages: [], issues: [issue('dotnet-deps-invalid', `"${path}" is not valid JSON (${error instanceof Error ? error.message : String(error)}); skipped`)] };
  }
  const deps = DepsJson.safeParse(json);
  if (!deps.success) return { packages: [], issues: [issue('dotnet-deps-invalid', `"${path}" has no "libraries" object of name/version keys; skipped`, undefined, 'Expected the .deps.json the .NET SDK writes on publish.')] };
  const packages: PackageRecord[] = [];
  // Each target (framework, runtime) lists a library's resolved dependencies as `{ "Name": "version" }`.
  const libraries = new Map(Object.entries(deps.data.libraries).map(([k, v]) => [k.toLowerCase(), v.type]));
  const dependencies = new Map<string, Set<string>>();
  for (const target of Object.values(deps.data.targets ?? {})) {
    for (const [key, entry] of Object.entries(target)) {
      const set = dependencies.get(key.toLowerCase()) ?? new Set<string>();
      dependencies.set(key.toLowerCase(), set);
      for (const [name, version] of Object.entries(entry.dependencies ?? {})) {
        const type = libraries.get(`${name}/${version}`.toLowerCase());
        // Projects and framework references are not packages; a name no library lists is unresolved.
        if (type === undefined || type === 'package') set.add(`${name}@${version}`);
      }
    }
  }
  for (const [key, lib] of Object.entries(deps.data.libraries)) {
    if (lib.type !== 'package') continue;
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) continue;
    const r: PackageRecord = { name: key.slice(0, slash), version: key.slice(slash + 1), type: 'nuget', ecosystem: 'NuGet' };
    const d = dependencies.get(key.toLowerCase());
    if (d !== undefined) r.dependsOn = [...d];
    packages.push(r);
  }
  return { packages };
}

export const dotnet = defineCataloger({
  id: 'dotnet',
  version: '2',
  kind: 'language',
  globs: ['**/*.deps.json'],
  maxBytes: 32 * 1024 * 1024,
  parse: parseDepsJson,
  // `Name@version` within the same deps.json; NuGet ids compare without case.
  link: nameLinker({ normalize: (n) => n.toLowerCase() }),
});
