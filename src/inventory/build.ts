/**
 * Builds the inventory model (core/inventory.ts) from raw objects: resolves every pod to its
 * top-level workload (ReplicaSet → Deployment, Job → CronJob), parses every image reference and
 * running digest, and reads each node's image cache. Pure: no I/O.
 */
import { parseImageId, parseImageReference, tryParseImageReference, type ImageReference, type RunningImage } from '../core/image-ref.js';
import { errorMessage } from '../core/errors.js';
import type { CachedImage, ContainerInfo, ContainerType, Inventory, NodeInfo, PodInfo, WorkloadInfo, WorkloadRef } from '../core/inventory.js';
import { podKey, workloadKey } from '../core/inventory.js';
import { issue, type Issue } from '../core/issue.js';
import type { ContainerStatus, GenericObject, ObjectMeta, OwnerReference, Pod } from './schema.js';
import type { SourceResult } from './source.js';
import { containerPorts, networkPolicy, peerAuthentication, podTemplate, role, roleBinding, serviceAccountName } from './specs.js';

/** Kinds whose pods roll up one level further to the owner's own controller. */
const ROLL_UP: Record<string, string> = { ReplicaSet: 'Deployment', Job: 'CronJob' };

export function buildInventory(result: SourceResult): Inventory {
  const issues: Issue[] = [...result.issues];
  const { objects, origins } = result;

  // Owner lookup: kind/namespace/name → object, for the two-level roll-ups.
  const owners = new Map<string, GenericObject>();
  for (const kind of ['ReplicaSet', 'Job'] as const) {
    for (const obj of objects[kind]) owners.set(`${kind}/${ns(obj.metadata)}/${obj.metadata.name}`, obj);
  }

  const workloads = new Map<string, WorkloadInfo>();
  const workloadObjects: Array<[string, GenericObject]> = [];
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'ReplicaSet', 'Job'] as const) {
    for (const obj of objects[kind]) workloadObjects.push([kind, obj]);
  }
  for (const [kind, obj] of workloadObjects) {
    // ReplicaSets and Jobs with a controller are not top-level workloads themselves.
    if ((kind === 'ReplicaSet' || kind === 'Job') && controllerOf(obj.metadata)?.kind === ROLL_UP[kind]) continue;
    const ref: WorkloadRef = { kind, name: obj.metadata.name, namespace: ns(obj.metadata) };
    const origin = origins.get(obj);
    const template = podTemplate(kind, obj, ref.namespace, origin, issues);
    workloads.set(workloadKey(ref), { ...ref, uid: obj.metadata.uid ?? undefined, labels: labels(obj.metadata), pods: [], template, origin, raw: obj });
  }

  const images: ImageCache = { refs: new Map(), ids: new Map() };
  const pods: PodInfo[] = [];
  // Pods of one owner (ReplicaSet, Job, StatefulSet, …) resolve alike: resolved once per owner and the
  // workload reference shared by its pods (the model is read-only), keyed namespace → kind → name.
  const resolved = new Map<string, Map<string, Map<string, { workload: WorkloadRef; key: string }>>>();
  for (const pod of objects.Pod) {
    const namespace = ns(pod.metadata);
    const owner = controllerOf(pod.metadata);
    let workload: WorkloadRef;
    let key: string;
    if (owner === undefined || owner.kind === 'Node') {
      workload = resolveWorkload(pod, owner, owners);
      key = workloadKey(workload);
    } else {
      let byKind = resolved.get(namespace);
      if (byKind === undefined) {
        byKind = new Map<string, Map<string, { workload: WorkloadRef; key: string }>>();
        resolved.set(namespace, byKind);
      }
      let byName = byKind.get(owner.kind);
      if (byName === undefined) {
        byName = new Map<string, { workload: WorkloadRef; key: string }>();
        byKind.set(owner.kind, byName);
      }
      let hit = byName.get(owner.name);
      if (hit === undefined) {
        const ref = resolveWorkload(pod, owner, owners);
        hit = { workload: ref, key: workloadKey(ref) };
        byName.set(owner.name, hit);
      }
      workload = hit.workload;
      key = hit.key;
    }
    let info = workloads.get(key);
    if (info === undefined) {
      // The owner was not in the inventory (bare pod, or its controller was not listed): the pod's
      // nearest known owner stands for the workload, never a name guessed from pod-template-hash.
      info = { ...workload, uid: undefined, labels: workload.kind === 'Pod' ? labels(pod.metadata) : {}, pods: [], template: undefined, origin: origins.get(pod), raw: undefined };
      workloads.set(key, info);
    }
    info.pods.push(podKey({ namespace, name: pod.metadata.name }));
    const origin = origins.get(pod);
    pods.push({
      name: pod.metadata.name,
      namespace,
      uid: pod.metadata.uid ?? undefined,
      nodeName: pod.spec.nodeName ?? undefined,
      phase: pod.status?.phase ?? undefined,
      podIPs: podIPs(pod),
      labels: labels(pod.metadata),
      annotations: pod.metadata.annotations ?? {},
      serviceAccountName: serviceAccountName(pod.spec),
      automountServiceAccountToken: pod.spec.automountServiceAccountToken ?? undefined,
      hostNetwork: pod.spec.hostNetwork ?? false,
      workload,
      containers: containersOf(pod, origin, issues, images),
      origin,
      raw: pod,
    });
  }

  const imageNames: ImageNames = new Map();
  const nodes: NodeInfo[] = objects.Node.map((node) => {
    const nodeInfo = node.status?.nodeInfo;
    return {
      name: node.metadata.name,
      labels: labels(node.metadata),
      kubeletVersion: nodeInfo?.kubeletVersion ?? undefined,
      osImage: nodeInfo?.osImage ?? undefined,
      kernelVersion: nodeInfo?.kernelVersion ?? undefined,
      containerRuntimeVersion: nodeInfo?.containerRuntimeVersion ?? undefined,
      architecture: nodeInfo?.architecture ?? undefined,
      operatingSystem: nodeInfo?.operatingSystem ?? undefined,
      createdAt: node.metadata.creationTimestamp ?? undefined,
      images: (node.status?.images ?? []).map((image) => cachedImage(image.names ?? [], image.sizeBytes ?? 0, imageNames)),
      origin: origins.get(node),
      raw: node,
    };
  });

  return {
    source: result.source,
    namespaces: objects.Namespace.map((n) => ({ name: n.metadata.name, labels: labels(n.metadata), annotations: n.metadata.annotations ?? {} })),
    nodes,
    pods,
    workloads: [...workloads.values()],
    services: objects.Service.map((s) => ({ name: s.metadata.name, namespace: ns(s.metadata), type: s.spec?.type ?? 'ClusterIP', selector: s.spec?.selector ?? undefined, raw: s })),
    networkPolicies: objects.NetworkPolicy.map((p) => networkPolicy(p, ns(p.metadata), origins.get(p), issues)),
    serviceAccounts: objects.ServiceAccount.map((sa) => ({ name: sa.metadata.name, namespace: ns(sa.metadata), automountServiceAccountToken: sa.automountServiceAccountToken ?? undefined, origin: origins.get(sa) })),
    roles: [...objects.Role.map((r) => role('Role', r, origins.get(r), issues)), ...objects.ClusterRole.map((r) => role('ClusterRole', r, origins.get(r), issues))],
    roleBindings: [
      ...objects.RoleBinding.map((b) => roleBinding('RoleBinding', b, origins.get(b), issues)),
      ...objects.ClusterRoleBinding.map((b) => roleBinding('ClusterRoleBinding', b, origins.get(b), issues)),
    ],
    peerAuthentications: objects.PeerAuthentication.map((p) => peerAuthentication(p, ns(p.metadata), origins.get(p), issues)),
    coverage: { complete: result.complete, namespaces: result.namespaces },
    issues,
  };
}

