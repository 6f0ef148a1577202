/**
 * Audit alerts through serve's real sinks: the webhook notifier against a local HTTP receiver that verifies
 * the HMAC signature, and Kubernetes Events on a replayed API server; the detections come from the upstream
 * Falco traces through the real Detector.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traceEvents } from '../../test/audit.js';
import { replaySkipReason, startReplayApi } from '../../test/k8s-watch.js';
import { fingerprint, type Finding } from '../core/finding.js';
import type { Severity } from '../core/severity.js';
import { ApiClient } from '../inventory/sources/kubernetes/client.js';
import { resolveKubeconfig } from '../inventory/sources/kubernetes/index.js';
import type { ScanDiff } from '../serve/history/store.js';
import type { Notifier } from '../serve/index.js';
import type { LogLevel } from '../serve/log.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, webhookNotifier, type WebhookPayload } from '../serve/notify/webhook.js';
import { auditDiff, auditKubeEventsNotifier, createAlerter } from './alerts.js';
import { Detector } from './detect.js';

const SECRET = Buffer.from('whsec-audit-0123456789abcdef');

/** Detections of upstream traces: pod-exec (medium, a pod), privileged-pod-created (high, a pod), cluster-admin-bound (high, the cluster). */
function detections(): Finding[] {
  const detector = new Detector({});
  return ['exec_pod.json', 'create_nginx_pod_privileged.json', 'attach_cluster_admin_role.json'].flatMap((f) => traceEvents(f).flatMap((e) => detector.push(e)));
}

function synthetic(n: number, severity: Severity = 'high'): Finding[] {
  return Array.from({ length: n }, (_, i) => {
    const subject = { type: 'pod' as const, namespace: 'shop', pod: `web-${i}` };
    return { id: fingerprint('pod-exec', subject, `audit-${i}`), rule: 'pod-exec', kind: 'detection' as const, severity, title: `Exec into pod shop/web-${i} by mallory`, subject, evidence: { auditID: `audit-${i}` }, remediation: 'ask' };
  });
}

/** A sink that records what it was given. */
function recorder(): Notifier & { diffs: ScanDiff[]; closed: number } {
  const diffs: ScanDiff[] = [];
  const sink = {
    name: 'recorder',
    diffs,
    closed: 0,
    notify(diff: ScanDiff): Promise<void> {
      diffs.push(diff);
      return Promise.resolve();
    },
    close(): Promise<void> {
      sink.closed++;
      return Promise.resolve();
    },
  };
  return sink;
}

let logs: Array<{ level: LogLevel; msg: string; fields: Record<string, unknown> }> = [];
const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => void logs.push({ level, msg, fields });
beforeEach(() => {
  logs = [];
});

describe('auditDiff', () => {
  it('shapes a batch as a scan diff: every detection opened, none fixed, source audit', () => {
    const found = detections();
    const diff = auditDiff(found, { id: 'audit-2026-11-30T10:00:02.000Z-1', startedAt: new Date('2026-11-30T10:00:00Z'), finishedAt: new Date('2026-11-30T10:00:02Z') });
    expect(diff).toEqual({
      scan: { id: 'audit-2026-11-30T10:00:02.000Z-1', startedAt: '2026-11-30T10:00:00.000Z', finishedAt: '2026-11-30T10:00:02.000Z', reason: 'audit-webhook', source: 'audit', status: 'ok', error: null, findings: 3, opened: 3, fixed: 0, summary: null },
      opened: found,
      fixed: [],
    });
  });
});

