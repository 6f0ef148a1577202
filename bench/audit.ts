/**
 * bench/audit — `runwarden audit detect` over a busy API server's audit log: JSON lines read from a file,
 * every event checked by every rule. Targets on this machine: ≥ 50,000 events/s, and a peak RSS under 200 MiB
 * for a log of any size (the log is read line by line; a ~0.4 GB log here).
 *
 * Run: `npm run bench -- audit` (compiled) or `npx tsx bench/audit.ts`. Flags: `--runs N` (default 3; medians),
 * `--events N` (default 500,000).
 *
 * Baseline, measured in the same run on the same file: Node's own readline over the file with `JSON.parse` of
 * every line — the floor of any reader of JSON lines. Each side runs in a fresh process of its own, so each
 * peak RSS is its own. The mix is what a cluster's API server logs: mostly the kubelets' and controllers' gets,
 * lists, watches and lease renewals at Metadata level, a few percent creates and updates with their bodies
 * (RequestResponse), and rare risky requests (an exec, a secret read, a privileged pod) that the rules report.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Detector } from '../src/audit/detect.js';
import { readAuditEventBatches } from '../src/audit/read.js';
import { median } from './lib/bench-image.js';
import { prng } from './lib/synthetic.js';

const RATE_TARGET = 50_000;
const RSS_TARGET_MIB = 200;

function parseArgs(argv: string[]): { runs: number; events: number } {
  let runs = 3;
  let events = 500_000;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`Invalid ${flag ?? ''} "${argv[i] ?? ''}": expected a positive integer`);
    if (flag === '--runs') runs = value;
    else if (flag === '--events') events = value;
    else throw new Error(`Unknown argument "${flag ?? ''}": expected --runs N or --events N`);
  }
  return { runs, events };
}

const NODE_GROUPS = ['system:nodes', 'system:authenticated'];
const SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'];

/** One synthetic event of the mix (deterministic for `n` and `random`). */
function eventOf(n: number, random: () => number): Record<string, unknown> {
  const node = `aks-apps-27182818-vmss${String(n % 40).padStart(6, '0')}`;
  const ns = ['storefront', 'payments', 'data', 'monitoring', 'batch', 'default'][n % 6] ?? 'default';
  const pod = `web-${(n % 997).toString(36)}-${(n % 89).toString(36)}`;
  const at = new Date(Date.UTC(2026, 10, 30, 8, 0, 0) + n * 7).toISOString().replace('Z', '000Z');
  const base = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `b5e0c1d2-0000-4000-8000-${n.toString(16).padStart(12, '0')}`, stage: 'ResponseComplete', sourceIPs: ['10.224.0.5'], requestReceivedTimestamp: at, stageTimestamp: at, annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' } };
  const r = random();
  if (r < 0.3) return { ...base, requestURI: `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}?timeout=10s`, verb: 'update', user: { username: `system:node:${node}`, groups: NODE_GROUPS }, userAgent: 'kubelet/v1.30.4 (linux/amd64) kubernetes/a51b3b7', objectRef: { resource: 'leases', namespace: 'kube-node-lease', name: node, apiGroup: 'coordination.k8s.io', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } };
  if (r < 0.55) return { ...base, requestURI: `/api/v1/namespaces/${ns}/pods/${pod}`, verb: 'get', user: { username: `system:node:${node}`, groups: NODE_GROUPS }, userAgent: 'kubelet/v1.30.4 (linux/amd64) kubernetes/a51b3b7', objectRef: { resource: 'pods', namespace: ns, name: pod, apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } };
  if (r < 0.7) return { ...base, requestURI: `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${n}`, verb: 'watch', user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: SA_GROUPS }, userAgent: 'kube-controller-manager/v1.30.4', objectRef: { resource: 'configmaps', namespace: ns, apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } };
  if (r < 0.85) return { ...base, requestURI: `/apis/apps/v1/namespaces/${ns}/replicasets/${pod}/status`, verb: 'update', user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: SA_GROUPS }, userAgent: 'kube-controller-manager/v1.30.4', objectRef: { resource: 'replicasets', namespace: ns, name: pod, apiGroup: 'apps', apiVersion: 'v1', subresource: 'status' }, responseStatus: { metadata: {}, code: 200 } };
  if (r < 0.95) return { ...base, requestURI: `/api/v1/namespaces/${ns}/endpoints`, verb: 'list', user: { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts', 'system:authenticated'] }, userAgent: 'prometheus/2.55.1', objectRef: { resource: 'endpoints', namespace: ns, apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } };
  if (r < 0.985) {
    // a pod the ReplicaSet controller creates, with its body (RequestResponse)
    const privileged = random() < 0.02;
    return { ...base, level: 'RequestResponse', requestURI: `/api/v1/namespaces/${ns}/pods`, verb: 'create', user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: SA_GROUPS }, userAgent: 'kube-controller-manager/v1.30.4', objectRef: { resource: 'pods', namespace: ns, apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 201 }, requestObject: { kind: 'Pod', apiVersion: 'v1', metadata: { generateName: 'web-', namespace: ns, labels: { app: 'web', 'pod-template-hash': '7d9f8c' } }, spec: { serviceAccountName: 'web', containers: [{ name: 'web', image: 'ghcr.io/acme/storefront-web:2.4.1', ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '500m', memory: '256Mi' } }, securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged } }], volumes: [{ name: 'config', configMap: { name: 'web' } }] } }, responseObject: { kind: 'Pod', apiVersion: 'v1', metadata: { name: `web-${n.toString(36)}`, namespace: ns } } };
  }
  if (r < 0.995) return { ...base, requestURI: `/api/v1/namespaces/${ns}/secrets/db`, verb: 'get', user: { username: random() < 0.5 ? 'alice@acme.io' : `system:serviceaccount:${ns}:web`, groups: ['system:authenticated'] }, userAgent: 'kubectl/v1.31.2', objectRef: { resource: 'secrets', namespace: ns, name: 'db', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } };
  return { ...base, stage: 'ResponseStarted', requestURI: `/api/v1/namespaces/${ns}/pods/${pod}/exec?command=sh&container=web&stdin=true&tty=true`, verb: 'create', user: { username: 'alice@acme.io', groups: ['system:authenticated'] }, userAgent: 'kubectl/v1.31.2', objectRef: { resource: 'pods', namespace: ns, name: pod, subresource: 'exec', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 101 } };
}

