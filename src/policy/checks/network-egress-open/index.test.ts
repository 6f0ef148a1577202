import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { networkEgressOpen } from './index.js';

type Json = Record<string, unknown>;
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };

const pod = (name: string, ns: string, labels: Record<string, string> = { app: name }): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1' }] },
  status: { phase: 'Running' },
});
const np = (name: string, ns: string, spec: Json): Json => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec });
const egress = (rules: Json[]): Json => ({ podSelector: {}, policyTypes: ['Egress'], egress: rules });

describe('network-egress-open', () => {
  it('reports a pod no policy isolates for egress, with the metadata endpoint among what it reaches', () => {
    const [f] = networkEgressOpen.run(inventoryOf([pod('worker', 'jobs'), np('in', 'jobs', { podSelector: {} })]), ctx).findings;
    expect([f?.title, f?.severity, f?.evidence.reachesMetadataEndpoint]).toEqual(['pod worker can egress anywhere: no NetworkPolicy selects it for egress', 'medium', true]);
    expect(f?.evidence.attackerCanReach).toBe('From this pod an attacker can connect to the internet (exfiltration, command and control), the cloud metadata endpoint 169.254.169.254 (node credentials), the Kubernetes API server and every pod and node of the cluster.');
  });

  it('knows when an ipBlock 0.0.0.0/0 excepts the metadata endpoint', () => {
    const [f] = networkEgressOpen.run(inventoryOf([pod('worker', 'jobs'), np('out', 'jobs', egress([{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }]))]), ctx).findings;
    expect([f?.title, f?.evidence.reachesMetadataEndpoint]).toEqual(['pod worker can egress anywhere: jobs/out egress[0] admits every destination', false]);
  });

  it('does not report DNS-only egress to anywhere, and reports other port-limited openings at low severity', () => {
    const dns = egress([{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }]);
    expect(networkEgressOpen.run(inventoryOf([pod('worker', 'jobs'), np('dns', 'jobs', dns)]), ctx).findings).toEqual([]);
    const https = egress([{ ports: [{ port: 443 }] }]);
    const [f] = networkEgressOpen.run(inventoryOf([pod('worker', 'jobs'), np('https', 'jobs', https)]), ctx).findings;
    expect([f?.title, f?.severity]).toEqual(['pod worker can egress anywhere on TCP 443: jobs/https egress[0] admits every destination', 'low']);
  });

  it('reports egress to every pod of every namespace at low severity, and nothing for named destinations', () => {
    const [f] = networkEgressOpen.run(inventoryOf([pod('worker', 'jobs'), np('cluster', 'jobs', egress([{ to: [{ namespaceSelector: {}, podSelector: {} }] }]))]), ctx).findings;
    expect([f?.title, f?.severity]).toEqual(['pod worker can egress to every pod in the cluster: jobs/cluster egress[0] admits every namespace', 'low']);
    const named = egress([{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } }, podSelector: { matchLabels: { app: 'db' } } }] }]);
    expect(networkEgressOpen.run(inventoryOf([pod('worker', 'jobs'), np('db', 'jobs', named)]), ctx).findings).toEqual([]);
  });

  it('groups pods of one workload by verdict: a relabelled replica gets its own finding', () => {
    const objects = [pod('a', 'jobs', { app: 'w' }), pod('b', 'jobs', { app: 'w', debug: 'true' }), np('w', 'jobs', { podSelector: { matchExpressions: [{ key: 'debug', operator: 'DoesNotExist' }] }, policyTypes: ['Egress'] })];
    const findings = networkEgressOpen.run(inventoryOf(objects), ctx).findings;
    expect(findings.map((f) => [f.subject.workload?.name, f.evidence.podNames])).toEqual([['b', ['b']]]);
  });
});
