/**
 * The service process of bench/serve: `runwarden serve` with the given arguments, run through the command's
 * own function (the same code as the CLI) so the bench does not depend on the command list. SIGTERM stops it.
 */
import { serveCommand } from '../../src/cli/commands/serve.js';
import type { CliContext } from '../../src/cli/context.js';
import { reportError } from '../../src/cli/run.js';

const ctx: CliContext = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), exitCode: 0 };
try {
  await serveCommand(ctx).parseAsync(process.argv.slice(2), { from: 'user' });
  process.exitCode = ctx.exitCode;
} catch (error) {
  process.exitCode = reportError(error, ctx, false);
}
