/**
 * What freshness needs from registries, asked once: the digest a tag resolves to now (one manifest
 * HEAD per repository and tag), each repository's tag list (once per repository), the creation time
 * of a drifted tag's new image, and the lifecycle referrers of a running digest. Answers are cached
 * as promises, so 1,000 containers of 300 images cost 300 HEADs; requests run with a bounded number
 * in flight per registry. A failure is cached too, as an outcome with its reason: freshness is then
 * `unknown` for the images that needed it, never "fresh".
 */
import { errorMessage, AppError } from '../../core/errors.js';
import { formatImageReference, type ImageReference } from '../../core/image-ref.js';
import type { ReferrerFacts } from '../detect/types.js';
import { EOL_ANNOTATION, LIFECYCLE_ARTIFACT_TYPE } from '../referrers/index.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string; hint?: string | undefined };

type Signal = { signal?: AbortSignal | undefined };
type Repo = { registry: string; repository: string };
/** An answer and when it was asked (for `ttlMs`). */
type Cached<T> = { at: number; outcome: Promise<Outcome<T>> };
type ReferrerDescriptor = { digest: string; artifactType?: string | undefined; annotations?: Record<string, string> | undefined };

/**
 * What the probe asks of a registry. `RegistryClient` (src/registry) satisfies it; so does `layoutProbeClient`
 * (an OCI layout standing in for the registries: a mirror, or the demo's images).
 */
export interface ProbeClient {
  resolve(ref: ImageReference, options?: Signal): Promise<{ digest: string }>;
  listTags(repo: Repo, options?: Signal): Promise<string[]>;
  referrers(repo: Repo, digest: string, options?: Signal & { artifactType?: string | undefined }): Promise<{ via: 'api' | 'tag-schema'; manifests: ReferrerDescriptor[] }>;
  resolveImage(ref: ImageReference, options?: Signal): Promise<{ config: { created?: string | undefined } }>;
  getManifest(repo: Repo, reference: string, options?: Signal): Promise<{ kind: 'index'; index: { manifests: ReferrerDescriptor[] } } | { kind: 'manifest'; manifest: { annotations?: Record<string, string> | undefined } }>;
}

export interface ProbeOptions {
  /** Requests in flight per registry (default 16). */
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
  /**
   * How long an answer (or a failure) is reused; undefined = for the probe's lifetime, which is one
   * `scan`. A long-lived service (`serve`) sets it so tags that move on are seen again.
   */
  ttlMs?: number | undefined;
  /** The clock for `ttlMs` (tests). */
  now?: (() => number) | undefined;
}

class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export interface ProbeStats {
  heads: number;
  tagLists: number;
  referrers: number;
  configs: number;
}

export class RegistryProbe {
  readonly stats: ProbeStats = { heads: 0, tagLists: 0, referrers: 0, configs: 0 };
  private readonly limiters = new Map<string, Limiter>();
  private readonly digests = new Map<string, Cached<string>>();
  private readonly tagLists = new Map<string, Cached<string[]>>();
  private readonly created = new Map<string, Cached<string | undefined>>();
  private readonly lifecycle = new Map<string, Cached<ReferrerFacts[]>>();
  private readonly concurrency: number;
  /** Registries that answered a referrers query through the tag schema: they have no referrers API. */
  private readonly noReferrersApi = new Set<string>();

