import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHttp, type TestHttpServer } from '../../../test/http.js';
import { AppError } from '../../core/errors.js';
import { openDatabase, type Db } from '../../store/db.js';
import { MIGRATIONS } from '../../store/migrations.js';
import { findCycle } from './cycles.js';
import { loadLifecycle, parseSnapshot, readLifecycle } from './store.js';
import { updateLifecycle } from './update.js';

/** A local stand-in for the endoflife.date API: routes → [status, body]. */
let server: TestHttpServer;
let base: string;
const routes = new Map<string, [number, string]>();
const hits: string[] = [];

beforeAll(async () => {
  server = await serveHttp((req, res) => {
    hits.push(req.url ?? '');
    const [status, body] = routes.get(req.url ?? '') ?? [404, '{"message":"not found"}'];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  base = server.base;
});
afterAll(() => server.close());

function db(): Db {
  return openDatabase(':memory:');
}

describe('lifecycle store', () => {
  it('seeds the database from the bundled snapshot on first load and reads it back from the table', async () => {
    const d = db();
    expect(readLifecycle(d)).toBeUndefined();
    const first = await loadLifecycle(d);
    expect(first.issues).toEqual([]);
    expect(first.data.products.size).toBe(37);
    const stored = readLifecycle(d);
    expect(stored?.data.products.size).toBe(37);
    expect(stored?.data.source).toMatch(/^bundled snapshot: endoflife-date\/endoflife.date .*a70eca33/);
    const node = stored?.data.products.get('nodejs');
    expect(node?.purls).toContain('pkg:docker/library/node');
    expect(node === undefined ? undefined : findCycle(node, '16')?.eol).toBe('2023-09-11');
    d.close();
  });

  it('falls back to the bundled snapshot for a read-only database from before the lifecycle migration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-lc-'));
    const path = join(dir, 'old.db');
    openDatabase(path, { migrations: MIGRATIONS.filter((m) => !m.id.startsWith('lifecycle-')) }).close();
    const ro = openDatabase(path, { readonly: true });
    const r = await loadLifecycle(ro);
    expect(r.data.products.size).toBe(37);
    expect(ro.prepare("SELECT name FROM sqlite_master WHERE name = 'lifecycle_products'").get()).toBeUndefined();
    ro.close();
  });

  it('keeps valid cycles and reports an invalid one with the product and field', () => {
    const r = parseSnapshot({ products: { demo: { title: 'Demo', releases: [{ cycle: '1', eol: '2020-01-01' }, { cycle: '2', eol: 'soon' }] } } }, 'x.json');
    expect(r.products[0]?.releases.map((c) => c.cycle)).toEqual(['1']);
    expect(r.issues).toEqual([{ code: 'lifecycle-invalid-cycle', message: 'demo release #2 is invalid at eol: expected YYYY-MM-DD or a boolean; that cycle is left out', location: 'x.json' }]);
  });

  it('throws an actionable error for a file that is not a snapshot', () => {
    expect(() => parseSnapshot({ releases: [] }, 'bad.json')).toThrow(AppError);
    expect(() => parseSnapshot({ releases: [] }, 'bad.json')).toThrow(/Lifecycle data at bad.json is not an endoflife.date snapshot: products/);
  });
});

describe('updateLifecycle against a local endoflife.date API server', () => {
  it('refreshes products from API v1 replies, keeps identifiers, and keeps the stored cycles of a product that fails', async () => {
    const d = db();
    await loadLifecycle(d);
    routes.set('/api/v1/products/nodejs', [200, JSON.stringify({ schema_version: '1.2.0', result: { name: 'nodejs', label: 'Node.js', releases: [
      { name: '28', codename: null, label: '28', releaseDate: '2027-04-20', isLts: false, ltsFrom: null, isEoas: false, eoasFrom: '2027-10-20', isEol: false, eolFrom: '2030-04-30', isMaintained: true, latest: { name: '28.0.0', date: '2027-04-20', link: null } },
      { name: '16', codename: 'Gallium', label: '16 (Gallium)', releaseDate: '2021-04-20', isLts: true, ltsFrom: '2021-10-26', isEoas: true, eoasFrom: '2022-10-18', isEol: true, eolFrom: '2023-09-11', isMaintained: false, latest: { name: '16.20.2', date: '2023-08-09', link: null } },
    ] } })]);
    routes.set('/api/v1/products/debian', [500, 'oops']);
    const result = await updateLifecycle(d, { url: `${base}/api/v1/products/{product}`, products: ['nodejs', 'debian'], now: new Date('2026-11-28T00:00:00Z') });
    expect(result.updated).toEqual(['nodejs']);
    expect(result.failed).toEqual(['debian']);
    expect(result.cycles).toBe(2);
    expect(result.issues.map((i) => i.message)).toEqual([`debian: Lifecycle data ${base}/api/v1/products/debian answered HTTP 500; the stored cycles are kept`]);
    const stored = readLifecycle(d)?.data;
    const node = stored?.products.get('nodejs');
    expect(node?.releases.map((r) => [r.cycle, r.eol, r.lts, r.latest])).toEqual([['28', '2030-04-30', false, '28.0.0'], ['16', '2023-09-11', '2021-10-26', '16.20.2']]);
    expect(node?.purls).toContain('pkg:docker/library/node');
    expect(stored?.products.get('debian')?.releases.length).toBe(18);
    d.close();
  });

  it('reads API v0 replies (a list of cycles) from <url>/<product>.json', async () => {
    const d = db();
    await loadLifecycle(d);
    routes.set('/api/alpine-linux.json', [200, JSON.stringify([{ cycle: '3.25', releaseDate: '2026-11-01', eol: '2028-11-01', latest: '3.25.0', latestReleaseDate: '2026-11-01', lts: false }])]);
    const result = await updateLifecycle(d, { url: `${base}/api`, products: ['alpine-linux'] });
    expect(result).toMatchObject({ updated: ['alpine-linux'], failed: [], cycles: 1 });
    expect(readLifecycle(d)?.data.products.get('alpine-linux')?.releases.map((r) => r.cycle)).toEqual(['3.25']);
    d.close();
  });

  it('imports a whole snapshot file from a mirror URL ending in .json', async () => {
    const d = db();
    await loadLifecycle(d);
    routes.set('/mirror/eol.json', [200, JSON.stringify({ _source: 'mirror', products: { ruby: { title: 'Ruby', releases: [{ cycle: '4.0', eol: false }] } } })]);
    const result = await updateLifecycle(d, { url: `${base}/mirror/eol.json` });
    expect(result.updated).toEqual(['ruby']);
    const ruby = readLifecycle(d)?.data.products.get('ruby');
    expect(ruby?.releases.map((r) => r.cycle)).toEqual(['4.0']);
    expect(ruby?.purls).toContain('pkg:docker/library/ruby');
    d.close();
  });

  it('records a reply of the wrong shape as a failure naming the URL', async () => {
    const d = db();
    await loadLifecycle(d);
    routes.set('/api/v1/products/go', [200, '{"hello":"world"}']);
    const result = await updateLifecycle(d, { url: `${base}/api/v1/products/{product}`, products: ['go'] });
    expect(result.failed).toEqual(['go']);
    expect(result.issues[0]?.message).toBe(`go: Lifecycle data ${base}/api/v1/products/go for go is neither a list of cycles (API v0) nor {"result": {"releases": [...]}} (API v1); the stored cycles are kept`);
    d.close();
  });
});
