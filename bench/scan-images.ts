/**
 * bench/scan-images — PRODUCT.md "Scale" with the images read: a one-shot `runwarden scan` of bench/inventory's
 * 30,000-pod snapshot in which every running image is read (`--image-dir`) and matched against an advisory
 * database (`--db`), as serve does in the cluster since the chart gives it a database. Baseline, same run: the same
 * scan without images (inventory, policy and lifecycle only), the figure bench/serve's memory target was set on.
 *
 * The images: each running digest of the snapshot (2,244) is rewritten to an image of one OCI layout; the images
 * come in 50 families, each one layer with Debian 12's os-release and a dpkg status of 300 packages drawn from a
 * pool of 1,000. The advisories: Debian 12 OSV records for the pool, on average 0.5 per package (some without a
 * fix, some with a CVSS vector), so an image has ~150 vulnerabilities, as a Debian-based image has in practice.
 * The findings land on each workload container (not each replica), so the report holds about containers × 150.
 *
 * Printed: wall time, peak RSS (VmHWM) and the findings of both scans, the ratios, the report's size, both run with
 * the same V8 heap limit (HEAP_MIB). Not judged (there is no target for it yet); it is the measure of what image
 * scanning adds to a large scan. Exit code 1 when a scan fails (out of memory with that limit, for one).
 *
 * Run: `npm run bench -- scan-images` (compiled) or `npx tsx bench/scan-images.ts`. Flags: `--packages N` per
 * image (default 300), `--families N` (default 50), `--per-package X` advisories per pool package (default 0.5).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { layerOf, manifestOf, type BuiltLayer } from '../test/images.js';
import { generate } from './inventory.js';
import { runCli } from './lib/child.js';
import { prng } from './lib/synthetic.js';

const POOL = 1000;
/** V8 heap limit of both scans (MiB). */
const HEAP_MIB = 1536;
const mib = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Options {
  packages: number;
  families: number;
  perPackage: number;
}

const DEFAULTS: Readonly<Options> = { packages: 300, families: 50, perPackage: 0.5 };

function parseArgs(argv: readonly string[]): Options {
  const out: Options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    const key = flag === '--packages' ? 'packages' : flag === '--families' ? 'families' : flag === '--per-package' ? 'perPackage' : undefined;
    if (key === undefined) throw new Error(`bench/scan-images: unknown flag "${flag ?? ''}"; expected --packages N, --families N or --per-package X`);
    if (!Number.isFinite(value) || value <= 0 || (key !== 'perPackage' && !Number.isInteger(value)) || (key === 'packages' && value > POOL)) {
      throw new Error(`bench/scan-images: ${flag} needs a positive ${key === 'perPackage' ? 'number' : `whole number${key === 'packages' ? ` up to ${POOL}` : ''}`}, got "${argv[i + 1] ?? ''}"`);
    }
    out[key] = value;
    i++;
  }
  return out;
}

const poolName = (k: number): string => `benchlib${k}`;
const poolVersion = (k: number): string => `1.${k % 17}.${k % 5}-1`;

/** One family's layer: Debian 12's os-release and a dpkg status of `count` pool packages. */
async function familyLayer(random: () => number, count: number): Promise<BuiltLayer> {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random() * POOL));
  const status = [...chosen]
    .sort((a, b) => a - b)
    .map((k) => `Package: ${poolName(k)}\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 100\nMaintainer: Bench <bench@example.org>\nArchitecture: amd64\nVersion: ${poolVersion(k)}\nDescription: bench package ${k}\n`)
    .join('\n');
  const osRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
  return layerOf([
    { path: 'etc/' },
    { path: 'etc/os-release', content: osRelease },
    { path: 'var/' },
    { path: 'var/lib/' },
    { path: 'var/lib/dpkg/' },
    { path: 'var/lib/dpkg/status', content: status },
  ]);
}