  constructor(private readonly client: ProbeClient, private readonly options: ProbeOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 16);
  }

  private limited<T>(registry: string, fn: () => Promise<T>): Promise<T> {
    let l = this.limiters.get(registry);
    if (l === undefined) {
      l = new Limiter(this.concurrency);
      this.limiters.set(registry, l);
    }
    return l.run(fn);
  }

  private cached<T>(map: Map<string, Cached<T>>, key: string, registry: string, fn: () => Promise<T>): Promise<Outcome<T>> {
    const ttl = this.options.ttlMs;
    const now = ttl === undefined ? 0 : (this.options.now ?? Date.now)();
    const hit = map.get(key);
    if (hit !== undefined && (ttl === undefined || now - hit.at < ttl)) return hit.outcome;
    const p = this.limited(registry, fn).then(
      (value): Outcome<T> => ({ ok: true, value }),
      (error: unknown): Outcome<T> => {
        if (this.options.signal?.aborted === true) throw error;
        return { ok: false, reason: errorMessage(error), hint: error instanceof AppError ? error.hint : undefined };
      },
    );
    map.set(key, { at: now, outcome: p });
    return p;
  }

  /** The manifest digest `repo:tag` points to now (HEAD; GET when HEAD says too little). */
  tagDigest(ref: ImageReference, tag: string): Promise<Outcome<string>> {
    const target: ImageReference = { ...ref, tag, digest: undefined };
    return this.cached(this.digests, formatImageReference(target), ref.registry, async () => {
      this.stats.heads++;
      return (await this.client.resolve(target, { signal: this.options.signal })).digest;
    });
  }

  /** Every tag of the repository (all pages). */
  tags(ref: ImageReference): Promise<Outcome<string[]>> {
    const repo = { registry: ref.registry, repository: ref.repository };
    return this.cached(this.tagLists, `${repo.registry}/${repo.repository}`, ref.registry, async () => {
      this.stats.tagLists++;
      return this.client.listTags(repo, { signal: this.options.signal });
    });
  }

  /** The config `created` of the image a digest names (for the age of a tag's new build). */
  createdOf(ref: ImageReference, digest: string): Promise<Outcome<string | undefined>> {
    const target: ImageReference = { ...ref, tag: undefined, digest };
    return this.cached(this.created, formatImageReference(target), ref.registry, async () => {
      this.stats.configs++;
      return (await this.client.resolveImage(target, { signal: this.options.signal })).config.created;
    });
  }

  /**
   * Lifecycle referrers of a digest (referrers API, or the `sha256-<hex>` tag where the registry has
   * none). A descriptor without the end-of-life annotation (the tag-schema index need not copy
   * annotations) is completed from the referrer's own manifest.
   */
  lifecycleReferrers(ref: ImageReference, digest: string): Promise<Outcome<ReferrerFacts[]>> {
    const repo = { registry: ref.registry, repository: ref.repository };
    return this.cached(this.lifecycle, `${repo.registry}/${repo.repository}@${digest}`, ref.registry, async () => {
      this.stats.referrers++;
      const manifests = await this.referrerDescriptors(repo, digest);
      const out: ReferrerFacts[] = [];
      for (const d of manifests) {
        let annotations = d.annotations;
        if (annotations?.[EOL_ANNOTATION] === undefined) {
          const m = await this.client.getManifest(repo, d.digest, { signal: this.options.signal });
          if (m.kind === 'manifest') annotations = { ...m.manifest.annotations, ...annotations };
        }
        out.push({ digest: d.digest, artifactType: d.artifactType ?? LIFECYCLE_ARTIFACT_TYPE, annotations });
      }
      return out;
    });
  }

  /**
   * Lifecycle referrer descriptors of a digest. Once a registry has shown it has no referrers API
   * (distribution 2.8 and most mirrors), later lookups read the `sha256-<hex>` tag directly instead
   * of asking the API first: one request per digest instead of two.
   */
  private async referrerDescriptors(repo: { registry: string; repository: string }, digest: string): Promise<Array<{ digest: string; artifactType?: string | undefined; annotations?: Record<string, string> | undefined }>> {
    if (this.noReferrersApi.has(repo.registry) && /^sha256:[a-f0-9]{64}$/.test(digest)) {
      try {
        const index = await this.client.getManifest(repo, `sha256-${digest.slice(7)}`, { signal: this.options.signal });
        return index.kind === 'index' ? index.index.manifests.filter((m) => m.artifactType === LIFECYCLE_ARTIFACT_TYPE) : [];
      } catch (error) {
        if (error instanceof AppError && error.code === 'not-found') return [];
        throw error;
      }
    }
    const found = await this.client.referrers(repo, digest, { artifactType: LIFECYCLE_ARTIFACT_TYPE, signal: this.options.signal });
    if (found.via === 'tag-schema') this.noReferrersApi.add(repo.registry);
    return found.manifests;
  }
}
