import { FINDING_KINDS, type Finding, type FindingKind } from './finding.js';
import type { SourceInfo } from './inventory.js';
import type { Issue } from './issue.js';
import { SEVERITIES, type Severity } from './severity.js';

/** Version of the JSON report format. Bump the major on any incompatible change. */
export const REPORT_SCHEMA_VERSION = '1.0';

export interface NodeSummary {
  name: string;
  cachedImages: number;
  cachedBytes: number;
  staleImages: number;
  /** Bytes freed by removing every stale image (node status sizes; layers shared with used images may free less). */
  reclaimableBytes: number;
}

export interface ReportSummary {
  nodes: number;
  namespaces: number;
  workloads: number;
  pods: number;
  containers: number;
  /** Distinct image references in container specs. */
  images: number;
  /** 1.x additive: packages matched, in the reports of `image scan` and `sbom match` (which have no cluster counts). */
  packages?: number | undefined;
  /** 1.x additive: audit events read, in the report of `audit detect` (which has no cluster counts). */
  events?: number | undefined;
  findings: number;
  bySeverity: Record<Severity, number>;
  byKind: Record<FindingKind, number>;
  byRule: Record<string, number>;
  reclaimableBytes: number;
  nodeCaches: NodeSummary[];
  issues: number;
}

/** Version of the `nodeAgents` section (1.x additive field of the JSON report). */
export const NODE_AGENTS_SCHEMA_VERSION = 1;

/**
 * Per node, the cleanup plan the scan computed from `Node.status.images` next to what the node
 * agent reported over CRI (`src/agent/`): the agent sees the whole cache and every container, the
 * API at most 50 images and only pods.
 */
export interface NodeAgentsSummary {
  schemaVersion: typeof NODE_AGENTS_SCHEMA_VERSION;
  /** Where the agents' reports were read (API list URL or snapshot path). */
  location: string;
  /** `unreadable`: the reports could not be listed (an issue says why). */
  status: 'read' | 'unreadable';
  /** Reports older than this are stale (the agents' interval doubled, at least 48 h, unless set). */
  staleAfterHours: number;
  nodes: NodeAgentRow[];
}

export type NodeReportState = 'fresh' | 'stale' | 'absent' | 'malformed' | 'unreadable' | 'none';

export interface NodeAgentRow {
  node: string;
  /** The scan's plan from `status.images` (stale-image); null for a report of a node not in the inventory. */
  statusImages: { cachedImages: number; cachedBytes: number; staleImages: number; reclaimableBytes: number } | null;
  /** A runwarden node agent pod is scheduled on the node. */
  agentPod: boolean;
  /** fresh/stale: a report was read; absent: an agent runs but published none; none: no agent, no report. */
  report: NodeReportState;
  agent: NodeAgentResult | null;
}

export interface NodeAgentResult {
  configMap: string;
  publishedAt: string;
  ageHours: number;
  run: string;
  mode: 'dry-run' | 'apply';
  runtime: string;
  images: number;
  imageBytes: number;
  unusedImages: number;
  containers: number;
  candidates: number;
  reclaimableBytes: number;
  /** Null in a dry run. */
  removed: number | null;
  removedBytes: number | null;
  failed: number | null;
  skipped: number | null;
  fsReclaimedBytes: number | null;
  imageFsUsedBytes: number | null;
  /** The largest candidates, as the agent listed them (name, size, result). */
  topCandidates: Array<{ name: string; sizeBytes: number; result: string }>;
  issues: number;
}

/** Version of the `lifecycle` section (1.x additive field of the JSON report). */
export const LIFECYCLE_SECTION_VERSION = 1;

export type LifecycleVerdict = 'fresh' | 'outdated' | 'end-of-life' | 'unknown';

/** One verdict per running container (src/lifecycle): why, and the smallest image change that fixes it. */
export interface ContainerLifecycleRow {
  namespace: string;
  pod: string;
  workload: { kind: string; name: string };
  container: string;
  image: string;
  digest: string | undefined;
  verdict: LifecycleVerdict;
  reasons: string[];
  fix: string | undefined;
}

export interface LifecycleSummary {
  schemaVersion: typeof LIFECYCLE_SECTION_VERSION;
  /** Where the end-of-life data came from and when it was fetched (`` for the bundled snapshot). */
  data: { source: string; fetchedAt: string };
  eolLookaheadDays: number;
  registry: 'consulted' | 'not-consulted';
  verdicts: Record<LifecycleVerdict, number>;
  containers: ContainerLifecycleRow[];
}

/** One running image as the scan saw it (`images`): whether it was read, and what looked at it. */
export interface ImageSummary {
  /** The digest the containers run (a manifest or, on a node, an image id). */
  digest: string;
  /** The image references the workload containers run it by, sorted. */
  references: string[];
  /** `scanned`: read, and every per-image contributor below ran on it; `unread`: not found or not readable (an issue says why), so nothing is known of its contents. */
  status: 'scanned' | 'unread';
  /** Where its packages came from: `sbom` or the locator that found it (`image-dir`, `containerd`, `registry`). */
  from?: string | undefined;
  /** The per-image contributors that ran on it (`vulnerabilities`, `malware`, `lifecycle`). */
  contributors: string[];
  /** false when a layer was rejected or not read to its end: its findings may be missing some. */
  complete?: boolean | undefined;
}

export interface ScanReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'runwarden'; version: string };
  generatedAt: string;
  source: SourceInfo;
  summary: ReportSummary;
  findings: Finding[];
  issues: Issue[];
  /** 1.x additive: the node agents' reports next to the status.images plan; absent when no agent is deployed. */
  nodeAgents?: NodeAgentsSummary | undefined;
  /** 1.x additive: one freshness verdict per running container (src/lifecycle). */
  lifecycle?: LifecycleSummary | undefined;
  /** 1.x additive: each running image the scan looked for, by digest (absent when images were not scanned). The admission webhook reads it to tell a clean image from an unscanned one. */
  images?: ImageSummary[] | undefined;
}

/**
 * A report of findings that came from something other than a cluster (an SBOM, one image, audit logs): the
 * cluster counts are 0, `counts` says what was read. Findings stay in the given order; the counts leave
 * suppressed findings out, as a scan's summary does (they stay in `findings`).
 */
export function detachedReport(findings: Finding[], issues: readonly Issue[], source: SourceInfo, now: Date, version: string, counts: { images?: number; packages?: number; events?: number }): ScanReport {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byKind = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  const byRule: Record<string, number> = {};
  let active = 0;
  for (const f of findings) {
    if (f.suppression !== undefined) continue;
    active++;
    bySeverity[f.severity]++;
    byKind[f.kind]++;
    byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  }
  const { images = 0, ...rest } = counts;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'runwarden', version },
    generatedAt: now.toISOString(),
    source,
    summary: { nodes: 0, namespaces: 0, workloads: 0, pods: 0, containers: 0, images, ...rest, findings: active, bySeverity, byKind, byRule, reclaimableBytes: 0, nodeCaches: [], issues: issues.length },
    findings,
    issues: [...issues],
  };
}
