/**
 * `runwarden serve` run in-process (the command's own function, stopped through the injected signal as SIGTERM
 * would): the demo, a snapshot with the SQLite and the PostgreSQL history, a cluster watched through a
 * replayed API server, and the one-line errors for what a user can get wrong.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { buildTestImages, skopeoCopy } from '../../../test/images.js';
import { digest, pod } from '../../../test/k8s.js';
import { replaySkipReason, startReplayApi, withVersion } from '../../../test/k8s-watch.js';
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../test/postgres.js';
import { startRegistry } from '../../../test/registry.js';
import { clientCertificate, makeCertificates } from '../../../test/tls.js';
import { demoSnapshotPath, packageRoot } from '../../paths.js';
import { importAdvisories } from '../../vulndb/import.js';
import { openVulnDb } from '../../vulndb/store/index.js';
import { hashToken } from '../../serve/server/auth.js';
import { cli, cliContext, type Sink } from '../../../test/cli.js';
import { serveHttp } from '../../../test/http.js';
import { makeZip } from '../../../test/zip.js';
import { parse as parseYaml } from 'yaml';
import { reportError } from '../run.js';
import { serveCommand } from './serve.js';

interface Running {
  url: string;
  admissionUrl?: string | undefined;
  firstScan: Promise<void>;
  stderr: Sink;
  stop(): Promise<number>;
}

function invoke(args: string[], env: NodeJS.ProcessEnv = {}): { listening: Promise<Running>; done: Promise<number>; stderr: Sink } {
  const ctx = cliContext({ env });
  const stderr = ctx.stderr;
  const controller = new AbortController();
  let resolveListening!: (r: Running) => void;
  const listening = new Promise<Running>((resolve) => {
    resolveListening = resolve;
  });
  const command = serveCommand(ctx, { signal: controller.signal, onListening: (info) => resolveListening({ ...info, stderr, stop: async () => (controller.abort(), done) }) });
  command.exitOverride();
  const done = command.parseAsync(args, { from: 'user' }).then(
    () => ctx.exitCode,
    (error: unknown) => reportError(error, ctx, false),
  );
  return { listening, done, stderr };
}

async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const run = invoke(args, env);
  return Promise.race([run.listening, run.done.then((code) => Promise.reject(new Error(`serve exited ${code}: ${run.stderr.text}`)))]);
}

async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-serve-cli-'));
  await cp(demoSnapshotPath(), join(dir, 'cluster'), { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runwarden serve', () => {
  it('serves the demo with a synthetic history so trends show, and stops cleanly', async () => {
    const s = await serve(['--demo', '--port', '0']);
    await s.firstScan;
    const trends = await getJson<{ items: Array<{ total: number }> }>(`${s.url}/api/v1/trends`);
    expect(trends.items).toHaveLength(15);
    expect(new Set(trends.items.map((t) => t.total)).size).toBeGreaterThan(3);
    const ttf = await getJson<{ items: Array<{ fixed: number }> }>(`${s.url}/api/v1/time-to-fix`);
    expect(ttf.items.reduce((n, r) => n + r.fixed, 0)).toBeGreaterThan(0);
    // End of life and freshness are served as `scan` has them (the demo's layout stands in for the registries)
    const eol = await getJson<{ items: Array<{ rule: string }> }>(`${s.url}/api/v1/findings?rule=vendor-end-of-life`);
    expect(eol.items.map((f) => f.rule)).toEqual(['vendor-end-of-life']);
    // prometheus v2.54.1 (v2.55.1 in the layout) and storefront-web 2.4.1 (2.4.3)
    const outdated = await getJson<{ items: Array<{ rule: string }> }>(`${s.url}/api/v1/findings?rule=newer-tag`);
    expect(outdated.items.map((f) => f.rule)).toEqual(['newer-tag', 'newer-tag']);
    const page = await fetch(`${s.url}/`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<title>runwarden</title>');
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect(await s.stop()).toBe(0);
    expect(s.stderr.text).toContain('runwarden: stopped (clean)');
    const logs = s.stderr.text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['demo history seeded', 'listening', 'scan started', 'scan finished', 'shutting down', 'stopped']));
  });

  it('keeps the history in a SQLite file across restarts and requires the token', async () => {
    const tokens = join(dir, 'tokens');
    await writeFile(tokens, `${hashToken('t0ken-for-tests')} ci\n`);
    const args = ['--snapshot', join(dir, 'cluster'), '--store', join(dir, 'history.db'), '--port', '0', '--token-file', tokens];
    for (let run = 1; run <= 2; run++) {
      const s = await serve(args);
      await s.firstScan;
      expect((await fetch(`${s.url}/api/v1/scans`)).status).toBe(401);
      const scans = await getJson<{ items: unknown[] }>(`${s.url}/api/v1/scans`, 't0ken-for-tests');
      expect(scans.items).toHaveLength(run);
      expect(await s.stop()).toBe(0);
    }
  });

  it.each([
    [['--demo', '--host', '0.0.0.0'], '--host 0.0.0.0 exposes the API beyond this machine: give --token-file with the hashes of the API tokens'],
    [['--demo', '--interval', '5'], 'Invalid --interval "5": expected a duration such as 90d, 12h, 30m, 45s or 1h30m'],
    [['--demo', '--interval', '1s'], 'Invalid --interval "1s": must be at least 10s'],
    [['--demo', '--retain', 'forever'], 'Invalid --retain "forever": expected a duration'],
    [['--demo', '--port', '80000'], 'Invalid --port "80000": expected 0–65535, e.g. 8080'],
    [['--demo', '--store', 'mysql://db/x'], 'Unknown --store "mysql://db/x": expected a SQLite file path or postgres://user@host:5432/db'],
    [['--demo', '--tls-cert', 'x.pem'], '--tls-cert and --tls-key go together'],
    [['--demo', '--notify-severity', 'hgh'], 'Unknown --notify-severity "hgh": expected one of critical, high, medium, low, info, unknown. Did you mean "high"?'],
    [['--demo', '--webhook-secret-file', 'x'], '--webhook-secret-file is used with --webhook-url'],
    [['--demo', '--snapshot', 'x'], '--demo and --snapshot cannot be combined'],
    [['--demo', '--kube-events'], '--kube-events needs a live cluster: drop --demo/--snapshot, or drop --kube-events.'],
    [['--demo', '--token-file', '/nonexistent/tokens'], 'Cannot read --token-file "/nonexistent/tokens"'],
    [['--demo', '--tls-cert', '/nonexistent/tls.crt', '--tls-key', '/nonexistent/tls.key'], 'Cannot read --tls-cert "/nonexistent/tls.crt": ENOENT'],
    [['--demo', '--leader-elect'], '--leader-elect coordinates replicas watching a live cluster: drop --demo/--snapshot, or drop --leader-elect.'],
    [['--leader-election-namespace', 'ops'], '--leader-election-namespace is used with --leader-elect'],
    [['--leader-elect', '--leader-election-renew-deadline', '20s'], '--leader-election-lease-duration (15s) must be longer than --leader-election-renew-deadline (20s)'],
    [['--leader-elect', '--leader-election-name', 'Runwarden_Serve'], 'Invalid --leader-election-name "Runwarden_Serve": must be a DNS-1123 subdomain'],
    [['--demo', '--insecure-registry', 'http://registry.local'], 'Invalid --insecure-registry "http://registry.local": expected host[:port]'],
    [['--demo', '--admission-port', '8443'], '--admission-port needs --admission-tls-cert and --admission-tls-key (or --tls-cert and --tls-key): the API server calls webhooks over HTTPS only.'],
    [['--demo', '--admission-port', '8443', '--admission-tls-cert', 'x.pem'], '--admission-tls-cert and --admission-tls-key go together'],
    [['--demo', '--admission-port', '0', '--admission-tls-cert', '/nonexistent/a.crt', '--admission-tls-key', '/nonexistent/a.key'], 'Cannot read --admission-tls-cert "/nonexistent/a.crt": ENOENT'],
    [['--demo', '--admission-port', 'x'], 'Invalid --admission-port "x": expected 0–65535, e.g. 8443'],
    [['--demo', '--failure-mode', 'closed'], '--failure-mode is an admission setting: add --admission-port to run the webhook, or drop it.'],
  ])('exits 2 with one line for %j', async (args, message) => {
    const run = invoke(args);
    expect(await run.done).toBe(2);
    expect(run.stderr.text).toContain(`runwarden: error: ${message}`);
    expect(run.stderr.text.trim().split('\n')).toHaveLength(1);
  });

  it('exits 3 naming the server when PostgreSQL cannot be reached, without the password', async () => {
    const run = invoke(['--demo', '--port', '0', '--store', `postgresql://rw:hunter2@localhost/x?host=${encodeURIComponent(join(dir, 'no-socket'))}`]);
    expect(await run.done).toBe(3);
    expect(run.stderr.text).toMatch(/^runwarden: error: Cannot open the PostgreSQL history store postgresql:\/\/rw:\*\*\*@localhost\/x/);
    expect(run.stderr.text).not.toContain('hunter2');
  });
});

const pgSkip = postgresSkipReason();
describe.skipIf(pgSkip !== undefined)(`runwarden serve --store postgres://${pgSkip === undefined ? '' : ` (${pgSkip})`}`, () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg.stop();
  });

  it('keeps the history in PostgreSQL across restarts', async () => {
    const url = await pg.createDatabase('serve_cli');
    const args = ['--snapshot', join(dir, 'cluster'), '--store', url, '--port', '0'];
    const first = await serve(args);
    await first.firstScan;
    const open = await getJson<{ items: unknown[] }>(`${first.url}/api/v1/findings?limit=1000`);
    expect(open.items.length).toBeGreaterThan(100);
    expect(await first.stop()).toBe(0);
    await rm(join(dir, 'cluster', 'payments.yaml'));
    const second = await serve(args);
    await second.firstScan;
    const scans = await getJson<{ items: Array<{ fixed: number }> }>(`${second.url}/api/v1/scans`);
    expect(scans.items).toHaveLength(2);
    expect(scans.items[0]?.fixed).toBeGreaterThan(0);
    const fixed = await getJson<{ items: Array<{ namespace: string }> }>(`${second.url}/api/v1/findings?state=fixed&limit=1000`);
    expect(fixed.items.length).toBe(scans.items[0]?.fixed);
    expect(await second.stop()).toBe(0);
  });
});

const replaySkip = replaySkipReason();
describe.skipIf(replaySkip !== undefined)(`runwarden serve on a watched cluster${replaySkip === undefined ? '' : ` (${replaySkip})`}`, () => {
  it('replayed API: scans the watched inventory, creates Events for its findings and rescans when a pod runs a new digest', async () => {
    const api = await startReplayApi();
    try {
      const web = (rv: string, id: string): Record<string, unknown> => withVersion(pod('web-1', { ns: 'shop', node: 'n1', containers: [{ name: 'web', image: 'nginx:1.27', imageID: `docker.io/library/nginx@${digest(id)}` }] }), rv);
      api.setList('/api/v1/pods', [web('100', 'a')], '100');
      const s = await serve(['--kubeconfig', api.kubeconfig, '--port', '0', '--store', join(dir, 'h.db'), '--kube-events', '--notify-severity', 'low']);
      await s.firstScan;
      const eventsBy = Date.now() + 10_000;
      while (api.writes.length === 0 && Date.now() < eventsBy) await new Promise((r) => setTimeout(r, 20));
      expect(api.writes.length).toBeGreaterThan(0);
      expect(api.writes.every((w) => w.path === '/api/v1/namespaces/shop/events')).toBe(true);
      expect((api.writes[0]?.body as { involvedObject: unknown }).involvedObject).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'shop' });
      const before = await getJson<{ summary: { pods: number } }>(`${s.url}/api/v1/summary`);
      expect(before.summary.pods).toBe(1);
      const deadline = Date.now() + 10_000;
      while (api.watchRequests('/api/v1/pods').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      api.push('/api/v1/pods', { type: 'MODIFIED', object: web('101', 'e') });
      let scans: Array<{ reason: string }> = [];
      while (scans.length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        scans = (await getJson<{ items: Array<{ reason: string }> }>(`${s.url}/api/v1/scans`)).items;
      }
      expect(scans[0]?.reason).toBe(`new-digest: shop/web-1 ${digest('e')}`);
      expect(api.listRequests('/api/v1/pods')).toHaveLength(1);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
      expect(await s.stop()).toBe(0);
    } finally {
      await api.close();
    }
  });

  it('replayed API: --leader-elect takes the Lease named by the flags (identity from POD_NAME), scans as the leader and releases it on stop', async () => {
    const api = await startReplayApi();
    try {
      const lease = '/apis/coordination.k8s.io/v1/namespaces/ops/leases/runwarden-serve';
      api.setListStatus(lease, 404, 'leases.coordination.k8s.io "runwarden-serve" not found');
      const s = await serve(['--kubeconfig', api.kubeconfig, '--port', '0', '--store', join(dir, 'h.db'), '--leader-elect'], { POD_NAMESPACE: 'ops', POD_NAME: 'runwarden-5c7d9-x2k4q' });
      await s.firstScan;
      const created = api.writes.find((w) => w.method === 'POST' && w.path === '/apis/coordination.k8s.io/v1/namespaces/ops/leases');
      expect(created?.body).toMatchObject({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'runwarden-serve', namespace: 'ops' }, spec: { leaseDurationSeconds: 15, leaseTransitions: 0 } });
      expect((created?.body as { spec: { holderIdentity: string } }).spec.holderIdentity).toMatch(/^runwarden-5c7d9-x2k4q_[0-9a-f]{8}$/);
      expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/^runwarden_leader 1$/m);
      const scans = await getJson<{ items: Array<{ reason: string }> }>(`${s.url}/api/v1/scans`);
      expect(scans.items.map((i) => i.reason)).toEqual(['startup']);
      expect(await s.stop()).toBe(0);
      expect(s.stderr.text).toContain('"msg":"leading: this replica scans, writes history and notifies"');
      expect(api.writes.at(-1)).toMatchObject({ method: 'PUT', path: '/apis/coordination.k8s.io/v1/namespaces/ops/leases/runwarden-serve', body: { spec: { holderIdentity: null, leaseDurationSeconds: 1 } } });
      expect(s.stderr.text).toContain('"msg":"leader lease released"');
    } finally {
      await api.close();
    }
  });

  it('replayed API: --leader-elect without RBAC on leases exits 3 with one line naming the rule', async () => {
    const api = await startReplayApi();
    try {
      api.setListStatus('/apis/coordination.k8s.io/v1/namespaces/ops/leases/runwarden-serve', 403, 'leases.coordination.k8s.io "runwarden-serve" is forbidden: User "system:serviceaccount:ops:runwarden" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "ops"');
      const run = invoke(['--kubeconfig', api.kubeconfig, '--port', '0', '--store', join(dir, 'h.db'), '--leader-elect', '--leader-election-namespace', 'ops']);
      expect(await run.done).toBe(3);
      const lines = run.stderr.text.split('\n').filter((l) => l.startsWith('runwarden: error'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^runwarden: error: Leader election: forbidden to get Lease "runwarden-serve" in namespace "ops": .*cannot get resource "leases"/);
      expect(run.stderr.text).toContain('get, create and update on leases.coordination.k8s.io');
    } finally {
      await api.close();
    }
  });
});

/** A throwaway CA-less self-signed certificate for 127.0.0.1 (openssl, as the replay API servers make theirs). */
async function selfSigned(at: string, name: string): Promise<{ cert: string; key: string }> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const cert = join(at, `${name}.crt`);
  const key = join(at, `${name}.key`);
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=runwarden-test', '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { cert, key };
}

