/**
 * java: JAR, WAR, EAR (and Jenkins plugins) — `META-INF/maven/<group>/<artifact>/pom.properties` for
 * Maven coordinates, `META-INF/MANIFEST.MF` when there are none, and archives nested inside
 * (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, `lib/*.jar`), read from memory with yauzl.
 *
 * Nested archives are followed to a depth of 4 and within an inflation budget; an entry that claims
 * a size over the limits or a compression ratio of a zip bomb is recorded as an issue, never inflated.
 */
import type { Readable } from 'node:stream';
import type yauzl from 'yauzl';
import { issue, type Issue } from '../../../core/issue.js';
import { defineCataloger, type ParseResult } from '../../cataloger.js';
import { spdxList } from '../../licenses.js';
import type { PackageRecord } from '../../schema.js';

export const LIMITS = {
  /** Archives inside archives inside … */
  depth: 4,
  /** One nested archive, inflated. */
  nestedBytes: 64 * 1024 * 1024,
  /** Everything inflated for one top-level archive (nested archives and metadata files). */
  totalBytes: 256 * 1024 * 1024,
  /** A metadata file (pom.properties, MANIFEST.MF). */
  metadataBytes: 1024 * 1024,
  /** Inflated ÷ compressed above this, for an entry over 1 MB, is a zip bomb. */
  ratio: 200,
} as const;

const ARCHIVE = /\.(?:jar|war|ear|jpi|hpi|par|sar|nar|kar|rar)$/i;