describe('alerter batching', () => {
  it('waits up to maxWaitMs for more detections, then notifies once with all of them', async () => {
    const sink = recorder();
    const alerter = createAlerter({ notifiers: [sink], minSeverity: 'low', log, maxWaitMs: 150 });
    const started = Date.now();
    alerter.push(synthetic(3).slice(0, 1));
    alerter.push(synthetic(3).slice(1));
    expect(sink.diffs).toEqual([]);
    expect(alerter.pending).toBe(3);
    await expect.poll(() => sink.diffs.length, { timeout: 2000, interval: 10 }).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sink.diffs[0]?.opened.map((f) => f.subject.pod)).toEqual(['web-0', 'web-1', 'web-2']);
    expect(sink.diffs[0]?.scan.id).toMatch(/^audit-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z-1$/);
    expect(alerter.pending).toBe(0);
    await alerter.close();
    expect(sink.closed).toBe(1);
  });

  it('notifies at once when 100 wait, in batches of 100, and the rest after the wait', async () => {
    const sink = recorder();
    const alerter = createAlerter({ notifiers: [sink], minSeverity: 'low', log, maxWaitMs: 400 });
    alerter.push(synthetic(250));
    expect(alerter.pending).toBe(50);
    // two full batches go out without waiting for the timer
    await expect.poll(() => sink.diffs.map((d) => d.opened.length), { timeout: 200, interval: 5 }).toEqual([100, 100]);
    await expect.poll(() => sink.diffs.map((d) => d.opened.length), { timeout: 2000, interval: 10 }).toEqual([100, 100, 50]);
    expect(sink.diffs.map((d) => d.scan.id.endsWith(`-${sink.diffs.indexOf(d) + 1}`))).toEqual([true, true, true]);
    expect(sink.diffs[2]?.opened[0]?.subject.pod).toBe('web-200');
    await alerter.close();
  });

  it('logs every detection (warn for high and critical, info below) and alerts only at or above the minimum severity', async () => {
    const sink = recorder();
    const alerter = createAlerter({ notifiers: [sink], minSeverity: 'high', log, maxWaitMs: 60_000 });
    alerter.push(detections());
    expect(alerter.pending).toBe(2);
    await alerter.flush();
    expect(sink.diffs.map((d) => d.opened.map((f) => f.rule))).toEqual([['privileged-pod-created', 'cluster-admin-bound']]);
    const lines = logs.filter((l) => l.msg === 'audit detection');
    expect(lines.map((l) => [l.level, l.fields['rule'], l.fields['severity']])).toEqual([
      ['info', 'pod-exec', 'medium'],
      ['warn', 'privileged-pod-created', 'high'],
      ['warn', 'cluster-admin-bound', 'high'],
    ]);
    expect(lines[0]?.fields).toMatchObject({ subject: 'default/pod/nginx-deployment-7998647bdf-phvq7', title: expect.stringMatching(/^Exec into pod default\/nginx-deployment-7998647bdf-phvq7 .* by minikube-user$/), evidence: { auditID: 'ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6', verb: 'create' } });
    await alerter.close();
  });

  it('close delivers what waits, and a failing sink is logged while the others get the batch', async () => {
    const sink = recorder();
    const broken: Notifier = { name: 'broken', notify: () => Promise.reject(new Error('sink down')), close: () => Promise.resolve() };
    const alerter = createAlerter({ notifiers: [broken, sink], minSeverity: 'medium', log, maxWaitMs: 60_000 });
    alerter.push(synthetic(2, 'medium'));
    expect(sink.diffs).toEqual([]);
    await alerter.close();
    expect(sink.diffs.map((d) => d.opened.length)).toEqual([2]);
    expect(logs.find((l) => l.msg === 'notifier failed')?.fields).toEqual({ sink: 'broken', batch: sink.diffs[0]?.scan.id, error: 'sink down' });
    // after close, detections are still logged but no longer queued
    alerter.push(synthetic(1));
    expect(alerter.pending).toBe(0);
  });
});

