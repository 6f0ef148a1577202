import { describe, expect, it } from 'vitest';
import { inventoryOf } from '../../../../test/k8s.js';
import { rbacPodExec } from './index.js';

type Json = Record<string, unknown>;
const ctx = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };
const RBAC = 'rbac.authorization.k8s.io/v1';
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): Json => ({ verbs, apiGroups, resources, ...(resourceNames === undefined ? {} : { resourceNames }) });
const clusterRole = (name: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules });
const role = (ns: string, name: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: ns }, rules });
const crb = (name: string, roleName: string, subjects: Json[]): Json => ({ apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects });
const rb = (ns: string, name: string, kind: string, roleName: string, subjects: Json[]): Json => ({ apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName }, subjects });
const user = (name: string): Json => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const group = (name: string): Json => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });

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