interface Budget {
  left: number;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, max: number, budget: Budget): Promise<Buffer> {
  if (entry.uncompressedSize > max || entry.uncompressedSize > budget.left) throw new Error(`inflates to ${entry.uncompressedSize} bytes, over the ${Math.min(max, budget.left)} left to read`);
  const stream: Readable = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    // yauzl checks the declared size too; this bounds memory even if it did not.
    if (size > max || size > budget.left) {
      stream.destroy();
      throw new Error(`inflated past ${Math.min(max, budget.left)} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  budget.left -= size;
  return Buffer.concat(chunks, size);
}

function properties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2]);
  }
  return out;
}

/** MANIFEST.MF main section (continuation lines start with one space). */
export function manifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (raw === '') break;
    if (raw.startsWith(' ') && last !== undefined) {
      out.set(last, `${out.get(last) ?? ''}${raw.slice(1)}`);
      continue;
    }
    const i = raw.indexOf(':');
    if (i <= 0) continue;
    last = raw.slice(0, i).trim();
    out.set(last, raw.slice(i + 1).trim());
  }
  return out;
}

function maven(group: string, artifact: string, version: string, inner: string, licenses?: string[]): PackageRecord {
  const r: PackageRecord = { name: `${group}:${artifact}`, namespace: group, version, type: 'maven', ecosystem: 'Maven', inner };
  if (licenses !== undefined) r.licenses = licenses;
  return r;
}

/** `commons-lang3-3.12.0.jar` → artifact and version, when the name has them. */
function fromFileName(name: string): { artifact: string; version: string } | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1).replace(ARCHIVE, '');
  const m = /^(.+?)-(\d[\w.+-]*)$/.exec(base);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { artifact: m[1], version: m[2] };
}

async function walk(path: string, inner: string, content: Buffer, depth: number, budget: Budget, out: PackageRecord[], issues: Issue[]): Promise<void> {
  const where = inner === '' ? path : `${path}!/${inner}`;
  let zip: yauzl.ZipFile;
  try {
    zip = await (await import('yauzl')).default.fromBufferPromise(content, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    issues.push(issue('java-archive-invalid', `"${where}" is not a readable zip archive (${error instanceof Error ? error.message : String(error)}); no packages read from it`));
    return;
  }
  const poms: PackageRecord[] = [];
  let mf: Map<string, string> | undefined;
  const nested: yauzl.Entry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      if (name.endsWith('/')) continue;
      const isPom = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(name);
      const isManifest = name === 'META-INF/MANIFEST.MF';
      if (isPom || isManifest) {
        try {
          const text = (await readEntry(zip, entry, LIMITS.metadataBytes, budget)).toString('utf8');
          if (isManifest) mf = manifest(text);
          else {
            const p = properties(text);
            const group = p.get('groupId');
            const artifact = p.get('artifactId');
            const version = p.get('version');
            if (group !== undefined && artifact !== undefined && version !== undefined && version !== '') poms.push(maven(group, artifact, version, inner === '' ? name : `${inner}!/${name}`));
            else issues.push(issue('java-metadata-invalid', `"${where}!/${name}" lacks groupId, artifactId or version; skipped`));
          }
        } catch (error) {
          issues.push(issue('java-metadata-invalid', `"${where}!/${name}" could not be read (${error instanceof Error ? error.message : String(error)}); skipped`));
        }
      } else if (ARCHIVE.test(name)) {
        nested.push(entry);
      }
    }
    const licenses = spdxList(mf?.get('Bundle-License')?.split(';')[0]);
    if (poms.length > 0) {
      for (const p of poms) out.push(licenses === undefined ? p : { ...p, licenses });
    } else if (mf !== undefined || inner !== '' || depth === 0) {
      // No Maven coordinates: name from the manifest or the file name, without a group (cannot be matched to Maven advisories; see readme).
      const file = fromFileName(inner === '' ? path : inner);
      const version = mf?.get('Implementation-Version') ?? mf?.get('Bundle-Version') ?? file?.version;
      const group = mf?.get('Implementation-Vendor-Id');
      const artifact = file?.artifact ?? mf?.get('Implementation-Title');
      if (version !== undefined && artifact !== undefined && group !== undefined) out.push(maven(group, artifact, version, inner === '' ? 'META-INF/MANIFEST.MF' : inner, licenses));
      else if (version !== undefined && artifact !== undefined) {
        const r: PackageRecord = { name: artifact, version, type: 'maven', ecosystem: 'Maven', inner: inner === '' ? 'META-INF/MANIFEST.MF' : inner };
        if (licenses !== undefined) r.licenses = licenses;
        out.push(r);
      }
    }
    for (const entry of nested) {
      const child = inner === '' ? entry.fileName : `${inner}!/${entry.fileName}`;
      const ratio = entry.compressedSize === 0 ? 0 : entry.uncompressedSize / entry.compressedSize;
      if (depth + 1 >= LIMITS.depth) {
        issues.push(issue('java-archive-too-deep', `"${path}!/${child}" is nested ${depth + 2} archives deep, past the limit of ${LIMITS.depth}; not read`));
      } else if (entry.uncompressedSize > 1024 * 1024 && ratio > LIMITS.ratio) {
        issues.push(issue('java-zip-bomb', `"${path}!/${child}" inflates ${entry.compressedSize} bytes to ${entry.uncompressedSize} (ratio ${Math.round(ratio)}:1): a zip bomb; not followed`, undefined, 'Remove the archive from the image; real libraries compress less than 20:1.'));
      } else {
        try {
          await walk(path, child, await readEntry(zip, entry, LIMITS.nestedBytes, budget), depth + 1, budget, out, issues);
        } catch (error) {
          issues.push(issue('java-archive-too-large', `"${path}!/${child}" ${error instanceof Error ? error.message : String(error)}; not read`, undefined, `Nested archives are read up to ${LIMITS.nestedBytes} bytes each and ${LIMITS.totalBytes} per top-level archive.`));
        }
      }
    }
  } catch (error) {
    issues.push(issue('java-archive-invalid', `"${where}" is damaged (${error instanceof Error ? error.message : String(error)}); the packages read before the damage are kept`));
  } finally {
    zip.close();
  }
}

export async function parseJavaArchive(path: string, content: Buffer): Promise<ParseResult> {
  const packages: PackageRecord[] = [];
  const issues: Issue[] = [];
  await walk(path, '', content, 0, { left: LIMITS.totalBytes }, packages, issues);
  return { packages, issues };
}

export const java = defineCataloger({
  id: 'java',
  version: '1',
  kind: 'language',
  globs: ['**/*.jar', '**/*.war', '**/*.ear', '**/*.jpi', '**/*.hpi'],
  // Fat JARs and WARs reach 100–200 MB; a bigger archive is an issue, not read.
  maxBytes: 192 * 1024 * 1024,
  parse: parseJavaArchive,
});
