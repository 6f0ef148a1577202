/**
 * bench/serve/rescan — the cost of one watched change in the service, in-process and by CPU time (the
 * figure bench/serve's "change reflected in the API" is made of, without the HTTP, watch and child process):
 * the 30,000-pod snapshot of bench/inventory in an informer-like source (unchanged objects keep their
 * identity), the service's Monitor with a SQLite history and the Prometheus metrics, as `runwarden serve` wires
 * them; a first (full) scan, then ROUNDS rescans each after one pod starts running another pod's image digest
 * (already analysed). Prints, per rescan, the mode, wall and CPU time of the monitor's work (scan + history +
 * metrics) and of the workload page the bench polls; then the median.
 *
 * With RUNWARDEN_BENCH_IMAGES=1 the running images are read too (`--image-dir` and `--db`, as `serve` reads them,
 * layer cache included): bench/scan-images' input, every running digest an image of ~150 vulnerabilities (~674,000
 * findings); the change's pod then runs an image already read. Give the process the heap the chart gives serve
 * (`--max-old-space-size=3072`).
 *
 * Run: `node --import tsx bench/serve/rescan.ts` (RUNWARDEN_BENCH_FULL_BEFORE=4 runs a full rescan before the 4th
 * change, as the schedule does: the first change after a full rescan; add `--cpu-prof --cpu-prof-dir=<dir>` for a profile; set
 * RUNWARDEN_BENCH_PROFILE_FROM=1 to profile each rescan alone, the monitor's work only, written to ./rescan-<n>.cpuprofile).
 */
import { writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterObjects } from '../../src/inventory/schema.js';
import type { InventorySource, SourceResult } from '../../src/inventory/source.js';
import { loadSnapshot } from '../../src/inventory/sources/snapshot/index.js';
import { openSqliteHistory } from '../../src/serve/history/sqlite.js';
import { HistoryStore } from '../../src/serve/history/store.js';
import { ServeMetrics } from '../../src/serve/metrics/index.js';
import { Monitor } from '../../src/serve/monitor.js';
import { handleApi } from '../../src/serve/server/api.js';
import { LayerCache } from '../../src/image/analysis/cache.js';
import type { RunningImagesSettings } from '../../src/scan/index.js';
import { imageDirLocator } from '../../src/scan/images/locate.js';
import { openVulnDb } from '../../src/vulndb/store/index.js';
import { generate } from '../inventory.js';
import { prepareImages } from '../scan-images.js';

const ROUNDS = Number(process.env.RUNWARDEN_BENCH_ROUNDS ?? 7);
/** Before these rescans (1-based, comma-separated), a full rescan as the schedule runs one (`interval`). */
const FULL_BEFORE = new Set((process.env.RUNWARDEN_BENCH_FULL_BEFORE ?? '').split(',').filter((x) => x !== '').map(Number));

type Pod = Record<string, unknown> & { metadata: { name: string; namespace: string; ownerReferences?: unknown[] }; status?: { containerStatuses?: Array<Record<string, unknown>> } };

