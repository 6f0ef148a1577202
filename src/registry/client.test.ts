/**
 * The registry client against a REAL registry: Debian's docker-registry (distribution 2.8) started by
 * test/registry.ts on loopback, with images from test/images.ts pushed by our client and by skopeo.
 * Where distribution 2.8 cannot produce a behaviour (429/503/connection resets, the referrers API),
 * a small HTTP proxy in front of the real registry injects it; the test names say so.
 */
import { execFile } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../test/components.js';
import { buildImage, buildTestImages, busyboxEntries, layerOf, skopeoCopy, type BuiltImage } from '../../test/images.js';
import { REGISTRY_PASSWORD, REGISTRY_USER, startRegistry, type Registry } from '../../test/registry.js';
import { RegistryError } from '../core/errors.js';
import { RegistryClient, type Repository } from './client.js';
import { staticCredentials } from './credentials.js';
import { digestOf } from './digest.js';
import { MEDIA } from './media-types.js';

const run = promisify(execFile);
const skip = requireComponent('docker-registry + skopeo + htpasswd + openssl', ['docker-registry', 'skopeo', 'htpasswd', 'openssl']);

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Push an image of test/images.ts (its layout) with our client. */
async function push(client: RegistryClient, repo: Repository, image: BuiltImage, tag?: string): Promise<{ digest: string; size: number; bytes: Buffer }> {
  const blobs = join(image.layout, 'blobs', 'sha256');
  for (const l of image.layers) await client.pushBlob(repo, l.blob);
  await client.pushBlob(repo, await readFile(join(blobs, image.configDigest.slice(7))));
  const bytes = await readFile(join(blobs, image.manifestDigest.slice(7)));
  const digest = await client.putManifest(repo, tag ?? image.manifestDigest, bytes, MEDIA.ociManifest);
  return { digest, size: bytes.length, bytes };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type Fault = { match: RegExp; kind: '429' | '503' | 'reset'; retryAfter?: string; times: number };

/** An HTTP proxy in front of the real registry that can inject faults and serve a referrers API. */
async function faultProxy(upstream: string): Promise<{ host: string; faults: Fault[]; requests: string[]; referrers: Map<string, object[]>; close(): Promise<void> }> {
  const faults: Fault[] = [];
  const requests: string[] = [];
  const referrers = new Map<string, object[]>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    requests.push(`${req.method ?? ''} ${url}`);
    const fault = faults.find((f) => f.times > 0 && f.match.test(url));
    if (fault !== undefined) {
      fault.times--;
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(fault.kind === '429' ? 429 : 503, fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return;
    }
    const ref = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})(\?.*)?$/.exec(url);
    if (ref !== null) {
      // A referrers API (OCI distribution 1.1) the real 2.8 registry lacks: two pages, and the
      // artifactType filter applied server-side.
      const params = new URLSearchParams(ref[3]?.slice(1) ?? '');
      let all = referrers.get(ref[2] ?? '') ?? [];
      const type = params.get('artifactType');
      if (type !== null) all = all.filter((d) => (d as { artifactType?: string }).artifactType === type);
      const page = Number(params.get('page') ?? '0');
      const headers: Record<string, string> = { 'content-type': MEDIA.ociIndex };
      if (type !== null) headers['oci-filters-applied'] = 'artifactType';
      if (page === 0 && all.length > 1) headers.link = `</v2/${ref[1] ?? ''}/referrers/${ref[2] ?? ''}?page=1${type === null ? '' : `&artifactType=${encodeURIComponent(type)}`}>; rel="next"`;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: page === 0 ? all.slice(0, 1) : all.slice(1) }));
      return;
    }
    const tags = /^\/v2\/(.+)\/tags\/list\?(.*)$/.exec(url);
    if (tags !== null) {
      // distribution 2.8 ignores ?n= (pagination arrived in v3): page the real list as the spec says.
      const params = new URLSearchParams(tags[2] ?? '');
      const n = Number(params.get('n') ?? '0');
      const last = params.get('last');
      httpRequest(`http://${upstream}/v2/${tags[1] ?? ''}/tags/list`, { headers: { ...req.headers, host: upstream } }, (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; tags: string[] };
          const sorted = [...body.tags].sort();
          const from = last === null ? 0 : sorted.findIndex((t) => t > last);
          const page = n > 0 ? sorted.slice(from === -1 ? sorted.length : from, (from === -1 ? sorted.length : from) + n) : sorted;
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (n > 0 && page.length === n && sorted.indexOf(page[page.length - 1] ?? '') < sorted.length - 1) headers.link = `</v2/${tags[1] ?? ''}/tags/list?n=${n}&last=${page[page.length - 1] ?? ''}>; rel="next"`;
          res.writeHead(up.statusCode ?? 502, headers);
          res.end(JSON.stringify({ name: body.name, tags: page }));
        });
      }).end();
      return;
    }
    const out = httpRequest(`http://${upstream}${url}`, { method: req.method, headers: { ...req.headers, host: upstream } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  const host = await listen(server);
  return { host, faults, requests, referrers, close: () => new Promise((r) => server.close(() => r())) };
}

describe.skipIf(skip !== undefined)('registry client against a real registry (distribution 2.8)', () => {
  let registry: Registry;
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  let client: RegistryClient;
  let debian: Repository;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-regclient-'));
    images = await buildTestImages(dir);
    registry = await startRegistry();
    client = new RegistryClient({ hosts: { insecure: [registry.host] } });
    debian = { registry: registry.host, repository: 'rw/debian-app' };
    await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker://${registry.host}/rw/debian-app:1`, ['--dest-tls-verify=false']);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('resolves a tag pushed by skopeo to the manifest digest skopeo preserved (HEAD, then GET)', async () => {
    const resolved = await client.resolve(`${registry.host}/rw/debian-app:1`);
    expect(resolved.digest).toBe(images['debian-app'].manifestDigest);
    expect(resolved.mediaType).toBe(MEDIA.ociManifest);
    const image = await client.resolveImage(`${registry.host}/rw/debian-app:1`);
    expect(image.digest).toBe(images['debian-app'].manifestDigest);
    expect(image.manifest.layers.map((l) => l.digest)).toEqual(images['debian-app'].layers.map((l) => l.digest));
    expect(image.config.rootfs.diff_ids).toEqual(images['debian-app'].layers.map((l) => l.diffId));
    expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('streams a blob verified against its digest', async () => {
    const layer = images['debian-app'].layers[1]!;
    const bytes = await readAll(await client.openBlob(debian, { digest: layer.digest, size: layer.size }));
    expect(digestOf(bytes)).toBe(layer.digest);
  });

  it('throws RegistryError not-found with a hint for a missing tag', async () => {
    const error = await client.resolve(`${registry.host}/rw/debian-app:nope`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toBe(`manifest nope not found at ${registry.host}/rw/debian-app (HTTP 404)`);
    expect((error as RegistryError).hint).toContain('Check the repository name and tag');
  });

  it('chooses the platform from an index with two platforms, and names the offered ones when none fits', async () => {
    const busybox = await layerOf(busyboxEntries());
    const amd = await buildImage(dir, { name: 'multi-amd64', layers: [busybox], architecture: 'amd64' });
    const arm = await buildImage(dir, { name: 'multi-arm64', layers: [busybox, await layerOf([{ path: 'etc/arch', content: 'arm64\n' }])], architecture: 'arm64' });
    const repo = { registry: registry.host, repository: 'rw/multi' };
    const a = await push(client, repo, amd);
    const b = await push(client, repo, arm);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        { mediaType: MEDIA.ociManifest, digest: a.digest, size: a.size, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MEDIA.ociManifest, digest: b.digest, size: b.size, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    }));
    const indexDigest = await client.putManifest(repo, '1', index, MEDIA.ociIndex);

    const onAmd = await client.resolveImage(`${registry.host}/rw/multi:1`, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(onAmd.digest).toBe(a.digest);
    expect(onAmd.index?.digest).toBe(indexDigest);
    const onArm = await client.resolveImage(`${registry.host}/rw/multi:1`, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(onArm.digest).toBe(b.digest);
    expect(onArm.platform).toEqual({ os: 'linux', architecture: 'arm64' });
    const error = await client.resolveImage(`${registry.host}/rw/multi:1`, { platform: { os: 'linux', architecture: 's390x' } }).catch((e: unknown) => e);
    expect((error as RegistryError).message).toBe(`Index ${indexDigest} of ${registry.host}/rw/multi:1 has no image for platform linux/s390x; it offers linux/amd64, linux/arm64/v8`);
    expect((error as RegistryError).hint).toBe('Pass --platform linux/amd64 (or another listed platform).');
  });

  it('lists tags across Link pages (?n=2) (pages served by the test proxy over the real tag list; distribution 2.8 ignores ?n=)', async () => {
    const repo0 = { registry: registry.host, repository: 'rw/tags' };
    const pushed = await push(client, repo0, images.pause, 't0');
    for (const tag of ['t1', 't2', 't3', 't4']) await client.putManifest(repo0, tag, pushed.bytes, MEDIA.ociManifest);
    expect((await client.listTags(repo0)).sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    const proxy = await faultProxy(registry.host);
    try {
      const c = new RegistryClient({ hosts: { insecure: [proxy.host] } });
      const repo = { registry: proxy.host, repository: 'rw/tags' };
      expect(await c.listTags(repo, { pageSize: 2 })).toEqual(['t0', 't1', 't2', 't3', 't4']);
      expect(proxy.requests.filter((r) => r.includes('/tags/list'))).toEqual(['GET /v2/rw/tags/tags/list?n=2', 'GET /v2/rw/tags/tags/list?n=2&last=t1', 'GET /v2/rw/tags/tags/list?n=2&last=t3']);
      const error = await c.listTags(repo, { pageSize: 2, maxPages: 2 }).catch((e: unknown) => e);
      expect((error as RegistryError).message).toBe(`Tag list of ${proxy.host}/rw/tags has more than 2 pages`);
    } finally {
      await proxy.close();
    }
  });

  it('finds referrers through the sha256-<hex> tag schema when the registry has no referrers API', async () => {
    const repo = { registry: registry.host, repository: 'rw/debian-app' };
    const subject = { mediaType: MEDIA.ociManifest, digest: images['debian-app'].manifestDigest, size: (await readFile(join(images['debian-app'].layout, 'blobs', 'sha256', images['debian-app'].manifestDigest.slice(7)))).length };
    const empty = await client.pushBlob(repo, Buffer.from('{}'), MEDIA.ociEmpty);
    const sbom = await client.pushBlob(repo, Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6"}'), 'application/vnd.cyclonedx+json');
    const artifact = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, artifactType: 'application/vnd.cyclonedx+json', config: empty, layers: [sbom], subject, annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' } }));
    const artifactDigest = await client.putManifest(repo, digestOf(artifact), artifact, MEDIA.ociManifest);
    const fallback = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: artifactDigest, size: artifact.length, artifactType: 'application/vnd.cyclonedx+json', annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' } }] }));
    await client.putManifest(repo, `sha256-${subject.digest.slice(7)}`, fallback, MEDIA.ociIndex);

    const found = await client.referrers(repo, subject.digest);
    expect(found.via).toBe('tag-schema');
    expect(found.manifests.map((m) => [m.digest, m.artifactType])).toEqual([[artifactDigest, 'application/vnd.cyclonedx+json']]);
    expect((await client.referrers(repo, subject.digest, { artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' })).manifests).toEqual([]);
    expect(await client.referrers(repo, images.pause.manifestDigest)).toEqual({ via: 'tag-schema', manifests: [] });
  });

  it('rejects a blob tampered with in the registry storage (digest mismatch), and never returns its data', async () => {
    const repo = { registry: registry.host, repository: 'rw/tamper' };
    const image = await buildImage(dir, { name: 'tamper', layers: [await layerOf([{ path: 'etc/secret', content: 'original content\n' }])] });
    await push(client, repo, image, '1');
    const layer = image.layers[0]!;
    const file = join(registry.storage, 'docker/registry/v2/blobs/sha256', layer.digest.slice(7, 9), layer.digest.slice(7), 'data');
    const original = await readFile(file);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0xff;
    await writeFile(file, tampered);
    const error = await readAll(await client.openBlob(repo, { digest: layer.digest, size: layer.size })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('digest-mismatch');
    expect((error as RegistryError).message).toBe(`blob ${layer.digest} of ${registry.host}/rw/tamper does not match its digest: expected ${layer.digest}, got ${digestOf(tampered)}; the content was rejected`);
    await expect(client.getBlob(repo, { digest: layer.digest, size: layer.size })).rejects.toThrow(/does not match its digest/);
  });

  it('retries 429 (honouring Retry-After), 503 and a reset connection through a fault-injecting proxy in front of the real registry', async () => {
    const proxy = await faultProxy(registry.host);
    try {
      const retries: Array<{ reason: string; delayMs: number }> = [];
      const c = new RegistryClient({ hosts: { insecure: [proxy.host] }, transport: { retry: { baseDelayMs: 10 }, onRetry: (e) => retries.push({ reason: e.reason, delayMs: e.delayMs }) } });
      proxy.faults.push({ match: /\/manifests\/1$/, kind: '429', retryAfter: '1', times: 1 }, { match: /\/manifests\/sha256:/, kind: '503', times: 1 }, { match: /\/blobs\//, kind: 'reset', times: 1 });
      const started = Date.now();
      const image = await c.resolveImage(`${proxy.host}/rw/debian-app:1`);
      expect(image.digest).toBe(images['debian-app'].manifestDigest);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      // undici reports a connection the server dropped as ECONNRESET or UND_ERR_SOCKET ("other side closed").
      expect(retries.map((r) => r.reason)).toEqual(['HTTP 429', 'HTTP 503', expect.stringMatching(/^(ECONNRESET|UND_ERR_SOCKET)$/)]);
      expect(retries[0]?.delayMs).toBe(1000);
      // A Retry-After beyond the limit is not waited for: the caller gets the 429.
      proxy.faults.push({ match: /\/manifests\/1$/, kind: '429', retryAfter: '3600', times: 1 });
      const error = await c.resolve(`${proxy.host}/rw/debian-app:1`).catch((e: unknown) => e);
      expect((error as RegistryError).message).toBe(`Registry ${proxy.host} rate-limited manifest 1 of rw/debian-app (HTTP 429, retry after 3600 s)`);
    } finally {
      await proxy.close();
    }
  });

  it('reads the referrers API with Link pages and server-side artifactType filtering (API served by the test proxy; distribution 2.8 has none)', async () => {
    const proxy = await faultProxy(registry.host);
    try {
      const subject = images['debian-app'].manifestDigest;
      const sig = { mediaType: MEDIA.ociManifest, digest: digestOf('sig'), size: 3, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' };
      const sbom = { mediaType: MEDIA.ociManifest, digest: digestOf('sbom'), size: 4, artifactType: 'application/spdx+json' };
      proxy.referrers.set(subject, [sig, sbom]);
      const c = new RegistryClient({ hosts: { insecure: [proxy.host] } });
      const repo = { registry: proxy.host, repository: 'rw/debian-app' };
      const all = await c.referrers(repo, subject);
      expect(all).toEqual({ via: 'api', manifests: [sig, sbom] });
      expect(proxy.requests.filter((r) => r.includes('/referrers/'))).toHaveLength(2);
      expect((await c.referrers(repo, subject, { artifactType: 'application/spdx+json' })).manifests).toEqual([sbom]);
    } finally {
      await proxy.close();
    }
  });

  it('pulls through a mirror first, and applies rewrite rules', async () => {
    const mirror = await startRegistry();
    try {
      await skopeoCopy(`oci:${images['alpine-app'].layout}:1`, `docker://${mirror.host}/rw/alpine-app:1`, ['--dest-tls-verify=false']);
      // The image exists only on the mirror: the origin (our registry) would answer 404.
      const c = new RegistryClient({ hosts: { insecure: [registry.host, mirror.host], mirrors: { [registry.host]: [mirror.host] } } });
      const image = await c.resolveImage(`${registry.host}/rw/alpine-app:1`);
      expect(image.servedBy).toBe(mirror.host);
      expect(image.digest).toBe(images['alpine-app'].manifestDigest);
      const rewritten = new RegistryClient({ hosts: { insecure: [registry.host, mirror.host], rewrites: [{ from: 'docker.io/library/', to: `${mirror.host}/rw/` }] } });
      const viaRewrite = await rewritten.resolveImage('alpine-app:1');
      expect(viaRewrite.reference.registry).toBe(mirror.host);
      expect(viaRewrite.digest).toBe(images['alpine-app'].manifestDigest);
    } finally {
      await mirror.stop();
    }
  });

  it('refuses plain HTTP for a host not listed as insecure, with a hint', async () => {
    const strict = new RegistryClient({ transport: { retry: { retries: 0 } } });
    const error = await strict.resolve(`${registry.host}/rw/debian-app:1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toMatch(new RegExp(`^Cannot reach registry ${registry.host} \\(https://${registry.host}/v2/rw/debian-app/manifests/1\\)`));
    expect((error as RegistryError).hint).toBe(`${registry.host} does not speak HTTPS. If it is a plain-HTTP registry you trust, pass --insecure-registry ${registry.host}.`);
  });
});

describe.skipIf(skip !== undefined)('registry client with basic auth (htpasswd)', () => {
  let registry: Registry;
  let images: Awaited<ReturnType<typeof buildTestImages>>;

  beforeAll(async () => {
    images = await buildTestImages(await mkdtemp(join(tmpdir(), 'rw-regbasic-')));
    registry = await startRegistry({ auth: 'basic' });
    await skopeoCopy(`oci:${images.pause.layout}:1`, `docker://${registry.host}/rw/pause:1`, ['--dest-tls-verify=false', `--dest-creds=${REGISTRY_USER}:${REGISTRY_PASSWORD}`]);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('pulls with credentials', async () => {
    const c = new RegistryClient({ hosts: { insecure: [registry.host] }, credentials: staticCredentials({ [registry.host]: { username: REGISTRY_USER, password: REGISTRY_PASSWORD, source: 'test' } }) });
    expect((await c.resolveImage(`${registry.host}/rw/pause:1`)).digest).toBe(images.pause.manifestDigest);
  });

  it('throws unauthorized with a docker login hint without credentials, and names the source of refused ones', async () => {
    const anonymous = new RegistryClient({ hosts: { insecure: [registry.host] } });
    const error = await anonymous.resolve(`${registry.host}/rw/pause:1`).catch((e: unknown) => e);
    expect((error as RegistryError).message).toBe(`Registry ${registry.host} requires authentication for manifest 1 of rw/pause`);
    expect((error as RegistryError).hint).toBe(`No credentials for ${registry.host}: run "docker login ${registry.host}" (or pass --docker-config, or an imagePullSecret).`);
    const wrong = new RegistryClient({ hosts: { insecure: [registry.host] }, credentials: staticCredentials({ [registry.host]: { username: REGISTRY_USER, password: 'wrong', source: 'docker config /x/config.json' } }) });
    const refused = await wrong.resolve(`${registry.host}/rw/pause:1`).catch((e: unknown) => e);
    expect((refused as RegistryError).hint).toBe('The credentials from docker config /x/config.json were refused for rw/pause (pull): check the user, password or token and its access to the repository.');
  });
});

/**
 * distribution 2.8 with `auth: token`: the registry trusts JWTs signed by a key whose certificate
 * (made here with openssl) is in its rootcertbundle; the token endpoint is a small server in this
 * test that implements the Docker token handshake (basic auth in, signed JWT out).
 */
describe.skipIf(skip !== undefined)('bearer-token flow against distribution 2.8 configured with auth: token and a token server started by the test', () => {
  let registry: Registry;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  let tokenServer: Server;
  let tokenHost: string;
  const issued: Array<{ scope: string | null; account: string | null }> = [];
  let expiresIn = 300;
  let breakNext = 0;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rw-regtoken-'));
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=rw-token-issuer']);
    const key = await readFile(join(dir, 'key.pem'), 'utf8');
    const certDer = (await readFile(join(dir, 'cert.pem'), 'utf8')).replace(/-----[^-]+-----|\s/g, '');
    const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
    const jwt = (claims: object, signingKey = key): string => {
      const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
      const body = b64url(JSON.stringify(claims));
      const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(signingKey);
      return `${head}.${body}.${b64url(sig)}`;
    };
    const otherKey = (await run('openssl', ['genrsa', '2048'])).stdout;
    tokenServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const auth = req.headers.authorization ?? '';
      if (auth !== `Basic ${Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="rw-token"' });
        res.end();
        return;
      }
      const scope = url.searchParams.get('scope');
      issued.push({ scope, account: url.searchParams.get('account') });
      const [, name = '', actions = ''] = /^repository:(.+):([a-z,*]+)$/.exec(scope ?? '') ?? [];
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: 'rw-test-issuer', sub: REGISTRY_USER, aud: 'rw-registry', exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access: [{ type: 'repository', name, actions: actions.split(',') }] };
      const broken = breakNext > 0;
      if (broken) breakNext--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: jwt(claims, broken ? otherKey : key), expires_in: expiresIn, issued_at: new Date().toISOString() }));
    });
    tokenHost = await listen(tokenServer);
    registry = await startRegistry({ extraConfig: `auth:\n  token:\n    realm: http://${tokenHost}/token\n    service: rw-registry\n    issuer: rw-test-issuer\n    rootcertbundle: ${join(dir, 'cert.pem')}\n` });
    images = await buildTestImages(dir);
    await skopeoCopy(`oci:${images['alpine-app'].layout}:1`, `docker://${registry.host}/rw/alpine-app:1`, ['--dest-tls-verify=false', `--dest-creds=${REGISTRY_USER}:${REGISTRY_PASSWORD}`]);
  });
  afterAll(async () => {
    await registry?.stop();
    await new Promise((r) => tokenServer?.close(r));
  });

  const clientWith = (password = REGISTRY_PASSWORD): RegistryClient =>
    new RegistryClient({ hosts: { insecure: [registry.host, tokenHost] }, credentials: staticCredentials({ [registry.host]: { username: REGISTRY_USER, password, source: 'test credentials' } }) });

  it('fetches a token for the repository scope with basic credentials, and reuses it', async () => {
    issued.length = 0;
    const c = clientWith();
    const image = await c.resolveImage(`${registry.host}/rw/alpine-app:1`);
    expect(image.digest).toBe(images['alpine-app'].manifestDigest);
    expect(issued).toEqual([{ scope: 'repository:rw/alpine-app:pull', account: REGISTRY_USER }]);
    await c.resolve(`${registry.host}/rw/alpine-app:1`);
    expect(c.auth.tokenRequests).toBe(1);
  });

  it('refreshes a token once it expires', async () => {
    expiresIn = 1;
    try {
      const c = clientWith();
      await c.resolve(`${registry.host}/rw/alpine-app:1`);
      await new Promise((r) => setTimeout(r, 1100));
      await c.resolve(`${registry.host}/rw/alpine-app:1`);
      expect(c.auth.tokenRequests).toBe(2);
    } finally {
      expiresIn = 300;
    }
  });

  it('drops a token the registry refuses and fetches a new one', async () => {
    breakNext = 1; // the first token is signed by a key the registry does not trust
    const c = clientWith();
    expect((await c.resolve(`${registry.host}/rw/alpine-app:1`)).digest).toBe(images['alpine-app'].manifestDigest);
    expect(c.auth.tokenRequests).toBe(2);
  });

  it('throws auth-failed naming the token endpoint when it refuses the credentials', async () => {
    const error = await clientWith('wrong').resolve(`${registry.host}/rw/alpine-app:1`).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('auth-failed');
    expect((error as RegistryError).message).toBe(`Token endpoint ${tokenHost} refused the credentials from test credentials for repository:rw/alpine-app:pull (HTTP 401)`);
  });

  it('refuses to send credentials to a plain-HTTP token realm that is not listed as insecure', async () => {
    const c = new RegistryClient({ hosts: { insecure: [registry.host] }, credentials: staticCredentials({ [registry.host]: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } }) });
    const error = await c.resolve(`${registry.host}/rw/alpine-app:1`).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('insecure-token-realm');
    expect((error as RegistryError).hint).toBe(`If you trust ${tokenHost} on this network, pass --insecure-registry ${tokenHost}.`);
  });

  it('lists the registry storage it wrote (sanity: pushes went through the token flow)', async () => {
    expect(await readdir(join(registry.storage, 'docker/registry/v2/repositories/rw'))).toEqual(['alpine-app']);
  });
});
