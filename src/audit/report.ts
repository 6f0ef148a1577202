/**
 * A ScanReport (the shape every report format renders) of the detections in audit logs: `summary.events` says
 * how many events were read, and the cluster counts are 0. Detections are ordered by time, then severity:
 * a log is read as a timeline.
 */
import type { Finding } from '../core/finding.js';
import type { SourceInfo } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import { detachedReport, type ScanReport } from '../core/report.js';
import { compareSeverity } from '../core/severity.js';
import { VERSION } from '../version.js';

export function auditReport(findings: readonly Finding[], issues: readonly Issue[], source: SourceInfo, now: Date, events: number): ScanReport {
  const time = (f: Finding): string => (typeof f.evidence['time'] === 'string' ? f.evidence['time'] : '');
  const sorted = [...findings].sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : 0) || compareSeverity(a.severity, b.severity));
  return detachedReport(sorted, issues, source, now, VERSION, { events });
}
