/**
 * The webhook sink: after each scan, one JSON POST per batch of events (new findings at or above a severity,
 * findings fixed, containers turning end-of-life), signed with HMAC-SHA256 over `<timestamp>.<body>` in
 * `X-Runwarden-Signature: sha256=<hex>` (receivers reject stale timestamps to stop replays). Deduplicated (an
 * event for the same fingerprint is sent once per `dedupeTtlMs`), rate-limited (a token bucket of deliveries
 * per minute; what waits is queued, bounded, and counted when dropped) and retried with exponential backoff
 * and full jitter on 429, 5xx and network errors, honouring Retry-After. One delivery at a time per sink.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import { subjectPath } from '../../core/finding.js';
import { atLeast, type Severity } from '../../core/severity.js';
import type { ScanDiff } from '../history/store.js';
import type { Notifier } from '../index.js';
import type { Logger } from '../log.js';
import type { ServeMetrics } from '../metrics/index.js';

export const EVENT_TYPES = ['finding.new', 'finding.fixed', 'container.end-of-life'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface WebhookEvent {
  type: EventType;
  at: string;
  finding: {
    fingerprint: string;
    rule: string;
    kind: string;
    severity: Severity;
    title: string;
    subject: string;
    namespace: string | null;
    workload: { kind: string; name: string } | null;
    remediation: string;
    evidence: Record<string, unknown>;
  };
}

export interface WebhookPayload {
  id: string;
  scan: { id: string; finishedAt: string; source: string };
  events: WebhookEvent[];
  /** Events dropped since the previous delivery because the queue was full (rate limit). */
  dropped: number;
}

export interface WebhookOptions {
  url: string;
  /** HMAC key; without it deliveries are unsigned. */
  secret?: Buffer | undefined;
  minSeverity: Severity;
  /** Deliveries per minute (token bucket). */
  perMinute: number;
  maxAttempts?: number | undefined;
  baseDelayMs?: number | undefined;
  maxDelayMs?: number | undefined;
  dedupeTtlMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
  maxEventsPerDelivery?: number | undefined;
  maxQueuedEvents?: number | undefined;
  /** How long close() waits for queued deliveries before dropping them. */
  closeTimeoutMs?: number | undefined;
  metrics?: ServeMetrics | undefined;
  log: Logger;
  now?: (() => Date) | undefined;
}

export const SIGNATURE_HEADER = 'x-runwarden-signature';
export const TIMESTAMP_HEADER = 'x-runwarden-timestamp';

