import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { startRegistry, type Registry } from '../../../test/registry.js';
import { RegistryClient } from '../../registry/client.js';
import { MEDIA } from '../../registry/media-types.js';
import { cli } from '../../../test/cli.js';
import { serveHttp, type TestHttpServer } from '../../../test/http.js';
import { parseDays } from './lifecycle.js';

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(args, { env });

let server: TestHttpServer;
let base: string;
beforeAll(async () => {
  server = await serveHttp((req, res) => {
    if (req.url === '/api/nodejs.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ cycle: '16', releaseDate: '2021-04-20', eol: '2030-01-01', latest: '16.99.0' }]));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  base = server.base;
});
afterAll(() => server.close());

const dbFile = (): string => join(mkdtempSync(join(tmpdir(), 'rw-lifecycle-')), 'rw.db');

describe('runwarden lifecycle', () => {
  it('status stores the bundled snapshot on first use and lists the products', async () => {
    const db = dbFile();
    const first = await run(['lifecycle', 'status', '--db', db]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Source: bundled snapshot: endoflife-date\/endoflife.date .* \(just stored from the bundled snapshot\)\n/);
    expect(first.stdout).toMatch(/\nnodejs {22}\s+26 {2}26\n/);
    const again = JSON.parse((await run(['lifecycle', 'status', '--db', db, '-f', 'json'])).stdout) as { seededFromSnapshot: boolean; products: unknown[] };
    expect([again.seededFromSnapshot, again.products.length]).toEqual([false, 37]);
  });

  it('check gives an offline verdict from the image reference, with the fix, and exits 1 for end of life', async () => {
    const r = await run(['lifecycle', 'check', 'node:16-alpine', 'ghcr.io/acme/app:1.0', '--db', dbFile(), '--now', '2026-11-28T00:00:00Z']);
    expect(r.stdout).toBe([
      'node:16-alpine: END-OF-LIFE',
      '  - Node.js 16 reached end of life on 2023-09-11',
      '  fix: node:16-alpine → node:22-alpine',
      'ghcr.io/acme/app:1.0: UNKNOWN',
      '  - registry not consulted (offline scan)',
      '',
    ].join('\n'));
    expect(r.code).toBe(1);
  });

  it('update refreshes from --url and check then uses the stored data', async () => {
    const db = dbFile();
    const u = await run(['lifecycle', 'update', '--db', db, '--url', `${base}/api`, '--product', 'nodejs']);
    expect([u.code, u.stdout]).toEqual([0, `${base}/api: 1 product(s) updated (1 cycles), 0 failed\n`]);
    const r = await run(['lifecycle', 'check', 'node:16-alpine', '--db', db, '--now', '2026-11-28T00:00:00Z']);
    expect(r.stdout).toBe('node:16-alpine: UNKNOWN\n  - registry not consulted (offline scan)\n');
  });

  it('update exits 3 and names the product when the API fails, keeping the stored data', async () => {
    const r = await run(['lifecycle', 'update', '--db', dbFile(), '--url', `${base}/api`, '--product', 'nodejs,nope']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`lifecycle-update-failed: nope: Lifecycle data ${base}/api/nope.json answered HTTP 404; the stored cycles are kept`);
  });

  it('rejects bad flags with one actionable line', async () => {
    expect((await run(['lifecycle', 'update', '--db', dbFile(), '--url', 'ftp://x'])).stderr).toBe('runwarden: error: Invalid --url "ftp://x": expected an http(s) URL, e.g. https://endoflife.date/api/v1/products/{product}\n');
    expect((await run(['lifecycle', 'check', 'node:16', '--db', dbFile(), '--eol-lookahead', 'soon'])).stderr).toBe('runwarden: error: Invalid --eol-lookahead "soon": expected a number of days like 90d (or weeks like 12w)\n');
    expect(parseDays('12w', '--x')).toBe(84);
  });
});

const skipRegistry = requireComponent('docker-registry', ['docker-registry']);

describe.skipIf(skipRegistry !== undefined)('runwarden lifecycle check --online against the real registry', () => {
  let registry: Registry;
  let old = '';
  let current = '';
  beforeAll(async () => {
    registry = await startRegistry();
    const client = new RegistryClient({ hosts: { insecure: [registry.host] } });
    const repo = { registry: registry.host, repository: 'shop/api' };
    const push = async (tag: string, created: string): Promise<string> => {
      const layer = await client.pushBlob(repo, Buffer.from(`layer ${created}`), 'application/vnd.oci.image.layer.v1.tar');
      const cfg = await client.pushBlob(repo, Buffer.from(JSON.stringify({ created, architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } })), MEDIA.ociConfig);
      return client.putManifest(repo, tag, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: cfg, layers: [layer] })), MEDIA.ociManifest);
    };
    old = await push('3.4.1', '2026-10-01T00:00:00Z');
    current = await push('3.4.1', '2026-11-20T00:00:00Z');
    await push('3.4.2', '2026-11-21T00:00:00Z');
  }, 60_000);
  afterAll(async () => {
    await registry.stop();
  });

  it('reports drift of a running digest and the newer patch tag, and unknown for a tag without a running digest', async () => {
    const r = await run(['lifecycle', 'check', `${registry.host}/shop/api:3.4.1@${old}`, `${registry.host}/shop/api:3.4.2`, '--online', '--insecure-registry', registry.host, '--db', dbFile(), '--now', '2026-11-28T00:00:00Z']);
    expect(r.stdout).toBe([
      `${registry.host}/shop/api:3.4.1@${old}: OUTDATED`,
      '  - running an outdated build of 3.4.1',
      '  - newer patch 3.4.2',
      `  fix: re-pull 3.4.1 to ${current}`,
      `${registry.host}/shop/api:3.4.2: UNKNOWN`,
      '  - no running digest given (check name:tag@digest for drift)',
      '',
    ].join('\n'));
    expect(r.code).toBe(0);
  });
});
