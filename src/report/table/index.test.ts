import { describe, expect, it } from 'vitest';
import { foundationReport as sampleReport, hardeningReport } from '../../../test/policy-report.js';
import { VERSION } from '../../version.js';
import { renderTable } from './index.js';

describe('table report', () => {
  it('groups findings by workload and node, worst first, with remediation lines', () => {
    const text = renderTable(sampleReport(), { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe(`runwarden ${VERSION} — snapshot test`);
    expect(lines[1]).toBe('1 nodes, 1 namespaces, 1 workloads, 2 pods, 2 containers, 1 images');
    expect(lines).toContain('shop / Deployment cart');
    expect(lines).toContain('node n1  1 unused image(s), 3.0 MiB reclaimable');
    expect(lines.indexOf('shop / Deployment cart')).toBeLessThan(lines.indexOf('node n1  1 unused image(s), 3.0 MiB reclaimable'));
    expect(text).toContain('  LOW      stale-image     Unused image ghcr.io/acme/old:1 cached on node n1 (3.0 MiB)\n');
    expect(text).toContain('→ Remove it from the node\'s image cache');
    expect(text).toContain('Findings: 3 (2 medium, 1 low)');
    expect(text).toContain('Issues: 1 (parts of the inventory that could not be read or evaluated)\n  ! Forbidden: list services cluster-wide — Apply deploy/clusterrole.yaml.');
    expect(text).not.toContain('\x1b[');
  });

  it('colours severities when asked', () => {
    expect(renderTable(sampleReport(), { color: true })).toContain('\x1b[');
  });

  it('says so when there is nothing to report', () => {
    const report = { ...sampleReport(), findings: [], issues: [] };
    expect(renderTable(report, { color: false })).toContain('No findings.');
  });
});

describe('table report: exceptions and locations', () => {
  const text = renderTable(hardeningReport(), { color: false });

  it('counts suppressed findings instead of listing them', () => {
    expect(text).not.toContain('privileged-container');
    expect(text).toContain('Findings: 1 (1 critical)');
    expect(text).toContain('Suppressed: 1 finding(s) accepted by exceptions (listed with their reasons in --format json)');
  });

  it('shows the file and line of a located finding under its title', () => {
    expect(text).toContain('at k8s/logs.yaml:12 (spec.template.spec.volumes[0].hostPath.path)');
  });
});
