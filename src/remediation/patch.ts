/**
 * Where a container's image lives in its workload object, the new image string, and the change as a
 * JSON Patch (RFC 6902) that first tests the image it replaces: applied after someone else changed it,
 * the API server refuses the whole patch instead of overwriting their change.
 */
import { workloadKey, type Inventory, type WorkloadRef } from '../core/inventory.js';
import { formatImageReference, tryParseImageReference } from '../core/image-ref.js';
import { apiResourceOf, objectPath } from '../inventory/sources/kubernetes/resources.js';
import { managedBy, type ManagedBy } from './owner.js';

/**
 * Kinds whose pod template (or, for a bare pod, spec) may be patched, with where the pod spec is in the object
 * (their API group, version and plural are the inventory's, `API_RESOURCES`); what
 * deploy/remediation/clusterrole.yaml grants `patch` on (patch.test.ts holds them equal).
 */
export const PATCHABLE: Readonly<Record<string, { spec: string }>> = {
  Deployment: { spec: '/spec/template/spec' },
  StatefulSet: { spec: '/spec/template/spec' },
  DaemonSet: { spec: '/spec/template/spec' },
  ReplicaSet: { spec: '/spec/template/spec' },
  CronJob: { spec: '/spec/jobTemplate/spec/template/spec' },
  // a pod's container images are among the few fields of a pod that may change
  Pod: { spec: '/spec' },
};

export interface PatchOp {
  op: 'test' | 'replace';
  path: string;
  value: string;
}

/** Where one container's image is written in its workload, as read from the object the scan saw. */
export type ContainerPlace =
  | { ok: true; path: string; image: string; type: 'regular' | 'init' }
  | { ok: false; reason: string };

export interface WorkloadObject {
  ref: WorkloadRef;
  /** What happens to the running pods once the object is patched, when it is not a plain rolling update. */
  rollout: string | undefined;
  /** `/apis/apps/v1/namespaces/shop/deployments/web`; undefined when the kind cannot be patched. */
  apiPath: string | undefined;
  /** Why it cannot be patched. */
  unpatchable: string | undefined;
  spec: Record<string, unknown> | undefined;
  /** kubectl's resource name: `deployment`, `cronjob`. */
  resource: string;
  /** The Helm release, Argo CD application or Flux object that puts the spec back (owner.ts), when marked. */
  managedBy: ManagedBy | undefined;
}

function at(object: unknown, pointer: string): unknown {
  let value: unknown = object;
  for (const part of pointer.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The objects of an inventory by workloadKey (a bare pod is its own workload), for workloadObject. */
export function rawObjects(inventory: Pick<Inventory, 'workloads' | 'pods'>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const w of inventory.workloads) out.set(workloadKey(w), w.raw);
  for (const p of inventory.pods) out.set(workloadKey({ kind: 'Pod', namespace: p.namespace, name: p.name }), p.raw);
  return out;
}

/** The object of a workload as the scan read it (`raw`: undefined when it was not read). */
export function workloadObject(ref: WorkloadRef, raw: unknown): WorkloadObject {
  const kind = PATCHABLE[ref.kind];
  const resource = ref.kind.toLowerCase();
  if (kind === undefined) {
    const why = ref.kind === 'Job' ? "a Job's pod template cannot be changed once created: change what creates the Job, or re-create it with the new image" : `runwarden does not patch ${ref.kind} objects`;
    return { ref, rollout: undefined, apiPath: undefined, unpatchable: why, spec: undefined, resource, managedBy: managedBy(raw) };
  }
  if (raw === undefined) return { ref, rollout: undefined, apiPath: undefined, unpatchable: `the ${ref.kind} object was not read (only its pods were)`, spec: undefined, resource, managedBy: undefined };
  const api = apiResourceOf(ref.kind);
  if (api === undefined) throw new Error(`PATCHABLE names ${ref.kind}, which API_RESOURCES does not list`);
  const spec = at(raw, kind.spec);
  return {
    ref,
    rollout: rolloutOf(ref.kind, raw),
    apiPath: objectPath(api, ref.namespace, ref.name),
    unpatchable: undefined,
    spec: spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>) : undefined,
    resource,
    managedBy: managedBy(raw),
  };
}

