import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { networkNoDefaultDeny } from './index.js';

type Json = Record<string, unknown>;
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };

const ns = (name: string): Json => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
const pod = (name: string, namespace: string): Json => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'a:1' }] } });
const np = (name: string, namespace: string, spec: Json): Json => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });

describe('network-no-default-deny', () => {
  it('reports namespaces that run pods without a default deny, per direction, and skips empty namespaces', () => {
    const inv = inventoryOf([
      ns('none'),
      pod('a', 'none'),
      ns('ingress-only'),
      pod('b', 'ingress-only'),
      np('deny', 'ingress-only', { podSelector: {} }),
      ns('both'),
      pod('c', 'both'),
      np('deny', 'both', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      ns('empty'),
    ]);
    const findings = networkNoDefaultDeny.run(inv, ctx).findings;
    expect(findings.map((f) => [f.subject.namespace, f.severity, f.title])).toEqual([
      ['ingress-only', 'low', 'Namespace ingress-only has no default-deny NetworkPolicy for egress'],
      ['none', 'medium', 'Namespace none has no default-deny NetworkPolicy for ingress and egress (no NetworkPolicy at all)'],
    ]);
    expect(findings[1]?.evidence).toMatchObject({ missing: ['ingress', 'egress'], defaultDeny: { ingress: null, egress: null }, podsAndTemplates: 1, notIsolatedForIngress: 1, notIsolatedForEgress: 1 });
    expect(findings[1]?.remediation).toBe(
      "kubectl apply -n none -f - with: {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: default-deny}, spec: {podSelector: {}, policyTypes: [Ingress, Egress]}}; then allow each workload's traffic (and DNS egress) explicitly.",
    );
  });

  it('says when workload policies isolate every pod today but nothing covers new ones', () => {
    const inv = inventoryOf([ns('shop'), pod('web', 'shop'), np('web', 'shop', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress', 'Egress'] })]);
    const [f] = networkNoDefaultDeny.run(inv, ctx).findings;
    expect(f?.evidence.attackerCanReach).toBe('Every pod is isolated today by workload policies, but a new pod whose labels no policy matches will not be.');
  });

  it('accepts a namespace-wide allow-list as isolation, not an allow-all rule', () => {
    const base = [ns('shop'), pod('web', 'shop')];
    expect(networkNoDefaultDeny.run(inventoryOf([...base, np('base', 'shop', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] })]), ctx).findings).toEqual([]);
    expect(networkNoDefaultDeny.run(inventoryOf([...base, np('open', 'shop', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] })]), ctx).findings).toHaveLength(1);
  });
});
