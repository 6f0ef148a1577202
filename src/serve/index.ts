/**
 * `runwarden serve` as a library: the monitor (scheduled and triggered scans through `scan()`), the history
 * store, metrics, notifications and the HTTP app, wired together and stopped in order (HTTP first so no new
 * request starts, then the monitor with its grace period, then notifications in flight, then the store).
 */
import { errorMessage } from '../core/errors.js';
import { Follower, type LatestScan } from './follow/index.js';
import type { HistoryStore, ScanDiff } from './history/store.js';
import type { LeaderGate } from './leader/index.js';
import type { Logger } from './log.js';
import { ServeMetrics } from './metrics/index.js';
import { Monitor, type MonitorOptions } from './monitor.js';
import { createHandler, listen, type Readiness } from './server/app.js';
import type { TokenEntry } from './server/auth.js';

export { HistoryStore } from './history/store.js';
export { Monitor } from './monitor.js';
export { ServeMetrics } from './metrics/index.js';

/** A sink for what changed after a scan (webhook, Kubernetes Events). */
export interface Notifier {
  readonly name: string;
  notify(diff: ScanDiff): Promise<void>;
  /** Wait for deliveries in flight (bounded by their own retry budget). */
  close(): Promise<void>;
}

/** Something whose freshness gates readiness (the watched inventory). */
export interface FreshnessGate {
  stale(): string | undefined;
}

export interface ServeOptions {
  scan: MonitorOptions['scan'];
  history: HistoryStore;
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  tokens: readonly TokenEntry[] | undefined;
  /** Scan schedule; undefined = only on triggers (a watched cluster, DB updates). */
  intervalMs: number | undefined;
  retainMs: number | undefined;
  notifiers?: readonly Notifier[] | undefined;
  freshness?: FreshnessGate | undefined;
  metrics?: ServeMetrics | undefined;
  log: Logger;
  now?: (() => Date) | undefined;
  adapter?: MonitorOptions['adapter'];
  /** Leader election (src/serve/leader): only while leading does this replica scan, write history and notify. */
  leader?: LeaderGate | undefined;
  /**
   * The history is shared by the replicas (PostgreSQL): a follower then serves it and stays ready, and with
   * `leader` the leader publishes each scan that followers load (serve/follow).
   */
  sharedStore?: boolean | undefined;
  /** Time between a follower's polls of the published scan (default serve/follow FOLLOW_INTERVAL_MS). */
  followIntervalMs?: number | undefined;
  /** Least time between the leader's publications of its scans (default monitor.ts PUBLISH_INTERVAL_MS). */
  publishIntervalMs?: number | undefined;
}

