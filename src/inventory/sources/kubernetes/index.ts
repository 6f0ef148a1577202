/**
 * The `kubernetes` inventory source: lists nodes, pods, namespaces, workloads, Services,
 * NetworkPolicies, ServiceAccounts, RBAC roles and bindings and Istio PeerAuthentications from a
 * live API server (see readme.md). A kind that cannot be listed (403, 404, expired pagination)
 * becomes an issue and is left out of `complete`; the scan goes on. A CRD that is not installed
 * (PeerAuthentication without Istio) is not an issue: there are none. The node agents' report
 * ConfigMaps are listed by label in their one namespace (`nodeReports`), and the control plane's
 * version is read from `GET /version` (`controlPlane`; a failure is an issue there). Credentials
 * that are rejected (401) and a server that cannot be reached are fatal `KubeApiError`s.
 */
import { UsageError } from '../../../core/errors.js';
import type { ResourceKind } from '../../../core/inventory.js';
import { issue, type Issue } from '../../../core/issue.js';
import { DEFAULT_NODE_REPORT_NAMESPACE, OBJECT_SCHEMAS, emptyClusterObjects, type ClusterObjects } from '../../schema.js';
import type { ControlPlaneVersion, InventorySource, LoadOptions, NodeReportObjects, SourceResult } from '../../source.js';
import { ApiClient } from './client.js';
import { resolveKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import { getNamespace, listAll, type ListContext, type ListResult } from './list.js';
import { checkReportNamespace, listNodeReports } from './node-reports.js';
import { API_RESOURCES, apiVersion, type ApiResource } from './resources.js';
import { readServerVersion } from './version.js';

export { IN_CLUSTER_CONTEXT, SERVICE_ACCOUNT_DIR, resolveKubeconfig, type KubeconfigOptions, type ResolvedKubeconfig } from './kubeconfig.js';
export { API_RESOURCES, type ApiResource } from './resources.js';
export { NODE_REPORT_RBAC_FILE, listNodeReports, nodeReportPublisher, type NodeReportPublisher, type PublishOptions } from './node-reports.js';

export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface KubernetesSourceOptions extends KubeconfigOptions {
  /** `limit` of each list request (default 500, as kubectl). */
  pageSize?: number | undefined;
  /** Per request, including reading the reply (default 30 s). */
  requestTimeoutMs?: number | undefined;
  /** Namespace of the node agents' report ConfigMaps (default `runwarden-node`); `false`: do not read them. */
  nodeReportNamespace?: string | false | undefined;
}

/** DNS-1123 label: what a namespace name must be (and what makes it safe in a URL path). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function kubernetesSource(options: KubernetesSourceOptions = {}): InventorySource {
  return { id: 'kubernetes', load: (loadOptions) => loadKubernetes(options, loadOptions) };
}

export async function loadKubernetes(options: KubernetesSourceOptions, loadOptions: LoadOptions = {}): Promise<SourceResult> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new UsageError(`Invalid page size ${pageSize}: must be a positive integer, e.g. 500`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`Invalid request timeout ${timeoutMs} ms: must be positive, e.g. 30000`);
  const namespaces = loadOptions.namespaces === undefined ? undefined : [...new Set(loadOptions.namespaces)];
  for (const ns of namespaces ?? []) {
    if (!DNS_LABEL.test(ns)) throw new UsageError(`Invalid namespace "${ns}": must be a DNS-1123 label (lower-case letters, digits and "-", at most 63), e.g. "kube-system"`);
  }
  const reportNamespace = options.nodeReportNamespace === false ? undefined : checkReportNamespace(options.nodeReportNamespace ?? DEFAULT_NODE_REPORT_NAMESPACE, 'node report namespace');
  const signal = loadOptions.signal;
  signal?.throwIfAborted();

  const resolved = await resolveKubeconfig(options);
  const client = new ApiClient(resolved, timeoutMs);
  const ctx: ListContext = { client, pageSize, signal };
  const collector: Collector = { objects: emptyClusterObjects(), origins: new WeakMap(), issues: [], seen: new Set() };
  const complete: ResourceKind[] = [];
  let nodeReports: NodeReportObjects | undefined;
  let controlPlane: ControlPlaneVersion | undefined;
  try {
    for (const resource of API_RESOURCES) {
      signal?.throwIfAborted();
      const { results, served } = await listResource(ctx, resource, namespaces);
      let ok = true;
      for (const result of results) {
        result.items.forEach((item, index) => addObject(collector, served, item, result.url, index));
        if (result.issue !== undefined) {
          collector.issues.push(result.issue);
          // A namespace that does not exist leaves nothing unread.
          if (result.issue.code !== 'kube-namespace-not-found') ok = false;
        }
      }
      if (ok) complete.push(resource.kind);
      loadOptions.onProgress?.({ kind: resource.kind, count: collector.objects[resource.kind].length });
    }
    // Node-level data, read whatever the namespace filter: the agents' reports (src/agent/).
    if (reportNamespace !== undefined) nodeReports = await listNodeReports(ctx, reportNamespace);
    // The control plane's version (lifecycle: its end of life, kubelet skew); a failure is an issue there.
    controlPlane = await readServerVersion(client, signal);
  } finally {
    client.close();
  }
  return {
    source: { type: 'kubernetes', location: resolved.server, context: resolved.context },
    objects: collector.objects,
    origins: collector.origins,
    complete,
    namespaces,
    issues: collector.issues,
    nodeReports,
    controlPlane,
  };
}

/**
 * Lists one resource (per namespace with a filter), trying its fallback versions while the server
 * answers 404; `served` is the resource at the version that answered. An optional resource (a CRD)
 * that is served in no version yields no results and no issue: it is not installed.
 */
async function listResource(ctx: ListContext, resource: ApiResource, namespaces: string[] | undefined): Promise<{ results: ListResult[]; served: ApiResource }> {
  const versions = [resource.version, ...(resource.fallbackVersions ?? [])];
  for (const [i, version] of versions.entries()) {
    const served: ApiResource = { ...resource, version };
    const results: ListResult[] = [];
    if (namespaces !== undefined && resource.kind === 'Namespace') {
      for (const ns of namespaces) results.push(await getNamespace(ctx, served, ns));
    } else if (namespaces !== undefined && resource.namespaced) {
      for (const ns of namespaces) {
        const result = await listAll(ctx, served, ns);
        results.push(result);
        // The first namespace tells whether this version is served at all (there is another to try, or none is needed).
        if (result.issue?.code === 'kube-not-found' && results.length === 1 && (i < versions.length - 1 || resource.optional === true)) break;
      }
    } else {
      results.push(await listAll(ctx, served));
    }
    const notServed = results.length > 0 && results.every((r) => r.issue?.code === 'kube-not-found');
    if (!notServed) return { results, served };
    if (i < versions.length - 1) continue;
    return { results: resource.optional === true ? [] : results, served };
  }
  return { results: [], served: resource };
}

interface Collector {
  objects: ClusterObjects;
  origins: WeakMap<object, string>;
  issues: Issue[];
  /** `Kind/namespace/name`: a re-list or an overlapping page never yields an object twice. */
  seen: Set<string>;
}

/** Validates one item; an invalid item becomes an issue and the others are kept. */
function addObject(collector: Collector, resource: ApiResource, raw: unknown, url: string, index: number): void {
  // List items carry no kind/apiVersion; add them as `kubectl get -o json` does.
  const record = isRecord(raw) ? { apiVersion: apiVersion(resource), kind: resource.kind, ...raw } : raw;
  const label = objectLabel(raw) ?? `items[${index}]`;
  const origin = `${url} (${label})`;
  const parsed = OBJECT_SCHEMAS[resource.kind].safeParse(record);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const at = (first?.path ?? []).map(String).join('.');
    collector.issues.push(
      issue('kube-invalid-object', `Invalid ${resource.kind} ${label}: ${at === '' ? '' : `${at}: `}${first?.message ?? 'does not match the schema'}`, origin, 'The object was skipped; the rest of the list was read.'),
    );
    return;
  }
  const key = `${resource.kind}/${label}`;
  if (collector.seen.has(key)) return;
  collector.seen.add(key);
  const object: object = parsed.data;
  (collector.objects[resource.kind] as object[]).push(object);
  collector.origins.set(object, origin);
}

function objectLabel(raw: unknown): string | undefined {
  if (!isRecord(raw) || !isRecord(raw.metadata)) return undefined;
  const { name, namespace } = raw.metadata;
  if (typeof name !== 'string' || name === '') return undefined;
  return typeof namespace === 'string' && namespace !== '' ? `${namespace}/${name}` : name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
