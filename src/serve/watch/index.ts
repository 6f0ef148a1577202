/**
 * The watched inventory: one informer per resource the inventory reads (per namespace with a namespace filter)
 * plus one for the node agents' report ConfigMaps (by label, in the agents' namespace only),
 * an `InventorySource` that hands their stores to `scan()` (so a rescan reads memory, not the API), change
 * triggers (debounced; only changes that can change a finding: a pod added, removed or running another image
 * digest, a spec change, a node's image cache, RBAC and policy objects) and a freshness gate for /readyz.
 */
import { setMaxListeners } from 'node:events';
import { errorMessage, UsageError } from '../../core/errors.js';
import type { ResourceKind } from '../../core/inventory.js';
import { issue, type Issue } from '../../core/issue.js';
import { DEFAULT_NODE_REPORT_NAMESPACE, NODE_REPORT_SELECTOR, emptyClusterObjects, type ConfigMap } from '../../inventory/schema.js';
import type { InventorySource, NodeReportObjects, SourceResult } from '../../inventory/source.js';
import { ApiClient } from '../../inventory/sources/kubernetes/client.js';
import { API_RESOURCES, DEFAULT_REQUEST_TIMEOUT_MS, NODE_REPORT_RBAC_FILE, resolveKubeconfig, type KubeconfigOptions } from '../../inventory/sources/kubernetes/index.js';
import { CONFIGMAPS } from '../../inventory/sources/kubernetes/resources.js';
import type { Logger } from '../log.js';
import type { ServeMetrics } from '../metrics/index.js';
import { Informer, isRecord, type InformerEvent, type WatchedResource } from './informer.js';
import { StreamClient } from './stream.js';
import { StringPool } from './trim.js';

export interface WatchOptions extends KubeconfigOptions {
  namespaces?: string[] | undefined;
  /** Namespace of the node agents' report ConfigMaps, watched by label there only (default `runwarden-node`, as `scan`); false: none. */
  nodeReportNamespace?: string | false | undefined;
  pageSize?: number | undefined;
  watchTimeoutSeconds?: number | undefined;
  backoff?: { initialMs: number; maxMs: number } | undefined;
  /** How long a watch may be down before the inventory counts as stale (default 60 s). */
  staleAfterMs?: number | undefined;
  /** Changes within this window make one trigger (default 2 s). */
  debounceMs?: number | undefined;
  /**
   * A change after a quiet period (no trigger within `debounceMs`) fires after this long (default 200 ms),
   * so a lone change shows quickly; a burst (a rollout) still waits `debounceMs` per trigger.
   */
  quietDebounceMs?: number | undefined;
  log: Logger;
  metrics?: ServeMetrics | undefined;
  now?: (() => number) | undefined;
}

