/** Builders for Kubernetes objects and inventories in tests (kubectl-shaped plain objects). */
import type { Inventory, ResourceKind } from '../src/core/inventory.js';
import { RESOURCE_KINDS } from '../src/core/inventory.js';
import { buildInventory } from '../src/inventory/build.js';
import { OBJECT_SCHEMAS, emptyClusterObjects, type ClusterObjects } from '../src/inventory/schema.js';

export const hex = (c: string): string => c.repeat(64).slice(0, 64);
export const digest = (c: string): string => `sha256:${hex(c)}`;

export interface TestContainer {
  name: string;
  image: string;
  imageID?: string;
  init?: boolean;
}

export function pod(name: string, opts: { ns?: string; node?: string; owner?: [string, string]; containers: TestContainer[] }): Record<string, unknown> {
  const regular = opts.containers.filter((c) => c.init !== true);
  const init = opts.containers.filter((c) => c.init === true);
  const status = (list: TestContainer[]): Array<Record<string, unknown>> =>
    list.filter((c) => c.imageID !== undefined).map((c) => ({ name: c.name, image: c.image, imageID: c.imageID, ready: true, restartCount: 0, state: { running: {} } }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.ns ?? 'default',
      ...(opts.owner === undefined ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: opts.owner[0], name: opts.owner[1], uid: `uid-${opts.owner[1]}`, controller: true }] }),
    },
    spec: {
      ...(opts.node === undefined ? {} : { nodeName: opts.node }),
      ...(init.length > 0 ? { initContainers: init.map((c) => ({ name: c.name, image: c.image })) } : {}),
      containers: regular.map((c) => ({ name: c.name, image: c.image })),
    },
    status: { phase: 'Running', containerStatuses: status(regular), ...(init.length > 0 ? { initContainerStatuses: status(init) } : {}) },
  };
}

export function node(name: string, images: Array<{ names: string[]; sizeBytes: number }>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { images, nodeInfo: { kubeletVersion: 'v1.30.4', osImage: 'Ubuntu 22.04.5 LTS', containerRuntimeVersion: 'containerd://1.7.22' } } };
}

export function object(kind: string, name: string, ns: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind, metadata: { name, namespace: ns, uid: `uid-${name}`, ...((extra.metadata) ?? {}) }, ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'metadata')) };
}

/** An inventory from plain objects, every kind counted as completely listed unless `complete` says otherwise. */
export function inventoryOf(objects: Array<Record<string, unknown>>, opts: { complete?: ResourceKind[]; namespaces?: string[] } = {}): Inventory {
  const cluster: ClusterObjects = emptyClusterObjects();
  for (const obj of objects) {
    const kind = obj.kind as ResourceKind;
    const parsed = OBJECT_SCHEMAS[kind].parse(obj) as never;
    (cluster[kind] as unknown[]).push(parsed);
  }
  return buildInventory({
    source: { type: 'snapshot', location: 'test' },
    objects: cluster,
    origins: new WeakMap(),
    complete: opts.complete ?? [...RESOURCE_KINDS],
    namespaces: opts.namespaces,
    issues: [],
  });
}