describe('alerts to the webhook sink (a real local receiver)', () => {
  let server: Server;
  let url = '';
  let received: Array<{ payload: WebhookPayload; verified: boolean }> = [];
  beforeEach(async () => {
    received = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ payload: JSON.parse(body) as WebhookPayload, verified: req.headers[SIGNATURE_HEADER] === signature(SECRET, String(req.headers[TIMESTAMP_HEADER] ?? ''), body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts one signed delivery per batch with the detections at or above the severity, scan source audit', async () => {
    const hook = webhookNotifier({ url, secret: SECRET, minSeverity: 'high', perMinute: 60, log });
    const alerter = createAlerter({ notifiers: [hook], minSeverity: 'high', log, maxWaitMs: 50 });
    alerter.push(detections());
    await expect.poll(() => received.length, { timeout: 3000, interval: 10 }).toBe(1);
    const [r] = received;
    expect(r?.verified).toBe(true);
    expect(r?.payload.scan).toEqual({ id: expect.stringMatching(/^audit-.*Z-1$/), finishedAt: expect.any(String), source: 'audit' });
    expect(r?.payload.events.map((e) => [e.type, e.finding.rule, e.finding.kind, e.finding.severity])).toEqual([
      ['finding.new', 'privileged-pod-created', 'detection', 'high'],
      ['finding.new', 'cluster-admin-bound', 'detection', 'high'],
    ]);
    expect(r?.payload.events[1]?.finding.subject).toBe('cluster');
    await alerter.close();
    expect(received).toHaveLength(1);
  });
});

const replaySkip = replaySkipReason();
describe.skipIf(replaySkip !== undefined)(`alerts as Kubernetes Events (replayed API server)${replaySkip === undefined ? '' : ` (${replaySkip})`}`, () => {
  it('creates a Warning Event on the Pod of each pod detection, none for cluster ones', async () => {
    const api = await startReplayApi();
    const client = new ApiClient(await resolveKubeconfig({ kubeconfig: api.kubeconfig, env: {} }), 10_000);
    try {
      const alerter = createAlerter({ notifiers: [auditKubeEventsNotifier({ client, minSeverity: 'medium', log, component: 'runwarden.io/audit' })], minSeverity: 'medium', log, maxWaitMs: 60_000 });
      const found = detections();
      alerter.push(found);
      await alerter.close();
      expect(api.writes.map((w) => [w.method, w.path])).toEqual([
        ['POST', '/api/v1/namespaces/default/events'],
        ['POST', '/api/v1/namespaces/default/events'],
      ]);
      const events = api.writes.map((w) => w.body as { reason: string; type: string; involvedObject: unknown; message: string; reportingComponent: string; reportingInstance: string });
      expect(events.map((e) => [e.reportingComponent, e.reportingInstance])).toEqual([
        ['runwarden.io/audit', 'runwarden-audit'],
        ['runwarden.io/audit', 'runwarden-audit'],
      ]);
      expect(events.map((e) => [e.reason, e.type, e.involvedObject])).toEqual([
        ['RunwardenFinding', 'Warning', { apiVersion: 'v1', kind: 'Pod', name: 'nginx-deployment-7998647bdf-phvq7', namespace: 'default' }],
        ['RunwardenFinding', 'Warning', { apiVersion: 'v1', kind: 'Pod', name: (found[1]?.subject.pod ?? ''), namespace: 'default' }],
      ]);
      expect(events[0]?.message).toBe(`runwarden medium finding: ${found[0]?.title ?? ''} [pod-exec on default/Pod/nginx-deployment-7998647bdf-phvq7, fingerprint ${found[0]?.id ?? ''}]`);
    } finally {
      client.close();
      await api.close();
    }
  });
});

describe('alerter repeats', () => {
  const watch = (id: string): Finding => {
    const subject = { type: 'cluster' as const };
    return { id: fingerprint('secret-read', subject, id), rule: 'secret-read', kind: 'detection', severity: 'high', title: 'Secrets of every namespace watched by system:serviceaccount:cert-manager:cert-manager', subject, evidence: { auditID: id, user: 'system:serviceaccount:cert-manager:cert-manager' }, remediation: 'x' };
  };

  it('sends a detection that repeats one sent within the window once, logs every one, and sends it again after the window', async () => {
    const sink = recorder();
    let clock = new Date('2026-11-30T10:00:00Z');
    const alerter = createAlerter({ notifiers: [sink], minSeverity: 'low', log, maxWaitMs: 60_000, now: () => clock });
    alerter.push([watch('a1')]);
    clock = new Date('2026-11-30T10:05:00Z');
    alerter.push([watch('a2')]);
    await alerter.flush();
    expect(sink.diffs.flatMap((d) => d.opened.map((f) => f.evidence['auditID']))).toEqual(['a1']);
    expect(logs.filter((l) => l.msg === 'audit detection')).toHaveLength(2);
    clock = new Date('2026-11-30T11:00:01Z');
    alerter.push([watch('a3')]);
    await alerter.flush();
    expect(sink.diffs.flatMap((d) => d.opened.map((f) => f.evidence['auditID']))).toEqual(['a1', 'a3']);
  });

  it('sends every one with a window of 0', async () => {
    const sink = recorder();
    const alerter = createAlerter({ notifiers: [sink], minSeverity: 'low', log, maxWaitMs: 60_000, repeatWindowMs: 0 });
    alerter.push([watch('b1'), watch('b2')]);
    await alerter.flush();
    expect(sink.diffs.flatMap((d) => d.opened)).toHaveLength(2);
  });
});

describe('alerter and exceptions', () => {
  it('logs a detection accepted by an exception with its reason and never sends it', async () => {
    const sink = recorder();
    const alerter = createAlerter({ notifiers: [sink], minSeverity: 'low', log, maxWaitMs: 60_000 });
    const [accepted, sent] = synthetic(2);
    alerter.push([{ ...accepted!, suppression: { kind: 'config', reason: 'on-call', source: 'config audit.exceptions[0]' } }, sent!]);
    await alerter.flush();
    expect(sink.diffs.flatMap((d) => d.opened.map((f) => f.title))).toEqual([sent!.title]);
    expect(logs.filter((l) => l.msg === 'audit detection').map((l) => [l.level, (l.fields['suppression'] as { reason?: string } | undefined)?.reason])).toEqual([
      ['info', 'on-call'],
      ['warn', undefined],
    ]);
  });
});
