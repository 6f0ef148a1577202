/**
 * The inventory model: what runs where, and what each node caches (PRODUCT.md C1).
 * container → pod → owning workload → namespace → node. Built from raw Kubernetes objects by
 * `inventory/build.ts`; every check and report reads this model, never the raw API objects'
 * shapes directly (the raw objects stay attached for checks that need the full spec).
 */
import type { ImageReference, RunningImage } from './image-ref.js';
import type { Issue } from './issue.js';

export const RESOURCE_KINDS = [
  'Namespace',
  'Node',
  'Pod',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Service',
  'NetworkPolicy',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  /** Istio `security.istio.io/v1` (or `v1beta1`); absent when Istio is not installed. */
  'PeerAuthentication',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Kinds that live outside namespaces (everything else is namespaced). */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<ResourceKind> = new Set<ResourceKind>(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding']);

export type ContainerType = 'init' | 'regular' | 'ephemeral';

export interface ContainerInfo {
  name: string;
  type: ContainerType;
  /** `spec.containers[].image` exactly as written. */
  image: string;
  /** Parsed and normalised `image`; undefined when the reference is invalid (an issue is recorded). */
  ref: ImageReference | undefined;
  /** From `status.*ContainerStatuses[].imageID`: the digest actually running. */
  running: RunningImage | undefined;
  /** `status.*ContainerStatuses[].image`: the runtime's name for the image (may be a bare `sha256:` ID). */
  statusImage: string | undefined;
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  restartCount: number;
  /** `ports[]` as declared (used to resolve named ports of NetworkPolicies and mesh port overrides). */
  ports: ContainerPort[];
  /** `restartPolicy: Always` on an init container makes it a native sidecar (Kubernetes 1.28+). */
  restartPolicy: string | undefined;
}

export interface ContainerPort {
  name: string | undefined;
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

/**
 * What a pod spec says about identity, mesh enrolment and networking: read from a running pod and
 * from a workload's pod template alike, so checks can judge manifests that have no pods yet.
 */
export interface PodSpecInfo {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `spec.serviceAccountName` (or the deprecated `spec.serviceAccount`), `default` when unset. */
  serviceAccountName: string;
  /** `spec.automountServiceAccountToken`; undefined = the ServiceAccount decides (default: mounted). */
  automountServiceAccountToken: boolean | undefined;
  hostNetwork: boolean;
}

/** A workload's pod template (`spec.template`, `spec.jobTemplate.spec.template` for CronJobs). */
export interface PodTemplateInfo extends PodSpecInfo {
  containers: Array<{ name: string; type: ContainerType; ports: ContainerPort[]; restartPolicy: string | undefined }>;
}

export interface WorkloadRef {
  kind: string;
  name: string;
  namespace: string;
}

export interface PodInfo extends PodSpecInfo {
  name: string;
  namespace: string;
  uid: string | undefined;
  nodeName: string | undefined;
  phase: string | undefined;
  /** `status.podIPs` (or `status.podIP`); empty before the pod is scheduled. */
  podIPs: string[];
  /** The top-level owner: Deployment (via ReplicaSet), CronJob (via Job), StatefulSet, DaemonSet, … or the pod itself. */
  workload: WorkloadRef;
  containers: ContainerInfo[];
  /** Where the object came from: a snapshot file or an API URL. */
  origin: string | undefined;
  raw: unknown;
}

export interface WorkloadInfo extends WorkloadRef {
  uid: string | undefined;
  labels: Record<string, string>;
  /** Keys (`namespace/name`) of the pods this workload owns in the inventory. */
  pods: string[];
  /** The pod template; undefined for bare pods and owners that were not listed. */
  template: PodTemplateInfo | undefined;
  origin: string | undefined;
  raw: unknown;
}

export interface CachedImage {
  /** All names the kubelet reported: `repo:tag` and `repo@sha256:…`. */
  names: string[];
  /** Repo digests (`sha256:…`) found in `names`. */
  digests: string[];
  /** Parsed `repo:tag` names. */
  tags: ImageReference[];
  sizeBytes: number;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  kubeletVersion: string | undefined;
  osImage: string | undefined;
  kernelVersion: string | undefined;
  containerRuntimeVersion: string | undefined;
  architecture: string | undefined;
  operatingSystem: string | undefined;
  createdAt: string | undefined;
  images: CachedImage[];
  origin: string | undefined;
  raw: unknown;
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  /** Linkerd (`linkerd.io/inject`, `config.linkerd.io/*`) and others configure namespaces by annotation. */
  annotations: Record<string, string>;
}

export interface ServiceInfo {
  name: string;
  namespace: string;
  type: string;
  /** `spec.selector`; undefined for Services without one (ExternalName, manual Endpoints). */
  selector: Record<string, string> | undefined;
  raw: unknown;
}

// ---------------------------------------------------------------------------------------------
// Label selectors and NetworkPolicies (networking.k8s.io/v1)

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** metav1.LabelSelector: `matchLabels` and `matchExpressions` are ANDed; an empty selector selects everything. */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: Array<{ key: string; operator: SelectorOperator; values: string[] }>;
}

export type PolicyType = 'Ingress' | 'Egress';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface NetworkPolicyPort {
  /** Defaults to TCP. */
  protocol: Protocol;
  /** A number or a named container port; undefined = every port of the protocol. */
  port: number | string | undefined;
  /** With a numeric `port`: the range `port`..`endPort`. */
  endPort: number | undefined;
}

/** One element of `from`/`to`: exactly the selectors that were set (podSelector and namespaceSelector may combine). */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector | undefined;
  namespaceSelector?: LabelSelector | undefined;
  ipBlock?: { cidr: string; except: string[] } | undefined;
}

export interface NetworkPolicyRule {
  /** `from`/`to`; empty = every source/destination. */
  peers: NetworkPolicyPeer[];
  /** Empty = every port. */
  ports: NetworkPolicyPort[];
}

export interface NetworkPolicyInfo {
  name: string;
  namespace: string;
  createdAt: string | undefined;
  podSelector: LabelSelector;
  /** After API defaulting: Ingress always, Egress when `spec.egress` has rules (unless set explicitly). */
  policyTypes: PolicyType[];
  /** True when `spec.policyTypes` was omitted and the defaulting rule decided. */
  policyTypesDefaulted: boolean;
  ingress: NetworkPolicyRule[];
  egress: NetworkPolicyRule[];
  /** Why the spec could not be evaluated (an issue is recorded); the other fields are then empty. */
  invalid: string | undefined;
  origin: string | undefined;
  raw: unknown;
}

// ---------------------------------------------------------------------------------------------
// RBAC (rbac.authorization.k8s.io/v1) and ServiceAccounts

export interface PolicyRule {
  verbs: string[];
  /** `''` is the core group. */
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

export interface RoleInfo {
  kind: 'Role' | 'ClusterRole';
  name: string;
  /** Undefined for ClusterRoles. */
  namespace: string | undefined;
  labels: Record<string, string>;
  rules: PolicyRule[];
  /** ClusterRole `aggregationRule.clusterRoleSelectors`: the role also holds the rules of every ClusterRole they select. */
  aggregationSelectors: LabelSelector[];
  invalid: string | undefined;
  origin: string | undefined;
  raw: unknown;
}

export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  /** ServiceAccounts only. */
  namespace: string | undefined;
}

export interface RoleBindingInfo {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** Undefined for ClusterRoleBindings. */
  namespace: string | undefined;
  labels: Record<string, string>;
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string };
  subjects: RbacSubject[];
  invalid: string | undefined;
  origin: string | undefined;
  raw: unknown;
}

