import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../core/errors.js';
import { Transport, parseRetryAfter } from './transport.js';

const servers: Server[] = [];
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('registry transport', () => {
  it('parses Retry-After as seconds or an HTTP date, ignoring garbage', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('follows a redirect to another origin without the Authorization header (blob downloads from object stores)', async () => {
    let seen: IncomingHttpHeaders | undefined;
    const store = await serve((req, res) => {
      seen = req.headers;
      res.end('blob');
    });
    const registry = await serve((_req, res) => {
      res.writeHead(307, { location: `${store}/bucket/blob?sig=1` });
      res.end();
    });
    const t = new Transport();
    const res = await t.send({ method: 'GET', url: new URL(`${registry}/v2/x/blobs/sha256:1`), headers: { authorization: 'Bearer secret' } });
    expect(await res.text()).toBe('blob');
    expect(seen?.authorization).toBeUndefined();
  });

  it('gives up after the configured retries and returns the last 503', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.writeHead(503);
      res.end();
    });
    const t = new Transport({ retry: { retries: 2, baseDelayMs: 1 } });
    expect((await t.send({ method: 'GET', url: new URL(url) })).status).toBe(503);
    expect(calls).toBe(3);
  });

  it('does not retry a refused connection and says nothing listens there', async () => {
    const closed = new URL(await serve(() => undefined));
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    const t = new Transport({ retry: { retries: 3, baseDelayMs: 1 } });
    const error = await t.send({ method: 'GET', url: new URL('/v2/', closed) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toMatch(new RegExp(`^Cannot reach registry ${closed.host} \\(http://${closed.host}/v2/\\): connect ECONNREFUSED`));
    expect((error as RegistryError).hint).toBe(`Nothing accepts connections at ${closed.host}: check the host and port.`);
  });

  it('limits requests in flight per registry', async () => {
    const t = new Transport({ concurrency: 2 });
    const a = await t.acquire('r');
    const b = await t.acquire('r');
    let third = false;
    const pending = t.acquire('r').then((release) => {
      third = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    a();
    (await pending)();
    b();
    expect(third).toBe(true);
    (await t.acquire('other'))();
  });
});
