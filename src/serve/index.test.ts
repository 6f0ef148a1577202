/**
 * The service end to end in-process: the real scan pipeline over a copy of the demo snapshot, the embedded
 * SQLite history, the HTTP app on a loopback port, and a local webhook receiver.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InventorySource } from '../inventory/source.js';
import { snapshotSource } from '../inventory/sources/snapshot/index.js';
import { demoSnapshotPath } from '../paths.js';
import { openDatabase } from '../store/db.js';
import { sqliteExecutor } from './history/sqlite.js';
import { HistoryStore } from './history/store.js';
import { startServe, type ServeHandle } from './index.js';
import { silentLogger } from './log.js';
import { ServeMetrics } from './metrics/index.js';
import { webhookNotifier, signature, SIGNATURE_HEADER, TIMESTAMP_HEADER, type WebhookPayload } from './notify/webhook.js';
import { hashToken, parseTokenFile } from './server/auth.js';
import type { OPENAPI } from './server/openapi.js';
import { HTML_CSP } from '../report/html/index.js';
import { FORMATS } from '../report/registry.js';

let dir = '';
let handle: ServeHandle | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-serve-'));
  await cp(demoSnapshotPath(), join(dir, 'cluster'), { recursive: true });
});

afterEach(async () => {
  await handle?.stop(1000);
  handle = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** The real snapshot source, held at a gate until the test opens it (and honouring the abort signal). */
function gated(source: InventorySource): { source: InventorySource; open: () => void; loads: () => number } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let loads = 0;
  return {
    open,
    loads: () => loads,
    source: {
      id: source.id,
      async load(options) {
        loads++;
        await new Promise<void>((resolve, reject) => {
          void gate.then(resolve);
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error), { once: true });
        });
        return source.load(options);
      },
    },
  };
}

