/**
 * bench/layers — issue #5 "Performance": one streaming pass over the layers of a ≥ 300 MB image
 * built offline from real Debian packages (scripts/build-bench-image.sh: apt-get download +
 * dpkg-deb -x into per-layer folders, a dpkg status from the control files; cached between runs).
 *
 * Steps, each in its own child process (whole-process wall time and peak RSS):
 * - baseline: Node `zlib.createGunzip()` of the same layer blobs into nothing — default 16 KiB output
 *   chunks, 256 KiB and 1 MiB chunks (the pass's own size since session 4); the fastest is THE baseline;
 * - `gzip -dc` of the same blobs, for reference;
 * - runwarden `none`: openImage('oci:…') + analyzeImage with an analyser set that wants nothing
 *   (digest verification, decompression, tar parsing, index, squashed view), with the default of
 *   three layers at once, and `none-serial` one layer at a time;
 * - runwarden `hash`: the same with `file-digests` (sha256 of every regular file, as malware scanning);
 * - runwarden `cached`: a second scan with the layer cache filled by a first run (not timed), from
 *   opening the cache database to the analysis (module loading and Node start-up excluded: the
 *   process wall time with them is printed too); the squashed view, which this analyser set never
 *   uses, is then built by a first lookup and timed apart;
 * - runwarden `none` over the first layer only: peak RSS must not grow with the image.
 * Targets: `none` process wall ≤ 1.3 × baseline; peak RSS < 200 MB; cached scan < 100 ms.
 *
 * Run: `npm run bench -- layers` (compiled). Flags: `--runs N` (default 3, interleaved; medians),
 * `--cache-dir DIR` (where the image is built; default as the script's).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGunzip } from 'node:zlib';
import { buildBenchImage, median } from './lib/bench-image.js';

const TARGET_RATIO = 1.3;
const TARGET_RSS = 200 * 1024 * 1024;
const TARGET_CACHED_MS = 100;

type Mode = 'gunzip-16k' | 'gunzip-256k' | 'gunzip-1m' | 'none' | 'none-serial' | 'hash' | 'cached' | 'none-1-layer';

interface Measurement {
  mode: Mode;
  /** In-process time of the measured work. */
  ms: number;
  /** CPU time of the measured work (steadier than wall time on a shared machine). */
  workCpuMs: number;
  /** Building the squashed view afterwards, on first use (runwarden steps). */
  viewMs?: number;
  viewCpuMs?: number;
  maxRssBytes: number;
  cpuMs: number;
  bytes: number;
  files: number;
  blobsRead: number;
}

interface Layout {
  layers: Array<{ digest: string; size: number }>;
}

async function layersOf(layout: string): Promise<Layout['layers']> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const digest = index.manifests[0]?.digest ?? '';
  const manifest = JSON.parse(await readFile(join(layout, 'blobs', 'sha256', digest.slice(7)), 'utf8')) as Layout;
  return manifest.layers;
}

async function child(mode: Mode, layout: string, db: string | undefined): Promise<Measurement> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let bytes = 0;
  let files = 0;
  let blobsRead = 0;
  if (mode === 'gunzip-16k' || mode === 'gunzip-256k' || mode === 'gunzip-1m') {
    for (const l of await layersOf(layout)) {
      await pipeline(
        createReadStream(join(layout, 'blobs', 'sha256', l.digest.slice(7)), { highWaterMark: 1024 * 1024 }),
        mode === 'gunzip-16k' ? createGunzip() : createGunzip({ chunkSize: (mode === 'gunzip-1m' ? 1024 : 256) * 1024 }),
        new Writable({
          write(chunk: Buffer, _e, cb) {
            bytes += chunk.length;
            cb();
          },
        }),
      );
    }
  } else {
    const { openImage } = await import('../src/image/registry.js');
    const { analyzeImage } = await import('../src/image/analysis/run.js');
    const { fileDigests, noFiles } = await import('../src/image/analysis/builtin.js');
    // The cache module (SQLite, migrations) is loaded only by the steps that use it; opening the
    // database is part of the measured scan.
    const cacheModule = db === undefined ? undefined : await import('../src/image/analysis/cache.js');
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const cache = db === undefined ? undefined : cacheModule?.LayerCache.open(db);
    const image = await openImage(`oci:${layout}`);
    if (mode === 'none-1-layer') image.layers = image.layers.slice(0, 1);
    const analysis = await analyzeImage(image, mode === 'hash' ? [fileDigests] : [noFiles], { cache, concurrency: mode === 'none-serial' ? 1 : undefined });
    if (mode === 'hash') files = analysis.of(fileDigests).results.all().length;
    else files = analysis.layers.reduce((n, l) => n + (l.index?.entries.length ?? 0), 0);
    bytes = analysis.layers.reduce((n, l) => n + (l.index?.stats.bytes ?? 0), 0);
    blobsRead = analysis.blobsRead;
    if (!analysis.complete || analysis.issues.length > 0) throw new Error(`analysis incomplete: ${analysis.issues.map((i) => i.message).join('; ')}`);
    const ms = performance.now() - t0;
    const work = process.cpuUsage(c0);
    // The squashed view is built on first use; this analyser set never uses it. What a scan whose
    // analysers do (every cataloger) pays on top, measured apart: the first lookup builds it.
    let viewMs: number | undefined;
    let viewCpuMs: number | undefined;
    if (mode === 'cached') {
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      if (analysis.resolver.stat('var/lib/dpkg/status') === undefined) throw new Error('no var/lib/dpkg/status in the squashed view');
      viewMs = performance.now() - t1;
      const viewWork = process.cpuUsage(c1);
      viewCpuMs = (viewWork.user + viewWork.system) / 1000;
    }
    cache?.close();
    const cpu = process.cpuUsage(cpu0);
    return { mode, ms, workCpuMs: (work.user + work.system) / 1000, viewMs, viewCpuMs, maxRssBytes: process.resourceUsage().maxRSS * 1024, cpuMs: (cpu.user + cpu.system) / 1000, bytes, files, blobsRead };
  }
  const cpu = process.cpuUsage(cpu0);
  return { mode, ms: performance.now() - started, workCpuMs: (cpu.user + cpu.system) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024, cpuMs: (cpu.user + cpu.system) / 1000, bytes, files, blobsRead };
}

