/**
 * The audit webhook receiver over real TLS (a CA, a server certificate and a client certificate made by
 * openssl), called as the API server's webhook backend calls it: POST /audit with an audit.k8s.io/v1
 * EventList of the upstream Falco traces (testdata/upstream/falco-k8s-audit), with a bearer token or a client
 * certificate from its --audit-webhook-config-file.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TRACES_DIR } from '../../test/audit.js';
import { clientCertificate, makeCertificates, tlsSkipReason, type Certificates } from '../../test/tls.js';
import type { Finding } from '../core/finding.js';
import type { LogLevel } from '../serve/log.js';
import { hashToken, parseTokenFile } from '../serve/server/auth.js';
import { Detector } from './detect.js';
import { boundedLogger } from '../serve/log.js';
import { AuditMetrics, MAX_BATCH_BYTES, startAuditReceiver, type RunningReceiver } from './server.js';

const skip = tlsSkipReason();
const TOKEN = 'rw-audit-apiserver-token-8c1f2a';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

interface Call {
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Send the body in chunks without a Content-Length (chunked transfer encoding). */
  chunked?: boolean;
}

function call(url: string, c: Call): Promise<Reply> {
  const body = c.body ?? '';
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...c.headers };
  if (c.chunked !== true) headers['Content-Length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: c.method ?? 'POST', ca: c.ca, cert: c.cert, key: c.key, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    if (c.chunked === true) {
      const data = Buffer.from(body);
      for (let i = 0; i < data.length; i += 1024 * 1024) req.write(data.subarray(i, i + 1024 * 1024));
      req.end();
    } else req.end(body);
  });
}

