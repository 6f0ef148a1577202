import { Writable } from 'node:stream';
import type { CliContext } from '../src/cli/context.js';
import { runCli } from '../src/cli/run.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Sink extends Writable {
  text = '';
  isTTY: boolean;
  constructor(tty: boolean) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Run the CLI in-process with captured stdout/stderr. */
export async function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; tty?: boolean } = {}): Promise<CliRun> {
  const stdout = new Sink(opts.tty ?? false);
  const stderr = new Sink(false);
  const ctx: CliContext = { stdout, stderr, env: opts.env ?? {}, cwd: process.cwd(), exitCode: 0 };
  const code = await runCli(args, ctx);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
