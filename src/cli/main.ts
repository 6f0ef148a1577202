#!/usr/bin/env node
import { tolerateClosedReader } from './pipe.js';
import { runCli } from './run.js';

tolerateClosedReader(process.stdout);
tolerateClosedReader(process.stderr);

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  exitCode: 0,
});
