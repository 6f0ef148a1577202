import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { dotnet, parseDepsJson } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('dotnet cataloger', () => {
  it('deps.json: NuGet packages, not the project itself', async () => {
    const got = await catalogDirectory(here('testdata/app'), [dotnet]);
    expect(got.issues).toEqual([]);
    expect(got.packages.map((p) => `${p.ecosystem} ${p.name}@${p.version} ${p.purl ?? ''}`)).toEqual(['NuGet Newtonsoft.Json@13.0.1 pkg:nuget/Newtonsoft.Json@13.0.1', 'NuGet System.Text.Encodings.Web@4.7.1 pkg:nuget/System.Text.Encodings.Web@4.7.1']);
  });

  it('bad input: empty, invalid JSON, wrong shape', () => {
    expect(parseDepsJson('a.deps.json', Buffer.alloc(0)).issues?.[0]?.message).toMatch(/^"a.deps.json" is not valid JSON \(.+\); skipped$/);
    expect(parseDepsJson('a.deps.json', Buffer.from('{"libraries": []}')).issues?.[0]?.message).toBe('"a.deps.json" has no "libraries" object of name/version keys; skipped');
    expect(parseDepsJson('a.deps.json', Buffer.from('{"libraries": {}}'))).toEqual({ packages: [] });
  });
});
