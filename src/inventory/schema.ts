/**
 * zod schemas for the subset of Kubernetes objects the inventory reads. Objects are validated where
 * they enter (snapshot files, API replies); fields not named here pass through untouched so checks
 * can read the full spec. Timestamps may be strings (JSON/YAML) or Date objects (client-node).
 */
import { z } from 'zod';

const timestamp = z.union([z.string(), z.date().transform((d) => d.toISOString())]);
const stringMap = z.record(z.string(), z.string().nullable().transform((v) => v ?? ''));

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
});

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
  }),
  status: z
    .looseObject({
      phase: z.string().nullish(),
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
  spec: z.looseObject({ type: z.string().nullish() }).nullish(),
});
export type Service = z.infer<typeof Service>;

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
} as const;

export function emptyClusterObjects(): ClusterObjects {
  return { Namespace: [], Node: [], Pod: [], ReplicaSet: [], Deployment: [], StatefulSet: [], DaemonSet: [], Job: [], CronJob: [], Service: [], NetworkPolicy: [] };
}