/** `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`): what a receiver recomputes to verify. */
export function signature(secret: Buffer, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The events a scan's diff gives, before dedupe. */
export function eventsOf(diff: ScanDiff, minSeverity: Severity): WebhookEvent[] {
  const at = diff.scan.finishedAt;
  const out: WebhookEvent[] = [];
  for (const f of diff.opened) {
    if (f.kind === 'end-of-life') out.push({ type: 'container.end-of-life', at, finding: view(f) });
    else if (atLeast(f.severity, minSeverity)) out.push({ type: 'finding.new', at, finding: view(f) });
  }
  for (const f of diff.fixed) if (atLeast(f.severity, minSeverity)) out.push({ type: 'finding.fixed', at, finding: view(f.finding) });
  return out;
}

function view(f: Finding): WebhookEvent['finding'] {
  return {
    fingerprint: f.id,
    rule: f.rule,
    kind: f.kind,
    severity: f.severity,
    title: f.title,
    subject: subjectPath(f.subject),
    namespace: f.subject.namespace ?? null,
    workload: f.subject.workload ?? null,
    remediation: f.remediation,
    evidence: f.evidence,
  };
}

export interface WebhookNotifier extends Notifier {
  /** Resolves when the queue is empty (tests). */
  idle(): Promise<void>;
}

export function webhookNotifier(options: WebhookOptions): WebhookNotifier {
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelay = options.baseDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 60_000;
  const dedupeTtl = options.dedupeTtlMs ?? 24 * 3_600_000;
  const perDelivery = options.maxEventsPerDelivery ?? 100;
  const maxQueued = options.maxQueuedEvents ?? 5000;
  const now = options.now ?? (() => new Date());
  const controller = new AbortController();
  const sent = new Map<string, number>();
  const queue: Array<Omit<WebhookPayload, 'id' | 'dropped'>> = [];
  let queuedEvents = 0;
  let dropped = 0;
  let tokens = options.perMinute;
  let refilledAt = Date.now();
  let worker: Promise<void> | undefined;
  let closed = false;
  const count = (outcome: string, n = 1): void => options.metrics?.notifications.inc({ sink: 'webhook', outcome }, n);

  function dedupe(events: WebhookEvent[]): WebhookEvent[] {
    const t = now().getTime();
    for (const [key, expires] of sent) if (expires <= t) sent.delete(key);
    return events.filter((e) => {
      const key = `${e.type}\0${e.finding.fingerprint}`;
      if (sent.has(key)) {
        count('deduplicated');
        return false;
      }
      sent.set(key, t + dedupeTtl);
      return true;
    });
  }

  async function takeToken(): Promise<void> {
    for (;;) {
      const elapsed = Date.now() - refilledAt;
      if (elapsed > 0) {
        tokens = Math.min(options.perMinute, tokens + (elapsed * options.perMinute) / 60_000);
        refilledAt = Date.now();
      }
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      count('rate-limited');
      await sleep(Math.ceil(((1 - tokens) * 60_000) / options.perMinute), undefined, { signal: controller.signal });
    }
  }

  async function deliver(payload: WebhookPayload): Promise<void> {
    const body = JSON.stringify(payload);
    for (let attempt = 1; ; attempt++) {
      const timestamp = String(Math.floor(now().getTime() / 1000));
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'runwarden-webhook', 'X-Runwarden-Delivery': payload.id, [TIMESTAMP_HEADER]: timestamp };
      if (options.secret !== undefined) headers[SIGNATURE_HEADER] = signature(options.secret, timestamp, body);
      let status = 0;
      let retryAfterMs: number | undefined;
      let problem: string;
      try {
        const res = await fetch(options.url, { method: 'POST', body, headers, redirect: 'error', signal: AbortSignal.any([controller.signal, AbortSignal.timeout(options.requestTimeoutMs ?? 10_000)]) });
        status = res.status;
        await res.body?.cancel();
        if (status >= 200 && status < 300) {
          count('delivered');
          return;
        }
        const header = res.headers.get('retry-after');
        if (header !== null && /^\d{1,5}$/.test(header)) retryAfterMs = Number(header) * 1000;
        problem = `HTTP ${status}`;
      } catch (error) {
        if (controller.signal.aborted) throw error;
        problem = errorMessage(error);
      }
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || attempt >= maxAttempts) {
        count('failed');
        options.metrics?.errors.inc({ adapter: 'webhook' });
        options.log('warn', 'webhook delivery failed', { delivery: payload.id, attempts: attempt, error: problem, events: payload.events.length });
        return;
      }
      const backoff = Math.random() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
      await sleep(Math.min(maxDelay, Math.max(backoff, retryAfterMs ?? 0)), undefined, { signal: controller.signal });
    }
  }

  async function work(): Promise<void> {
    try {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        queuedEvents -= next.events.length;
        await takeToken();
        const payload: WebhookPayload = { id: randomUUID(), ...next, dropped };
        dropped = 0;
        await deliver(payload);
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      worker = undefined;
    }
  }

  return {
    name: 'webhook',
    notify(diff: ScanDiff): Promise<void> {
      if (closed) return Promise.resolve();
      const events = dedupe(eventsOf(diff, options.minSeverity));
      const scan = { id: diff.scan.id, finishedAt: diff.scan.finishedAt, source: diff.scan.source };
      for (let i = 0; i < events.length; i += perDelivery) {
        const batch = events.slice(i, i + perDelivery);
        if (queuedEvents + batch.length > maxQueued) {
          dropped += batch.length;
          count('dropped', batch.length);
          continue;
        }
        queue.push({ scan, events: batch });
        queuedEvents += batch.length;
      }
      worker ??= work().catch((error: unknown) => options.log('error', 'webhook worker failed', { error: errorMessage(error) }));
      return Promise.resolve();
    },
    async idle(): Promise<void> {
      while (worker !== undefined) await worker;
    },
    async close(): Promise<void> {
      closed = true;
      const pending = worker;
      if (pending === undefined) return;
      const timer = setTimeout(() => controller.abort(), options.closeTimeoutMs ?? 10_000);
      await pending;
      clearTimeout(timer);
      if (queue.length > 0) options.log('warn', 'webhook deliveries dropped at shutdown', { deliveries: queue.length });
    },
  };
}
