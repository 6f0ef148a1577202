/**
 * One informer: the list-then-watch loop of client-go's reflector for one resource (in one namespace or
 * cluster-wide). List (paginated) → remember `metadata.resourceVersion` → watch from it with bookmarks →
 * apply ADDED/MODIFIED/DELETED to the local store and follow BOOKMARKs → when the watch ends, watch again from
 * the last resourceVersion; when the server says 410 Gone (our version was compacted away), list again.
 * Errors back off exponentially (with jitter) and are kept as the informer's issue; the store keeps serving
 * the last known objects, and `stale()` says so once the outage outlasts the grace period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { STATUS_CODES } from 'node:http';
import { errorMessage } from '../../core/errors.js';
import { issue, type Issue } from '../../core/issue.js';
import type { ApiClient } from '../../inventory/sources/kubernetes/client.js';
import { apiVersion, listPath, rbacName, type ApiResource } from '../../inventory/sources/kubernetes/resources.js';
import { ObjectList, Status } from '../../inventory/sources/kubernetes/schema.js';
import type { ResourceKind } from '../../core/inventory.js';
import { ConfigMap, OBJECT_SCHEMAS, isNodeReportConfigMap } from '../../inventory/schema.js';
import type { StreamClient } from './stream.js';
import { trimObject, type StringPool } from './trim.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A resource of the inventory, or the node agents' report ConfigMaps (one namespace, by label). */
export type WatchedResource = Omit<ApiResource, 'kind'> & { kind: ResourceKind | 'ConfigMap' };

export interface InformerEvent {
  type: EventType;
  resource: WatchedResource;
  key: string;
  object: Record<string, unknown>;
  previous: Record<string, unknown> | undefined;
}

export interface StoredObject {
  object: Record<string, unknown>;
  origin: string;
}

export interface InformerOptions {
  resource: WatchedResource;
  namespace?: string | undefined;
  fieldSelector?: string | undefined;
  /** Node reports: `NODE_REPORT_SELECTOR`; objects without those labels are left out even if the server sends them. */
  labelSelector?: string | undefined;
  client: ApiClient;
  streams: StreamClient;
  pageSize: number;
  /** Server-side watch timeout; randomised ×1–2 as client-go does, so watches do not all restart together. */
  watchTimeoutSeconds: number;
  backoff: { initialMs: number; maxMs: number };
  onEvent: (event: InformerEvent) => void;
  onError: (message: string) => void;
  now?: () => number;
  /** Repeated string values shared across the stored objects (one pool for all informers). */
  strings?: StringPool | undefined;
}

class WatchExpired extends Error {}

class ListFailure extends Error {
  readonly issue: Issue;
  readonly status: number;
  constructor(issue: Issue, status: number) {
    super(issue.message);
    this.issue = issue;
    this.status = status;
  }
}

export class Informer {
  readonly options: InformerOptions;
  readonly store = new Map<string, StoredObject>();
  /** Invalid objects (by key): kept out of the store, reported as issues. */
  readonly invalid = new Map<string, Issue>();
  synced = false;
  /** Set when the resource is an optional CRD served in no version (complete: there are none). */
  notInstalled = false;
  /** The current problem (a failed list or watch), cleared when the loop is healthy again. */
  problem: Issue | undefined;
  resourceVersion: string | undefined;
  /** Since when no watch is open (undefined while one is). */
  disconnectedSince: number | undefined;
  lists = 0;
  watches = 0;
  private served: WatchedResource;
  private readonly now: () => number;

  constructor(options: InformerOptions) {
    this.options = options;
    this.served = options.resource;
    this.now = options.now ?? Date.now;
    this.disconnectedSince = this.now();
  }

  /** A problem no retry will fix without an operator (RBAC, a resource the server does not serve). */
  get blocked(): boolean {
    return this.problem?.code === 'kube-forbidden' || this.problem?.code === 'kube-not-found' || this.problem?.code === 'kube-unauthorized';
  }

  get label(): string {
    return `${rbacName(this.options.resource)}${this.options.namespace === undefined ? '' : ` in ${this.options.namespace}`}`;
  }

