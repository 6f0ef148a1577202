import { describe, expect, it } from 'vitest';
import { ConfigMap, isNodeReportConfigMap } from '../inventory/schema.js';
import { decodeNodeReport, nodeReportConfigMap, nodeReportName } from './configmap.js';
import { encodeNodeReport } from './summary.js';
import { sampleReport } from './testdata/reports.js';

const report = sampleReport('worker-a', '2026-11-28T10:00:00.000Z');
const text = encodeNodeReport(report).text;

describe('nodeReportName', () => {
  it.each([
    ['worker-a', 'runwarden-node-worker-a'],
    ['ip-10-0-1-23.eu-west-1.compute.internal', 'runwarden-node-ip-10-0-1-23.eu-west-1.compute.internal'],
    ['Worker_A', 'runwarden-node-worker-a-1f4f4e0f0b'],
  ])('names the ConfigMap of node %s %s', (node, name) => {
    expect(nodeReportName(node).replace(/-[0-9a-f]{10}$/, '-1f4f4e0f0b')).toBe(name);
  });

  it('keeps names unique and within 253 characters for odd node names', () => {
    const long = `n${'x'.repeat(260)}`;
    expect(nodeReportName(long)).toHaveLength(253);
    expect(nodeReportName('Worker_A')).not.toBe(nodeReportName('worker_a'));
    expect(nodeReportName('Worker_A')).toMatch(/^runwarden-node-worker-a-[0-9a-f]{10}$/);
  });
});

describe('nodeReportConfigMap / decodeNodeReport', () => {
  it('round-trips: labelled, named after the node, the JSON under report.json', () => {
    const cm = nodeReportConfigMap('worker-a', text, 'runwarden-node');
    expect(cm.metadata).toEqual({ name: 'runwarden-node-worker-a', namespace: 'runwarden-node', labels: { 'app.kubernetes.io/name': 'runwarden', 'app.kubernetes.io/managed-by': 'runwarden', 'app.kubernetes.io/component': 'node-report' } });
    expect(isNodeReportConfigMap(ConfigMap.parse(cm))).toBe(true);
    expect(decodeNodeReport(ConfigMap.parse(cm), 'here')).toEqual({ ok: true, report, configMap: 'runwarden-node/runwarden-node-worker-a' });
  });

  const withData = (data: Record<string, string> | undefined, name = 'runwarden-node-worker-a') => ConfigMap.parse({ kind: 'ConfigMap', metadata: { name, namespace: 'runwarden-node' }, ...(data === undefined ? {} : { data }) });
  const issueOf = (cm: ConfigMap) => {
    const decoded = decodeNodeReport(cm, 'https://k8s/api/v1/namespaces/runwarden-node/configmaps (runwarden-node/x)');
    if (decoded.ok) throw new Error('expected an issue');
    return decoded.issue;
  };

  it.each([
    ['no data', undefined, 'Node report ConfigMap runwarden-node/runwarden-node-worker-a has no "report.json" key; it was ignored'],
    ['an empty key', { 'report.json': '' }, 'Node report ConfigMap runwarden-node/runwarden-node-worker-a has no "report.json" key; it was ignored'],
    ['corrupt JSON', { 'report.json': '{"schemaVersion":1,' }, /^Node report ConfigMap runwarden-node\/runwarden-node-worker-a holds invalid JSON in "report.json" \(.+\); it was ignored$/],
    ['another shape', { 'report.json': '{"hello":"world"}' }, 'Node report ConfigMap runwarden-node/runwarden-node-worker-a is not a runwarden node report (schemaVersion: Invalid input: expected 1); it was ignored'],
    ['a bad field', { 'report.json': JSON.stringify({ ...report, plan: { ...report.plan, candidates: -1 } }) }, 'Node report ConfigMap runwarden-node/runwarden-node-worker-a is not a runwarden node report (plan.candidates: Too small: expected number to be >=0); it was ignored'],
  ])('turns %s into a node-report-malformed issue', (_what, data, message) => {
    const found = issueOf(withData(data));
    expect(found.code).toBe('node-report-malformed');
    if (typeof message === 'string') expect(found.message).toBe(message);
    else expect(found.message).toMatch(message);
    expect(found.location).toBe('https://k8s/api/v1/namespaces/runwarden-node/configmaps (runwarden-node/x)');
  });

  it('refuses a report from another schema version, naming the writer', () => {
    const found = issueOf(withData({ 'report.json': JSON.stringify({ ...report, schemaVersion: 2, tool: { name: 'runwarden', version: '0.9.0' } }) }));
    expect(found).toEqual({
      code: 'node-report-version',
      message: 'Node report ConfigMap runwarden-node/runwarden-node-worker-a has schema version 2 (written by runwarden 0.9.0); this runwarden reads version 1, so it was ignored',
      location: 'https://k8s/api/v1/namespaces/runwarden-node/configmaps (runwarden-node/x)',
      hint: 'Run the same runwarden version in the scanner and the node agents.',
    });
  });

  it('refuses a report that claims another node than its ConfigMap name', () => {
    const found = issueOf(withData({ 'report.json': text }, 'runwarden-node-worker-b'));
    expect(found.message).toBe('Node report ConfigMap runwarden-node/runwarden-node-worker-b claims node "worker-a", whose report is named runwarden-node-worker-a; it was ignored');
  });
});
