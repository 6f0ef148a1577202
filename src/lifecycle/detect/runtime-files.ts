/**
 * Runtimes and servers found by their files, in the single pass over the image's layers (an analyser
 * of src/image/analysis): what official images install under `/usr/local`, `/opt` or `/usr/share`
 * without a package database entry. Each rule names well-known paths and how the version is read:
 *
 * - from the path itself (`usr/local/bin/python3.12`, `…/Microsoft.NETCore.App/8.0.1/…`);
 * - from a small text file read whole (≤ 256 KiB): Python's `patchlevel.h` (`PY_VERSION`), the JDK's
 *   `release` (`JAVA_VERSION`, `IMPLEMENTOR`), Go's `VERSION`, PHP's `php_version.h`, Ruby's
 *   `rbconfig.rb` (`RUBY_PROGRAM_VERSION`), PostgreSQL's `PG_VERSION`;
 * - from a marker string inside a binary, scanned chunk by chunk as the layer streams past and no
 *   further than it is found (at most the first 256 MiB): `node.js/v20.11.1` (Node.js), `nginx/1.25.3`,
 *   `PostgreSQL 16.4`, `X-Powered-By: PHP/8.2.13`, Redis' build id `7.2.5buildkitsandbox-1716…`.
 *   The markers are the ones syft's binary classifiers match in the released binaries.
 *
 * A file whose version cannot be read is kept without one: the detector reports it as an issue when
 * nothing else (a package, the env) names that product. Values are cached per layer like every
 * analyser's; `version` below is part of the cache key.
 */
import { z } from 'zod';
import type { FileStreamSink, StreamAnalyzer } from '../../image/analysis/analyzer.js';
import { ownEntry } from '../../core/lookup.js';

export const RuntimeFile = z.object({
  /** endoflife.date product, or undefined for a product the data does not track (`untracked` says which). */
  product: z.string().optional(),
  /** Version text (`20.11.1`, `3.12`); absent when the file named the product but no version was read. */
  version: z.string().optional(),
  /** How the version was read: `binary marker "nginx/1.25.3"`, `path`, `JAVA_VERSION="17.0.9"`. */
  marker: z.string(),
  /** A product the lifecycle data does not track (a JDK from another vendor). */
  untracked: z.string().optional(),
});
export type RuntimeFile = z.infer<typeof RuntimeFile>;

/** Bytes of a binary scanned for its marker at most (node is ~100 MiB; the markers sit well before that). */
export const MAX_BINARY_SCAN = 256 * 1024 * 1024;
/** Text files (headers, `release`, `rbconfig.rb`) are read whole up to this size. */
export const MAX_TEXT = 256 * 1024;
/** Bytes kept from the previous chunk so a marker split across two chunks is still found. */
const OVERLAP = 256;

interface Marker {
  /** Found fast with Buffer.indexOf before the regex runs; undefined = the regex scans every chunk. */
  anchor?: string;
  /** Group 1 = the version. */
  pattern: RegExp;
}

interface Rule {
  id: string;
  path: RegExp;
  product: string;
  /** The version from the path match alone (group), when content gives none. */
  fromPath?: (m: RegExpExecArray) => string | undefined;
  /** Markers searched in a binary. */
  binary?: readonly Marker[];
  /** A small text file parsed whole. */
  text?: (content: string, m: RegExpExecArray) => RuntimeFile | undefined;
}

function quoted(content: string, name: string): string | undefined {
  return new RegExp(`^${name}="?([^"\\n]*)"?\\s*$`, 'm').exec(content)?.[1]?.trim();
}

/** JDK `release` IMPLEMENTOR → endoflife.date product. */
export const JDK_IMPLEMENTORS: Readonly<Record<string, string>> = {
  'Eclipse Adoptium': 'eclipse-temurin',
  'Eclipse Foundation': 'eclipse-temurin',
  'Amazon.com Inc.': 'amazon-corretto',
  Microsoft: 'microsoft-build-of-openjdk',
  'Red Hat, Inc.': 'red-hat-build-of-openjdk',
};

