import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacSecretsRead } from './index.js';
import { CTX as ctx, rule, clusterRole, role, crb, rb, sa, user, group, pod } from '../../rbac/testdata/objects.js';

describe('rbac-secrets-read', () => {
  it('rates cluster-wide reads high, namespace reads medium and named Secrets low', () => {
    const inv = inventoryOf([
      clusterRole('reader', [rule(['get', 'list', 'watch'], [''], ['secrets'])]),
      crb('backup', 'reader', [user('backup')]),
      rb('shop', 'web', 'ClusterRole', 'reader', [sa('shop', 'web')]),
      role('shop', 'db-secret', [rule(['get'], [''], ['secrets'], ['db-password'])]),
      rb('shop', 'api', 'Role', 'db-secret', [sa('shop', 'api')]),
      pod('shop', 'web', 'web'),
      pod('shop', 'api', 'api'),
    ]);
    const findings = rbacSecretsRead.run(inv, ctx).findings;
    expect(findings.map((f) => [f.subject.workload?.name ?? f.subject.type, f.severity, f.title])).toEqual([
      ['cluster', 'high', 'User backup can get/list/watch every Secret cluster-wide (ClusterRoleBinding backup → ClusterRole reader)'],
      ['web', 'medium', 'pod web runs as ServiceAccount shop/web, which can get/list/watch every Secret in namespace shop (RoleBinding shop/web → ClusterRole reader)'],
      ['api', 'low', 'pod api runs as ServiceAccount shop/api, which can get the Secrets db-password in namespace shop (RoleBinding shop/api → Role shop/db-secret)'],
    ]);
    expect(findings[1]?.evidence).toMatchObject({ serviceAccount: 'shop/web', tokenMounted: true, pods: 1, grants: [{ binding: 'RoleBinding shop/web', role: 'ClusterRole reader', scope: 'shop', via: 'ServiceAccount shop/web', rules: ['get,list,watch secrets (core)'] }] });
  });

  it('attributes a grant to every ServiceAccount group to every workload, saying through which group', () => {
    const inv = inventoryOf([clusterRole('reader', [rule(['list'], [''], ['secrets'])]), crb('oops', 'reader', [group('system:serviceaccounts')]), pod('a', 'x'), pod('b', 'y', 'robot')]);
    const findings = rbacSecretsRead.run(inv, ctx).findings;
    expect(findings.map((f) => f.title)).toEqual([
      'Group system:serviceaccounts can list every Secret cluster-wide (ClusterRoleBinding oops → ClusterRole reader)',
      'pod x runs as ServiceAccount a/default, which can list every Secret cluster-wide (ClusterRoleBinding oops → ClusterRole reader via Group system:serviceaccounts)',
      'pod y runs as ServiceAccount b/robot, which can list every Secret cluster-wide (ClusterRoleBinding oops → ClusterRole reader via Group system:serviceaccounts)',
    ]);
  });

  it('is skipped with an issue when a cluster scan has no bindings', () => {
    const result = rbacSecretsRead.run(inventoryOf([pod('a', 'x')], { complete: ['Pod'] }), ctx);
    expect([result.findings, result.issues.map((i) => i.code)]).toEqual([[], ['rbac-unknown']]);
  });
});
