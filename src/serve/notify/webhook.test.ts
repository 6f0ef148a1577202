/** The webhook sink against a real local HTTP server that verifies signatures and answers as scripted. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint, type Finding } from '../../core/finding.js';
import type { Severity } from '../../core/severity.js';
import type { ScanDiff, StoredFinding } from '../history/store.js';
import { silentLogger } from '../log.js';
import { ServeMetrics } from '../metrics/index.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, webhookNotifier, type WebhookPayload } from './webhook.js';

const SECRET = Buffer.from('whsec-test-0123456789abcdef');

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  payload: WebhookPayload;
  verified: boolean;
}

let server: Server;
let url = '';
let received: Received[] = [];
let script: number[] = [];

beforeEach(async () => {
  received = [];
  script = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers[TIMESTAMP_HEADER] ?? '');
      const verified = req.headers[SIGNATURE_HEADER] === signature(SECRET, ts, body);
      received.push({ headers: req.headers, body, payload: JSON.parse(body) as WebhookPayload, verified });
      const status = script.shift() ?? 204;
      res.writeHead(status, status === 503 ? { 'Retry-After': '0' } : {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function finding(rule: string, severity: Severity, kind: Finding['kind'] = 'misconfiguration'): Finding {
  const subject = { type: 'workload' as const, namespace: 'shop', workload: { kind: 'Deployment', name: 'web' } };
  return { id: fingerprint(rule, subject), rule, kind, severity, title: rule, subject, evidence: { why: rule }, remediation: 'fix' };
}

function stored(f: Finding): StoredFinding {
  return { fingerprint: f.id, rule: f.rule, kind: f.kind, severity: f.severity, title: f.title, namespace: 'shop', workload: 'shop/Deployment/web', subjectPath: 'shop/Deployment/web', firstSeen: '2026-11-01T00:00:00.000Z', openedAt: '2026-11-01T00:00:00.000Z', closedAt: '2026-11-02T00:00:00.000Z', finding: f };
}

function diff(opened: Finding[], fixed: Finding[] = [], id = 'scan-1'): ScanDiff {
  return { scan: { id, startedAt: '2026-11-02T00:00:00.000Z', finishedAt: '2026-11-02T00:00:01.000Z', reason: 'interval', source: 'test-cluster', status: 'ok', error: null, findings: opened.length, opened: opened.length, fixed: fixed.length, summary: null }, opened, fixed: fixed.map(stored) };
}


describe('webhook notifier', () => {
  it('posts new findings at or above the severity, fixed ones and end-of-life containers, signed with HMAC-SHA256', async () => {
    const metrics = new ServeMetrics();
    const hook = webhookNotifier({ url, secret: SECRET, minSeverity: 'high', perMinute: 60, metrics, log: silentLogger });
    await hook.notify(diff([finding('privileged', 'critical'), finding('run-as-root', 'medium'), finding('eol-runtime', 'low', 'end-of-life')], [finding('host-path', 'high')]));
    await hook.idle();
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r?.verified).toBe(true);
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.payload.scan).toEqual({ id: 'scan-1', finishedAt: '2026-11-02T00:00:01.000Z', source: 'test-cluster' });
    expect(r?.payload.events.map((e) => [e.type, e.finding.rule])).toEqual([
      ['finding.new', 'privileged'],
      ['container.end-of-life', 'eol-runtime'],
      ['finding.fixed', 'host-path'],
    ]);
    expect(r?.payload.events[0]?.finding).toMatchObject({ severity: 'critical', subject: 'shop/Deployment/web', namespace: 'shop', remediation: 'fix' });
    expect(await metrics.render()).toContain('runwarden_notifications_total{sink="webhook",outcome="delivered"} 1');
    await hook.close();
  });

  it('retries after a 500 with the same delivery id and a fresh signature', async () => {
    script = [500, 503];
    const hook = webhookNotifier({ url, secret: SECRET, minSeverity: 'low', perMinute: 60, baseDelayMs: 20, log: silentLogger });
    await hook.notify(diff([finding('privileged', 'high')]));
    await hook.idle();
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.payload.id)).size).toBe(1);
    expect(received.every((r) => r.verified)).toBe(true);
    await hook.close();
  });

  it('gives up after the attempts on 5xx and does not retry a 400', async () => {
    const metrics = new ServeMetrics();
    script = [500, 500, 500, 400];
    const hook = webhookNotifier({ url, secret: SECRET, minSeverity: 'low', perMinute: 60, baseDelayMs: 10, maxAttempts: 3, metrics, log: silentLogger });
    await hook.notify(diff([finding('privileged', 'high')]));
    await hook.idle();
    expect(received).toHaveLength(3);
    await hook.notify(diff([finding('host-path', 'high')], [], 'scan-2'));
    await hook.idle();
    expect(received).toHaveLength(4);
    const text = await metrics.render();
    expect(text).toContain('runwarden_notifications_total{sink="webhook",outcome="failed"} 2');
    expect(text).toContain('runwarden_errors_total{adapter="webhook"} 2');
    await hook.close();
  });

  it('sends an event for one fingerprint once within the dedupe window', async () => {
    const hook = webhookNotifier({ url, secret: SECRET, minSeverity: 'low', perMinute: 60, log: silentLogger });
    const f = finding('privileged', 'high');
    await hook.notify(diff([f]));
    await hook.notify(diff([f], [], 'scan-2'));
    await hook.idle();
    expect(received.flatMap((r) => r.payload.events)).toHaveLength(1);
    await hook.close();
  });

  it('holds deliveries over the rate limit and drops them at close', async () => {
    const metrics = new ServeMetrics();
    const hook = webhookNotifier({ url, secret: SECRET, minSeverity: 'low', perMinute: 2, closeTimeoutMs: 200, metrics, log: silentLogger });
    for (const [i, rule] of ['a', 'b', 'c'].entries()) await hook.notify(diff([finding(rule, 'high')], [], `scan-${i}`));
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toHaveLength(2);
    expect(await metrics.render()).toMatch(/runwarden_notifications_total\{sink="webhook",outcome="rate-limited"\} [1-9]/);
    await hook.close();
    expect(received).toHaveLength(2);
  });

  it('sends unsigned when no secret is given', async () => {
    const hook = webhookNotifier({ url, minSeverity: 'low', perMinute: 60, log: silentLogger });
    await hook.notify(diff([finding('privileged', 'high')]));
    await hook.idle();
    expect(received[0]?.headers[SIGNATURE_HEADER]).toBeUndefined();
    await hook.close();
  });
});
