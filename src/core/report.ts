import type { Finding, FindingKind } from './finding.js';
import type { SourceInfo } from './inventory.js';
import type { Issue } from './issue.js';
import type { Severity } from './severity.js';

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
  findings: number;
  bySeverity: Record<Severity, number>;
  byKind: Record<FindingKind, number>;
  byRule: Record<string, number>;
  reclaimableBytes: number;
  nodeCaches: NodeSummary[];
  issues: number;
}

export interface ScanReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'runwarden'; version: string };
  generatedAt: string;
  source: SourceInfo;
  summary: ReportSummary;
  findings: Finding[];
  issues: Issue[];
}
