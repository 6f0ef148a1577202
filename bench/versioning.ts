/**
 * bench/versioning — issue #3 "Performance": 1,000,000 comparisons per version scheme on versions drawn
 * from the conformance tables (testdata/upstream/version-vectors and the schemes' own testdata), against
 * a naive string comparison (`a < b`) of the same pairs in the same run. Target: at least 2,000,000
 * comparisons/s for deb, apk, rpm and semver.
 *
 * Run from the repository root: `npm run bench -- versioning` (compiled) or `npx tsx bench/versioning.ts`.
 * Flags: `--runs N` (default 3; the median is reported), `--comparisons N` (default 1,000,000).
 *
 * Each scheme parses a version once and caches the parsed form, so after the first pass a comparison
 * compares two parsed forms; the warm-up pass (every distinct version, then 200,000 comparisons) is not
 * timed. Exit code 1 when a scheme with a target misses it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { compareVersions, getScheme, type SchemeId } from '../src/versioning/index.js';

const TARGET_PER_SECOND = 2_000_000;
const TARGETED: readonly SchemeId[] = ['deb', 'apk', 'rpm', 'semver'];
const SEED = 0x5eed_0003;

interface Options {
  runs: number;
  comparisons: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { runs: 3, comparisons: 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if ((flag === '--runs' || flag === '--comparisons') && Number.isInteger(value) && value > 0) {
      if (flag === '--runs') options.runs = value;
      else options.comparisons = value;
      i++;
    } else {
      throw new Error(`bench/versioning: unknown or invalid argument "${flag ?? ''}" (expected --runs N, --comparisons N)`);
    }
  }
  return options;
}

/** Cells of the given columns of a tab-separated table with a header row. */
function columns(root: string, path: string, ...indexes: number[]): string[] {
  return readFileSync(join(root, path), 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line !== '')
    .flatMap((line) => {
      const cells = line.split('\t');
      return indexes.map((i) => (cells[i] ?? '').replace(/\\n/g, '\n').replace(/\\t/g, '\t'));
    });
}

const V = 'testdata/upstream/version-vectors';
const S = 'src/versioning/schemes';

/** The tables each scheme's versions come from (the same ones its conformance tests use). */
const SOURCES: Record<SchemeId, (root: string) => string[]> = {
  deb: (root) => [...columns(root, `${V}/dpkg/dpkg-compare.tsv`, 0, 1), ...columns(root, `${V}/dpkg/dpkg-valid.tsv`, 0)],
  apk: (root) => columns(root, `${V}/apk/apk-compare.tsv`, 0, 1),
  rpm: (root) => [...columns(root, `${V}/rpm/rpmvercmp.tsv`, 0, 1), ...columns(root, `${V}/rpm/rpmvercmp-oddities.tsv`, 0, 1)],
  semver: (root) => [...columns(root, `${V}/semver/compare.tsv`, 0, 1), ...columns(root, `${V}/semver/range-satisfies.tsv`, 1), ...columns(root, `${V}/semver/outside-range.tsv`, 1)],
  pep440: (root) => columns(root, `${V}/pep440/pep440-compare.tsv`, 0, 1),
  go: (root) => columns(root, `${V}/go/go-semver-compare.tsv`, 0, 1),
  maven: (root) => columns(root, `${S}/maven/testdata/comparable-version.tsv`, 0, 1),
  rubygems: (root) => columns(root, `${S}/rubygems/testdata/gem-version.tsv`, 0, 1),
  nuget: (root) => [...columns(root, `${S}/nuget/testdata/nuget-version.tsv`, 0, 1), ...columns(root, `${S}/nuget/testdata/nuget-range.tsv`, 1)],
};

/** Deterministic index stream (LCG), so every run compares the same pairs. */
function pairs(count: number, size: number, seed: number): [Int32Array, Int32Array] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % size;
  };
  const left = new Int32Array(count);
  const right = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    left[i] = next();
    right[i] = next();
  }
  return [left, right];
}

