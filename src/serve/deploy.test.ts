/** deploy/serve: the manifests pass runwarden's own check with no high finding; the Grafana dashboard uses only metrics that exist. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../test/cli.js';
import { packageRoot } from '../paths.js';
import { ServeMetrics } from './metrics/index.js';

const DEPLOY = join(packageRoot(), 'deploy');

describe('deploy/serve', () => {
  it('passes runwarden check with no finding at or above high', async () => {
    const run = await cli(['check', join(DEPLOY, 'serve'), join(DEPLOY, 'clusterrole.yaml'), '--fail-on', 'high', '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { findings: Array<{ severity: string; rule: string }>; summary: { workloads: number } };
    expect(report.summary.workloads).toBe(1);
    expect(report.findings.filter((f) => f.severity === 'critical' || f.severity === 'high')).toEqual([]);
  });

  it('has a Grafana dashboard whose queries name only metrics the service exports', async () => {
    const dashboard = JSON.parse(await readFile(join(DEPLOY, 'serve', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/runwarden_[a-z_]+/g) ?? [])).map((m) => m.replace(/_(bucket|count|sum)$/, '')));
    const exported = new Set((await new ServeMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    expect([...used].filter((m) => !exported.has(m))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(10);
  });
});
