import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacWildcard } from './index.js';
import { CTX as ctx, rule, clusterRole, role, crb, rb, user } from '../../rbac/testdata/objects.js';

describe('rbac-wildcard', () => {
  it('reports wildcard verbs or resources with the rules, and not cluster-admin equivalents (rbac-cluster-admin)', () => {
    const inv = inventoryOf([
      role('shop', 'pods-all', [rule(['*'], [''], ['pods'])]),
      rb('shop', 'deployer', 'Role', 'pods-all', [user('deployer')]),
      clusterRole('god', [rule(['*'], ['*'], ['*'])]),
      crb('god', 'god', [user('root')]),
    ]);
    const findings = rbacWildcard.run(inv, ctx).findings;
    expect(findings.map((f) => [f.severity, f.title])).toEqual([['medium', 'User deployer uses wildcards (every verb): it also covers resources and verbs added later in namespace shop (RoleBinding shop/deployer → Role shop/pods-all)']]);
    expect(findings[0]?.remediation).toBe('Replace the wildcards in Role shop/pods-all (rules: * pods (core)) with the explicit verbs and resources User deployer needs.');
  });
});
