/**
 * bench/serve — issue 11 "Performance": the 30,000-pod snapshot of bench/inventory fed through the watch path,
 * then 1,000 pod changes. The service is the real command (`runwarden serve --kubeconfig …` run by
 * bench/serve/service.ts in a child process, so its memory is its own) watching a replaying HTTPS API server (test/k8s-watch.ts: paginated lists, then watch
 * streams) run by this process, which also pushes the changes and generates the API load.
 * Targets: steady-state RSS under 1 GiB; a change whose image was already analysed reflected in the API within
 * 2 s; API p99 under 100 ms for a filtered findings page.
 *
 * Run: `npm run bench -- serve` (compiled) or `npx tsx bench/serve.ts`.
 *
 * Baselines measured in the same run: a one-shot `runwarden scan` of the same snapshot from files (a child, for
 * its wall time and peak RSS) against the service's first scan through the watch path; `/healthz` (no work)
 * against the findings page, under the same load generator (16 concurrent keep-alive clients, node:http).
 * The rescans' mode (incremental or full, and why) and wall time come from the service's `scan finished` log
 * lines; the findings page is measured while the service is idle and again during a full rescan (a Node
 * relabelled), and both are printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startReplayApi, withVersion, type ReplayApi } from '../test/k8s-watch.js';
import { API_RESOURCES } from '../src/inventory/sources/kubernetes/index.js';
import { listPath } from '../src/inventory/sources/kubernetes/resources.js';
import { loadSnapshot } from '../src/inventory/sources/snapshot/index.js';
import { generate } from './inventory.js';
import { memoryOf, runCli } from './lib/child.js';

const CHANGES = 1000;
const TARGET_RSS = 1024 ** 3;
const TARGET_REFLECT_MS = 2000;
const TARGET_P99_MS = 100;
const REQUESTS = 2000;
const CONCURRENCY = 16;

const mib = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;
const ms = (m: number): string => (m >= 1000 ? `${(m / 1000).toFixed(2)} s` : `${m.toFixed(1)} ms`);

/** A script next to this file: `.js` when compiled, `.ts` under tsx. */
function script(relative: string): string {
  const compiled = fileURLToPath(new URL(`${relative}.js`, import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL(`${relative}.ts`, import.meta.url));
}

function cpuOf(pid: number): number {
  // utime + stime in clock ticks (100/s on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function baselineScan(dir: string): Promise<{ ms: number; peak: number }> {
  const { ms: wall, peak } = await runCli(['scan', '--snapshot', dir, '--format', 'json', '--output', join(dir, 'report.json')]);
  return { ms: wall, peak };
}

/**
 * p50/p99 of GETs to `url` with CONCURRENCY workers over keep-alive connections (node:http, as autocannon
 * does: fetch costs the load generator several times the server's CPU per request on these shared cores).
 */
async function load(url: string, requests = REQUESTS): Promise<{ p50: number; p99: number; rps: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const get = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const s = performance.now();
      request(url, { agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - s) : reject(new Error(`${url}: ${res.statusCode}`))));
      })
        .on('error', reject)
        .end();
    });
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests) {
          next++;
          times.push(await get());
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)] ?? 0, p99: times[Math.floor(times.length * 0.99)] ?? 0, rps: (times.length * 1000) / (performance.now() - t0) };
}

/** The service's `scan finished` log lines (JSON) from `offset` on. */
function scansLogged(log: string, offset = 0): Array<{ mode?: string; ms?: number; why?: string; namespaces?: number; reason?: string }> {
  return log
    .slice(offset)
    .split('\n')
    .filter((l) => l.includes('"scan finished"'))
    .map((l) => {
      try {
        return JSON.parse(l) as { mode?: string; ms?: number };
      } catch {
        return {};
      }
    });
}