/** One OCI layout holding an image per running digest (a family's layer, a config of its own): old digest → new. */
async function writeImages(layout: string, digests: readonly string[], options: Options): Promise<Map<string, string>> {
  const random = prng(0x5ca11);
  const blobs = join(layout, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (data: Buffer): Promise<string> => {
    const digest = sha256(data);
    await writeFile(join(blobs, digest.slice(7)), data);
    return digest;
  };
  const layers: BuiltLayer[] = [];
  for (let f = 0; f < options.families; f++) {
    const layer = await familyLayer(random, options.packages);
    await put(layer.blob);
    layers.push(layer);
  }
  const map = new Map<string, string>();
  const manifests: unknown[] = [];
  for (const [i, old] of digests.entries()) {
    const layer = layers[i % layers.length] as BuiltLayer;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config: { Labels: { 'bench.variant': String(i) } }, rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
    const configDigest = await put(config);
    const manifest = manifestOf(configDigest, config.length, [layer]);
    const digest = await put(manifest);
    map.set(old, digest);
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': `v${i}` } });
  }
  await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  return map;
}

/** Debian 12 OSV records for the pool: ~perPackage per package, a third without a fix, half with a CVSS vector. */
async function writeAdvisories(dir: string, options: Options): Promise<number> {
  const random = prng(0xadc0de);
  const records: unknown[] = [];
  for (let k = 0; k < POOL; k++) {
    // 0..2×perPackage advisories, perPackage on average
    const n = Math.floor(random() * (2 * options.perPackage + 1));
    for (let j = 0; j < n; j++) {
      const cve = `CVE-2099-${String(k * 10 + j).padStart(5, '0')}`;
      const fixed = random() < 0.33 ? undefined : `1.${k % 17}.${k % 5}-${2 + j}`;
      const vector = random() < 0.5 ? `CVSS:3.1/AV:N/AC:${random() < 0.5 ? 'L' : 'H'}/PR:N/UI:N/S:U/C:H/I:${random() < 0.5 ? 'H' : 'N'}/A:N` : undefined;
      records.push({
        schema_version: '1.6.0',
        id: `DEBIAN-${cve}`,
        modified: '2026-01-01T00:00:00Z',
        published: '2025-06-01T00:00:00Z',
        aliases: [cve],
        summary: `bench vulnerability ${j} of ${poolName(k)}: a memory-safety bug reachable through crafted input`,
        ...(vector === undefined ? {} : { severity: [{ type: 'CVSS_V3', score: vector }] }),
        affected: [{ package: { ecosystem: 'Debian:12', name: poolName(k) }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(fixed === undefined ? [] : [{ fixed }])] }] }],
      });
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'debian-12.json'), JSON.stringify(records));
  return records.length;
}

/** Vulnerability findings in a JSON report, counted from the stream (the file may be larger than a string can be). */
async function countVulnerabilities(file: string): Promise<{ vulnerabilities: number; bytes: number }> {
  const needle = '"rule": "vulnerable-package"';
  let vulnerabilities = 0;
  let tail = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = tail + (chunk as string);
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) vulnerabilities++;
    // a tail shorter than the needle: a match across the boundary is counted once, in the next chunk
    tail = text.slice(-(needle.length - 1));
  }
  return { vulnerabilities, bytes: (await stat(file)).size };
}

/** The findings the scan's confirmation line counts: `wrote json report to … (N findings, M issues)`. */
function confirmed(stderr: string): { findings: number; issues: number } {
  const m = /\((\d+) findings, (\d+) issues\)/.exec(stderr);
  return { findings: Number(m?.[1] ?? Number.NaN), issues: Number(m?.[2] ?? Number.NaN) };
}

/**
 * The input in `dir`: `snapshot/` (bench/inventory's, every running digest rewritten to a built image), `images/`
 * (their OCI layout) and `vuln.db` (the advisories imported). bench/serve/rescan.ts reads the same with images.
 */
