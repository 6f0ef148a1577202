/**
 * A ScanReport (the shape every report format renders) for vulnerability findings of packages that came
 * from a document (`sbom match`) or one image (`image scan`) rather than a cluster: `summary.packages` says
 * how many were matched, and the cluster counts are 0. Counts leave suppressed (VEX) findings out, as the
 * scan's summary does; they stay in `findings`.
 */
import { FINDING_KINDS, type Finding, type FindingKind } from '../core/finding.js';
import type { SourceInfo } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import { REPORT_SCHEMA_VERSION, type ScanReport } from '../core/report.js';
import { SEVERITIES, compareSeverity, type Severity } from '../core/severity.js';
import { VERSION } from '../version.js';

/** What was matched: the images (0 for an SBOM) and the packages. */
export interface MatchedCounts {
  images: number;
  packages: number;
}

export function vulnerabilityReport(findings: readonly Finding[], issues: readonly Issue[], source: SourceInfo, now: Date, counts: MatchedCounts): ScanReport {
  const sorted = [...findings].sort((a, b) => compareSeverity(a.severity, b.severity) || a.title.localeCompare(b.title));
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byKind = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  const byRule: Record<string, number> = {};
  let active = 0;
  for (const f of sorted) {
    if (f.suppression !== undefined) continue;
    active++;
    bySeverity[f.severity]++;
    byKind[f.kind]++;
    byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'runwarden', version: VERSION },
    generatedAt: now.toISOString(),
    source,
    summary: { nodes: 0, namespaces: 0, workloads: 0, pods: 0, containers: 0, images: counts.images, packages: counts.packages, findings: active, bySeverity, byKind, byRule, reclaimableBytes: 0, nodeCaches: [], issues: issues.length },
    findings: sorted,
    issues: [...issues],
  };
}
