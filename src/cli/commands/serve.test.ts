/**
 * `runwarden serve` run in-process (the command's own function, stopped through the injected signal as SIGTERM
 * would): the demo, a snapshot with the SQLite and the PostgreSQL history, a cluster watched through a
 * replayed API server, and the one-line errors for what a user can get wrong.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digest, pod } from '../../../test/k8s.js';
import { replaySkipReason, startReplayApi, withVersion } from '../../../test/k8s-watch.js';
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../test/postgres.js';
import { demoSnapshotPath } from '../../paths.js';
import { hashToken } from '../../serve/server/auth.js';
import type { CliContext } from '../context.js';
import { reportError } from '../run.js';
import { serveCommand } from './serve.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

interface Running {
  url: string;
  firstScan: Promise<void>;
  stderr: Sink;
  stop(): Promise<number>;
}

function invoke(args: string[], env: NodeJS.ProcessEnv = {}): { listening: Promise<Running>; done: Promise<number>; stderr: Sink } {
  const stderr = new Sink();
  const ctx: CliContext = { stdout: new Sink(), stderr, env, cwd: process.cwd(), exitCode: 0 };
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
});