/** How the patched image reaches the pods, when that is not a rolling update that starts at once. */
function rolloutOf(kind: string, raw: unknown): string | undefined {
  if (kind === 'Deployment' && at(raw, '/spec/paused') === true) return 'the Deployment is paused: the new image rolls out when it is resumed (kubectl rollout resume)';
  if ((kind === 'StatefulSet' || kind === 'DaemonSet') && at(raw, '/spec/updateStrategy/type') === 'OnDelete') return `the ${kind}'s updateStrategy is OnDelete: each pod keeps the old image until it is deleted`;
  if (kind === 'ReplicaSet') return 'a ReplicaSet does not replace its pods when its template changes: delete them to run the new image';
  if (kind === 'CronJob') return 'the next Job runs the new image; Jobs already created keep theirs';
  if (kind === 'Pod') return 'the kubelet restarts the container with the new image (a bare pod: no rollout)';
  return undefined;
}

/** The JSON pointer of a container's `image` in the object, and the image written there. */
export function containerPlace(object: WorkloadObject, container: string): ContainerPlace {
  if (object.unpatchable !== undefined) return { ok: false, reason: object.unpatchable };
  const kind = PATCHABLE[object.ref.kind];
  if (kind === undefined || object.spec === undefined) return { ok: false, reason: `the ${object.ref.kind} has no pod spec` };
  for (const [field, type] of [['containers', 'regular'], ['initContainers', 'init']] as const) {
    const list = object.spec[field];
    if (!Array.isArray(list)) continue;
    const index = list.findIndex((c: unknown) => c !== null && typeof c === 'object' && (c as { name?: unknown }).name === container);
    if (index < 0) continue;
    const image = (list[index] as { image?: unknown }).image;
    if (typeof image !== 'string') return { ok: false, reason: `container "${container}" has no image in the ${object.ref.kind}` };
    return { ok: true, path: `${kind.spec}/${field}/${index}/image`, image, type };
  }
  return { ok: false, reason: `container "${container}" is not in the ${object.ref.kind}'s pod template (added by a mutating webhook?)` };
}

/** `name[:tag]` of an image as written, without its digest. */
function nameAndTag(written: string): { name: string; tag: string | undefined } {
  const at = written.indexOf('@');
  const named = at < 0 ? written : written.slice(0, at);
  const colon = named.lastIndexOf(':');
  if (colon > named.lastIndexOf('/')) return { name: named.slice(0, colon), tag: named.slice(colon + 1) };
  return { name: named, tag: undefined };
}

/** An image as written, normalised (`nginx` → `docker.io/library/nginx`), to compare two spellings of one image. */
export function normalisedImage(image: string): string {
  const ref = tryParseImageReference(image);
  return ref === undefined ? image : formatImageReference(ref);
}

/** Whether the image as written is pinned by digest (`…@sha256:…`). */
export function isPinned(written: string): boolean {
  return tryParseImageReference(written)?.digest !== undefined;
}

/**
 * The image as the user wrote it, moved to `tag` (kept as written otherwise: registry, short names) and
 * pinned to `digest` when given: a re-pull of the same tag is pinned (`web:2.4@sha256:…`), and an image
 * that was pinned stays pinned.
 */
export function changedImage(written: string, tag: string, digest: string | undefined): string {
  const { name } = nameAndTag(written);
  return digest === undefined ? `${name}:${tag}` : `${name}:${tag}@${digest}`;
}

/** The patch of one workload: for each changed container, test the image it replaces, then replace it. */
export function jsonPatch(changes: ReadonlyArray<{ path: string; from: string; to: string }>): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const c of changes) ops.push({ op: 'test', path: c.path, value: c.from }, { op: 'replace', path: c.path, value: c.to });
  return ops;
}

/** A word for a POSIX shell, in single quotes. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** `kubectl -n shop patch deployment web --type=json -p '[…]'`. */
export function kubectlPatch(object: Pick<WorkloadObject, 'ref' | 'resource'>, ops: readonly PatchOp[]): string {
  return ['kubectl', '-n', shellQuote(object.ref.namespace), 'patch', shellQuote(`${object.resource}/${object.ref.name}`), '--type=json', '-p', shellQuote(JSON.stringify(ops))].join(' ');
}