export const RUNTIME_RULES: readonly Rule[] = [
  {
    id: 'node',
    path: /^(?:usr\/local\/bin|usr\/bin|opt\/nodejs\/bin)\/(?:node|nodejs)$/,
    product: 'nodejs',
    binary: [
      { anchor: 'node.js/v', pattern: /node\.js\/v(\d+\.\d+\.\d+)/ },
      { anchor: 'nodejs.org/download/release/v', pattern: /nodejs\.org\/download\/release\/v(\d+\.\d+\.\d+)\// },
    ],
  },
  {
    id: 'python-patchlevel',
    path: /^usr\/local\/include\/python(\d+\.\d+)[a-z]*\/patchlevel\.h$/,
    product: 'python',
    fromPath: (m) => m[1],
    text: (c) => {
      const v = /^#define\s+PY_VERSION\s+"(\d+\.\d+\.\d+)[^"]*"/m.exec(c)?.[1];
      return v === undefined ? undefined : { product: 'python', version: v, marker: `PY_VERSION "${v}"` };
    },
  },
  { id: 'python-binary', path: /^usr\/local\/bin\/python(\d+\.\d+)$/, product: 'python', fromPath: (m) => m[1] },
  { id: 'python-stdlib', path: /^usr\/local\/lib\/python(\d+\.\d+)\/os\.py$/, product: 'python', fromPath: (m) => m[1] },
  {
    id: 'jdk-release',
    path: /^(?:opt\/java\/openjdk|opt\/java\/[^/]+|usr\/lib\/jvm\/[^/]+)\/release$/,
    product: 'eclipse-temurin',
    text: (c) => {
      const version = quoted(c, 'JAVA_VERSION');
      if (version === undefined || !/^\d/.test(version)) return undefined;
      const implementor = quoted(c, 'IMPLEMENTOR') ?? '';
      const product = ownEntry(JDK_IMPLEMENTORS, implementor);
      // Java 8's release says 1.8.0_392: the cycle is 8.
      const v = version.replace(/^1\.(\d+)\.\d+(?:_\d+)?$/, '$1');
      const marker = `JAVA_VERSION="${version}"${implementor === '' ? '' : ` IMPLEMENTOR="${implementor}"`}`;
      return product === undefined ? { version: v, marker, untracked: `Java ${v}${implementor === '' ? ' (no IMPLEMENTOR)' : ` from ${implementor}`}` } : { product, version: v, marker };
    },
  },
  { id: 'dotnet', path: /^(?:usr\/share|usr\/lib|opt)\/dotnet\/shared\/Microsoft\.NETCore\.App\/(\d+\.\d+\.\d+[^/]*)\/Microsoft\.NETCore\.App\.deps\.json$/, product: 'dotnet', fromPath: (m) => m[1] },
  {
    id: 'go',
    path: /^usr\/local\/go\/VERSION$/,
    product: 'go',
    text: (c) => {
      const v = /^go(\d+\.\d+(?:\.\d+)?)/.exec(c.trim())?.[1];
      return v === undefined ? undefined : { product: 'go', version: v, marker: `go${v}` };
    },
  },
  {
    id: 'php-header',
    path: /^usr\/local\/include\/php\/main\/php_version\.h$/,
    product: 'php',
    text: (c) => {
      const v = /^#define\s+PHP_VERSION\s+"(\d+\.\d+\.\d+)[^"]*"/m.exec(c)?.[1];
      return v === undefined ? undefined : { product: 'php', version: v, marker: `PHP_VERSION "${v}"` };
    },
  },
  { id: 'php-binary', path: /^usr\/local\/bin\/php$/, product: 'php', binary: [{ anchor: 'X-Powered-By: PHP/', pattern: /X-Powered-By: PHP\/(\d+\.\d+\.\d+)/ }] },
  {
    id: 'ruby',
    path: /^usr\/local\/lib\/ruby\/(\d+\.\d+)\.\d+\/[^/]+\/rbconfig\.rb$/,
    product: 'ruby',
    fromPath: (m) => m[1],
    text: (c) => {
      const v = /CONFIG\["RUBY_PROGRAM_VERSION"\]\s*=\s*"(\d+\.\d+\.\d+)"/.exec(c)?.[1];
      return v === undefined ? undefined : { product: 'ruby', version: v, marker: `RUBY_PROGRAM_VERSION "${v}"` };
    },
  },
  { id: 'nginx', path: /^(?:usr\/sbin|usr\/local\/sbin|usr\/local\/nginx\/sbin)\/nginx$/, product: 'nginx', binary: [{ anchor: 'nginx/', pattern: /nginx\/(\d+\.\d+\.\d+)/ }] },
  {
    id: 'postgres',
    path: /^(?:usr\/lib\/postgresql\/(\d+)\/bin|usr\/local\/bin|usr\/local\/pgsql\/bin)\/postgres$/,
    product: 'postgresql',
    fromPath: (m) => m[1],
    binary: [{ anchor: 'PostgreSQL ', pattern: /(?:\0|\?)PostgreSQL (\d+(?:\.\d+)?)(?![\d.])/ }],
  },
  {
    id: 'postgres-data',
    path: /^var\/lib\/postgresql\/(?:data|\d+\/main)\/PG_VERSION$/,
    product: 'postgresql',
    text: (c) => {
      const v = /^(\d+(?:\.\d+)?)\s*$/.exec(c)?.[1];
      return v === undefined ? undefined : { product: 'postgresql', version: v, marker: `PG_VERSION ${v} (a data directory in the image)` };
    },
  },
  {
    id: 'redis',
    path: /^(?:usr\/local\/bin|usr\/bin)\/redis-server$/,
    product: 'redis',
    binary: [
      { anchor: 'Redis version ', pattern: /Redis version (\d+\.\d+\.\d+)/ },
      // The build id redis-server embeds: version + host + "-" + build time (buildkit's host, or a container id).
      { pattern: /(?<![\d.])(\d+\.\d+\.\d+)(?:buildkitsandbox|[0-9a-f]{12})-\d{10,}/ },
    ],
  },
];

/** Globs handed to the runner (the rules' regexes decide; these only pre-select). */
const GLOBS = [
  'usr/local/bin/node',
  'usr/bin/node',
  'usr/bin/nodejs',
  'opt/nodejs/bin/node',
  'usr/local/include/python*/patchlevel.h',
  'usr/local/bin/python[0-9]*',
  'usr/local/lib/python[0-9]*/os.py',
  'opt/java/*/release',
  'usr/lib/jvm/*/release',
  '{usr/share,usr/lib,opt}/dotnet/shared/Microsoft.NETCore.App/*/Microsoft.NETCore.App.deps.json',
  'usr/local/go/VERSION',
  'usr/local/include/php/main/php_version.h',
  'usr/local/bin/php',
  'usr/local/lib/ruby/*/*/rbconfig.rb',
  '{usr/sbin,usr/local/sbin,usr/local/nginx/sbin}/nginx',
  'usr/lib/postgresql/*/bin/postgres',
  '{usr/local/bin,usr/local/pgsql/bin}/postgres',
  'var/lib/postgresql/{data,*/main}/PG_VERSION',
  '{usr/local/bin,usr/bin}/redis-server',
];

function ruleFor(path: string): { rule: Rule; match: RegExpExecArray } | undefined {
  for (const rule of RUNTIME_RULES) {
    const match = rule.path.exec(path);
    if (match !== null) return { rule, match };
  }
  return undefined;
}

function fromPathOnly(rule: Rule, match: RegExpExecArray, why: string): RuntimeFile {
  const v = rule.fromPath?.(match);
  return v === undefined ? { product: rule.product, marker: why } : { product: rule.product, version: v, marker: `path${why === '' ? '' : `; ${why}`}` };
}

/**
 * Searches chunks for the first marker that matches; stops looking once found or past the cap.
 * Each chunk is searched where it lies (no copy); the seam between two chunks is searched in a small
 * buffer of the previous chunk's end and the next one's start, so a marker split across them is found.
 */
class BinaryScan {
  private tail: Buffer | undefined;
  private scanned = 0;
  found: { version: string; text: string } | undefined;

  constructor(private readonly markers: readonly Marker[]) {}

  write(chunk: Buffer): void {
    if (this.found !== undefined || this.scanned >= MAX_BINARY_SCAN) return;
    this.scanned += chunk.length;
    if (this.tail !== undefined && this.search(Buffer.concat([this.tail, chunk.subarray(0, OVERLAP)]))) return;
    if (this.search(chunk)) return;
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - OVERLAP)));
  }

  private search(buf: Buffer): boolean {
    for (const m of this.markers) {
      if (m.anchor !== undefined) {
        for (let at = buf.indexOf(m.anchor, 0, 'latin1'); at !== -1; at = buf.indexOf(m.anchor, at + 1, 'latin1')) {
          // The text around the anchor: a byte before it (a NUL or `?`) and the version after it.
          const window = buf.subarray(Math.max(0, at - 1), Math.min(buf.length, at + m.anchor.length + 64)).toString('latin1');
          const hit = m.pattern.exec(window);
          // A match that ends the window may be cut short by the chunk's end: the seam search sees it whole.
          if (hit?.[1] !== undefined && hit.index + hit[0].length < window.length) {
            this.found = { version: hit[1], text: hit[0].replace(/^[\0?]/, '') };
            return true;
          }
        }
      } else {
        const text = buf.toString('latin1');
        const hit = m.pattern.exec(text);
        if (hit?.[1] !== undefined && hit.index + hit[0].length < text.length) {
          this.found = { version: hit[1], text: hit[0] };
          return true;
        }
      }
    }
    return false;
  }
}

