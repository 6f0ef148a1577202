/**
 * The analysis runner: ONE pass per layer. Each layer blob is decompressed once and streamed
 * through the tar parser (layers/walk.ts, layers/tar.ts); every regular file is matched against the
 * globs and `wants` of the analysers, and its content goes to all that asked for it at once (a buffer
 * for `buffer` analysers, chunks for `stream` ones). Layers whose index and values are in the layer
 * cache are not read at all. Then the squashed view is built and each analyser's `finalize` runs over it.
 *
 * Failure handling: an analyser that throws becomes an issue for that file; a truncated or corrupt
 * layer keeps what was read before the damage (not cached); a layer whose blob does not match its
 * digest is rejected whole — none of its data is used — and the analysis says it is incomplete.
 */
import pMap from 'p-map';
import { errorMessage } from '../../core/errors.js';
import { layerCompression } from '../../registry/media-types.js';
import { issue, type Issue } from '../../core/issue.js';
import type { ImageHandle, LayerRef } from '../types.js';
import { lazyResolver, layerResolver, squashedResolver, type ContentReader, type FileResolver } from '../layers/resolver.js';
import type { LayerIndex } from '../layers/types.js';
import { readLayer, type FileSink, type LayerLimits, type LayerReadResult } from '../layers/walk.js';
import type { AnalyzedFile, Analyzer, FileCandidate, FileOutcome } from './analyzer.js';
import type { LayerCache } from './cache.js';
import { compileGlobs } from './globs.js';
import { AnalyzerResults, type LayerValues } from './results.js';

export interface AnalyzeOptions {
  /** The layer cache; without it every layer is read. */
  cache?: LayerCache | undefined;
  signal?: AbortSignal | undefined;
  limits?: Partial<LayerLimits> | undefined;
  onProgress?: ((event: AnalysisProgress) => void) | undefined;
  /**
   * Layers read at once (default 3): each inflates on libuv's thread pool (4 threads) while the main
   * thread parses another; memory stays bounded per layer (bench/layers: ~125 MiB peak in all).
   */
  concurrency?: number | undefined;
}

export type AnalysisProgress =
  | { kind: 'layer-start'; layer: LayerRef; total: number; cached: boolean }
  | { kind: 'layer-done'; layer: LayerRef; total: number; cached: boolean; bytes: number; entries: number };

export interface LayerOutcome {
  layer: LayerRef;
  /** Index and every analyser's values came from the cache. */
  cached: boolean;
  /** undefined when the layer was rejected (digest mismatch, unreadable). */
  index: LayerIndex | undefined;
  issues: Issue[];
}

export interface AnalyzerOutcome<T, R> {
  results: AnalyzerResults<T>;
  output: R | undefined;
  issues: Issue[];
}

export interface ImageAnalysis {
  image: ImageHandle;
  layers: LayerOutcome[];
  /** The squashed view. */
  resolver: FileResolver;
  /** One layer on its own. */
  layerView(index: number): FileResolver;
  /** Typed access to one analyser's results: pass the same analyser object. */
  of<T, R>(analyzer: Analyzer<T, R>): AnalyzerOutcome<T, R>;
  /** Layer, squash and analyser issues together. */
  issues: Issue[];
  /** false when a layer was rejected or not read to its end. */
  complete: boolean;
  /** Layer blobs opened (0 when everything came from the cache). */
  blobsRead: number;
}

interface Matcher {
  analyzer: Analyzer;
  glob: ((path: string) => boolean) | undefined;
}

function wanted(m: Matcher, file: FileCandidate): boolean {
  if (m.glob?.(file.path) === true) return true;
  try {
    return m.analyzer.wants?.(file) === true;
  } catch {
    return false;
  }
}

function layerLabel(layer: LayerRef, total: number): string {
  return `layer ${layer.index + 1}/${total} (${layer.digest.slice(0, 19)}…)`;
}

