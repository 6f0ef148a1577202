/**
 * What an informer keeps of an object: the object minus the fields nothing in runwarden reads, dropped as the
 * object arrives (list pages and watch events), before it is validated and stored. For 30,000 pods this is
 * most of what the watch path holds that a scan never looks at: `metadata.managedFields` (server-side apply
 * bookkeeping, often larger than the spec), the `kubectl.kubernetes.io/last-applied-configuration` annotation
 * (a second copy of the spec as a string), and status fields that change with every heartbeat or probe.
 *
 * The lists below are exact: a field is dropped only if no reader (src/inventory/build.ts, the checks in
 * src/policy, src/lifecycle, the watch's change triggers in ./index.ts) reads it. What is kept and why:
 * - Pod status: `phase`, `podIP`/`podIPs` (NetworkPolicy peers), the container statuses' `name`, `image`,
 *   `imageID`, `restartCount` and `state` (build.ts); `conditions`, `hostIP(s)`, `qosClass`, `startTime` … and
 *   per container `lastState`, `ready`, `started`, `containerID`, `resources`, `volumeMounts` … are dropped.
 * - Node status: `images` (stale-image), `nodeInfo` (node lifecycle), `conditions` without their heartbeat and
 *   probe times (node-not-ready, node-pressure read type/status/reason/message/lastTransitionTime); addresses,
 *   capacity, allocatable, daemon endpoints, volumes … are dropped.
 * - Workload controllers' status (replica counts, Job completion times) is read by nobody and dropped. A
 *   Service's status (load balancer ingress) is kept: exposed-service reads it.
 * src/serve/watch/trim.test.ts holds the scan of trimmed objects equal to the scan of the untrimmed ones.
 */

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const POD_STATUS_DROP = ['conditions', 'hostIP', 'hostIPs', 'qosClass', 'startTime', 'nominatedNodeName', 'resize', 'resourceClaimStatuses', 'observedGeneration'] as const;
const CONTAINER_STATUS_DROP = ['lastState', 'ready', 'started', 'containerID', 'allocatedResources', 'allocatedResourcesStatus', 'resources', 'volumeMounts', 'user', 'stopSignal'] as const;
const NODE_STATUS_DROP = ['addresses', 'allocatable', 'capacity', 'daemonEndpoints', 'volumesInUse', 'volumesAttached', 'config', 'runtimeHandlers', 'features'] as const;
const CONDITION_DROP = ['lastHeartbeatTime', 'lastProbeTime'] as const;
const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function drop(target: Record<string, unknown>, fields: readonly string[]): void {
  for (const f of fields) if (f in target) delete target[f];
}

/** Drops, in place, what no reader needs from a freshly decoded API object of `kind`; returns the object. */
export function trimObject<T>(raw: T, kind: string): T {
  const object = record(raw);
  if (object === undefined) return raw;
  const meta = record(object.metadata);
  if (meta !== undefined) {
    if ('managedFields' in meta) delete meta.managedFields;
    const annotations = record(meta.annotations);
    if (annotations !== undefined && LAST_APPLIED in annotations) delete annotations[LAST_APPLIED];
  }
  const status = record(object.status);
  if (status === undefined) return raw;
  if (kind === 'Pod') {
    drop(status, POD_STATUS_DROP);
    for (const field of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
      const list = status[field];
      if (!Array.isArray(list)) continue;
      for (const c of list) {
        const s = record(c);
        if (s !== undefined) drop(s, CONTAINER_STATUS_DROP);
      }
    }
  } else if (kind === 'Node') {
    drop(status, NODE_STATUS_DROP);
    if (Array.isArray(status.conditions)) {
      for (const c of status.conditions) {
        const s = record(c);
        if (s !== undefined) drop(s, CONDITION_DROP);
      }
    }
  } else if (WORKLOAD_KINDS.has(kind)) {
    delete object.status;
  }
  return raw;
}

/** Keys whose values are (nearly) unique per object: pooling them would only grow the pool. */
const UNIQUE_KEYS: ReadonlySet<string> = new Set(['uid', 'name', 'resourceVersion', 'podIP', 'ip', 'creationTimestamp', 'generateName', 'containerID', 'startedAt', 'finishedAt']);

/**
 * One copy of each repeated string value (image references and digests, label keys and values, node names,
 * mount paths, env values…): `JSON.parse` gives every occurrence its own string, and 30,000 pods repeat the
 * same few thousand values. On the bench snapshot this keeps ~60 MiB less (268 → 209 MiB of objects). The pool
 * holds at most `limit` strings and starts afresh past it, so deleted objects' strings do not pile up in a
 * long-running service (sharing is an optimisation only: a string not pooled is just a second copy).
 */
export class StringPool {
  private pool = new Map<string, string>();
  constructor(private readonly limit = 250_000) {}

  get size(): number {
    return this.pool.size;
  }

  private one(value: string): string {
    const known = this.pool.get(value);
    if (known !== undefined) return known;
    if (this.pool.size >= this.limit) this.pool = new Map();
    this.pool.set(value, value);
    return value;
  }

  /** Replaces, in place, the string values of `value` (recursively) by their pooled copies. */
  intern<T>(value: T): T {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === 'string') value[i] = this.one(v);
        else if (typeof v === 'object' && v !== null) this.intern(v);
      }
      return value;
    }
    if (typeof value !== 'object' || value === null) return value;
    const object = value as Record<string, unknown>;
    for (const key in object) {
      const v = object[key];
      if (typeof v === 'string') {
        if (!UNIQUE_KEYS.has(key)) object[key] = this.one(v);
      } else if (typeof v === 'object' && v !== null) this.intern(v);
    }
    return value;
  }
}
