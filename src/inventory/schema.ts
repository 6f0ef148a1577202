/**
 * zod schemas for the subset of Kubernetes objects the inventory reads. Objects are validated where
 * they enter (snapshot files, API replies); fields not named here pass through untouched so checks
 * can read the full spec. Timestamps may be strings (JSON/YAML) or Date objects (client-node).
 */
import { z } from 'zod';
import { identityWhen } from './identity.js';

const timestamp = z.union([z.string(), z.date().transform((d) => d.toISOString())]);
/** Label/annotation maps; `null` values read as `''` (a string value is kept as it is, which lets identity.ts keep the parsed JSON). */
const stringMap = z.record(
  z.string(),
  identityWhen(
    z.string().nullable().transform((v) => v ?? ''),
    (v) => typeof v === 'string',
  ),
);

export const OwnerReference = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  controller: z.boolean().nullish(),
});
export type OwnerReference = z.infer<typeof OwnerReference>;

export const ObjectMeta = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().nullish(),
  uid: z.string().nullish(),
  labels: stringMap.nullish(),
  annotations: stringMap.nullish(),
  ownerReferences: z.array(OwnerReference).nullish(),
  creationTimestamp: timestamp.nullish(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

const Container = z.looseObject({
  name: z.string(),
  image: z.string().nullish(),
  /** Validated port by port in build.ts (`ContainerPort`): one bad port must not drop the pod. */
  ports: z.array(z.unknown()).nullish(),
  restartPolicy: z.string().nullish(),
});

/** core/v1 ContainerPort: what NetworkPolicy named ports and mesh port overrides resolve against. */
export const ContainerPort = z.looseObject({
  name: z.string().nullish(),
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).nullish(),
});
export type ContainerPort = z.infer<typeof ContainerPort>;

const ContainerStatus = z.looseObject({
  name: z.string(),
  image: z.string().nullish(),
  imageID: z.string().nullish(),
  restartCount: z.number().nullish(),
  state: z.looseObject({ running: z.unknown().optional(), waiting: z.unknown().optional(), terminated: z.unknown().optional() }).nullish(),
});
export type ContainerStatus = z.infer<typeof ContainerStatus>;

export const Pod = z.looseObject({
  kind: z.literal('Pod').optional(),
  metadata: ObjectMeta,
  spec: z.looseObject({
    nodeName: z.string().nullish(),
    containers: z.array(Container),
    initContainers: z.array(Container).nullish(),
    ephemeralContainers: z.array(Container).nullish(),
    serviceAccountName: z.string().nullish(),
    /** Deprecated alias of serviceAccountName, still set by the API server. */
    serviceAccount: z.string().nullish(),
    automountServiceAccountToken: z.boolean().nullish(),
    hostNetwork: z.boolean().nullish(),
  }),
  status: z
    .looseObject({
      phase: z.string().nullish(),
      podIP: z.string().nullish(),
      podIPs: z.array(z.looseObject({ ip: z.string() })).nullish(),
      containerStatuses: z.array(ContainerStatus).nullish(),
      initContainerStatuses: z.array(ContainerStatus).nullish(),
      ephemeralContainerStatuses: z.array(ContainerStatus).nullish(),
    })
    .nullish(),
});
export type Pod = z.infer<typeof Pod>;

export const Node = z.looseObject({
  kind: z.literal('Node').optional(),
  metadata: ObjectMeta,
  status: z
    .looseObject({
      images: z.array(z.looseObject({ names: z.array(z.string()).nullish(), sizeBytes: z.number().nullish() })).nullish(),
      nodeInfo: z
        .looseObject({
          kubeletVersion: z.string().nullish(),
          osImage: z.string().nullish(),
          kernelVersion: z.string().nullish(),
          containerRuntimeVersion: z.string().nullish(),
          architecture: z.string().nullish(),
          operatingSystem: z.string().nullish(),
        })
        .nullish(),
    })
    .nullish(),
});
export type Node = z.infer<typeof Node>;

/** Namespaces, workloads, Services and NetworkPolicies: metadata is all the inventory needs; the rest passes through. */
export const GenericObject = z.looseObject({
  kind: z.string().optional(),
  metadata: ObjectMeta,
  spec: z.looseObject({}).nullish(),
});
export type GenericObject = z.infer<typeof GenericObject>;

