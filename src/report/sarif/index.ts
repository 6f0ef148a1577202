/**
 * SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/). One rule per check with
 * `security-severity` (the GitHub code-scanning convention), one result per finding with a logical
 * location for the Kubernetes subject and a physical location when the object came from a file.
 */
import { subjectPath, type Finding } from '../../core/finding.js';
import type { ScanReport } from '../../core/report.js';
import type { Severity } from '../../core/severity.js';
import { CHECKS } from '../../policy/registry.js';
import type { ReportFormat } from '../format.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note' | 'none'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
  unknown: 'warning',
};
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0', unknown: '5.0' };

export const sarifFormat: ReportFormat = {
  id: 'sarif',
  description: 'SARIF 2.1.0 for code-scanning dashboards',
  extension: 'sarif',
  render: (report) => `${JSON.stringify(toSarif(report), null, 2)}\n`,
};

export function toSarif(report: ScanReport): Record<string, unknown> {
  const ruleIds = [...new Set([...CHECKS.map((c) => c.id), ...report.findings.map((f) => f.rule)])];
  const rules = ruleIds.map((id) => {
    const check = CHECKS.find((c) => c.id === id);
    return {
      id,
      name: id.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase()),
      shortDescription: { text: check?.title ?? id },
      fullDescription: { text: check?.description ?? id },
      help: { text: check?.description ?? id },
      defaultConfiguration: { level: LEVEL[check?.severity ?? 'unknown'] },
      properties: { 'security-severity': SECURITY_SEVERITY[check?.severity ?? 'unknown'], tags: ['security', check?.kind ?? 'other'] },
    };
  });
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'runwarden', version: report.tool.version, semanticVersion: report.tool.version, informationUri: 'https://github.com/runwarden/runwarden', rules } },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.issues.map((i) => ({ level: 'warning', message: { text: i.message }, descriptor: { id: i.code } })),
          },
        ],
        results: report.findings.map((f) => result(f, index.get(f.rule) ?? 0)),
        properties: { source: report.source, summary: { findings: report.summary.findings, bySeverity: report.summary.bySeverity } },
      },
    ],
  };
}

function result(f: Finding, ruleIndex: number): Record<string, unknown> {
  const path = subjectPath(f.subject);
  return {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.title}. ${f.remediation}` },
    locations: [{ logicalLocations: [{ fullyQualifiedName: path, kind: f.subject.type === 'container' ? 'member' : 'resource' }] }],
    partialFingerprints: { 'runwarden/v1': f.id },
    properties: { severity: f.severity, kind: f.kind, 'security-severity': SECURITY_SEVERITY[f.severity], evidence: f.evidence },
  };
}
