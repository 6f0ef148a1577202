/**
 * End of life of what is inside one image, for the per-image pipeline (src/scan/images, contributor
 * `lifecycle`): the OS (os-release), runtimes and servers (cataloged packages, the config's env), the
 * image's own name when it has a version tag, and the publisher's lifecycle referrers. Freshness
 * (digest drift, newer tags) depends on the tag a pod asked for, so it is judged per container by
 * `containers.ts`, which folds these findings into each container's verdict (`imageFindings`).
 *
 * The context is typed structurally (the fields of scan/images' ImageContext this reads), so this
 * area does not import `scan/`; the contributor object there is a thin wrapper.
 */
import { errorMessage } from '../core/errors.js';
import type { Finding, Subject } from '../core/finding.js';
import { tryParseImageReference } from '../core/image-ref.js';
import { issue, type Issue } from '../core/issue.js';
import type { Package } from '../core/package.js';
import type { ImageAnalysis } from '../image/analysis/run.js';
import type { ImageHandle } from '../image/types.js';
import type { Db } from '../store/db.js';
import type { LifecycleData } from './data/schema.js';
import { loadLifecycle } from './data/store.js';
import { runtimeFilesAnalyzer } from './detect/runtime-files.js';
import type { ImageFacts, OsFacts, ReferrerFacts, RuntimeFileFacts } from './detect/types.js';
import { LIFECYCLE_ARTIFACT_TYPE } from './referrers/index.js';
import { lifecycleFindings } from './verdict/findings.js';
import { DEFAULT_EOL_LOOKAHEAD_DAYS, imageLifecycle } from './verdict/image.js';

export const IMAGE_LIFECYCLE_RULES = ['end-of-life', 'vendor-end-of-life'] as const;

/** The analysers lifecycle needs in the single pass over an image's layers (well-known runtime files). */
export const IMAGE_LIFECYCLE_ANALYZERS = [runtimeFilesAnalyzer] as const;

/** The runtime files the running container sees (a file a later layer deleted does not count). */
export function runtimeFilesOf(analysis: Pick<ImageAnalysis, 'of'> | undefined): RuntimeFileFacts[] | undefined {
  if (analysis === undefined) return undefined;
  let found;
  try {
    found = analysis.of(runtimeFilesAnalyzer).results.visible();
  } catch {
    // The analyser was not part of this pass (a caller that did not ask for it): nothing to say.
    return undefined;
  }
  return found.map((f) => ({ path: f.path.replace(/^\/+/, ''), ...f.value }));
}

export interface ImageLifecycleContext {
  image: Pick<ImageHandle, 'input' | 'name' | 'digest' | 'config' | 'referrers'> | undefined;
  /** The single pass over the layers, when it ran with IMAGE_LIFECYCLE_ANALYZERS. */
  analysis?: Pick<ImageAnalysis, 'of'> | undefined;
  packages: { packages: readonly Package[]; os?: OsFacts | undefined };
  db: Db | undefined;
  now: Date;
  subject: Subject;
  signal?: AbortSignal | undefined;
  /** Default 90. */
  eolLookaheadDays?: number | undefined;
}

const loaded = new WeakMap<Db, Promise<{ data: LifecycleData }>>();
let bundled: Promise<{ data: LifecycleData }> | undefined;

/** The lifecycle data once per database (seeding it from the bundled snapshot), else the snapshot itself. */
export function lifecycleDataFor(db: Db | undefined): Promise<{ data: LifecycleData }> {
  if (db === undefined) return (bundled ??= loadLifecycle(undefined));
  let p = loaded.get(db);
  if (p === undefined) {
    p = loadLifecycle(db, { seed: !db.readonly });
    loaded.set(db, p);
  }
  return p;
}

/** Findings about the image with the fingerprint key each was made with (`<product>:<cycle>`, `vendor`). */
export async function imageLifecycleFindings(ctx: ImageLifecycleContext): Promise<{ findings: Array<{ finding: Finding; key: string }>; issues: Issue[] }> {
  const { data } = await lifecycleDataFor(ctx.db);
  const issues: Issue[] = [];
  let referrers: ReferrerFacts[] | undefined;
  if (ctx.image !== undefined) {
    try {
      const r = await ctx.image.referrers({ artifactType: LIFECYCLE_ARTIFACT_TYPE, signal: ctx.signal });
      referrers = r.manifests.map((m) => ({ digest: m.digest, artifactType: m.artifactType, annotations: m.annotations }));
    } catch (error) {
      issues.push(issue('lifecycle-referrers-failed', `Cannot read lifecycle referrers of ${ctx.image.input}: ${errorMessage(error)}`, ctx.image.input));
    }
  }
  const name = ctx.image?.name ?? ctx.subject.image;
  const facts: ImageFacts = {
    reference: name === undefined ? undefined : tryParseImageReference(name),
    digest: ctx.image?.digest,
    os: ctx.packages.os,
    packages: ctx.packages.packages,
    env: ctx.image?.config.config?.Env ?? undefined,
    created: ctx.image?.config.created,
    referrers,
    files: runtimeFilesOf(ctx.analysis),
  };
  const image = imageLifecycle(facts, { data, now: ctx.now, eolLookaheadDays: ctx.eolLookaheadDays ?? DEFAULT_EOL_LOOKAHEAD_DAYS }, name);
  issues.push(...image.issues);
  const none = { state: 'fresh' as const, drift: undefined, newer: undefined, ageDays: undefined, created: undefined, unknown: [], reasons: [] };
  const findings = lifecycleFindings(ctx.subject, image, none, ctx.image?.digest).map((finding) => ({
    finding,
    // The key lifecycleFindings fingerprints with: placed on a container, the id equals the one containerLifecycle computes there.
    key: finding.rule === 'vendor-end-of-life' ? 'vendor' : `${String(finding.evidence.product)}:${String(finding.evidence.cycle)}`,
  }));
  return { findings, issues };
}
