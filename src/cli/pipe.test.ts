import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { tolerateClosedReader } from './pipe.js';

/** Run the CLI in a child process whose stdout reader is gone before the first write (`runwarden … | head -0`). */
async function withReaderGone(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stderr };
}

describe('a reader that closes the pipe early', () => {
  it('does not crash the command, which keeps its exit code (scan --demo --fail-on high: 1)', async () => {
    const { code, stderr } = await withReaderGone(['scan', '--demo', '--fail-on', 'high']);
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(code).toBe(1);
  }, 60_000);

  it('leaves commander\'s own output (--help) alone too', async () => {
    const { code, stderr } = await withReaderGone(['--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 60_000);

  it('still raises any other stream error', () => {
    const stream = new PassThrough();
    tolerateClosedReader(stream);
    expect(() => stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).not.toThrow();
    expect(() => stream.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }))).toThrow('EIO');
  });
});
