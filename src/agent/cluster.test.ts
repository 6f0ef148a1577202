import { describe, expect, it } from 'vitest';
import { inventoryOf, node, pod } from '../../test/k8s.js';
import { RESOURCE_KINDS } from '../core/inventory.js';
import type { NodeSummary } from '../core/report.js';
import { ConfigMap } from '../inventory/schema.js';
import type { NodeReportObjects } from '../inventory/source.js';
import { nodeAgentsSummary } from './cluster.js';
import { nodeReportConfigMap } from './configmap.js';
import { encodeNodeReport } from './summary.js';
import { sampleReport } from './testdata/reports.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const LIST = 'https://10.0.0.1:6443/api/v1/namespaces/runwarden-node/configmaps';

function agentPod(nodeName: string): Record<string, unknown> {
  const p = pod(`runwarden-node-agent-${nodeName}`, { ns: 'runwarden-node', node: nodeName, owner: ['DaemonSet', 'runwarden-node-agent'], containers: [{ name: 'agent', image: 'registry.example.com/runwarden:0.1.0' }] });
  (p.metadata as Record<string, unknown>).labels = { 'app.kubernetes.io/name': 'runwarden', 'app.kubernetes.io/component': 'node-agent' };
  return p;
}

const objects = (configMaps: ConfigMap[], extra: Partial<NodeReportObjects> = {}): NodeReportObjects => {
  const origins = new WeakMap<object, string>();
  for (const cm of configMaps) origins.set(cm, `${LIST} (runwarden-node/${cm.metadata.name})`);
  return { location: LIST, status: 'read', configMaps, origins, ...extra };
};
const cmOf = (nodeName: string, publishedAt: string, options: { apply?: boolean; intervalHours?: number } = {}): ConfigMap => ConfigMap.parse(nodeReportConfigMap(nodeName, encodeNodeReport(sampleReport(nodeName, publishedAt, options)).text, 'runwarden-node'));
const caches: NodeSummary[] = [
  { name: 'worker-a', cachedImages: 4, cachedBytes: 370_300_000, staleImages: 2, reclaimableBytes: 320_000_000 },
  { name: 'worker-b', cachedImages: 3, cachedBytes: 70_000_000, staleImages: 0, reclaimableBytes: 0 },
  { name: 'worker-c', cachedImages: 1, cachedBytes: 1_000, staleImages: 0, reclaimableBytes: 0 },
];
const cluster = inventoryOf([node('worker-a', []), node('worker-b', []), node('worker-c', []), agentPod('worker-a'), agentPod('worker-b')]);

