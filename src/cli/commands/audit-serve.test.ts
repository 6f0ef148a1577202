/**
 * `runwarden audit serve` in-process over real TLS: batches of the upstream Falco traces POSTed as the API
 * server's webhook backend posts them, alerts to a real local webhook receiver and to a replayed API server's
 * Events, and the one-line refusals, before anything listens, of what a user can get wrong.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACES_DIR } from '../../../test/audit.js';
import { cli, cliContext } from '../../../test/cli.js';
import { replaySkipReason, startReplayApi } from '../../../test/k8s-watch.js';
import { makeCertificates, tlsSkipReason, type Certificates } from '../../../test/tls.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, type WebhookPayload } from '../../serve/notify/webhook.js';
import { AUDIT_RULES } from '../../audit/registry.js';
import { hashToken } from '../../serve/server/auth.js';
import { reportError } from '../run.js';
import { auditCommand } from './audit.js';

const skip = tlsSkipReason();
const TOKEN = 'rw-audit-cli-token-41c7e9';
const SECRET = 'whsec-audit-cli-0123456789';
/** Rules that run without settings (the others need an allow-list or --activity). */
const ON_BY_DEFAULT = AUDIT_RULES.filter((r) => r.enabled === undefined).length;

let dir = '';
let certs: Certificates;
let tokens = '';
let secretFile = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-audit-serve-cli-'));
  tokens = join(dir, 'tokens');
  await writeFile(tokens, `# the API server's webhook kubeconfig token\n${hashToken(TOKEN)} kube-apiserver\n`);
  secretFile = join(dir, 'webhook-secret');
  await writeFile(secretFile, `${SECRET}\n`);
  if (skip === undefined) certs = await makeCertificates(dir, { cn: 'runwarden-audit.runwarden.svc' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function eventList(...files: string[]): string {
  const items = files.flatMap((f) => readFileSync(join(TRACES_DIR, f), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown));
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
}

function post(url: string, body: string, headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: certs.ca, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `audit serve` with a stop signal; resolves with its URL once it listens (or rejects with its stderr). */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; stop: () => Promise<number>; stderr: () => string }> {
  const ctx = cliContext({ env });
  const controller = new AbortController();
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const command = auditCommand(ctx, { signal: controller.signal, onListening: (info) => listening(info.url) });
  command.exitOverride();
  const done = command.parseAsync(['serve', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--host', '127.0.0.1', '--port', '0', ...args], { from: 'user' }).then(
    () => ctx.exitCode,
    (error: unknown) => reportError(error, ctx, false),
  );
  const base = await Promise.race([url, done.then((code) => Promise.reject(new Error(`exited ${code}: ${ctx.stderr.text}`)))]);
  return {
    url: base,
    stop: async () => {
      controller.abort();
      return done;
    },
    stderr: () => ctx.stderr.text,
  };
}

/** A local webhook receiver that verifies the HMAC signature. */
async function hookReceiver(): Promise<{ url: string; received: Array<{ payload: WebhookPayload; verified: boolean }>; close: () => Promise<void> }> {
  const received: Array<{ payload: WebhookPayload; verified: boolean }> = [];
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ payload: JSON.parse(body) as WebhookPayload, verified: req.headers[SIGNATURE_HEADER] === signature(Buffer.from(SECRET), String(req.headers[TIMESTAMP_HEADER] ?? ''), body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/runwarden-secret-path`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe.skipIf(skip !== undefined)(`runwarden audit serve${skip === undefined ? '' : ` (${skip})`}`, () => {
  it('receives batches with a bearer token, alerts the webhook at --min-severity, logs every detection, and stops on the signal', async () => {
    const hook = await hookReceiver();
    try {
      const s = await serve(['--token-file', tokens, '--webhook-url', hook.url, '--webhook-secret-file', secretFile, '--min-severity', 'high']);
      const body = eventList('exec_pod.json', 'create_nginx_pod_privileged.json', 'create_nginx_pod_unprivileged.json', 'attach_cluster_admin_role.json');
      expect(await post(`${s.url}/audit`, body)).toMatchObject({ status: 401 });
      expect(await post(`${s.url}/audit`, body, { Authorization: `Bearer ${TOKEN}` })).toEqual({ status: 200, body: '{"events":4,"invalid":0}' });
      // the same batch again (an API server retry) alerts nothing new
      expect((await post(`${s.url}/audit`, body, { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      const metrics = await post(`${s.url}/metrics`, '', {}, 'GET');
      expect(metrics.body).toContain('runwarden_audit_detections_total{rule="privileged-pod-created",severity="high"} 1');
      expect(metrics.body).toContain('runwarden_audit_batches_total{outcome="accepted"} 2');
      // stopping delivers the batch still waiting for its 2 s
      expect(await s.stop()).toBe(0);
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]?.verified).toBe(true);
      expect(hook.received[0]?.payload.scan.source).toBe('audit');
      expect(hook.received[0]?.payload.events.map((e) => e.finding.rule)).toEqual(['privileged-pod-created', 'cluster-admin-bound']);
      const stderr = s.stderr();
      // the webhook URL's path may hold a secret: only its origin is shown
      expect(stderr).toMatch(new RegExp(String.raw`^runwarden: audit webhook on https://127\.0\.0\.1:\d+/audit \(${ON_BY_DEFAULT} rules; alerts to the log, and at high or above to webhook http://127\.0\.0\.1:\d+; auth: bearer token \(1\)\)$`, 'm'));
      expect(stderr).not.toContain('runwarden-secret-path');
      const detections = stderr.split('\n').filter((l) => l.includes('"msg":"audit detection"')).map((l) => JSON.parse(l) as { level: string; rule: string });
      expect(detections.map((d) => [d.level, d.rule])).toEqual([
        ['info', 'pod-exec'],
        ['warn', 'privileged-pod-created'],
        ['warn', 'cluster-admin-bound'],
      ]);
      expect(stderr).toMatch(/^runwarden: audit webhook stopped$/m);
    } finally {
      await hook.close();
    }
  });

  it('--allow-unauthenticated accepts any caller and says so', async () => {
    const s = await serve(['--allow-unauthenticated', '--disable', 'pod-exec']);
    expect(await post(`${s.url}/audit`, eventList('exec_pod.json'))).toEqual({ status: 200, body: '{"events":1,"invalid":0}' });
    expect(await s.stop()).toBe(0);
    const stderr = s.stderr();
    expect(stderr).toMatch(/"level":"warn","msg":"audit webhook accepts unauthenticated requests \(--allow-unauthenticated\)/);
    expect(stderr).toMatch(new RegExp(String.raw`\(${ON_BY_DEFAULT - 1} rules; alerts to the log only; auth: NONE \(--allow-unauthenticated\)\)$`, 'm'));
    // pod-exec is disabled: no detection
    expect(stderr).not.toContain('"msg":"audit detection"');
  });

  const replaySkip = replaySkipReason();
  it.skipIf(replaySkip !== undefined)(`--kube-events creates an Event on the pod of a detection${replaySkip === undefined ? '' : ` (${replaySkip})`}`, async () => {
    const api = await startReplayApi();
    try {
      const s = await serve(['--token-file', tokens, '--kube-events', '--kubeconfig', api.kubeconfig]);
      expect((await post(`${s.url}/audit`, eventList('exec_pod.json', 'attach_cluster_admin_role.json'), { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      expect(await s.stop()).toBe(0);
      expect(s.stderr()).toMatch(/alerts to the log, and at medium or above to Kubernetes Events; auth: bearer token \(1\)\)$/m);
      expect(api.writes.map((w) => [w.path, (w.body as { involvedObject: unknown }).involvedObject])).toEqual([['/api/v1/namespaces/default/events', { apiVersion: 'v1', kind: 'Pod', name: 'nginx-deployment-7998647bdf-phvq7', namespace: 'default' }]]);
    } finally {
      await api.close();
    }
  });

  it('refuses to start without authentication: exit 2, one line, nothing listens', async () => {
    const r = await cli(['audit', 'serve', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      "runwarden: error: audit serve needs authentication: give --token-file (SHA-256 hashes of the API server's bearer tokens) and/or --client-ca (the CA of its client certificate), or --allow-unauthenticated to accept any caller. Hint: deploy/audit/webhook-kubeconfig.yaml shows both; the API server presents what its --audit-webhook-config-file holds.",
    ]);
  });

  it.each([
    [['--port', '70000'], 'Invalid --port "70000": expected 0–65535, e.g. 8444'],
    [['--min-severity', 'severe'], 'Unknown --min-severity "severe": expected one of critical, high, medium, low, info, unknown.'],
    [['--repeat-window', 'an hour'], 'Invalid --repeat-window "an hour": expected a duration such as 90d, 12h, 30m, 45s or 1h30m'],
    [['--webhook-secret-file', 'SECRET'], '--webhook-secret-file is used with --webhook-url: give the URL to notify.'],
    [['--webhook-url', 'ftp://alerts.example.com/x'], 'Invalid --webhook-url "ftp://alerts.example.com": expected an http(s) URL, e.g. https://alerts.example.com/runwarden'],
    [['--kubeconfig', '/nope'], '--kubeconfig is used with --kube-events: add it, or drop the flag.'],
    [['--in-cluster'], '--in-cluster is used with --kube-events: add it, or drop the flag.'],
    [['--allow-unauthenticated', '--token-file', 'TOKENS'], '--allow-unauthenticated contradicts --token-file: drop one of them.'],
    [['--disable', 'pod-exek'], '--disable: unknown rule "pod-exek"; did you mean "pod-exec"?'],
    [['--token-file', 'SECRET'], 'Invalid token file "SECRET" line 1: expected "sha256:<64 hex digits> [name]", not a clear-text token'],
    [['--client-ca', 'TOKENS'], '--client-ca "TOKENS" holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)'],
    [['--client-ca', 'MISSING'], 'Cannot read --client-ca "MISSING": ENOENT'],
    [['--token-file', 'TOKENS', '--webhook-url', 'http://127.0.0.1:9/x', '--webhook-secret-file', 'MISSING'], 'Cannot read --webhook-secret-file "MISSING": ENOENT'],
  ])('exits 2 with one line naming the flag: %j', async (args, message) => {
    const paths: Record<string, string> = { SECRET: secretFile, TOKENS: tokens, MISSING: join(dir, 'missing') };
    const given = args.map((a) => paths[a] ?? a);
    const r = await cli(['audit', 'serve', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--host', '127.0.0.1', '--port', '0', ...(given.includes('--allow-unauthenticated') || given.includes('--token-file') || given.includes('--client-ca') ? [] : ['--token-file', tokens]), ...given]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const expected = Object.entries(paths).reduce((m, [k, v]) => m.replaceAll(`"${k}"`, `"${v}"`), message);
    expect(lines[0]?.startsWith(`runwarden: error: ${expected}`)).toBe(true);
  });

  it('exits 2 with one line when the certificate cannot be used, and names a missing --tls-cert', async () => {
    const bad = await cli(['audit', 'serve', '--tls-cert', tokens, '--tls-key', tokens, '--token-file', tokens, '--port', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^runwarden: error: --tls-cert ".*tokens" with --tls-key ".*tokens" is not a usable certificate and key: /)]);
    const missing = await cli(['audit', 'serve', '--token-file', tokens]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--tls-cert <file>' not specified/);
  });

  it('exits 3 with one line naming the port when it is taken', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const r = await cli(['audit', 'serve', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--token-file', tokens, '--host', '127.0.0.1', '--port', String(port)]);
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split('\n')).toEqual([`runwarden: error: Cannot listen on 127.0.0.1:${port}: the port is in use. Hint: Pick another --port, or stop what holds it.`]);
    } finally {
      holder.close();
    }
  });
});

describe('runwarden audit serve --help', () => {
  it('lists the flags and every rule', async () => {
    const r = await cli(['audit', 'serve', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--tls-cert', '--token-file', '--client-ca', '--allow-unauthenticated', '--webhook-url', '--min-severity', '--kube-events', '--trust-image', '--disable']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/^Rules:$/m);
    expect(r.stdout).toMatch(/^ {2}pod-exec +medium /m);
  });
});
