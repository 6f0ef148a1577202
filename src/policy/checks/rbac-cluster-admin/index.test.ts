import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacClusterAdmin } from './index.js';
import { CTX as ctx, rule, clusterRole, crb, rb, sa, user, group, pod } from '../../rbac/testdata/objects.js';

describe('rbac-cluster-admin', () => {
  it('reports a user bound cluster-wide (critical) and a group bound in one namespace (high)', () => {
    const inv = inventoryOf([crb('alice-admin', 'cluster-admin', [user('alice')]), rb('shop', 'devs-admin', 'ClusterRole', 'cluster-admin', [group('shop-devs')])]);
    const findings = rbacClusterAdmin.run(inv, ctx).findings;
    expect(findings.map((f) => [f.subject, f.severity, f.title])).toEqual([
      [{ type: 'namespace', namespace: 'shop' }, 'high', 'Group shop-devs is bound to the cluster-admin ClusterRole (full control) in namespace shop (RoleBinding shop/devs-admin → ClusterRole cluster-admin)'],
      [{ type: 'cluster' }, 'critical', 'User alice is bound to the cluster-admin ClusterRole (full control) cluster-wide (ClusterRoleBinding alice-admin → ClusterRole cluster-admin)'],
    ]);
    expect(findings[1]?.remediation).toBe('Remove ClusterRoleBinding alice-admin and bind User alice to a role limited to what it needs (kubectl auth can-i --list --as=… shows what it has now).');
  });

  it('attributes an equivalent role to the workloads running as the ServiceAccount, one step lower without a mounted token', () => {
    const inv = inventoryOf([
      clusterRole('god', [rule(['*'], ['*'], ['*'])]),
      crb('ci', 'god', [sa('ci', 'runner')]),
      pod('ci', 'runner-a', 'runner'),
      pod('ci', 'runner-b', 'runner', false),
    ]);
    const findings = rbacClusterAdmin.run(inv, ctx).findings;
    expect(findings.map((f) => [f.subject.workload?.name, f.severity, f.evidence.tokenMounted])).toEqual([
      ['runner-a', 'critical', true],
      ['runner-b', 'high', false],
    ]);
    expect(findings[0]?.title).toBe('pod runner-a runs as ServiceAccount ci/runner, which has every verb on every resource of every API group (cluster-admin in all but name) cluster-wide (ClusterRoleBinding ci → ClusterRole god)');
  });

  it('reports a bound ServiceAccount no workload uses one step lower, and not the default system:masters binding', () => {
    const inv = inventoryOf([
      { ...crb('cluster-admin', 'cluster-admin', [group('system:masters')]), metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } } },
      crb('tiller', 'cluster-admin', [sa('kube-system', 'tiller')]),
    ]);
    const [f] = rbacClusterAdmin.run(inv, ctx).findings;
    // tiller is in kube-system but cluster-admin is not a system: role: reported
    expect([f?.title, f?.severity, f?.subject]).toEqual(['ServiceAccount kube-system/tiller (no workload runs as it) is bound to the cluster-admin ClusterRole (full control) cluster-wide (ClusterRoleBinding tiller → ClusterRole cluster-admin)', 'high', { type: 'namespace', namespace: 'kube-system' }]);
  });
});
