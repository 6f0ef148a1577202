/**
 * The stable, versioned shapes runwarden clean writes: one audit record per decision (JSON Lines
 * in --audit-log, and in the JSON report), and the JSON report itself. Consumers (the cluster
 * scan, a SIEM) parse them with these schemas. Bump `schemaVersion` on any incompatible change.
 */
import { z } from 'zod';

export const CLEANUP_SCHEMA_VERSION = 1;

export const ReasonRecord = z.object({ code: z.string(), message: z.string() });

export const AUDIT_RESULTS = ['planned', 'kept', 'removed', 'already-gone', 'skipped', 'failed', 'deferred', 'not-attempted'] as const;

export const AuditRecord = z.object({
  schemaVersion: z.literal(CLEANUP_SCHEMA_VERSION),
  time: z.iso.datetime(),
  /** One id per `runwarden clean` run: groups the records of a run. */
  run: z.string().min(1),
  node: z.string(),
  runtime: z.string(),
  mode: z.enum(['dry-run', 'apply']),
  image: z.object({
    id: z.string(),
    name: z.string(),
    tags: z.array(z.string()),
    digests: z.array(z.string()),
    targetDigests: z.array(z.string()),
  }),
  sizeBytes: z.number().int().nonnegative(),
  createdAt: z.iso.datetime().nullable(),
  decision: z.enum(['remove', 'keep']),
  reasons: z.array(ReasonRecord),
  /**
   * Ids of the image's findings (CVEs, end-of-life) at or above the --only threshold; `null` means
   * "not evaluated" (the vulnerability and lifecycle data are not wired in yet), never "none found".
   */
  findings: z.array(z.string()).nullable(),
  result: z.enum(AUDIT_RESULTS),
  error: z.string().optional(),
  warning: z.string().optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

const FsUsage = z.object({
  mountpoint: z.string(),
  usedBytes: z.number(),
  inodesUsed: z.number(),
  collectedAt: z.string(),
  timestampNs: z.string(),
  collected: z.boolean(),
});

const IssueRecord = z.object({ code: z.string(), message: z.string(), location: z.string().optional(), hint: z.string().optional() });

export const CleanupReport = z.object({
  schemaVersion: z.literal(CLEANUP_SCHEMA_VERSION),
  kind: z.literal('runwarden-cleanup'),
  tool: z.object({ name: z.literal('runwarden'), version: z.string() }),
  run: z.string(),
  mode: z.enum(['dry-run', 'apply']),
  node: z.string(),
  address: z.string(),
  runtime: z.string(),
  sandboxImage: z.string().nullable(),
  plannedAt: z.iso.datetime(),
  options: z.object({
    exclusions: z.array(z.object({ glob: z.string(), origin: z.string(), kept: z.number().int() })),
    sandboxImages: z.array(z.string()),
    olderThan: z.string().nullable(),
    maxRemovals: z.number().int().nullable(),
    stopAfterFailures: z.number().int(),
  }),
  summary: z.object({
    images: z.number().int(),
    candidates: z.number().int(),
    kept: z.number().int(),
    reclaimableBytes: z.number().int(),
    removed: z.number().int(),
    alreadyGone: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    deferred: z.number().int(),
    notAttempted: z.number().int(),
    removedBytes: z.number().int(),
    /**
     * Drop of the image filesystem's used bytes (ImageFsInfo) between the reading before the removals
     * and a reading collected after them; other activity on the node in between counts too. Null when
     * no fresh reading came (see `execution.fsAfterFresh`).
     */
    fsReclaimedBytes: z.number().int().nullable(),
  }),
  images: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      repoTags: z.array(z.string()),
      repoDigests: z.array(z.string()),
      targetDigests: z.array(z.string()),
      sizeBytes: z.number().int(),
      pinned: z.boolean(),
      createdAt: z.string().nullable(),
      decision: z.enum(['remove', 'keep']),
      reasons: z.array(ReasonRecord),
      usedBy: z.array(z.string()),
      result: z.enum(AUDIT_RESULTS),
      error: z.string().optional(),
      warning: z.string().optional(),
    }),
  ),
  execution: z
    .object({
      startedAt: z.string(),
      finishedAt: z.string(),
      stopped: z.string().nullable(),
      fsBefore: z.array(FsUsage).nullable(),
      fsAfter: z.array(FsUsage).nullable(),
      fsAfterFresh: z.boolean(),
    })
    .nullable(),
  audit: z.array(AuditRecord),
  issues: z.array(IssueRecord),
});
export type CleanupReport = z.infer<typeof CleanupReport>;
