/**
 * CLI entry: parse → call → print. Maps every error to one actionable line and an exit code
 * (STYLE.md): 0 ok, 1 findings at/above --fail-on, 2 usage/config error, 3 runtime failure.
 * No stack traces unless --debug.
 */
import { Command, CommanderError } from 'commander';
import { AppError, EXIT, errorMessage } from '../core/errors.js';
import { VERSION } from '../version.js';
import { COMMANDS } from './commands/index.js';
import type { CliContext } from './context.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('runwarden')
    .description('Keeps what runs in your clusters trustworthy: inventory, stale images, unpinned and drifting images, and more.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'show stack traces and debug detail on errors');
  for (const make of COMMANDS) program.addCommand(make(ctx));
  configureAll(program, ctx, []);
  return program;
}

/**
 * Every command and subcommand: output through the context, and a usage error as one line like every other error
 * (`runwarden: error: <commander's words, with "Did you mean …?">. Hint: see "runwarden scan --help".`), never
 * process.exit.
 */
function configureAll(command: Command, ctx: CliContext, path: readonly string[]): void {
  const help = ['runwarden', ...path, '--help'].join(' ');
  command
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s, write) => write(`runwarden: error: ${sentence(s.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' '))} Hint: see "${help}".\n`),
    });
  for (const sub of command.commands) configureAll(sub, ctx, [...path, sub.name()]);
}

export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const debug = argv.includes('--debug');
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (with "Did you mean …?" for a mistyped option), or the help: asked
      // for (--help, "help scan": exit 0), or shown because a subcommand is missing ("runwarden db": a usage error)
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(error, ctx, debug);
  }
}

/** A message as a sentence: a full stop added unless it already ends like one (`…"json"?`, `…(see --help).`). */
function sentence(message: string): string {
  return /[.!?][\])'"]*$/.test(message) ? message : `${message}.`;
}

export function reportError(error: unknown, ctx: CliContext, debug: boolean): number {
  if (error instanceof AppError) {
    // the hint follows on the same line: the message ends as a sentence first, so the two do not run together
    const line = error.hint === undefined ? error.message : `${sentence(error.message)} Hint: ${error.hint}`;
    ctx.stderr.write(`runwarden: error: ${line}\n`);
    if (debug) ctx.stderr.write(`${error.stack ?? ''}\n${error.cause === undefined ? '' : `cause: ${error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : JSON.stringify(error.cause)}\n`}`);
    return error.exitCode;
  }
  ctx.stderr.write(`runwarden: internal error: ${errorMessage(error)}${debug ? '' : ' (rerun with --debug for details, and please report it)'}\n`);
  if (debug && error instanceof Error) ctx.stderr.write(`${error.stack ?? ''}\n`);
  return EXIT.runtime;
}
