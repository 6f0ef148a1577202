/**
 * Node agents' report ConfigMaps in a snapshot (`kubectl get cm -n runwarden-node -l
 * app.kubernetes.io/component=node-report -o json`), read by the snapshot source and shown by
 * `runwarden scan --snapshot` next to the plan from status.images.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../../test/cli.js';
import { node, pod } from '../../../../test/k8s.js';
import { nodeReportConfigMap } from '../../../agent/configmap.js';
import { encodeNodeReport } from '../../../agent/summary.js';
import { sampleReport } from '../../../agent/testdata/reports.js';
import { ScanReportJson } from '../../../report/json/schema.js';
import { loadSnapshot } from './index.js';

function agentPod(nodeName: string): Record<string, unknown> {
  const p = pod(`runwarden-node-agent-${nodeName}`, { ns: 'runwarden-node', node: nodeName, containers: [{ name: 'agent', image: 'registry.example.com/runwarden:0.1.0' }] });
  (p.metadata as Record<string, unknown>).labels = { 'app.kubernetes.io/name': 'runwarden', 'app.kubernetes.io/component': 'node-agent' };
  return p;
}

const report = (nodeName: string, publishedAt: string): Record<string, unknown> => nodeReportConfigMap(nodeName, encodeNodeReport(sampleReport(nodeName, publishedAt, { apply: true })).text, 'runwarden-node');

function snapshot(): string {
  const root = mkdtempSync(join(tmpdir(), 'rw-snap-agents-'));
  const images = [
    { names: ['quay.io/shop/web@sha256:' + '1'.repeat(64), 'quay.io/shop/web:2'], sizeBytes: 50_000_000 },
    { names: ['quay.io/shop/old-api:1'], sizeBytes: 300_000_000 },
  ];
  const nodes = ['worker-a', 'worker-b', 'worker-c', 'worker-d'].map((n) => node(n, images));
  const pods = [
    pod('web-0', { ns: 'shop', node: 'worker-a', containers: [{ name: 'web', image: 'quay.io/shop/web:2', imageID: 'quay.io/shop/web@sha256:' + '1'.repeat(64) }] }),
    ...['worker-a', 'worker-b', 'worker-c', 'worker-d'].map(agentPod),
  ];
  writeFileSync(join(root, 'cluster.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...nodes, ...pods] }));
  const other = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'runwarden-node-agent', namespace: 'runwarden-node' }, data: { 'exclude.txt': 'registry.k8s.io/*' } };
  const broken = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'runwarden-node-worker-c', namespace: 'runwarden-node', labels: (report('worker-c', '2026-11-28T11:00:00.000Z').metadata as { labels: unknown }).labels }, data: { 'report.json': '{"schemaVersion":1' } };
  writeFileSync(
    join(root, 'reports.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', items: [report('worker-a', '2026-11-28T10:00:00.000Z'), report('worker-b', '2026-11-20T10:00:00.000Z'), broken, other] }, null, 2),
  );
  return root;
}

describe('node reports in a snapshot', () => {
  it('takes the labelled ConfigMaps of a ConfigMapList as node reports and ignores the others', async () => {
    const root = snapshot();
    const result = await loadSnapshot({ path: root });
    expect(result.nodeReports?.status).toBe('read');
    expect(result.nodeReports?.location).toBe(root);
    expect(result.nodeReports?.configMaps.map((c) => c.metadata.name)).toEqual(['runwarden-node-worker-a', 'runwarden-node-worker-b', 'runwarden-node-worker-c']);
    expect(result.nodeReports?.origins.get(result.nodeReports.configMaps[1] as object)).toBe(`${join(root, 'reports.json')} $.items[1]`);
    expect(result.issues.map((i) => i.message)).toEqual(['Ignored 1 object(s) of kind ConfigMap: not part of the inventory']);
  });

  it('has no node reports when the snapshot holds none', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rw-snap-agents-'));
    writeFileSync(join(root, 'nodes.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [node('worker-a', [])] }));
    expect((await loadSnapshot({ path: root })).nodeReports).toBeUndefined();
  });

  it('runwarden scan --snapshot shows each node\u2019s plan next to its agent report, with stale, malformed and absent reports as issues', async () => {
    const root = snapshot();
    const run = await cli(['scan', '--snapshot', root, '--format', 'json', '--now', '2026-11-28T12:00:00Z']);
    expect(run.stderr).toBe('');
    const report = ScanReportJson.parse(JSON.parse(run.stdout));
    expect(report.nodeAgents?.nodes.map((n) => [n.node, n.report, n.statusImages?.staleImages, n.agent?.candidates ?? null])).toEqual([
      ['worker-a', 'fresh', 1, 2],
      ['worker-b', 'stale', 2, 2],
      ['worker-c', 'malformed', 2, null],
      ['worker-d', 'absent', 2, null],
    ]);
    expect(report.issues.filter((i) => i.code.startsWith('node-report')).map((i) => [i.code, i.message])).toEqual([
      ['node-report-malformed', expect.stringMatching(/^Node report ConfigMap runwarden-node\/runwarden-node-worker-c holds invalid JSON in "report.json" \(.+\); it was ignored$/) as unknown],
      ['node-report-stale', "The node agent's report for node worker-b is 8d 2h old (published 2026-11-20T10:00:00.000Z, stale after 2d 0h); its figures may no longer hold"],
      ['node-report-absent', 'A runwarden node agent pod runs on node worker-d, but it has published no report'],
    ]);
    expect(report.summary.issues).toBe(report.issues.length);

    const table = await cli(['scan', '--snapshot', root, '--now', '2026-11-28T12:00:00Z']);
    const lines = table.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Node agents:'));
    expect(lines.slice(at, at + 5)).toEqual([
      `Node agents: status.images plan vs. agent reports (${root}; stale after 48 h)`,
      '  worker-a  status.images 1/2 unused, 286.1 MiB · agent 2 h ago: 2/4 to remove, 305.2 MiB; removed 2 (305.2 MiB)',
      '  worker-b  status.images 2/2 unused, 333.8 MiB · agent 194 h ago: 2/4 to remove, 305.2 MiB; removed 2 (305.2 MiB) (stale)',
      '  worker-c  status.images 2/2 unused, 333.8 MiB · report unreadable (malformed)',
      '  worker-d  status.images 2/2 unused, 333.8 MiB · agent pod runs, no report',
    ]);
  });
});
