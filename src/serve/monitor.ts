/**
 * The continuous loop of `runwarden serve`: run the scan service (`scan()` from scan/, never a copy of its
 * logic) whenever something asks — the schedule, a watched change, a vulnerability DB update — store the
 * result in the history, notify about what changed, and keep the latest inventory and report for the API.
 *
 * One scan at a time: triggers that arrive while a scan runs are coalesced into the single next scan (the
 * queue depth is bounded by the number of distinct reasons). Stopping lets a running scan finish within the
 * grace period, then aborts it; nothing is half-written (each scan is one history transaction).
 */
import { randomBytes } from 'node:crypto';
import { AppError, errorMessage } from '../core/errors.js';
import type { Inventory } from '../core/inventory.js';
import type { ScanReport } from '../core/report.js';
import { IncrementalScanner } from '../scan/incremental.js';
import type { ScanOptions } from '../scan/index.js';
import { publishLatest } from './follow/index.js';
import type { HistoryStore, ScanDiff } from './history/store.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { Adapter, ServeMetrics } from './metrics/index.js';

export interface Latest {
  scanId: string;
  finishedAt: Date;
  inventory: Inventory;
  report: ScanReport;
}

export interface MonitorOptions {
  /** Everything `scan()` takes but the signal (owned by the monitor). */
  scan: Omit<ScanOptions, 'signal' | 'now'>;
  history: HistoryStore;
  metrics?: ServeMetrics | undefined;
  /** Called after each stored scan with what changed (notifications). Failures are logged, never fatal. */
  onDiff?: ((diff: ScanDiff, latest: Latest) => Promise<void>) | undefined;
  /** Drop history older than this (ms); undefined keeps everything. */
  retainMs?: number | undefined;
  now?: (() => Date) | undefined;
  log?: Logger | undefined;
  /** The adapter a failed scan is counted against (runwarden_errors_total). */
  adapter?: Adapter | undefined;
  /**
   * Publish stored scans for the followers of a shared store (serve/follow): the first at once, then at most one
   * per `minIntervalMs` (default PUBLISH_INTERVAL_MS), always the latest; a pending one is published at stop.
   */
  publish?: { minIntervalMs?: number | undefined } | undefined;
}

/**
 * Least time between two publications: followers poll every 10 s (serve/follow FOLLOW_INTERVAL_MS), and a
 * publication of a 30,000-pod scan costs the leader ~1 s (bench/follow), so watched changes that rescan every few
 * seconds publish the latest scan once per interval instead of every one.
 */
export const PUBLISH_INTERVAL_MS = 10_000;

export class Monitor {
  private readonly options: MonitorOptions;
  private readonly now: () => Date;
  private readonly log: Logger;
  private running: Promise<void> | undefined;
  private readonly pending = new Set<string>();
  private controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** The rescan that tries again the images the last scan could not read (IncrementalScanner.retryAt). */
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastPrune = 0;
  /** Publications (serve/follow): when the last one started, the deferred one's timer, the one in flight. */
  private lastPublished = Number.NEGATIVE_INFINITY;
  private publishTimer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> = Promise.resolve();
  private readonly scanner: IncrementalScanner;
  latest: Latest | undefined;
  lastError: string | undefined;
  scansRun = 0;

  constructor(options: MonitorOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? silentLogger;
    this.scanner = new IncrementalScanner(options.scan);
  }

