// Runs the compiled benchmarks in dist/bench/ one after another, output streamed as it comes.
// `npm run bench` runs them all; `npm run bench -- inventory versioning` only those;
// arguments after a second `--` go to every bench (`npm run bench -- inventory -- --runs 1`).
// Exit code: 0 when every bench passed, 1 when one failed, 2 for a usage error.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'dist', 'bench');

const out = (line) => process.stdout.write(`${line}\n`);
const err = (line) => process.stderr.write(`${line}\n`);

function usage(message) {
  err(message);
  process.exit(2);
}

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const names = split === -1 ? argv : argv.slice(0, split);
const forwarded = split === -1 ? [] : argv.slice(split + 1);

if (!existsSync(benchDir)) usage(`No compiled benchmarks in ${benchDir}: run "npm run build" first (or "npm run bench", which builds).`);
// Top-level files only: helpers in sub-folders are imported by benches, not run.
const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.js'))
  .map((e) => e.name.slice(0, -'.js'.length))
  .sort();
const unknown = names.filter((n) => !available.includes(n));
if (unknown.length > 0) {
  usage(`Unknown bench ${unknown.map((n) => `"${n}"`).join(', ')}: expected one of ${available.join(', ') || '(none)'} (files in ${benchDir}).`);
}
const selected = names.length > 0 ? names : available;
if (selected.length === 0) usage(`No benchmarks in ${benchDir}: add bench/<name>.ts and build.`);

function run(name) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(benchDir, `${name}.js`), ...forwarded], { cwd: root, stdio: 'inherit' });
    child.on('error', (error) => {
      err(`bench ${name}: cannot start: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(signal === null ? (code ?? 1) : 1));
  });
}

const failed = [];
for (const name of selected) {
  out(`\n=== bench/${name} ===`);
  const started = performance.now();
  const code = await run(name);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  out(`=== bench/${name}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${seconds} s ===`);
  if (code !== 0) failed.push(name);
}
if (failed.length > 0) {
  err(`\n${failed.length} of ${selected.length} bench(es) failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
