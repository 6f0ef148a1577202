import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacPrivilegeEscalation } from './index.js';

type Json = Record<string, unknown>;
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };
const RBAC = 'rbac.authorization.k8s.io/v1';
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): Json => ({ verbs, apiGroups, resources, ...(resourceNames === undefined ? {} : { resourceNames }) });
const clusterRole = (name: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules });
const role = (ns: string, name: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: ns }, rules });
const crb = (name: string, roleName: string, subjects: Json[]): Json => ({ apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects });
const rb = (ns: string, name: string, kind: string, roleName: string, subjects: Json[]): Json => ({ apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName }, subjects });
const sa = (ns: string, name: string): Json => ({ kind: 'ServiceAccount', name, namespace: ns });
const user = (name: string): Json => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const pod = (ns: string, name: string, serviceAccountName?: string, automount?: boolean): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { ...(serviceAccountName === undefined ? {} : { serviceAccountName }), ...(automount === undefined ? {} : { automountServiceAccountToken: automount }), containers: [{ name: 'app', image: 'a:1' }] },
  status: { phase: 'Running' },
});

describe('rbac-privilege-escalation', () => {
  it('reports escalate, bind, impersonate and token creation, with what to remove', () => {
    const inv = inventoryOf([
      clusterRole('rbac-manager', [rule(['escalate', 'bind'], ['rbac.authorization.k8s.io'], ['clusterroles'])]),
      crb('argocd', 'rbac-manager', [sa('argocd', 'argocd-server')]),
      pod('argocd', 'argocd-server-0', 'argocd-server'),
      clusterRole('impersonator', [rule(['impersonate'], [''], ['users', 'groups'])]),
      crb('proxy', 'impersonator', [user('auth-proxy')]),
      role('ci', 'tokens', [rule(['create'], [''], ['serviceaccounts/token'])]),
      rb('ci', 'tokens', 'Role', 'tokens', [user('pipeline')]),
    ]);
    const findings = rbacPrivilegeEscalation.run(inv, ctx).findings;
    expect(findings.map((f) => [f.severity, f.title])).toEqual([
      ['high', 'User pipeline can grant itself more power (create serviceaccounts/token) in namespace ci (RoleBinding ci/tokens → Role ci/tokens)'],
      ['high', 'User auth-proxy can grant itself more power (impersonate users, impersonate groups) cluster-wide (ClusterRoleBinding proxy → ClusterRole impersonator)'],
      ['high', 'pod argocd-server-0 runs as ServiceAccount argocd/argocd-server, which can grant itself more power (escalate clusterroles, bind clusterroles) cluster-wide (ClusterRoleBinding argocd → ClusterRole rbac-manager)'],
    ]);
    expect(findings[1]?.remediation).toBe('Remove impersonate users, impersonate groups from ClusterRole impersonator for User auth-proxy.');
  });
});