  /** The list/watch loop; returns when `signal` aborts (or the CRD is not installed). */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(signal);
          needList = false;
          if (this.notInstalled) return;
        }
        await this.watch(signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof WatchExpired) {
          // 410 Gone: the resourceVersion is older than the server keeps; only a new list can resume.
          needList = true;
          continue;
        }
        this.problem = error instanceof ListFailure ? error.issue : issue('watch-failed', `Watching ${this.label} failed: ${errorMessage(error)}`, this.url(), 'Retrying with backoff; check the API server and the network.');
        this.options.onError(this.problem.message);
        this.disconnectedSince ??= this.now();
        const delay = Math.min(this.options.backoff.maxMs, this.options.backoff.initialMs * 2 ** failures);
        failures = Math.min(failures + 1, 30);
        await sleep(delay / 2 + (Math.random() * delay) / 2, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private url(): string {
    return this.options.client.url(listPath(this.served, this.options.namespace));
  }

  private async list(signal: AbortSignal): Promise<void> {
    const versions = [this.options.resource.version, ...(this.options.resource.fallbackVersions ?? [])];
    for (const [i, version] of versions.entries()) {
      this.served = { ...this.options.resource, version };
      const result = await this.listVersion(signal);
      if (result === 'not-served') {
        if (i < versions.length - 1) continue;
        if (this.options.resource.optional === true) {
          this.replace(new Map());
          this.notInstalled = true;
          this.synced = true;
          this.problem = undefined;
          return;
        }
        throw new ListFailure(issue('kube-not-found', `The API server does not serve ${rbacName(this.served)} in ${apiVersion(this.served)}`, this.url()), 404);
      }
      return;
    }
  }

  private async listVersion(signal: AbortSignal): Promise<'ok' | 'not-served'> {
    const path = listPath(this.served, this.options.namespace);
    const url = this.url();
    for (let pass = 0; ; pass++) {
      const items = new Map<string, StoredObject>();
      const invalid = new Map<string, Issue>();
      let token: string | undefined;
      let resourceVersion: string | undefined;
      let expired = false;
      do {
        const query: Record<string, string> = { limit: String(this.options.pageSize) };
        if (token !== undefined) query.continue = token;
        if (this.options.fieldSelector !== undefined) query.fieldSelector = this.options.fieldSelector;
        if (this.options.labelSelector !== undefined) query.labelSelector = this.options.labelSelector;
        const reply = await this.options.client.get(path, query, signal);
        if (reply.status === 410 && token !== undefined && pass < 3) {
          expired = true;
          break;
        }
        if (reply.status === 404) return 'not-served';
        if (reply.status !== 200) throw new ListFailure(statusIssue(reply.status, reply.body, `list ${this.label}`, url), reply.status);
        const list = ObjectList.safeParse(reply.body);
        if (!list.success) throw new ListFailure(issue('kube-bad-response', `The reply from ${url} is not a Kubernetes object list`, url), reply.status);
        list.data.items?.forEach((item, index) => this.accept(items, invalid, item, url, index));
        resourceVersion = list.data.metadata?.resourceVersion ?? undefined;
        const next = list.data.metadata?.continue ?? '';
        token = next === '' || next === token ? undefined : next;
      } while (token !== undefined);
      if (expired) continue;
      this.lists++;
      this.invalid.clear();
      for (const [k, v] of invalid) this.invalid.set(k, v);
      this.replace(items);
      this.resourceVersion = resourceVersion;
      this.synced = true;
      this.problem = undefined;
      return 'ok';
    }
  }

  /** Swap in a fresh list, telling listeners what changed as if it had been watched. */
  private replace(items: Map<string, StoredObject>): void {
    for (const [key, old] of this.store) {
      if (!items.has(key)) {
        this.store.delete(key);
        this.options.onEvent({ type: 'DELETED', resource: this.options.resource, key, object: old.object, previous: old.object });
      }
    }
    for (const [key, item] of items) {
      const old = this.store.get(key);
      this.store.set(key, item);
      if (old === undefined) this.options.onEvent({ type: 'ADDED', resource: this.options.resource, key, object: item.object, previous: undefined });
      else if (resourceVersionOf(old.object) !== resourceVersionOf(item.object)) this.options.onEvent({ type: 'MODIFIED', resource: this.options.resource, key, object: item.object, previous: old.object });
    }
  }

  private accept(into: Map<string, StoredObject>, invalid: Map<string, Issue>, raw: unknown, url: string, index: number): string | undefined {
    // Drop what no reader needs (managedFields, last-applied, heartbeat status: trim.ts) before it is stored.
    trimObject(raw, this.options.resource.kind);
    this.options.strings?.intern(raw);
    const record = isRecord(raw) ? { apiVersion: apiVersion(this.served), kind: this.options.resource.kind, ...raw } : raw;
    const key = objectKey(raw) ?? `items[${index}]`;
    const kind = this.options.resource.kind;
    const parsed = kind === 'ConfigMap' ? ConfigMap.safeParse(record) : OBJECT_SCHEMAS[kind].safeParse(record);
    if (parsed.success && kind === 'ConfigMap' && !isNodeReportConfigMap(parsed.data)) {
      // A server (or proxy) that ignored the label selector must not smuggle other ConfigMaps in.
      into.delete(key);
      return undefined;
    }
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const at = (first?.path ?? []).map(String).join('.');
      invalid.set(key, issue('kube-invalid-object', `Invalid ${this.options.resource.kind} ${key}: ${at === '' ? '' : `${at}: `}${first?.message ?? 'does not match the schema'}`, `${url} (${key})`, 'The object is left out; the rest is watched.'));
      into.delete(key);
      return undefined;
    }
    invalid.delete(key);
    into.set(key, { object: parsed.data, origin: `${url} (${key})` });
    return key;
  }

  private async watch(signal: AbortSignal): Promise<void> {
    const path = listPath(this.served, this.options.namespace);
    const url = this.url();
    const query: Record<string, string> = {
      watch: '1',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(Math.round(this.options.watchTimeoutSeconds * (1 + Math.random()))),
    };
    if (this.resourceVersion !== undefined) query.resourceVersion = this.resourceVersion;
    if (this.options.fieldSelector !== undefined) query.fieldSelector = this.options.fieldSelector;
    if (this.options.labelSelector !== undefined) query.labelSelector = this.options.labelSelector;
    let expired = false;
    let failure: Error | undefined;
    this.watches++;
    const opened = (): void => {
      this.disconnectedSince = undefined;
      this.problem = undefined;
    };
    const reply = await this.options.streams.stream(path, query, signal, opened, (line) => {
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        failure = new Error(`a watch line from ${url} is not JSON`);
        return 'stop';
      }
      if (!isRecord(event) || typeof event.type !== 'string' || !isRecord(event.object)) {
        failure = new Error(`a watch event from ${url} has no type or object`);
        return 'stop';
      }
      const object = event.object;
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED': {
          const before = this.store.get(objectKey(object) ?? '')?.object;
          const key = this.accept(this.store, this.invalid, object, url, 0);
          const stored = key === undefined ? undefined : this.store.get(key);
          if (key !== undefined && stored !== undefined) this.options.onEvent({ type: before === undefined ? 'ADDED' : 'MODIFIED', resource: this.options.resource, key, object: stored.object, previous: before });
          break;
        }
        case 'DELETED': {
          const key = objectKey(object);
          const old = key === undefined ? undefined : this.store.get(key);
          if (key !== undefined) {
            this.store.delete(key);
            this.invalid.delete(key);
          }
          if (key !== undefined && old !== undefined) this.options.onEvent({ type: 'DELETED', resource: this.options.resource, key, object: old.object, previous: old.object });
          break;
        }
        case 'BOOKMARK':
          break;
        case 'ERROR': {
          const status = Status.safeParse(object);
          if (status.success && status.data.code === 410) expired = true;
          else failure = new Error(`the watch of ${url} reported an error: ${status.success ? (status.data.message ?? `code ${status.data.code ?? '?'}`) : 'unreadable status'}`);
          return 'stop';
        }
        default:
          failure = new Error(`unknown watch event type "${event.type}" from ${url}`);
          return 'stop';
      }
      const rv = resourceVersionOf(object);
      if (rv !== undefined) this.resourceVersion = rv;
      return 'continue';
    });
    this.disconnectedSince ??= this.now();
    if (reply.status === 410 || expired) throw new WatchExpired();
    if (reply.status !== 200) throw new ListFailure(statusIssue(reply.status, reply.body, `watch ${this.label}`, url), reply.status);
    if (failure !== undefined) throw failure;
  }
}

