/**
 * bench/cleanup — issue #8 "Performance": plan the cleanup of a node with 1,500 cached images and
 * 300 containers (Eraser's scale test size) in under 1 s, against a REAL containerd.
 *
 * Setup (once, ~1 min): a private containerd (test/containerd.ts); 1,500 tiny images imported with
 * `ctr images import` from one OCI layout (1,450 without unpacking, 50 unpacked because containers
 * run from them), 30 host-network pods with 300 containers over CRI (100 running `sleep`, 200 exited).
 * Each measured step then runs in a fresh child process against that containerd:
 * - baseline: the raw RPCs a plan needs (Version, Status, ListImages, ListContainers,
 *   ListPodSandbox, ImageFsInfo, containerd Images/List and Containers/List), decoded by grpc-js,
 *   nothing else;
 * - runwarden: readNodeRuntime (the same RPCs + validation + node view) + planCleanup + the JSON
 *   cleanup report.
 * Each child measures twice: cold (the first plan in a fresh process, as a one-shot `runwarden clean`)
 * and warm (the next plan in the same process, as the node agent's --interval loop). Both must stay
 * under 1 s.
 *
 * Run: `npm run bench -- cleanup` (compiled) or `npx tsx bench/cleanup.ts`; `--runs N` (default 5).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { startContainerd } from '../test/containerd.js';
import { busyboxEntries, layerOf, tarOf, type BuiltLayer } from '../test/images.js';
import { planRecords } from '../src/cleanup/audit.js';
import { planCleanup } from '../src/cleanup/planner.js';
import { buildCleanupReport, renderCleanupJson } from '../src/cleanup/report.js';
import { criClient, protoDir, readNodeRuntime } from '../src/inventory/sources/cri/index.js';

const IMAGES = 1500;
const USED_IMAGES = 50;
const PODS = 30;
const CONTAINERS_PER_POD = 10;
const RUNNING_PER_POD = 4;
const TARGET_MS = 1000;

type Mode = 'baseline' | 'runwarden';

interface Measurement {
  mode: Mode;
  /** The first plan in a fresh process. */
  ms: number;
  /** The second plan in the same process. */
  warmMs: number;
  phases: Record<string, number>;
  maxRssBytes: number;
  images: number;
  containers: number;
  candidates: number;
}

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** One OCI layout tar holding `names.length` images that share the busybox layer, each with one tiny layer of its own. */
async function layoutOf(names: string[], busybox: BuiltLayer): Promise<Buffer> {
  const blobs = new Map<string, Buffer>([[busybox.digest, busybox.blob]]);
  const manifests: unknown[] = [];
  for (const name of names) {
    const own = await layerOf([{ path: 'etc/', type: 'directory' }, { path: 'etc/image-name', content: `${name}\n` }]);
    blobs.set(own.digest, own.blob);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sleep', 'inf'] }, rootfs: { type: 'layers', diff_ids: [busybox.diffId, own.diffId] } }));
    blobs.set(sha(config), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: [busybox, own].map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
      }),
    );
    blobs.set(sha(manifest), manifest);
    const tag = name.slice(name.lastIndexOf(':') + 1);
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, platform: { architecture: 'amd64', os: 'linux' }, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag } });
  }
  return tarOf([
    { path: 'blobs/' },
    { path: 'blobs/sha256/' },
    ...[...blobs].sort((a, b) => a[0].localeCompare(b[0])).map(([digest, content]) => ({ path: `blobs/sha256/${digest.slice(7)}`, content })),
    { path: 'index.json', content: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }) },
    { path: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
  ]);
}

/** Realistic-looking names: 40 teams, several tags per repository. */
function imageName(i: number): string {
  return `registry.example.com/team-${String(i % 40).padStart(2, '0')}/service-${Math.floor(i / 7)}:v1.${i % 7}.${i % 3}`;
}

type Unary = (request: unknown, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, reply: Record<string, unknown>) => void) => void;

function loadService(file: string, path: string[], address: string): Record<string, Unary> & grpc.Client {
  let node: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true }));
  for (const part of path) node = (node as Record<string, unknown>)[part];
  const Client = node as grpc.ServiceClientConstructor;
  return new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 256 * 1024 * 1024 }) as unknown as Record<string, Unary> & grpc.Client;
}

function call(client: Record<string, Unary>, method: string, request: unknown, metadata?: grpc.Metadata): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const fn = client[method];
    if (fn === undefined) throw new Error(`no ${method}`);
    const done = (error: grpc.ServiceError | null, reply: Record<string, unknown>): void => (error === null ? resolve(reply) : reject(new Error(`${method}: ${error.details}`)));
    if (metadata === undefined) fn.call(client, request, { deadline: Date.now() + 60_000 }, done);
    else (fn as unknown as (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: typeof done) => void).call(client, request, metadata, { deadline: Date.now() + 60_000 }, done);
  });
}