/** The service's `bench memory` lines (process.memoryUsage() each second): the last one and the largest committed heap. */
function memoryLogged(log: string): { last: { heapUsed: number; heapTotal: number; external: number } | undefined; maxTotal: number } {
  let last: { heapUsed: number; heapTotal: number; external: number } | undefined;
  let maxTotal = 0;
  for (const l of log.split('\n')) {
    if (!l.includes('"bench memory"')) continue;
    try {
      last = JSON.parse(l) as { heapUsed: number; heapTotal: number; external: number };
      maxTotal = Math.max(maxTotal, last.heapTotal);
    } catch {
      // a line cut by the pipe
    }
  }
  return { last, maxTotal };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

export async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-bench-serve-'));
  let api: ReplayApi | undefined;
  let service: ChildProcess | undefined;
  try {
    await generate(dir);
    const raw = await loadSnapshot({ path: dir });
    console.log(`bench/serve: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`snapshot: ${raw.objects.Pod.length} pods, ${raw.objects.Node.length} nodes, ${raw.objects.Namespace.length} namespaces`);
    const base = await baselineScan(dir);
    console.log(`baseline: one-shot runwarden scan --snapshot (child): ${ms(base.ms)}, peak RSS ${mib(base.peak)}`);

    api = await startReplayApi();
    for (const r of API_RESOURCES) api.setList(listPath(r), raw.objects[r.kind].map((o) => withVersion(o as Record<string, unknown>, '1000')), '1000');
    const t0 = performance.now();
    // RUNWARDEN_BENCH_SERVICE_HEAP_MB: run the service with that V8 old-space limit (what a Deployment's NODE_OPTIONS would set).
    const heapMb = process.env.RUNWARDEN_BENCH_SERVICE_HEAP_MB;
    const heapArgs = heapMb === undefined || heapMb === '' ? [] : [`--max-old-space-size=${heapMb}`];
    // RUNWARDEN_BENCH_SERVICE_CPU_PROF=<dir>: a CPU profile of the service process, written there when it exits (SIGTERM).
    const profDir = process.env.RUNWARDEN_BENCH_SERVICE_CPU_PROF;
    if (profDir !== undefined && profDir !== '') heapArgs.push('--cpu-prof', `--cpu-prof-dir=${profDir}`);
    if (heapArgs.length > 0) console.log(`service run with ${heapArgs.join(' ')}`);
    const child = spawn(process.execPath, [...process.execArgv, ...heapArgs, script('./serve/service'), '--kubeconfig', api.kubeconfig, '--port', '0', '--store', join(dir, 'history.db')], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUNWARDEN_BENCH_MEMORY: '1' } });
    service = child;
    let log = '';
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    await until(() => /serving on (http\S+)/.test(log) || child.exitCode !== null, 120_000, 'the service to listen');
    if (child.exitCode !== null) throw new Error(`the service exited ${child.exitCode}: ${log.slice(-500)}`);
    const url = /serving on (http\S+)/.exec(log)?.[1] ?? '';
    const pid = child.pid ?? 0;
    await until(
      async () => {
        if (log.includes('"scan failed"')) throw new Error(`the service's first scan failed: ${/"scan failed".*$/m.exec(log)?.[0] ?? ''}`);
        return (await fetch(`${url}/readyz`)).status === 200;
      },
      600_000,
      'the first scan',
    );
    const firstMs = performance.now() - t0;
    const summary = await json<{ summary: { pods: number; findings: number } }>(`${url}/api/v1/summary`);
    if (summary.summary.pods !== raw.objects.Pod.length) throw new Error(`the watched inventory has ${summary.summary.pods} pods, the snapshot ${raw.objects.Pod.length}`);
    console.log(`service: first scan through the watch path (paginated lists over HTTPS + scan + history) ready after ${ms(firstMs)}, CPU ${ms(cpuOf(pid))}, ${summary.summary.findings} findings; ratio to baseline ×${(firstMs / base.ms).toFixed(2)}`);

    // 1,000 pod changes: each pod now runs the image (digest) of another pod, already analysed.
    const pods = raw.objects.Pod as Array<Record<string, unknown>>;
    const digestOf = (p: Record<string, unknown>): string | undefined => (p.status as { containerStatuses?: Array<{ imageID?: string }> } | undefined)?.containerStatuses?.[0]?.imageID;
    const changed = (p: Record<string, unknown>, imageID: string, rv: number): Record<string, unknown> => {
      const status = p.status as { containerStatuses?: Array<Record<string, unknown>> };
      return withVersion({ ...p, status: { ...status, containerStatuses: (status.containerStatuses ?? []).map((c, i) => (i === 0 ? { ...c, imageID } : c)) } }, String(rv));
    };
    const scans = async (): Promise<number> => (await json<{ items: unknown[] }>(`${url}/api/v1/scans?limit=1000`)).items.length;
    const scansBefore = await scans();
    const t1 = performance.now();
    for (let i = 0; i < CHANGES; i++) {
      const p = pods[(i * 29) % pods.length] ?? {};
      const other = digestOf(pods[(i * 29 + 7) % pods.length] ?? {});
      if (other !== undefined) api.push('/api/v1/pods', { type: 'MODIFIED', object: changed(p, other, 2000 + i) });
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 100));
    }
    // Settled: every scan started has finished, and none started for 5 s after the last change's debounce
    // (a rescan still running when the next change arrives would be measured with it).
    const started = (): number => log.split('"scan started"').length - 1;
    const ended = (): number => log.split('"scan finished"').length + log.split('"scan failed"').length - 2;
    let count = await scans();
    let begun = started();
    for (;;) {
      await new Promise((r) => setTimeout(r, 5000));
      const now = await scans();
      if (now === count && now > scansBefore && started() === begun && started() === ended()) break;
      count = now;
      begun = started();
    }
    const settleMs = performance.now() - t1;
    const steady = memoryOf(pid);
    const heap = memoryLogged(log);
    console.log(`${CHANGES} pod changes → ${count - scansBefore} rescan(s) (debounced and coalesced), settled after ${ms(settleMs)}; service RSS ${mib(steady.rss)} (peak ${mib(steady.peak)}); V8 heap used ${mib(heap.last?.heapUsed ?? 0)} of ${mib(heap.last?.heapTotal ?? 0)} committed (largest committed ${mib(heap.maxTotal)}), external ${mib(heap.last?.external ?? 0)}`);

    // One more change, its image already analysed (it runs elsewhere) but new to this workload: until the
    // workload page shows it.
    const target = pods.find((p) => ((p.metadata as { ownerReferences?: unknown[] }).ownerReferences ?? []).length > 0) ?? pods[0] ?? {};
    const meta = target.metadata as { name: string; namespace: string };
    const ranked = await json<{ items: Array<{ workload: string }> }>(`${url}/api/v1/workloads?namespace=${encodeURIComponent(meta.namespace)}&limit=1000`);
    let detailUrl = '';
    let before = '';
    for (const w of ranked.items) {
      const candidate = `${url}/api/v1/workloads/${w.workload.split('/').map(encodeURIComponent).join('/')}`;
      const detail = await json<{ pods: string[] }>(candidate);
      if (detail.pods.includes(`${meta.namespace}/${meta.name}`)) {
        detailUrl = candidate;
        before = JSON.stringify(detail);
      }
    }
    if (detailUrl === '') throw new Error(`no workload page lists pod ${meta.namespace}/${meta.name}`);
    const bare = (d: string | undefined): string => (d === undefined ? '' : d.slice(d.lastIndexOf('sha256:')));
    const newDigest = pods.map(digestOf).find((d) => d !== undefined && !before.includes(bare(d))) ?? '';
    const wanted = bare(newDigest);
    const changesScans = scansLogged(log);
    const incremental = changesScans.filter((l) => l.mode === 'incremental');
    console.log(`rescans so far: ${changesScans.length} (${incremental.length} incremental, median ${ms(median(incremental.map((l) => l.ms ?? 0)))}; full: ${changesScans.filter((l) => l.mode === 'full').map((l) => `${l.why ?? '?'} ${ms(l.ms ?? 0)}`).join(', ')})`);
    const logAt = log.length;
    const cpuBefore = cpuOf(pid);
    const t2 = performance.now();
    api.push('/api/v1/pods', { type: 'MODIFIED', object: changed(target, newDigest, 9000) });
    await until(async () => JSON.stringify(await json(detailUrl)).includes(wanted), 600_000, 'the change in the API');
    const reflectMs = performance.now() - t2;
    const reflectScan = scansLogged(log, logAt)[0];
    console.log(
      `one change with an already-analysed image reflected in the API after ${ms(reflectMs)} (watch debounce + ${reflectScan?.mode ?? '?'}${reflectScan?.why === undefined ? '' : ` (${reflectScan.why})`} rescan of ${ms(reflectScan?.ms ?? 0)} wall, service CPU ${ms(cpuOf(pid) - cpuBefore)}); load average ${loadavg()[0]?.toFixed(2)}`,
    );

    const ns = raw.objects.Namespace[3]?.metadata.name ?? 'default';
    const health = await load(`${url}/healthz`);
    const page = await load(`${url}/api/v1/findings?severity=medium&namespace=${encodeURIComponent(ns)}&limit=100`);
    console.log(`API while idle, ${CONCURRENCY} concurrent clients × ${REQUESTS} requests: /healthz p50 ${ms(health.p50)} p99 ${ms(health.p99)}; filtered findings page p50 ${ms(page.p50)} p99 ${ms(page.p99)} (${page.rps.toFixed(0)} req/s); p99 ratio ×${(page.p99 / health.p99).toFixed(2)}; load average ${loadavg()[0]?.toFixed(2)}`);

    // The same page while a full rescan runs (a Node's labels change: cluster-scoped, so not incremental).
    const node = raw.objects.Node[0] as unknown as Record<string, unknown> & { metadata: Record<string, unknown> };
    const fullAt = log.length;
    api.push('/api/v1/nodes', { type: 'MODIFIED', object: withVersion({ ...node, metadata: { ...node.metadata, labels: { ...(node.metadata.labels as Record<string, string>), 'bench/relabel': 'x' } } }, '9001') });
    await until(() => log.slice(fullAt).includes('"scan started"'), 60_000, 'the full rescan to start');
    const during = await load(`${url}/api/v1/findings?severity=medium&namespace=${encodeURIComponent(ns)}&limit=100`, REQUESTS / 2);
    const overlapped = !log.slice(fullAt).includes('"scan finished"');
    await until(() => log.slice(fullAt).includes('"scan finished"'), 600_000, 'the full rescan to finish');
    const fullScan = scansLogged(log, fullAt)[0];
    console.log(
      `API during a full rescan (${fullScan?.mode ?? '?'}, ${ms(fullScan?.ms ?? 0)}${overlapped ? ', still running when the load ended' : ', finished before the load ended'}): findings page × ${REQUESTS / 2} p50 ${ms(during.p50)} p99 ${ms(during.p99)} (${during.rps.toFixed(0)} req/s)`,
    );
    const end = memoryOf(pid);
    console.log(`service CPU ${ms(cpuOf(pid))}, RSS ${mib(end.rss)}, peak RSS ${mib(end.peak)}; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    service = undefined;
    console.log(`SIGTERM → exit ${code}${/stopped \(clean\)/.test(log) ? ', clean' : ''}`);
    const results: Array<[boolean, string]> = [
      [steady.rss < TARGET_RSS, `steady-state RSS ${mib(steady.rss)} < ${mib(TARGET_RSS)}`],
      [reflectMs < TARGET_REFLECT_MS, `change reflected ${ms(reflectMs)} < ${ms(TARGET_REFLECT_MS)}`],
      [page.p99 < TARGET_P99_MS, `findings page p99 ${ms(page.p99)} < ${ms(TARGET_P99_MS)}`],
    ];
    for (const [ok, text] of results) console.log(`${ok ? 'PASS' : 'FAIL'} ${text}`);
    if (results.some(([ok]) => !ok)) process.exitCode = 1;
  } finally {
    service?.kill('SIGKILL');
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