/** The informers' stores as the watch source hands them out: unchanged objects keep their identity. */
class StoreSource implements InventorySource {
  readonly id = 'kubernetes';
  readonly objects: ClusterObjects;
  constructor(private readonly base: SourceResult) {
    this.objects = Object.fromEntries(Object.entries(base.objects).map(([k, v]) => [k, [...(v as object[])]])) as unknown as ClusterObjects;
  }
  load(): Promise<SourceResult> {
    const objects = Object.fromEntries(Object.entries(this.objects).map(([k, v]) => [k, [...(v as object[])]])) as unknown as ClusterObjects;
    return Promise.resolve({ ...this.base, source: { type: 'kubernetes', location: 'https://bench' }, objects, issues: [] });
  }
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

export async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-bench-rescan-'));
  const closers: Array<() => void> = [];
  try {
    const withImages = process.env.RUNWARDEN_BENCH_IMAGES === '1';
    let images: RunningImagesSettings | undefined;
    if (withImages) {
      console.log(`bench/serve/rescan: ${await prepareImages(dir)}`);
      const file = join(dir, 'vuln.db');
      const db = openVulnDb(file, { readonly: true });
      closers.push(() => db.close());
      const cache = LayerCache.open(file);
      closers.push(() => cache.close());
      images = { db, locators: [imageDirLocator(join(dir, 'images'))], cache };
    } else await generate(dir);
    const raw = await loadSnapshot({ path: withImages ? join(dir, 'snapshot') : dir });
    const source = new StoreSource(raw);
    const history = new HistoryStore(openSqliteHistory(join(dir, 'history.db')));
    const metrics = new ServeMetrics({ processMetrics: false });
    let last: { mode?: string; why?: string } = {};
    const monitor = new Monitor({ scan: { source, lifecycle: {}, images }, history, metrics, log: (_level, msg, fields) => {
      if (msg === 'scan finished' || msg === 'scan failed') last = { mode: typeof fields?.mode === 'string' ? fields.mode : 'failed', why: typeof fields?.why === 'string' ? fields.why : undefined };
    } });
    const pods = source.objects.Pod as unknown as Pod[];
    console.log(`bench/serve/rescan: ${pods.length} pods; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    let t = performance.now();
    let c = process.cpuUsage();
    await monitor.trigger('startup');
    console.log(`first scan (full): ${(performance.now() - t).toFixed(0)} ms wall, ${cpuMs(process.cpuUsage(c)).toFixed(0)} ms CPU`);
    const digestOf = (p: Pod | undefined): string | undefined => p?.status?.containerStatuses?.[0]?.imageID as string | undefined;
    const session = process.env.RUNWARDEN_BENCH_PROFILE_FROM === '1' ? new Session() : undefined;
    if (session !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
    }
    const rows: Array<{ scan: number; scanCpu: number; page: number; pageCpu: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (FULL_BEFORE.has(round + 1)) {
        t = performance.now();
        c = process.cpuUsage();
        await monitor.trigger('interval');
        console.log(`full rescan (${last.mode ?? '?'}): ${(performance.now() - t).toFixed(0)} ms wall, ${cpuMs(process.cpuUsage(c)).toFixed(0)} ms CPU`);
      }
      const at = (round * 4099 + 17) % pods.length;
      const target = pods[at];
      const other = digestOf(pods[(at + 7) % pods.length]);
      if (target === undefined || other === undefined) throw new Error('the snapshot has no pod with a running digest');
      const status = target.status ?? {};
      pods[at] = { ...target, status: { ...status, containerStatuses: (status.containerStatuses ?? []).map((s, i) => (i === 0 ? { ...s, imageID: other } : s)) } };
      if (session !== undefined) await session.post('Profiler.start');
      t = performance.now();
      c = process.cpuUsage();
      await monitor.trigger(`pod-modified: ${target.metadata.namespace}/${target.metadata.name}`);
      const scan = performance.now() - t;
      const scanCpu = cpuMs(process.cpuUsage(c));
      if (session !== undefined) {
        // One profile per rescan (the first one after a full scan is not like the others).
        const { profile } = await session.post('Profiler.stop');
        await writeFile(`rescan-${round + 1}.cpuprofile`, JSON.stringify(profile));
      }
      // The page bench/serve polls: the workload of the changed pod.
      const workload = monitor.latest?.inventory.workloads.find((w) => w.pods.includes(`${target.metadata.namespace}/${target.metadata.name}`));
      t = performance.now();
      c = process.cpuUsage();
      if (workload !== undefined) {
        const detail = JSON.stringify(await handleApi({ history, monitor }, `workloads/${workload.namespace}/${workload.kind}/${workload.name}`, new URLSearchParams()));
        if (!detail.includes(other.slice(other.lastIndexOf('sha256:')))) throw new Error('the workload page does not show the change');
      }
      const row = { scan, scanCpu, page: performance.now() - t, pageCpu: cpuMs(process.cpuUsage(c)) };
      rows.push(row);
      console.log(`rescan ${round + 1}: ${last.mode ?? '?'}${last.why === undefined ? '' : ` (${last.why})`} ${row.scan.toFixed(0)} ms wall, ${row.scanCpu.toFixed(0)} ms CPU; workload page ${row.page.toFixed(1)} ms wall, ${row.pageCpu.toFixed(1)} ms CPU`);
    }
    session?.disconnect();
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    console.log(`median of ${rows.length}: rescan ${median(rows.map((r) => r.scan)).toFixed(0)} ms wall, ${median(rows.map((r) => r.scanCpu)).toFixed(0)} ms CPU; workload page ${median(rows.map((r) => r.pageCpu)).toFixed(1)} ms CPU; load average ${loadavg()[0]?.toFixed(2)}`);
    await history.close();
  } finally {
    for (const close of closers) close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
