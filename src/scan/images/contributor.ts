/**
 * The contract of a per-image capability: what `runwarden image scan` and the image part of
 * `runwarden scan` ask of each thing that knows something about an image (vulnerabilities now;
 * malware and lifecycle verdicts next). A contributor declares the analysers it needs in the ONE
 * pass over the image's layers, and turns the analysis — and the packages, found once for everyone —
 * into findings about the image. `scan` then places each finding on every container that runs it.
 */
import type { CatalogResult } from '../../catalog/index.js';
import type { Finding, Subject } from '../../core/finding.js';
import type { Issue } from '../../core/issue.js';
import type { Package } from '../../core/package.js';
import type { Analyzer } from '../../image/analysis/analyzer.js';
import type { ImageAnalysis } from '../../image/analysis/run.js';
import type { ImageHandle } from '../../image/types.js';
import type { Db } from '../../vulndb/store/index.js';

/** Where an image's packages came from: its own layers (catalogers) or an SBOM about it. */
export interface ImagePackages {
  packages: Package[];
  /** `catalog` (the image's layers), `sbom` (a file or an attached SBOM). */
  kind: 'catalog' | 'sbom';
  /** The SBOM file or referrer, or the image input for a catalog. */
  origin: string;
  /** The OS when the catalogers saw it. */
  os?: CatalogResult['os'] | undefined;
}

/** What every contributor gets about one image. */
export interface ImageContext {
  /** undefined when only an SBOM of the image is known (nothing was read from it). */
  image: ImageHandle | undefined;
  /** The single pass over the layers; undefined with `image`. */
  analysis: ImageAnalysis | undefined;
  packages: ImagePackages;
  /** The vulnerability database, when one is open. */
  db: Db | undefined;
  now: Date;
  /** The finding subject for the image itself (`scan` moves findings to containers). */
  subject: Subject;
  signal?: AbortSignal | undefined;
}

/**
 * A finding about an image plus the key that, with the rule and the subject, makes its fingerprint
 * (`core/finding.ts` `fingerprint`): placing the finding on a container recomputes the id with it.
 */
export interface ImageFinding {
  finding: Finding;
  key: string;
}

export interface ContributorResult {
  findings: ImageFinding[];
  issues: Issue[];
}

export interface ImageContributor {
  /** Stable id, e.g. `vulnerabilities`. */
  id: string;
  description: string;
  /** Rules of its findings (`--rules` runs a contributor only when one of them is asked for). */
  rules: readonly string[];
  /**
   * Analysers it needs in the single pass (besides the catalogers, which always run). When the
   * packages come from an SBOM, the layers are read only if a contributor with `needsImage` asks for
   * them: the analysers of the others are then skipped, and their `analysis` is undefined.
   */
  analyzers?: readonly Analyzer[] | undefined;
  /** Whether it has anything to say when only an SBOM is known (no layers were read). */
  needsImage: boolean;
  /** Findings about the image; a thrown error becomes an issue and loses only this contributor's findings. */
  contribute(ctx: ImageContext): ContributorResult | Promise<ContributorResult>;
}
