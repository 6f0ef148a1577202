import { Readable, Writable } from 'node:stream';
import type { CliContext } from '../src/cli/context.js';
import { runCli } from '../src/cli/run.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stdout/stderr stand-in that keeps what was written. */
export class Sink extends Writable {
  text = '';
  isTTY: boolean;
  constructor(tty = false) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  /** stdout claims to be a terminal (colour). */
  tty?: boolean;
  /** stderr claims to be a terminal (progress lines). */
  stderrTty?: boolean;
  /** What "-" reads. */
  stdin?: string;
}

/** A context for running commands in-process, with captured stdout/stderr. */
export function cliContext(opts: CliOptions = {}): CliContext & { stdout: Sink; stderr: Sink } {
  return {
    stdout: new Sink(opts.tty ?? false),
    stderr: new Sink(opts.stderrTty ?? false),
    env: opts.env ?? {},
    cwd: process.cwd(),
    exitCode: 0,
    ...(opts.stdin === undefined ? {} : { stdin: Readable.from([opts.stdin]) }),
  };
}

/** Run the CLI in-process, exactly as bin/runwarden does, with captured stdout/stderr and the exit code. */
export async function cli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const ctx = cliContext(opts);
  const code = await runCli(args, ctx);
  return { code, stdout: ctx.stdout.text, stderr: ctx.stderr.text };
}
