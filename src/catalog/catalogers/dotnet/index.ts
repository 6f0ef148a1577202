/**
 * dotnet: `*.deps.json`, which the .NET SDK writes beside every published app and lists the NuGet
 * packages it was built with (https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md).
 * Every `libraries` entry of `type: "package"` is a NuGet package (`project` entries are the app itself).
 */
import { z } from 'zod';
import { issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import type { PackageRecord } from '../../schema.js';

const DepsJson = z.object({ libraries: z.record(z.string(), z.object({ type: z.string() }).loose()) }).loose();

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
  for (const [key, lib] of Object.entries(deps.data.libraries)) {
    if (lib.type !== 'package') continue;
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) continue;
    packages.push({ name: key.slice(0, slash), version: key.slice(slash + 1), type: 'nuget', ecosystem: 'NuGet' });
  }
  return { packages };
}

export const dotnet = defineCataloger({
  id: 'dotnet',
  version: '1',
  kind: 'language',
  globs: ['**/*.deps.json'],
  maxBytes: 32 * 1024 * 1024,
  parse: parseDepsJson,
});