describe('nodeAgentsSummary', () => {
  it('shows each node\u2019s status.images plan next to its fresh agent report; an agent without a report is an issue', () => {
    const { summary, issues } = nodeAgentsSummary(cluster, caches, objects([cmOf('worker-a', '2026-11-28T09:30:00.000Z', { apply: true })]), { now: NOW });
    expect(summary?.staleAfterHours).toBe(48);
    expect(summary?.nodes.map((n) => [n.node, n.report, n.agentPod])).toEqual([
      ['worker-a', 'fresh', true],
      ['worker-b', 'absent', true],
      ['worker-c', 'none', false],
    ]);
    const a = summary?.nodes[0];
    expect(a?.statusImages).toEqual({ cachedImages: 4, cachedBytes: 370_300_000, staleImages: 2, reclaimableBytes: 320_000_000 });
    expect(a?.agent).toEqual({
      configMap: 'runwarden-node/runwarden-node-worker-a',
      publishedAt: '2026-11-28T09:30:00.000Z',
      ageHours: 2.5,
      run: 'run-worker-a',
      mode: 'apply',
      runtime: 'containerd 1.7.22',
      images: 4,
      imageBytes: 370_300_000,
      unusedImages: 3,
      containers: 1,
      candidates: 2,
      reclaimableBytes: 320_000_000,
      removed: 2,
      removedBytes: 320_000_000,
      failed: 0,
      skipped: 0,
      fsReclaimedBytes: 300_000_000,
      imageFsUsedBytes: 600_000_000,
      topCandidates: [
        { name: 'quay.io/shop/old-api:1', sizeBytes: 300_000_000, result: 'removed' },
        { name: 'docker.io/library/busybox:1.36', sizeBytes: 20_000_000, result: 'removed' },
      ],
      issues: 0,
    });
    expect(issues).toEqual([
      {
        code: 'node-report-absent',
        message: 'A runwarden node agent pod runs on node worker-b, but it has published no report',
        location: LIST,
        hint: 'Check that the agent runs with --publish-report and may write ConfigMaps (the Role in deploy/node-agent/rbac.yaml), and its logs.',
      },
    ]);
  });

  it('flags a report older than 48 h as stale, naming its age and what to check', () => {
    const { summary, issues } = nodeAgentsSummary(cluster, caches, objects([cmOf('worker-a', '2026-11-25T08:00:00.000Z'), cmOf('worker-b', '2026-11-28T11:00:00.000Z')]), { now: NOW });
    expect(summary?.nodes.map((n) => [n.node, n.report, n.agent === null ? '-' : n.agent.removed])).toEqual([
      ['worker-a', 'stale', null],
      ['worker-b', 'fresh', null],
      ['worker-c', 'none', '-'],
    ]);
    expect(issues).toEqual([
      {
        code: 'node-report-stale',
        message: "The node agent's report for node worker-a is 3d 4h old (published 2026-11-25T08:00:00.000Z, stale after 2d 0h); its figures may no longer hold",
        location: `${LIST} (runwarden-node/runwarden-node-worker-a)`,
        hint: 'The agent pod on worker-a runs but has not published since: check its logs ("kubectl -n runwarden-node logs" on the runwarden-node-agent pod of that node).',
      },
    ]);
  });

  it('gives an agent with a long --interval twice its interval, and honours a fixed threshold', () => {
    const weekly = objects([cmOf('worker-a', '2026-11-25T08:00:00.000Z', { intervalHours: 7 * 24 })]);
    const relaxed = nodeAgentsSummary(cluster, caches, weekly, { now: NOW });
    expect(relaxed.summary?.nodes[0]?.report).toBe('fresh');
    expect(relaxed.summary?.staleAfterHours).toBe(336);
    const strict = nodeAgentsSummary(cluster, caches, weekly, { now: NOW, staleAfterMs: 6 * 3_600_000 });
    expect(strict.summary?.nodes[0]?.report).toBe('stale');
    expect(strict.summary?.staleAfterHours).toBe(6);
  });

  it('marks a malformed report and a report of a deleted node, each with an issue', () => {
    const broken = ConfigMap.parse({ kind: 'ConfigMap', metadata: { name: 'runwarden-node-worker-b', namespace: 'runwarden-node' }, data: { 'report.json': 'not json' } });
    const { summary, issues } = nodeAgentsSummary(cluster, caches, objects([broken, cmOf('worker-gone', '2026-11-28T11:00:00.000Z')]), { now: NOW });
    expect(summary?.nodes.map((n) => [n.node, n.report, n.statusImages === null])).toEqual([
      ['worker-a', 'absent', false],
      ['worker-b', 'malformed', false],
      ['worker-c', 'none', false],
      ['worker-gone', 'fresh', true],
    ]);
    expect(issues.map((i) => i.code)).toEqual(['node-report-malformed', 'node-report-absent', 'node-report-unknown-node']);
    expect(issues[2]?.message).toBe("ConfigMap runwarden-node/runwarden-node-worker-gone reports node worker-gone, which the cluster does not have (a deleted node's report stays behind)");
    expect(issues[2]?.hint).toBe('Delete it: kubectl -n runwarden-node delete configmap runwarden-node-worker-gone');
  });

  it('says nothing without agents and without reports, even when the reports could not be listed', () => {
    const plain = inventoryOf([node('worker-a', []), pod('web', { ns: 'shop', node: 'worker-a', containers: [{ name: 'web', image: 'nginx' }] })]);
    const forbidden = { code: 'node-report-forbidden', message: 'Cannot read the node agents\u2019 reports: …' };
    expect(nodeAgentsSummary(plain, caches, objects([]), { now: NOW })).toEqual({ summary: undefined, issues: [] });
    expect(nodeAgentsSummary(plain, caches, objects([], { status: 'unreadable', issue: forbidden }), { now: NOW })).toEqual({ summary: undefined, issues: [] });
    expect(nodeAgentsSummary(plain, caches, undefined, { now: NOW })).toEqual({ summary: undefined, issues: [] });
  });

  it('reports an unreadable list where agents run, and does not call their reports absent', () => {
    const forbidden = { code: 'node-report-forbidden', message: 'Cannot read the node agents\u2019 reports: …' };
    const { summary, issues } = nodeAgentsSummary(cluster, caches, objects([], { status: 'unreadable', issue: forbidden }), { now: NOW });
    expect(summary?.status).toBe('unreadable');
    expect(summary?.nodes.map((n) => n.report)).toEqual(['unreadable', 'unreadable', 'none']);
    expect(issues).toEqual([forbidden]);
  });

  it('does not call reports absent when not every pod was read', () => {
    const partial = inventoryOf([node('worker-a', []), agentPod('worker-a')], { complete: RESOURCE_KINDS.filter((k) => k !== 'Pod') });
    const { summary, issues } = nodeAgentsSummary(partial, caches, objects([]), { now: NOW });
    expect(summary?.nodes.map((n) => n.report)).toEqual(['absent']);
    expect(issues).toEqual([]);
  });
});
