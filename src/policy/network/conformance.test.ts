/**
 * Agreement with other tools' NetworkPolicy test cases (copied under testdata/upstream/ and
 * testdata/upstream/workload-config-kubescape, see their SOURCE.md). Each expected table below is
 * what runwarden answers; every difference from the upstream expectation is listed and explained in
 * readme.md ("Conformance").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Inventory, ResourceKind } from '../../core/inventory.js';
import { buildInventory } from '../../inventory/build.js';
import { loadSnapshot } from '../../inventory/sources/snapshot/index.js';
import { networkEgressOpen } from '../checks/network-egress-open/index.js';
import { networkIngressOpen } from '../checks/network-ingress-open/index.js';
import { analyzeNetwork } from './analysis.js';

const HERE = import.meta.dirname;
const UPSTREAM = join(HERE, 'testdata', 'upstream');
const KUBESCAPE = join(HERE, '..', '..', '..', 'testdata', 'upstream', 'workload-config-kubescape', 'rules');
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };

/** A file or folder of manifests as the whole cluster: kinds it does not contain count as listed (there are none). */
async function clusterOf(path: string, alsoComplete: ResourceKind[] = []): Promise<Inventory> {
  const result = await loadSnapshot({ path });
  return buildInventory({ ...result, complete: [...new Set([...result.complete, ...alsoComplete])] });
}

function tsv(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'));
}

function fired(inv: Inventory): string[] {
  return [networkIngressOpen, networkEgressOpen].filter((c) => c.run(inv, ctx).findings.length > 0).map((c) => c.id.replace('network-', ''));
}

describe('kube-score "Pod NetworkPolicy" (11 cases)', () => {
  const rows = tsv(join(UPSTREAM, 'kube-score', 'expected.tsv'));

  it('agrees on isolation on every case: GradeAllOK = isolated both ways, GradeWarning = one way, GradeCritical = not isolated', async () => {
    const grades: Record<string, string> = {};
    for (const [file = '', , grade = ''] of rows) {
      const inv = await clusterOf(join(UPSTREAM, 'kube-score', file));
      const [v] = analyzeNetwork(inv).verdicts;
      const isolated = [v?.ingress.isolated, v?.egress.isolated].filter(Boolean).length;
      grades[file] = `${grade} ${['GradeCritical', 'GradeWarning', 'GradeAllOK'][isolated] ?? '?'}`;
    }
    const disagreements = Object.entries(grades).filter(([, g]) => g.split(' ')[0] !== g.split(' ')[1]);
    expect([rows.length, disagreements]).toEqual([11, []]);
  });

  it('reports findings where a rule still admits any source or destination (the deliberate differences)', async () => {
    const results: Record<string, string> = {};
    for (const [file = '', , grade = ''] of rows) results[file.replace('testdata/networkpolicy-', '')] = `${grade}: ${fired(await clusterOf(join(UPSTREAM, 'kube-score', file))).join('+') || 'none'}`;
    expect(results).toEqual({
      'not-matching.yaml': 'GradeCritical: ingress-open+egress-open',
      'matching.yaml': 'GradeAllOK: none',
      // ingress rule without "from" on port 53: isolated, yet open to any source on that port
      'matching-only-ingress.yaml': 'GradeWarning: ingress-open+egress-open',
      // egress to anywhere on port 53 only (DNS) is not reported
      'matching-only-egress.yaml': 'GradeWarning: ingress-open',
      'deployment-matching.yaml': 'GradeAllOK: none',
      'statefulset-matching.yaml': 'GradeAllOK: none',
      'cronjob-matching.yaml': 'GradeAllOK: none',
      'deployment-not-matching-selector.yaml': 'GradeCritical: ingress-open+egress-open',
      'statefulset-not-matching-selector.yaml': 'GradeCritical: ingress-open+egress-open',
      'cronjob-not-matching-selector.yaml': 'GradeCritical: ingress-open+egress-open',
      // ingress: [{}] and egress: [{}] isolate the pod and then admit everything
      'targets-all-pods.yaml': 'GradeAllOK: ingress-open+egress-open',
    });
  });
});

describe('Polaris missingNetworkPolicy (6 cases)', () => {
  it('fails where a finding fires; the differences are the deliberate ones of the readme', async () => {
    const rows = tsv(join(UPSTREAM, 'polaris', 'index.tsv'));
    const results: Record<string, string> = {};
    for (const [path = '', , expected = ''] of rows) {
      const findings = fired(await clusterOf(join(UPSTREAM, 'polaris', path.replace(/^checks\//, ''))));
      results[path.replace('checks/missingNetworkPolicy/', '')] = `${expected}: ${findings.length > 0 ? 'fail' : 'pass'} (${findings.join('+') || 'none'})`;
    }
    expect(results).toEqual({
      'failure.netpol_missing_egress_in_policytypes.yaml': 'fail: fail (ingress-open+egress-open)',
      // no egress rules = deny all egress; ingress from 0.0.0.0/0 on 8080 is open
      'failure.netpol_missing_egress_rules.yaml': 'fail: fail (ingress-open)',
      'failure.netpol_missing_ingress_in_policytypes.yaml': 'fail: fail (ingress-open)',
      // no ingress rules = deny all ingress: fully isolated, nothing to report (Polaris wants rules)
      'failure.netpol_missing_ingress_rules.yaml': 'fail: pass (none)',
      'failure.netpol_targets_wrong_pod_label.yaml': 'fail: fail (ingress-open+egress-open)',
      // ingress from ipBlock 0.0.0.0/0 is "from anywhere" (on TCP 8080)
      'success.yaml': 'pass: fail (ingress-open)',
    });
  });
});

describe('Kubescape host-network-access (3 cases)', () => {
  it('treats every alerted hostNetwork workload as not isolated, both ways', async () => {
    const dir = join(KUBESCAPE, 'host-network-access', 'test');
    const results: Record<string, string> = {};
    for (const name of readdirSync(dir).sort()) {
      const expected = JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8')) as Array<{ alertObject: { k8sApiObjects: Array<{ kind: string; metadata: { name: string } }> } }>;
      const inv = await clusterOf(join(dir, name, 'input'), ['NetworkPolicy']);
      const alerted = expected.flatMap((a) => a.alertObject.k8sApiObjects.map((o) => `${o.kind}/${o.metadata.name}`));
      const open = analyzeNetwork(inv).verdicts.filter((v) => v.ingress.hostNetwork && v.egress.hostNetwork && v.ingress.reach === 'anywhere').map((v) => `${v.view.workload.kind}/${v.view.workload.name}`);
      results[name] = `${alerted.join(',')} → ${open.join(',')}`;
    }
    expect(results).toEqual({ cronjob: 'CronJob/hello → CronJob/hello', pod: 'Pod/test → Pod/test', workloads: 'Deployment/my-deployment → Deployment/my-deployment' });
  });
});