function time(run: () => number): { ms: number; sink: number } {
  const started = performance.now();
  const sink = run();
  return { ms: performance.now() - started, sink };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Row {
  id: SchemeId;
  versions: number;
  perSecond: number;
  apiPerSecond: number;
  naivePerSecond: number;
  ratio: number;
}

function benchScheme(id: SchemeId, root: string, options: Options): Row {
  const scheme = getScheme(id);
  const versions = [...new Set(SOURCES[id](root))].filter((v) => scheme.isValid(v));
  const [li, ri] = pairs(options.comparisons, versions.length, SEED + versions.length);
  const a = Array.from(li, (i) => versions[i] ?? '');
  const b = Array.from(ri, (i) => versions[i] ?? '');
  const compare = scheme.compare;
  // warm-up: parse every version once (the cache) and let the JIT settle
  for (const v of versions) compare(v, v);
  for (let i = 0; i < Math.min(200_000, a.length); i++) compare(a[i] ?? '', b[i] ?? '');

  const schemeMs: number[] = [];
  const apiMs: number[] = [];
  const naiveMs: number[] = [];
  let sink = 0;
  for (let run = 0; run < options.runs; run++) {
    const measured = time(() => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += compare(a[i] ?? '', b[i] ?? '');
      return s;
    });
    const api = time(() => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += compareVersions(id, a[i] ?? '', b[i] ?? '');
      return s;
    });
    const naive = time(() => {
      let s = 0;
      for (let i = 0; i < a.length; i++) {
        const x = a[i] ?? '';
        const y = b[i] ?? '';
        s += x < y ? -1 : x > y ? 1 : 0;
      }
      return s;
    });
    schemeMs.push(measured.ms);
    apiMs.push(api.ms);
    naiveMs.push(naive.ms);
    sink += measured.sink + api.sink + naive.sink;
  }
  if (sink === Number.MIN_VALUE) process.stdout.write(''); // keeps the loops observable
  const ms = median(schemeMs);
  const naive = median(naiveMs);
  return {
    id,
    versions: versions.length,
    perSecond: (options.comparisons / ms) * 1000,
    apiPerSecond: (options.comparisons / median(apiMs)) * 1000,
    naivePerSecond: (options.comparisons / naive) * 1000,
    ratio: ms / naive,
  };
}

function millions(perSecond: number): string {
  return `${(perSecond / 1e6).toFixed(2)} M/s`;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const options = parseArgs(argv);
  const root = process.cwd();
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  out(`bench/versioning: ${options.comparisons.toLocaleString('en-US')} comparisons per scheme, median of ${options.runs} runs, Node ${process.version}`);
  out('| scheme | versions | scheme.compare | ns/compare | compareVersions(id, …) | naive `a < b` | ratio to naive | target |');
  out('|---|---:|---:|---:|---:|---:|---:|---|');
  let missed = 0;
  for (const id of Object.keys(SOURCES) as SchemeId[]) {
    const row = benchScheme(id, root, options);
    const targeted = TARGETED.includes(id);
    const ok = row.perSecond >= TARGET_PER_SECOND;
    if (targeted && !ok) missed++;
    out(
      `| ${row.id} | ${row.versions} | ${millions(row.perSecond)} | ${(1e9 / row.perSecond).toFixed(0)} | ${millions(row.apiPerSecond)} | ${millions(row.naivePerSecond)} | ×${row.ratio.toFixed(1)} | ${targeted ? (ok ? '≥ 2 M/s: pass' : '≥ 2 M/s: MISSED') : '—'} |`,
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  const peak = process.resourceUsage().maxRSS;
  out(`peak RSS: ${(peak / 1024).toFixed(0)} MiB`);
  if (missed > 0) {
    process.stderr.write(`bench/versioning: ${missed} scheme(s) below ${TARGET_PER_SECOND.toLocaleString('en-US')} comparisons/s\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
