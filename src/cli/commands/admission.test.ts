/**
 * `runwarden admission review` and `admission serve` in-process, with the verdicts of a real scan of the
 * bundled demo (its CronJob runs an image with the EICAR test file and an end-of-life Alpine), and the
 * one-line errors for what a user can get wrong.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli, cliContext } from '../../../test/cli.js';
import { clientCertificate, makeCertificates, tlsSkipReason } from '../../../test/tls.js';
import type { AdmissionReviewResponse } from '../../admission/review.js';
import { reportError } from '../run.js';
import { hashToken } from '../../serve/server/auth.js';
import { admissionCommand } from './admission.js';
import { serveCommand } from './serve.js';

let dir = '';
let report = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-admission-cli-'));
  report = join(dir, 'demo.json');
  const scan = await cli(['scan', '--demo', '--format', 'json', '--output', report, '--now', '2026-11-30T07:00:00Z']);
  expect(scan.code).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const nightly = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly-report', namespace: 'batch' },
  spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'report', image: 'ghcr.io/acme/reports:1.2.0' }] } } } } },
};

async function file(name: string, value: unknown, yaml = false): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, yaml ? stringify(value) : JSON.stringify(value));
  return path;
}

describe('runwarden admission review', () => {
  it('denies the demo CronJob for the malware its image carries (a plain manifest, reviewed as a CREATE), exit 1', async () => {
    const r = await cli(['admission', 'review', await file('nightly.yaml', nightly, true), '--report', report]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as AdmissionReviewResponse;
    expect(out.response.allowed).toBe(false);
    expect(out.response.status?.message).toMatch(/^runwarden denied CronJob batch\/nightly-report: \[malware\] malware in image ghcr\.io\/acme\/reports:1\.2\.0: Eicar-Test-Signature in \/tmp\/vendor-sdk\/install\.com/);
    expect(out.response.warnings?.[0]).toMatch(/^runwarden: \[end-of-life\] end of life in image ghcr\.io\/acme\/reports:1\.2\.0: Alpine Linux 3\.11 reached end of life/);
    expect(r.stderr).toBe('runwarden: denied\n');
  });

  it('answers an AdmissionReview from stdin with its uid; --ignore malware and --warn end-of-life admit it with warnings, exit 0', async () => {
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'abc-123', kind: { group: 'batch', version: 'v1', kind: 'CronJob' }, resource: { group: 'batch', version: 'v1', resource: 'cronjobs' }, namespace: 'batch', operation: 'CREATE', object: nightly } };
    const r = await cli(['admission', 'review', '-', '--report', report, '--ignore', 'malware', '--warn', 'end-of-life'], { stdin: JSON.stringify(review) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as AdmissionReviewResponse;
    expect(out.response).toMatchObject({ uid: 'abc-123', allowed: true });
    expect(out.response.warnings?.some((w) => w.includes('[malware]'))).toBe(false);
    expect(r.stderr).toMatch(/^runwarden: allowed with \d+ warning\(s\)\n$/);
  });

  it('denies an image with a critical fixable CVE from the demo scan (storefront web: minimist)', async () => {
    const web = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-x', namespace: 'storefront' }, spec: { containers: [{ name: 'web', image: 'ghcr.io/acme/storefront-web:2.4.1' }] } };
    const r = await cli(['admission', 'review', await file('web.json', web), '--report', report, '--ignore', 'pod-security']);
    const out = JSON.parse(r.stdout) as AdmissionReviewResponse;
    expect(out.response.status?.message).toMatch(/\[vulnerable-package\] \d+ critical vulnerabilit(y|ies) with a fix in image ghcr\.io\/acme\/storefront-web:2\.4\.1: .*CVE-2021-44906/);
  });

  it('without --report, every image is unscanned (a warning), and the checks still decide', async () => {
    const r = await cli(['admission', 'review', await file('nightly2.json', nightly)]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as AdmissionReviewResponse;
    expect(out.response.warnings?.[0]).toBe('runwarden: no scan verdicts are loaded yet; images were not judged (failure mode open)');
    const closed = await cli(['admission', 'review', await file('nightly3.json', nightly), '--failure-mode', 'closed']);
    expect(closed.code).toBe(1);
  });

  it.each([
    [['--deny', 'network-ingress-open'], /^runwarden: error: --deny: rule "network-ingress-open" is not evaluated at admission: it needs the namespace's NetworkPolicies; runwarden scan reports it\.$/m],
    [['--warn', 'pod-securty'], /^runwarden: error: --warn: unknown rule "pod-securty"; did you mean "pod-security"\? Hint: Admission rules: /m],
    [['--deny', 'malware', '--warn', 'malware'], /^runwarden: error: Rule "malware" is given to both --deny and --warn: give each rule one action\.$/m],
    [['--failure-mode', 'half'], /^runwarden: error: Unknown --failure-mode "half": expected one of open, closed\.$/m],
    [['--vuln-severity', 'severe'], /^runwarden: error: Unknown --vuln-severity "severe": expected one of critical, high, medium, low, info, unknown\./m],
  ])('exits 2 with one line for %j', async (flags, message) => {
    const r = await cli(['admission', 'review', await file('p.json', nightly), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 for an unknown rule in the config file, naming the file', async () => {
    const config = await file('config.yaml', { admission: { actions: { 'rbac-wildcard': 'deny' } } }, true);
    const r = await cli(['admission', 'review', await file('p2.json', nightly), '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^runwarden: error: admission\.actions \(config file .*config\.yaml\): rule "rbac-wildcard" is not evaluated at admission: it is about RBAC roles/m);
  });

  it('takes the config file: admission.actions, vulnerabilitySeverity and exceptions', async () => {
    const config = await file('config2.yaml', { admission: { actions: { malware: 'warn', 'end-of-life': 'deny' } }, exceptions: [{ rules: ['end-of-life'], namespace: 'batch', reason: 'replaced next sprint' }] }, true);
    const r = await cli(['admission', 'review', await file('p3.json', nightly), '--report', report, '--config', config]);
    expect(r.code).toBe(0);
  });

  it('shares one settings file with scan: an exception naming unscanned-image is accepted there too, with no issue', async () => {
    const config = await file('shared.yaml', { exceptions: [{ rules: ['unscanned-image', 'end-of-life'], namespace: 'batch', reason: 'vendor image, scanned upstream' }] }, true);
    const scan = await cli(['scan', '--demo', '--format', 'json', '--config', config, '--now', '2026-11-30T07:00:00Z']);
    expect(scan.code).toBe(0);
    expect((JSON.parse(scan.stdout) as { issues: Array<{ code: string }> }).issues.map((i) => i.code)).not.toContain('exception-unknown-rule');
    const manifest = await file('p4.json', { ...nightly, spec: { ...nightly.spec, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'report', image: 'ghcr.io/acme/new:1' }] } } } } } });
    const unscanned = (r: { stdout: string }): boolean => (JSON.parse(r.stdout) as AdmissionReviewResponse).response.warnings?.some((w) => w.includes('[unscanned-image]')) ?? false;
    expect(unscanned(await cli(['admission', 'review', manifest, '--report', report]))).toBe(true);
    expect(unscanned(await cli(['admission', 'review', manifest, '--config', config, '--report', report]))).toBe(false);
  });

  it('reviews every object of a multi-document render (a List flattened): a JSON array of answers, one line each, exit 1 when one is denied', async () => {
    const web = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-x', namespace: 'storefront' }, spec: { containers: [{ name: 'web', image: 'ghcr.io/acme/storefront-web:2.4.1' }] } };
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    const text = [stringify(nightly), stringify({ apiVersion: 'v1', kind: 'List', items: [web, config] }), ''].join('---\n');
    const r = await cli(['admission', 'review', '-', '--report', report, '--ignore', 'pod-security,vulnerable-package'], { stdin: text });
    expect(r.code).toBe(1);
    const answers = JSON.parse(r.stdout) as AdmissionReviewResponse[];
    expect(answers.map((a) => a.response.allowed)).toEqual([false, true, true]);
    expect(r.stderr.split('\n')).toEqual([
      'runwarden: CronJob batch/nightly-report: denied',
      expect.stringMatching(/^runwarden: Pod storefront\/web-x: allowed with \d+ warning\(s\)$/),
      'runwarden: ConfigMap default/c: allowed',
      'runwarden: 3 objects, 1 denied',
      '',
    ]);
    const empty = await cli(['admission', 'review', '-'], { stdin: '# nothing rendered\n' });
    expect([empty.code, empty.stderr]).toEqual([3, expect.stringMatching(/^runwarden: error: "-" holds no object to review/)]);
  });

  it('exits 3 with one line for input that is not a review or an object', async () => {
    const r = await cli(['admission', 'review', await file('x.json', [1, 2])]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/is neither an AdmissionReview nor a Kubernetes object \(no "kind"\)/);
    const v1beta1 = await cli(['admission', 'review', await file('b.json', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} })]);
    expect(v1beta1.code).toBe(3);
    expect(v1beta1.stderr).toMatch(/set admissionReviewVersions: \["v1"\]/);
  });
});

const skip = tlsSkipReason();
describe.skipIf(skip !== undefined)(`runwarden admission serve${skip === undefined ? '' : ` (${skip})`}`, () => {
  it("serves POST /validate over TLS with the demo verdicts to the API server's client certificate (--client-ca), and stops on the signal", async () => {
    const certs = await makeCertificates(dir, { cn: 'runwarden-admission' });
    const clients = await makeCertificates(dir, { prefix: 'api-', caName: 'kube-apiserver-client-ca' });
    const apiserver = await clientCertificate(dir, 'api-', 'kube-apiserver');
    const ctx = cliContext();
    const controller = new AbortController();
    let listening!: (url: string) => void;
    const url = new Promise<string>((resolve) => (listening = resolve));
    const command = admissionCommand(ctx, { signal: controller.signal, onListening: (info) => listening(info.url) });
    command.exitOverride();
    const done = command.parseAsync(['serve', '--report', report, '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--client-ca', clients.caFile, '--host', '127.0.0.1', '--port', '0'], { from: 'user' }).then(
      () => ctx.exitCode,
      (error: unknown) => reportError(error, ctx, false),
    );
    const base = await Promise.race([url, done.then((code) => Promise.reject(new Error(`exited ${code}: ${ctx.stderr.text}`)))]);
    const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1', kind: { group: 'batch', version: 'v1', kind: 'CronJob' }, resource: { group: 'batch', version: 'v1', resource: 'cronjobs' }, namespace: 'batch', operation: 'CREATE', object: nightly } });
    const reply = await new Promise<AdmissionReviewResponse>((resolve, reject) => {
      const req = https.request(`${base}/validate?timeout=10s`, { method: 'POST', ca: certs.ca, ...apiserver, headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text) as AdmissionReviewResponse));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(reply.response).toMatchObject({ uid: 'u-1', allowed: false });
    expect(reply.response.status?.message).toMatch(/\[malware\]/);
    controller.abort();
    expect(await done).toBe(0);
    expect(ctx.stderr.text).toMatch(/^runwarden: admission webhook on https:\/\/127\.0\.0\.1:\d+\/validate \(failure mode open; API server by client certificate; verdicts from .*demo\.json\)$/m);
    expect(ctx.stderr.text).toMatch(/"msg":"verdicts loaded".*"images":19/);
  });

  it("polls serve's /api/v1/report with a token (--report URL): a webhook Deployment of its own answers from serve's scans", async () => {
    // serve --demo with API tokens, as in a cluster
    const token = 'rw-admission-poller-token';
    const tokens = await file('tokens', '');
    await writeFile(tokens, `${hashToken(token)} admission\n`);
    const serveCtx = cliContext();
    const stopServe = new AbortController();
    let serveUrl!: (info: { url: string; firstScan: Promise<void> }) => void;
    const served = new Promise<{ url: string; firstScan: Promise<void> }>((resolve) => (serveUrl = resolve));
    const serving = serveCommand(serveCtx, { signal: stopServe.signal, onListening: (info) => serveUrl(info) }).exitOverride();
    const serveDone = serving.parseAsync(['--demo', '--port', '0', '--token-file', tokens], { from: 'user' }).then(() => serveCtx.exitCode, (error: unknown) => reportError(error, serveCtx, false));
    const { url: api, firstScan } = await Promise.race([served, serveDone.then((code) => Promise.reject(new Error(`serve exited ${code}: ${serveCtx.stderr.text}`)))]);
    await firstScan;
    const certs = await makeCertificates(dir, { cn: 'runwarden-admission', prefix: 'poll-' });
    const ctx = cliContext();
    const stop = new AbortController();
    let listening!: (url: string) => void;
    const webhookUrl = new Promise<string>((resolve) => (listening = resolve));
    const command = admissionCommand(ctx, { signal: stop.signal, onListening: (info) => listening(info.url) });
    command.exitOverride();
    const tokenFile = await file('token', '');
    await writeFile(tokenFile, `${token}\n`);
    const done = command.parseAsync(['serve', '--report', `${api}/api/v1/report?format=json`, '--report-token-file', tokenFile, '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--host', '127.0.0.1', '--port', '0'], { from: 'user' }).then(
      () => ctx.exitCode,
      (error: unknown) => reportError(error, ctx, false),
    );
    const base = await Promise.race([webhookUrl, done.then((code) => Promise.reject(new Error(`exited ${code}: ${ctx.stderr.text}`)))]);
    const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-poll', kind: { group: 'batch', version: 'v1', kind: 'CronJob' }, resource: { group: 'batch', version: 'v1', resource: 'cronjobs' }, namespace: 'batch', operation: 'CREATE', object: nightly } });
    const reply = await new Promise<AdmissionReviewResponse>((resolve, reject) => {
      const req = https.request(`${base}/validate`, { method: 'POST', ca: certs.ca, headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text) as AdmissionReviewResponse));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(reply.response).toMatchObject({ uid: 'u-poll', allowed: false });
    expect(reply.response.status?.message).toMatch(/\[malware\] malware in image ghcr\.io\/acme\/reports:1\.2\.0/);
    stop.abort();
    stopServe.abort();
    expect(await done).toBe(0);
    expect(await serveDone).toBe(0);
    expect(ctx.stderr.text.match(/"msg":"verdicts loaded"/g)).toHaveLength(1);
  });

  it('exits 2 with one line for a token file without a report URL', async () => {
    const r = await cli(['admission', 'serve', '--report', report, '--report-token-file', report, '--tls-cert', report, '--tls-key', report]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^runwarden: error: --report-token-file is used with a report URL: give --report http\(s\):\/\/…\/api\/v1\/report\?format=json, or drop it\.$/m);
  });

  it('exits 2 with one line when the certificate cannot be used', async () => {
    const r = await cli(['admission', 'serve', '--report', report, '--tls-cert', report, '--tls-key', report, '--port', '0']);
    expect(r.code).toBe(2);
    // checked before anything starts: the only line on stderr
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^runwarden: error: --tls-cert ".*demo\.json" with --tls-key ".*demo\.json" is not a usable certificate and key: /)]);
    const missing = await cli(['admission', 'serve', '--report', report, '--tls-cert', join(dir, 'nope.crt'), '--tls-key', join(dir, 'nope.key'), '--port', '0']);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/^runwarden: error: Cannot read --tls-cert ".*nope\.crt": ENOENT/)]);
    const certs = await makeCertificates(dir, { prefix: 'bad-ca-' });
    const notCa = await cli(['admission', 'serve', '--report', report, '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--client-ca', report, '--port', '0']);
    expect([notCa.code, notCa.stderr.trim().split('\n')]).toEqual([2, [expect.stringMatching(/^runwarden: error: --client-ca ".*demo\.json" holds no PEM certificate \(no "-----BEGIN CERTIFICATE-----" line\)\. Hint: Give the CA certificate in PEM/)]]);
  });

  it('exits with one line naming the port when it is taken', async () => {
    const certs = await makeCertificates(dir, { prefix: 'port-' });
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const r = await cli(['admission', 'serve', '--report', report, '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--host', '127.0.0.1', '--port', String(port)]);
      expect(r.code).toBe(3);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('runwarden: error:'))).toEqual([`runwarden: error: Cannot listen on 127.0.0.1:${port}: the port is in use. Hint: Pick another --port, or stop what holds it.`]);
    } finally {
      holder.close();
    }
  });

  it('exits 2 naming the missing flag', async () => {
    const r = await cli(['admission', 'serve', '--report', report]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '--tls-cert <file>' not specified/);
  });
});
