import type { Writable } from 'node:stream';

/** What a command may touch: injected so tests can run commands in-process. */
export interface CliContext {
  stdout: Writable & { isTTY?: boolean | undefined };
  stderr: Writable & { isTTY?: boolean | undefined };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where a command reads "-" from (process.stdin when absent). */
  stdin?: NodeJS.ReadableStream | undefined;
  /** Set by a command to the exit code it wants (findings at/above --fail-on → 1). */
  exitCode: number;
}
