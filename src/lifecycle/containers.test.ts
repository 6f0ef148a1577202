/**
 * Freshness, lifecycle referrers and verdicts against the real loopback registry (Debian's
 * docker-registry, distribution 2.8: no referrers API, so lifecycle referrers go through the
 * `sha256-<hex>` tag schema).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../test/components.js';
import { inventoryOf, pod } from '../../test/k8s.js';
import { startRegistry, type Registry } from '../../test/registry.js';
import { RegistryClient, type Repository } from '../registry/client.js';
import { digestOf } from '../registry/digest.js';
import { MEDIA } from '../registry/media-types.js';
import { containerLifecycle } from './containers.js';
import type { LifecycleData } from './data/schema.js';
import { loadLifecycle } from './data/store.js';
import { RegistryProbe } from './freshness/probe.js';
import { EOL_ANNOTATION, LIFECYCLE_ARTIFACT_TYPE } from './referrers/index.js';
import type { LifecycleSettings } from './verdict/image.js';

const skip = requireComponent('docker-registry', ['docker-registry']);
const NOW = new Date('2026-11-28T12:00:00Z');

let registry: Registry;
let client: RegistryClient;
let data: LifecycleData;
const digests: Record<string, string> = {};

/** A tiny image whose config says when it was built (so two builds of one tag differ). */
async function pushImage(repo: Repository, tag: string, created: string): Promise<{ digest: string; size: number }> {
  const layer = await client.pushBlob(repo, Buffer.from(`layer ${repo.repository} ${created}`), 'application/vnd.oci.image.layer.v1.tar');
  const config = Buffer.from(JSON.stringify({ created, architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/bin'] }, rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
  const cfg = await client.pushBlob(repo, config, MEDIA.ociConfig);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: cfg, layers: [layer] }));
  const digest = await client.putManifest(repo, tag, manifest, MEDIA.ociManifest);
  return { digest, size: manifest.length };
}

/** Attach lifecycle referrers to `subject` through the tag schema (an index tagged sha256-<hex>). */
async function attachLifecycle(repo: Repository, subject: { digest: string; size: number }, statements: Array<{ eol: string; created: string; annotateIndex: boolean }>): Promise<string[]> {
  const empty = await client.pushBlob(repo, Buffer.from('{}'), MEDIA.ociEmpty);
  const entries: unknown[] = [];
  const out: string[] = [];
  for (const s of statements) {
    const annotations = { [EOL_ANNOTATION]: s.eol, 'org.opencontainers.image.created': s.created };
    const artifact = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, artifactType: LIFECYCLE_ARTIFACT_TYPE, config: empty, layers: [empty], subject: { mediaType: MEDIA.ociManifest, ...subject }, annotations }));
    const digest = await client.putManifest(repo, digestOf(artifact), artifact, MEDIA.ociManifest);
    out.push(digest);
    // The tag-schema index need not copy annotations: the probe then reads the referrer manifest.
    entries.push({ mediaType: MEDIA.ociManifest, digest, size: artifact.length, artifactType: LIFECYCLE_ARTIFACT_TYPE, ...(s.annotateIndex ? { annotations } : {}) });
  }
  await client.putManifest(repo, `sha256-${subject.digest.slice(7)}`, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: entries })), MEDIA.ociIndex);
  return out;
}