export async function analyzeImage(image: ImageHandle, analyzers: readonly Analyzer[], options: AnalyzeOptions = {}): Promise<ImageAnalysis> {
  const ids = new Set<string>();
  for (const a of analyzers) {
    if (ids.has(a.id)) throw new Error(`Two analysers share the id "${a.id}"`);
    ids.add(a.id);
  }
  const total = image.layers.length;
  let blobsRead = 0;

  /** One layer: from the cache when everything is there, else one pass for what is missing. */
  const processLayer = async (layer: LayerRef): Promise<{ outcome: LayerOutcome; values: Map<string, LayerValues<unknown>> }> => {
    options.signal?.throwIfAborted();
    const label = layerLabel(layer, total);
    const ref = { index: layer.index, digest: layer.digest };
    const cachedIndex = options.cache?.getIndex(layer.digest);
    const cachedValues = new Map<string, { values: Map<string, unknown>; issues: Issue[] }>();
    if (cachedIndex !== undefined && options.cache !== undefined) {
      for (const a of analyzers) {
        const got = options.cache.getResult(layer.digest, a);
        if (got !== undefined) cachedValues.set(a.id, got);
      }
    }
    const missing = analyzers.filter((a) => !cachedValues.has(a.id));
    const values = new Map<string, LayerValues<unknown>>();
    if (cachedIndex !== undefined && missing.length === 0) {
      options.onProgress?.({ kind: 'layer-start', layer, total, cached: true });
      for (const a of analyzers) {
        const got = cachedValues.get(a.id);
        values.set(a.id, { layer: ref, values: got?.values ?? new Map<string, unknown>(), issues: got?.issues ?? [], cached: true });
      }
      options.onProgress?.({ kind: 'layer-done', layer, total, cached: true, bytes: cachedIndex.stats.bytes, entries: cachedIndex.stats.entries });
      return { outcome: { layer, cached: true, index: cachedIndex, issues: cachedIndex.issues }, values };
    }
    options.onProgress?.({ kind: 'layer-start', layer, total, cached: false });
    blobsRead++;
    const pass = await passLayer(image, layer, missing, label, options);
    if (pass.rejected !== undefined) {
      for (const a of analyzers) values.set(a.id, { layer: ref, values: new Map<string, unknown>(), issues: [], cached: false });
      options.onProgress?.({ kind: 'layer-done', layer, total, cached: false, bytes: 0, entries: 0 });
      return { outcome: { layer, cached: false, index: undefined, issues: [pass.rejected] }, values };
    }
    const index = pass.index;
    if (index.complete && options.cache !== undefined) {
      options.cache.putIndex(index);
      for (const a of missing) {
        const got = pass.values.get(a.id);
        if (got !== undefined) options.cache.putResult(layer.digest, a, got.values, got.issues);
      }
    }
    for (const a of analyzers) {
      const got = cachedValues.get(a.id) ?? pass.values.get(a.id);
      values.set(a.id, { layer: ref, values: got?.values ?? new Map<string, unknown>(), issues: got?.issues ?? [], cached: cachedValues.has(a.id) });
    }
    options.onProgress?.({ kind: 'layer-done', layer, total, cached: false, bytes: index.stats.bytes, entries: index.stats.entries });
    return { outcome: { layer, cached: false, index, issues: index.issues }, values };
  };

  // Layers are independent until the squash: read up to `concurrency` at once, largest blob first (the
  // pass ends with the small ones running beside the big one, not with one big layer alone), keeping
  // results in layer order.
  const done = new Array<Awaited<ReturnType<typeof processLayer>> | undefined>(total);
  const order = image.layers.map((_, i) => i).sort((a, b) => (image.layers[b]?.size ?? 0) - (image.layers[a]?.size ?? 0) || a - b);
  await pMap(
    order,
    async (i) => {
      const layer = image.layers[i];
      if (layer !== undefined) done[i] = await processLayer(layer);
    },
    { concurrency: Math.max(1, options.concurrency ?? 3) },
  );
  const outcomes: LayerOutcome[] = [];
  const values = new Map<string, Array<LayerValues<unknown>>>(analyzers.map((a) => [a.id, []]));
  for (const d of done) {
    if (d === undefined) continue;
    outcomes.push(d.outcome);
    for (const a of analyzers) {
      const v = d.values.get(a.id);
      if (v !== undefined) values.get(a.id)?.push(v);
    }
  }

  // The squashed view over the layers that were accepted (a rejected layer contributes nothing).
  // It is built on first use: an analyser set that never looks at it (and whose squash issues are
  // cached for this exact list of layers) does not pay for it on a cached scan.
  const reader = contentReader(image, options);
  const accepted = outcomes.filter((o): o is LayerOutcome & { index: LayerIndex } => o.index !== undefined);
  const emptyIndex = (digest: string): LayerIndex => ({ digest, entries: [], whiteouts: [], opaques: [], issues: [], stats: { entries: 0, bytes: 0, fileBytes: 0 }, complete: false });
  const indexes = outcomes.map((o) => o.index ?? emptyIndex(o.layer.digest));
  let squashed: ReturnType<typeof squashedResolver> | undefined;
  const view = (): ReturnType<typeof squashedResolver> => (squashed ??= squashedResolver(indexes, { reader, labels: outcomes.map((o) => layerLabel(o.layer, total)) }));
  const resolver = lazyResolver(indexes, () => view().resolver);
  let visibility: Map<string, string> | undefined;
  const visibleAt = (layer: number, layerPath: string): string | undefined => {
    if (visibility === undefined) {
      visibility = new Map();
      for (const e of view().tree.walk()) if (!e.implicit) visibility.set(`${e.layer}\u0000${e.layerPath}`, e.path);
    }
    return visibility.get(`${layer}\u0000${layerPath}`);
  };
  // The squash issues (link escapes through parents, hard links to nothing, …) depend only on the
  // ordered layers: cached per list of layer digests when every layer was read to its end.
  const allComplete = accepted.length === outcomes.length && accepted.every((o) => o.index.complete);
  const squashKey = allComplete ? outcomes.map((o) => o.layer.digest) : undefined;
  let squashIssues = squashKey === undefined ? undefined : options.cache?.getSquashIssues(squashKey);
  if (squashIssues === undefined) {
    squashIssues = view().tree.issues;
    if (squashKey !== undefined) options.cache?.putSquashIssues(squashKey, squashIssues);
  }

  const issues: Issue[] = [...outcomes.flatMap((o) => o.issues), ...squashIssues];
  const outputs = new Map<string, AnalyzerOutcome<unknown, unknown>>();
  for (const a of analyzers) {
    const results = new AnalyzerResults<unknown>(values.get(a.id) ?? [], resolver, visibleAt);
    const own = [...results.issues];
    let output: unknown;
    if (a.finalize !== undefined) {
      try {
        output = await a.finalize({ results, resolver, image: { digest: image.digest, configDigest: image.configDigest, platform: image.platform } });
      } catch (error) {
        own.push(issue('analyzer-failed', `Analyser ${a.id} failed to combine its results: ${errorMessage(error)}`, image.input));
      }
    }
    issues.push(...own);
    outputs.set(a.id, { results, output, issues: own });
  }

  return {
    image,
    layers: outcomes,
    resolver,
    layerView: (i) => {
      const o = outcomes[i];
      if (o === undefined) throw new RangeError(`No layer ${i}: the image has ${outcomes.length}`);
      return layerResolver(indexes[i] ?? emptyIndex(o.layer.digest), i, { reader });
    },
    of<T, R>(analyzer: Analyzer<T, R>): AnalyzerOutcome<T, R> {
      const got = outputs.get(analyzer.id);
      if (got === undefined) throw new Error(`Analyser ${analyzer.id} was not part of this analysis`);
      return got as AnalyzerOutcome<T, R>;
    },
    issues,
    complete: allComplete,
    blobsRead,
  };
}