const opensslSkip = requireComponent('openssl', ['openssl']);
describe.skipIf(opensslSkip !== undefined)(`runwarden serve --tls-cert/--tls-key${opensslSkip === undefined ? '' : ` (${opensslSkip})`}`, () => {
  it('serves HTTPS with the certificate: a real TLS request that trusts it succeeds, plain HTTP does not', async () => {
    const { cert, key } = await selfSigned(dir, 'tls');
    const s = await serve(['--demo', '--port', '0', '--tls-cert', cert, '--tls-key', key]);
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await s.firstScan;
    const https = await import('node:https');
    const { readFile } = await import('node:fs/promises');
    const ca = await readFile(cert);
    const reply = await new Promise<{ status: number; body: string; protocol: string; peer: string }>((resolve, reject) => {
      const req = https.get(`${s.url}/readyz`, { ca, agent: false }, (res) => {
        const socket = res.socket as TLSSocket;
        const protocol = socket.getProtocol() ?? '';
        const peer = String(socket.getPeerCertificate().subject?.CN);
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol, peer }));
      });
      req.on('error', reject);
    });
    expect(reply).toEqual({ status: 200, body: 'ok\n', protocol: expect.stringMatching(/^TLSv1\.[23]$/), peer: 'runwarden-test' });
    // Without trusting the certificate, verification fails (it is the one we gave, not a default).
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    await expect(fetch(s.url.replace('https:', 'http:') + '/healthz').then((r) => r.status)).rejects.toThrow();
    expect(await s.stop()).toBe(0);
  });

  it('runs the admission webhook next to the service (--admission-port), answering from the latest scan', async () => {
    const { cert, key } = await selfSigned(dir, 'webhook');
    // the API stays plain HTTP on loopback; only the webhook has a certificate
    const s = await serve(['--demo', '--port', '0', '--admission-tls-cert', cert, '--admission-tls-key', key, '--admission-port', '0', '--warn', 'malware']);
    expect(s.url).toMatch(/^http:\/\//);
    expect(s.admissionUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await s.firstScan;
    const https = await import('node:https');
    const { readFile } = await import('node:fs/promises');
    const ca = await readFile(cert);
    const nightly = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly-report', namespace: 'batch' }, spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'report', image: 'ghcr.io/acme/reports:1.2.0' }] } } } } } };
    const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-serve', kind: { group: 'batch', version: 'v1', kind: 'CronJob' }, resource: { group: 'batch', version: 'v1', resource: 'cronjobs' }, namespace: 'batch', operation: 'CREATE', object: nightly } });
    const reply = await new Promise<{ response: { uid: string; allowed: boolean; warnings?: string[] } }>((resolve, reject) => {
      const req = https.request(`${s.admissionUrl ?? ''}/validate?timeout=10s`, { method: 'POST', ca, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text) as { response: { uid: string; allowed: boolean; warnings?: string[] } }));
      });
      req.on('error', reject);
      req.end(body);
    });
    // --warn malware: admitted, with the malware the demo's scan found in the image as a warning
    expect(reply.response).toMatchObject({ uid: 'u-serve', allowed: true });
    expect(reply.response.warnings?.some((w) => w.startsWith('runwarden: [malware] malware in image ghcr.io/acme/reports:1.2.0: Eicar-Test-Signature'))).toBe(true);
    expect(s.stderr.text).toMatch(/^runwarden: admission webhook on https:\/\/127\.0\.0\.1:\d+\/validate \(failure mode open; callers not authenticated; verdicts from the latest scan\)$/m);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^runwarden_admission_reviews_total\{kind="CronJob",operation="CREATE",outcome="warned"\} 1$/m);
    expect(metrics).toMatch(/^runwarden_admission_review_duration_seconds_count\{outcome="warned"\} 1$/m);
    expect(await s.stop()).toBe(0);
  });

  it.each([
    ['a file that is not PEM', async () => ({ cert: join(dir, 'cluster', 'payments.yaml'), key: (await selfSigned(dir, 'k')).key }), /^runwarden: error: --tls-cert ".*payments\.yaml" with --tls-key ".*k\.key" is not a usable certificate and key: .*(no start line|PEM)/],
    ['a key of another certificate', async () => ({ cert: (await selfSigned(dir, 'a')).cert, key: (await selfSigned(dir, 'b')).key }), /^runwarden: error: --tls-cert ".*a\.crt" with --tls-key ".*b\.key" is not a usable certificate and key: .*key values mismatch/],
  ])('exits 2 with one line for %s', async (_what, make, message) => {
    const { cert, key } = await make();
    const run = invoke(['--demo', '--port', '0', '--tls-cert', cert, '--tls-key', key]);
    expect(await run.done).toBe(2);
    expect(run.stderr.text).toMatch(message);
    expect(run.stderr.text.trim().split('\n')).toHaveLength(1);
  });
});