describe.skipIf(skip !== undefined)('container lifecycle against the real registry', () => {
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ hosts: { insecure: [registry.host, '127.0.0.1:1'] }, transport: { retry: { retries: 0 } } });
    data = (await loadLifecycle(undefined)).data;
    const web = { registry: registry.host, repository: 'shop/web' };
    // The pod runs the January build of 1.25.3-alpine3.19; the tag has since moved to a November build.
    const old = await pushImage(web, '1.25.3-alpine3.19', '2026-01-05T00:00:00Z');
    digests.old = old.digest;
    digests.current = (await pushImage(web, '1.25.3-alpine3.19', '2026-11-01T00:00:00Z')).digest;
    for (const [tag, created] of [['1.25.5-alpine3.19', '2026-06-01'], ['1.27.3-alpine3.20', '2026-09-01'], ['2.0.0-alpine3.21', '2026-10-01'], ['1.25.9-perl', '2026-10-02'], ['latest', '2026-10-03'], ['1.27-alpine', '2026-09-02']] as const) {
      await pushImage(web, tag, `${created}T00:00:00Z`);
    }
    // Two lifecycle statements, one per date format: the newer one (created 2026-02) wins and says 2026-10-31.
    const refs = await attachLifecycle(web, old, [
      { eol: '2027-06-30', created: '2025-06-01T00:00:00Z', annotateIndex: true },
      { eol: '2026-10-31T00:00:00Z', created: '2026-02-01T00:00:00Z', annotateIndex: false },
    ]);
    digests.winner = refs[1] ?? '';
    const api = { registry: registry.host, repository: 'shop/api' };
    digests.api = (await pushImage(api, '3.4.1', '2026-11-20T00:00:00Z')).digest;
    await pushImage(api, '3.4.0', '2026-10-20T00:00:00Z');
  }, 60_000);
  afterAll(async () => {
    await registry.stop();
  });

  function inventory(): ReturnType<typeof inventoryOf> {
    return inventoryOf([
      pod('web-1', { ns: 'shop', owner: ['ReplicaSet', 'web-7d9'], containers: [{ name: 'nginx', image: `${registry.host}/shop/web:1.25.3-alpine3.19`, imageID: `${registry.host}/shop/web@${digests.old ?? ''}` }] }),
      pod('api-1', { ns: 'shop', containers: [{ name: 'api', image: `${registry.host}/shop/api:3.4.1`, imageID: `${registry.host}/shop/api@${digests.api ?? ''}` }] }),
      pod('gone-1', { ns: 'shop', containers: [{ name: 'app', image: '127.0.0.1:1/shop/gone:1.0.0', imageID: `127.0.0.1:1/shop/gone@sha256:${'a'.repeat(64)}` }] }),
      pod('node-1', { ns: 'legacy', containers: [{ name: 'app', image: 'node:16-alpine', imageID: `docker.io/library/node@sha256:${'b'.repeat(64)}` }] }),
    ]);
  }

  const settings = (): LifecycleSettings => ({ data, now: NOW, eolLookaheadDays: 90 });

  it('gives every container one verdict with its reason: drift + vendor end of life, fresh, registry down', async () => {
    const probe = new RegistryProbe(client);
    const inv = inventory();
    // node:16-alpine lives on Docker Hub, which this machine cannot reach: the probe is limited to the loopback registry.
    const r = await containerLifecycle(inv, { settings: settings(), probe, namespaces: new Set(['shop']) });
    expect(r.verdicts.map((v) => [v.pod, v.verdict])).toEqual([['web-1', 'end-of-life'], ['api-1', 'fresh'], ['gone-1', 'unknown']]);
    const web = r.verdicts[0];
    expect(web?.reasons).toEqual(['the publisher declared end of life on 2026-10-31']);
    const gone = r.verdicts[2];
    expect(gone?.reasons[0]).toMatch(/^cannot resolve 127\.0\.0\.1:1\/shop\/gone:1\.0\.0: /);
    expect(r.issues.map((i) => i.code)).toEqual(['lifecycle-referrers-failed']);
  });

  it('reports digest drift with both digests and the age of the new build, newer tags of the suffix family, and the vendor date', async () => {
    const r = await containerLifecycle(inventory(), { settings: settings(), probe: new RegistryProbe(client), namespaces: new Set(['shop']) });
    const web = r.findings.filter((f) => f.subject.container === 'nginx');
    expect(web.map((f) => [f.rule, f.kind, f.severity]).sort()).toEqual([['digest-drift', 'outdated', 'medium'], ['newer-tag', 'outdated', 'low'], ['vendor-end-of-life', 'end-of-life', 'high']]);
    const drift = web.find((f) => f.rule === 'digest-drift');
    expect(drift?.title).toBe(`${registry.host}/shop/web:1.25.3-alpine3.19: running an outdated build of 1.25.3-alpine3.19`);
    expect(drift?.evidence).toEqual({ tag: '1.25.3-alpine3.19', runningDigest: digests.old, currentDigest: digests.current, currentCreated: '2026-11-01T00:00:00Z', currentAgeDays: 27 });
    expect(drift?.subject).toEqual({ type: 'container', namespace: 'shop', workload: { kind: 'ReplicaSet', name: 'web-7d9' }, container: 'nginx', image: `${registry.host}/shop/web:1.25.3-alpine3.19` });
    const newer = web.find((f) => f.rule === 'newer-tag');
    expect(newer?.evidence).toEqual({ current: '1.25.3-alpine3.19', newestPatch: '1.25.5-alpine3.19', newestMinor: '1.27.3-alpine3.20', newestMajor: '2.0.0-alpine3.21', suffixFamily: 'alpine#' });
    const vendor = web.find((f) => f.rule === 'vendor-end-of-life');
    expect(vendor?.evidence).toEqual({ state: 'eol', annotation: '2026-10-31T00:00:00Z', referrer: digests.winner, referrerCreated: '2026-02-01T00:00:00Z', lifecycleReferrers: 2, imageDigest: digests.old });
    expect(r.findings.filter((f) => f.subject.container !== 'nginx')).toEqual([]);
  });

  it('asks the registry once per (repository, tag) and once per repository for tags, however many pods', async () => {
    const objects = [];
    for (let i = 0; i < 20; i++) objects.push(pod(`web-${i}`, { ns: 'shop', owner: ['ReplicaSet', `web-${i % 3}-abc`], containers: [{ name: 'nginx', image: `${registry.host}/shop/web:1.25.3-alpine3.19`, imageID: `${registry.host}/shop/web@${digests.old ?? ''}` }, { name: 'side', image: `${registry.host}/shop/web:1.27-alpine`, imageID: `${registry.host}/shop/web@${digests.old ?? ''}` }] }));
    const probe = new RegistryProbe(client);
    const r = await containerLifecycle(inventoryOf(objects), { settings: settings(), probe });
    expect(r.verdicts).toHaveLength(40);
    expect(probe.stats).toEqual({ heads: 2, tagLists: 1, referrers: 1, configs: 2 });
    // One finding set per workload container, not per pod: 3 ReplicaSets × (drift + newer + vendor) + 3 × (drift + vendor) for the sidecar.
    expect(r.findings.filter((f) => f.rule === 'digest-drift')).toHaveLength(6);
  });

  it('detects end of life from the image reference offline, and says the registry was not consulted', async () => {
    const r = await containerLifecycle(inventory(), { settings: settings(), namespaces: new Set(['legacy']) });
    expect(r.verdicts.map((v) => [v.pod, v.verdict, v.reasons, v.fix])).toEqual([['node-1', 'end-of-life', ['Node.js 16 reached end of life on 2023-09-11'], 'node:16-alpine → node:22-alpine']]);
    const f = r.findings[0];
    expect([f?.rule, f?.severity, f?.remediation]).toEqual(['end-of-life', 'high', 'Move to Node.js 22: node:16-alpine → node:22-alpine.']);
    expect(f?.evidence).toMatchObject({ product: 'nodejs', cycle: '16', eol: '2023-09-11', nextSupportedCycle: '22', detectedBy: ['image-reference: image docker.io/library/node:16-alpine'] });
    const offline = await containerLifecycle(inventory(), { settings: settings(), namespaces: new Set(['shop']) });
    expect(offline.verdicts.map((v) => [v.verdict, v.reasons])).toEqual([
      ['unknown', ['registry not consulted (offline scan)']],
      ['unknown', ['registry not consulted (offline scan)']],
      ['unknown', ['registry not consulted (offline scan)']],
    ]);
  });
});
