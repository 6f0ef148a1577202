/**
 * SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/). One rule per check with
 * `security-severity` (the GitHub code-scanning convention) and the rule's CIS / NSA-CISA / PSS
 * mappings, one result per finding with a logical location for the Kubernetes subject, a physical
 * location (file + startLine) when the finding points into a manifest, and SARIF `suppressions`
 * for findings an exception accepts (code-scanning UIs show them as dismissed, with the reason).
 */
import { subjectPath, type Finding } from '../../core/finding.js';
import type { ScanReport } from '../../core/report.js';
import type { Severity } from '../../core/severity.js';
import type { Check } from '../../policy/check.js';
import { CHECKS } from '../../policy/registry.js';
import type { ReportFormat } from '../format.js';
import { jsonChunks, jsonText } from '../json-text.js';

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
  mediaType: 'application/sarif+json; charset=utf-8',
  render: (report) => jsonText(toSarif(report)),
  chunks: (report) => jsonChunks(toSarif(report)),
};

/** Rules that are not policy checks (findings of the per-image contributors: vulnerabilities, malware). */
const OTHER_RULES: readonly Check[] = [
  {
    id: 'vulnerable-package',
    kind: 'vulnerability',
    title: 'Package with a known vulnerability in a running image',
    severity: 'unknown',
    description: 'A package in the image a container runs is inside the affected range of an advisory in the local vulnerability database (OSV, Debian Security Tracker, Alpine secdb). The finding lists every alias, the installed and fixed versions, and why it matched.',
    remediation: 'Rebuild or update the image with the fixed version of the package, then roll the workload out.',
    mappings: { cis: [], nsa: [], pss: [] },
    run: () => ({ findings: [], issues: [] }),
  },
  {
    id: 'malware',
    kind: 'malware',
    title: 'Malware in a running image',
    severity: 'critical',
    description: 'A file in a layer of the image a container runs matches a malware signature (ClamAV hash, body or logical signature, the EICAR test file, or clamd). A file deleted by a later layer is still in the image and still reported.',
    remediation: 'Stop the workload, rebuild the image from a clean base and sources, and investigate how the file got in (build step and layer in the evidence).',
    mappings: { cis: [], nsa: [], pss: [] },
    run: () => ({ findings: [], issues: [] }),
  },
  ...lifecycleRules(),
];

/** The lifecycle rules (src/lifecycle): end of life and freshness of images, node hygiene. */
function lifecycleRules(): Check[] {
  const rule = (id: string, kind: Check['kind'], severity: Check['severity'], title: string, description: string, remediation: string): Check => ({ id, kind, title, severity, description, remediation, mappings: { cis: [], nsa: [], pss: [] }, run: () => ({ findings: [], issues: [] }) });
  return [
    rule('end-of-life', 'end-of-life', 'high', 'Running software past (or near) its end of life', 'An OS, runtime or server detected in the running image (os-release, packages, image environment or reference) is past its end of life per endoflife.date, or reaches it within the look-ahead.', 'Move the image to a supported release cycle (the finding names the smallest step), rebuild and roll out.'),
    rule('control-plane-eol', 'node', 'high', 'Control plane past its end of life', 'The API server runs a Kubernetes minor release that no longer gets patches.', 'Upgrade the control plane to a supported release, then the node pools.'),
    rule('vendor-end-of-life', 'end-of-life', 'high', 'Image past the end-of-life date its vendor attached', 'A lifecycle referrer (application/vnd.microsoft.artifact.lifecycle) of the running digest sets an end-of-life date that has passed or is near.', 'Move to the image version the vendor supports, rebuild and roll out.'),
    rule('digest-drift', 'outdated', 'medium', 'Running digest differs from what the tag points to now', 'The tag the workload references has moved on in its registry: the containers run an older build.', 'Restart the workload (or pin and roll out the new digest) to run the current build.'),
    rule('newer-tag', 'outdated', 'low', 'Newer version tags exist', 'The registry holds newer patch, minor or major tags of the same suffix family.', 'Update to the newest patch of the release line you run.'),
    rule('image-age', 'outdated', 'low', 'Old image build', "The image config's created time is older than the configured maximum age.", 'Rebuild the image regularly so base-image fixes reach it.'),
    rule('node-kubelet-eol', 'node', 'high', 'Kubelet release past its end of life', 'The node runs a Kubernetes minor release that no longer gets patches.', 'Upgrade the node pool to a supported Kubernetes release.'),
    rule('node-version-skew', 'node', 'medium', 'Kubelet version skew beyond the supported policy', 'The kubelet is more minor versions behind the control plane than Kubernetes supports.', 'Upgrade the node pool to a minor release within the supported skew.'),
    rule('node-os-eol', 'node', 'high', 'Node OS past its end of life', "The node's OS image is past its end of life.", 'Upgrade the node image.'),
    rule('node-runtime-eol', 'node', 'high', 'Container runtime past its end of life', "The node's container runtime release is past its end of life.", 'Upgrade the node image or the runtime.'),
    rule('node-age', 'node', 'low', 'Node older than the maximum age', 'The node has not been replaced for longer than the configured maximum; nodes that are never recycled miss node-image fixes.', 'Roll the node pool (node image upgrade).'),
    rule('node-not-ready', 'node', 'high', 'Node not Ready', 'The node reports Ready=False or Unknown.', 'Investigate the kubelet and the node; drain and replace it.'),
    rule('node-pressure', 'node', 'medium', 'Node under memory, disk or PID pressure', 'The node reports a pressure condition, so the kubelet evicts pods.', 'Free resources on the node (e.g. "runwarden clean" for image caches) or resize the pool.'),
  ];
}