export interface ServeHandle {
  url: string;
  port: number;
  /** The monitor of the current leadership term (a fresh one after each step-down). */
  readonly monitor: Monitor;
  /**
   * The latest scan this replica answers from: its own, else (a follower, or a new leader before its first scan)
   * the leader's published one it loaded.
   */
  latest(): LatestScan | undefined;
  /** Ask for a rescan; ignored while a follower. */
  trigger(reason: string): void;
  metrics: ServeMetrics;
  /** The first scan (resolves when it is stored or has failed); with leader election, that of the first term this replica leads. */
  firstScan: Promise<void>;
  stop(graceMs: number): Promise<'idle' | 'finished' | 'abandoned'>;
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const metrics = options.metrics ?? new ServeMetrics({ processMetrics: true });
  const notifiers = options.notifiers ?? [];
  const leader = options.leader;
  // Replicas of a shared store: the leader publishes each scan, followers load it (serve/follow).
  const following = leader !== undefined && options.sharedStore === true;
  const newMonitor = (): Monitor => new Monitor({
    scan: options.scan,
    history: options.history,
    metrics,
    retainMs: options.retainMs,
    now: options.now,
    log: options.log,
    adapter: options.adapter,
    publish: following ? { minIntervalMs: options.publishIntervalMs } : undefined,
    onDiff: async (diff) => {
      const results = await Promise.allSettled(notifiers.map((n) => n.notify(diff)));
      for (const [i, r] of results.entries()) if (r.status === 'rejected') options.log('warn', 'notifier failed', { sink: notifiers[i]?.name, error: errorMessage(r.reason) });
    },
  });
  let monitor = newMonitor();
  const follower = following ? new Follower({ history: options.history, log: options.log, intervalMs: options.followIntervalMs, paused: () => leader?.leading === true }) : undefined;
  /** The last scan of this replica's previous term: newer than what it loaded before leading, until a poll loads it back. */
  let ownBefore: LatestScan | undefined;
  const latest = (): LatestScan | undefined => {
    if (monitor.latest !== undefined) return monitor.latest;
    const loaded = follower?.latest;
    if (ownBefore === undefined) return loaded;
    return loaded === undefined || loaded.finishedAt < ownBefore.finishedAt ? ownBefore : loaded;
  };
  const readiness = (): Readiness => {
    const reasons: string[] = [];
    if (leader !== undefined && !leader.leading) {
      // A follower serves the leader's history and published scan when the store is shared; a private SQLite file it never writes is not worth serving.
      if (follower === undefined) return { ready: false, reasons: [`follower (leader: ${leader.holder ?? 'none yet'}) with a history store the leader does not write: use --store postgres://… so every replica serves`] };
      const held = latest();
      const note = `follower; leader: ${leader.holder ?? 'none yet'}`;
      // Nothing published yet (the leader's first scan, or a leader of an older runwarden): serve the history, as before.
      if (held === undefined && follower.published) return { ready: false, reasons: [`follower (leader: ${leader.holder ?? 'none yet'}): the leader's published scan is not loaded${follower.lastError === undefined ? ' yet' : `: ${follower.lastError}`}`] };
      return { ready: true, reasons: [], note: held === undefined ? `${note}; no scan published yet` : `${note}; scan ${held.scanId}${follower.lastError === undefined ? '' : `; the newer one could not be loaded: ${follower.lastError}`}` };
    }
    // A new leader answers from the scan it loaded as a follower until its own first scan is stored.
    if (latest() === undefined) reasons.push(monitor.lastError === undefined ? 'no scan has finished yet' : `no successful scan yet (last error: ${monitor.lastError})`);
    const stale = options.freshness?.stale();
    if (stale !== undefined) reasons.push(stale);
    metrics.inventoryStale.set(stale === undefined ? 0 : 1);
    return { ready: reasons.length === 0, reasons };
  };
  const handler = createHandler({
    history: options.history,
    // The API reads this replica's latest scan (its own, or the leader's it loaded) at request time.
    monitor: {
      get latest() {
        return latest();
      },
      get lastError() {
        return monitor.lastError;
      },
    },
    metrics,
    readiness,
    tokens: options.tokens,
    log: options.log,
  });
  // A follower has the leader's latest scan before it listens (its readiness says so from the first probe).
  await follower?.start();
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(handler, { host: options.host, port: options.port, tls: options.tls });
  } catch (error) {
    // the port is taken: no poll outlives the failed start
    await follower?.stop();
    throw error;
  }
  options.log('info', 'listening', { url: server.url, auth: options.tokens === undefined ? 'none (loopback only)' : `${options.tokens.length} token(s)` });
  const startScanning = (reason: string): Promise<void> => (options.intervalMs === undefined ? monitor.trigger(reason) : monitor.start(options.intervalMs));
  let firstScan: Promise<void>;
  let stopped = false;
  if (leader === undefined) firstScan = startScanning('startup');
  else {
    // Leadership terms: scan while leading; on step-down abandon the running scan at once (the Lease's
    // duration minus the renew deadline is the time it has to stop) and keep a fresh, idle monitor.
    let firstTerm!: () => void;
    firstScan = new Promise<void>((resolve) => {
      firstTerm = resolve;
    });
    // Serialises terms: a new term starts once the previous one has stopped (never awaits a scan itself).
    let previous: Promise<unknown> = Promise.resolve();
    const onLeading = (leading: boolean, reason = 'leader-elected'): void => {
      if (leading) {
        previous = previous.then(() => {
          if (!stopped && leader.leading) void startScanning(reason).then(firstTerm, firstTerm);
        });
        return;
      }
      // After stop() the monitor is stopped already (a release at shutdown steps down last).
      if (stopped) return;
      const term = monitor;
      ownBefore = term.latest ?? ownBefore;
      monitor = newMonitor();
      void follower?.poll();
      previous = previous.then(() => term.stop(0)).then((outcome) => options.log('info', 'scanning stopped: no longer the leader', { scan: outcome }));
    };
    leader.onChange((leading) => onLeading(leading));
    if (leader.leading) onLeading(true, 'startup');
  }
  return {
    url: server.url,
    port: server.port,
    get monitor() {
      return monitor;
    },
    latest,
    trigger(reason: string) {
      if (leader === undefined || leader.leading) void monitor.trigger(reason);
    },
    metrics,
    firstScan,
    async stop(graceMs: number) {
      stopped = true;
      const closing = server.close();
      await follower?.stop();
      const outcome = await monitor.stop(graceMs);
      await Promise.allSettled(notifiers.map((n) => n.close()));
      await closing;
      await options.history.close();
      options.log('info', 'stopped', { scan: outcome });
      return outcome;
    },
  };
}
