/**
 * Usage errors of every command and subcommand: one line in the shape of every other error (`runwarden: error: …
 * Hint: …`), commander's own words and suggestions kept, exit 2; help that is asked for exits 0, help shown because
 * a subcommand is missing exits 2.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../../test/cli.js';

describe('usage errors', () => {
  it('are one line naming the command\'s help, with commander\'s suggestion, exit 2, nothing on stdout', async () => {
    const cases: Array<[string[], string]> = [
      [['scan', '--bogus'], 'runwarden: error: unknown option \'--bogus\'. Hint: see "runwarden scan --help".\n'],
      [['scan', '--fromat', 'json'], 'runwarden: error: unknown option \'--fromat\' (Did you mean --format?) Hint: see "runwarden scan --help".\n'],
      [['scna'], 'runwarden: error: unknown command \'scna\' (Did you mean scan?) Hint: see "runwarden --help".\n'],
      [['image', 'scan', 'a', 'b'], 'runwarden: error: too many arguments for \'scan\'. Expected 1 argument but got 2. Hint: see "runwarden image scan --help".\n'],
      [['db', 'import'], 'runwarden: error: missing required argument \'path|url\'. Hint: see "runwarden db import --help".\n'],
      [['scan', '--format'], 'runwarden: error: option \'-f, --format <format>\' argument missing. Hint: see "runwarden scan --help".\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await cli(args);
      expect([args, r.code, r.stdout, r.stderr]).toEqual([args, 2, '', stderr]);
    }
  });

  it('exit 0 for help asked for, 2 for help shown because the subcommand is missing', async () => {
    expect((await cli(['help', 'scan'])).code).toBe(0);
    expect((await cli(['db', '--help'])).code).toBe(0);
    const missing = await cli(['db']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Usage: runwarden db [options] [command]');
  });
});
