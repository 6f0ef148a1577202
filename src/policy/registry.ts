import type { Check } from './check.js';
import { addedCapabilities } from './checks/added-capabilities/index.js';
import { exposedService } from './checks/exposed-service/index.js';
import { hostNamespaces } from './checks/host-namespaces/index.js';
import { hostPath } from './checks/host-path/index.js';
import { hostPorts } from './checks/host-ports/index.js';
import { imagePullPolicy } from './checks/image-pull-policy/index.js';
import { missingResources } from './checks/missing-resources/index.js';
import { mixedVersions } from './checks/mixed-versions/index.js';
import { mtlsNotStrict } from './checks/mtls-not-strict/index.js';
import { networkEgressOpen } from './checks/network-egress-open/index.js';
import { networkIngressOpen } from './checks/network-ingress-open/index.js';
import { networkNoDefaultDeny } from './checks/network-no-default-deny/index.js';
import { rbacAnonymousAccess } from './checks/rbac-anonymous-access/index.js';
import { rbacClusterAdmin } from './checks/rbac-cluster-admin/index.js';
import { rbacPodExec } from './checks/rbac-pod-exec/index.js';
import { rbacPrivilegeEscalation } from './checks/rbac-privilege-escalation/index.js';
import { rbacSecretsRead } from './checks/rbac-secrets-read/index.js';
import { rbacWildcard } from './checks/rbac-wildcard/index.js';
import { podSecurity } from './checks/pod-security/index.js';
import { privilegeEscalation } from './checks/privilege-escalation/index.js';
import { privilegedContainer } from './checks/privileged-container/index.js';
import { registryAllowList } from './checks/registry-allow-list/index.js';
import { runAsRoot } from './checks/run-as-root/index.js';
import { serviceAccountToken } from './checks/service-account-token/index.js';
import { staleImage } from './checks/stale-image/index.js';
import { unpinnedImage } from './checks/unpinned-image/index.js';
import { writableRootFilesystem } from './checks/writable-root-filesystem/index.js';

/** Every check, in report order. One line per check; the id is the folder name (contract-tested). */
export const CHECKS: readonly Check[] = [
  staleImage,
  unpinnedImage,
  mixedVersions,
  podSecurity,
  privilegedContainer,
  hostPath,
  hostNamespaces,
  hostPorts,
  addedCapabilities,
  privilegeEscalation,
  runAsRoot,
  writableRootFilesystem,
  missingResources,
  serviceAccountToken,
  exposedService,
  registryAllowList,
  imagePullPolicy,
  networkIngressOpen,
  networkEgressOpen,
  networkNoDefaultDeny,
  mtlsNotStrict,
  rbacClusterAdmin,
  rbacWildcard,
  rbacSecretsRead,
  rbacPodExec,
  rbacPrivilegeEscalation,
  rbacAnonymousAccess,
];
