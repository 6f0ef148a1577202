import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { networkIngressOpen } from './index.js';

type Json = Record<string, unknown>;
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };

function deployment(name: string, ns: string, replicas: number, extra: { hostNetwork?: boolean } = {}): Json[] {
  const labels = { app: name };
  const out: Json[] = [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1', ports: [{ name: 'http', containerPort: 8080 }] }] } } } },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `${name}-1`, namespace: ns, ownerReferences: [{ kind: 'Deployment', name, controller: true }] } },
  ];
  for (let i = 0; i < replicas; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-1-${i}`, namespace: ns, labels: { ...labels, 'pod-template-hash': '1' }, ownerReferences: [{ kind: 'ReplicaSet', name: `${name}-1`, controller: true }] },
      spec: { ...(extra.hostNetwork === true ? { hostNetwork: true } : {}), containers: [{ name: 'app', image: 'ghcr.io/acme/app:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
      status: { phase: 'Running' },
    });
  }
  return out;
}

const np = (name: string, ns: string, spec: Json): Json => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec });
const svc = (name: string, ns: string, type: string, selector: Record<string, string>): Json => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { type, selector, ports: [{ port: 80 }] } });

describe('network-ingress-open', () => {
  it('reports a workload no policy isolates once (not per replica), naming the missing policy and who can reach it', () => {
    const findings = networkIngressOpen.run(inventoryOf(deployment('web', 'shop', 3)), ctx).findings;
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f?.title).toBe('Deployment web accepts ingress from anywhere: no NetworkPolicy selects it for ingress');
    expect(f?.severity).toBe('medium');
    expect(f?.subject).toEqual({ type: 'workload', namespace: 'shop', workload: { kind: 'Deployment', name: 'web' } });
    expect(f?.evidence).toMatchObject({ pods: 3, podNames: ['web-1-0', 'web-1-1', 'web-1-2'], isolated: false, reach: 'anywhere', policies: [], exposedOutsideCluster: false });
    expect(f?.evidence.attackerCanReach).toBe('Any pod in the cluster, every node can open connections to it on any port.');
    expect(f?.remediation).toBe('Add a NetworkPolicy in namespace shop that selects Deployment web (e.g. podSelector {matchLabels: {app: web}}) with policyTypes [Ingress] and only the sources and ports it needs, or a namespace-wide default deny.');
  });

  it('rates it high when a LoadBalancer Service publishes the open pod', () => {
    const [f] = networkIngressOpen.run(inventoryOf([...deployment('web', 'shop', 1), svc('web', 'shop', 'LoadBalancer', { app: 'web' }), svc('other', 'shop', 'NodePort', { app: 'other' })]), ctx).findings;
    expect([f?.severity, f?.evidence.services, f?.evidence.attackerCanReach]).toEqual(['high', ['shop/web (LoadBalancer)'], 'Any pod in the cluster, every node, and the outside world through shop/web (LoadBalancer) can open connections to it on any port.']);
  });

  it('names the rule that admits every source and the ports it opens (low severity when port-limited)', () => {
    const [f] = networkIngressOpen.run(inventoryOf([...deployment('web', 'shop', 1), np('allow-web', 'shop', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'http' }] }] })]), ctx).findings;
    expect([f?.title, f?.severity]).toEqual(['Deployment web accepts ingress from anywhere on TCP http (8080): shop/allow-web ingress[0] admits every source', 'low']);
    expect(f?.remediation).toBe('Narrow shop/allow-web ingress[0]: name the pods (podSelector), namespaces (namespaceSelector) or address ranges (ipBlock) that need to connect instead of every source.');
  });

  it('reports every pod of every namespace (namespaceSelector {}) at low severity', () => {
    const [f] = networkIngressOpen.run(inventoryOf([...deployment('db', 'data', 1), np('db', 'data', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] })]), ctx).findings;
    expect([f?.title, f?.severity]).toEqual(['Deployment db accepts ingress from every pod in the cluster: data/db ingress[0] admits every namespace', 'low']);
  });

  it('reports host-network pods whatever selects them', () => {
    const [f] = networkIngressOpen.run(inventoryOf([...deployment('agent', 'ops', 1, { hostNetwork: true }), np('deny', 'ops', { podSelector: {} })]), ctx).findings;
    expect(f?.title).toBe('Deployment agent accepts ingress from anywhere: it runs on the host network');
  });

  it('reports nothing for an isolated pod, and judges a template when the workload has no pods', () => {
    const isolated = [...deployment('web', 'shop', 2), np('deny', 'shop', { podSelector: {} }), np('from-api', 'shop', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] })];
    expect(networkIngressOpen.run(inventoryOf(isolated), ctx).findings).toEqual([]);
    const [template] = networkIngressOpen.run(inventoryOf(deployment('batch', 'ops', 0)), ctx).findings;
    expect(template?.evidence).toMatchObject({ pods: 0, template: true });
  });

  it('is skipped with one issue when NetworkPolicies were not read', () => {
    const result = networkIngressOpen.run(inventoryOf(deployment('web', 'shop', 1), { complete: ['Pod', 'Deployment', 'ReplicaSet'] }), ctx);
    expect([result.findings, result.issues.map((i) => i.code)]).toEqual([[], ['network-policies-unknown']]);
  });

  it('skips a namespace whose policy is invalid (the inventory names the policy)', () => {
    const inv = inventoryOf([...deployment('web', 'shop', 1), np('broken', 'shop', { podSelector: {}, ingress: [{ from: [{}] }] })]);
    expect(networkIngressOpen.run(inv, ctx).findings).toEqual([]);
    expect(inv.issues.map((i) => i.message)).toEqual(['NetworkPolicy shop/broken: spec.ingress[0].from[0]: must set podSelector, namespaceSelector or ipBlock; the policy cannot be evaluated, so isolation in namespace shop is unknown']);
  });
});
