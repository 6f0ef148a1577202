import { actingUser, target, type AuditEvent } from '../../event.js';
import { isSystemUser, type AuditRule, type RuleMatch } from '../../rule.js';

interface TrackedKind {
  kind: string;
  /** The kind as Falco's activity rules spell it (`K8s Serviceaccount Created`). */
  falco: string;
  /** API groups of the resource ('' = core; an objectRef without apiGroup is read as ''). */
  groups: readonly string[];
  namespaced: boolean;
}

const RBAC = ['rbac.authorization.k8s.io', ''];

/** The objects that shape a cluster, by resource. */
export const TRACKED: Readonly<Record<string, TrackedKind>> = {
  deployments: { kind: 'Deployment', falco: 'Deployment', groups: ['apps', 'extensions', ''], namespaced: true },
  services: { kind: 'Service', falco: 'Service', groups: [''], namespaced: true },
  configmaps: { kind: 'ConfigMap', falco: 'ConfigMap', groups: [''], namespaced: true },
  namespaces: { kind: 'Namespace', falco: 'Namespace', groups: [''], namespaced: false },
  serviceaccounts: { kind: 'ServiceAccount', falco: 'Serviceaccount', groups: [''], namespaced: true },
  roles: { kind: 'Role', falco: 'Role', groups: RBAC, namespaced: true },
  clusterroles: { kind: 'ClusterRole', falco: 'ClusterRole', groups: RBAC, namespaced: false },
  rolebindings: { kind: 'RoleBinding', falco: 'RoleBinding', groups: RBAC, namespaced: true },
  clusterrolebindings: { kind: 'ClusterRoleBinding', falco: 'ClusterRoleBinding', groups: RBAC, namespaced: false },
  secrets: { kind: 'Secret', falco: 'Secret', groups: [''], namespaced: true },
};

const DONE: Record<string, 'Created' | 'Deleted'> = { create: 'Created', delete: 'Deleted' };

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  const tracked = TRACKED[t.resource];
  const done = DONE[event.verb];
  if (tracked === undefined || done === undefined || t.subresource !== '' || !tracked.groups.includes(t.apiGroup)) return undefined;
  // the controller manager writes service account token Secrets, and kube-system's Secrets belong to the cluster
  if (t.resource === 'secrets' && (t.namespace === 'kube-system' || isSystemUser(actingUser(event).username))) return undefined;
  const namespaced = tracked.namespaced && t.namespace !== '';
  const name = namespaced ? (t.name === '' ? `in ${t.namespace}` : `${t.namespace}/${t.name}`) : t.name;
  return {
    title: `${tracked.kind} ${name} ${done.toLowerCase()}`.replace(/ {2,}/g, ' '),
    evidence: {
      activity: `K8s ${tracked.falco} ${done}`,
      object: { kind: tracked.kind, ...(t.name === '' ? {} : { name: t.name }), ...(namespaced ? { namespace: t.namespace } : {}) },
    },
  };
}

export const changeTrail: AuditRule = {
  id: 'change-trail',
  title: 'A record of each create and delete of the objects that shape a cluster',
  severity: 'info',
  description:
    'An info record, when `activity` is on, of each successful create or delete of Deployments, Services, ConfigMaps, Namespaces, ServiceAccounts, Roles, ClusterRoles, RoleBindings, ClusterRoleBindings and Secrets, so that an investigation can see who changed what and when. Secrets in kube-system and Secrets written by system identities (service account tokens) are left out; updates and patches, and other kinds (Pods, ReplicaSets, CRDs), are not recorded.',
  remediation: 'Nothing to fix: keep the trail with the other detections and compare it with the changes that were planned (deployments, change tickets, GitOps history).',
  falco: [
    'K8s Deployment Created',
    'K8s Deployment Deleted',
    'K8s Service Created',
    'K8s Service Deleted',
    'K8s ConfigMap Created',
    'K8s ConfigMap Deleted',
    'K8s Namespace Created',
    'K8s Namespace Deleted',
    'K8s Serviceaccount Created',
    'K8s Serviceaccount Deleted',
    'K8s Role Created',
    'K8s Role Deleted',
    'K8s ClusterRole Created',
    'K8s ClusterRole Deleted',
    'K8s RoleBinding Created',
    'K8s RoleBinding Deleted',
    'K8s ClusterRoleBinding Created',
    'K8s ClusterRoleBinding Deleted',
    'K8s Secret Created',
    'K8s Secret Deleted',
  ],
  enabled: (settings) => settings.activity,
  evaluate,
};
