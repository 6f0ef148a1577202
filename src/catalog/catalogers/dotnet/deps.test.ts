import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../directory.js';
import { dotnet } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('dotnet dependencies (deps.json targets)', () => {
  it('targets\' dependencies resolved to packages of the same deps.json (all targets, ids without case); projects are no targets; a library not listed is unresolved', async () => {
    const got = await catalogDirectory(here('testdata/deps'), [dotnet]);
    expect(got.issues).toEqual([]);
    const name = (i: number): string => got.packages[i]?.name ?? '?';
    expect(got.dependencies.map((d) => [name(d.from), d.to.map(name), d.unresolved ?? []])).toEqual([
      ['Serilog.AspNetCore', ['Serilog', 'Serilog.Sinks.Console'], []],
      ['Serilog', ['Microsoft.NETCore.Targets', 'runtime.native.System'], []],
      ['Serilog.Sinks.Console', ['Serilog'], ['Serilog.Missing@1.0.0']],
      ['Microsoft.NETCore.Targets', [], []],
    ]);
  });

  it('a package no target lists has unknown dependencies (no entry)', async () => {
    const got = await catalogDirectory(here('testdata/app'), [dotnet]);
    expect(got.dependencies.map((d) => got.packages[d.from]?.name)).toEqual(['Newtonsoft.Json']);
  });
});
