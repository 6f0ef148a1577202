/** Raw RBAC objects (as the API serves them) for the rbac-* check tests: one builder each. */

export type Json = Record<string, unknown>;

const GROUP = 'rbac.authorization.k8s.io';
const RBAC = `${GROUP}/v1`;

/** The check context every RBAC test runs with (no sandbox images, a fixed clock). */
export const CTX = { sandboxImages: [], now: new Date('2026-11-28T00:00:00Z') };

export const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): Json => ({ verbs, apiGroups, resources, ...(resourceNames === undefined ? {} : { resourceNames }) });
export const clusterRole = (name: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules });
export const role = (ns: string, name: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: ns }, rules });
/** A ClusterRoleBinding of a ClusterRole. */
export const crb = (name: string, roleName: string, subjects: Json[]): Json => ({ apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: GROUP, kind: 'ClusterRole', name: roleName }, subjects });
/** A RoleBinding in `ns` of a Role or a ClusterRole (`kind`). */
export const rb = (ns: string, name: string, kind: string, roleName: string, subjects: Json[]): Json => ({ apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: GROUP, kind, name: roleName }, subjects });
export const sa = (ns: string, name: string): Json => ({ kind: 'ServiceAccount', name, namespace: ns });
export const user = (name: string): Json => ({ kind: 'User', apiGroup: GROUP, name });
export const group = (name: string): Json => ({ kind: 'Group', apiGroup: GROUP, name });
/** A running pod with one container, under a service account and with its token mount setting when given. */
export const pod = (ns: string, name: string, serviceAccountName?: string, automount?: boolean): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { ...(serviceAccountName === undefined ? {} : { serviceAccountName }), ...(automount === undefined ? {} : { automountServiceAccountToken: automount }), containers: [{ name: 'app', image: 'a:1' }] },
  status: { phase: 'Running' },
});
