/**
 * bench/peer-sbom (issue #6, "Side-by-side with a peer"): builds test images offline, catalogs each with
 * runwarden (openImage → analyzeImage(catalogers()) → catalogImage) and with Trivy (offline, SBOM only:
 * `trivy image --input <OCI layout> --format cyclonedx --offline-scan --skip-db-update --scanners license`,
 * a fresh cache per image), and prints per-ecosystem package-set agreement. Target: ≥ 99 % agreement on
 * OS packages (deb, apk, rpm), every disagreement explained in docs/PERFORMANCE.md.
 *
 * Images (all offline, reproducible):
 * - bench-debian: the bench/layers image (scripts/build-bench-image.sh: 100 real Debian 12 packages);
 * - debian-app, alpine-app: test/images.ts (dpkg 5, apk 3, npm, PyPI);
 * - ubuntu-dpkg, alpine-apk, rpm-bdb, mariner-manifest, distroless: the upstream package databases in
 *   testdata/upstream/package-dbs and the catalogers' testdata (Trivy's and Syft's own fixtures);
 * - rpm-sqlite: an rpmdb.sqlite written by Debian's rpm (`rpmbuild` + `rpm -i --justdb`), when installed;
 * - languages: the language catalogers' testdata trees (npm, PyPI, Go, gems, NuGet, Composer);
 * - java-war: the Java cataloger's WAR (apart: Trivy cannot start its Java analyser offline);
 * - go-binary: a real Go binary from Debian's `go build` (offline), when Go is installed.
 *
 * Agreement per ecosystem = |packages both found| / |packages either found|, a package being
 * purl type + namespace + name + version (with the epoch; PyPI names PEP 503-normalised).
 * Run: `npm run bench -- peer-sbom` (flags: `--cache-dir DIR` for the bench image, `--keep DIR` to keep
 * the images and both SBOMs). Without Trivy it prints "trivy not available" and runwarden's side only.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PackageURL } from 'packageurl-js';
import { buildImage, buildTestImages, layerOf, type LayerEntry } from '../test/images.js';
import { findTrivy, OFFLINE_SBOM, type Trivy } from './peers/trivy.js';

const TARGET_OS = 0.99;
const OS_TYPES = new Set(['deb', 'apk', 'rpm']);
const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const run = promisify(execFile);

interface TestImage {
  name: string;
  layout: string;
  what: string;
}

/** Every file and folder under `dir` as layer entries under `prefix` (sorted, reproducible). */
async function treeEntries(dir: string, prefix = ''): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(d, e.name);
      const path = `${prefix}${relative(dir, full)}`;
      if (e.isDirectory()) {
        out.push({ path: `${path}/`, type: 'directory' });
        await walk(full);
      } else if (e.isFile()) out.push({ path, content: await readFile(full), mode: (await stat(full)).mode & 0o777 });
    }
  };
  await walk(dir);
  return out;
}

const dirs = (...paths: string[]): LayerEntry[] => paths.map((p) => ({ path: p.endsWith('/') ? p : `${p}/`, type: 'directory' as const }));