function ns(meta: ObjectMeta): string {
  return meta.namespace ?? 'default';
}

function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip);
  const single = pod.status?.podIP ?? undefined;
  return ips.length > 0 ? ips : single === undefined || single === '' ? [] : [single];
}

function labels(meta: ObjectMeta): Record<string, string> {
  return meta.labels ?? {};
}

function controllerOf(meta: ObjectMeta): OwnerReference | undefined {
  const refs = meta.ownerReferences;
  if (refs === null || refs === undefined) return undefined;
  for (const r of refs) if (r.controller === true) return r;
  return refs.length === 1 ? refs[0] : undefined;
}

function resolveWorkload(pod: Pod, owner: OwnerReference | undefined, owners: Map<string, GenericObject>): WorkloadRef {
  const namespace = ns(pod.metadata);
  // Static (mirror) pods are owned by their Node: the pod is its own workload.
  if (owner === undefined || owner.kind === 'Node') return { kind: 'Pod', name: pod.metadata.name, namespace };
  const parentKind = ROLL_UP[owner.kind];
  if (parentKind !== undefined) {
    const obj = owners.get(`${owner.kind}/${namespace}/${owner.name}`);
    const parent = obj === undefined ? undefined : controllerOf(obj.metadata);
    if (parent !== undefined && parent.kind === parentKind) return { kind: parent.kind, name: parent.name, namespace };
  }
  return { kind: owner.kind, name: owner.name, namespace };
}

