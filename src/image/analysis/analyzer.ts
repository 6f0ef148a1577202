/**
 * The analyser contract (Trivy's idea: analysers declare the files they want, and one pass per
 * layer hands each matching file to every analyser that asked for it). Catalogers (dpkg, apk, npm, …)
 * are `buffer` analysers: small files, parsed whole. The malware scanner is a `stream` analyser that
 * wants every regular file and hashes it chunk by chunk. Per-file values are cached per layer digest
 * + analyser id + version, so they must be JSON and are re-validated with `schema` when read back.
 * `finalize` combines the per-layer values over the squashed view (what the container sees).
 */
import type { z } from 'zod';
import type { Issue } from '../../core/issue.js';
import type { Platform } from '../../registry/schema.js';
import type { FileResolver } from '../layers/resolver.js';
import type { AnalyzerResults } from './results.js';

/** What `wants` sees: a regular file's header, before any content is read. */
export interface FileCandidate {
  /** Path inside the layer, relative to the image root. */
  path: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
}

export interface AnalyzedFile extends FileCandidate {
  mtime: number;
  layer: { index: number; digest: string };
  /** Set for a hard link: the content is this path's (in the same layer). */
  linkTarget?: string | undefined;
}

/** What an analyser returns for one file: a value to keep (JSON), and issues. */
export interface FileOutcome<T> {
  value?: T | undefined;
  issues?: Issue[] | undefined;
}

export type MaybePromise<T> = T | Promise<T>;

export interface FileStreamSink<T> {
  write(chunk: Buffer): MaybePromise<void>;
  end(): MaybePromise<FileOutcome<T> | undefined>;
}

export interface FinalizeInput<T> {
  results: AnalyzerResults<T>;
  /** The squashed view. Use it for metadata; content reads re-read blobs (avoid in finalize). */
  resolver: FileResolver;
  image: { digest: string | undefined; configDigest: string; platform: Platform };
}

interface AnalyzerBase<T, R> {
  /** Stable id (folder name of a plugin); part of the cache key. */
  id: string;
  /** Bump whenever the values an analyser produces change: part of the cache key. */
  version: string;
  /** Validates a value read back from the layer cache. */
  schema: z.ZodType<T>;
  /** picomatch globs over root-relative paths (`var/lib/dpkg/status`, `**\/package.json`). */
  globs?: readonly string[];
  /** For what globs cannot say (every regular file, setuid files, size ranges). */
  wants?(file: FileCandidate): boolean;
  /** Combine the values of all layers over the squashed view (optional). */
  finalize?(input: FinalizeInput<T>): MaybePromise<R>;
}

/** Gets each wanted file whole (at most `maxBytes`; bigger files become an issue, never a partial read). */
export interface BufferAnalyzer<T, R = undefined> extends AnalyzerBase<T, R> {
  mode: 'buffer';
  maxBytes: number;
  analyze(file: AnalyzedFile, content: Buffer): MaybePromise<FileOutcome<T> | undefined>;
}

/** Gets each wanted file as chunks, in order, with backpressure when `write` returns a promise. */
export interface StreamAnalyzer<T, R = undefined> extends AnalyzerBase<T, R> {
  mode: 'stream';
  open(file: AnalyzedFile): FileStreamSink<T>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous lists of analysers
export type Analyzer<T = any, R = any> = BufferAnalyzer<T, R> | StreamAnalyzer<T, R>;