async function rpmSqliteEntries(work: string): Promise<LayerEntry[] | string> {
  for (const tool of ['rpm', 'rpmbuild']) {
    if (!(await run('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false))) return `${tool} is not installed (apt-get install rpm)`;
  }
  const dir = join(work, 'rpm');
  await rm(dir, { recursive: true, force: true });
  const db = join(dir, 'var/lib/rpm');
  await mkdir(db, { recursive: true });
  const define = ['--define', '_db_backend sqlite'];
  await run('rpm', ['--initdb', '--dbpath', db, ...define]);
  const specs = [
    { name: 'rwtest', version: '1.2.3', release: '4.el9', epoch: 2, license: 'MIT' },
    { name: 'rwother', version: '0.1', release: '1.el9', epoch: undefined, license: 'GPLv2+' },
    { name: 'rwlib', version: '3.0.7', release: '2.el9', epoch: 1, license: 'Apache-2.0' },
  ];
  for (const s of specs) {
    const spec = join(dir, `${s.name}.spec`);
    await writeFile(spec, [`Name: ${s.name}`, `Version: ${s.version}`, `Release: ${s.release}`, s.epoch === undefined ? '' : `Epoch: ${s.epoch}`, 'Summary: test', `License: ${s.license}`, 'BuildArch: noarch', '%description', 'test', '%files', ''].join('\n'));
    await run('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${join(dir, 'top')}`, spec]);
    await run('rpm', ['-i', '--justdb', '--nodeps', '--noscripts', '--ignoreos', '--dbpath', db, ...define, join(dir, 'top/RPMS/noarch', `${s.name}-${s.version}-${s.release}.noarch.rpm`)]);
  }
  return [
    ...dirs('etc', 'var', 'var/lib', 'var/lib/rpm'),
    { path: 'etc/os-release', content: 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n' },
    { path: 'etc/redhat-release', content: 'Rocky Linux release 9.3 (Blue Onyx)\n' },
    { path: 'var/lib/rpm/rpmdb.sqlite', content: await readFile(join(db, 'rpmdb.sqlite')) },
  ];
}

/** A real Go binary (`go build`, offline: a local module replacement instead of a download). */
async function goBinaryEntries(work: string): Promise<LayerEntry[] | string> {
  if (!(await run('sh', ['-c', 'command -v go']).then(() => true, () => false))) return 'go is not installed (apt-get install golang)';
  const dir = join(work, 'go');
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'dep'), { recursive: true });
  await writeFile(join(dir, 'go.mod'), 'module example.com/rwpeer\n\ngo 1.19\n\nrequire example.com/dep v1.2.3\n\nreplace example.com/dep v1.2.3 => ./dep\n');
  await writeFile(join(dir, 'main.go'), 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/dep"\n)\n\nfunc main() { fmt.Println(dep.Hello()) }\n');
  await writeFile(join(dir, 'dep', 'go.mod'), 'module example.com/dep\n\ngo 1.19\n');
  await writeFile(join(dir, 'dep', 'dep.go'), 'package dep\n\nfunc Hello() string { return "hello" }\n');
  await run('go', ['build', '-trimpath', '-o', 'app', '.'], { cwd: dir, env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod', CGO_ENABLED: '0' } });
  return [...dirs('usr', 'usr/local', 'usr/local/bin'), { path: 'usr/local/bin/app', content: await readFile(join(dir, 'app')), mode: 0o755 }];
}

async function buildImages(work: string, cacheDir: string | undefined, notes: string[]): Promise<TestImage[]> {
  const out = join(work, 'images');
  const images: TestImage[] = [];
  const add = async (name: string, what: string, layers: LayerEntry[][]): Promise<void> => {
    const built = await buildImage(out, { name, layers: await Promise.all(layers.map((l) => layerOf(l))) });
    images.push({ name, layout: built.layout, what });
  };
  try {
    images.push({ name: 'bench-debian', layout: await benchImage(cacheDir), what: '100 real Debian 12 packages (bench/layers image)' });
  } catch (error) {
    notes.push(`bench-debian skipped: ${error instanceof Error ? error.message : String(error)}`);
  }
  const standard = await buildTestImages(out);
  images.push({ name: 'debian-app', layout: standard['debian-app'].layout, what: 'test/images.ts: dpkg 5, npm 2, PyPI 1' });
  images.push({ name: 'alpine-app', layout: standard['alpine-app'].layout, what: 'test/images.ts: apk 3' });
  const dbs = join(root, 'testdata', 'upstream', 'package-dbs');
  const catalogers = join(root, 'src', 'catalog', 'catalogers');
  await add('ubuntu-dpkg', 'Ubuntu 18.04 dpkg status (Trivy fixture, 90 installed)', [[
    ...dirs('etc', 'var', 'var/lib', 'var/lib/dpkg'),
    { path: 'etc/os-release', content: 'NAME="Ubuntu"\nVERSION="18.04.6 LTS (Bionic Beaver)"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="18.04"\nVERSION_CODENAME=bionic\n' },
    { path: 'etc/lsb-release', content: 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\nDISTRIB_CODENAME=bionic\n' },
    { path: 'var/lib/dpkg/status', content: await readFile(join(dbs, 'debian-trivy', 'status')) },
  ]]);
  await add('alpine-apk', 'Alpine installed DB (Trivy fixture, 15 valid)', [[
    ...dirs('etc', 'lib', 'lib/apk', 'lib/apk/db'),
    { path: 'etc/alpine-release', content: '3.4.6\n' },
    { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.4.6\nPRETTY_NAME="Alpine Linux v3.4"\n' },
    { path: 'lib/apk/db/installed', content: await readFile(join(dbs, 'alpine-trivy', 'installed')) },
  ]]);
  await add('rpm-bdb', 'Berkeley DB rpm Packages (Syft fixture, 1 package)', [[
    ...dirs('etc', 'var', 'var/lib', 'var/lib/rpm'),
    { path: 'etc/os-release', content: 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n' },
    { path: 'etc/centos-release', content: 'CentOS Linux release 7.9.2009 (Core)\n' },
    { path: 'var/lib/rpm/Packages', content: await readFile(join(dbs, 'rpm-syft', 'Packages')) },
  ]]);
  await add('mariner-manifest', 'Azure Linux distroless container-manifest-2 (Syft fixture)', [await treeEntries(join(catalogers, 'rpm', 'testdata', 'mariner'))]);
  await add('distroless', 'Debian distroless dpkg status.d', [await treeEntries(join(catalogers, 'dpkg', 'testdata', 'distroless'))]);
  const rpm = await rpmSqliteEntries(work);
  if (typeof rpm === 'string') notes.push(`rpm-sqlite skipped: ${rpm}`);
  else await add('rpm-sqlite', 'rpmdb.sqlite by rpmbuild + rpm -i --justdb (3 packages)', [rpm]);
  const gob = await goBinaryEntries(work).catch((error: unknown) => `go build failed: ${error instanceof Error ? error.message : String(error)}`);
  const languages: LayerEntry[][] = [[...dirs('etc'), { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' }, { path: 'etc/debian_version', content: '12.5\n' }]];
  for (const tree of ['npm/testdata/app', 'npm/testdata/lock-v1', 'python/testdata/site', 'go/testdata/crafted', 'ruby/testdata/bundle', 'dotnet/testdata/app', 'php/testdata/app']) {
    languages.push(await treeEntries(join(catalogers, tree)));
  }
  await add('languages', 'language catalogers\' testdata: npm, PyPI, Go (crafted ELF), gems, NuGet, Composer', languages);
  if (typeof gob === 'string') notes.push(`go-binary skipped: ${gob}`);
  else await add('go-binary', 'a real Go binary (go build; a module with a local replacement)', [languages[0] ?? [], gob]);
  // Apart: Trivy cannot start its Java analyser offline without a Java DB it has downloaded before.
  await add('java-war', 'java cataloger testdata: a WAR with nested JARs', [languages[0] ?? [], await treeEntries(join(catalogers, 'java/testdata/webapp'))]);
  return images;
}

function benchImage(cacheDir: string | undefined): Promise<string> {
  const script = join(root, 'scripts', 'build-bench-image.sh');
  return run('bash', [script, ...(cacheDir === undefined ? [] : [cacheDir])], { maxBuffer: 16 * 1024 * 1024 }).then(({ stdout }) => {
    const layout = stdout.trim().split('\n').at(-1);
    if (layout === undefined || layout === '') throw new Error(`${script} printed no layout`);
    return layout;
  });
}

/**
 * A package as both sides are compared: `namespace/name@version` with the epoch in the version, PyPI
 * names per PEP 503. For OS packages (and Trivy's `pkg:none`, its type when it did not recognise the OS)
 * the namespace is the distribution's name, not part of the package: it is returned apart.
 */
export function packageKey(purl: string): { type: string; key: string; namespace: string } | undefined {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch {
    return undefined;
  }
  const epoch = p.qualifiers?.epoch;
  let version = p.version ?? '';
  if (epoch !== undefined && epoch !== '0' && !/^\d+:/.test(version)) version = `${epoch}:${version}`;
  let name = p.name;
  if (p.type === 'pypi') name = name.toLowerCase().replace(/[-_.]+/g, '-');
  const namespace = p.namespace ?? '';
  const ns = namespace === '' || OS_TYPES.has(p.type) || p.type === 'none' ? '' : `${namespace}/`;
  return { type: p.type, key: `${ns}${name}@${version}`, namespace };
}

interface Side {
  byType: Map<string, Set<string>>;
  /** purl namespaces seen per OS type (the distribution as each side names it). */
  namespaces: Map<string, Set<string>>;
  ms: number;
  cpuMs?: number | undefined;
  rss?: number | undefined;
  note?: string;
}

function group(purls: Iterable<string>): Pick<Side, 'byType' | 'namespaces'> {
  const byType = new Map<string, Set<string>>();
  const namespaces = new Map<string, Set<string>>();
  for (const purl of purls) {
    const k = packageKey(purl);
    if (k === undefined) continue;
    let set = byType.get(k.type);
    if (set === undefined) byType.set(k.type, (set = new Set()));
    set.add(k.key);
    if (OS_TYPES.has(k.type)) {
      let ns = namespaces.get(k.type);
      if (ns === undefined) namespaces.set(k.type, (ns = new Set()));
      ns.add(k.namespace);
    }
  }
  return { byType, namespaces };
}

async function ours(layout: string): Promise<Side & { os: string }> {
  const { openImage } = await import('../src/image/registry.js');
  const { analyzeImage } = await import('../src/image/analysis/run.js');
  const { catalogers, catalogImage } = await import('../src/catalog/index.js');
  const t0 = performance.now();
  const analysis = await analyzeImage(await openImage(`oci:${layout}`), catalogers());
  const got = catalogImage(analysis);
  const ms = performance.now() - t0;
  const purls = got.packages.map((p) => p.purl).filter((p): p is string => p !== undefined);
  return { ...group(purls), ms, os: got.os === undefined ? '?' : `${got.os.id} ${got.os.release}` };
}

interface CdxComponent {
  purl?: string;
  components?: CdxComponent[];
}

async function trivySide(trivy: Trivy, layout: string, work: string, name: string): Promise<Side> {
  const out = join(work, `${name}.trivy.cdx.json`);
  const cache = await mkdtemp(join(work, 'trivy-cache-'));
  try {
    const r = await trivy.run(['image', '--cache-dir', cache, ...OFFLINE_SBOM, '--format', 'cyclonedx', '-o', out, '--input', layout]);
    if (r.code !== 0) return { byType: new Map(), namespaces: new Map(), ms: r.wallMs, note: `trivy exited ${String(r.code)}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}` };
    const bom = JSON.parse(await readFile(out, 'utf8')) as { components?: CdxComponent[] };
    const purls: string[] = [];
    const walk = (cs: CdxComponent[] | undefined): void => {
      for (const c of cs ?? []) {
        if (c.purl !== undefined) purls.push(c.purl);
        walk(c.components);
      }
    };
    walk(bom.components);
    return { ...group(purls), ms: r.wallMs, cpuMs: r.cpuMs, rss: r.maxRssBytes };
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

const list = (xs: string[], max = 6): string => (xs.length === 0 ? '' : `${xs.slice(0, max).join(', ')}${xs.length > max ? ` … (+${xs.length - max})` : ''}`);

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let cacheDir = process.env.RUNWARDEN_BENCH_CACHE;
  let keep: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--cache-dir') cacheDir = argv[++i];
    else if (argv[i] === '--keep') keep = argv[++i];
    else throw new Error(`Unknown argument "${argv[i] ?? ''}": expected --cache-dir DIR or --keep DIR`);
  }
  const work = keep ?? (await mkdtemp(join(tmpdir(), 'rw-peer-sbom-')));
  await mkdir(work, { recursive: true });
  try {
    const notes: string[] = [];
    const images = await buildImages(work, cacheDir, notes);
    const trivy = await findTrivy();
    console.log(`bench/peer-sbom: node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${images.length} images`);
    if ('unavailable' in trivy) console.log(`trivy not available: ${trivy.unavailable} — runwarden's side only, no agreement figures`);
    else console.log(`peer: Trivy (trivy-cdxgen, v0.44.1 based) ${trivy.bin}${trivy.offlineNamespace ? ', every run inside `unshare -n` (no network)' : ''}; SBOM-only offline scan, fresh cache per image`);
    for (const n of notes) console.log(`note: ${n}`);
    const rows: string[][] = [['image', 'ecosystem', 'runwarden', 'trivy', 'both', 'agreement', 'only runwarden / only trivy']];
    const timing: string[][] = [['image', 'OS (runwarden)', 'runwarden in-process', 'trivy process', 'trivy peak RSS', 'what']];
    const totals = new Map<string, { both: number; union: number }>();
    const notesAfter: string[] = [];
    for (const img of images) {
      const mine = await ours(img.layout);
      const theirs = 'unavailable' in trivy ? undefined : await trivySide(trivy, img.layout, work, img.name);
      timing.push([img.name, mine.os, `${mine.ms.toFixed(0)} ms`, theirs === undefined ? '—' : `${(theirs.ms / 1000).toFixed(2)} s`, theirs?.rss === undefined ? '—' : `${(theirs.rss / 1024 / 1024).toFixed(0)} MiB`, img.what]);
      if (theirs?.note !== undefined) console.log(`${img.name}: ${theirs.note}`);
      // Trivy writes `pkg:none/…` for OS packages when it did not recognise the distribution: the same
      // packages, compared under the OS type runwarden found (and said so).
      const none = theirs?.byType.get('none');
      const osTypes = [...mine.byType.keys()].filter((t) => OS_TYPES.has(t));
      if (theirs !== undefined && none !== undefined && osTypes.length === 1 && osTypes[0] !== undefined) {
        theirs.byType.delete('none');
        theirs.byType.set(osTypes[0], new Set([...(theirs.byType.get(osTypes[0]) ?? []), ...none]));
        theirs.namespaces.set(osTypes[0], new Set(['(none: trivy did not detect the OS)']));
      }
      for (const type of osTypes) {
        const a = [...(mine.namespaces.get(type) ?? [])].join(',');
        const b = [...(theirs?.namespaces.get(type) ?? [])].join(',');
        if (theirs !== undefined && a !== b) notesAfter.push(`${img.name}: ${type} purl namespace runwarden "${a}", trivy "${b}"`);
      }
      const types = [...new Set([...mine.byType.keys(), ...(theirs?.byType.keys() ?? [])])].sort();
      for (const type of types) {
        const a = mine.byType.get(type) ?? new Set<string>();
        const b = theirs?.byType.get(type) ?? new Set<string>();
        const both = [...a].filter((k) => b.has(k));
        const onlyA = [...a].filter((k) => !b.has(k)).sort();
        const onlyB = [...b].filter((k) => !a.has(k)).sort();
        const union = a.size + b.size - both.length;
        if (theirs !== undefined) {
          const t = totals.get(type) ?? { both: 0, union: 0 };
          t.both += both.length;
          t.union += union;
          totals.set(type, t);
        }
        const diff = [onlyA.length > 0 ? `runwarden: ${list(onlyA)}` : '', onlyB.length > 0 ? `trivy: ${list(onlyB)}` : ''].filter((s) => s !== '').join(' | ');
        rows.push([img.name, type, String(a.size), theirs === undefined ? '—' : String(b.size), theirs === undefined ? '—' : String(both.length), theirs === undefined ? '—' : `${((100 * both.length) / Math.max(1, union)).toFixed(1)} %`, diff]);
      }
    }
    console.log(`\n${table(timing)}\n\n${table(rows)}\n`);
    for (const n of notesAfter) console.log(`purl: ${n}`);
    if ('unavailable' in trivy) return;
    const summary: string[][] = [['ecosystem', 'both', 'either', 'agreement']];
    let osBoth = 0;
    let osUnion = 0;
    for (const [type, t] of [...totals].sort((x, y) => x[0].localeCompare(y[0]))) {
      summary.push([type, String(t.both), String(t.union), `${((100 * t.both) / Math.max(1, t.union)).toFixed(1)} %`]);
      if (OS_TYPES.has(type)) {
        osBoth += t.both;
        osUnion += t.union;
      }
    }
    const osAgreement = osBoth / Math.max(1, osUnion);
    summary.push(['OS packages (deb+apk+rpm)', String(osBoth), String(osUnion), `${(100 * osAgreement).toFixed(1)} %`]);
    console.log(table(summary));
    const ok = osAgreement >= TARGET_OS;
    console.log(`${ok ? 'PASS' : 'FAIL'} OS package agreement ${(100 * osAgreement).toFixed(1)} % (target ≥ ${TARGET_OS * 100} %)`);
    if (!ok) process.exitCode = 1;
  } finally {
    if (keep === undefined) await rm(work, { recursive: true, force: true });
    else console.log(`kept: ${work}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && existsSync(process.argv[1])) await main();
