import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacWildcard } from './index.js';

type Json = Record<string, unknown>;
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };
const RBAC = 'rbac.authorization.k8s.io/v1';
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): Json => ({ verbs, apiGroups, resources, ...(resourceNames === undefined ? {} : { resourceNames }) });
const clusterRole = (name: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules });
const role = (ns: string, name: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: ns }, rules });
const crb = (name: string, roleName: string, subjects: Json[]): Json => ({ apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects });
const rb = (ns: string, name: string, kind: string, roleName: string, subjects: Json[]): Json => ({ apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName }, subjects });
const user = (name: string): Json => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });

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
