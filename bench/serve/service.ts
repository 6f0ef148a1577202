/**
 * The service process of bench/serve: `runwarden serve` with the given arguments, run through the command's
 * own function (the same code as the CLI) so the bench does not depend on the command list. SIGTERM stops it.
 */
import { serveCommand } from '../../src/cli/commands/serve.js';
import type { CliContext } from '../../src/cli/context.js';
import { reportError } from '../../src/cli/run.js';

// The V8 heap against the RSS, for bench/serve's steady-state line: what the heap holds versus what the
// process keeps committed (heap headroom after a full rescan's peak, native buffers).
if (process.env.RUNWARDEN_BENCH_MEMORY === '1') {
  setInterval(() => {
    const m = process.memoryUsage();
    process.stderr.write(`${JSON.stringify({ msg: 'bench memory', heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss })}\n`);
  }, 1000).unref();
}

const ctx: CliContext = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), exitCode: 0 };
try {
  await serveCommand(ctx).parseAsync(process.argv.slice(2), { from: 'user' });
  process.exitCode = ctx.exitCode;
} catch (error) {
  process.exitCode = reportError(error, ctx, false);
}
