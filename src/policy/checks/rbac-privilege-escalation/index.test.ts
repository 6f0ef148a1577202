import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacPrivilegeEscalation } from './index.js';
import { CTX as ctx, rule, clusterRole, role, crb, rb, sa, user, pod } from '../../rbac/testdata/objects.js';

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
