import { describe, expect, it } from 'vitest';
import { ScanReportJson } from '../src/report/json/schema.js';
import { cli } from './cli.js';

const NOW = '2026-11-28T12:00:00Z';

describe('bundled demo environment (npm start)', async () => {
  const run = await cli(['scan', '--demo', '--format', 'json', '--now', NOW]);
  const report = ScanReportJson.parse(JSON.parse(run.stdout));

  it('exits 0 and validates against the JSON report schema', () => {
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(report.schemaVersion).toBe('1.0');
    expect(report.source).toEqual({ type: 'demo', location: 'demo/cluster' });
  });

  it('is a realistic cluster: ≥ 3 nodes, ≥ 25 pods, ≥ 6 namespaces, every workload kind', () => {
    expect(report.summary.nodes).toBe(3);
    expect(report.summary.pods).toBe(27);
    expect(report.summary.namespaces).toBe(8);
    expect(report.issues).toEqual([]);
  });

  it('exercises stale-image on every node with the reclaimable total', () => {
    const stale = report.findings.filter((f) => f.rule === 'stale-image');
    expect(stale).toHaveLength(12);
    expect(new Set(stale.map((f) => f.subject.node)).size).toBe(3);
    expect(report.summary.nodeCaches.every((n) => n.staleImages > 0 && n.reclaimableBytes > 0)).toBe(true);
    expect(report.summary.reclaimableBytes).toBe(report.summary.nodeCaches.reduce((s, n) => s + n.reclaimableBytes, 0));
    // the old cart build, cached only by digest after its tag moved
    expect(stale.some((f) => f.subject.image?.startsWith('ghcr.io/acme/cart@sha256:'))).toBe(true);
    // the sandbox image is on every node and never stale
    expect(stale.some((f) => f.subject.image?.includes('pause'))).toBe(false);
  });

  it('exercises unpinned-image on pods, an init container and a CronJob template with no pods', () => {
    const unpinned = report.findings.filter((f) => f.rule === 'unpinned-image').map((f) => `${f.subject.namespace}/${f.subject.workload?.name}/${f.subject.container}`);
    expect(unpinned.sort()).toEqual(['batch/db-backup/backup', 'batch/nightly-report/wait-for-db', 'default/debug-shell/shell', 'monitoring/grafana/grafana', 'payments/fraud-scorer/scorer', 'storefront/cart/cart']);
  });

  it('exercises mixed-versions on the cart Deployment', () => {
    const mixed = report.findings.filter((f) => f.rule === 'mixed-versions');
    expect(mixed.map((f) => f.subject.workload)).toEqual([{ kind: 'Deployment', name: 'cart' }]);
  });
});