export const Service = z.looseObject({
  kind: z.literal('Service').optional(),
  metadata: ObjectMeta,
  spec: z.looseObject({ type: z.string().nullish(), selector: stringMap.nullish() }).nullish(),
});
export type Service = z.infer<typeof Service>;

/**
 * A workload's pod template (`spec.template` of Deployments & co., `spec.jobTemplate.spec.template`
 * of CronJobs), validated in build.ts so an odd template costs an issue, never the workload.
 */
export const PodTemplate = z.looseObject({
  metadata: z.looseObject({ labels: stringMap.nullish(), annotations: stringMap.nullish() }).nullish(),
  spec: z.looseObject({
    containers: z.array(Container).nullish(),
    initContainers: z.array(Container).nullish(),
    serviceAccountName: z.string().nullish(),
    serviceAccount: z.string().nullish(),
    automountServiceAccountToken: z.boolean().nullish(),
    hostNetwork: z.boolean().nullish(),
  }),
});
export type PodTemplate = z.infer<typeof PodTemplate>;

// ---------------------------------------------------------------------------------------------
// Label selectors and NetworkPolicy specs (networking.k8s.io/v1). The envelope (metadata) is
// validated by the source; the spec here, in build.ts, so that an invalid policy is kept in the
// model as "cannot be evaluated" with an issue, instead of silently vanishing (which would make
// the pods it isolates look open, or the other way round).

/** metav1.LabelSelector. Strict: `podSelector: {app: web}` (missing matchLabels) is a classic mistake the API server rejects. */
export const LabelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).nullish(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
});
export type LabelSelector = z.infer<typeof LabelSelector>;

const NetworkPolicyPort = z.strictObject({
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).nullish(),
  port: z.union([z.number().int(), z.string().min(1)]).nullish(),
  endPort: z.number().int().nullish(),
});

const NetworkPolicyPeer = z.strictObject({
  podSelector: LabelSelector.nullish(),
  namespaceSelector: LabelSelector.nullish(),
  ipBlock: z.strictObject({ cidr: z.string().min(1), except: z.array(z.string()).nullish() }).nullish(),
});
export type NetworkPolicyPeer = z.infer<typeof NetworkPolicyPeer>;

export const NetworkPolicySpec = z.strictObject({
  /** Required by the API; a missing one decodes to the empty selector (every pod), as in Go. */
  podSelector: LabelSelector.nullish(),
  policyTypes: z.array(z.enum(['Ingress', 'Egress'])).max(2).nullish(),
  ingress: z.array(z.strictObject({ from: z.array(NetworkPolicyPeer).nullish(), ports: z.array(NetworkPolicyPort).nullish() })).nullish(),
  egress: z.array(z.strictObject({ to: z.array(NetworkPolicyPeer).nullish(), ports: z.array(NetworkPolicyPort).nullish() })).nullish(),
});
export type NetworkPolicySpec = z.infer<typeof NetworkPolicySpec>;

// ---------------------------------------------------------------------------------------------
// RBAC (rbac.authorization.k8s.io/v1) and ServiceAccounts