const registrySkip = requireComponent('docker-registry + skopeo', ['docker-registry', 'skopeo']);
describe.skipIf(registrySkip !== undefined)(`runwarden serve reading images from a registry${registrySkip === undefined ? '' : ` (${registrySkip})`}`, () => {
  it('pulls a running image from a real registry (the same flags as scan) and stores its vulnerable-package findings', async () => {
    const registry = await startRegistry();
    try {
      const images = await buildTestImages(join(dir, 'images'));
      const debian = images['debian-app'];
      await skopeoCopy(`oci:${debian.layout}:1`, `docker://${registry.host}/rw/debian-app:1`, ['--dest-tls-verify=false']);
      const db = join(dir, 'runwarden.db');
      const vulnDb = openVulnDb(db);
      await importAdvisories(vulnDb, join(packageRoot(), 'demo', 'advisories', 'osv'), { workers: 0 });
      vulnDb.close();
      const snapshot = join(dir, 'pods.json');
      await writeFile(snapshot, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('web-1', { ns: 'shop', node: 'n1', containers: [{ name: 'web', image: `${registry.host}/rw/debian-app:1`, imageID: `${registry.host}/rw/debian-app@${debian.manifestDigest}` }] })] }));
      const s = await serve(['--snapshot', snapshot, '--db', db, '--pull-images', '--insecure-registry', registry.host, '--store', join(dir, 'h.db'), '--port', '0']);
      await s.firstScan;
      const found = await getJson<{ items: Array<{ rule: string; namespace: string; evidence: { vulnerability?: string; imageDigest?: string; packagesFrom?: string } }> }>(`${s.url}/api/v1/findings?rule=vulnerable-package&limit=100`);
      expect(found.items.map((f) => f.evidence.vulnerability).sort()).toEqual(['CVE-2021-23337', 'CVE-2023-32681']);
      expect(found.items.every((f) => f.namespace === 'shop' && f.evidence.imageDigest === debian.manifestDigest)).toBe(true);
      expect(found.items[0]?.evidence.packagesFrom).toMatch(/^registry /);
      expect(await s.stop()).toBe(0);
    } finally {
      await registry.stop();
    }
  });

  it('as in its pod: --db not there yet is created empty, and the findings follow once the updater beside it (db update --every) has imported', async () => {
    const registry = await startRegistry();
    // the feeds: osv.dev-shaped all.zip exports of the demo's npm and PyPI advisories, on a local mirror
    const zipOf = (folder: string): Buffer =>
      makeZip(readdirSync(join(packageRoot(), 'demo', 'advisories', 'osv', folder)).map((f) => {
        const text = readFileSync(join(packageRoot(), 'demo', 'advisories', 'osv', folder, f), 'utf8');
        return { name: f.replace(/\.yaml$/, '.json'), content: JSON.stringify(f.endsWith('.yaml') ? parseYaml(text) : JSON.parse(text)) };
      }));
    const feeds: Record<string, Buffer> = { '/npm/all.zip': zipOf('npm'), '/PyPI/all.zip': zipOf('pypi') };
    const mirror = await serveHttp((req, res) => {
      const body = feeds[req.url ?? ''];
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    try {
      const images = await buildTestImages(join(dir, 'images'));
      const debian = images['debian-app'];
      await skopeoCopy(`oci:${debian.layout}:1`, `docker://${registry.host}/rw/debian-app:1`, ['--dest-tls-verify=false']);
      const snapshot = join(dir, 'pods.json');
      await writeFile(snapshot, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('web-1', { ns: 'shop', node: 'n1', containers: [{ name: 'web', image: `${registry.host}/rw/debian-app:1`, imageID: `${registry.host}/rw/debian-app@${debian.manifestDigest}` }] })] }));
      // the emptyDir of the pod: the folder is there, the database is not
      const db = join(dir, 'vulndb', 'runwarden.db');
      await mkdir(join(dir, 'vulndb'));
      const s = await serve(['--snapshot', snapshot, '--db', db, '--db-poll', '1s', '--pull-images', '--insecure-registry', registry.host, '--store', join(dir, 'h.db'), '--port', '0']);
      await s.firstScan;
      expect(s.stderr.text).toContain(`runwarden: the vulnerability database ${db} did not exist: created empty; the running images are matched again once it is filled ("runwarden db update")\n`);
      const vulnerable = async (): Promise<string[]> => (await getJson<{ items: Array<{ evidence: { vulnerability?: string } }> }>(`${s.url}/api/v1/findings?rule=vulnerable-package&limit=100`)).items.map((f) => f.evidence.vulnerability ?? '').sort();
      expect(await vulnerable()).toEqual([]);
      const config = join(dir, 'vulndb.yaml');
      await writeFile(config, `mirrors:\n  - {source: osv, url: ${mirror.base}/npm/all.zip}\n  - {source: osv, url: ${mirror.base}/PyPI/all.zip}\n`);
      const updater = cli(['db', 'update', '--db', db, '--config', config, '--no-lifecycle', '--every', '1h', '-f', 'json']);
      let found: string[] = [];
      for (let i = 0; i < 200 && found.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        found = await vulnerable();
      }
      expect(found).toEqual(['CVE-2021-23337', 'CVE-2023-32681']);
      process.emit('SIGTERM');
      const update = await updater;
      expect([update.code, update.stderr]).toEqual([0, '']);
      expect((JSON.parse(update.stdout.trim().split('\n')[0] ?? '{}') as { results: Array<{ counts: { added: number } }> }).results.map((r) => r.counts.added)).toEqual([5, 32]);
      expect(await s.stop()).toBe(0);
    } finally {
      await mirror.close();
      await registry.stop();
    }
  });
});