/**
 * Parsed container images and running digests, per distinct string: 30,000 pods run a few thousand
 * images. The parsed values are shared between containers (the model is read-only).
 */
interface ImageCache {
  refs: Map<string, ImageReference | { error: string }>;
  ids: Map<string, RunningImage | undefined>;
}

function parseCached(image: string, cache: ImageCache): ImageReference | { error: string } {
  let ref = cache.refs.get(image);
  if (ref === undefined) {
    try {
      ref = parseImageReference(image);
    } catch (error) {
      ref = { error: errorMessage(error) };
    }
    cache.refs.set(image, ref);
  }
  return ref;
}

function runningCached(imageId: string | undefined, cache: ImageCache): RunningImage | undefined {
  if (imageId === undefined) return undefined;
  if (cache.ids.has(imageId)) return cache.ids.get(imageId);
  const running = parseImageId(imageId);
  cache.ids.set(imageId, running);
  return running;
}

function containersOf(pod: Pod, origin: string | undefined, issues: Issue[], images: ImageCache): ContainerInfo[] {
  const status = pod.status;
  const out: ContainerInfo[] = [];
  addContainers(out, 'init', pod, pod.spec.initContainers, status?.initContainerStatuses, origin, issues, images);
  addContainers(out, 'regular', pod, pod.spec.containers, status?.containerStatuses, origin, issues, images);
  addContainers(out, 'ephemeral', pod, pod.spec.ephemeralContainers, status?.ephemeralContainerStatuses, origin, issues, images);
  return out;
}

/** The status of the container `name`: statuses list the containers in spec order, so index `i` is tried first. */
function statusOf(statuses: ContainerStatus[] | null | undefined, name: string, i: number): ContainerStatus | undefined {
  if (statuses === null || statuses === undefined) return undefined;
  const guess = statuses[i];
  if (guess !== undefined && guess.name === name) {
    // `find` returns the first match: a duplicated name earlier in the list wins, as before.
    for (let j = 0; j < i; j++) if (statuses[j]?.name === name) return statuses[j];
    return guess;
  }
  for (const s of statuses) if (s.name === name) return s;
  return undefined;
}

function addContainers(
  out: ContainerInfo[],
  type: ContainerType,
  pod: Pod,
  specs: Pod['spec']['containers'] | null | undefined,
  statuses: ContainerStatus[] | null | undefined,
  origin: string | undefined,
  issues: Issue[],
  images: ImageCache,
): void {
  if (specs === null || specs === undefined) return;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    if (spec === undefined) continue;
    const st = statusOf(statuses, spec.name, i);
    const image = spec.image ?? '';
    let ref: ImageReference | undefined;
    if (image === '') {
      issues.push(issue('image-missing', `Container ${spec.name} of pod ${ns(pod.metadata)}/${pod.metadata.name} has no image`, origin));
    } else {
      const parsed = parseCached(image, images);
      if ('error' in parsed) issues.push(issue('image-reference', `Pod ${ns(pod.metadata)}/${pod.metadata.name} container ${spec.name}: ${parsed.error}`, origin));
      else ref = parsed;
    }
    const state = st?.state;
    out.push({
      name: spec.name,
      type,
      image,
      ref,
      running: runningCached(st?.imageID ?? undefined, images),
      statusImage: st?.image ?? undefined,
      state: state?.running !== undefined ? 'running' : state?.terminated !== undefined ? 'terminated' : state?.waiting !== undefined ? 'waiting' : 'unknown',
      restartCount: st?.restartCount ?? 0,
      ports: spec.ports === undefined || spec.ports === null || spec.ports.length === 0 ? [] : containerPorts(spec.ports, () => `Pod ${ns(pod.metadata)}/${pod.metadata.name} container ${spec.name}`, origin, issues),
      restartPolicy: spec.restartPolicy ?? undefined,
    });
  }
}

/** Parsed node image names: 1,000 nodes cache mostly the same images, so each name is parsed once per build. */
type ImageNames = Map<string, ImageReference | undefined>;

function cachedImage(names: string[], sizeBytes: number, parsed: ImageNames): CachedImage {
  const digests: string[] = [];
  const tags: ImageReference[] = [];
  for (const name of names) {
    let ref = parsed.get(name);
    if (ref === undefined && !parsed.has(name)) {
      ref = tryParseImageReference(name);
      parsed.set(name, ref);
    }
    if (ref === undefined) continue;
    if (ref.digest !== undefined) digests.push(ref.digest);
    else if (ref.tag !== undefined) tags.push(ref);
  }
  return { names, digests: digests.length > 1 ? [...new Set(digests)] : digests, tags, sizeBytes };
}
