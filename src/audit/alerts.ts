/**
 * Audit detections delivered through serve's sinks (src/serve/notify/): the webhook (HMAC-signed, deduped,
 * rate limited, retried) and Kubernetes Events. The sinks take a scan's diff, so a batch of detections is
 * shaped as one: a ScanRecord `audit-<time>-<n>` with source `audit`, the detections as `opened`, nothing
 * `fixed` (a detection is an event, it is never fixed). Deliveries are batched: the first detection waits up
 * to `maxWaitMs` (2 s) for others, and `maxBatch` (100) waiting are delivered at once.
 *
 * Every detection is also one JSON log line (warn for high and critical, info otherwise), whatever its
 * severity: the log is the complete record, the sinks get those at or above `minSeverity`.
 */
import { errorMessage } from '../core/errors.js';
import { subjectPath, type Finding } from '../core/finding.js';
import { atLeast, type Severity } from '../core/severity.js';
import type { ScanDiff } from '../serve/history/store.js';
import type { Notifier } from '../serve/index.js';
import type { Logger } from '../serve/log.js';
import { kubeEventsNotifier, type KubeEventsOptions } from '../serve/notify/kube-events.js';

/** `source` of an audit batch's ScanRecord and report: what a webhook receiver tells audit alerts from scans by. */
export const AUDIT_SOURCE = 'audit';
export const DEFAULT_MIN_SEVERITY: Severity = 'medium';
const MAX_WAIT_MS = 2000;
const MAX_BATCH = 100;
export const DEFAULT_REPEAT_WINDOW_MS = 3_600_000;

/** A batch of detections as the diff of a scan: all opened, none fixed. */
export function auditDiff(detections: readonly Finding[], batch: { id: string; startedAt: Date; finishedAt: Date }): ScanDiff {
  return {
    scan: {
      id: batch.id,
      startedAt: batch.startedAt.toISOString(),
      finishedAt: batch.finishedAt.toISOString(),
      reason: 'audit-webhook',
      source: AUDIT_SOURCE,
      status: 'ok',
      error: null,
      findings: detections.length,
      opened: detections.length,
      fixed: 0,
      summary: null,
    },
    opened: [...detections],
    fixed: [],
  };
}

/**
 * Kubernetes Events for detections: the Events sink names a finding's workload as the Event's object, and a
 * detection about a pod (an exec, a port-forward, a created pod) names the pod, so the Event goes on the Pod
 * (`kubectl describe pod` shows it). Detections about a namespace or the cluster (RBAC, secrets) get none.
 */
export function auditKubeEventsNotifier(options: KubeEventsOptions): Notifier {
  const inner = kubeEventsNotifier(options);
  return {
    name: inner.name,
    notify: (diff) => inner.notify({ ...diff, opened: diff.opened.map(onPod) }),
    close: () => inner.close(),
  };
}

function onPod(f: Finding): Finding {
  const { type, namespace, pod } = f.subject;
  if (type !== 'pod' || namespace === undefined || pod === undefined) return f;
  return { ...f, subject: { type, namespace, workload: { kind: 'Pod', name: pod } } };
}

export interface AlerterOptions {
  notifiers: readonly Notifier[];
  /** Detections below this are only logged. */
  minSeverity: Severity;
  log: Logger;
  maxWaitMs?: number | undefined;
  maxBatch?: number | undefined;
  /**
   * A detection that repeats one already sent (same rule, same identity, same title: an operator's watch of
   * Secrets reconnecting every few minutes) within this window is logged, not sent again; default 1 h, 0 sends
   * every one.
   */
  repeatWindowMs?: number | undefined;
  now?: (() => Date) | undefined;
}

/** Repeats remembered for the window; only bounds memory. */
const REPEATS_REMEMBERED = 10_000;

export interface Alerter {
  /** Log each detection and queue those at or above the minimum severity. */
  push(detections: readonly Finding[]): void;
  /** Detections waiting for their batch's delivery. */
  readonly pending: number;
  /** Deliver what waits now; resolves when the sinks have taken every batch handed over so far. */
  flush(): Promise<void>;
  /** Flush, then close the sinks (they finish or drop their deliveries in flight). */
  close(): Promise<void>;
}

