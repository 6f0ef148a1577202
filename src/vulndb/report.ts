/**
 * A ScanReport (the shape every report format renders) for vulnerability findings of packages that came
 * from a document (`sbom match`) or one image (`image scan`) rather than a cluster: `summary.packages` says
 * how many were matched, and the cluster counts are 0. Counts leave suppressed (VEX) findings out, as the
 * scan's summary does; they stay in `findings`.
 */
import type { Finding } from '../core/finding.js';
import type { SourceInfo } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import { detachedReport, type ScanReport } from '../core/report.js';
import { compareSeverity } from '../core/severity.js';
import { VERSION } from '../version.js';

/** What was matched: the images (0 for an SBOM) and the packages. */
export interface MatchedCounts {
  images: number;
  packages: number;
}

export function vulnerabilityReport(findings: readonly Finding[], issues: readonly Issue[], source: SourceInfo, now: Date, counts: MatchedCounts): ScanReport {
  const sorted = [...findings].sort((a, b) => compareSeverity(a.severity, b.severity) || a.title.localeCompare(b.title));
  return detachedReport(sorted, issues, source, now, VERSION, counts);
}
