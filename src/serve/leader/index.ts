/**
 * Leader election over a coordination.k8s.io/v1 Lease, so two or more `runwarden serve` replicas are safe:
 * only the leader scans, writes the history and notifies; the others keep their informers warm and serve
 * reads from the shared store. client-node 1.4 has no leader-election helper; this is client-go's algorithm
 * (leaderelection + resourcelock.LeaseLock), small enough to read:
 *
 * - **Acquire**: GET the Lease; create it when missing (409 on create = another candidate won the race);
 *   take it over when it has no holder or its record has not changed for `leaseDurationSeconds` as seen on
 *   *our* clock (client-go's observed time: no trust in the other replica's clock); else stay a follower.
 * - **Renew** every `retryPeriod` with a PUT carrying the resourceVersion of the GET (optimistic concurrency:
 *   409 Conflict = someone else wrote first, the attempt failed). A leader that has not renewed for
 *   `renewDeadline`, or sees another holder, steps down at once (listeners stop scanning) and competes again
 *   as a follower. renewDeadline < leaseDuration leaves the old leader time to stop before anyone can take over.
 * - **Release** on graceful shutdown: the holder is cleared (and the duration set to 1 s) so a follower
 *   takes over within one retry period instead of a whole lease duration.
 *
 * The Lease is plain JSON through the house `ApiClient` (auth and TLS from client-node's KubeConfig, the
 * same transport errors as everywhere); times are MicroTime (RFC 3339 with microseconds) as the API wants.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Gauge } from 'prom-client';
import { ConfigError, KubeApiError, errorMessage } from '../../core/errors.js';
import type { ApiClient, ApiReply } from '../../inventory/sources/kubernetes/client.js';
import { SERVICE_ACCOUNT_DIR, type ResolvedKubeconfig } from '../../inventory/sources/kubernetes/index.js';
import type { Logger } from '../log.js';
import type { ServeMetrics } from '../metrics/index.js';

export const DEFAULT_LEASE_NAME = 'runwarden-serve';
export const LEASE_RBAC_HINT = 'Grant the ServiceAccount get, create and update on leases.coordination.k8s.io in that namespace (a Role and RoleBinding), or run one replica without --leader-elect.';

export interface ElectionTimings {
  /** How long a lease is valid without renewal; followers take over after it (default 15 s). */
  leaseDurationMs: number;
  /** The leader steps down when it could not renew for this long (default 10 s; < leaseDuration). */
  renewDeadlineMs: number;
  /** How often to renew, and how often followers try to acquire (default 2 s; < renewDeadline). */
  retryPeriodMs: number;
}

export const DEFAULT_TIMINGS: ElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 };

export interface LeaderElectionOptions extends Partial<ElectionTimings> {
  client: Pick<ApiClient, 'get' | 'write'>;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  metrics?: ServeMetrics | undefined;
  /** Local clock (ms); tests move it. */
  now?: (() => number) | undefined;
}

/** What the serve wiring needs from an elector (src/serve/index.ts). */
export interface LeaderGate {
  readonly leading: boolean;
  /** The holder last seen in the Lease (undefined: none, or not read yet). */
  readonly holder: string | undefined;
  readonly identity: string;
  onChange(listener: (leading: boolean) => void): void;
}

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; [key: string]: unknown };
  spec?: { holderIdentity?: string | null; leaseDurationSeconds?: number | null; acquireTime?: string | null; renewTime?: string | null; leaseTransitions?: number | null; [key: string]: unknown };
}

export function validateTimings(t: ElectionTimings): void {
  if (t.retryPeriodMs <= 0 || t.renewDeadlineMs <= t.retryPeriodMs) throw new ConfigError(`--leader-election-renew-deadline (${t.renewDeadlineMs / 1000}s) must be longer than --leader-election-retry-period (${t.retryPeriodMs / 1000}s)`, { hint: 'Defaults: lease 15s, renew deadline 10s, retry 2s.' });
  if (t.leaseDurationMs <= t.renewDeadlineMs) throw new ConfigError(`--leader-election-lease-duration (${t.leaseDurationMs / 1000}s) must be longer than --leader-election-renew-deadline (${t.renewDeadlineMs / 1000}s)`, { hint: 'The gap is the time a leader that lost the lease has to stop before another takes over. Defaults: 15s and 10s.' });
  if (t.leaseDurationMs < 1000 || t.leaseDurationMs % 1000 !== 0) throw new ConfigError(`--leader-election-lease-duration must be whole seconds (the Lease stores seconds), got ${t.leaseDurationMs} ms`);
}