/** POST an AdmissionReview of `object` to a webhook whose certificate is `ca`; the review's response. */
async function review(url: string, ca: Buffer, uid: string, object: Record<string, unknown>, client: { cert: Buffer; key: Buffer }): Promise<{ uid: string; allowed: boolean; status?: { message?: string }; warnings?: string[] }> {
  const https = await import('node:https');
  const metadata = object.metadata as { namespace: string };
  const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: metadata.namespace, operation: 'CREATE', userInfo: { username: 'alice' }, object } });
  const reply = await new Promise<{ response: { uid: string; allowed: boolean; status?: { message?: string }; warnings?: string[] } }>((resolve, reject) => {
    const req = https.request(`${url}/validate?timeout=10s`, { method: 'POST', ca, ...client, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(JSON.parse(text) as { response: { uid: string; allowed: boolean; warnings?: string[] } }));
    });
    req.on('error', reject);
    req.end(body);
  });
  return reply.response;
}

const replicasSkip = pgSkip ?? replaySkip ?? opensslSkip;
describe.skipIf(replicasSkip !== undefined)(`runwarden serve replicas sharing PostgreSQL${replicasSkip === undefined ? '' : ` (${replicasSkip})`}`, () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg.stop();
  });

  it('replayed API: a follower answers admission reviews and the report API from the scan the leader published, as the leader does', async () => {
    const api = await startReplayApi();
    const running: Running[] = [];
    try {
      api.keepLeases();
      api.setList('/api/v1/namespaces', [{ metadata: { name: 'shop', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } }], '10');
      api.setList('/api/v1/pods', [pod('web-1', { ns: 'shop', node: 'n1', containers: [{ name: 'web', image: 'nginx:1.27', imageID: `docker.io/library/nginx@${digest('a')}` }] })], '100');
      const url = await pg.createDatabase('serve_replicas');
      const { cert, key } = await selfSigned(dir, 'webhook');
      const ca = await (await import('node:fs/promises')).readFile(cert);
      // the API server authenticates to the webhook with a client certificate (--admission-client-ca)
      const clients = await makeCertificates(dir, { prefix: 'api-', caName: 'kube-apiserver-client-ca' });
      const apiserver = await clientCertificate(dir, 'api-', 'kube-apiserver');
      const args = ['--kubeconfig', api.kubeconfig, '--port', '0', '--store', url, '--leader-elect', '--admission-port', '0', '--admission-tls-cert', cert, '--admission-tls-key', key, '--admission-client-ca', clients.caFile, '--failure-mode', 'closed'];
      const leader = await serve(args, { POD_NAMESPACE: 'ops', POD_NAME: 'serve-a' });
      running.push(leader);
      await leader.firstScan;
      const follower = await serve(args, { POD_NAMESPACE: 'ops', POD_NAME: 'serve-b' });
      running.push(follower);
      expect(follower.stderr.text).toContain('"msg":"following: another replica leads; serving its history"');
      expect(follower.stderr.text).toMatch(/admission webhook on https:\/\/127\.0\.0\.1:\d+\/validate \(failure mode closed; API server by client certificate; verdicts from the latest scan; followers load the leader's\)/);

      // The follower loaded the leader's scan before it listened, and says which one it holds.
      const scanId = (await getJson<{ scan: { id: string } }>(`${leader.url}/api/v1/summary`)).scan.id;
      const ready = await fetch(`${follower.url}/readyz`);
      expect([ready.status, await ready.text()]).toEqual([200, `ok (follower; leader: ${JSON.parse(follower.stderr.text.split('\n').find((l) => l.includes('"msg":"following')) ?? '{}').leader as string}; scan ${scanId})\n`]);
      expect(follower.stderr.text).toContain(`"msg":"loaded the leader's latest scan","scan":"${scanId}"`);

      // The same report, nodes and images on both replicas.
      const report = async (r: Running): Promise<[string | null, string]> => {
        const res = await fetch(`${r.url}/api/v1/report?format=json`);
        return [res.headers.get('etag'), await res.text()];
      };
      expect(await report(follower)).toEqual(await report(leader));
      expect((await report(follower))[0]).toBe(`"${scanId}-json"`);
      for (const page of ['nodes', 'images', 'workloads/shop/Pod/web-1']) expect(await getJson(`${follower.url}/api/v1/${page}`)).toEqual(await getJson(`${leader.url}/api/v1/${page}`));

      // Fail closed: a follower without verdicts would deny every review ("cannot be judged"); it answers as the leader does.
      const web = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-2', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: `nginx@${digest('a')}`, securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } }] } };
      const root = { ...web, metadata: { name: 'web-3', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: `nginx@${digest('a')}` }] } };
      const fromLeader = await review(leader.admissionUrl ?? '', ca, 'u-1', web, apiserver);
      const fromFollower = await review(follower.admissionUrl ?? '', ca, 'u-1', web, apiserver);
      expect(fromFollower).toEqual(fromLeader);
      expect(fromFollower.allowed).toBe(true);
      // the restricted namespace's level, from the published namespaces: denied by Pod Security on both
      const deniedByLeader = await review(leader.admissionUrl ?? '', ca, 'u-2', root, apiserver);
      const deniedByFollower = await review(follower.admissionUrl ?? '', ca, 'u-2', root, apiserver);
      expect(deniedByFollower).toEqual(deniedByLeader);
      expect(deniedByFollower.allowed).toBe(false);
      expect(deniedByFollower.status?.message).toContain('[pod-security]');
      expect(deniedByFollower.status?.message).toContain('restricted');

      for (const r of running.splice(0)) expect(await r.stop()).toBe(0);
    } finally {
      for (const r of running) await r.stop();
      await api.close();
    }
  });
});
