/**
 * bench/lifecycle — issue #9 "Performance": freshness (digest drift, newer tags, lifecycle referrers)
 * for 1,000 distinct running images in 300 repositories of the real docker-registry (distribution 2.8,
 * no referrers API: every referrer lookup is a 404 and a tag-schema GET), behind a delay proxy that
 * adds 20 ms to every request. One container per image; 10 % of the tags have moved to a new build.
 *
 * - baseline: the same distinct requests runwarden has to make (one manifest HEAD per repository and
 *   tag, one tag list per repository, one referrers-API probe, then a tag-schema GET per digest, the
 *   manifest and config of each moved tag's new build) issued with plain `fetch`, 16 in flight — the
 *   floor; the delay proxy runs in a child process, the registry in its own;
 * - runwarden: `containerLifecycle` over the inventory with a `RegistryProbe` (16 in flight per
 *   registry): detection, freshness, verdicts and findings.
 * Target: runwarden under 10 s wall; also printed: ratio to the baseline, CPU time, peak RSS, the
 * request count per kind (one HEAD per (repo, tag), one tag list per repository).
 *
 * Run: `npm run bench -- lifecycle` (needs docker-registry on PATH). `--runs N` (default 3), `--delay MS`, `--concurrency N` (default 16, both sides).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { containerLifecycle } from '../src/lifecycle/containers.js';
import { loadLifecycle } from '../src/lifecycle/data/store.js';
import { RegistryProbe } from '../src/lifecycle/freshness/probe.js';
import { buildInventory } from '../src/inventory/build.js';
import { OBJECT_SCHEMAS, emptyClusterObjects, type ClusterObjects } from '../src/inventory/schema.js';
import { RESOURCE_KINDS, type ResourceKind } from '../src/core/inventory.js';
import { RegistryClient, type Repository } from '../src/registry/client.js';
import { MEDIA } from '../src/registry/media-types.js';

const IMAGES = 1000;
const REPOS = 300;
const TARGET_MS = 10_000;
let CONCURRENCY = 16;

async function freePort(): Promise<number> {
  const s = netServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startRegistry(dir: string): Promise<{ host: string; stop: () => Promise<void> }> {
  const port = await freePort();
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: bench-not-a-secret\n`);
  const log = openSync(join(dir, 'registry.log'), 'a');
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status === 200).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not start; see ${join(dir, 'registry.log')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    },
  };
}

/**
 * The delay proxy runs in its own process (`--proxy <registry> <ms>`), so its work is not charged to
 * the process measured. It forwards every request after `delayMs` and counts requests by kind
 * (`GET /__counts` reads and resets the counts).
 */
async function proxyMain(target: string, delayMs: number): Promise<void> {
  let counts = new Map<string, number>();
  const [thost, tport] = target.split(':');
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/__counts') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(Object.fromEntries(counts)));
      counts = new Map();
      return;
    }
    const kind = `${req.method ?? ''} ${url.includes('/tags/list') ? 'tags/list' : url.includes('/referrers/') ? 'referrers' : url.includes('/manifests/sha256-') ? 'manifests/<tag-schema>' : url.includes('/manifests/sha256:') ? 'manifests/<digest>' : url.includes('/manifests/') ? 'manifests/<tag>' : url.includes('/blobs/') ? 'blobs' : url}`;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    setTimeout(() => {
      const up = httpRequest({ host: thost, port: Number(tport), method: req.method, path: url, headers: req.headers, agent }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(up);
    }, delayMs);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
}

async function startDelayProxy(target: string, delayMs: number): Promise<{ host: string; counts: () => Promise<Record<string, number>>; stop: () => void }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--proxy', target, String(delayMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      out += s;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`delay proxy exited (${String(code)})`)));
  });
  const host = `127.0.0.1:${port}`;
  return {
    host,
    counts: async () => (await (await fetch(`http://${host}/__counts`)).json()) as Record<string, number>,
    stop: () => void child.kill('SIGTERM'),
  };
}

interface Fixture {
  pods: Array<{ repo: string; tag: string; digest: string }>;
  tagsPerRepo: number;
}