interface PassResult {
  index: LayerIndex;
  values: Map<string, { values: Map<string, unknown>; issues: Issue[] }>;
  rejected?: Issue | undefined;
}

/** The single pass over one layer for the analysers whose values are not cached. */
async function passLayer(image: ImageHandle, layer: LayerRef, analyzers: readonly Analyzer[], label: string, options: AnalyzeOptions): Promise<PassResult & { index: LayerIndex }> {
  const matchers: Matcher[] = analyzers.map((a) => ({ analyzer: a, glob: a.globs !== undefined && a.globs.length > 0 ? compileGlobs(a.globs) : undefined }));
  const state = new Map(analyzers.map((a) => [a.id, { values: new Map<string, unknown>(), issues: [] as Issue[], analysed: new Set<string>() }]));
  const files = new Map<string, FileCandidate & { mtime: number }>();
  const pending: Array<{ matcher: Matcher; link: AnalyzedFile; target: string }> = [];
  const layerRef = { index: layer.index, digest: layer.digest };

  const record = (a: Analyzer, path: string, outcome: FileOutcome<unknown> | undefined): void => {
    const s = state.get(a.id);
    if (s === undefined) return;
    s.analysed.add(path);
    if (outcome?.value !== undefined) s.values.set(path, outcome.value);
    else s.values.delete(path);
    if (outcome?.issues !== undefined) s.issues.push(...outcome.issues.map((i) => ({ ...i, location: i.location ?? `${path} (${label})` })));
  };
  const failed = (a: Analyzer, path: string, error: unknown): void => {
    state.get(a.id)?.issues.push(issue('analyzer-failed', `Analyser ${a.id} failed on "${path}" in ${label}: ${errorMessage(error)}`, `${path} (${label})`));
  };

  const sinkFor = (file: AnalyzedFile, targets: Matcher[]): FileSink | undefined => {
    const buffers: Array<{ a: Extract<Analyzer, { mode: 'buffer' }>; chunks: Buffer[] }> = [];
    const streams: Array<{ a: Analyzer; sink: ReturnType<Extract<Analyzer, { mode: 'stream' }>['open']> }> = [];
    for (const { analyzer: a } of targets) {
      if (a.mode === 'buffer') {
        if (file.size > a.maxBytes) {
          state.get(a.id)?.issues.push(issue('analysis-file-too-large', `"${file.path}" in ${label} is ${file.size} bytes, more than the ${a.maxBytes} analyser ${a.id} reads; not analysed`, `${file.path} (${label})`));
          continue;
        }
        buffers.push({ a, chunks: [] });
      } else {
        try {
          streams.push({ a, sink: a.open(file) });
        } catch (error) {
          failed(a, file.path, error);
        }
      }
    }
    if (buffers.length === 0 && streams.length === 0) return undefined;
    return {
      write(chunk) {
        for (const b of buffers) b.chunks.push(chunk);
        let waits: Array<Promise<void>> | undefined;
        for (let i = 0; i < streams.length; i++) {
          const s = streams[i];
          if (s === undefined) continue;
          try {
            const r = s.sink.write(chunk);
            if (r !== undefined) (waits ??= []).push(r.catch((error: unknown) => dropStream(s, error)));
          } catch (error) {
            dropStream(s, error);
          }
        }
        return waits === undefined ? undefined : Promise.all(waits).then(() => undefined);
      },
      async end() {
        for (const b of buffers) {
          try {
            record(b.a, file.path, await b.a.analyze(file, b.chunks.length === 1 && b.chunks[0] !== undefined ? b.chunks[0] : Buffer.concat(b.chunks)));
          } catch (error) {
            failed(b.a, file.path, error);
          }
        }
        for (const s of streams) {
          try {
            record(s.a, file.path, await s.sink.end());
          } catch (error) {
            failed(s.a, file.path, error);
          }
        }
      },
      abort() {
        buffers.length = 0;
        streams.length = 0;
      },
    };
    function dropStream(s: { a: Analyzer }, error: unknown): void {
      failed(s.a, file.path, error);
      const i = streams.findIndex((x) => x === s);
      if (i !== -1) streams.splice(i, 1);
    }
  };

  const toFile = (path: string, meta: FileCandidate & { mtime: number }, linkTarget?: string): AnalyzedFile => {
    const f: AnalyzedFile = { path, size: meta.size, mode: meta.mode, uid: meta.uid, gid: meta.gid, mtime: meta.mtime, layer: layerRef };
    if (linkTarget !== undefined) f.linkTarget = linkTarget;
    return f;
  };

  let index: LayerReadResult;
  try {
    const blob = await image.openLayer(layer, { signal: options.signal });
    index = await readLayer(blob, layer.digest, {
      label,
      signal: options.signal,
      limits: options.limits,
      onFile: (entry) => {
        // The entry itself is the candidate (it has every FileCandidate field): no copy per file.
        files.set(entry.path, entry);
        let targets: Matcher[] | undefined;
        for (const m of matchers) if (wanted(m, entry)) (targets ??= []).push(m);
        return targets === undefined ? undefined : sinkFor(toFile(entry.path, entry), targets);
      },
      onHardlink: (entry) => {
        const target = entry.linkname ?? '';
        const meta = files.get(target);
        const candidate = { path: entry.path, size: meta?.size ?? 0, mode: entry.mode, uid: entry.uid, gid: entry.gid };
        for (const m of matchers) {
          if (!wanted(m, candidate)) continue;
          const s = state.get(m.analyzer.id);
          if (s?.analysed.has(target) === true) {
            // Same content, already analysed under the target's name: alias the value.
            const value = s.values.get(target);
            s.analysed.add(entry.path);
            if (value !== undefined) s.values.set(entry.path, value);
          } else if (meta !== undefined) {
            pending.push({ matcher: m, link: toFile(entry.path, { ...meta, mode: entry.mode }, target), target });
          } else {
            s?.issues.push(issue('analysis-hardlink-skipped', `Hard link "${entry.path}" in ${label} points to "${target}", which is not an earlier file of this layer; analyser ${m.analyzer.id} did not see its content`, `${entry.path} (${label})`));
          }
        }
      },
    });
  } catch (error) {
    const message = errorMessage(error);
    return {
      index: { digest: layer.digest, entries: [], whiteouts: [], opaques: [], issues: [], stats: { entries: 0, bytes: 0, fileBytes: 0 }, complete: false },
      values: new Map(),
      rejected: issue('layer-rejected', `${label} of ${image.input} was rejected and not analysed: ${message}`, label, error instanceof Error && 'hint' in error && typeof error.hint === 'string' ? error.hint : undefined),
    };
  }

  const declared = layerCompression(layer.mediaType);
  const found = index.compression;
  if (declared !== undefined && found !== undefined && declared !== found) {
    index.issues.push(issue('layer-media-type-mismatch', `${label} is declared ${layer.mediaType} but its content is ${found === 'none' ? 'an uncompressed tar' : found}; read as ${found}`, label, 'The image was built by a tool that mislabels layers; other runtimes may refuse it.'));
  }

  if (pending.length > 0 && index.complete) {
    // Hard links to files an analyser did not ask for under their own name: read the layer once
    // more for just those targets (rare: hard links are few, and mostly to files of the same kind).
    const byTarget = new Map<string, typeof pending>();
    for (const p of pending) byTarget.set(p.target, [...(byTarget.get(p.target) ?? []), p]);
    try {
      const blob = await image.openLayer(layer, { signal: options.signal });
      await readLayer(blob, layer.digest, {
        label,
        signal: options.signal,
        limits: options.limits,
        onFile: (entry) => {
          const wantedHere = byTarget.get(entry.path);
          if (wantedHere === undefined) return undefined;
          const sinks = wantedHere.map((p) => sinkFor(p.link, [p.matcher])).filter((s): s is FileSink => s !== undefined);
          return {
            write: (chunk) => {
              const waits = sinks.map((s) => s.write(chunk)).filter((r): r is Promise<void> => r !== undefined);
              return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
            },
            end: async () => {
              for (const s of sinks) await s.end();
            },
            abort: (reason) => sinks.forEach((s) => s.abort(reason)),
          };
        },
      });
    } catch (error) {
      return {
        index,
        values: new Map(),
        rejected: issue('layer-rejected', `${label} of ${image.input} changed between two reads and was rejected: ${errorMessage(error)}`, label),
      };
    }
  }

  const out = new Map<string, { values: Map<string, unknown>; issues: Issue[] }>();
  for (const [id, s] of state) out.set(id, { values: s.values, issues: s.issues });
  return { index, values: out };
}

