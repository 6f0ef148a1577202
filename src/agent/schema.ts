/**
 * The node report: what a node agent publishes after each `runwarden clean` run, for the cluster
 * scan to show next to the plan it computes from `Node.status.images`. A bounded summary — counts,
 * the runtime's own figures, the largest candidates and every problem up to a cap — never the full
 * audit trail (that stays in the node's audit log): it lives in a ConfigMap, and etcd is no report
 * store. Bump `NODE_REPORT_SCHEMA_VERSION` on any incompatible change; readers refuse other versions.
 */
import { z } from 'zod';
import { AUDIT_RESULTS } from '../cleanup/schema.js';

export const NODE_REPORT_SCHEMA_VERSION = 1;
export const NODE_REPORT_KIND = 'runwarden-node-report';
/** The ConfigMap key that holds the JSON. */
export const NODE_REPORT_DATA_KEY = 'report.json';

/**
 * Hard cap of the encoded report. A ConfigMap holds at most 1 MiB of data; a node report is meant to
 * be small, so it is cut down (fewer listed images, then fewer problems) far below that.
 */
export const MAX_NODE_REPORT_BYTES = 128 * 1024;
/**
 * The cap with the host's packages (`host`, `clean --host-root`): a RHEL node has ~1,500 packages, ~110 KiB of
 * purls. Still half of what a ConfigMap holds.
 */
export const MAX_NODE_REPORT_WITH_HOST_BYTES = 512 * 1024;
/** Host packages listed at most (then the byte cap halves them; what is left out is counted). */
export const MAX_HOST_PACKAGES = 6000;
/** Caps on the listed items before the byte cap applies. */
export const MAX_LISTED_CANDIDATES = 100;
export const MAX_LISTED_PROBLEMS = 50;
export const MAX_LISTED_ISSUES = 20;
/** Longest string kept (image names, messages); longer ones end in "…". */
export const MAX_TEXT = 300;

const count = z.number().int().nonnegative();
const bytes = z.number().int().nonnegative();

const ImageResult = z.object({
  id: z.string(),
  name: z.string(),
  sizeBytes: bytes,
  createdAt: z.iso.datetime().nullable(),
  result: z.enum(AUDIT_RESULTS),
  /** Why it was not removed, or the error; omitted for planned and removed images. */
  message: z.string().optional(),
});
export type NodeReportImage = z.infer<typeof ImageResult>;

export const NodeReport = z.object({
  schemaVersion: z.literal(NODE_REPORT_SCHEMA_VERSION),
  kind: z.literal(NODE_REPORT_KIND),
  tool: z.object({ name: z.literal('runwarden'), version: z.string() }),
  node: z.string().min(1),
  /** When the agent wrote the report (the run's end). */
  publishedAt: z.iso.datetime(),
  /** The run id: the same id as in the node's audit log lines. */
  run: z.string().min(1),
  mode: z.enum(['dry-run', 'apply']),
  plannedAt: z.iso.datetime(),
  /** The agent's loop interval (`--interval`); null for a one-shot run. */
  intervalSeconds: z.number().int().positive().nullable(),
  runtime: z.object({ name: z.string(), version: z.string(), apiVersion: z.string(), address: z.string() }),
  sandboxImage: z.string().nullable(),
  options: z.object({
    olderThan: z.string().nullable(),
    maxRemovals: z.number().int().nullable(),
    exclusions: count,
  }),
  /** What the runtime caches and runs (the whole cache: the API shows at most 50 images per node). */
  cache: z.object({
    images: count,
    imageBytes: bytes,
    /** Images no container uses (any state), before exclusions and the sandbox rule. */
    unusedImages: count,
    containers: count,
    containersByState: z.record(z.string(), count),
    containersComplete: z.boolean(),
    sandboxes: count,
    imageFs: z.array(z.object({ mountpoint: z.string(), usedBytes: bytes, collected: z.boolean() })),
  }),
  plan: z.object({
    candidates: count,
    kept: count,
    reclaimableBytes: bytes,
    /** Kept images by their first reason (`in-use`, `sandbox-image`, `pinned`, `excluded`, `too-recent`, …). */
    keptBy: z.record(z.string(), count),
  }),
  /** What `--apply` did; null in a dry run (or when there was nothing to remove). */
  execution: z
    .object({
      removed: count,
      removedBytes: bytes,
      alreadyGone: count,
      skipped: count,
      failed: count,
      deferred: count,
      notAttempted: count,
      /** Drop of the image filesystem's used bytes (ImageFsInfo), null without a fresh reading. */
      fsReclaimedBytes: z.number().int().nullable(),
      stopped: z.string().nullable(),
    })
    .nullable(),
  /** Audit summary: decisions by result (one audit line each in the node's log). */
  results: z.partialRecord(z.enum(AUDIT_RESULTS), count),
  /** The largest candidates with their outcome, at most MAX_LISTED_CANDIDATES. */
  candidates: z.array(ImageResult),
  candidatesOmitted: count,
  /** Every image that failed, was skipped or carries a warning, at most MAX_LISTED_PROBLEMS. */
  problems: z.array(ImageResult),
  problemsOmitted: count,
  issues: z.array(z.object({ code: z.string(), message: z.string() })),
  issuesOmitted: count,
  /**
   * The node's own OS packages (`clean --host-root`; 1.x additive, absent without it), for the scan to match
   * against its vulnerability database (PRODUCT.md C8): the host's os-release and one purl per package
   * (distro and source package qualifiers, as the image catalogers write them).
   */
  host: z
    .object({
      os: z.object({ id: z.string(), versionId: z.string().nullable(), prettyName: z.string().nullable() }).nullable(),
      purls: z.array(z.string()),
      purlsOmitted: count,
      /** Package databases read, as host paths, e.g. `/var/lib/dpkg/status`. */
      databases: z.array(z.string()),
    })
    .optional(),
});
export type NodeReport = z.infer<typeof NodeReport>;
export type NodeReportHost = NonNullable<NodeReport['host']>;