/**
 * The analyser. A stream analyser, so a 100 MiB binary is never held whole: text files are
 * gathered up to MAX_TEXT, binaries scanned as they stream, path-only rules ignore the content.
 */
export const runtimeFilesAnalyzer: StreamAnalyzer<RuntimeFile> = {
  id: 'lifecycle-runtime-files',
  version: '1',
  mode: 'stream',
  schema: RuntimeFile,
  globs: GLOBS,
  open(file): FileStreamSink<RuntimeFile> {
    const found = ruleFor(file.path);
    if (found === undefined) return { write: () => undefined, end: () => undefined };
    const { rule, match } = found;
    if (rule.text !== undefined) {
      const chunks: Buffer[] = [];
      let size = 0;
      return {
        write(chunk) {
          if (size < MAX_TEXT) chunks.push(chunk);
          size += chunk.length;
        },
        end() {
          if (size > MAX_TEXT) return { value: fromPathOnly(rule, match, `${size} bytes, larger than ${MAX_TEXT}: not read`) };
          const parsed = rule.text?.(Buffer.concat(chunks).toString('utf8'), match);
          return { value: parsed ?? fromPathOnly(rule, match, 'no version in the file') };
        },
      };
    }
    if (rule.binary !== undefined) {
      const scan = new BinaryScan(rule.binary);
      return {
        write: (chunk) => scan.write(chunk),
        end() {
          if (scan.found !== undefined) return { value: { product: rule.product, version: scan.found.version, marker: `binary marker "${scan.found.text}"` } };
          return { value: fromPathOnly(rule, match, file.size > MAX_BINARY_SCAN ? `no version marker in the first ${MAX_BINARY_SCAN / 1024 / 1024} MiB` : 'no version marker in the binary') };
        },
      };
    }
    return { write: () => undefined, end: () => ({ value: fromPathOnly(rule, match, '') }) };
  },
};
