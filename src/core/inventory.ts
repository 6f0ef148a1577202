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
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

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
}

export interface WorkloadRef {
  kind: string;
  name: string;
  namespace: string;
}

export interface PodInfo {
  name: string;
  namespace: string;
  uid: string | undefined;
  nodeName: string | undefined;
  phase: string | undefined;
  labels: Record<string, string>;
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
}

export interface ServiceInfo {
  name: string;
  namespace: string;
  type: string;
  raw: unknown;
}

export interface NetworkPolicyInfo {
  name: string;
  namespace: string;
  raw: unknown;
}

/** Where the inventory came from. */
export interface SourceInfo {
  type: 'kubernetes' | 'snapshot' | 'demo';
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
  coverage: Coverage;
  issues: Issue[];
}

export function podKey(pod: { namespace: string; name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}

export function workloadKey(ref: WorkloadRef): string {
  return `${ref.namespace}/${ref.kind}/${ref.name}`;
}