export const PolicyRule = z.looseObject({
  verbs: z.array(z.string()).min(1),
  apiGroups: z.array(z.string()).nullish(),
  resources: z.array(z.string()).nullish(),
  resourceNames: z.array(z.string()).nullish(),
  nonResourceURLs: z.array(z.string()).nullish(),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

export const RoleSpec = z.looseObject({
  rules: z.array(PolicyRule).nullish(),
  aggregationRule: z.looseObject({ clusterRoleSelectors: z.array(LabelSelector).nullish() }).nullish(),
});

export const RoleBindingSpec = z.looseObject({
  roleRef: z.looseObject({ apiGroup: z.string().nullish(), kind: z.enum(['Role', 'ClusterRole']), name: z.string().min(1) }),
  subjects: z
    .array(z.looseObject({ kind: z.enum(['User', 'Group', 'ServiceAccount']), name: z.string().min(1), namespace: z.string().nullish(), apiGroup: z.string().nullish() }))
    .nullish(),
});

/** Roles and bindings keep their rules/subjects at the top level (no `spec`): the envelope lets them through for build.ts. */
const RbacObject = z.looseObject({
  kind: z.string().optional(),
  metadata: ObjectMeta,
});
export type RbacObject = z.infer<typeof RbacObject>;

export const ServiceAccount = z.looseObject({
  kind: z.literal('ServiceAccount').optional(),
  metadata: ObjectMeta,
  automountServiceAccountToken: z.boolean().nullish(),
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;

// ---------------------------------------------------------------------------------------------
// Node reports: the ConfigMaps the node agent publishes (one per node, `src/agent/`). Only these
// ConfigMaps are read (by label, in the agent's namespace); their payload is parsed by `agent/`.

export const NODE_REPORT_LABELS = { 'app.kubernetes.io/managed-by': 'runwarden', 'app.kubernetes.io/component': 'node-report' } as const;
/** `app.kubernetes.io/managed-by=runwarden,app.kubernetes.io/component=node-report` */
export const NODE_REPORT_SELECTOR = Object.entries(NODE_REPORT_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
/** Where the agents publish unless told otherwise (deploy/node-agent). */
export const DEFAULT_NODE_REPORT_NAMESPACE = 'runwarden-node';

export const ConfigMap = z.looseObject({
  kind: z.literal('ConfigMap').optional(),
  metadata: ObjectMeta,
  data: stringMap.nullish(),
});
export type ConfigMap = z.infer<typeof ConfigMap>;

/** True for a ConfigMap labelled as a runwarden node report. */
export function isNodeReportConfigMap(object: { metadata: { labels?: Record<string, string> | null | undefined } }): boolean {
  const labels = object.metadata.labels ?? {};
  return Object.entries(NODE_REPORT_LABELS).every(([k, v]) => labels[k] === v);
}

// ---------------------------------------------------------------------------------------------
// Istio PeerAuthentication (security.istio.io/v1 and v1beta1: the same schema)

export const PEER_AUTHENTICATION_VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'] as const;

export const PeerAuthentication = z.looseObject({
  apiVersion: z.enum(PEER_AUTHENTICATION_VERSIONS, { error: `expected apiVersion ${PEER_AUTHENTICATION_VERSIONS.join(' or ')}` }),
  kind: z.literal('PeerAuthentication').optional(),
  metadata: ObjectMeta,
  spec: z.looseObject({}).nullish(),
});
export type PeerAuthentication = z.infer<typeof PeerAuthentication>;

const MtlsMode = z.enum(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']);

export const PeerAuthenticationSpec = z.looseObject({
  selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()).nullish() }).nullish(),
  mtls: z.looseObject({ mode: MtlsMode.nullish() }).nullish(),
  /** Keys are container ports; specs.ts checks they are numbers 1-65535. */
  portLevelMtls: z.record(z.string(), z.looseObject({ mode: MtlsMode.nullish() })).nullish(),
});

/** One raw object list per resource kind, plus where each object came from. */
export interface ClusterObjects {
  Namespace: GenericObject[];
  Node: Node[];
  Pod: Pod[];
  ReplicaSet: GenericObject[];
  Deployment: GenericObject[];
  StatefulSet: GenericObject[];
  DaemonSet: GenericObject[];
  Job: GenericObject[];
  CronJob: GenericObject[];
  Service: Service[];
  NetworkPolicy: GenericObject[];
  ServiceAccount: ServiceAccount[];
  Role: RbacObject[];
  ClusterRole: RbacObject[];
  RoleBinding: RbacObject[];
  ClusterRoleBinding: RbacObject[];
  PeerAuthentication: PeerAuthentication[];
}

export const OBJECT_SCHEMAS = {
  Namespace: GenericObject,
  Node,
  Pod,
  ReplicaSet: GenericObject,
  Deployment: GenericObject,
  StatefulSet: GenericObject,
  DaemonSet: GenericObject,
  Job: GenericObject,
  CronJob: GenericObject,
  Service,
  NetworkPolicy: GenericObject,
  ServiceAccount,
  Role: RbacObject,
  ClusterRole: RbacObject,
  RoleBinding: RbacObject,
  ClusterRoleBinding: RbacObject,
  PeerAuthentication,
} as const;

export function emptyClusterObjects(): ClusterObjects {
  return {
    Namespace: [],
    Node: [],
    Pod: [],
    ReplicaSet: [],
    Deployment: [],
    StatefulSet: [],
    DaemonSet: [],
    Job: [],
    CronJob: [],
    Service: [],
    NetworkPolicy: [],
    ServiceAccount: [],
    Role: [],
    ClusterRole: [],
    RoleBinding: [],
    ClusterRoleBinding: [],
    PeerAuthentication: [],
  };
}