  /** Ask for a scan. Returns once the scan that covers this trigger has finished. */
  trigger(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running === undefined) {
      this.running = this.loop(reason);
      return this.running;
    }
    this.pending.add(reason);
    this.options.metrics?.queueDepth.set(this.pending.size);
    return this.running;
  }

  /** Scan now, then every `intervalMs`. */
  start(intervalMs: number): Promise<void> {
    const first = this.trigger('startup');
    this.timer = setInterval(() => void this.trigger('interval'), intervalMs);
    this.timer.unref();
    return first;
  }

  /** Stop scheduling; let the running scan finish within `graceMs`, then abort it; publish a deferred publication. */
  async stop(graceMs: number): Promise<'idle' | 'finished' | 'abandoned'> {
    const outcome = await this.stopScanning(graceMs);
    if (this.publishTimer !== undefined) {
      clearTimeout(this.publishTimer);
      this.publishTimer = undefined;
      this.publishNow();
    }
    await this.publishing;
    return outcome;
  }

  private async stopScanning(graceMs: number): Promise<'idle' | 'finished' | 'abandoned'> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.scheduleRetry();
    this.pending.clear();
    const running = this.running;
    if (running === undefined) return 'idle';
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<'abandoned'>((resolve) => {
      timeout = setTimeout(() => resolve('abandoned'), graceMs);
    });
    const outcome = await Promise.race([running.then(() => 'finished' as const), expired]);
    clearTimeout(timeout);
    if (outcome === 'abandoned') {
      this.controller.abort(new AppError('shutdown', 'Scan abandoned at shutdown'));
      await running;
    }
    return outcome;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private async loop(first: string): Promise<void> {
    let reasons = [first];
    try {
      for (;;) {
        await this.runOnce(reasons.join(','));
        if (this.pending.size === 0 || this.stopped) break;
        reasons = [...this.pending];
        this.pending.clear();
        this.options.metrics?.queueDepth.set(0);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async runOnce(reason: string): Promise<void> {
    const startedAt = this.now();
    const id = scanId(startedAt);
    const metrics = this.options.metrics;
    const timer = performance.now();
    if (this.controller.signal.aborted) this.controller = new AbortController();
    this.log('info', 'scan started', { scan: id, reason });
    let outcome: Awaited<ReturnType<IncrementalScanner['scan']>>;
    try {
      // A watched change (or images tried again) may be rescanned incrementally (scan/incremental.ts: the same
      // report, recomputing what the change can affect); the schedule, startup and DB updates are full scans.
      outcome = await this.scanner.scan({ now: startedAt, signal: this.controller.signal, full: reason.split(',').every(isIncremental) ? undefined : primaryReason(reason) });
    } catch (error) {
      this.scanner.reset();
      this.scheduleRetry();
      const finishedAt = this.now();
      this.lastError = errorMessage(error);
      metrics?.scanDuration.observe({ reason: primaryReason(reason), outcome: 'failed' }, (performance.now() - timer) / 1000);
      metrics?.errors.inc({ adapter: this.options.adapter ?? 'scan' });
      this.log('error', 'scan failed', { scan: id, reason, error: this.lastError, hint: error instanceof AppError ? error.hint : undefined });
      await this.options.history
        .recordFailure({ id, startedAt, finishedAt, reason, source: this.options.scan.source.id, error: this.lastError })
        .catch((e: unknown) => this.historyFailed(e));
      return;
    }
    const finishedAt = this.now();
    let diff: ScanDiff;
    try {
      diff = await this.options.history.recordScan({ id, startedAt, finishedAt, reason, report: outcome.report });
    } catch (error) {
      // The history did not take this scan: the next one is full, so its diff is against what is stored.
      this.scanner.reset();
      this.scheduleRetry();
      this.lastError = errorMessage(error);
      metrics?.scanDuration.observe({ reason: primaryReason(reason), outcome: 'failed' }, (performance.now() - timer) / 1000);
      this.historyFailed(error);
      return;
    }
    this.lastError = undefined;
    this.scansRun++;
    this.scheduleRetry();
    this.latest = { scanId: id, finishedAt, inventory: outcome.inventory, report: outcome.report };
    metrics?.scanDuration.observe({ reason: primaryReason(reason), outcome: 'ok' }, (performance.now() - timer) / 1000);
    metrics?.updateFromScan(outcome.report, outcome.inventory, finishedAt);
    if (this.options.publish !== undefined) await this.publishSoon();
    const plan = outcome.plan.mode === 'full' ? { mode: 'full', why: outcome.plan.why } : { mode: 'incremental', namespaces: outcome.plan.namespaces.length, retried: outcome.plan.retried };
    this.log('info', 'scan finished', { scan: id, reason, ...plan, ms: Math.round(performance.now() - timer), findings: diff.scan.findings, opened: diff.opened.length, fixed: diff.fixed.length, issues: outcome.report.issues.length });
    if (this.options.onDiff !== undefined) {
      try {
        await this.options.onDiff(diff, this.latest);
      } catch (error) {
        this.log('warn', 'notification failed', { scan: id, error: errorMessage(error) });
      }
    }
    await this.pruneIfDue(finishedAt);
  }

  /**
   * After a scan: when it could not read some images, an `image-retry` rescan at the scanner's retryAt (replacing
   * any earlier one); none when every image was read, after a failed scan (the next one is full) or once stopped.
   */
  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const at = this.stopped ? undefined : this.scanner.retryAt();
    if (at === undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.trigger(`${RETRY_REASON}: images that could not be read`);
    }, Math.max(0, at.getTime() - this.now().getTime()));
    this.retryTimer.unref();
  }

  /** Publish the latest scan now when the last publication is old enough (awaited), else once it is (deferred). */
  private async publishSoon(): Promise<void> {
    if (this.publishTimer !== undefined) return;
    const wait = this.lastPublished + (this.options.publish?.minIntervalMs ?? PUBLISH_INTERVAL_MS) - performance.now();
    if (wait <= 0) {
      this.publishNow();
      await this.publishing;
      return;
    }
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publishNow();
    }, wait);
    this.publishTimer.unref();
  }

  /** Publish the latest scan after the one in flight: publications never overlap, and the last one is the latest. */
  private publishNow(): void {
    const latest = this.latest;
    if (latest === undefined) return;
    this.lastPublished = performance.now();
    this.publishing = this.publishing.then(() => this.publish(latest));
  }

  /** Publish the scan for the followers; a failure is logged and counted, and the followers keep the previous one. */
  private async publish(latest: Latest): Promise<void> {
    const started = performance.now();
    try {
      const bytes = await publishLatest(this.options.history, latest, this.now());
      if (bytes === undefined) this.log('warn', 'scan not published: the store holds a newer scan (another leader)', { scan: latest.scanId });
      else this.log('info', 'scan published for the followers', { scan: latest.scanId, bytes, ms: Math.round(performance.now() - started) });
    } catch (error) {
      this.options.metrics?.errors.inc({ adapter: 'history' });
      this.log('error', 'publishing the scan for the followers failed; they keep the previous one', { scan: latest.scanId, error: errorMessage(error) });
    }
  }

  private async pruneIfDue(now: Date): Promise<void> {
    const retain = this.options.retainMs;
    // At most hourly: a retention of days needs no per-scan sweep.
    if (retain === undefined || now.getTime() - this.lastPrune < 3_600_000) return;
    this.lastPrune = now.getTime();
    try {
      const pruned = await this.options.history.prune(new Date(now.getTime() - retain));
      if (pruned.scans + pruned.spans + pruned.findings > 0) this.log('info', 'history pruned', { ...pruned });
    } catch (error) {
      this.historyFailed(error);
    }
  }

  private historyFailed(error: unknown): void {
    this.options.metrics?.errors.inc({ adapter: 'history' });
    this.log('error', 'history write failed', { error: errorMessage(error) });
  }
}

/** Sortable and unique: `20261128T193000Z-3fa2c1`. */
export function scanId(at: Date): string {
  return `${at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}-${randomBytes(3).toString('hex')}`;
}

/** The trigger of a rescan that tries again the images the last scan could not read. */
export const RETRY_REASON = 'image-retry';

/**
 * A watch trigger (`new-digest: …`, `pod-modified: ns/name`, `networkpolicy-added: …`) or images tried again
 * (`image-retry: …`), as opposed to startup, the schedule or a DB update: rescanned incrementally when it can be.
 */
function isIncremental(reason: string): boolean {
  return /^(new-digest|image-retry|[a-z]+-(added|modified|deleted)):/.test(reason.trim());
}

/** The metric label of a coalesced reason list: its first reason's kind (`pod-change: shop/web` → `pod-change`). */
function primaryReason(reason: string): string {
  return (reason.split(',')[0] ?? reason).split(':')[0] ?? reason;
}
