/** Kubernetes Events created on a replayed API server (test/k8s-watch.ts records the POSTs). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaySkipReason, startReplayApi, type ReplayApi } from '../../../test/k8s-watch.js';
import { fingerprint, type Finding, type Subject } from '../../core/finding.js';
import type { Severity } from '../../core/severity.js';
import { ApiClient } from '../../inventory/sources/kubernetes/client.js';
import { resolveKubeconfig } from '../../inventory/sources/kubernetes/index.js';
import type { ScanDiff } from '../history/store.js';
import { silentLogger } from '../log.js';
import { ServeMetrics } from '../metrics/index.js';
import { kubeEventsNotifier } from './kube-events.js';

const skipReason = replaySkipReason();
let api: ReplayApi;
let client: ApiClient;

beforeEach(async () => {
  if (skipReason !== undefined) return;
  api = await startReplayApi();
  client = new ApiClient(await resolveKubeconfig({ kubeconfig: api.kubeconfig, env: {} }), 10_000);
});
afterEach(async () => {
  if (skipReason !== undefined) return;
  client.close();
  await api.close();
});

const web: Subject = { type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: 'web' }, container: 'nginx' };
function finding(rule: string, severity: Severity, subject: Subject = web, kind: Finding['kind'] = 'misconfiguration'): Finding {
  return { id: fingerprint(rule, subject), rule, kind, severity, title: `${rule} title`, subject, evidence: {}, remediation: 'fix' };
}
function diff(opened: Finding[], fixed: Finding[] = []): ScanDiff {
  const scan = { id: 's', startedAt: '', finishedAt: '', reason: 'x', source: 't', status: 'ok' as const, error: null, findings: 0, opened: 0, fixed: 0, summary: null };
  return { scan, opened, fixed: fixed.map((f) => ({ fingerprint: f.id, rule: f.rule, kind: f.kind, severity: f.severity, title: f.title, namespace: 'shop', workload: 'shop/Deployment/web', subjectPath: '', firstSeen: '', openedAt: '', closedAt: '', finding: f })) };
}

describe.skipIf(skipReason !== undefined)(`Kubernetes Events (replayed API server)${skipReason === undefined ? '' : ` (${skipReason})`}`, () => {
  it('replayed: creates one Event per workload finding: new at the severity, end-of-life, fixed', async () => {
    const notifier = kubeEventsNotifier({ client, minSeverity: 'high', log: silentLogger, now: () => new Date('2026-11-28T12:00:00Z') });
    const cluster = finding('rbac-wildcard', 'critical', { type: 'cluster' });
    await notifier.notify(diff([finding('privileged-container', 'critical'), finding('run-as-root', 'medium'), finding('eol-runtime', 'low', web, 'end-of-life'), cluster], [finding('host-path', 'high')]));
    await notifier.close();
    expect(api.writes.map((w) => [w.method, w.path])).toEqual([
      ['POST', '/api/v1/namespaces/shop/events'],
      ['POST', '/api/v1/namespaces/shop/events'],
      ['POST', '/api/v1/namespaces/shop/events'],
    ]);
    const events = api.writes.map((w) => w.body as { reason: string; type: string; involvedObject: unknown; message: string; firstTimestamp: string });
    expect(events.map((e) => [e.reason, e.type])).toEqual([
      ['RunwardenFinding', 'Warning'],
      ['RunwardenEndOfLife', 'Warning'],
      ['RunwardenFixed', 'Normal'],
    ]);
    expect(events[0]?.involvedObject).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' });
    expect(events[0]?.message).toBe(`runwarden critical finding: privileged-container title [privileged-container on shop/Deployment/web/container/nginx, fingerprint ${finding('privileged-container', 'critical').id}]`);
    expect(events[0]?.firstTimestamp).toBe('2026-11-28T12:00:00.000Z');
  });

  it('replayed: deduplicates, caps a scan, and counts a refused create without throwing', async () => {
    const metrics = new ServeMetrics();
    const notifier = kubeEventsNotifier({ client, minSeverity: 'low', maxPerScan: 2, metrics, log: silentLogger });
    const many = ['a', 'b', 'c'].map((r) => finding(r, 'high'));
    await notifier.notify(diff(many));
    await notifier.notify(diff(many));
    await notifier.close();
    expect(api.writes).toHaveLength(2);
    api.writeStatus = 403;
    await notifier.notify(diff([finding('d', 'high')]));
    await notifier.close();
    const text = await metrics.render();
    expect(text).toContain('runwarden_notifications_total{sink="kube-event",outcome="delivered"} 2');
    expect(text).toContain('runwarden_notifications_total{sink="kube-event",outcome="rate-limited"} 1');
    expect(text).toContain('runwarden_notifications_total{sink="kube-event",outcome="deduplicated"} 3');
    expect(text).toContain('runwarden_notifications_total{sink="kube-event",outcome="failed"} 1');
  });
});
