/**
 * bench/admission — the admission webhook under the API server's load: AdmissionReviews POSTed over TLS on
 * kept-alive connections, 8 at a time (the API server calls webhooks in parallel, one request per object).
 * Targets on this machine: p99 latency under 50 ms, and verdicts of a 30,000-container cluster's report built
 * in under 1 s (serve rebuilds them once per scan).
 *
 * Run: `npm run bench -- admission` (compiled) or `npx tsx bench/admission.ts`. Flags: `--runs N` (default 3;
 * medians), `--requests N` per run (default 4,000). Needs openssl (a CA and a server certificate, as
 * cert-manager makes them).
 *
 * Baseline, measured in the same run on the same TLS setup: a server that reads the body, JSON-parses it and
 * answers "allowed" — the floor any webhook pays for TLS, HTTP and the review's JSON. The mix: Deployments and
 * Pods of 1–3 containers, images scanned clean, with malware, with a critical fixable CVE, end of life, or
 * never scanned; a fifth privileged (denied by Pod Security), some updates of an unchanged spec.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_ACTIONS } from '../src/admission/decide.js';
import { startWebhook } from '../src/admission/server.js';
import { verdictsFromReport } from '../src/admission/verdicts.js';
import type { Finding } from '../src/core/finding.js';
import type { ScanReport } from '../src/core/report.js';
import { reportOf } from '../test/report.js';
import { makeCertificates } from '../test/tls.js';

const P99_TARGET_MS = 50;
const VERDICTS_TARGET_MS = 1000;
const CONCURRENCY = 8;
const IMAGES = 5000;
/** Containers running each image: 30,000 in all. */
const CONTAINERS_PER_IMAGE = 6;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function parseArgs(argv: string[]): { runs: number; requests: number } {
  let runs = 3;
  let requests = 4000;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`Invalid ${flag ?? ''} "${argv[i] ?? ''}": expected a positive integer`);
    if (flag === '--runs') runs = value;
    else if (flag === '--requests') requests = value;
    else throw new Error(`Unknown argument "${flag ?? ''}": expected --runs N or --requests N`);
  }
  return { runs, requests };
}

const hex = (n: number, width = 64): string => n.toString(16).padStart(width, '0');
const digestOf = (i: number): string => `sha256:${hex(i * 2654435761)}`;

/** A scan report of `images` running images (each run by six containers), a fifth with findings of each kind. */
function syntheticReport(images: number, containersPerImage: number): ScanReport {
  const findings: Finding[] = [];
  const rows: NonNullable<ScanReport['images']> = [];
  for (let i = 0; i < images; i++) {
    const digest = digestOf(i);
    rows.push({ digest, references: [`registry.example.com/team-${i % 40}/app-${i}:1.${i % 9}`], status: i % 50 === 49 ? 'unread' : 'scanned', from: 'registry', contributors: ['vulnerabilities', 'lifecycle', 'malware'] });
    for (let c = 0; c < containersPerImage; c++) {
      const subject = { type: 'container' as const, namespace: `ns-${i % 200}`, workload: { kind: 'Deployment', name: `app-${i}-${c}` }, container: 'app', image: `registry.example.com/team-${i % 40}/app-${i}:1.${i % 9}` };
      const add = (rule: string, kind: Finding['kind'], severity: Finding['severity'], title: string, evidence: Record<string, unknown>): void => {
        findings.push({ id: `${i}-${c}-${findings.length}`, rule, kind, severity, title, subject, evidence: { imageDigest: digest, ...evidence }, remediation: '' });
      };
      for (let v = 0; v < 12; v++) add('vulnerable-package', 'vulnerability', v === 0 && i % 5 === 1 ? 'critical' : 'medium', `CVE-2026-${hex(i * 13 + v, 5)}: a flaw (pkg-${v} 1.0)`, { fixStatus: v % 2 === 0 ? 'fixed' : 'not-fixed' });
      if (i % 5 === 2) add('malware', 'malware', 'critical', `Eicar-Test-Signature in /opt/app-${i}/x.com`, {});
      if (i % 5 === 3) add('end-of-life', 'end-of-life', 'high', 'Debian 10 reached end of life on 2024-06-30', {});
    }
  }
  return reportOf({ findings, images: rows });
}

/** The request bodies: the mix of the header comment, deterministic. */
function reviews(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const containers = Array.from({ length: 1 + (i % 3) }, (_, c) => {
      const image = (i + c) % 7 === 6 ? `registry.example.com/new/app-${i}:1` : `registry.example.com/team-${(i + c) % 40}/app-${(i * 7 + c) % IMAGES}:1.${((i * 7 + c) % IMAGES) % 9}`;
      return { name: `c${c}`, image, securityContext: i % 5 === 0 ? { privileged: true } : { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } }, resources: { limits: { cpu: '500m', memory: '256Mi' } } };
    });
    const spec = { containers };
    const pod = i % 2 === 0;
    const object = pod
      ? { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: `web-${i}-`, namespace: `ns-${i % 200}`, labels: { app: `web-${i}` } }, spec }
      : { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `web-${i}`, namespace: `ns-${i % 200}` }, spec: { replicas: 3, selector: { matchLabels: { app: `web-${i}` } }, template: { metadata: { labels: { app: `web-${i}` } }, spec } } };
    const update = !pod && i % 10 === 3;
    out.push(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: `00000000-0000-4000-8000-${hex(i, 12)}`,
          kind: pod ? { group: '', version: 'v1', kind: 'Pod' } : { group: 'apps', version: 'v1', kind: 'Deployment' },
          resource: pod ? { group: '', version: 'v1', resource: 'pods' } : { group: 'apps', version: 'v1', resource: 'deployments' },
          namespace: `ns-${i % 200}`,
          operation: update ? 'UPDATE' : 'CREATE',
          userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts'] },
          object,
          oldObject: update ? { ...object, spec: { ...(object.spec as object), replicas: 2 } } : null,
          dryRun: false,
        },
      }),
    );
  }
  return out;
}

