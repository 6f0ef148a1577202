/**
 * `runwarden serve` as a library: the monitor (scheduled and triggered scans through `scan()`), the history
 * store, metrics, notifications and the HTTP app, wired together and stopped in order (HTTP first so no new
 * request starts, then the monitor with its grace period, then notifications in flight, then the store).
 */
import { errorMessage } from '../core/errors.js';
import type { HistoryStore, ScanDiff } from './history/store.js';
import type { Logger } from './log.js';
import { ServeMetrics } from './metrics/index.js';
import { Monitor, type Latest, type MonitorOptions } from './monitor.js';
import { createHandler, listen, type Readiness } from './server/app.js';
import type { TokenEntry } from './server/auth.js';

export { HistoryStore } from './history/store.js';
export { Monitor } from './monitor.js';
export { ServeMetrics } from './metrics/index.js';

/** A sink for what changed after a scan (webhook, Kubernetes Events). */
export interface Notifier {
  readonly name: string;
  notify(diff: ScanDiff, latest: Latest): Promise<void>;
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
}

export interface ServeHandle {
  url: string;
  port: number;
  monitor: Monitor;
  metrics: ServeMetrics;
  /** The first scan (resolves when it is stored or has failed). */
  firstScan: Promise<void>;
  stop(graceMs: number): Promise<'idle' | 'finished' | 'abandoned'>;
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const metrics = options.metrics ?? new ServeMetrics({ processMetrics: true });
  const notifiers = options.notifiers ?? [];
  const monitor = new Monitor({
    scan: options.scan,
    history: options.history,
    metrics,
    retainMs: options.retainMs,
    now: options.now,
    log: options.log,
    adapter: options.adapter,
    onDiff: async (diff, latest) => {
      const results = await Promise.allSettled(notifiers.map((n) => n.notify(diff, latest)));
      for (const [i, r] of results.entries()) if (r.status === 'rejected') options.log('warn', 'notifier failed', { sink: notifiers[i]?.name, error: errorMessage(r.reason) });
    },
  });
  const readiness = (): Readiness => {
    const reasons: string[] = [];
    if (monitor.latest === undefined) reasons.push(monitor.lastError === undefined ? 'no scan has finished yet' : `no successful scan yet (last error: ${monitor.lastError})`);
    const stale = options.freshness?.stale();
    if (stale !== undefined) reasons.push(stale);
    metrics.inventoryStale.set(stale === undefined ? 0 : 1);
    return { ready: reasons.length === 0, reasons };
  };
  const server = await listen(createHandler({ history: options.history, monitor, metrics, readiness, tokens: options.tokens, log: options.log }), { host: options.host, port: options.port, tls: options.tls });
  options.log('info', 'listening', { url: server.url, auth: options.tokens === undefined ? 'none (loopback only)' : `${options.tokens.length} token(s)` });
  const firstScan = options.intervalMs === undefined ? monitor.trigger('startup') : monitor.start(options.intervalMs);
  return {
    url: server.url,
    port: server.port,
    monitor,
    metrics,
    firstScan,
    async stop(graceMs: number) {
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
