import { describe, expect, it } from 'vitest';
import { ctx, deployment, inv } from '../../../../test/workloads.js';
import { serviceAccountToken } from './index.js';

const sa = (name: string, ns: string, automount?: boolean): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns }, ...(automount === undefined ? {} : { automountServiceAccountToken: automount }) });
const binding = (name: string, ns: string, account: string): Record<string, unknown> => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: account, namespace: ns }] });
const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [] };

describe('service-account-token', () => {
  it('reports the default service account with its token mounted (medium)', () => {
    const findings = serviceAccountToken.run(inv([deployment('web', {}), deployment('off', { automountServiceAccountToken: false })]), ctx).findings;
    expect(findings.map((f) => [f.subject.workload?.name, f.severity, f.evidence.fields])).toEqual([['web', 'medium', ['spec.template.spec.automountServiceAccountToken']]]);
    expect(findings[0]?.title).toBe('Deployment web runs as the "default" service account with its API token mounted');
  });

  it('honours automountServiceAccountToken on the ServiceAccount unless the pod overrides it', () => {
    const objects = [sa('default', 'shop', false), deployment('quiet', {}), deployment('loud', { automountServiceAccountToken: true })];
    expect(serviceAccountToken.run(inv(objects), ctx).findings.map((f) => f.subject.workload?.name)).toEqual(['loud']);
  });

  it('reports a dedicated account no binding names (low) once RBAC bindings were read, not one that is bound', () => {
    const objects = [sa('api', 'shop'), sa('idle', 'shop'), binding('api-reader', 'shop', 'api'), crb, deployment('api', { serviceAccountName: 'api' }), deployment('idle', { serviceAccountName: 'idle' })];
    const findings = serviceAccountToken.run(inv(objects), ctx).findings;
    expect(findings.map((f) => [f.subject.workload?.name, f.severity])).toEqual([['idle', 'low']]);
  });

  it('takes a dedicated account to use the API when bindings are unknown', () => {
    const unknown = inv([deployment('api', { serviceAccountName: 'api' })]);
    unknown.coverage.complete = unknown.coverage.complete.filter((k) => k !== 'RoleBinding');
    expect(serviceAccountToken.run(unknown, ctx).findings).toEqual([]);
  });
});
