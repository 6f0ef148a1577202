/**
 * Per-layer analyser values and the two ways to read them: every value of every layer (`all`:
 * a malware hit in a file a later layer deleted still ships with the image), or only what the
 * running container sees (`visible`, `get`).
 */
import type { Issue } from '../../core/issue.js';
import type { FileResolver } from '../layers/resolver.js';

export interface LayerValues<T> {
  layer: { index: number; digest: string };
  /** Value per file, keyed by the file's name in that layer. */
  values: Map<string, T>;
  issues: Issue[];
  /** Read from the layer cache, not from the blob. */
  cached: boolean;
}

export interface Found<T> {
  /** In `all`: the name in the layer; in `visible` and `get`: the path in the squashed view. */
  path: string;
  layer: { index: number; digest: string };
  value: T;
}

export class AnalyzerResults<T> {
  constructor(
    readonly layers: ReadonlyArray<LayerValues<T>>,
    private readonly resolver: FileResolver,
    /** `(layer, name in layer) → squashed path` for entries the container sees. */
    private readonly visibleAt: (layer: number, layerPath: string) => string | undefined,
  ) {}

  get issues(): Issue[] {
    return this.layers.flatMap((l) => l.issues);
  }

  all(): Array<Found<T>> {
    const out: Array<Found<T>> = [];
    for (const l of this.layers) for (const [path, value] of l.values) out.push({ path, layer: l.layer, value });
    return out;
  }

  visible(): Array<Found<T>> {
    const out: Array<Found<T>> = [];
    for (const l of this.layers) {
      for (const [layerPath, value] of l.values) {
        const path = this.visibleAt(l.layer.index, layerPath);
        if (path !== undefined) out.push({ path, layer: l.layer, value });
      }
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The value for what `path` is in the squashed view (symlinks followed), if an analyser kept one. */
  get(path: string): Found<T> | undefined {
    const info = this.resolver.stat(path);
    if (info === undefined) return undefined;
    const own = this.layers.find((l) => l.layer.index === info.layer.index)?.values.get(info.layerPath);
    if (own !== undefined) return { path: info.path, layer: info.layer, value: own };
    const content = this.layers.find((l) => l.layer.index === info.content.layer);
    const value = content?.values.get(info.content.path);
    return value === undefined || content === undefined ? undefined : { path: info.path, layer: content.layer, value };
  }
}