/** 300 repositories, 1,000 running tags (3–4 per repository) plus newer tags; 10 % of running tags moved. */
async function populate(client: RegistryClient, registry: string): Promise<Fixture> {
  const pods: Fixture['pods'] = [];
  let pushed = 0;
  const work: Array<() => Promise<void>> = [];
  for (let r = 0; r < REPOS; r++) {
    const repo: Repository = { registry, repository: `team-${r % 20}/svc-${r}` };
    const running = Math.floor(IMAGES / REPOS) + (r < IMAGES % REPOS ? 1 : 0);
    work.push(async () => {
      const layer = await client.pushBlob(repo, Buffer.from(`layer of ${repo.repository}`), 'application/vnd.oci.image.layer.v1.tar');
      const push = async (tag: string, created: string): Promise<string> => {
        const config = Buffer.from(JSON.stringify({ created, architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
        const cfg = await client.pushBlob(repo, config, MEDIA.ociConfig);
        pushed++;
        return client.putManifest(repo, tag, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: cfg, layers: [layer] })), MEDIA.ociManifest);
      };
      for (let i = 0; i < running; i++) {
        const tag = `1.${i}.${r % 5}-alpine3.19`;
        const digest = await push(tag, `2026-0${1 + (i % 8)}-01T00:00:00Z`);
        if ((r * 7 + i) % 10 === 0) await push(tag, '2026-11-01T00:00:00Z');
        pods.push({ repo: repo.repository, tag, digest });
      }
      for (const tag of ['latest', `1.${running}.0-alpine3.20`, `2.0.0-alpine3.21`, `1.0.${(r % 5) + 3}-alpine3.19`, 'v-nightly']) await push(tag, '2026-10-01T00:00:00Z');
    });
  }
  for (let i = 0; i < work.length; i += 16) await Promise.all(work.slice(i, i + 16).map((w) => w()));
  console.log(`populated ${REPOS} repositories with ${pushed} image builds (${pods.length} running tags)`);
  return { pods, tagsPerRepo: 0 };
}

function inventory(fixture: Fixture, host: string): ReturnType<typeof buildInventory> {
  const cluster: ClusterObjects = emptyClusterObjects();
  fixture.pods.forEach((p, i) => {
    const obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: `ns-${i % 30}` },
      spec: { containers: [{ name: 'app', image: `${host}/${p.repo}:${p.tag}` }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image: `${host}/${p.repo}:${p.tag}`, imageID: `${host}/${p.repo}@${p.digest}`, ready: true, restartCount: 0, state: { running: {} } }] },
    };
    (cluster.Pod as unknown[]).push(OBJECT_SCHEMAS.Pod.parse(obj));
  });
  return buildInventory({ source: { type: 'snapshot', location: 'bench' }, objects: cluster, origins: new WeakMap(), complete: [...RESOURCE_KINDS] as ResourceKind[], namespaces: undefined, issues: [] });
}

