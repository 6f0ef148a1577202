import { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { InvalidRangeError, InvalidVersionError, UnknownSchemeError, UsageError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { versionCommand } from './version.js';

interface Run {
  stdout: string;
  stderr: string;
  ctx: CliContext;
}

function sink(): Writable & { text: string } {
  const out = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      out.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  out.text = '';
  return out;
}

async function run(args: string[]): Promise<Run> {
  const stdout = sink();
  const stderr = sink();
  const ctx: CliContext = { stdout, stderr, env: {}, cwd: process.cwd(), exitCode: -1 };
  const command = versionCommand(ctx).exitOverride();
  await command.parseAsync(args, { from: 'user' });
  return { stdout: stdout.text, stderr: stderr.text, ctx };
}

describe('runwarden version compare', () => {
  it('prints the answer and the parsed pieces', async () => {
    const { stdout, ctx } = await run(['compare', '--scheme', 'deb', '1:1.0', '2.0']);
    expect(stdout).toBe(['deb: 1:1.0 > 2.0', '  1:1.0  epoch=1 upstream="1.0" revision=null', '  2.0    epoch=0 upstream="2.0" revision=null', ''].join('\n'));
    expect(ctx.exitCode).toBe(0);
  });

  it('prints JSON with --format json', async () => {
    const { stdout } = await run(['compare', '-s', 'semver', '1.0.0-rc.1', '1.0.0', '--format', 'json']);
    expect(JSON.parse(stdout)).toEqual({
      scheme: 'semver',
      a: { version: '1.0.0-rc.1', pieces: { major: 1, minor: 0, patch: 0, prerelease: ['rc', 1], build: [], normalized: '1.0.0-rc.1' } },
      b: { version: '1.0.0', pieces: { major: 1, minor: 0, patch: 0, prerelease: [], build: [], normalized: '1.0.0' } },
      result: -1,
      relation: '<',
    });
  });

  it('picks the scheme from an OSV ecosystem and adds the "v" OSV leaves out of Go versions', async () => {
    expect((await run(['compare', '--ecosystem', 'Alpine:v3.20', '1.0_rc1-r0', '1.0-r0'])).stdout).toMatch(/^apk: 1\.0_rc1-r0 < 1\.0-r0\n/);
    expect((await run(['compare', '--ecosystem', 'Go', '0.0.0-20191109021931-daa7c04131f5', '0.1.0'])).stdout).toMatch(/^go: v0\.0\.0-20191109021931-daa7c04131f5 < v0\.1\.0\n/);
  });

  it('accepts --loose for semver', async () => {
    expect((await run(['compare', '--scheme', 'semver', '--loose', '=1.2.3', 'v1.2.3'])).stdout).toMatch(/^semver: =1\.2\.3 = v1\.2\.3\n/);
  });
});

describe('runwarden version satisfies', () => {
  it('answers with the parsed version and the desugared range', async () => {
    const { stdout, ctx } = await run(['satisfies', '--scheme', 'semver', '1.2.3', '^1.0.0']);
    expect(stdout).toBe(
      [
        'semver: 1.2.3 satisfies ^1.0.0',
        '  version  1.2.3   major=1 minor=2 patch=3 prerelease=[] build=[] normalized="1.2.3"',
        '  range    ^1.0.0  canonical=">=1.0.0 <2.0.0-0" alternatives=[[">=1.0.0","<2.0.0-0"]] includePrerelease=false',
        '',
      ].join('\n'),
    );
    expect(ctx.exitCode).toBe(0);
  });

  it('says "does not satisfy" and honours --include-prerelease', async () => {
    expect((await run(['satisfies', '-s', 'semver', '1.3.0-beta', '^1.0.0'])).stdout).toMatch(/^semver: 1\.3\.0-beta does not satisfy \^1\.0\.0\n/);
    expect((await run(['satisfies', '-s', 'semver', '1.3.0-beta', '^1.0.0', '--include-prerelease'])).stdout).toMatch(/^semver: 1\.3\.0-beta satisfies/);
    expect((await run(['satisfies', '-s', 'pep440', '1.0a1', '>=0.9', '--no-include-prerelease'])).stdout).toMatch(/^pep440: 1\.0a1 does not satisfy >=0\.9\n/);
  });

  it('prints JSON with --format json', async () => {
    const { stdout } = await run(['satisfies', '-s', 'deb', '-f', 'json', '2.0~rc1', '<< 2.0']);
    expect(JSON.parse(stdout)).toEqual({
      scheme: 'deb',
      version: { version: '2.0~rc1', pieces: { epoch: 0, upstream: '2.0~rc1', revision: null } },
      range: { range: '<< 2.0', pieces: { clauses: [{ op: '<<', version: '2.0' }] } },
      satisfies: true,
    });
  });
});

describe('runwarden version: errors a person can act on', () => {
  it('throws InvalidVersionError with a hint for a bad version', async () => {
    const error = await run(['compare', '--scheme', 'deb', '1:', '2.0']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidVersionError);
    expect((error as InvalidVersionError).message).toBe('Invalid deb version "1:": empty upstream version after epoch');
    expect((error as InvalidVersionError).hint).toContain('[epoch:]upstream_version[-debian_revision]');
  });

  it('throws InvalidRangeError for a bad range', async () => {
    await expect(run(['satisfies', '--scheme', 'semver', '1.2.3', '1.x.5'])).rejects.toThrow(InvalidRangeError);
    await expect(run(['satisfies', '--scheme', 'semver', '1.2.3', '1.x.5'])).rejects.toThrow('Invalid semver range "1.x.5": "1.x.5" is not a comparator');
  });

  it('names the known schemes and the closest one', async () => {
    const error = await run(['compare', '--scheme', 'semvr', '1.0.0', '2.0.0']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownSchemeError);
    expect((error as UnknownSchemeError).message).toBe('Unknown version scheme "semvr": expected one of deb, apk, rpm, semver, pep440, go, maven, rubygems, nuget');
    expect((error as UnknownSchemeError).hint).toBe('Did you mean "semver"?');
    expect((error as UnknownSchemeError).exitCode).toBe(2);
  });

  it.each([
    [['compare', '1.0', '2.0'], 'Missing --scheme: which version scheme should compare these?'],
    [['compare', '--scheme', 'deb', '--ecosystem', 'Debian', '1', '2'], 'Give either --scheme or --ecosystem, not both'],
    [['compare', '--scheme', 'deb', '--format', 'yaml', '1', '2'], 'Invalid --format "yaml" (flag): expected text or json'],
    [['compare', '--scheme', 'deb', '--loose', '1', '2'], 'The deb scheme has no "loose" option'],
    [['satisfies', '--scheme', 'go', 'v1.0.0', 'v1.0.0'], 'The go scheme has no range syntax'],
  ])('throws UsageError for %j', async (args, message) => {
    const error = await run(args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(message);
    expect((error as UsageError).hint).toBeDefined();
  });

  it('leaves missing arguments to commander, which throws instead of exiting', async () => {
    const error = await run(['compare', '--scheme', 'deb', '1.0']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).code).toBe('commander.missingArgument');
  });
});