async function get(url: string, token?: string): Promise<{ status: number; body: string; json: () => unknown }> {
  const res = await fetch(url, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
  const body = await res.text();
  return { status: res.status, body, json: () => JSON.parse(body) as unknown };
}

async function start(source: InventorySource, extra: Partial<Parameters<typeof startServe>[0]> = {}): Promise<ServeHandle> {
  handle = await startServe({
    scan: { source },
    history: new HistoryStore(sqliteExecutor(openDatabase(join(dir, 'history.db')), { closeDb: true })),
    host: '127.0.0.1',
    port: 0,
    tokens: undefined,
    intervalMs: undefined,
    retainMs: undefined,
    metrics: new ServeMetrics(),
    log: silentLogger,
    ...extra,
  });
  return handle;
}

describe('runwarden serve (library)', () => {
  it('is live at once, ready only after the first scan, and serves metrics and the API from it', async () => {
    const g = gated(snapshotSource({ path: join(dir, 'cluster') }));
    const h = await start(g.source);
    expect((await get(`${h.url}/healthz`)).status).toBe(200);
    const notReady = await get(`${h.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.body).toBe('not ready: no scan has finished yet\n');
    const early = await get(`${h.url}/api/v1/report`);
    expect([early.status, early.json()]).toEqual([503, { error: 'No scan has finished yet in this replica', hint: 'Ask again after the first scan (see /readyz); with --leader-elect, a follower has the leader\'s scan once the leader has published one to the shared --store postgres://….' }]);
    g.open();
    await h.firstScan;
    expect((await get(`${h.url}/readyz`)).status).toBe(200);

    const metrics = (await get(`${h.url}/metrics`)).body;
    expect(metrics).toMatch(/runwarden_findings\{kind="misconfiguration",severity="critical",namespace="[a-z-]+"\} \d+/);
    expect(metrics).toContain('runwarden_scan_duration_seconds_count{reason="startup",outcome="ok"} 1');
    expect(metrics).toMatch(/runwarden_node_reclaimable_bytes\{node="[^"]+"\} [1-9]\d*/);
    expect(metrics).toContain('runwarden_images{verdict="outdated"} 1');

    const summary = (await get(`${h.url}/api/v1/summary`)).json() as { summary: { findings: number; bySeverity: Record<string, number> } };
    const critical = (await get(`${h.url}/api/v1/findings?severity=critical`)).json() as { items: Array<{ severity: string }>; next: string | null };
    expect(critical.items).toHaveLength(summary.summary.bySeverity.critical ?? -1);
    expect(critical.items.every((f) => f.severity === 'critical')).toBe(true);

    // Paging through everything open gives each fingerprint once.
    const seen = new Set<string>();
    let next: string | null = null;
    do {
      const page = (await get(`${h.url}/api/v1/findings?limit=40${next === null ? '' : `&cursor=${next}`}`)).json() as { items: Array<{ fingerprint: string }>; next: string | null };
      for (const f of page.items) seen.add(f.fingerprint);
      next = page.next;
    } while (next !== null);
    expect(seen.size).toBe((h.monitor.latest?.report.findings.filter((f) => f.suppression === undefined).length) ?? -1);

    const workloads = (await get(`${h.url}/api/v1/workloads`)).json() as { items: Array<{ workload: string; score: number }> };
    expect(workloads.items.length).toBeGreaterThan(3);
    expect(workloads.items[0]?.score).toBeGreaterThanOrEqual(workloads.items[1]?.score ?? Infinity);
    const top = workloads.items[0]?.workload ?? '';
    const detail = (await get(`${h.url}/api/v1/workloads/${top.split('/').map(encodeURIComponent).join('/')}`)).json() as { containers: unknown[]; findings: unknown[] };
    expect(detail.findings.length).toBeGreaterThan(0);
    expect(((await get(`${h.url}/api/v1/nodes`)).json() as { items: unknown[] }).items).toHaveLength(h.monitor.latest?.inventory.nodes.length ?? -1);
    expect(((await get(`${h.url}/api/v1/images`)).json() as { items: unknown[] }).items.length).toBeGreaterThan(5);

    // the latest report in every report format, as "runwarden scan --format" writes it
    const latest = h.monitor.latest?.report;
    expect((await get(`${h.url}/api/v1/report`)).json()).toEqual(JSON.parse(JSON.stringify(latest)) as unknown);
    for (const format of FORMATS) {
      const res = await fetch(`${h.url}/api/v1/report?format=${format.id}`);
      expect([format.id, res.status, res.headers.get('content-type'), res.headers.get('content-disposition')]).toEqual([format.id, 200, format.mediaType, `inline; filename="runwarden-report.${format.extension}"`]);
      expect(await res.text()).toBe(latest === undefined ? '' : format.render(latest, { color: false }));
      // the HTML page carries its own policy, which admits its one script by hash
      expect(res.headers.get('content-security-policy')).toBe(format.id === 'html' ? HTML_CSP : null);
      // the same scan and format again: 304 without a body when the client has it (the admission webhook polls so)
      const etag = res.headers.get('etag') ?? '';
      expect(etag).toBe(`"${h.monitor.latest?.scanId ?? ''}-${format.id}"`);
      const again = await fetch(`${h.url}/api/v1/report?format=${format.id}`, { headers: { 'If-None-Match': etag } });
      expect([again.status, await again.text(), again.headers.get('etag')]).toEqual([304, '', etag]);
    }
    // HEAD: the headers of the report, and no report rendered for a body that is not sent
    const head = await fetch(`${h.url}/api/v1/report?format=sarif`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([200, FORMATS.find((f) => f.id === 'sarif')?.mediaType, '']);
    const unknownFormat = await get(`${h.url}/api/v1/report?format=pdf`);
    expect(unknownFormat.status).toBe(400);
    expect((unknownFormat.json() as { error: string }).error).toMatch(/^Bad request: invalid "format": /);
  });

  it('answers 400 with one line for a bad query, 404 for an unknown resource and 405 for a write', async () => {
    const h = await start(snapshotSource({ path: join(dir, 'cluster') }));
    await h.firstScan;
    const bad = await get(`${h.url}/api/v1/findings?severity=severe`);
    expect(bad.status).toBe(400);
    expect((bad.json() as { error: string }).error).toMatch(/^Bad request: invalid "severity": /);
    expect(((await get(`${h.url}/api/v1/findings?colour=red`)).json() as { error: string }).error).toBe('Bad request: unknown query parameter "colour"');
    expect(((await get(`${h.url}/api/v1/findings?cursor=zzz`)).json() as { error: string }).error).toMatch(/^Invalid cursor "zzz"/);
    expect((await get(`${h.url}/api/v1/secrets`)).status).toBe(404);
    expect((await fetch(`${h.url}/api/v1/findings`, { method: 'DELETE' })).status).toBe(405);
    const workload = await get(`${h.url}/api/v1/workloads/shop/Deployment/nope`);
    expect(workload.status).toBe(404);
  });

  it('documents every API route in the OpenAPI document', async () => {
    const h = await start(snapshotSource({ path: join(dir, 'cluster') }));
    const doc = (await get(`${h.url}/api/v1/openapi.json`)).json() as typeof OPENAPI;
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['summary', 'findings', 'scans', 'trends', 'time-to-fix', 'workloads', 'workloads/{namespace}/{kind}/{name}', 'nodes', 'images', 'end-of-life', 'report'].map((p) => `/api/v1/${p}`).sort(),
    );
  });

  it('rejects API requests without a valid bearer token; health and metrics stay open', async () => {
    const tokens = parseTokenFile(`${hashToken('reader-token-1')} reader\n`, 'tokens');
    const h = await start(snapshotSource({ path: join(dir, 'cluster') }), { tokens });
    await h.firstScan;
    const missing = await get(`${h.url}/api/v1/findings`);
    expect(missing.status).toBe(401);
    expect((missing.json() as { error: string }).error).toBe('Missing or invalid bearer token');
    expect((await get(`${h.url}/api/v1/findings`, 'wrong')).status).toBe(401);
    expect((await get(`${h.url}/api/v1/findings`, 'reader-token-1')).status).toBe(200);
    expect((await get(`${h.url}/api/v1/report?format=html`)).status).toBe(401);
    expect((await get(`${h.url}/api/v1/report?format=html`, 'reader-token-1')).status).toBe(200);
    expect((await get(`${h.url}/metrics`)).status).toBe(200);
    expect((await get(`${h.url}/readyz`)).status).toBe(200);
  });

  it('rescans on a trigger, stores what was fixed and sends it to the webhook', async () => {
    const secret = Buffer.from('test-secret-for-hmac');
    const payloads: WebhookPayload[] = [];
    let verified = true;
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        verified &&= req.headers[SIGNATURE_HEADER] === signature(secret, String(req.headers[TIMESTAMP_HEADER]), body);
        payloads.push(JSON.parse(body) as WebhookPayload);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const hook = webhookNotifier({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, secret, minSeverity: 'high', perMinute: 60, log: silentLogger });
      const h = await start(snapshotSource({ path: join(dir, 'cluster') }), { notifiers: [hook] });
      await h.firstScan;
      const before = (h.monitor.latest?.report.findings ?? []).filter((f) => f.suppression === undefined && f.subject.namespace === 'payments');
      expect(before.length).toBeGreaterThan(0);
      await rm(join(dir, 'cluster', 'payments.yaml'));
      await h.monitor.trigger('test-change');
      const fixed = (await get(`${h.url}/api/v1/findings?state=fixed&namespace=payments&limit=1000`)).json() as { items: Array<{ fingerprint: string; fixedAt: string }> };
      expect(new Set(fixed.items.map((f) => f.fingerprint))).toEqual(new Set(before.map((f) => f.id)));
      const trends = (await get(`${h.url}/api/v1/trends`)).json() as { items: Array<{ total: number }> };
      expect(trends.items).toHaveLength(2);
      const scans = (await get(`${h.url}/api/v1/scans`)).json() as { items: Array<{ reason: string; fixed: number; opened: number }> };
      expect(scans.items.map((s) => s.reason)).toEqual(['test-change', 'startup']);
      expect(scans.items[0]?.fixed).toBe(fixed.items.length);
      expect((trends.items[0]?.total ?? 0) - (trends.items[1]?.total ?? 0)).toBe((scans.items[0]?.fixed ?? 0) - (scans.items[0]?.opened ?? 0));
      await hook.idle();
      expect(verified).toBe(true);
      const fixedEvents = payloads.flatMap((p) => p.events).filter((e) => e.type === 'finding.fixed');
      expect(fixedEvents.map((e) => e.finding.fingerprint).sort()).toEqual(before.filter((f) => f.severity === 'critical' || f.severity === 'high').map((f) => f.id).sort());
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('coalesces triggers that arrive during a scan into one more scan', async () => {
    const g = gated(snapshotSource({ path: join(dir, 'cluster') }));
    const metrics = new ServeMetrics();
    const h = await start(g.source, { metrics });
    const waits = [h.monitor.trigger('a'), h.monitor.trigger('b'), h.monitor.trigger('c')];
    expect(await metrics.render()).toContain('runwarden_scan_queue_depth 3');
    g.open();
    await Promise.all([h.firstScan, ...waits]);
    expect(g.loads()).toBe(2);
    const scans = (await get(`${h.url}/api/v1/scans`)).json() as { items: Array<{ reason: string }> };
    expect(scans.items.map((s) => s.reason)).toEqual(['a,b,c', 'startup']);
  });

  it('abandons a scan that outlasts the grace period at stop, leaving no partial history', async () => {
    const g = gated(snapshotSource({ path: join(dir, 'cluster') }));
    const h = await start(g.source);
    handle = undefined;
    expect(await h.stop(50)).toBe('abandoned');
    const history = new HistoryStore(sqliteExecutor(openDatabase(join(dir, 'history.db')), { closeDb: true }));
    const scans = await history.scans();
    await history.close();
    expect(scans.map((s) => [s.status, s.error])).toEqual([['failed', 'Scan abandoned at shutdown']]);
  });
});