/** RFC 3339 with microseconds, the MicroTime of Lease acquireTime/renewTime. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export class LeaderElector implements LeaderGate {
  readonly identity: string;
  private readonly options: LeaderElectionOptions;
  private readonly timings: ElectionTimings;
  private readonly now: () => number;
  private readonly listeners: Array<(leading: boolean) => void> = [];
  private readonly controller = new AbortController();
  private readonly gauge: Gauge | undefined;
  private loop: Promise<void> | undefined;
  /** The Lease as last read or written, and when (our clock) its record last changed. */
  private observed: LeaseObject | undefined;
  private observedRecord = '';
  private observedAt = 0;
  private lastRenew = 0;
  leading = false;
  holder: string | undefined;
  lastError: string | undefined;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.identity = options.identity;
    this.timings = { leaseDurationMs: options.leaseDurationMs ?? DEFAULT_TIMINGS.leaseDurationMs, renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_TIMINGS.renewDeadlineMs, retryPeriodMs: options.retryPeriodMs ?? DEFAULT_TIMINGS.retryPeriodMs };
    validateTimings(this.timings);
    this.now = options.now ?? Date.now;
    if (options.metrics !== undefined) {
      const existing = options.metrics.registry.getSingleMetric('runwarden_leader');
      this.gauge = existing instanceof Gauge ? existing : new Gauge({ name: 'runwarden_leader', help: '1 while this replica holds the leader-election Lease (scans, writes history, notifies), else 0.', registers: [options.metrics.registry] });
      this.gauge.set(0);
    }
  }

  get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases/${encodeURIComponent(this.options.name)}`;
  }

  onChange(listener: (leading: boolean) => void): void {
    this.listeners.push(listener);
  }

  /**
   * The first attempt, then the loop in the background. Throws when the first attempt shows the election
   * cannot work (forbidden, unauthorized, no such namespace); later failures are logged and retried.
   */
  async start(): Promise<void> {
    await this.attempt(true);
    this.loop = this.run();
  }

  /** Stop competing; a leader steps down (listeners first) and clears the holder so a follower takes over at once. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
    if (!this.leading) return;
    this.setLeading(false);
    const lease = this.observed;
    if (lease === undefined) return;
    const t = this.now();
    const released: LeaseObject = { ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: microTime(t), renewTime: microTime(t) } };
    try {
      const reply = await this.options.client.write('PUT', this.path, released, AbortSignal.timeout(this.timings.renewDeadlineMs));
      if (reply.status === 200 || reply.status === 201) this.options.log('info', 'leader lease released', { lease: this.label });
      else this.options.log('warn', 'leader lease not released; followers take over when it expires', { lease: this.label, status: reply.status, error: statusMessage(reply) });
    } catch (error) {
      this.options.log('warn', 'leader lease not released; followers take over when it expires', { lease: this.label, error: errorMessage(error) });
    }
  }

  private get label(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      // Followers jitter their retries (client-go: up to +20%) so candidates do not move in lockstep.
      const wait = this.leading ? this.timings.retryPeriodMs : this.timings.retryPeriodMs * (1 + Math.random() * 0.2);
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        return;
      }
      await this.attempt(false).catch((error: unknown) => this.failed(error));
      if (this.leading && this.now() - this.lastRenew >= this.timings.renewDeadlineMs) {
        this.options.log('error', 'leadership lost: lease not renewed within the renew deadline; scanning stopped', { lease: this.label, renewDeadlineMs: this.timings.renewDeadlineMs, error: this.lastError });
        this.setLeading(false);
      }
    }
  }

  private failed(error: unknown): void {
    if (this.controller.signal.aborted) return;
    this.lastError = errorMessage(error);
    this.options.metrics?.errors.inc({ adapter: 'leader-election' });
    this.options.log('warn', 'leader election attempt failed', { lease: this.label, error: this.lastError });
  }

  /** client-go's tryAcquireOrRenew: true when we hold the lease after it. `first` turns fatal replies into errors. */
  private async attempt(first: boolean): Promise<boolean> {
    const budget = this.leading ? Math.max(this.timings.renewDeadlineMs - (this.now() - this.lastRenew), this.timings.retryPeriodMs) : this.timings.renewDeadlineMs;
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(budget)]);
    const t = this.now();
    const got = await this.options.client.get(this.path, {}, signal);
    // Not found: create it (a missing namespace or API group then fails the create, with its own message).
    if (got.status === 404) {
      const lease: LeaseObject = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.options.name, namespace: this.options.namespace },
        spec: { holderIdentity: this.identity, leaseDurationSeconds: this.timings.leaseDurationMs / 1000, acquireTime: microTime(t), renewTime: microTime(t), leaseTransitions: 0 },
      };
      const created = await this.options.client.write('POST', `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`, lease, signal);
      if (created.status === 409) return this.lost('lost the race to create the lease');
      if (created.status !== 201 && created.status !== 200) throw this.apiError('create', created);
      return this.won(created.body as LeaseObject, t);
    }
    if (got.status !== 200) {
      const error = this.apiError('get', got);
      if (first && (got.status === 401 || got.status === 403)) throw error;
      return this.lost(error.message, error);
    }
    const lease = got.body as LeaseObject;
    this.observe(lease, t);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    if (holder !== '' && holder !== this.identity) {
      const durationMs = (spec.leaseDurationSeconds ?? this.timings.leaseDurationMs / 1000) * 1000;
      if (this.observedAt + durationMs > t) return this.lost(undefined);
    }
    const mine = holder === this.identity;
    const record: LeaseObject = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: this.timings.leaseDurationMs / 1000,
        acquireTime: mine && typeof spec.acquireTime === 'string' ? spec.acquireTime : microTime(t),
        renewTime: microTime(t),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
    const put = await this.options.client.write('PUT', this.path, record, signal);
    // 409 Conflict: the lease changed since our GET (another candidate renewed or took it): not ours this time.
    if (put.status === 409) return this.lost('lease updated concurrently (409 Conflict)');
    if (put.status !== 200 && put.status !== 201) {
      const error = this.apiError('update', put);
      if (first && (put.status === 401 || put.status === 403)) throw error;
      return this.lost(error.message, error);
    }
    if (!mine) this.options.log('info', holder === '' ? 'leader lease acquired' : 'leader lease taken over (expired)', { lease: this.label, previous: holder === '' ? undefined : holder });
    return this.won(put.body as LeaseObject, t);
  }

  private observe(lease: LeaseObject, t: number): void {
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.acquireTime ?? '', spec.leaseTransitions ?? 0, spec.leaseDurationSeconds ?? 0]);
    if (record !== this.observedRecord || this.observed === undefined) {
      this.observedRecord = record;
      this.observedAt = t;
    }
    this.observed = lease;
    this.holder = spec.holderIdentity ?? undefined;
    if (this.holder === '') this.holder = undefined;
  }

  private won(lease: LeaseObject, t: number): boolean {
    this.observe(lease, t);
    this.lastRenew = t;
    this.lastError = undefined;
    if (!this.leading) {
      this.options.log('info', 'leading: this replica scans, writes history and notifies', { lease: this.label, identity: this.identity });
      this.setLeading(true);
    }
    return true;
  }

  /** Not ours this attempt. A leader that sees another holder steps down at once; otherwise it keeps trying until the renew deadline. */
  private lost(why: string | undefined, error?: Error): boolean {
    if (error !== undefined) this.failed(error);
    else if (why !== undefined) this.options.log('debug', 'leader lease not acquired', { lease: this.label, why });
    if (this.leading && this.holder !== undefined && this.holder !== this.identity) {
      this.options.log('error', 'leadership lost: another replica holds the lease; scanning stopped', { lease: this.label, holder: this.holder });
      this.setLeading(false);
    }
    return false;
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.gauge?.set(leading ? 1 : 0);
    for (const listener of this.listeners) {
      try {
        listener(leading);
      } catch (error) {
        this.options.log('error', 'leadership listener failed', { error: errorMessage(error) });
      }
    }
  }

  private apiError(verb: 'get' | 'create' | 'update', reply: ApiReply): KubeApiError {
    const what = `Lease "${this.options.name}" in namespace "${this.options.namespace}"`;
    const message = statusMessage(reply);
    if (reply.status === 403) {
      return new KubeApiError(`Leader election: forbidden to ${verb} ${what}: ${message}`, { status: 403, hint: LEASE_RBAC_HINT });
    }
    if (reply.status === 401) return new KubeApiError(`Leader election: the API server rejected the credentials (401) reading ${what}`, { status: 401, hint: 'Check the ServiceAccount token or the kubeconfig user.' });
    if (reply.status === 404) return new KubeApiError(`Leader election: cannot ${verb} ${what}: ${message}`, { status: 404, hint: 'Does the namespace exist? Set --leader-election-namespace (default: POD_NAMESPACE or the pod\'s own namespace).' });
    return new KubeApiError(`Leader election: ${verb} ${what} failed with HTTP ${reply.status}: ${message}`, { status: reply.status });
  }
}

function statusMessage(reply: ApiReply): string {
  const body = reply.body as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : reply.text || `HTTP ${reply.status}`;
}

export interface ElectionDefaults {
  namespace: string;
  identity: string;
}

/**
 * Namespace: the flag, else POD_NAMESPACE, else the pod's own namespace (service-account file), else the
 * kubeconfig context's namespace. Identity: POD_NAME (else the host name) plus a random suffix, so a restarted
 * process never mistakes its predecessor's lease for its own and two processes on one host stay distinct.
 */
export async function electionDefaults(flag: string | undefined, env: Readonly<Record<string, string | undefined>>, resolved: ResolvedKubeconfig, serviceAccountDir = SERVICE_ACCOUNT_DIR): Promise<ElectionDefaults> {
  let namespace = flag ?? (env.POD_NAMESPACE === '' ? undefined : env.POD_NAMESPACE);
  if (namespace === undefined) {
    namespace = await readFile(join(serviceAccountDir, 'namespace'), 'utf8').then(
      (text) => text.trim() || undefined,
      () => undefined,
    );
  }
  namespace ??= resolved.kubeConfig.getContextObject(resolved.context)?.namespace;
  if (namespace === undefined) throw new ConfigError('--leader-elect needs the namespace of its Lease: give --leader-election-namespace', { hint: 'In a pod it defaults to POD_NAMESPACE or the service account\'s namespace; outside, to the kubeconfig context\'s namespace.' });
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new ConfigError(`Invalid leader-election namespace "${namespace}": must be a DNS-1123 label, e.g. "runwarden"`);
  const base = env.POD_NAME !== undefined && env.POD_NAME !== '' ? env.POD_NAME : hostname();
  return { namespace, identity: `${base}_${randomBytes(4).toString('hex')}` };
}
