/**
 * What product detection reads (an image's facts) and what it returns. Detectors are pure; the
 * per-image pipeline (src/scan/images) gathers the facts in its single pass over the image.
 */
import type { ImageReference } from '../../core/image-ref.js';
import type { Issue } from '../../core/issue.js';
import type { Package } from '../../core/package.js';
import type { LifecycleData, ReleaseCycle } from '../data/schema.js';

/** The OS as `catalog/os` detects it (structurally `OsInfo`). */
export interface OsFacts {
  id: string;
  release: string;
  codename?: string | undefined;
  prettyName?: string | undefined;
  from?: string[] | undefined;
}

/** A referrer descriptor (OCI image-spec descriptor with `artifactType` and `annotations`). */
export interface ReferrerFacts {
  digest: string;
  artifactType?: string | undefined;
  annotations?: Record<string, string> | undefined;
}

export interface ImageFacts {
  /** The reference the pod asked for (normalised). */
  reference: ImageReference | undefined;
  /** The manifest digest running (`imageID` repo digest), when known. */
  digest?: string | undefined;
  os?: OsFacts | undefined;
  packages?: readonly Package[] | undefined;
  /** The config's `Env` (`NODE_VERSION=16.20.2`). */
  env?: readonly string[] | undefined;
  /** The config's `created` (RFC 3339). */
  created?: string | undefined;
  /** Referrers of `digest` (any artifact type; lifecycle ones are picked out). */
  referrers?: readonly ReferrerFacts[] | undefined;
  /** Runtimes found by well-known paths and binaries in the single layer pass (runtime-files.ts). */
  files?: readonly RuntimeFileFacts[] | undefined;
}

/** One file the runtime-files analyser recognised, as the running container sees it. */
export interface RuntimeFileFacts {
  /** Path in the squashed view (no leading slash). */
  path: string;
  product?: string | undefined;
  version?: string | undefined;
  /** How the version was read (`binary marker "nginx/1.25.3"`, `path`). */
  marker: string;
  untracked?: string | undefined;
}

export const DETECTION_METHODS = ['os-release', 'package', 'file', 'env', 'image-reference'] as const;
export type DetectionMethod = (typeof DETECTION_METHODS)[number];

export interface Detection {
  /** endoflife.date product name (`nodejs`, `debian`). */
  product: string;
  title: string;
  /** The version text the cycle was read from (`16.20.2`, `12`, `22.04`). */
  version: string;
  /** The release cycle; undefined when the data has no cycle for the version (an issue says so). */
  cycle: ReleaseCycle | undefined;
  /** How it was detected, each with what was read: `env NODE_VERSION=16.20.2`. */
  how: Array<{ method: DetectionMethod; evidence: string }>;
}

export interface DetectorResult {
  detections: Detection[];
  issues: Issue[];
  /**
   * Products seen without a readable version (a binary with no marker): reported only when no
   * detector found the product otherwise (a distribution's /usr/bin/node is versioned by its package).
   */
  unversioned?: Array<{ product: string; issue: Issue }> | undefined;
}

export interface Detector {
  id: DetectionMethod;
  detect(facts: ImageFacts, data: LifecycleData): DetectorResult;
}