/** Reads one file's content from a layer blob (re-reading the layer), for FileResolver.read. */
function contentReader(image: ImageHandle, options: AnalyzeOptions): ContentReader {
  return async (layerIndex, layerPath, { signal, maxBytes }) => {
    const layer = image.layers[layerIndex];
    if (layer === undefined) throw new RangeError(`No layer ${layerIndex}`);
    const chunks: Buffer[] = [];
    let size = 0;
    let found = false;
    let complete = false;
    const blob = await image.openLayer(layer, { signal: signal ?? options.signal });
    const index = await readLayer(blob, layer.digest, {
      signal: signal ?? options.signal,
      limits: options.limits,
      onFile: (entry) => {
        if (entry.path !== layerPath) return undefined;
        found = true;
        chunks.length = 0;
        size = 0;
        complete = false;
        return {
          write: (chunk) => {
            size += chunk.length;
            if (size <= maxBytes) chunks.push(chunk);
          },
          end: () => {
            complete = true;
          },
          abort: () => {
            complete = false;
          },
        };
      },
    });
    if (!found) throw new Error(`"${layerPath}" is not in layer ${layer.digest}`);
    if (!complete) throw new Error(`"${layerPath}" could not be read to its end: ${index.issues.map((i) => i.message).join('; ')}`);
    if (size > maxBytes) throw new Error(`"${layerPath}" is more than ${maxBytes} bytes`);
    return Buffer.concat(chunks);
  };
}
