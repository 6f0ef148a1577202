/**
 * `runwarden fix -f json`, schema version 1: what a program reading the plan may rely on. Consumers can validate with
 * `RemediationPlanJson.parse`. New optional fields keep version 1; anything else bumps it.
 */
import { z } from 'zod';
import { SEVERITIES } from '../core/severity.js';
import { IssueJson } from '../report/json/schema.js';
import { CHANGE_KINDS } from './targets.js';

const Severity = z.enum(SEVERITIES);
const Workload = z.strictObject({ kind: z.string(), namespace: z.string(), name: z.string() });
const Target = z.strictObject({ type: z.enum(['vulnerability', 'end-of-life', 'digest-drift', 'newer-tag']), what: z.string(), severity: Severity.optional() });
const count = z.number().int().nonnegative();

export const ContainerRemediationJson = z.strictObject({
  container: z.string(),
  image: z.string(),
  outcome: z.enum(['fixed', 'partial', 'unresolved']),
  from: z.string().optional(),
  path: z.string().startsWith('/').optional(),
  to: z.string().optional(),
  change: z.enum(CHANGE_KINDS).optional(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/).optional(),
  scanned: z.boolean(),
  fixes: z.array(Target),
  remaining: z.array(Target),
  introduced: z.array(z.string()),
  note: z.string().optional(),
  noPatch: z.string().optional(),
  considered: z.array(z.strictObject({ image: z.string(), change: z.enum(CHANGE_KINDS), result: z.string() })),
});

export const RemediationPlanJson = z.strictObject({
  schemaVersion: z.literal(1),
  generatedAt: z.iso.datetime(),
  source: z.strictObject({ type: z.string(), location: z.string(), context: z.string().optional() }),
  severity: Severity,
  summary: z.strictObject({ workloads: count, containers: count, fixed: count, partial: count, unresolved: count, patches: count, candidatesScanned: count }),
  workloads: z.array(
    z.strictObject({
      workload: Workload,
      apiPath: z.string().startsWith('/').optional(),
      containers: z.array(ContainerRemediationJson),
      /** RFC 6902: a `test` of each image, then its `replace`. */
      patch: z.array(z.strictObject({ op: z.enum(['test', 'replace']), path: z.string().startsWith('/'), value: z.string() })).optional(),
      kubectl: z.string().optional(),
      note: z.string().optional(),
      rollout: z.string().optional(),
      managedBy: z.strictObject({ tool: z.enum(['argo-cd', 'flux', 'helm']), owner: z.string(), note: z.string() }).optional(),
    }),
  ),
  issues: z.array(IssueJson),
  manifests: z
    .strictObject({
      files: z.array(z.string()),
      changes: z.array(z.strictObject({ workload: Workload, container: z.string(), file: z.string(), line: z.number().int().positive(), from: z.string(), to: z.string() })),
      notChanged: z.array(z.strictObject({ workload: Workload, container: z.string(), reason: z.string() })),
    })
    .optional(),
});
export type RemediationPlanJson = z.infer<typeof RemediationPlanJson>;
