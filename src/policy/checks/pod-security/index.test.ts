import { describe, expect, it } from 'vitest';
import { barePod, container, ctx, deployment, inv, namespace } from '../../../../test/workloads.js';
import { LATEST } from '../../pss/version.js';
import { podSecurity } from './index.js';

const hostNet = (ns: string): Record<string, unknown> => deployment('agent', { hostNetwork: true, containers: [container({ name: 'agent' })] }, { ns });
const enforce = (level: string, version?: string): Record<string, string> => ({ 'pod-security.kubernetes.io/enforce': level, ...(version === undefined ? {} : { 'pod-security.kubernetes.io/enforce-version': version }) });

describe('pod-security', () => {
  it('reports a violation of the enforced level as high, naming the control and the field', () => {
    const findings = podSecurity.run(inv([namespace('shop', enforce('baseline', 'v1.30')), hostNet('shop')]), ctx).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'pod-security',
      severity: 'high',
      title: 'Deployment agent violates Pod Security baseline control hostNamespaces: host namespaces (hostNetwork) — the namespace enforces baseline v1.30: the API server rejects this workload\'s next pod',
      evidence: { control: 'hostNamespaces', controlLevel: 'baseline', standards: ['baseline:v1.30'], modes: ['enforce'], fields: ['spec.template.spec.hostNetwork'], podFields: ['spec.hostNetwork'] },
    });
  });

  it('evaluates warn/audit labels too, merging a control reported by several modes', () => {
    const labels = { ...enforce('baseline'), 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted' };
    const findings = podSecurity.run(inv([namespace('shop', labels), hostNet('shop')]), ctx).findings;
    const host = findings.find((f) => f.evidence.control === 'hostNamespaces');
    expect(host?.evidence.modes).toEqual(['enforce', 'audit', 'warn']);
    expect(host?.severity).toBe('high');
    const restrictedOnly = findings.filter((f) => f.evidence.controlLevel === 'restricted');
    expect(restrictedOnly.map((f) => [f.evidence.control, f.severity, f.evidence.modes])).toEqual([
      ['allowPrivilegeEscalation', 'medium', ['audit', 'warn']],
      ['runAsNonRoot', 'medium', ['audit', 'warn']],
      ['seccompProfile_restricted', 'medium', ['audit', 'warn']],
      ['capabilities_restricted', 'medium', ['audit', 'warn']],
    ]);
  });

  it('evaluates unlabelled namespaces at the pssLevel setting (default baseline) and privileged namespaces not at all', () => {
    expect(podSecurity.run(inv([namespace('shop'), hostNet('shop')]), ctx).findings.map((f) => [f.evidence.control, f.severity, f.evidence.modes])).toEqual([['hostNamespaces', 'medium', ['default']]]);
    const restricted = podSecurity.run(inv([namespace('shop'), hostNet('shop')]), { ...ctx, policy: { pssLevel: 'restricted' } }).findings;
    expect(restricted.filter((f) => f.severity === 'low').map((f) => f.evidence.control)).toEqual(['allowPrivilegeEscalation', 'runAsNonRoot', 'seccompProfile_restricted', 'capabilities_restricted']);
    expect(podSecurity.run(inv([namespace('shop', enforce('privileged')), hostNet('shop')]), ctx).findings).toEqual([]);
  });

  it('honours the version: --pss-version overrides the namespace label', () => {
    const pod = barePod('tune', { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '4096 87380 6291456' }] } }, { ns: 'shop' });
    const at = (version: string | undefined, override?: typeof LATEST): string[] => podSecurity.run(inv([namespace('shop', enforce('baseline', version)), pod]), { ...ctx, policy: { pssVersion: override } }).findings.map((f) => f.evidence.control as string);
    expect(at('v1.31')).toEqual(['sysctls']);
    expect(at('v1.32')).toEqual([]);
    expect(at('v1.31', LATEST)).toEqual([]);
  });

  it('reports invalid labels as issues and evaluates as upstream does (enforce fails closed to restricted)', () => {
    const { findings, issues } = podSecurity.run(inv([namespace('shop', { 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/enforce-version': '1.30' }), hostNet('shop')]), ctx);
    expect(issues.map((i) => i.message)).toEqual([
      'Namespace shop: invalid label pod-security.kubernetes.io/enforce="strict": must be one of privileged, baseline, restricted (evaluated as restricted)',
      'Namespace shop: invalid label pod-security.kubernetes.io/enforce-version="1.30": must be "latest" or "v1.x" (evaluated as latest)',
    ]);
    expect(findings.some((f) => f.evidence.controlLevel === 'restricted' && f.severity === 'high')).toBe(true);
  });

  it('evaluates a workload once, whatever its number of replicas', () => {
    const objects = [namespace('shop', enforce('baseline')), hostNet('shop'), { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'agent-1', namespace: 'shop', ownerReferences: [{ kind: 'Deployment', name: 'agent', controller: true }] } }];
    for (let i = 0; i < 5; i++) objects.push(barePod(`agent-1-${i}`, { hostNetwork: true }, { ns: 'shop' }));
    const owned = objects.map((o) => (o.kind === 'Pod' ? { ...o, metadata: { ...(o.metadata as object), ownerReferences: [{ kind: 'ReplicaSet', name: 'agent-1', controller: true }] } } : o));
    expect(podSecurity.run(inv(owned), ctx).findings.map((f) => [f.subject.workload?.name, f.evidence.pods])).toEqual([['agent', 5]]);
  });
});
