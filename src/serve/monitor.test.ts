/** The monitor's failure path and retention, over the real scan pipeline and the embedded history. */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DEMO_FEEDS } from '../cli/commands/scan-setup.js';
import { fingerprint } from '../core/finding.js';
import type { ScanReport } from '../core/report.js';
import { AppError } from '../core/errors.js';
import { loadSnapshot, snapshotSource } from '../inventory/sources/snapshot/index.js';
import { demoSnapshotPath, packageRoot } from '../paths.js';
import { imageDirLocator, type ImageLocator } from '../scan/images/locate.js';
import { importAdvisories } from '../vulndb/import.js';
import { openVulnDb } from '../vulndb/store/index.js';
import { openDatabase } from '../store/db.js';
import { sqliteExecutor } from './history/sqlite.js';
import { HistoryStore } from './history/store.js';
import { ServeMetrics } from './metrics/index.js';
import { Monitor, scanId } from './monitor.js';

function history(): HistoryStore {
  return new HistoryStore(sqliteExecutor(openDatabase(':memory:'), { closeDb: true }));
}

describe('Monitor', () => {
  it('records a failed scan with its error, counts it, and keeps serving the previous one', async () => {
    const store = history();
    const metrics = new ServeMetrics();
    let fail = false;
    const demo = snapshotSource({ path: demoSnapshotPath(), type: 'demo' });
    const monitor = new Monitor({
      scan: { source: { id: 'snapshot', load: (o) => (fail ? Promise.reject(new AppError('input', 'snapshot vanished')) : demo.load(o)) } },
      history: store,
      metrics,
      adapter: 'snapshot',
    });
    await monitor.trigger('first');
    fail = true;
    await monitor.trigger('second');
    expect(monitor.lastError).toBe('snapshot vanished');
    expect(monitor.latest?.report.findings.length).toBeGreaterThan(0);
    expect((await store.scans()).map((s) => [s.reason, s.status, s.error])).toEqual([
      ['second', 'failed', 'snapshot vanished'],
      ['first', 'ok', null],
    ]);
    const text = await metrics.render();
    expect(text).toContain('runwarden_errors_total{adapter="snapshot"} 1');
    expect(text).toContain('runwarden_scan_duration_seconds_count{reason="second",outcome="failed"} 1');
    // Open findings are untouched by a failed scan.
    expect((await store.findings({ limit: 1000 })).items.length).toBe(monitor.latest?.report.findings.filter((f) => f.suppression === undefined).length);
    await store.close();
  });

  it('prunes history older than the retention after a scan', async () => {
    const store = history();
    const now = new Date('2026-11-28T12:00:00Z');
    const old = new Date('2026-08-01T12:00:00Z');
    const subject = { type: 'cluster' as const };
    const gone = { id: fingerprint('x', subject), rule: 'x', kind: 'misconfiguration' as const, severity: 'low' as const, title: 'x', subject, evidence: {}, remediation: '' };
    const report = { source: { type: 'snapshot', location: 'old' }, summary: {}, findings: [gone], issues: [] } as unknown as ScanReport;
    await store.recordScan({ id: scanId(old), startedAt: old, finishedAt: old, reason: 'old', report });
    await store.recordScan({ id: scanId(new Date(old.getTime() + 1000)), startedAt: new Date(old.getTime() + 1000), finishedAt: new Date(old.getTime() + 1000), reason: 'old', report: { ...report, findings: [] } });
    const monitor = new Monitor({ scan: { source: snapshotSource({ path: demoSnapshotPath(), type: 'demo' }) }, history: store, retainMs: 90 * 86_400_000, now: () => now });
    await monitor.trigger('interval');
    expect((await store.scans()).map((s) => s.reason)).toEqual(['interval']);
    expect((await store.findings({ state: 'fixed' })).items).toEqual([]);
    await store.close();
  });

  it('rescans a watched change incrementally, and the history of it equals that of a full rescan', async () => {
    const raw = await loadSnapshot({ path: demoSnapshotPath() });
    const deployments = [...raw.objects.Deployment];
    // An informer-like source: unchanged objects keep their identity.
    const source = { id: 'kubernetes', load: () => Promise.resolve({ ...raw, objects: { ...raw.objects, Deployment: [...deployments] } }) };
    const lines: Array<Record<string, unknown>> = [];
    const run = async (reason: string, store: HistoryStore): Promise<Monitor> => {
      const monitor = new Monitor({ scan: { source }, history: store, log: (_level, message, fields) => lines.push({ message, ...fields }) });
      await monitor.trigger('startup');
      // The Deployment's pod template turns privileged (a MODIFIED event replaces the object).
      const at = deployments.findIndex((d) => d.metadata.namespace === 'storefront');
      const original = deployments[at];
      const copy = structuredClone(original) as unknown as { spec: { template: { spec: { containers: Array<{ securityContext?: unknown }> } } } };
      for (const c of copy.spec.template.spec.containers) c.securityContext = { privileged: true };
      deployments[at] = copy as unknown as (typeof deployments)[number];
      await monitor.trigger(reason);
      if (original !== undefined) deployments[at] = original;
      return monitor;
    };
    const incremental = history();
    await run('pod-modified: storefront/x', incremental);
    expect(lines.filter((l) => l.message === 'scan finished').map((l) => l.mode)).toEqual(['full', 'incremental']);
    const full = history();
    await run('interval', full);
    expect(lines.filter((l) => l.message === 'scan finished').map((l) => l.mode)).toEqual(['full', 'incremental', 'full', 'full']);
    const open = async (store: HistoryStore): Promise<string[]> => (await store.findings({ limit: 1000 })).items.map((f) => `${f.fingerprint} ${JSON.stringify(f.finding)}`).sort();
    expect(await open(incremental)).toEqual(await open(full));
    const [a] = await incremental.scans({ limit: 1 });
    const [b] = await full.scans({ limit: 1 });
    expect(a?.opened).toBeGreaterThan(0);
    expect([a?.opened, a?.fixed, a?.findings, a?.summary]).toEqual([b?.opened, b?.fixed, b?.findings, b?.summary]);
    await incremental.close();
    await full.close();
  });

  it('publishes for followers: the first scan at once, then at most one per interval and always the latest, a deferred one at stop', async () => {
    const store = history();
    const published: string[] = [];
    const demo = snapshotSource({ path: demoSnapshotPath(), type: 'demo' });
    const monitor = new Monitor({ scan: { source: demo }, history: store, publish: { minIntervalMs: 3_600_000 }, log: (_level, msg, fields) => msg === 'scan published for the followers' && published.push(String(fields?.scan)) });
    await monitor.trigger('startup');
    const first = monitor.latest?.scanId ?? '';
    expect((await store.publishedScan())?.scanId).toBe(first);
    // rescans within the interval: stored, not published yet
    await monitor.trigger('pod-modified: a/b');
    await monitor.trigger('pod-modified: c/d');
    expect((await store.scans()).length).toBe(3);
    expect((await store.publishedScan())?.scanId).toBe(first);
    // stopping publishes the latest, once
    await monitor.stop(1000);
    expect((await store.publishedScan())?.scanId).toBe(monitor.latest?.scanId);
    expect(published).toEqual([first, monitor.latest?.scanId]);

    // a short interval: the deferred publication comes by itself, with the latest scan
    const quick = new Monitor({ scan: { source: demo }, history: store, publish: { minIntervalMs: 50 } });
    await quick.trigger('startup');
    await quick.trigger('interval');
    const deadline = Date.now() + 5000;
    while ((await store.publishedScan())?.scanId !== quick.latest?.scanId && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await store.publishedScan())?.scanId).toBe(quick.latest?.scanId);
    await quick.stop(1000);
    await store.close();
  });

  it('tries the images a scan could not read again at the scanner\'s retryAt (an incremental image-retry rescan), and stops once they read', async () => {
    const db = openVulnDb(':memory:');
    for (const feed of DEMO_FEEDS) await importAdvisories(db, join(packageRoot(), 'demo', 'advisories', feed), { workers: 0 });
    const raw = await loadSnapshot({ path: demoSnapshotPath() });
    // an informer-like source (unchanged objects keep their identity), the demo's images behind a registry that answers 503 for one
    const source = { id: 'kubernetes', load: () => Promise.resolve({ ...raw, objects: { ...raw.objects } }) };
    const WEB = 'sha256:00b5974ccd0c722eac4aaa27a0b27d019fcc53b60e2b2f3423916ba016ac5246';
    let down = true;
    const layouts = imageDirLocator(join(packageRoot(), 'demo', 'images'));
    const flaky: ImageLocator = { ...layouts, open: (want, signal) => (down && want.digest === WEB ? Promise.reject(new Error('503 Service Unavailable')) : layouts.open(want, signal)) };
    const store = history();
    let clock = new Date('2026-12-01T10:00:00Z');
    const lines: Array<Record<string, unknown>> = [];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const monitor = new Monitor({ scan: { source, images: { db, sbomDir: join(packageRoot(), 'demo', 'sboms'), locators: [flaky] } }, history: store, now: () => clock, log: (_level, message, fields) => lines.push({ message, ...fields }) });
      const unread = (): number => monitor.latest?.report.issues.filter((i) => i.code === 'image-unresolved').length ?? -1;
      await monitor.trigger('startup');
      expect(unread()).toBe(1);
      // nothing before its time (2 minutes)
      await vi.advanceTimersByTimeAsync(119_000);
      expect(monitor.scansRun).toBe(1);
      down = false;
      clock = new Date(clock.getTime() + 120_000);
      await vi.advanceTimersByTimeAsync(1_000);
      await vi.waitFor(() => expect(monitor.scansRun).toBe(2));
      expect(unread()).toBe(0);
      expect(monitor.latest?.report.findings.some((f) => f.evidence.imageDigest === WEB && f.rule === 'vulnerable-package')).toBe(true);
      const finished = lines.filter((l) => l.message === 'scan finished').map((l) => [l.reason, l.mode, l.namespaces, l.retried]);
      expect(finished).toEqual([
        ['startup', 'full', undefined, undefined],
        ['image-retry: images that could not be read', 'incremental', 1, 1],
      ]);
      // every image read: no further try
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(monitor.scansRun).toBe(2);
      await monitor.stop(1000);
    } finally {
      vi.useRealTimers();
      await store.close();
      db.close();
    }
  });

  it('makes sortable scan ids', () => {
    expect(scanId(new Date('2026-11-28T19:30:00.123Z'))).toMatch(/^20261128T193000Z-[0-9a-f]{6}$/);
  });
});
