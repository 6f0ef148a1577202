import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacPodExec } from './index.js';
import { CTX as ctx, rule, clusterRole, role, crb, rb, user, group } from '../../rbac/testdata/objects.js';

describe('rbac-pod-exec', () => {
  it('reports create/get on pods/exec or pods/attach, including through */exec and * resources', () => {
    const inv = inventoryOf([
      clusterRole('debugger', [rule(['create'], [''], ['pods/exec', 'pods/attach'])]),
      crb('oncall', 'debugger', [group('oncall')]),
      role('shop', 'any-exec', [rule(['get'], [''], ['*/exec'])]),
      rb('shop', 'ci', 'Role', 'any-exec', [user('ci')]),
      role('shop', 'list-only', [rule(['list'], [''], ['pods/exec'])]),
      rb('shop', 'viewer', 'Role', 'list-only', [user('viewer')]),
    ]);
    expect(rbacPodExec.run(inv, ctx).findings.map((f) => [f.severity, f.title])).toEqual([
      ['medium', 'User ci can run commands in pods (pods/exec) in namespace shop (RoleBinding shop/ci → Role shop/any-exec)'],
      ['high', 'Group oncall can run commands in pods (pods/exec, pods/attach) cluster-wide (ClusterRoleBinding oncall → ClusterRole debugger)'],
    ]);
  });
});
