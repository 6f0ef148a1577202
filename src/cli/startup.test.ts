import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Builds the whole CLI program in a fresh process and lists every module URL it resolved (a loader hook sees each one). */
const PROBE = `
  import { register } from 'node:module';
  import { MessageChannel } from 'node:worker_threads';
  import { Writable } from 'node:stream';
  const { port1, port2 } = new MessageChannel();
  const seen = new Set();
  port1.on('message', (url) => seen.add(url));
  const hook = 'let port; export async function initialize(data) { port = data.port; }' +
    ' export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r; }';
  register('data:text/javascript,' + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });
  const { buildProgram } = await import('./src/cli/run.ts');
  const sink = new Writable({ write: (_c, _e, done) => done() });
  buildProgram({ stdout: sink, stderr: sink, env: {}, cwd: process.cwd(), exitCode: 0 });
  await new Promise((r) => setTimeout(r, 200));
  port1.close();
  process.stdout.write(JSON.stringify([...seen]));
`;

describe('CLI start-up', () => {
  it('does not load the Kubernetes client until a cluster is read (it costs ~60 MiB and up to a second of CPU)', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], { cwd: process.cwd() });
    const urls = JSON.parse(stdout) as string[];
    expect(urls.some((u) => u.endsWith('/src/scan/index.ts'))).toBe(true); // the hook saw the program being built
    expect(urls.filter((u) => u.includes('@kubernetes/client-node'))).toEqual([]);
  });
});
