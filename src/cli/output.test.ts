import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliContext } from '../../test/cli.js';
import { emitReport, wantsColor } from './output.js';

describe('wantsColor', () => {
  it('follows --color, NO_COLOR, FORCE_COLOR, a file target and the terminal, in that order', () => {
    const tty = cliContext({ tty: true });
    const pipe = cliContext();
    expect(wantsColor(tty, 'auto')).toBe(true);
    expect(wantsColor(tty, undefined)).toBe(true);
    expect(wantsColor(pipe, 'auto')).toBe(false);
    expect(wantsColor(pipe, 'always')).toBe(true);
    expect(wantsColor(tty, 'never')).toBe(false);
    expect(wantsColor(tty, false)).toBe(false);
    expect(wantsColor(tty, 'auto', true)).toBe(false);
    expect(wantsColor(cliContext({ tty: true, env: { NO_COLOR: '' } }), 'auto')).toBe(false);
    expect(wantsColor(cliContext({ env: { FORCE_COLOR: '1' } }), 'auto')).toBe(true);
    expect(wantsColor(cliContext({ env: { FORCE_COLOR: '0' } }), 'auto')).toBe(false);
    expect(wantsColor(cliContext({ env: { FORCE_COLOR: '1' } }), 'auto', true)).toBe(false);
  });
});

describe('emitReport', () => {
  it('writes to stdout, or to the file with one line on stderr', async () => {
    const ctx = cliContext();
    await emitReport(ctx, { output: undefined, format: 'json', text: '{}\n', counts: '0 findings' });
    expect(ctx.stdout.text).toBe('{}\n');
    const file = join(mkdtempSync(join(tmpdir(), 'rw-output-')), 'r.json');
    await emitReport(ctx, { output: file, format: 'json', text: '[]\n', counts: '0 findings, 0 issues' });
    expect(readFileSync(file, 'utf8')).toBe('[]\n');
    expect(ctx.stderr.text).toBe(`runwarden: wrote json report to ${file} (0 findings, 0 issues)\n`);
  });

  it('names --output and the fix when the file cannot be written', async () => {
    const ctx = cliContext();
    const missing = join(tmpdir(), 'rw-no-such-dir-', 'x', 'r.json');
    await expect(emitReport(ctx, { output: missing, format: 'json', text: '', counts: '' })).rejects.toThrow(new RegExp(`^Cannot write --output "${missing}": .*ENOENT`));
  });
});
