import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { mtlsNotStrict } from './index.js';

type Json = Record<string, unknown>;
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };

const ns = (name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Json => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } });
function pod(name: string, namespace: string, opts: { proxy?: boolean; labels?: Record<string, string>; annotations?: Record<string, string>; hostNetwork?: boolean } = {}): Json {
  const containers: Json[] = [{ name: 'app', image: 'ghcr.io/acme/app:1', ports: [{ containerPort: 8080 }] }];
  if (opts.proxy === true) containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3' });
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: opts.labels ?? { app: name }, annotations: opts.annotations ?? {} }, spec: { containers, ...(opts.hostNetwork === true ? { hostNetwork: true } : {}) }, status: { phase: 'Running' } };
}
const pa = (name: string, namespace: string, spec: Json): Json => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, creationTimestamp: '2026-01-01T00:00:00Z' }, spec });
const istiod = pod('istiod-5f8', 'istio-system', { labels: { app: 'istiod', istio: 'pilot' } });

describe('mtls-not-strict', () => {
  it('reports one low cluster finding when no mesh runs at all, ignoring kube-system', () => {
    const result = mtlsNotStrict.run(inventoryOf([ns('shop'), pod('web', 'shop'), pod('api', 'shop'), pod('coredns', 'kube-system')]), ctx);
    expect(result.findings.map((f) => [f.subject, f.severity, f.title, f.evidence.workloads])).toEqual([[{ type: 'cluster' }, 'low', 'No service mesh: traffic between pods is neither mutually authenticated nor encrypted', 2]]);
  });

  it('reports permissive, disabled, not-enrolled and host-network workloads, naming the deciding policy; not strict ones or the control plane', () => {
    const inv = inventoryOf([
      ns('istio-system'),
      istiod,
      pa('default', 'istio-system', { mtls: { mode: 'STRICT' } }),
      ns('shop', { 'istio-injection': 'enabled' }),
      pod('strict', 'shop', { proxy: true }),
      pod('legacy', 'shop', { proxy: true, labels: { app: 'legacy' } }),
      pa('legacy', 'shop', { selector: { matchLabels: { app: 'legacy' } }, mtls: { mode: 'PERMISSIVE' } }),
      pod('old', 'shop'),
      ns('ops'),
      pod('agent', 'ops', { hostNetwork: true }),
      ns('data'),
      pod('db', 'data', { proxy: true }),
      pa('default', 'data', { mtls: { mode: 'DISABLE' } }),
    ]);
    const findings = mtlsNotStrict.run(inv, ctx).findings;
    expect(findings.map((f) => [`${f.subject.namespace ?? ''}/${f.subject.workload?.name ?? ''}`, f.severity, f.title])).toEqual([
      ['shop/legacy', 'medium', 'pod legacy accepts plaintext: mTLS is PERMISSIVE (PeerAuthentication shop/legacy (workload, mode PERMISSIVE))'],
      ['shop/old', 'medium', 'pod old is not in the service mesh: its traffic is plaintext and unauthenticated'],
      ['ops/agent', 'medium', 'pod agent bypasses the service mesh (hostNetwork): its traffic is plaintext and unauthenticated'],
      ['data/db', 'high', 'pod db has mTLS disabled (PeerAuthentication data/default (namespace, mode DISABLE)): plaintext only'],
    ]);
    expect(findings[1]?.remediation).toBe('Restart pod old (kubectl rollout restart) so the injector adds the proxy, then require mTLS STRICT.');
    expect(findings[0]?.evidence).toMatchObject({ state: 'permissive', mesh: 'istio-sidecar', enrolment: 'istio-proxy sidecar container', mode: 'PERMISSIVE', pods: 1, podNames: ['legacy'] });
  });

  it('reports a strict workload with a plaintext port, and reads settings from the policy context', () => {
    const objects = [
      ns('mesh'),
      pa('default', 'mesh', { mtls: { mode: 'STRICT' } }),
      ns('shop'),
      pod('web', 'shop', { proxy: true, annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '9090' } }),
    ];
    // meshRootNamespace is read from the policy settings when the host program provides it.
    const policy = { meshRootNamespace: 'mesh', allowedRegistries: undefined };
    const withRoot = { ...ctx, policy };
    const [f] = mtlsNotStrict.run(inventoryOf(objects), withRoot).findings;
    expect([f?.title, f?.severity]).toEqual(['pod web requires mTLS except on port 9090 (bypass)', 'medium']);
    expect(f?.remediation).toBe('Remove the exceptions for port 9090: annotation traffic.sidecar.istio.io/excludeInboundPorts="9090": the sidecar never sees it.');
    // Without the root namespace setting, istio-system is assumed: the mesh policy in "mesh" is a namespace policy there.
    expect(mtlsNotStrict.run(inventoryOf(objects), ctx).findings[0]?.evidence.state).toBe('permissive');
  });

  it('says nothing about a mesh when judging manifests only (no running pod)', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'a:1' }] } } } };
    expect(mtlsNotStrict.run(inventoryOf([ns('shop'), deployment]), ctx).findings).toEqual([]);
  });

  it('skips unknown verdicts and passes the coverage issue on', () => {
    const inv = inventoryOf([ns('shop'), pod('web', 'shop', { proxy: true })], { complete: ['Namespace', 'Pod'] });
    const result = mtlsNotStrict.run(inv, ctx);
    expect([result.findings, result.issues.map((i) => i.code)]).toEqual([[], ['mesh-policies-unknown']]);
  });
});
