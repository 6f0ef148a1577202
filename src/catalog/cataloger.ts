/**
 * What a cataloger is: a `buffer` analyser of the image runner (src/image/analysis/analyzer.ts) whose
 * per-file value is a list of package records. `defineCataloger` turns a pure `parse` into one, and its
 * `finalize` keeps only the database files the running container sees (a status file replaced or
 * deleted by a later layer no longer counts) and credits each package to the EARLIEST layer whose copy
 * of that file already listed the same name and version (the layer that introduced it).
 */
import type { Issue } from '../core/issue.js';
import type { AnalyzedFile, BufferAnalyzer, FinalizeInput, MaybePromise, StreamAnalyzer } from '../image/analysis/analyzer.js';
import type { Linker } from './links.js';
import { FileValue, type PackageRecord } from './schema.js';

export type CatalogerKind = 'os' | 'language';

export interface ParseResult {
  packages: PackageRecord[];
  issues?: Issue[] | undefined;
}

export interface FoundRecord {
  record: PackageRecord;
  /** Path in the squashed view. */
  path: string;
  layer: { index: number; digest: string };
}

export interface CatalogerOutput {
  records: FoundRecord[];
}

export interface BufferCataloger extends BufferAnalyzer<FileValue, CatalogerOutput> {
  kind: CatalogerKind;
  /** Parse one file's content outside the runner (tests, SBOM-less directories). */
  parse(path: string, content: Buffer): MaybePromise<ParseResult>;
  /** Resolves the records' `dependsOn` to other records of this cataloger in the same image (links.ts). */
  link?: Linker | undefined;
}

/** A scan over a file's chunks in order, for big files (binaries) where only a small part matters. */
export interface FileScan {
  write(chunk: Buffer): void;
  end(): ParseResult;
}

export interface StreamCataloger extends StreamAnalyzer<FileValue, CatalogerOutput> {
  kind: CatalogerKind;
  scan(path: string): FileScan;
  /** The whole content at once (tests): one chunk through `scan`. */
  parse(path: string, content: Buffer): ParseResult;
  link?: Linker | undefined;
}

export type Cataloger = BufferCataloger | StreamCataloger;

export interface CatalogerSpec {
  id: string;
  version: string;
  kind: CatalogerKind;
  globs: readonly string[];
  /** Files bigger than this become an `analysis-file-too-large` issue (the runner never reads them). */
  maxBytes: number;
  wants?: BufferAnalyzer<FileValue, CatalogerOutput>['wants'];
  parse(path: string, content: Buffer): MaybePromise<ParseResult>;
  link?: Linker;
}

function key(r: PackageRecord): string {
  return `${r.type}\u0000${r.namespace ?? ''}\u0000${r.name}\u0000${r.version}\u0000${r.inner ?? ''}`;
}

export function defineCataloger(spec: CatalogerSpec): BufferCataloger {
  const cataloger: BufferCataloger = {
    id: spec.id,
    version: spec.version,
    kind: spec.kind,
    mode: 'buffer',
    maxBytes: spec.maxBytes,
    schema: FileValue,
    globs: spec.globs,
    parse: (path, content) => spec.parse(path, content),
    async analyze(file: AnalyzedFile, content: Buffer) {
      const result = await spec.parse(file.path, content);
      return { value: result.packages.length === 0 ? undefined : { packages: result.packages }, issues: result.issues };
    },
    finalize: finalizeRecords,
  };
  if (spec.wants !== undefined) cataloger.wants = spec.wants;
  if (spec.link !== undefined) cataloger.link = spec.link;
  return cataloger;
}

export interface StreamCatalogerSpec {
  id: string;
  version: string;
  kind: CatalogerKind;
  globs?: readonly string[];
  wants: NonNullable<StreamAnalyzer<FileValue, CatalogerOutput>['wants']>;
  scan(path: string): FileScan;
  link?: Linker;
}

export function defineStreamCataloger(spec: StreamCatalogerSpec): StreamCataloger {
  const cataloger: StreamCataloger = {
    id: spec.id,
    version: spec.version,
    kind: spec.kind,
    mode: 'stream',
    schema: FileValue,
    wants: (file) => spec.wants(file),
    scan: (path) => spec.scan(path),
    parse(path, content) {
      const s = spec.scan(path);
      s.write(content);
      return s.end();
    },
    open(file: AnalyzedFile) {
      const s = spec.scan(file.path);
      return {
        write: (chunk: Buffer) => s.write(chunk),
        end: () => {
          const result = s.end();
          return { value: result.packages.length === 0 ? undefined : { packages: result.packages }, issues: result.issues };
        },
      };
    },
    finalize: finalizeRecords,
  };
  if (spec.globs !== undefined) cataloger.globs = spec.globs;
  if (spec.link !== undefined) cataloger.link = spec.link;
  return cataloger;
}

function finalizeRecords({ results }: FinalizeInput<FileValue>): CatalogerOutput {
      // Earliest layer per (path in layer, package): a package listed in layer 1's status file and
      // still listed in layer 3's rewritten copy was introduced by layer 1.
      const firstSeen = new Map<string, { index: number; digest: string }>();
      for (const found of results.all()) {
        for (const r of found.value.packages) {
          const k = `${found.path}\u0000${key(r)}`;
          const seen = firstSeen.get(k);
          if (seen === undefined || found.layer.index < seen.index) firstSeen.set(k, found.layer);
        }
      }
      const records: FoundRecord[] = [];
      for (const found of results.visible()) {
        for (const r of found.value.packages) {
          const earliest = firstSeen.get(`${found.path}\u0000${key(r)}`);
          const layer = earliest !== undefined && earliest.index < found.layer.index ? earliest : found.layer;
          records.push({ record: r, path: found.path, layer });
        }
      }
      return { records };
}
