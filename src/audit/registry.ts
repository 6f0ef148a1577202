/**
 * Every audit detection rule, listed explicitly (the contract test holds it equal to the folders of rules/).
 * Order is the order of a report's detections for one event.
 */
import type { AuditRule } from './rule.js';
import { accessDeniedBurst } from './rules/access-denied-burst/index.js';
import { anonymousRequestAllowed } from './rules/anonymous-request-allowed/index.js';
import { changeTrail } from './rules/change-trail/index.js';
import { clusterAdminBound } from './rules/cluster-admin-bound/index.js';
import { configmapCredentials } from './rules/configmap-credentials/index.js';
import { ephemeralContainerAdded } from './rules/ephemeral-container-added/index.js';
import { hostNamespacePodCreated } from './rules/host-namespace-pod-created/index.js';
import { kubeNamespacePodCreated } from './rules/kube-namespace-pod-created/index.js';
import { kubeNamespaceServiceAccountCreated } from './rules/kube-namespace-service-account-created/index.js';
import { nodeportServiceCreated } from './rules/nodeport-service-created/index.js';
import { podExec } from './rules/pod-exec/index.js';
import { podExecRoleCreated } from './rules/pod-exec-role-created/index.js';
import { podPortForward } from './rules/pod-port-forward/index.js';
import { privilegedPodCreated } from './rules/privileged-pod-created/index.js';
import { secretEnumeration } from './rules/secret-enumeration/index.js';
import { secretRead } from './rules/secret-read/index.js';
import { sensitiveMountPodCreated } from './rules/sensitive-mount-pod-created/index.js';
import { systemRoleChanged } from './rules/system-role-changed/index.js';
import { unexpectedNamespaceCreated } from './rules/unexpected-namespace-created/index.js';
import { unexpectedUser } from './rules/unexpected-user/index.js';
import { wildcardRoleCreated } from './rules/wildcard-role-created/index.js';
import { writeRoleCreated } from './rules/write-role-created/index.js';

export const AUDIT_RULES: readonly AuditRule[] = [
  anonymousRequestAllowed,
  clusterAdminBound,
  privilegedPodCreated,
  hostNamespacePodCreated,
  sensitiveMountPodCreated,
  podExec,
  podPortForward,
  ephemeralContainerAdded,
  wildcardRoleCreated,
  podExecRoleCreated,
  systemRoleChanged,
  secretRead,
  secretEnumeration,
  accessDeniedBurst,
  kubeNamespacePodCreated,
  kubeNamespaceServiceAccountCreated,
  nodeportServiceCreated,
  configmapCredentials,
  writeRoleCreated,
  unexpectedUser,
  unexpectedNamespaceCreated,
  changeTrail,
];

export function auditRule(id: string): AuditRule | undefined {
  return AUDIT_RULES.find((r) => r.id === id);
}