export async function prepareImages(dir: string, options: Options = DEFAULTS): Promise<string> {
  const snapshot = join(dir, 'snapshot');
  await mkdir(snapshot);
  const t0 = performance.now();
  const generated = await generate(snapshot);
  // every running digest (pods' imageID): the images to build; the same text replaced in every file
  const files = (await readdir(snapshot)).filter((f) => f.endsWith('.json'));
  const running = new Set<string>();
  for (const f of files) for (const m of (await readFile(join(snapshot, f), 'utf8')).matchAll(/"imageID": *"[^"@]*@(sha256:[0-9a-f]{64})"/g)) running.add(m[1] as string);
  const digests = [...running].sort();
  const map = await writeImages(join(dir, 'images', 'bench'), digests, options);
  for (const f of files) {
    const text = await readFile(join(snapshot, f), 'utf8');
    await writeFile(join(snapshot, f), text.replace(/sha256:[0-9a-f]{64}/g, (d) => map.get(d) ?? d));
  }
  const advisories = await writeAdvisories(join(dir, 'advisories'), options);
  const db = join(dir, 'vuln.db');
  await runCli(['db', 'import', join(dir, 'advisories'), '--db', db]);
  return `${generated.objects.Pod ?? 0} pods on ${generated.objects.Node ?? 0} nodes, ${digests.length} running images in ${options.families} families of ${options.packages} Debian packages, ${advisories} advisories for a pool of ${POOL} (prepared in ${secs(performance.now() - t0)})`;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const options = parseArgs(argv);
  const dir = await mkdtemp(join(tmpdir(), 'rw-bench-scan-images-'));
  try {
    const prepared = await prepareImages(dir, options);
    const snapshot = join(dir, 'snapshot');
    const db = join(dir, 'vuln.db');
    console.log(`bench/scan-images: ${prepared}; node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

    // both scans with the heap limit a serve pod of 2 GiB gets (deploy/helm: heapLimitMiB 1792 less room for the
    // service): V8 without a limit lets garbage pile up to several GB on a large machine, which says little
    const heap = `--max-old-space-size=${HEAP_MIB}`;
    const plainOut = join(dir, 'plain.json');
    const plain = await runCli(['scan', '--snapshot', snapshot, '-f', 'json', '-o', plainOut], [heap]);
    const plainCount = { ...confirmed(plain.stderr), ...(await countVulnerabilities(plainOut)) };
    await rm(plainOut);
    const imagesOut = join(dir, 'images.json');
    const scanned = await runCli(['scan', '--snapshot', snapshot, '--image-dir', join(dir, 'images'), '--db', db, '-f', 'json', '-o', imagesOut], [heap]);
    const imagesCount = { ...confirmed(scanned.stderr), ...(await countVulnerabilities(imagesOut)) };
    console.log(`heap limit ${HEAP_MIB} MiB for both scans`);
    console.log(`baseline, no images:   ${secs(plain.ms)}, peak RSS ${mib(plain.peak)}; ${plainCount.findings} findings, ${plainCount.issues} issues, report ${mib(plainCount.bytes)}`);
    console.log(`images read, matched:  ${secs(scanned.ms)} (${(scanned.ms / plain.ms).toFixed(2)}× the baseline), peak RSS ${mib(scanned.peak)} (${(scanned.peak / plain.peak).toFixed(2)}×); ${imagesCount.findings} findings (${imagesCount.vulnerabilities} vulnerabilities), ${imagesCount.issues} issues, report ${mib(imagesCount.bytes)}`);
    const added = imagesCount.vulnerabilities - plainCount.vulnerabilities;
    console.log(`per vulnerability finding added: ${((scanned.peak - plain.peak) / Math.max(1, added)).toFixed(0)} B of peak RSS, ${(((scanned.ms - plain.ms) * 1000) / Math.max(1, added)).toFixed(1)} µs`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
