/**
 * The image scan pipeline: everything runwarden knows about ONE image. One pass over its layers runs
 * the catalogers (OS + packages) and every contributor's analysers together (layer cache in the
 * runwarden DB); then each contributor (contributors/, listed in registry.ts) turns the analysis and
 * the packages into findings about the image. `runwarden image scan` reports them; `runwarden scan`
 * runs this once per running digest (running.ts) and places the findings on each container.
 *
 * Packages normally come from the catalogers; a `packages` provider (e.g. an SBOM attached to the
 * image that the user trusts) can supply them instead, and the catalogers are then left out of the pass.
 */
import { CATALOGERS, catalogImage, catalogers, type CatalogResult } from '../../catalog/index.js';
import { errorMessage } from '../../core/errors.js';
import type { Subject } from '../../core/finding.js';
import { issue, type Issue } from '../../core/issue.js';
import type { Analyzer } from '../../image/analysis/analyzer.js';
import type { LayerCache } from '../../image/analysis/cache.js';
import { analyzeImage, type AnalysisProgress, type ImageAnalysis } from '../../image/analysis/run.js';
import type { ImageHandle } from '../../image/types.js';
import { formatPlatform } from '../../registry/platform.js';
import type { Db } from '../../vulndb/store/index.js';
import type { ImageContext, ImageContributor, ImageFinding, ImagePackages } from './contributor.js';
import { CONTRIBUTORS } from './registry.js';

export type { ImageContext, ImageContributor, ImageFinding, ImagePackages, ContributorResult } from './contributor.js';
export { CONTRIBUTORS, contributorsFor } from './registry.js';

/** Supplies an image's packages from elsewhere than its layers; undefined = catalog the layers. */
export type PackagesProvider = (image: ImageHandle, signal: AbortSignal | undefined) => Promise<{ packages: ImagePackages | undefined; issues: Issue[] }>;

export interface ImageScanOptions {
  /** The vulnerability database (the `vulnerabilities` contributor says nothing without one). */
  db?: Db | undefined;
  cache?: LayerCache | undefined;
  contributors?: readonly ImageContributor[] | undefined;
  /** Packages from elsewhere (a trusted attached SBOM); the catalogers run when it gives none. */
  packages?: PackagesProvider | undefined;
  /** The subject of the findings; default `{ type: 'image', image: <name or input> }`. */
  subject?: Subject | undefined;
  now?: Date | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((event: AnalysisProgress) => void) | undefined;
}

export interface ImageFacts {
  input: string;
  source: string;
  name: string | undefined;
  digest: string | undefined;
  configDigest: string;
  platform: string;
  layers: Array<{ digest: string; size: number }>;
}

export interface ImageScan {
  image: ImageFacts | undefined;
  os: CatalogResult['os'];
  packages: ImagePackages;
  findings: ImageFinding[];
  issues: Issue[];
  /** false when a layer was rejected or not read to its end: the findings may be missing some. */
  complete: boolean;
  /** Layer blobs opened (0 when the layer cache had everything). */
  blobsRead: number;
}

export function imageFacts(image: ImageHandle): ImageFacts {
  return {
    input: image.input,
    source: image.source,
    name: image.name,
    digest: image.digest,
    configDigest: image.configDigest,
    platform: formatPlatform(image.platform),
    layers: image.layers.map((l) => ({ digest: l.digest, size: l.size })),
  };
}

/** Scan one opened image: one pass over its layers, then every contributor. */
export async function scanImage(image: ImageHandle, options: ImageScanOptions = {}): Promise<ImageScan> {
  const contributors = options.contributors ?? CONTRIBUTORS;
  const issues: Issue[] = [];
  let supplied: ImagePackages | undefined;
  if (options.packages !== undefined) {
    try {
      const got = await options.packages(image, options.signal);
      supplied = got.packages;
      issues.push(...got.issues);
    } catch (error) {
      issues.push(issue('image-packages-failed', `Packages of ${image.input} could not be read from its SBOM; cataloging its layers instead: ${errorMessage(error)}`, image.input));
    }
  }
  const analyzers: Analyzer[] = supplied === undefined ? catalogers() : [];
  // With packages from an SBOM, the layers are read only for contributors that need the image
  // (malware); the others' analysers (lifecycle's runtime files) ride along only on a pass made anyway.
  for (const c of contributors) {
    if (supplied !== undefined && !c.needsImage) continue;
    for (const a of c.analyzers ?? []) if (!analyzers.some((x) => x.id === a.id)) analyzers.push(a);
  }
  let analysis: ImageAnalysis | undefined;
  if (analyzers.length > 0) {
    analysis = await analyzeImage(image, analyzers, { cache: options.cache, signal: options.signal, onProgress: options.onProgress });
    issues.push(...analysis.issues);
  }
  let os: CatalogResult['os'];
  let packages: ImagePackages;
  if (supplied !== undefined) {
    packages = supplied;
    os = supplied.os;
  } else {
    const catalog = catalogImage(analysis as ImageAnalysis, CATALOGERS);
    os = catalog.os;
    packages = { packages: catalog.packages, kind: 'catalog', origin: image.input, os };
    // The analysis already holds the catalogers' own issues; add only what cataloging found on top.
    const seen = new Set(analysis?.issues ?? []);
    issues.push(...catalog.issues.filter((i) => !seen.has(i)));
  }
  const subject = options.subject ?? { type: 'image', image: image.name ?? image.input };
  const ctx: ImageContext = { image, analysis, packages, db: options.db, now: options.now ?? new Date(), subject, signal: options.signal };
  const findings = await contribute(contributors, ctx, issues);
  return { image: imageFacts(image), os, packages, findings, issues, complete: analysis?.complete ?? true, blobsRead: analysis?.blobsRead ?? 0 };
}

/** What the contributors that need no image say about a package list alone (an SBOM). */
export async function scanPackages(packages: ImagePackages, options: Omit<ImageScanOptions, 'cache' | 'packages' | 'onProgress'> & { subject: Subject }): Promise<ImageScan> {
  const issues: Issue[] = [];
  const ctx: ImageContext = { image: undefined, analysis: undefined, packages, db: options.db, now: options.now ?? new Date(), subject: options.subject, signal: options.signal };
  const contributors = (options.contributors ?? CONTRIBUTORS).filter((c) => !c.needsImage);
  const findings = await contribute(contributors, ctx, issues);
  return { image: undefined, os: packages.os, packages, findings, issues, complete: true, blobsRead: 0 };
}

async function contribute(contributors: readonly ImageContributor[], ctx: ImageContext, issues: Issue[]): Promise<ImageFinding[]> {
  const findings: ImageFinding[] = [];
  for (const c of contributors) {
    if (c.needsImage && ctx.image === undefined) continue;
    try {
      const result = await c.contribute(ctx);
      findings.push(...result.findings);
      issues.push(...result.issues);
    } catch (error) {
      // A broken contributor loses its own findings, not the image's.
      issues.push(issue('image-contributor-failed', `${c.id} failed on ${ctx.image?.input ?? ctx.packages.origin}: ${errorMessage(error)}`, ctx.image?.input ?? ctx.packages.origin));
    }
  }
  return findings;
}