async function measureOnce(mode: Mode, address: string): Promise<Omit<Measurement, 'warmMs' | 'maxRssBytes'>> {
  if (mode === 'baseline') {
    const runtime = loadService(join(protoDir(), 'cri.proto'), ['runtime', 'v1', 'RuntimeService'], address);
    const images = loadService(join(protoDir(), 'cri.proto'), ['runtime', 'v1', 'ImageService'], address);
    const containerd = loadService(join(protoDir(), 'containerd-images.proto'), ['containerd', 'services', 'images', 'v1', 'Images'], address);
    const containerdContainers = loadService(join(protoDir(), 'containerd-containers.proto'), ['containerd', 'services', 'containers', 'v1', 'Containers'], address);
    const metadata = new grpc.Metadata();
    metadata.set('containerd-namespace', 'k8s.io');
    const start = performance.now();
    await call(runtime, 'Version', {});
    const [, listed, containers] = await Promise.all([
      call(runtime, 'Status', { verbose: true }),
      call(images, 'ListImages', {}),
      call(runtime, 'ListContainers', {}),
      call(runtime, 'ListPodSandbox', {}),
      call(images, 'ImageFsInfo', {}),
      call(containerd, 'List', {}, metadata),
      call(containerdContainers, 'List', {}, metadata),
    ]);
    const ms = performance.now() - start;
    for (const c of [runtime, images, containerd, containerdContainers]) c.close();
    return { mode, ms, phases: { 'raw RPCs': ms }, images: (listed.images as unknown[]).length, containers: (containers.containers as unknown[]).length, candidates: 0 };
  }
  const client = criClient(address, { timeoutMs: 60_000 });
  const start = performance.now();
  const view = await readNodeRuntime(client, { node: 'bench-node' });
  const read = performance.now();
  const now = new Date();
  const plan = planCleanup(view, { exclusions: [{ glob: 'registry.example.com/team-00/*', origin: '--exclude' }], olderThan: undefined, now });
  const planned = performance.now();
  const context = { run: 'bench', mode: 'dry-run' as const, node: plan.node, runtime: plan.runtime };
  const report = renderCleanupJson(buildCleanupReport(plan, undefined, planRecords(context, plan), { run: 'bench', mode: 'dry-run', maxRemovals: undefined, stopAfterFailures: 3 }));
  const end = performance.now();
  client.close();
  if (report.length === 0) throw new Error('empty report');
  return {
    mode,
    ms: end - start,
    phases: { 'readNodeRuntime (RPCs + validation + view)': read - start, planCleanup: planned - read, 'JSON report + audit records': end - planned },
    images: view.images.length,
    containers: view.containers.length,
    candidates: plan.candidates,
  };
}