/** The floor: the same distinct requests with plain fetch, CONCURRENCY in flight. */
async function baseline(fixture: Fixture, host: string, moved: Array<{ repo: string; digest: string; config: string }>): Promise<number> {
  const urls: Array<[string, string]> = [];
  const repos = new Set<string>();
  const accept = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerManifestList].join(', ');
  for (const [i, p] of fixture.pods.entries()) {
    urls.push(['HEAD', `http://${host}/v2/${p.repo}/manifests/${p.tag}`]);
    // The registry has no referrers API: asking once shows it, then only the tag schema is read.
    if (i === 0) urls.push(['GET', `http://${host}/v2/${p.repo}/referrers/${p.digest}?artifactType=application%2Fvnd.microsoft.artifact.lifecycle`]);
    urls.push(['GET', `http://${host}/v2/${p.repo}/manifests/sha256-${p.digest.slice(7)}`]);
    repos.add(p.repo);
  }
  for (const r of repos) urls.push(['GET', `http://${host}/v2/${r}/tags/list`]);
  for (const m of moved) urls.push(['GET', `http://${host}/v2/${m.repo}/manifests/${m.digest}`], ['GET', `http://${host}/v2/${m.repo}/blobs/${m.config}`]);
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < urls.length) {
      const [method, url] = urls[next++] ?? ['GET', ''];
      const r = await fetch(url, { method, headers: { accept } });
      await r.arrayBuffer();
    }
  }));
  return performance.now() - start;
}

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--proxy') {
    await proxyMain(argv[1] ?? '', Number(argv[2] ?? '20'));
    return;
  }
  let runs = 3;
  let delay = 20;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--delay') delay = Number(argv[++i]);
    else if (argv[i] === '--concurrency') CONCURRENCY = Number(argv[++i]);
    else throw new Error(`Unknown argument "${argv[i] ?? ''}": expected --runs N, --delay MS or --concurrency N`);
  }
  if (!Number.isInteger(runs) || runs < 1 || !Number.isFinite(delay) || delay < 0) throw new Error('Invalid --runs or --delay: expected --runs N (≥ 1) and --delay MS (≥ 0)');
  console.log(`bench/lifecycle: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s), ${delay} ms added per request, ${CONCURRENCY} in flight`);
  const dir = await mkdtemp(join(tmpdir(), 'rw-bench-lifecycle-'));
  const registry = await startRegistry(dir);
  try {
    const direct = new RegistryClient({ hosts: { insecure: [registry.host] } });
    const fixture = await populate(direct, registry.host);
    const proxy = await startDelayProxy(registry.host, delay);
    const data = (await loadLifecycle(undefined)).data;
    const inv = inventory(fixture, proxy.host);
    // The moved tags' new builds (for the baseline's manifest + config GETs).
    const moved: Array<{ repo: string; digest: string; config: string }> = [];
    for (const p of fixture.pods) {
      const now = await direct.resolve({ registry: registry.host, repository: p.repo, tag: p.tag, digest: undefined, original: '' });
      if (now.digest !== p.digest) {
        const m = await direct.getManifest({ registry: registry.host, repository: p.repo }, now.digest);
        moved.push({ repo: p.repo, digest: now.digest, config: m.kind === 'manifest' ? m.manifest.config.digest : '' });
      }
    }
    const base: number[] = [];
    const ours: Array<{ ms: number; cpuMs: number }> = [];
    let counts: Record<string, number> = {};
    let summary = '';
    for (let r = 0; r < runs; r++) {
      base.push(await baseline(fixture, proxy.host, moved));
      await proxy.counts();
      const cpu = process.cpuUsage();
      const start = performance.now();
      const client = new RegistryClient({ hosts: { insecure: [proxy.host] } });
      const probe = new RegistryProbe(client, { concurrency: CONCURRENCY });
      const result = await containerLifecycle(inv, { settings: { data, now: new Date('2026-11-28T12:00:00Z'), eolLookaheadDays: 90 }, probe });
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      ours.push({ ms, cpuMs: (used.user + used.system) / 1000 });
      counts = await proxy.counts();
      const byVerdict = new Map<string, number>();
      for (const v of result.verdicts) byVerdict.set(v.verdict, (byVerdict.get(v.verdict) ?? 0) + 1);
      summary = `${result.verdicts.length} verdicts ${JSON.stringify(Object.fromEntries(byVerdict))}, ${result.findings.length} findings, ${result.issues.length} issues; probe ${JSON.stringify(probe.stats)}`;
    }
    proxy.stop();
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const b = median(base);
    const o = median(ours.map((x) => x.ms));
    console.log(summary);
    console.log(`requests through the proxy (last run): ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const requests = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`latency floor: ${requests} requests × ${delay} ms / ${CONCURRENCY} in flight = ${((requests * delay) / CONCURRENCY / 1000).toFixed(2)} s (with idle CPUs)`);
    console.log(`baseline (same distinct requests, plain fetch, ${CONCURRENCY} in flight): ${(b / 1000).toFixed(2)} s median (${base.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
    console.log(`runwarden containerLifecycle: ${(o / 1000).toFixed(2)} s median (${ours.map((x) => (x.ms / 1000).toFixed(2)).join(', ')}), CPU ${(median(ours.map((x) => x.cpuMs)) / 1000).toFixed(2)} s`);
    const rss = process.resourceUsage().maxRSS * 1024;
    console.log(`ratio runwarden/baseline ×${(o / b).toFixed(2)}; peak RSS ${(rss / 1048576).toFixed(0)} MiB; target < ${TARGET_MS / 1000} s: ${o < TARGET_MS ? 'met' : 'NOT met'}`);
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    if (o >= TARGET_MS) process.exitCode = 1;
  } finally {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
