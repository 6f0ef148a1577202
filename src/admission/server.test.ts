/**
 * The webhook over real TLS (a CA and a server certificate made by openssl, as cert-manager would), called the
 * way the API server calls it: POST /validate?timeout=10s with an AdmissionReview v1, on a kept-alive
 * connection that trusts only the CA.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanReport } from '../core/report.js';
import { reportOf } from '../../test/report.js';
import { clientCertificate, makeCertificates, tlsSkipReason, type Certificates } from '../../test/tls.js';
import type { LogLevel } from '../serve/log.js';
import { DEFAULT_ACTIONS } from './decide.js';
import { watchReportFile, type ReportVerdicts } from './report-file.js';
import type { AdmissionReviewResponse } from './review.js';
import { budgetOf, startWebhook, type DecisionEvent, type FailureMode, type RunningWebhook } from './server.js';

const skip = tlsSkipReason();

interface Reply {
  status: number;
  body: string;
  json?: AdmissionReviewResponse;
}

function post(url: string, ca: Buffer, body: string | Buffer, headers: Record<string, string> = { 'Content-Type': 'application/json' }, method = 'POST', client: { cert?: Buffer; key?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, ...client, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        const json = res.headers['content-type']?.startsWith('application/json') === true && res.statusCode === 200 ? (JSON.parse(text) as AdmissionReviewResponse) : undefined;
        resolve({ status: res.statusCode ?? 0, body: text, ...(json === undefined ? {} : { json }) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function reviewOf(object: unknown, uid = 'e2c9b1f4-0000-4000-8000-000000000001', extra: Record<string, unknown> = {}): string {
  const kind = (object as { kind: string }).kind;
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, kind: { group: '', version: 'v1', kind }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'shop', operation: 'CREATE', userInfo: { username: 'alice' }, object, ...extra },
  });
}

const CLEAN = `sha256:${'c'.repeat(64)}`;
function pod(securityContext: Record<string, unknown>, containers = 1): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `app-${i}-${'x'.repeat(40)}`, image: `ghcr.io/acme/clean:2.0@${CLEAN}`, securityContext })) },
  };
}
const report = (): ScanReport => reportOf({ images: [{ digest: CLEAN, references: ['ghcr.io/acme/clean:2.0'], status: 'scanned', from: 'registry', contributors: ['vulnerabilities', 'lifecycle', 'malware'] }] });

describe.skipIf(skip !== undefined)(`admission webhook over TLS${skip === undefined ? '' : ` (${skip})`}`, () => {
  let dir = '';
  let certs: Certificates;
  const logs: Array<{ level: LogLevel; msg: string; fields: Record<string, unknown> }> = [];
  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => void logs.push({ level, msg, fields });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-admission-'));
    certs = await makeCertificates(dir, { cn: 'runwarden-admission.runwarden.svc' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function start(failureMode: FailureMode, reportFile: string, clientCa?: Buffer): Promise<{ webhook: RunningWebhook; verdicts: ReportVerdicts; events: DecisionEvent[] }> {
    const verdicts = await watchReportFile(reportFile, { log, pollMs: 60_000 });
    const events: DecisionEvent[] = [];
    const webhook = await startWebhook({
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
      deps: { verdicts: () => verdicts.current(), options: () => ({ actions: DEFAULT_ACTIONS, vulnerabilitySeverity: 'critical', now: new Date() }), failureMode, log, onDecision: (e) => void events.push(e) },
      clientCa,
      clientCaFlag: '--admission-client-ca',
      pollMs: 60_000,
    });
    return { webhook, verdicts, events };
  }

  it('denies a privileged pod: 200 with allowed false, the uid echoed, a 403 status naming the rule and the exemption', async () => {
    const file = join(dir, 'report.json');
    await writeFile(file, JSON.stringify(report()));
    const { webhook, verdicts, events } = await start('open', file);
    try {
      const r = await post(`${webhook.url}/validate?timeout=10s`, certs.ca, reviewOf(pod({ privileged: true }), 'uid-deny'));
      expect(r.status).toBe(200);
      expect(r.json?.apiVersion).toBe('admission.k8s.io/v1');
      expect(r.json?.kind).toBe('AdmissionReview');
      expect(r.json?.response).toMatchObject({ uid: 'uid-deny', allowed: false, status: { code: 403, reason: 'Forbidden' } });
      expect(r.json?.response.status?.message).toMatch(/^runwarden denied Pod shop\/web: \[pod-security\] .*privileged.*runwarden\.io\/exempt=pod-security and runwarden\.io\/exempt-reason="<why>"$/);
      // the hardening checks warn, within the API server's limits
      expect(r.json?.response.warnings?.some((w) => w.startsWith('runwarden: [privileged-container]'))).toBe(true);
      expect(events.map((e) => e.outcome)).toEqual(['denied']);
      const line = logs.find((l) => l.msg === 'admission review' && l.fields.uid === 'uid-deny');
      expect(line?.fields).toMatchObject({ operation: 'CREATE', object: 'Pod shop/web', outcome: 'denied', denied: ['pod-security'], user: 'alice', dryRun: false });
    } finally {
      verdicts.stop();
      await webhook.close();
    }
  });

  it('admits a hardened pod of a scanned clean image with no warning, and answers health probes', async () => {
    const file = join(dir, 'report-clean.json');
    await writeFile(file, JSON.stringify(report()));
    const { webhook, verdicts } = await start('closed', file);
    try {
      const hardened = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }, readOnlyRootFilesystem: true };
      const object = pod(hardened) as { spec: Record<string, unknown> };
      object.spec.automountServiceAccountToken = false;
      for (const c of object.spec.containers as Array<Record<string, unknown>>) Object.assign(c, { imagePullPolicy: 'Always', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } });
      const r = await post(`${webhook.url}/validate`, certs.ca, reviewOf(object, 'uid-ok'));
      expect(r.json?.response).toEqual({ uid: 'uid-ok', allowed: true });
      expect(await post(`${webhook.url}/healthz`, certs.ca, '', {}, 'GET')).toMatchObject({ status: 200, body: 'ok\n' });
      expect(await post(`${webhook.url}/readyz`, certs.ca, '', {}, 'GET')).toMatchObject({ status: 200, body: `ok (verdicts of the scan at 2026-11-30T07:00:00.000Z, ${file})\n` });
    } finally {
      verdicts.stop();
      await webhook.close();
    }
  });

  it('answers what is not a review with 4xx and one line: bad JSON, not a review, v1beta1, wrong type, wrong method or path, too large', async () => {
    const file = join(dir, 'report.json');
    await writeFile(file, JSON.stringify(report()));
    const { webhook, verdicts } = await start('open', file);
    try {
      const url = `${webhook.url}/validate`;
      expect(await post(url, certs.ca, '{"apiVersion":')).toMatchObject({ status: 400, body: expect.stringMatching(/"error":"not JSON: /) });
      expect(await post(url, certs.ca, JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }))).toMatchObject({ status: 400, body: expect.stringContaining('not an AdmissionReview: request:') });
      expect(await post(url, certs.ca, JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }))).toMatchObject({ status: 400, body: expect.stringContaining('set admissionReviewVersions: [\\"v1\\"]') });
      expect(await post(url, certs.ca, reviewOf(pod({})), { 'Content-Type': 'text/plain' })).toMatchObject({ status: 415 });
      expect(await post(url, certs.ca, '', {}, 'GET')).toMatchObject({ status: 405 });
      expect(await post(`${webhook.url}/mutate`, certs.ca, reviewOf(pod({})))).toMatchObject({ status: 404, body: expect.stringContaining('path /validate') });
      const huge = reviewOf({ ...(pod({}) as object), padding: 'x'.repeat(9 * 1024 * 1024) });
      expect((await post(url, certs.ca, huge).catch(() => ({ status: 413 }))).status).toBe(413);
    } finally {
      verdicts.stop();
      await webhook.close();
    }
  });

  it("with a client CA: refuses a review without the API server's certificate (none, another CA's, a server-only one), answers with it; probes need none", async () => {
    const file = join(dir, 'report-mtls.json');
    await writeFile(file, JSON.stringify(report()));
    const clientDir = await mkdtemp(join(dir, 'clients-'));
    const clients = await makeCertificates(clientDir, { prefix: 'api-', caName: 'kube-apiserver-client-ca' });
    const apiserver = await clientCertificate(clientDir, 'api-', 'kube-apiserver');
    await makeCertificates(clientDir, { prefix: 'x-', caName: 'someone-else' });
    const stranger = await clientCertificate(clientDir, 'x-', 'kube-apiserver');
    const { webhook, verdicts, events } = await start('open', file, clients.ca);
    try {
      const url = `${webhook.url}/validate`;
      const body = reviewOf(pod({ privileged: true }), 'uid-mtls');
      expect(await post(url, certs.ca, body)).toMatchObject({ status: 401, body: expect.stringContaining('"error":"a client certificate signed by --admission-client-ca is required (none presented)"') });
      expect(await post(url, certs.ca, body, undefined, 'POST', stranger)).toMatchObject({ status: 401, body: expect.stringContaining('(UNABLE_TO_VERIFY_LEAF_SIGNATURE)') });
      // signed by the right CA, but a serving certificate (serverAuth only)
      expect(await post(url, certs.ca, body, undefined, 'POST', { cert: clients.cert, key: clients.key })).toMatchObject({ status: 401, body: expect.stringContaining('(INVALID_PURPOSE)') });
      expect(events).toEqual([]);
      expect(logs.filter((l) => l.msg === 'admission request refused: not authenticated')).toHaveLength(3);
      expect(await post(`${webhook.url}/healthz`, certs.ca, '', {}, 'GET')).toMatchObject({ status: 200 });
      expect(await post(`${webhook.url}/readyz`, certs.ca, '', {}, 'GET')).toMatchObject({ status: 200 });
      const r = await post(url, certs.ca, body, undefined, 'POST', apiserver);
      expect(r.json?.response).toMatchObject({ uid: 'uid-mtls', allowed: false });
      expect(events.map((e) => e.outcome)).toEqual(['denied']);
    } finally {
      verdicts.stop();
      await webhook.close();
    }
  });

  it('fail closed: denies while no verdicts are loaded (not ready), then judges once the report appears', async () => {
    const file = join(dir, 'later.json');
    const { webhook, verdicts, events } = await start('closed', file);
    try {
      expect(await post(`${webhook.url}/readyz`, certs.ca, '', {}, 'GET')).toMatchObject({ status: 503, body: 'not ready: no scan verdicts loaded yet\n' });
      const before = await post(`${webhook.url}/validate`, certs.ca, reviewOf(pod({}), 'uid-closed'));
      expect(before.json?.response).toEqual({ uid: 'uid-closed', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'runwarden could not review Pod shop/web: no scan verdicts are loaded yet, so its images cannot be judged; denied (failure mode closed)' } });
      await writeFile(file, JSON.stringify(report()));
      expect(await verdicts.refresh()).toBe(true);
      const after = await post(`${webhook.url}/validate`, certs.ca, reviewOf(pod({}), 'uid-after'));
      expect(after.json?.response.allowed).toBe(true);
      expect(events.map((e) => e.outcome)).toEqual(['unjudged', 'warned']);
    } finally {
      verdicts.stop();
      await webhook.close();
    }
  });

  it('fail open: admits an object it cannot read, with a warning saying why', async () => {
    const { webhook, verdicts } = await start('open', join(dir, 'missing.json'));
    try {
      const r = await post(`${webhook.url}/validate`, certs.ca, reviewOf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'odd' }, spec: { containers: 'nope' } }, 'uid-odd'));
      expect(r.json?.response.allowed).toBe(true);
      expect(r.json?.response.warnings?.[0]).toMatch(/^runwarden could not review Pod shop\/odd: the Pod does not match its schema at spec\.containers: .*; admitted \(failure mode open\)$/);
      // and images without verdicts are said to be unjudged
      const plain = await post(`${webhook.url}/validate`, certs.ca, reviewOf(pod({}), 'uid-plain'));
      expect(plain.json?.response.warnings?.[0]).toBe('runwarden: no scan verdicts are loaded yet; images were not judged (failure mode open)');
    } finally {
      verdicts.stop();
      await webhook.close();
    }
  });

  it('keeps warnings within the API server limits: at most 10, each at most 256 characters, the rest counted', async () => {
    const file = join(dir, 'report.json');
    await writeFile(file, JSON.stringify(report()));
    const { webhook, verdicts } = await start('open', file);
    try {
      const r = await post(`${webhook.url}/validate`, certs.ca, reviewOf(pod({ allowPrivilegeEscalation: true }, 8), 'uid-many'));
      const warnings = r.json?.response.warnings ?? [];
      expect(warnings).toHaveLength(10);
      for (const w of warnings) expect(w.length).toBeLessThanOrEqual(256);
      expect(warnings[9]).toMatch(/^runwarden: \d+ more warning\(s\) not shown$/);
      expect(warnings.join('').length).toBeLessThanOrEqual(4096);
    } finally {
      verdicts.stop();
      await webhook.close();
    }
  });

  it('reloads a renewed certificate without a restart; a broken pair keeps the old one', async () => {
    const file = join(dir, 'report.json');
    await writeFile(file, JSON.stringify(report()));
    const certDir = await mkdtemp(join(dir, 'renew-'));
    const first = await makeCertificates(certDir, { prefix: 'a-' });
    const verdicts = await watchReportFile(file, { log, pollMs: 60_000 });
    const tls = { certFile: join(certDir, 'tls.crt'), keyFile: join(certDir, 'tls.key') };
    await writeFile(tls.certFile, first.cert);
    await writeFile(tls.keyFile, first.key);
    const webhook = await startWebhook({ host: '127.0.0.1', port: 0, tls, deps: { verdicts: () => verdicts.current(), options: () => ({ actions: DEFAULT_ACTIONS, vulnerabilitySeverity: 'critical', now: new Date() }), failureMode: 'open', log }, pollMs: 50 });
    try {
      expect((await post(`${webhook.url}/healthz`, first.ca, '', {}, 'GET')).status).toBe(200);
      const second = await makeCertificates(certDir, { prefix: 'b-', caName: 'renewed-ca' });
      await writeFile(tls.keyFile, second.key);
      await writeFile(tls.certFile, second.cert);
      // the poll sees the change: clients trusting the new CA connect, the old CA no longer verifies
      await expect.poll(async () => (await post(`${webhook.url}/healthz`, second.ca, '', {}, 'GET').catch(() => ({ status: 0 }))).status, { timeout: 5000, interval: 50 }).toBe(200);
      await expect(post(`${webhook.url}/healthz`, first.ca, '', {}, 'GET')).rejects.toThrow();
      // a certificate that does not belong to the key is refused, and the loaded one stays
      await writeFile(tls.certFile, first.cert);
      expect(await webhook.reloadTls()).toBe(false);
      expect((await post(`${webhook.url}/healthz`, second.ca, '', {}, 'GET')).status).toBe(200);
      expect(logs.some((l) => l.msg === 'TLS certificate not reloaded; keeping the previous one')).toBe(true);
    } finally {
      verdicts.stop();
      await webhook.close();
    }
  });
});

describe('budgetOf', () => {
  it.each([
    ['10s', 10_000],
    ['2.5s', 2500],
    ['500ms', 500],
    ['1m', 60_000],
    [null, 10_000],
    ['soon', 10_000],
  ])('%s → %d ms', (value, ms) => expect(budgetOf(value)).toBe(ms));
});
