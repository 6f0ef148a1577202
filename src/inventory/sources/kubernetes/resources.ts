import type { ResourceKind } from '../../../core/inventory.js';

/** One listable resource: where it lives in the API and what RBAC names it. */
export interface ApiResource {
  kind: ResourceKind;
  /** `''` for the core group (RBAC spelling). */
  group: string;
  version: string;
  /** Lower-case plural, the path segment and the RBAC resource name. */
  plural: string;
  namespaced: boolean;
  /** Older versions to try, in order, when the server does not serve `version` (404). */
  fallbackVersions?: readonly string[];
  /**
   * A custom resource that is only there when its CRD is installed (Istio's PeerAuthentication):
   * a 404 on every version means "not installed", which is complete knowledge (there are none), not an issue.
   */
  optional?: true;
}

/** Where a resource lives in the API: enough to list it and name it in messages. */
export type ResourcePath = Pick<ApiResource, 'group' | 'version' | 'plural' | 'namespaced'>;

/** The node agents' reports (`src/agent/`): ConfigMaps, read by label in one namespace only. */
export const CONFIGMAPS: ResourcePath = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };

/** The resources the inventory reads, in `RESOURCE_KINDS` order; `deploy/clusterrole.yaml` grants exactly these. */
export const API_RESOURCES: readonly ApiResource[] = [
  { kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  { kind: 'Node', group: '', version: 'v1', plural: 'nodes', namespaced: false },
  { kind: 'Pod', group: '', version: 'v1', plural: 'pods', namespaced: true },
  { kind: 'ReplicaSet', group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  { kind: 'Deployment', group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  { kind: 'StatefulSet', group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  { kind: 'DaemonSet', group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  { kind: 'Job', group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  { kind: 'CronJob', group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
  { kind: 'Service', group: '', version: 'v1', plural: 'services', namespaced: true },
  { kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', namespaced: true },
  { kind: 'ServiceAccount', group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true },
  { kind: 'Role', group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', namespaced: true },
  { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false },
  { kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', namespaced: true },
  { kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', namespaced: false },
  // security.istio.io/v1 since Istio 1.22; v1beta1 before (and still served alongside).
  { kind: 'PeerAuthentication', group: 'security.istio.io', version: 'v1', fallbackVersions: ['v1beta1'], plural: 'peerauthentications', namespaced: true, optional: true },
];

/** `v1` or `apps/v1`: the `apiVersion` of the objects. */
export function apiVersion(resource: ResourcePath): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** `/api/v1/pods`, `/apis/apps/v1/namespaces/shop/deployments` (namespace already validated as a DNS label). */
export function listPath(resource: ResourcePath, namespace?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return namespace === undefined ? `${base}/${resource.plural}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
}

/** `/apis/apps/v1/namespaces/shop/deployments/web`: one object of a namespaced resource. */
export function objectPath(resource: ResourcePath, namespace: string, name: string): string {
  return `${listPath(resource, namespace)}/${encodeURIComponent(name)}`;
}

/** The resource of a kind the inventory reads, or undefined. */
export function apiResourceOf(kind: string): ApiResource | undefined {
  return API_RESOURCES.find((r) => r.kind === kind);
}

/** RBAC name as `kubectl auth can-i` spells it: `pods`, `deployments.apps`. */
export function rbacName(resource: ResourcePath): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
}