function statusIssue(status: number, body: unknown, what: string, url: string): Issue {
  const parsed = Status.safeParse(body);
  const detail = parsed.success && typeof parsed.data.message === 'string' ? `: ${parsed.data.message.slice(0, 300)}` : '';
  const said = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  if (status === 403) return issue('kube-forbidden', `Forbidden to ${what} (${said})${detail}`, url, 'Grant get/list/watch with the ClusterRole in deploy/serve/rbac.yaml.');
  if (status === 401) return issue('kube-unauthorized', `The API server rejected the credentials (${said})`, url, 'Refresh the kubeconfig credentials or the mounted service-account token.');
  return issue('kube-api-error', `Cannot ${what}: the API server answered ${said}${detail}`, url, 'Retrying with backoff.');
}

export function objectKey(raw: unknown): string | undefined {
  if (!isRecord(raw) || !isRecord(raw.metadata)) return undefined;
  const { name, namespace } = raw.metadata;
  if (typeof name !== 'string' || name === '') return undefined;
  return typeof namespace === 'string' && namespace !== '' ? `${namespace}/${name}` : name;
}

function resourceVersionOf(raw: unknown): string | undefined {
  if (!isRecord(raw) || !isRecord(raw.metadata)) return undefined;
  const rv = raw.metadata.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