function runChild(mode: Mode, layout: string, db?: string): Promise<Measurement & { processMs: number }> {
  const self = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, self, '--child', mode, layout, ...(db === undefined ? [] : [db])];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (s: string) => (out += s));
    c.on('error', reject);
    c.on('close', (code) => {
      const processMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`${mode} child exited with code ${code}`));
      try {
        resolve({ ...(JSON.parse(out) as Measurement), processMs });
      } catch (error) {
        reject(new Error(`${mode} child printed no result: ${String(error)}`));
      }
    });
  });
}

function runGzip(layout: string, layers: Layout['layers']): Promise<number> {
  const files = layers.map((l) => join(layout, 'blobs', 'sha256', l.digest.slice(7)));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn('sh', ['-c', 'for f in "$@"; do gzip -dc "$f" > /dev/null || exit 1; done', 'sh', ...files], { stdio: 'inherit' });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`gzip -dc exited ${code}`))));
  });
}


const MB = 1024 * 1024;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (b: number): string => `${(b / MB).toFixed(0)} MiB`;

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

function parseArgs(argv: string[]): { runs: number; cacheDir: string | undefined } {
  let runs = 3;
  let cacheDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`Invalid --runs "${argv[i] ?? ''}": expected a positive integer, e.g. --runs 3`);
    } else if (a === '--cache-dir') {
      cacheDir = argv[++i];
      if (cacheDir === undefined) throw new Error('--cache-dir needs a folder');
    } else throw new Error(`Unknown argument "${a ?? ''}": expected --runs N or --cache-dir DIR`);
  }
  return { runs, cacheDir };
}

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [, mode, layout, db] = argv;
    if (mode === undefined || layout === undefined) throw new Error('usage: --child <mode> <layout> [db]');
    process.stdout.write(`${JSON.stringify(await child(mode as Mode, layout, db))}\n`);
    return;
  }
  const { runs, cacheDir } = parseArgs(argv);
  const buildStart = performance.now();
  const layout = await buildBenchImage(cacheDir);
  const layers = await layersOf(layout);
  const compressed = layers.reduce((n, l) => n + l.size, 0);
  console.log(`bench/layers: node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s) per step`);
  console.log(`image: ${layout} — ${layers.length} layers, ${mib(compressed)} compressed (ready in ${sec(performance.now() - buildStart)})`);

  const work = await mkdtemp(join(tmpdir(), 'rw-bench-layers-'));
  try {
    const db = join(work, 'cache.db');
    await runChild('none', layout, db); // fills the layer cache for the cached step (not timed)
    const results = new Map<string, Array<Measurement & { processMs: number }>>();
    const gzip: number[] = [];
    const add = (m: Measurement & { processMs: number }, key: string = m.mode): void => {
      results.set(key, [...(results.get(key) ?? []), m]);
    };
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drift in the machine's load hits every step alike.
      add(await runChild('gunzip-16k', layout));
      add(await runChild('gunzip-256k', layout));
      add(await runChild('gunzip-1m', layout));
      add(await runChild('none', layout));
      add(await runChild('none-serial', layout));
      add(await runChild('hash', layout));
      add(await runChild('cached', layout, db));
      add(await runChild('none-1-layer', layout));
      gzip.push(await runGzip(layout, layers));
    }
    const summary = (key: string): { processMs: number; ms: number; cpuMs: number; workCpuMs: number; rss: number; last: Measurement } => {
      const rs = results.get(key) ?? [];
      const last = rs[rs.length - 1];
      if (last === undefined) throw new Error(`no results for ${key}`);
      return { processMs: median(rs.map((r) => r.processMs)), ms: median(rs.map((r) => r.ms)), cpuMs: median(rs.map((r) => r.cpuMs)), workCpuMs: median(rs.map((r) => r.workCpuMs)), rss: Math.max(...rs.map((r) => r.maxRssBytes)), last };
    };
    const g16 = summary('gunzip-16k');
    const g256 = summary('gunzip-256k');
    const g1m = summary('gunzip-1m');
    const [baseName, base] = ([['gunzip-16k', g16], ['gunzip-256k', g256], ['gunzip-1m', g1m]] as const).reduce((a, b) => (b[1].processMs < a[1].processMs ? b : a));
    const none = summary('none');
    const serial = summary('none-serial');
    const hash = summary('hash');
    const cached = summary('cached');
    const one = summary('none-1-layer');
    const cachedView = { ms: median((results.get('cached') ?? []).map((r) => r.viewMs ?? 0)), cpu: median((results.get('cached') ?? []).map((r) => r.viewCpuMs ?? 0)) };
    const uncompressed = none.last.bytes;
    console.log(`uncompressed: ${mib(uncompressed)} of tar (${(uncompressed / 1e6).toFixed(0)} MB), ${none.last.files} entries, ${hash.last.files} regular files hashed\n`);
    const row = (name: string, s: ReturnType<typeof summary>): string[] => [name, sec(s.processMs), sec(s.ms), sec(s.cpuMs), mib(s.rss), `×${(s.processMs / base.processMs).toFixed(2)}`];
    console.log(
      table([
        ['step (median)', 'process wall', 'in-process', 'CPU', 'peak RSS', 'vs baseline'],
        row('baseline zlib.createGunzip() 16 KiB chunks', g16),
        row('baseline zlib.createGunzip() 256 KiB chunks', g256),
        row('baseline zlib.createGunzip() 1 MiB chunks', g1m),
        ['gzip -dc (reference)', sec(median(gzip)), '', '', '', `×${(median(gzip) / base.processMs).toFixed(2)}`],
        row('runwarden, no analyser (3 layers at once, default)', none),
        row('runwarden, no analyser, one layer at a time', serial),
        row('runwarden, hash every file', hash),
        row('runwarden, cached second scan', cached),
        row('runwarden, no analyser, first layer only', one),
      ]),
    );
    console.log(`baseline = ${baseName} (the faster plain decompression); gzip -dc is ×${(median(gzip) / base.processMs).toFixed(2)} of it`);
    const checks: Array<[boolean, string]> = [
      [none.processMs <= TARGET_RATIO * base.processMs, `no-analyser pass ${sec(none.processMs)} ≤ ${TARGET_RATIO} × baseline ${sec(base.processMs)} (×${(none.processMs / base.processMs).toFixed(2)})`],
      [hash.processMs <= TARGET_RATIO * base.processMs, `hash-every-file pass ${sec(hash.processMs)} ≤ ${TARGET_RATIO} × baseline (×${(hash.processMs / base.processMs).toFixed(2)})`],
      [Math.max(none.rss, hash.rss) < TARGET_RSS, `peak RSS ${mib(Math.max(none.rss, hash.rss))} < ${mib(TARGET_RSS)} (first layer only: ${mib(one.rss)}; baseline ${mib(base.rss)})`],
      [cached.ms < TARGET_CACHED_MS && cached.last.blobsRead === 0, `cached second scan ${cached.ms.toFixed(0)} ms < ${TARGET_CACHED_MS} ms in-process (CPU ${cached.workCpuMs.toFixed(0)} ms; open the cache and the image, six cached indexes, squash issues), ${cached.last.blobsRead} blobs read (process wall with Node start-up and module loading ${sec(cached.processMs)}; building the squashed view on first use, as catalogers do, adds ${cachedView.ms.toFixed(0)} ms / CPU ${cachedView.cpu.toFixed(0)} ms)`],
    ];
    for (const [ok, text] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${text}`);
    if (checks.some(([ok]) => !ok)) process.exitCode = 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
