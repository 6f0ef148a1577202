import { describe, expect, it } from 'vitest';
import { foundationReport as sampleReport, hardeningReport } from '../../../test/policy-report.js';
import { jsonFormat } from './index.js';
import { ScanReportJson } from './schema.js';

describe('json report', () => {
  it('renders a report that validates against the versioned schema', () => {
    const parsed = ScanReportJson.parse(JSON.parse(jsonFormat.render(sampleReport(), { color: false })));
    expect(parsed.schemaVersion).toBe('1.0');
    expect(parsed.findings.map((f) => f.rule)).toEqual(['mixed-versions', 'unpinned-image', 'stale-image']);
    expect(parsed.summary.bySeverity).toEqual({ critical: 0, high: 0, medium: 2, low: 1, info: 0, unknown: 0 });
    expect(parsed.summary.nodeCaches).toEqual([{ name: 'n1', cachedImages: 1, cachedBytes: 3145728, staleImages: 1, reclaimableBytes: 3145728 }]);
    expect(parsed.issues).toEqual([{ code: 'kube-forbidden', message: 'Forbidden: list services cluster-wide', hint: 'Apply deploy/clusterrole.yaml.' }]);
  });

  it('rejects a report with an unknown kind or severity', () => {
    const report = JSON.parse(jsonFormat.render(sampleReport(), { color: false })) as { findings: Array<Record<string, unknown>> };
    report.findings[0]!.severity = 'severe';
    expect(ScanReportJson.safeParse(report).success).toBe(false);
  });

  it('is byte-identical for the same input and time', () => {
    expect(jsonFormat.render(sampleReport(), { color: false })).toBe(jsonFormat.render(sampleReport(), { color: false }));
  });
});

describe('json report: exceptions and locations (schema 1.x additive)', () => {
  const parsed = ScanReportJson.parse(JSON.parse(jsonFormat.render(hardeningReport(), { color: false })));

  it('keeps a suppressed finding with its reason, out of the summary counts', () => {
    const agent = parsed.findings.find((f) => f.rule === 'privileged-container');
    expect(agent?.suppression).toEqual({ kind: 'annotation', reason: 'node agent, reviewed SEC-142', source: 'annotation runwarden.io/exempt on Deployment shop/agent' });
    expect(parsed.findings).toHaveLength(2);
    expect(parsed.summary.findings).toBe(1);
    expect(parsed.summary.byRule).toEqual({ 'host-path': 1 });
  });

  it('carries the file and line of a located finding and the rule mappings in the evidence', () => {
    const hostPath = parsed.findings.find((f) => f.rule === 'host-path');
    expect(hostPath?.location).toEqual({ file: 'k8s/logs.yaml', line: 12, column: 9, field: 'spec.template.spec.volumes[0].hostPath.path' });
    expect(hostPath?.evidence.mappings).toEqual({ cis: ['5.2.12'], nsa: ['Pod security: hardening container environments', 'Pod security: pod security enforcement'], pss: ['hostPathVolumes', 'restrictedVolumes'] });
  });

  it('rejects a suppression without a reason', () => {
    const raw = JSON.parse(jsonFormat.render(hardeningReport(), { color: false })) as { findings: Array<{ suppression?: { reason: string } }> };
    const suppressed = raw.findings.find((f) => f.suppression !== undefined);
    if (suppressed?.suppression !== undefined) suppressed.suppression.reason = '';
    expect(ScanReportJson.safeParse(raw).success).toBe(false);
  });
});
