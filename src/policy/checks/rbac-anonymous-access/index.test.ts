import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacAnonymousAccess } from './index.js';
import { CTX as ctx, rule, clusterRole, role, crb, rb, user, group } from '../../rbac/testdata/objects.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

describe('rbac-anonymous-access', () => {
  it('reports bindings to system:anonymous or system:unauthenticated: critical with a risk, high without', () => {
    const inv = inventoryOf([
      clusterRole('reader', [rule(['get', 'list'], [''], ['secrets'])]),
      crb('leak', 'reader', [user('system:anonymous')]),
      role('public', 'pages', [rule(['get'], [''], ['configmaps'])]),
      rb('public', 'anon-pages', 'Role', 'pages', [group('system:unauthenticated'), user('web')]),
      { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'system:public-info-viewer' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }] },
      crb('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
    ]);
    const findings = rbacAnonymousAccess.run(inv, ctx).findings;
    expect(findings.map((f) => [f.subject, f.severity, f.title])).toEqual([
      [{ type: 'namespace', namespace: 'public' }, 'high', 'RoleBinding public/anon-pages grants Role public/pages to Group system:unauthenticated in namespace public'],
      [{ type: 'cluster' }, 'critical', 'ClusterRoleBinding leak grants ClusterRole reader to User system:anonymous cluster-wide: anyone can get/list every Secret'],
    ]);
    expect(findings[0]?.evidence.attackerCanReach).toBe('Anyone who can reach the API server, without credentials, can get configmaps (core) in namespace public.');
    expect(findings[0]?.remediation).toBe('Remove Group system:unauthenticated from RoleBinding public/anon-pages (namespace public); bind Role public/pages to the authenticated users or ServiceAccounts that need it.');
  });
});
