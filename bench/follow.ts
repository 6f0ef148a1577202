/**
 * bench/follow — what replicas pay to share the leader's latest scan (serve/follow): the leader encodes and
 * publishes it after each scan, each follower loads it. Input: the 30,000-pod snapshot of bench/inventory
 * (1,000 nodes), scanned by every registered check (~25,000 findings), published to and loaded from the
 * embedded history store (SQLite in memory; PostgreSQL moves the same text).
 *
 * Baselines in the same run: `JSON.stringify` of the report alone (the least any publication of it costs), and
 * `JSON.parse` of that text (the least any follower's read costs). Prints the body's size against the report's
 * JSON, wall and CPU time of each side (CPU of all threads: gzip runs on libuv's pool), the longest the event
 * loop was held (the leader answers admission reviews and the API meanwhile), and the peak RSS.
 * Target: a follower loads the leader's scan well within its poll interval (FOLLOW_INTERVAL_MS, 10 s): under 5 s.
 *
 * Run: `npm run bench -- follow` (compiled) or `npx tsx bench/follow.ts`. Flags: `--runs N` (default 3).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { buildInventory } from '../src/inventory/build.js';
import { snapshotSource } from '../src/inventory/sources/snapshot/index.js';
import { DEFAULT_SANDBOX_IMAGES } from '../src/policy/images.js';
import { scanInventory } from '../src/scan/index.js';
import { Follower, inventoryView, publishLatest, type LatestScan } from '../src/serve/follow/index.js';
import { sqliteExecutor } from '../src/serve/history/sqlite.js';
import { HistoryStore } from '../src/serve/history/store.js';
import { openDatabase } from '../src/store/db.js';
import { generate } from './inventory.js';
import { parseRuns } from './lib/args.js';
import { median } from './lib/bench-image.js';

const TARGET_LOAD_MS = 5000;
const NOW = new Date('2026-12-01T00:00:00Z');

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const cpuMs = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

/**
 * Run `fn`, returning its wall time, CPU time and the longest the event loop was held while it ran: the largest
 * gap between the ticks of a 5 ms interval (what an admission review arriving then would wait).
 */
async function measured(fn: () => Promise<unknown>): Promise<{ ms: number; cpu: number; blockedMs: number }> {
  let last = performance.now();
  let blockedMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    blockedMs = Math.max(blockedMs, now - last);
    last = now;
  }, 5);
  // a tick first, so the interval runs before `fn` holds the loop
  await new Promise((resolve) => setTimeout(resolve, 20));
  blockedMs = 0;
  last = performance.now();
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  // one more tick, so a block at the very end is counted
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(ticker);
  return { ms, cpu: cpuMs(cpu), blockedMs };
}

export async function main(): Promise<void> {
  const { runs } = parseRuns(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-bench-follow-'));
  try {
    await generate(dir);
    const inventory = buildInventory(await snapshotSource({ path: dir }).load({}));
    const report = scanInventory(inventory, { sandboxImages: DEFAULT_SANDBOX_IMAGES, now: NOW });
    console.log(`bench/follow: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s)`);
    console.log(`scan: ${inventory.nodes.length} nodes, ${inventory.pods.length} pods, ${inventory.workloads.length} workloads, ${report.findings.length} findings`);

    const stringify: number[] = [];
    const parse: number[] = [];
    const publish: Array<{ ms: number; cpu: number; blockedMs: number }> = [];
    const load: Array<{ ms: number; cpu: number; blockedMs: number }> = [];
    let reportBytes = 0;
    let bodyBytes = 0;
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      const text = JSON.stringify(report);
      stringify.push(performance.now() - t);
      reportBytes = Buffer.byteLength(text);
      t = performance.now();
      JSON.parse(text);
      parse.push(performance.now() - t);

      const history = new HistoryStore(sqliteExecutor(openDatabase(':memory:'), { closeDb: true }));
      const follower = new Follower({ history, log: () => undefined, intervalMs: 3_600_000 });
      try {
        const scan: LatestScan = { scanId: `bench-${r}`, finishedAt: new Date(NOW.getTime() + r * 1000), report, inventory };
        publish.push(await measured(async () => (bodyBytes = (await publishLatest(history, scan, NOW)) ?? 0)));
        load.push(await measured(() => follower.poll()));
        if (follower.latest?.report.findings.length !== report.findings.length) throw new Error(`the follower loaded ${follower.latest?.report.findings.length ?? 'nothing'} findings of ${report.findings.length}${follower.lastError === undefined ? '' : `: ${follower.lastError}`}`);
        if (r === 0 && !isDeepStrictEqual(follower.latest.inventory, inventoryView(inventory))) throw new Error('the follower loaded another inventory than the leader published');
      } finally {
        await follower.stop();
        await history.close();
      }
      console.log(`run ${r + 1}: publish ${seconds(publish[r]?.ms ?? 0)}, load ${seconds(load[r]?.ms ?? 0)}; load average ${loadavg()[0]?.toFixed(2) ?? '?'}`);
    }
    const pub = median(publish.map((p) => p.ms));
    const got = median(load.map((p) => p.ms));
    console.log('');
    console.log(`report JSON ${mib(reportBytes)}; published body ${mib(bodyBytes)} (base64 of gzip: the report, and pods as rows over a string table) = ${((bodyBytes / reportBytes) * 100).toFixed(1)} % of it`);
    console.log(`baseline JSON.stringify(report): ${seconds(median(stringify))}; JSON.parse of it: ${seconds(median(parse))}`);
    console.log(`leader, encode + publish: ${seconds(pub)} wall, ${seconds(median(publish.map((p) => p.cpu)))} CPU, event loop held ≤ ${seconds(median(publish.map((p) => p.blockedMs)))} — ×${(pub / median(stringify)).toFixed(2)} of JSON.stringify`);
    console.log(`follower, read + decode + validate: ${seconds(got)} wall, ${seconds(median(load.map((p) => p.cpu)))} CPU, event loop held ≤ ${seconds(median(load.map((p) => p.blockedMs)))} — ×${(got / median(parse)).toFixed(2)} of JSON.parse`);
    console.log(`peak RSS ${mib(process.resourceUsage().maxRSS * 1024)} (whole process: generation, inventory, scan, both sides)`);
    const ok = got < TARGET_LOAD_MS;
    console.log(`${ok ? 'PASS' : 'FAIL'} a follower loads the scan in ${seconds(got)} < ${seconds(TARGET_LOAD_MS)}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
