/**
 * `runwarden serve` as a library: the monitor (scheduled and triggered scans through `scan()`), the history
 * store, metrics, notifications and the HTTP app, wired together and stopped in order (HTTP first so no new
 * request starts, then the monitor with its grace period, then notifications in flight, then the store).
 */
import { errorMessage } from '../core/errors.js';
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
  /** The history is shared by the replicas (PostgreSQL): a follower then serves it and stays ready. */
  sharedStore?: boolean | undefined;
}

export interface ServeHandle {
  url: string;
  port: number;
  /** The monitor of the current leadership term (a fresh one after each step-down). */
  readonly monitor: Monitor;
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
  const newMonitor = (): Monitor => new Monitor({
    scan: options.scan,
    history: options.history,
    metrics,
    retainMs: options.retainMs,
    now: options.now,
    log: options.log,
    adapter: options.adapter,
    onDiff: async (diff) => {
      const results = await Promise.allSettled(notifiers.map((n) => n.notify(diff)));
      for (const [i, r] of results.entries()) if (r.status === 'rejected') options.log('warn', 'notifier failed', { sink: notifiers[i]?.name, error: errorMessage(r.reason) });
    },
  });
  let monitor = newMonitor();
  const leader = options.leader;
  const readiness = (): Readiness => {
    const reasons: string[] = [];
    if (leader !== undefined && !leader.leading) {
      // A follower serves the leader's history when the store is shared; a private SQLite file it never writes is not worth serving.
      if (options.sharedStore === true) return { ready: true, reasons: [], note: `follower; leader: ${leader.holder ?? 'none yet'}` };
      return { ready: false, reasons: [`follower (leader: ${leader.holder ?? 'none yet'}) with a history store the leader does not write: use --store postgres://… so every replica serves`] };
    }
    if (monitor.latest === undefined) reasons.push(monitor.lastError === undefined ? 'no scan has finished yet' : `no successful scan yet (last error: ${monitor.lastError})`);
    const stale = options.freshness?.stale();
    if (stale !== undefined) reasons.push(stale);
    metrics.inventoryStale.set(stale === undefined ? 0 : 1);
    return { ready: reasons.length === 0, reasons };
  };
  const handler = createHandler({
    history: options.history,
    // The API reads the current term's monitor (its latest scan) at request time.
    get monitor() {
      return monitor;
    },
    metrics,
    readiness,
    tokens: options.tokens,
    log: options.log,
  });
  const server = await listen(handler, { host: options.host, port: options.port, tls: options.tls });
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
      monitor = newMonitor();
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
    trigger(reason: string) {
      if (leader === undefined || leader.leading) void monitor.trigger(reason);
    },
    metrics,
    firstScan,
    async stop(graceMs: number) {
      stopped = true;
      const closing = server.close();
      const outcome = await monitor.stop(graceMs);
      await Promise.allSettled(notifiers.map((n) => n.close()));
      await closing;
      await options.history.close();
      options.log('info', 'stopped', { scan: outcome });
      return outcome;
    },
  };
}