/** The events of an upstream trace file, as the JSON the API server wrote. */
function trace(file: string): Array<Record<string, unknown>> {
  return readFileSync(join(TRACES_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function eventList(items: unknown[]): string {
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
}

describe.skipIf(skip !== undefined)(`audit webhook receiver over TLS${skip === undefined ? '' : ` (${skip})`}`, () => {
  let dir = '';
  let certs: Certificates;
  let logs: Array<{ level: LogLevel; msg: string; fields: Record<string, unknown> }> = [];
  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => void logs.push({ level, msg, fields });
  let running: RunningReceiver | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-audit-server-'));
    certs = await makeCertificates(dir, { cn: 'runwarden-audit.runwarden.svc' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    logs = [];
  });

  async function start(options: { tokens?: boolean; clientCa?: Buffer } = {}): Promise<{ url: string; detections: Finding[][]; metrics: AuditMetrics }> {
    const detections: Finding[][] = [];
    const metrics = new AuditMetrics();
    running = await startAuditReceiver({
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
      clientCa: options.clientCa,
      deps: { detector: new Detector({}), onDetections: (d) => void detections.push(d), tokens: options.tokens === false ? undefined : parseTokenFile(`${hashToken(TOKEN)} kube-apiserver\n`, 'tokens'), metrics, log },
      pollMs: 60_000,
    });
    return { url: running.url, detections, metrics };
  }
  const bearer = { Authorization: `Bearer ${TOKEN}` };

  it('accepts an EventList of upstream traces: 200 with the counts, the detections handed over, the metrics counted', async () => {
    const { url, detections, metrics } = await start();
    const items = [...trace('exec_pod.json'), ...trace('create_nginx_pod_privileged.json'), ...trace('create_nginx_pod_unprivileged.json'), ...trace('attach_cluster_admin_role.json')];
    const r = await call(`${url}/audit`, { ca: certs.ca, body: eventList(items), headers: bearer });
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { events: 4, invalid: 0 }]);
    await expect.poll(() => detections.length).toBe(1);
    expect(detections[0]?.map((d) => [d.rule, d.kind, d.evidence['auditID']])).toEqual([
      ['pod-exec', 'detection', 'ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6'],
      ['privileged-pod-created', 'detection', items[1]?.['auditID']],
      ['cluster-admin-bound', 'detection', items[3]?.['auditID']],
    ]);
    const text = await metrics.render();
    expect(text).toContain('runwarden_audit_events_total{outcome="evaluated"} 4');
    expect(text).toContain('runwarden_audit_events_total{outcome="invalid"} 0');
    expect(text).toContain('runwarden_audit_batches_total{outcome="accepted"} 1');
    expect(text).toContain('runwarden_audit_detections_total{rule="pod-exec",severity="medium"} 1');
    // /metrics on the receiver serves the same registry
    const scraped = await call(`${url}/metrics`, { ca: certs.ca, method: 'GET' });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('runwarden_audit_detections_total{rule="cluster-admin-bound",severity="high"} 1');
  });

  it('reports a request once across batches: an exec at ResponseStarted then ResponseComplete, and a batch sent again', async () => {
    const { url, detections, metrics } = await start();
    const [exec] = trace('exec_pod.json');
    const received = { ...exec, stage: 'RequestReceived', responseStatus: undefined };
    const first = eventList([received, exec]);
    expect((await call(`${url}/audit`, { ca: certs.ca, body: first, headers: bearer })).status).toBe(200);
    expect((await call(`${url}/audit`, { ca: certs.ca, body: eventList([{ ...exec, stage: 'ResponseComplete' }]), headers: bearer })).status).toBe(200);
    // the API server retries a batch it got no 2xx for: the same events again
    expect((await call(`${url}/audit`, { ca: certs.ca, body: first, headers: bearer })).status).toBe(200);
    await expect.poll(async () => (await metrics.render()).includes('runwarden_audit_batches_total{outcome="accepted"} 3')).toBe(true);
    expect(detections.flat().map((d) => d.rule)).toEqual(['pod-exec']);
    const text = await metrics.render();
    expect(text).toContain('runwarden_audit_events_total{outcome="skipped"} 2');
    expect(text).toContain('runwarden_audit_events_total{outcome="evaluated"} 3');
    expect(text).toContain('runwarden_audit_detections_total{rule="pod-exec",severity="medium"} 1');
  });

  it('accepts a single Event and a JSON array of events as well as an EventList', async () => {
    const { url, detections } = await start();
    const [exec] = trace('exec_pod.json');
    const [attach] = trace('attach_pod.json');
    expect(await call(`${url}/audit`, { ca: certs.ca, body: JSON.stringify(exec), headers: bearer })).toMatchObject({ status: 200, body: '{"events":1,"invalid":0}' });
    expect(await call(`${url}/audit`, { ca: certs.ca, body: JSON.stringify([attach]), headers: bearer })).toMatchObject({ status: 200, body: '{"events":1,"invalid":0}' });
    await expect.poll(() => detections.flat().map((d) => d.rule)).toEqual(['pod-exec', 'pod-exec']);
    expect(detections.flat().map((d) => d.evidence['action'])).toEqual(['exec', 'attach']);
  });

  it('answers 200 to a batch with invalid events, evaluates the valid ones, and logs the invalid ones bounded', async () => {
    const { url, detections, metrics } = await start();
    const invalid = Array.from({ length: 45 }, (_, i) => ({ kind: 'Event', auditID: `bad-${i}`, user: { username: 'x' } }));
    const r = await call(`${url}/audit`, { ca: certs.ca, body: eventList([...invalid, ...trace('exec_pod.json'), 'not an event']), headers: bearer });
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { events: 1, invalid: 46 }]);
    await expect.poll(() => detections.flat().map((d) => d.rule)).toEqual(['pod-exec']);
    const skipped = logs.filter((l) => l.msg === 'audit event skipped');
    // read.ts reports the first 20 one by one, then one line with the count of the rest
    expect(skipped).toHaveLength(21);
    expect(skipped[0]?.fields).toMatchObject({ batch: 1, code: 'audit-event-invalid', error: expect.stringMatching(/^batch 1:1 items\[0\]: not a Kubernetes audit event \(verb: /) });
    expect(skipped[20]?.fields['error']).toBe('batch 1: 26 more records were not audit events and were skipped');
    expect(await metrics.render()).toContain('runwarden_audit_events_total{outcome="invalid"} 46');
  });

  it('refuses what is not a batch with one line: not JSON 400, empty 400, wrong type 415, GET 405, unknown path 404; probes answer 200', async () => {
    const { url, detections, metrics } = await start();
    const notJson = await call(`${url}/audit`, { ca: certs.ca, body: '{"kind":"EventList","items":[', headers: bearer });
    expect(notJson.status).toBe(400);
    const error = (JSON.parse(notJson.body) as { error: string }).error;
    expect(error).toMatch(/^batch 1: neither JSON lines nor one JSON document \(.+\); nothing read$/);
    expect(error).not.toContain('\n');
    expect(await call(`${url}/audit`, { ca: certs.ca, body: 'hello', headers: bearer })).toMatchObject({ status: 400 });
    expect(await call(`${url}/audit`, { ca: certs.ca, body: ' \n', headers: bearer })).toMatchObject({ status: 400, body: expect.stringContaining('"error":"batch 3: empty body"') });
    expect(await call(`${url}/audit`, { ca: certs.ca, body: eventList([]), headers: { ...bearer, 'Content-Type': 'text/plain' } })).toMatchObject({ status: 415 });
    const get = await call(`${url}/audit`, { ca: certs.ca, method: 'GET', headers: bearer });
    expect([get.status, get.headers['allow']]).toEqual([405, 'POST']);
    expect(await call(`${url}/events`, { ca: certs.ca, body: eventList([]), headers: bearer })).toMatchObject({ status: 404, body: expect.stringContaining('/audit') });
    expect(await call(`${url}/healthz`, { ca: certs.ca, method: 'GET' })).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await call(`${url}/readyz`, { ca: certs.ca, method: 'GET' })).toMatchObject({ status: 200, body: 'ok\n' });
    // an empty EventList is a batch (200), not an error
    expect(await call(`${url}/audit`, { ca: certs.ca, body: eventList([]), headers: bearer })).toMatchObject({ status: 200, body: '{"events":0,"invalid":0}' });
    expect(detections).toEqual([]);
    const text = await metrics.render();
    expect(text).toContain('runwarden_audit_batches_total{outcome="invalid"} 4');
    expect(text).toContain('runwarden_audit_batches_total{outcome="accepted"} 1');
  });

  it('refuses a batch over 32 MiB with 413, declared or streamed, and keeps serving', async () => {
    const { url, metrics } = await start();
    const huge = eventList([{ ...trace('exec_pod.json')[0], padding: 'x'.repeat(MAX_BATCH_BYTES) }]);
    expect((await call(`${url}/audit`, { ca: certs.ca, body: huge, headers: bearer })).status).toBe(413);
    const streamed = await call(`${url}/audit`, { ca: certs.ca, body: huge, headers: bearer, chunked: true });
    expect([streamed.status, streamed.body]).toEqual([413, expect.stringContaining('Lower the API server')]);
    expect((await call(`${url}/audit`, { ca: certs.ca, body: eventList(trace('exec_pod.json')), headers: bearer })).status).toBe(200);
    expect(await metrics.render()).toContain('runwarden_audit_batches_total{outcome="too-large"} 2');
  });

  it('refuses a missing or wrong bearer token with 401 and evaluates nothing', async () => {
    const { url, detections, metrics } = await start();
    const body = eventList(trace('exec_pod.json'));
    const none = await call(`${url}/audit`, { ca: certs.ca, body });
    expect([none.status, JSON.parse(none.body), none.headers['www-authenticate']]).toEqual([401, { error: 'Unauthenticated: a bearer token is required' }, 'Bearer realm="runwarden-audit"']);
    const wrong = await call(`${url}/audit`, { ca: certs.ca, body, headers: { Authorization: `Bearer ${TOKEN}x` } });
    expect([wrong.status, JSON.parse(wrong.body)]).toEqual([401, { error: 'Unauthenticated: the bearer token is not accepted' }]);
    // the hash itself is not a token
    expect((await call(`${url}/audit`, { ca: certs.ca, body, headers: { Authorization: `Bearer ${hashToken(TOKEN)}` } })).status).toBe(401);
    expect(detections).toEqual([]);
    expect(await metrics.render()).toContain('runwarden_audit_batches_total{outcome="unauthenticated"} 3');
    expect(logs.filter((l) => l.msg === 'audit request refused: not authenticated').map((l) => l.fields['reason'])).toEqual(['a bearer token is required', 'the bearer token is not accepted', 'the bearer token is not accepted']);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
  });

  it('with a client CA: refuses no certificate, one of another CA and a server-only one; accepts the API server\'s; probes need none', async () => {
    const clientDir = await mkdtemp(join(dir, 'clients-'));
    const clients = await makeCertificates(clientDir, { prefix: 'api-', caName: 'kube-apiserver-client-ca' });
    const apiserver = await clientCertificate(clientDir, 'api-', 'kube-apiserver-audit');
    const stranger = await makeCertificates(clientDir, { prefix: 'x-', caName: 'someone-else' });
    const strangerClient = await clientCertificate(clientDir, 'x-', 'kube-apiserver-audit');
    const { url, detections } = await start({ tokens: false, clientCa: clients.ca });
    const body = eventList(trace('exec_pod.json'));
    expect(await call(`${url}/audit`, { ca: certs.ca, body })).toMatchObject({ status: 401, body: expect.stringContaining('a client certificate signed by --client-ca is required (none presented)') });
    expect(await call(`${url}/audit`, { ca: certs.ca, body, ...strangerClient })).toMatchObject({ status: 401, body: expect.stringContaining('(UNABLE_TO_VERIFY_LEAF_SIGNATURE)') });
    // signed by the right CA but for serverAuth only
    expect(await call(`${url}/audit`, { ca: certs.ca, body, cert: clients.cert, key: clients.key })).toMatchObject({ status: 401, body: expect.stringContaining('(INVALID_PURPOSE)') });
    expect(await call(`${url}/healthz`, { ca: certs.ca, method: 'GET' })).toMatchObject({ status: 200 });
    expect(detections).toEqual([]);
    expect(await call(`${url}/audit`, { ca: certs.ca, body, ...apiserver })).toMatchObject({ status: 200, body: '{"events":1,"invalid":0}' });
    await expect.poll(() => detections.flat().map((d) => d.rule)).toEqual(['pod-exec']);
    expect(stranger.caFile).not.toBe(clients.caFile);
  });

  it('with a client CA and tokens: needs both', async () => {
    const clientDir = await mkdtemp(join(dir, 'both-'));
    const clients = await makeCertificates(clientDir, { prefix: 'api-' });
    const apiserver = await clientCertificate(clientDir, 'api-', 'kube-apiserver-audit');
    const { url } = await start({ clientCa: clients.ca });
    const body = eventList(trace('exec_pod.json'));
    expect(await call(`${url}/audit`, { ca: certs.ca, body, headers: bearer })).toMatchObject({ status: 401, body: expect.stringContaining('client certificate') });
    expect(await call(`${url}/audit`, { ca: certs.ca, body, ...apiserver })).toMatchObject({ status: 401, body: expect.stringContaining('bearer token is required') });
    expect(await call(`${url}/audit`, { ca: certs.ca, body, headers: bearer, ...apiserver })).toMatchObject({ status: 200 });
  });

  it('reloads a renewed serving certificate without a restart, and keeps asking for client certificates', async () => {
    const renewDir = await mkdtemp(join(dir, 'renew-'));
    const first = await makeCertificates(renewDir, { prefix: 'a-' });
    const clients = await makeCertificates(renewDir, { prefix: 'api-', caName: 'kube-apiserver-client-ca' });
    const apiserver = await clientCertificate(renewDir, 'api-', 'kube-apiserver-audit');
    const tls = { certFile: join(renewDir, 'tls.crt'), keyFile: join(renewDir, 'tls.key') };
    await writeFile(tls.certFile, first.cert);
    await writeFile(tls.keyFile, first.key);
    running = await startAuditReceiver({ host: '127.0.0.1', port: 0, tls, clientCa: clients.ca, deps: { detector: new Detector({}), onDetections: () => undefined, tokens: undefined, metrics: new AuditMetrics(), log }, pollMs: 50 });
    const url = running.url;
    const body = eventList(trace('exec_pod.json'));
    expect((await call(`${url}/audit`, { ca: first.ca, body, ...apiserver })).status).toBe(200);
    const second = await makeCertificates(renewDir, { prefix: 'b-', caName: 'renewed-ca' });
    await writeFile(tls.keyFile, second.key);
    await writeFile(tls.certFile, second.cert);
    await expect.poll(async () => (await call(`${url}/healthz`, { ca: second.ca, method: 'GET' }).catch(() => ({ status: 0 }))).status, { timeout: 5000, interval: 50 }).toBe(200);
    await expect(call(`${url}/healthz`, { ca: first.ca, method: 'GET' })).rejects.toThrow();
    // the renewed context still verifies client certificates against --client-ca
    expect((await call(`${url}/audit`, { ca: second.ca, body })).status).toBe(401);
    expect((await call(`${url}/audit`, { ca: second.ca, body, ...apiserver })).status).toBe(200);
    // a certificate that does not belong to the key is refused, and the loaded one stays
    await writeFile(tls.certFile, first.cert);
    expect(await running.reloadTls()).toBe(false);
    expect((await call(`${url}/healthz`, { ca: second.ca, method: 'GET' })).status).toBe(200);
    expect(logs.some((l) => l.msg === 'TLS certificate not reloaded; keeping the previous one')).toBe(true);
  });
});

describe('boundedLogger', () => {
  it('passes at most N lines a minute and logs the count of the dropped ones with the next minute\'s first line', () => {
    const lines: string[] = [];
    let t = 0;
    const log = boundedLogger((level, msg, fields) => lines.push(`${level} ${msg}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}`), 3, () => t);
    for (let i = 0; i < 5; i++) log('warn', `line ${i}`);
    t = 59_999;
    log('warn', 'still the first minute');
    t = 60_000;
    log('warn', 'next minute');
    expect(lines).toEqual(['warn line 0', 'warn line 1', 'warn line 2', 'warn log lines suppressed {"suppressed":3,"perMinute":3}', 'warn next minute']);
  });
});