export interface WatchHandle {
  source: InventorySource;
  informers: readonly Informer[];
  /** Resolves when every informer has listed once (or failed its first list). */
  initialSync: Promise<void>;
  /** Why the inventory is not current, or undefined when it is. */
  stale(): string | undefined;
  onChange(listener: (reason: string) => void): void;
  stop(): void;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export async function startWatch(options: WatchOptions): Promise<WatchHandle> {
  for (const ns of options.namespaces ?? []) if (!DNS_LABEL.test(ns)) throw new UsageError(`Invalid namespace "${ns}": must be a DNS-1123 label, e.g. "kube-system"`);
  const reportNamespace = options.nodeReportNamespace === false ? undefined : (options.nodeReportNamespace ?? DEFAULT_NODE_REPORT_NAMESPACE);
  if (reportNamespace !== undefined && !DNS_LABEL.test(reportNamespace)) throw new UsageError(`Invalid node report namespace "${reportNamespace}": must be a DNS-1123 label, e.g. "runwarden-node"`);
  const resolved = await resolveKubeconfig(options);
  const client = new ApiClient(resolved, DEFAULT_REQUEST_TIMEOUT_MS);
  const streams = new StreamClient(resolved);
  const controller = new AbortController();
  // Every informer's requests listen on this one signal.
  setMaxListeners(0, controller.signal);
  const now = options.now ?? Date.now;
  const staleAfter = options.staleAfterMs ?? 60_000;
  const debounceMs = options.debounceMs ?? 2000;
  const quietMs = Math.min(options.quietDebounceMs ?? 200, debounceMs);
  let lastFired = -Infinity;
  const listeners: Array<(reason: string) => void> = [];
  let pendingReasons: string[] = [];
  let debounce: NodeJS.Timeout | undefined;
  const seenDigests = new Set<string>();

  const emit = (reason: string): void => {
    pendingReasons.push(reason);
    if (debounce !== undefined) return;
    const wait = now() - lastFired < debounceMs ? debounceMs : quietMs;
    debounce = setTimeout(() => {
      debounce = undefined;
      lastFired = now();
      const reasons = pendingReasons;
      pendingReasons = [];
      const digest = reasons.find((r) => r.startsWith('new-digest'));
      const summary = `${digest ?? reasons[0] ?? 'change'}${reasons.length > 1 ? ` (+${reasons.length - 1} more)` : ''}`;
      for (const l of listeners) l(summary);
    }, wait);
    debounce.unref();
  };

  const onEvent = (e: InformerEvent): void => {
    if (e.resource.kind === 'Pod') {
      const digests = runningDigests(e.object);
      const fresh = e.type === 'DELETED' ? [] : digests.filter((d) => !seenDigests.has(d));
      for (const d of fresh) seenDigests.add(d);
      if (!synced) return;
      if (fresh.length > 0) emit(`new-digest: ${e.key} ${fresh[0] ?? ''}`);
      else if (e.type !== 'MODIFIED' || imageState(e.object) !== imageState(e.previous)) emit(`pod-${e.type.toLowerCase()}: ${e.key}`);
      return;
    }
    if (!synced) return;
    if (e.resource.kind === 'ConfigMap') {
      // A node agent published a new report (the same report rewritten changes nothing).
      if (e.type !== 'MODIFIED' || JSON.stringify(e.object.data) !== JSON.stringify(e.previous?.data)) emit(`node-report-${e.type.toLowerCase()}: ${e.key}`);
      return;
    }
    if (relevant(e)) emit(`${e.resource.kind.toLowerCase()}-${e.type.toLowerCase()}: ${e.key}`);
  };

  const informers: Informer[] = [];
  // Repeated string values (images, labels, node names…) kept once across every informer's objects.
  const strings = new StringPool();
  const namespaces = options.namespaces === undefined ? undefined : [...new Set(options.namespaces)];
  const watched: Array<{ resource: WatchedResource; scopes: Array<{ namespace?: string; fieldSelector?: string; labelSelector?: string }> }> = API_RESOURCES.map((resource) => ({
    resource,
    scopes: namespaces === undefined ? [{}] : resource.kind === 'Namespace' ? namespaces.map((ns) => ({ fieldSelector: `metadata.name=${ns}` })) : resource.namespaced ? namespaces.map((ns) => ({ namespace: ns })) : [{}],
  }));
  // The node agents' reports, as `scan` reads them: by label, in the agents' one namespace (a Role there), whatever the namespace filter.
  if (reportNamespace !== undefined) watched.push({ resource: { ...CONFIGMAPS, kind: 'ConfigMap' }, scopes: [{ namespace: reportNamespace, labelSelector: NODE_REPORT_SELECTOR }] });
  for (const { resource, scopes } of watched) {
    for (const scope of scopes) {
      informers.push(
        new Informer({
          resource,
          ...scope,
          client,
          streams,
          pageSize: options.pageSize ?? 500,
          strings,
          watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
          backoff: options.backoff ?? { initialMs: 500, maxMs: 30_000 },
          onEvent,
          onError: (message) => {
            options.metrics?.errors.inc({ adapter: 'watch' });
            options.log('warn', 'watch error', { error: message });
          },
          now,
        }),
      );
    }
  }
  let synced = false;
  const runs = informers.map((i) => i.run(controller.signal).catch((error: unknown) => options.log('error', 'informer stopped', { resource: i.label, error: errorMessage(error) })));
  const initialSync = (async (): Promise<void> => {
    while (!controller.signal.aborted && informers.some((i) => !i.synced && i.problem === undefined && i.lists === 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    synced = true;
  })();

  const source: InventorySource = {
    id: 'kubernetes',
    async load(loadOptions): Promise<SourceResult> {
      await initialSync;
      loadOptions.signal?.throwIfAborted();
      return snapshot(informers, { type: 'kubernetes', location: resolved.server, context: resolved.context }, namespaces);
    },
  };

  return {
    source,
    informers,
    initialSync,
    stale(): string | undefined {
      // A forbidden or unserved kind is a coverage gap reported as an issue in every scan, not staleness.
      const notSynced = informers.filter((i) => !i.synced && !i.blocked);
      if (notSynced.length > 0) return `inventory not synced yet: ${notSynced.slice(0, 3).map((i) => i.label).join(', ')}${notSynced.length > 3 ? ` and ${notSynced.length - 3} more` : ''}`;
      const t = now();
      const down = informers.filter((i) => !i.notInstalled && i.disconnectedSince !== undefined && t - i.disconnectedSince > staleAfter);
      if (down.length > 0) {
        const longest = Math.max(...down.map((i) => t - (i.disconnectedSince ?? t)));
        return `inventory stale: watch of ${down.slice(0, 3).map((i) => i.label).join(', ')}${down.length > 3 ? ` and ${down.length - 3} more` : ''} down for ${Math.round(longest / 1000)}s`;
      }
      return undefined;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    stop() {
      controller.abort();
      if (debounce !== undefined) clearTimeout(debounce);
      client.close();
      void Promise.allSettled(runs);
    },
  };
}

/** The informers' stores as a source result: kinds whose informer listed successfully count as complete. */
function snapshot(informers: readonly Informer[], source: SourceResult['source'], namespaces: string[] | undefined): SourceResult {
  const objects = emptyClusterObjects();
  const origins = new WeakMap<object, string>();
  const issues: Issue[] = [];
  const incomplete = new Set<ResourceKind>();
  let nodeReports: NodeReportObjects | undefined;
  for (const informer of informers) {
    const kind = informer.options.resource.kind;
    if (kind === 'ConfigMap') {
      nodeReports = nodeReportsOf(informer);
      if (informer.synced && informer.problem !== undefined) issues.push(informer.problem);
      continue;
    }
    for (const { object, origin } of informer.store.values()) {
      (objects[kind] as object[]).push(object);
      origins.set(object, origin);
    }
    issues.push(...informer.invalid.values());
    if (!informer.synced) incomplete.add(kind);
    if (informer.problem !== undefined) issues.push(informer.problem);
  }
  const complete = API_RESOURCES.map((r) => r.kind).filter((k) => !incomplete.has(k));
  return { source, objects, origins, complete, namespaces, issues, nodeReports };
}

/** The report ConfigMaps as `listNodeReports` gives them to the scan: `read` once listed, else `unreadable` with why. */
function nodeReportsOf(informer: Informer): NodeReportObjects {
  const configMaps: ConfigMap[] = [];
  const origins = new WeakMap<object, string>();
  for (const { object, origin } of informer.store.values()) {
    configMaps.push(object as ConfigMap);
    origins.set(object, origin);
  }
  const namespace = informer.options.namespace ?? '';
  const location = informer.options.client.url(`/api/v1/namespaces/${namespace}/configmaps`);
  if (informer.synced) return { location, status: 'read', configMaps, origins };
  const problem = informer.problem;
  const why =
    problem === undefined
      ? issue('node-report-unreadable', "Cannot read the node agents' reports: not listed yet", location, 'The watch is starting; the next scan has them.')
      : problem.code === 'kube-forbidden'
        ? issue('node-report-forbidden', `Cannot read the node agents' reports: ${problem.message}`, location, `Grant list and watch on configmaps in namespace "${namespace}" with the Role in ${NODE_REPORT_RBAC_FILE}; check with "kubectl auth can-i watch configmaps -n ${namespace}".`)
        : { ...problem, code: 'node-report-unreadable', message: `Cannot read the node agents' reports: ${problem.message}` };
  return { location, status: 'unreadable', configMaps, origins, issue: why };
}

function runningDigests(pod: Record<string, unknown>): string[] {
  const out: string[] = [];
  const status = pod.status;
  if (!isRecord(status)) return out;
  for (const field of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    const list = status[field];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isRecord(c) || typeof c.imageID !== 'string') continue;
      const at = c.imageID.lastIndexOf('sha256:');
      if (at !== -1) out.push(c.imageID.slice(at));
    }
  }
  return out;
}

/** What of a pod a finding can depend on besides its spec: which images (digests) its containers run. */
function imageState(pod: Record<string, unknown> | undefined): string {
  if (pod === undefined) return '';
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const images = ['containers', 'initContainers'].flatMap((f) => (Array.isArray(spec[f]) ? (spec[f] as unknown[]) : []).map((c) => (isRecord(c) ? `${String(c.name)}=${String(c.image)}` : '')));
  return JSON.stringify([images, runningDigests(pod).sort(), isRecord(pod.metadata) ? pod.metadata.labels : undefined]);
}

/** Non-pod changes worth a rescan: any add/delete; a modification of the spec (generation), a node's images, versions or conditions, or any change of objects without status. */
function relevant(e: InformerEvent): boolean {
  if (e.type !== 'MODIFIED') return true;
  const meta = isRecord(e.object.metadata) ? e.object.metadata : {};
  const before = e.previous !== undefined && isRecord(e.previous.metadata) ? e.previous.metadata : {};
  if (e.resource.kind === 'Node') {
    // The image cache (stale-image), the versions (node lifecycle) and the conditions (node pressure), which
    // arrive without their heartbeat times (trim.ts): a kubelet's status heartbeat alone changes none of them.
    const status = (o: Record<string, unknown> | undefined): string => {
      const s = o !== undefined && isRecord(o.status) ? o.status : {};
      return JSON.stringify([s.images, s.nodeInfo, s.conditions]);
    };
    return status(e.object) !== status(e.previous) || JSON.stringify(meta.labels) !== JSON.stringify(before.labels);
  }
  if (typeof meta.generation === 'number') return meta.generation !== before.generation || JSON.stringify(meta.labels) !== JSON.stringify(before.labels) || JSON.stringify(meta.annotations) !== JSON.stringify(before.annotations);
  return true;
}