export interface ServiceAccountInfo {
  name: string;
  namespace: string;
  /** `automountServiceAccountToken`; undefined = mounted unless the pod says otherwise. */
  automountServiceAccountToken: boolean | undefined;
  origin: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Service mesh: Istio PeerAuthentication (security.istio.io/v1, v1beta1)

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

export interface PeerAuthenticationInfo {
  name: string;
  namespace: string;
  apiVersion: string;
  createdAt: string | undefined;
  /** `spec.selector.matchLabels`; undefined or empty = namespace-wide (mesh-wide in the root namespace). */
  selector: Record<string, string> | undefined;
  /** `spec.mtls.mode`; UNSET when absent (inherit from the parent scope). */
  mode: MtlsMode;
  /** `spec.portLevelMtls`: container port → mode. */
  portLevelMtls: Array<{ port: number; mode: MtlsMode }>;
  invalid: string | undefined;
  origin: string | undefined;
  raw: unknown;
}

/** Where the inventory came from. */
export interface SourceInfo {
  type: 'kubernetes' | 'snapshot' | 'demo' | 'manifests' | 'sbom' | 'image' | 'audit-log';
  /** kubeconfig context + server URL, or the snapshot path. */
  location: string;
  context?: string | undefined;
}

export interface Coverage {
  /** Resource kinds listed completely (every namespace in scope). */
  complete: ResourceKind[];
  /** Namespace filter in force; undefined = all namespaces. */
  namespaces: string[] | undefined;
}

export interface Inventory {
  source: SourceInfo;
  namespaces: NamespaceInfo[];
  nodes: NodeInfo[];
  pods: PodInfo[];
  workloads: WorkloadInfo[];
  services: ServiceInfo[];
  networkPolicies: NetworkPolicyInfo[];
  serviceAccounts: ServiceAccountInfo[];
  /** Roles and ClusterRoles. */
  roles: RoleInfo[];
  /** RoleBindings and ClusterRoleBindings. */
  roleBindings: RoleBindingInfo[];
  peerAuthentications: PeerAuthenticationInfo[];
  coverage: Coverage;
  issues: Issue[];
}

export function podKey(pod: { namespace: string; name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}

export function workloadKey(ref: WorkloadRef): string {
  return `${ref.namespace}/${ref.kind}/${ref.name}`;
}

/**
 * A unit of "what runs": every pod in the inventory, plus the pod template of each workload that has
 * no pod in the inventory (a CronJob between runs, a Deployment scaled to 0, a manifest checked
 * before deploy). Checks over pod specs iterate these so `scan` and `check` judge the same things.
 */
export interface PodView extends PodSpecInfo {
  namespace: string;
  workload: WorkloadRef;
  /** The pod's name, or undefined for a workload template. */
  pod: string | undefined;
  containers: Array<{ name: string; type: ContainerType; ports: ContainerPort[]; restartPolicy: string | undefined }>;
  podIPs: string[];
  origin: string | undefined;
}

export function podViews(inventory: Inventory): PodView[] {
  const out: PodView[] = [];
  for (const p of inventory.pods) {
    out.push({
      namespace: p.namespace,
      workload: p.workload,
      pod: p.name,
      labels: p.labels,
      annotations: p.annotations,
      serviceAccountName: p.serviceAccountName,
      automountServiceAccountToken: p.automountServiceAccountToken,
      hostNetwork: p.hostNetwork,
      containers: p.containers,
      podIPs: p.podIPs,
      origin: p.origin,
    });
  }
  for (const w of inventory.workloads) {
    if (w.pods.length > 0 || w.template === undefined) continue;
    out.push({ ...w.template, namespace: w.namespace, workload: { kind: w.kind, name: w.name, namespace: w.namespace }, pod: undefined, podIPs: [], origin: w.origin });
  }
  return out;
}
