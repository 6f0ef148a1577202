/**
 * The JSON report, schema version 1.x. Consumers can validate with `ScanReportJson.parse`.
 * Additive changes (new optional fields, new rules) keep 1.x; anything else bumps the major.
 */
import { z } from 'zod';
import { FINDING_KINDS, SUBJECT_TYPES } from '../../core/finding.js';
import { SEVERITIES } from '../../core/severity.js';
import { LifecycleSectionJson } from '../../lifecycle/scan.js';

const Severity = z.enum(SEVERITIES);
const Kind = z.enum(FINDING_KINDS);

export const FindingJson = z.strictObject({
  id: z.string().regex(/^[a-f0-9]{16}$/),
  rule: z.string().min(1),
  kind: Kind,
  severity: Severity,
  title: z.string(),
  subject: z.strictObject({
    type: z.enum(SUBJECT_TYPES),
    namespace: z.string().optional(),
    workload: z.strictObject({ kind: z.string(), name: z.string() }).optional(),
    pod: z.string().optional(),
    container: z.string().optional(),
    node: z.string().optional(),
    image: z.string().optional(),
  }),
  evidence: z.record(z.string(), z.unknown()),
  remediation: z.string(),
  /** 1.x additive: the exception that accepts this finding (not counted in the summary). */
  suppression: z
    .strictObject({ kind: z.enum(['annotation', 'config', 'vex']), reason: z.string().min(1), source: z.string(), expires: z.iso.date().optional() })
    .optional(),
  /** 1.x additive: file and line of the offending field (`runwarden check`). */
  location: z.strictObject({ file: z.string(), line: z.number().int().positive().optional(), column: z.number().int().positive().optional(), field: z.string().optional() }).optional(),
});

export const IssueJson = z.strictObject({
  code: z.string(),
  message: z.string(),
  location: z.string().optional(),
  hint: z.string().optional(),
});

const count = z.number().int().nonnegative();

export const NodeAgentsJson = z.strictObject({
  schemaVersion: z.literal(1),
  location: z.string(),
  status: z.enum(['read', 'unreadable']),
  staleAfterHours: z.number().positive(),
  nodes: z.array(
    z.strictObject({
      node: z.string(),
      statusImages: z.strictObject({ cachedImages: count, cachedBytes: count, staleImages: count, reclaimableBytes: count }).nullable(),
      agentPod: z.boolean(),
      report: z.enum(['fresh', 'stale', 'absent', 'malformed', 'unreadable', 'none']),
      agent: z
        .strictObject({
          configMap: z.string(),
          publishedAt: z.iso.datetime(),
          ageHours: z.number().nonnegative(),
          run: z.string(),
          mode: z.enum(['dry-run', 'apply']),
          runtime: z.string(),
          images: count,
          imageBytes: count,
          unusedImages: count,
          containers: count,
          candidates: count,
          reclaimableBytes: count,
          removed: count.nullable(),
          removedBytes: count.nullable(),
          failed: count.nullable(),
          skipped: count.nullable(),
          fsReclaimedBytes: z.number().int().nullable(),
          imageFsUsedBytes: count.nullable(),
          topCandidates: z.array(z.strictObject({ name: z.string(), sizeBytes: count, result: z.string() })),
          issues: count,
        })
        .nullable(),
    }),
  ),
});

export const ScanReportJson = z.strictObject({
  schemaVersion: z.string().regex(/^1\.\d+$/),
  tool: z.strictObject({ name: z.literal('runwarden'), version: z.string() }),
  generatedAt: z.iso.datetime(),
  source: z.strictObject({ type: z.enum(['kubernetes', 'snapshot', 'demo', 'manifests', 'sbom', 'image', 'audit-log']), location: z.string(), context: z.string().optional() }),
  summary: z.strictObject({
    nodes: z.number().int(),
    namespaces: z.number().int(),
    workloads: z.number().int(),
    pods: z.number().int(),
    containers: z.number().int(),
    images: z.number().int(),
    packages: z.number().int().optional(),
    events: z.number().int().optional(),
    findings: z.number().int(),
    bySeverity: z.record(Severity, z.number().int()),
    // partial: a kind added in 1.x (detection) is absent from the reports written before it (parseReport fills in 0)
    byKind: z.partialRecord(Kind, z.number().int()),
    byRule: z.record(z.string(), z.number().int()),
    reclaimableBytes: z.number().int(),
    nodeCaches: z.array(
      z.strictObject({ name: z.string(), cachedImages: z.number().int(), cachedBytes: z.number().int(), staleImages: z.number().int(), reclaimableBytes: z.number().int() }),
    ),
    issues: z.number().int(),
  }),
  findings: z.array(FindingJson),
  issues: z.array(IssueJson),
  /** 1.x additive: per node, the status.images plan next to the node agent's report (src/agent/). */
  nodeAgents: NodeAgentsJson.optional(),
  /** 1.x additive: one freshness verdict per running container (src/lifecycle). */
  lifecycle: LifecycleSectionJson.optional(),
  /** 1.x additive: each running image the scan looked for (core/report.ts ImageSummary). */
  images: z
    .array(
      z.strictObject({
        digest: z.string().min(1),
        references: z.array(z.string()),
        status: z.enum(['scanned', 'unread']),
        from: z.string().optional(),
        contributors: z.array(z.string()),
        complete: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type ScanReportJson = z.infer<typeof ScanReportJson>;