export async function writeLog(file: string, count: number): Promise<void> {
  const random = prng(20261130);
  const out = createWriteStream(file);
  let chunk: string[] = [];
  for (let n = 0; n < count; n++) {
    chunk.push(JSON.stringify(eventOf(n, random)));
    if (chunk.length === 2000 || n === count - 1) {
      if (!out.write(`${chunk.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = [];
    }
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

interface WorkerResult {
  ms: number;
  events: number;
  detections: number;
  rssMiB: number;
}

/** One side, in this (fresh) process: `baseline` (readline + JSON.parse) or `ours` (the reader and every rule). */
async function worker(side: string, file: string): Promise<WorkerResult> {
  const t = performance.now();
  let events = 0;
  let detections = 0;
  if (side === 'baseline') {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (line === '') continue;
      JSON.parse(line);
      events++;
    }
  } else {
    const detector = new Detector();
    for await (const batch of readAuditEventBatches(createReadStream(file), file)) {
      for (const item of batch) {
        if ('issue' in item) throw new Error(item.issue.message);
        events++;
        detections += detector.push(item.event).length;
      }
    }
  }
  return { ms: performance.now() - t, events, detections, rssMiB: (process.resourceUsage().maxRSS * 1024) / 1024 / 1024 };
}

function runWorker(side: string, file: string): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const self = fileURLToPath(import.meta.url);
    const child = spawn(process.execPath, [...process.execArgv, self, '--worker', side, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(text) as WorkerResult) : reject(new Error(`bench/audit worker ${side} exited with ${String(code)}`))));
  });
}

export async function main(): Promise<void> {
  const { runs, events } = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-bench-audit-'));
  try {
    const file = join(dir, 'audit.log');
    await writeLog(file, events);
    const { size } = await stat(file);
    console.log(`bench/audit: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s) over ${events} events (${(size / 1024 / 1024).toFixed(0)} MiB of JSON lines)`);
    const base: WorkerResult[] = [];
    const ours: WorkerResult[] = [];
    for (let r = 0; r < runs; r++) {
      base.push(await runWorker('baseline', file));
      ours.push(await runWorker('ours', file));
      const b = base.at(-1) as WorkerResult;
      const o = ours.at(-1) as WorkerResult;
      console.log(`  run ${r + 1}: baseline ${b.ms.toFixed(0)} ms (${b.rssMiB.toFixed(0)} MiB), runwarden ${o.ms.toFixed(0)} ms (${o.rssMiB.toFixed(0)} MiB), ${o.detections} detections`);
    }
    const baseMs = median(base.map((b) => b.ms));
    const oursMs = median(ours.map((o) => o.ms));
    const rate = (events / oursMs) * 1000;
    const rss = Math.max(...ours.map((o) => o.rssMiB));
    console.log('');
    console.log(`baseline (readline + JSON.parse): ${baseMs.toFixed(0)} ms = ${((events / baseMs) * 1000).toFixed(0)} events/s, peak RSS ${Math.max(...base.map((b) => b.rssMiB)).toFixed(0)} MiB`);
    console.log(`runwarden audit detect (reader + ${new Detector().rules.length} rules): ${oursMs.toFixed(0)} ms = ${rate.toFixed(0)} events/s, peak RSS ${rss.toFixed(0)} MiB; ${ours[0]?.detections ?? 0} detections`);
    console.log(`ratio runwarden/baseline: ×${(oursMs / baseMs).toFixed(2)} time`);
    const ok = rate >= RATE_TARGET && rss < RSS_TARGET_MIB;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${rate.toFixed(0)} events/s ≥ ${RATE_TARGET}; peak RSS ${rss.toFixed(0)} MiB < ${RSS_TARGET_MIB} MiB`);
    if (!ok) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const w = process.argv.indexOf('--worker');
  if (w >= 0) process.stdout.write(JSON.stringify(await worker(process.argv[w + 1] ?? '', process.argv[w + 2] ?? '')));
  else await main();
}