export function toSarif(report: ScanReport): Record<string, unknown> {
  const ruleIds = [...new Set([...CHECKS.map((c) => c.id), ...report.findings.map((f) => f.rule)])];
  const rules = ruleIds.map((id) => {
    const check = CHECKS.find((c) => c.id === id) ?? OTHER_RULES.find((c) => c.id === id);
    const mappings = check?.mappings ?? { cis: [], nsa: [], pss: [] };
    const tags = ['security', check?.kind ?? 'other', ...mappings.cis.map((c) => `CIS-${c}`), ...mappings.pss.map((p) => `PSS-${p}`)];
    return {
      id,
      name: id.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase()),
      shortDescription: { text: check?.title ?? id },
      fullDescription: { text: check?.description ?? id },
      help: { text: check === undefined ? id : `${check.description}\n\nRemediation: ${check.remediation}`, markdown: check === undefined ? id : helpMarkdown(check.description, check.remediation, mappings) },
      defaultConfiguration: { level: LEVEL[check?.severity ?? 'unknown'] },
      properties: {
        'security-severity': SECURITY_SEVERITY[check?.severity ?? 'unknown'],
        tags,
        mappings: { cis: [...mappings.cis], nsa: [...mappings.nsa], pss: [...mappings.pss] },
      },
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

function helpMarkdown(description: string, remediation: string, mappings: { cis: readonly string[]; nsa: readonly string[]; pss: readonly string[] }): string {
  const lines = [description, '', `**Remediation:** ${remediation}`];
  if (mappings.cis.length > 0) lines.push('', `**CIS Kubernetes Benchmark v1.9.0:** ${mappings.cis.join(', ')}`);
  if (mappings.nsa.length > 0) lines.push('', `**NSA/CISA Kubernetes Hardening Guide v1.2:** ${mappings.nsa.join('; ')}`);
  if (mappings.pss.length > 0) lines.push('', `**Pod Security Standards controls:** ${mappings.pss.join(', ')}`);
  return lines.join('\n');
}

function result(f: Finding, ruleIndex: number): Record<string, unknown> {
  const path = subjectPath(f.subject);
  const location: Record<string, unknown> = { logicalLocations: [{ fullyQualifiedName: path, kind: f.subject.type === 'container' ? 'member' : 'resource' }] };
  if (f.location !== undefined) {
    const region: Record<string, number> = {};
    if (f.location.line !== undefined) region.startLine = f.location.line;
    if (f.location.column !== undefined) region.startColumn = f.location.column;
    location.physicalLocation = { artifactLocation: { uri: f.location.file === '<stdin>' ? 'stdin' : f.location.file.split('\\').join('/') }, ...(Object.keys(region).length > 0 ? { region } : {}) };
  }
  return {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.title}. ${f.remediation}` },
    locations: [location],
    partialFingerprints: { 'runwarden/v1': f.id },
    ...(f.suppression === undefined
      ? {}
      : { suppressions: [{ kind: f.suppression.kind === 'annotation' ? 'inSource' : 'external', status: 'accepted', justification: `${f.suppression.reason} (${f.suppression.source})` }] }),
    properties: { severity: f.severity, kind: f.kind, 'security-severity': SECURITY_SEVERITY[f.severity], evidence: f.evidence },
  };
}