export function createAlerter(options: AlerterOptions): Alerter {
  const now = options.now ?? (() => new Date());
  const maxWait = options.maxWaitMs ?? MAX_WAIT_MS;
  const maxBatch = options.maxBatch ?? MAX_BATCH;
  const repeatWindow = options.repeatWindowMs ?? DEFAULT_REPEAT_WINDOW_MS;
  /** When each (rule, identity, title) was last sent. */
  const sentAt = new Map<string, number>();
  let queue: Finding[] = [];
  let startedAt: Date | undefined;
  let timer: NodeJS.Timeout | undefined;
  let batches = 0;
  // one batch at a time, in order, to every sink
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  function deliver(detections: Finding[], started: Date): void {
    const finishedAt = now();
    batches++;
    const diff = auditDiff(detections, { id: `audit-${finishedAt.toISOString()}-${batches}`, startedAt: started, finishedAt });
    chain = chain.then(async () => {
      const results = await Promise.allSettled(options.notifiers.map((n) => n.notify(diff)));
      for (const [i, r] of results.entries()) if (r.status === 'rejected') options.log('warn', 'notifier failed', { sink: options.notifiers[i]?.name, batch: diff.scan.id, error: errorMessage(r.reason) });
    });
  }

  function take(n: number): void {
    const started = startedAt ?? now();
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    // what stays keeps its start and its deadline (the timer of the first detection)
    if (queue.length === 0) {
      startedAt = undefined;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    }
    if (batch.length > 0) deliver(batch, started);
  }

  /** The detection repeats one sent within the window (then it is only logged); otherwise it is remembered as sent now. */
  function repeated(d: Finding): boolean {
    if (repeatWindow <= 0) return false;
    const key = `${d.rule}\0${typeof d.evidence['user'] === 'string' ? d.evidence['user'] : ''}\0${d.title}`;
    const t = now().getTime();
    const last = sentAt.get(key);
    if (last !== undefined && t - last < repeatWindow) {
      options.log('info', 'audit detection repeats one sent within the repeat window; not sent again', { rule: d.rule, title: d.title, sentAt: new Date(last).toISOString() });
      return true;
    }
    sentAt.delete(key);
    if (sentAt.size >= REPEATS_REMEMBERED) {
      const oldest = sentAt.keys().next().value;
      if (oldest !== undefined) sentAt.delete(oldest);
    }
    sentAt.set(key, t);
    return false;
  }

  function flushNow(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) take(maxBatch);
  }

  return {
    push(detections) {
      for (const d of detections) {
        options.log(atLeast(d.severity, 'high') && d.suppression === undefined ? 'warn' : 'info', 'audit detection', { fingerprint: d.id, rule: d.rule, severity: d.severity, title: d.title, subject: subjectPath(d.subject), evidence: d.evidence, ...(d.suppression === undefined ? {} : { suppression: d.suppression }) });
        // accepted by an exception (audit.exceptions): in the log, with the reason, never sent
        if (d.suppression !== undefined || closed || options.notifiers.length === 0 || !atLeast(d.severity, options.minSeverity)) continue;
        if (repeated(d)) continue;
        if (queue.length === 0) startedAt = now();
        queue.push(d);
      }
      while (queue.length >= maxBatch) take(maxBatch);
      if (queue.length > 0 && timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          flushNow();
        }, maxWait);
        timer.unref();
      }
    },
    get pending() {
      return queue.length;
    },
    async flush() {
      flushNow();
      await chain;
    },
    async close() {
      closed = true;
      flushNow();
      await chain;
      const results = await Promise.allSettled(options.notifiers.map((n) => n.close()));
      for (const [i, r] of results.entries()) if (r.status === 'rejected') options.log('warn', 'notifier failed to close', { sink: options.notifiers[i]?.name, error: errorMessage(r.reason) });
    },
  };
}