/** Cold: the first plan in a fresh process (a one-shot `runwarden clean`). Warm: the next one (the agent's loop). */
async function measure(mode: Mode, address: string): Promise<Measurement> {
  const cold = await measureOnce(mode, address);
  const warm = await measureOnce(mode, address);
  return { ...cold, warmMs: warm.ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

function runChild(mode: Mode, address: string): Promise<Measurement> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, self, '--child', mode, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${mode} child exited with code ${code}`));
      else resolve(JSON.parse(out) as Measurement);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [, mode, address] = argv;
    if (address === undefined || (mode !== 'baseline' && mode !== 'runwarden')) throw new Error('usage: --child baseline|runwarden <address>');
    process.stdout.write(`${JSON.stringify(await measure(mode, address))}\n`);
    return;
  }
  let runs = 5;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else throw new Error(`Unknown argument "${argv[i] ?? ''}": expected --runs N`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error('Invalid --runs: expected a positive integer, e.g. --runs 5');

  console.log(`bench/cleanup: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s) per step`);
  const dir = await mkdtemp(join(tmpdir(), 'runwarden-bench-cleanup-'));
  const containerd = await startContainerd();
  const podsToStop: string[] = [];
  const pods = loadService(join(protoDir(), 'testdata', 'cri-pods.proto'), ['runtime', 'v1', 'RuntimeService'], containerd.address);
  try {
    let t = performance.now();
    const busybox = await layerOf(busyboxEntries());
    const names = Array.from({ length: IMAGES }, (_, i) => imageName(i));
    const used = names.slice(0, USED_IMAGES);
    await writeFile(join(dir, 'unused.tar'), await layoutOf(names.slice(USED_IMAGES), busybox));
    await writeFile(join(dir, 'used.tar'), await layoutOf(used, busybox));
    const pause = await layoutOf(['localhost/rw/pause:1'], busybox);
    await writeFile(join(dir, 'pause.tar'), pause);
    console.log(`built ${IMAGES + 1} image layouts in ${ms(performance.now() - t)}`);

    t = performance.now();
    await containerd.ctr(['-n', 'k8s.io', 'images', 'import', '--no-unpack', join(dir, 'unused.tar')]);
    for (const file of ['used.tar', 'pause.tar']) await containerd.importImage(join(dir, file));
    // The CRI plugin fills its image store from containerd's events: wait until it lists every image.
    const probe = criClient(containerd.address, { timeoutMs: 60_000 });
    for (let i = 0; i < 600 && (await probe.listImages()).images.length < IMAGES + 1; i++) await new Promise((r) => setTimeout(r, 100));
    console.log(`imported ${(await probe.listImages()).images.length} images with ctr in ${ms(performance.now() - t)}`);

    t = performance.now();
    const logs = join(dir, 'logs');
    for (let p = 0; p < PODS; p++) {
      const config = { metadata: { name: `pod-${p}`, uid: `uid-${p}`, namespace: `ns-${p % 6}`, attempt: 0 }, log_directory: logs, linux: { security_context: { namespace_options: { network: 'NODE', pid: 'POD', ipc: 'POD' } } } };
      const podId = String((await call(pods, 'RunPodSandbox', { config })).pod_sandbox_id);
      podsToStop.push(podId);
      for (let c = 0; c < CONTAINERS_PER_POD; c++) {
        const image = used[(p * CONTAINERS_PER_POD + c) % USED_IMAGES] ?? '';
        const running = c < RUNNING_PER_POD;
        const created = await call(pods, 'CreateContainer', { pod_sandbox_id: podId, config: { metadata: { name: `c${c}`, attempt: 0 }, image: { image }, command: running ? ['/bin/sleep', 'inf'] : ['/bin/true'], log_path: `c${c}.log` }, sandbox_config: config });
        await call(pods, 'StartContainer', { container_id: created.container_id });
      }
    }
    const { containers } = await probe.listContainers();
    const states = new Map<string, number>();
    for (const c of containers) states.set(c.state, (states.get(c.state) ?? 0) + 1);
    console.log(`started ${PODS} pods with ${containers.length} containers (${[...states].map(([s, n]) => `${n} ${s}`).join(', ')}) over CRI in ${ms(performance.now() - t)}`);
    probe.close();

    const baseline: Measurement[] = [];
    const runwarden: Measurement[] = [];
    for (let i = 0; i < runs; i++) {
      baseline.push(await runChild('baseline', containerd.address));
      runwarden.push(await runChild('runwarden', containerd.address));
    }
    const b = median(baseline.map((m) => m.ms));
    const r = median(runwarden.map((m) => m.ms));
    const bWarm = median(baseline.map((m) => m.warmMs));
    const rWarm = median(runwarden.map((m) => m.warmMs));
    const last = runwarden[runwarden.length - 1];
    const bRss = Math.max(...baseline.map((m) => m.maxRssBytes));
    const rRss = Math.max(...runwarden.map((m) => m.maxRssBytes));
    console.log('');
    console.log(`baseline  (raw RPCs, decode only):           cold ${ms(b).padStart(7)} median (${baseline.map((m) => ms(m.ms)).join(', ')}); warm ${ms(bWarm)}; peak RSS ${mib(bRss)}`);
    console.log(`runwarden (read + validate + plan + report): cold ${ms(r).padStart(7)} median (${runwarden.map((m) => ms(m.ms)).join(', ')}); warm ${ms(rWarm)}; peak RSS ${mib(rRss)}`);
    for (const phase of Object.keys(last?.phases ?? {})) console.log(`  ${phase} (cold): ${ms(median(runwarden.map((m) => m.phases[phase] ?? 0)))}`);
    console.log(`ratio runwarden/baseline: cold ×${(r / b).toFixed(2)}, warm ×${(rWarm / bWarm).toFixed(2)}, peak RSS ×${(rRss / bRss).toFixed(2)}`);
    console.log(`node view: ${last?.images ?? 0} images, ${last?.containers ?? 0} containers; plan: ${last?.candidates ?? 0} candidates`);
    const ok = r < TARGET_MS && rWarm < TARGET_MS && last?.images === IMAGES + 1 && last.containers === PODS * CONTAINERS_PER_POD;
    console.log(`${r < TARGET_MS ? 'PASS' : 'FAIL'} cold plan ${ms(r)} < ${ms(TARGET_MS)}`);
    console.log(`${rWarm < TARGET_MS ? 'PASS' : 'FAIL'} warm plan ${ms(rWarm)} < ${ms(TARGET_MS)}`);
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    if (!ok) process.exitCode = 1;
  } finally {
    for (const podId of podsToStop) {
      await call(pods, 'StopPodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
      await call(pods, 'RemovePodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
    }
    pods.close();
    await containerd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