/** POST every body, `concurrency` at a time on kept-alive connections; latency of each, and the outcomes. */
async function load(url: string, ca: Buffer, bodies: readonly string[], total: number, concurrency: number): Promise<{ latencies: number[]; wallMs: number; denied: number; warned: number }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca });
  const latencies: number[] = [];
  let next = 0;
  let denied = 0;
  let warned = 0;
  const one = (body: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = https.request(`${url}/validate?timeout=5s`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          latencies.push(performance.now() - started);
          if (res.statusCode !== 200) return reject(new Error(`status ${String(res.statusCode)}: ${Buffer.concat(chunks).toString()}`));
          const reply = JSON.parse(Buffer.concat(chunks).toString()) as { response: { allowed: boolean; warnings?: string[] } };
          if (!reply.response.allowed) denied++;
          else if (reply.response.warnings !== undefined) warned++;
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await one(bodies[next++ % bodies.length] as string);
    }),
  );
  const wallMs = performance.now() - started;
  agent.destroy();
  return { latencies, wallMs, denied, warned };
}

/** The floor: TLS, HTTP, the body read and JSON-parsed, a fixed "allowed" answer. */
async function baselineServer(cert: Buffer, key: Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string } };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
    });
  };
  const server = https.createServer({ cert, key }, handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `https://127.0.0.1:${port}`, close: () => new Promise((resolve) => (server.close(() => resolve()), server.closeAllConnections())) };
}

export async function main(): Promise<void> {
  const { runs, requests } = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-bench-admission-'));
  try {
    const tls = await makeCertificates(dir, { cn: 'runwarden-serve.runwarden.svc', caName: 'bench-ca' });
    console.log(`bench/admission: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s) of ${requests} reviews, ${CONCURRENCY} at a time`);

    // verdicts of a 30,000-container cluster (5,000 images run by 6 containers each), rebuilt as serve does per scan
    const report = syntheticReport(IMAGES, CONTAINERS_PER_IMAGE);
    const buildMs: number[] = [];
    let cache = verdictsFromReport(report, 'bench');
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      cache = verdictsFromReport(report, 'bench');
      buildMs.push(performance.now() - t);
    }
    console.log(`verdicts: ${report.findings.length} findings of ${IMAGES} images (${IMAGES * CONTAINERS_PER_IMAGE} containers) → ${cache.byDigest.size} images, ${cache.byTag.size} tags in ${median(buildMs).toFixed(0)} ms (median of ${runs})`);

    const bodies = reviews(2000);
    const base = await baselineServer(tls.cert, tls.key);
    const webhook = await startWebhook({
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: tls.certFile, keyFile: tls.keyFile },
      deps: { verdicts: () => cache, options: () => ({ actions: DEFAULT_ACTIONS, vulnerabilitySeverity: 'critical', now: new Date('2026-11-30T08:00:00Z') }), failureMode: 'open', log: () => undefined },
    });
    try {
      // warm-up (not counted): TLS sessions, the JIT of both servers
      await load(base.url, tls.ca, bodies, 400, CONCURRENCY);
      await load(webhook.url, tls.ca, bodies, 400, CONCURRENCY);
      const ours = { p50: [] as number[], p99: [] as number[], rate: [] as number[] };
      const floor = { p50: [] as number[], p99: [] as number[], rate: [] as number[] };
      let outcome = { denied: 0, warned: 0 };
      for (let r = 0; r < runs; r++) {
        const b = await load(base.url, tls.ca, bodies, requests, CONCURRENCY);
        floor.p50.push(percentile(b.latencies, 50));
        floor.p99.push(percentile(b.latencies, 99));
        floor.rate.push((requests / b.wallMs) * 1000);
        const w = await load(webhook.url, tls.ca, bodies, requests, CONCURRENCY);
        ours.p50.push(percentile(w.latencies, 50));
        ours.p99.push(percentile(w.latencies, 99));
        ours.rate.push((requests / w.wallMs) * 1000);
        outcome = { denied: w.denied, warned: w.warned };
      }
      const rss = process.resourceUsage().maxRSS * 1024;
      const p99 = median(ours.p99);
      console.log('');
      console.log(`baseline (TLS + HTTP + JSON.parse, fixed answer): p50 ${median(floor.p50).toFixed(2)} ms, p99 ${median(floor.p99).toFixed(2)} ms, ${median(floor.rate).toFixed(0)} reviews/s`);
      console.log(`runwarden webhook:                               p50 ${median(ours.p50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ${median(ours.rate).toFixed(0)} reviews/s`);
      console.log(`ratio runwarden/baseline: p50 ×${(median(ours.p50) / Math.max(median(floor.p50), 0.001)).toFixed(1)}, throughput ×${(median(ours.rate) / Math.max(median(floor.rate), 0.001)).toFixed(2)}; peak RSS ${mib(rss)} (whole process: report, verdicts, both servers, client)`);
      console.log(`outcomes of the last run: ${outcome.denied} denied, ${outcome.warned} admitted with warnings, ${requests - outcome.denied - outcome.warned} admitted clean`);
      const ok = p99 < P99_TARGET_MS && median(buildMs) < VERDICTS_TARGET_MS;
      console.log(`${ok ? 'PASS' : 'FAIL'} p99 ${p99.toFixed(1)} ms < ${P99_TARGET_MS} ms; verdicts ${median(buildMs).toFixed(0)} ms < ${VERDICTS_TARGET_MS} ms`);
      if (!ok) process.exitCode = 1;
    } finally {
      await webhook.close();
      await base.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
