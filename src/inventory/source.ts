import type { ResourceKind, SourceInfo } from '../core/inventory.js';
import type { Issue } from '../core/issue.js';
import type { ClusterObjects, ConfigMap } from './schema.js';

/** Raw objects read by a source, before the inventory model is built from them. */
export interface SourceResult {
  source: SourceInfo;
  objects: ClusterObjects;
  /** `origin` per object (file path + position, or API URL), keyed by the object itself. */
  origins: WeakMap<object, string>;
  /** Kinds listed completely; a kind absent here was forbidden, failed or not present in the snapshot. */
  complete: ResourceKind[];
  /** Namespace filter in force; undefined = all namespaces. */
  namespaces: string[] | undefined;
  issues: Issue[];
  /**
   * The node agents' published reports (ConfigMaps labelled as node reports, `src/agent/`), when the
   * source can hold them; undefined when it cannot (a manifest check). `agent/cluster.ts` parses them.
   */
  nodeReports?: NodeReportObjects | undefined;
  /**
   * The control plane's version: the API server's `GET /version`, or a snapshot's `version.json`
   * (`kubectl version -o json`). undefined when the source cannot know (a manifest check, a snapshot
   * without one); `issue` says why a source that should know does not.
   */
  controlPlane?: ControlPlaneVersion | undefined;
}

export interface ControlPlaneVersion {
  /** `v1.29.4-eks-036c24b`; undefined when it could not be read (see `issue`). */
  gitVersion?: string | undefined;
  /** Where it was read: the /version URL or the snapshot file. */
  location: string;
  issue?: Issue | undefined;
}

export interface NodeReportObjects {
  /** Where they were looked for: the API list URL, or the snapshot path. */
  location: string;
  /** `read`: listed (possibly none); `unreadable`: the list failed (forbidden, …), see `issue`. */
  status: 'read' | 'unreadable';
  configMaps: ConfigMap[];
  /** `origin` per ConfigMap (API URL or file position). */
  origins: WeakMap<object, string>;
  /** Why the list failed; raised by the scan only where agents are deployed. */
  issue?: Issue | undefined;
}

export interface LoadOptions {
  signal?: AbortSignal | undefined;
  /** Only these namespaces (cluster-scoped kinds are still read). */
  namespaces?: string[] | undefined;
  /** Progress callback for long reads. */
  onProgress?: ((event: { kind: ResourceKind; count: number }) => void) | undefined;
}

/** Where an inventory comes from: a live cluster, a snapshot on disk, … (one folder each under `sources/`). */
export interface InventorySource {
  readonly id: string;
  load(options: LoadOptions): Promise<SourceResult>;
}
