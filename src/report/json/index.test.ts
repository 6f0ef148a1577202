import { describe, expect, it } from 'vitest';
import { sampleReport } from '../../../test/report.js';
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
