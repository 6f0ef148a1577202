import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inventoryOf, pod } from '../../../test/k8s.js';
import { parseImageReference } from '../../core/image-ref.js';
import { containerLifecycle } from '../containers.js';
import { loadLifecycle } from '../data/store.js';
import type { LifecycleData } from '../data/schema.js';
import { layoutProbeClient } from './layout-client.js';
import { RegistryProbe } from './probe.js';

let dir: string;
let data: LifecycleData;
const digests: Record<string, string> = {};

function put(json: unknown): string {
  const bytes = Buffer.from(JSON.stringify(json));
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes);
  return `sha256:${hex}`;
}

beforeAll(async () => {
  data = (await loadLifecycle(undefined)).data;
  dir = mkdtempSync(join(tmpdir(), 'rw-layout-'));
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const image = (created: string): string => {
    const config = put({ created, architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
    return put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 1 }, layers: [] });
  };
  digests.current = image('2026-11-20T00:00:00Z');
  digests.old = image('2026-10-01T00:00:00Z');
  digests.patch = image('2026-11-21T00:00:00Z');
  const entry = (digest: string, name: string): unknown => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1, annotations: { 'org.opencontainers.image.ref.name': name } });
  // Lifecycle referrers as `oras attach --oci-layout` stores them: a manifest naming the image as its subject
  // (on the patch build), and a tag-schema index `sha256-<hex>` (on the current build) with an RFC 3339 date.
  const empty = put({});
  const lifecycle = (subject: string, annotations: Record<string, string>): string => put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.microsoft.artifact.lifecycle', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 }, layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 }], subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: 1 }, annotations });
  digests.patchEol = lifecycle(digests.patch, { 'vnd.microsoft.artifact.lifecycle.end-of-life.date': '2026-11-01', 'org.opencontainers.image.created': '2026-10-01T00:00:00Z' });
  digests.currentEol = lifecycle(digests.current, {});
  const tagIndex = put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digests.currentEol, size: 1, artifactType: 'application/vnd.microsoft.artifact.lifecycle', annotations: { 'vnd.microsoft.artifact.lifecycle.end-of-life.date': '2027-03-01T00:00:00Z' } }] });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [
    entry(digests.current, 'ghcr.io/acme/cart:2.1.0'), entry(digests.patch, 'ghcr.io/acme/cart:2.1.1'), entry(digests.old, 'ghcr.io/acme/cart:2.1.0-previous'),
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digests.patchEol, size: 1, artifactType: 'application/vnd.microsoft.artifact.lifecycle' },
    entry(tagIndex, `sha256-${digests.current.slice(7)}`),
  ] }));
});

describe('layoutProbeClient (an OCI layout standing in for the registries)', () => {
  it('resolves tags, lists a repository\'s tags and reads a build\'s creation time', async () => {
    const client = await layoutProbeClient(dir);
    expect((await client.resolve(parseImageReference('ghcr.io/acme/cart:2.1.0'))).digest).toBe(digests.current);
    expect(await client.listTags({ registry: 'ghcr.io', repository: 'acme/cart' })).toEqual(['2.1.0', '2.1.1', '2.1.0-previous']);
    expect((await client.resolveImage(parseImageReference(`ghcr.io/acme/cart@${digests.current ?? ''}`))).config.created).toBe('2026-11-20T00:00:00Z');
    await expect(client.resolve(parseImageReference('ghcr.io/acme/cart:9.9'))).rejects.toThrow(`ghcr.io/acme/cart:9.9 not found in the OCI layout ${dir}`);
  });

  it('lets containerLifecycle see drift and newer tags offline', async () => {
    const inv = inventoryOf([pod('cart-1', { ns: 'shop', containers: [{ name: 'cart', image: 'ghcr.io/acme/cart:2.1.0', imageID: `ghcr.io/acme/cart@${digests.old ?? ''}` }] })]);
    const r = await containerLifecycle(inv, { settings: { data, now: new Date('2026-11-28T00:00:00Z'), eolLookaheadDays: 90 }, probe: new RegistryProbe(await layoutProbeClient(dir)) });
    expect(r.verdicts.map((v) => [v.verdict, v.reasons, v.fix])).toEqual([['outdated', ['running an outdated build of 2.1.0', 'newer patch 2.1.1'], `re-pull 2.1.0 to ${digests.current ?? ''}`]]);
    expect(r.findings.find((f) => f.rule === 'digest-drift')?.evidence).toMatchObject({ currentCreated: '2026-11-20T00:00:00Z', currentAgeDays: 8 });
  });

  it('finds lifecycle referrers stored in the layout (subject, tag-schema index), so the vendor date reaches the verdict offline', async () => {
    const client = await layoutProbeClient(dir);
    const repo = { registry: 'ghcr.io', repository: 'acme/cart' };
    expect((await client.referrers(repo, digests.patch ?? '', { artifactType: 'application/vnd.microsoft.artifact.lifecycle' })).manifests.map((m) => m.digest)).toEqual([digests.patchEol]);
    expect((await client.referrers(repo, digests.current ?? '')).manifests.map((m) => [m.digest, m.annotations])).toEqual([[digests.currentEol, { 'vnd.microsoft.artifact.lifecycle.end-of-life.date': '2027-03-01T00:00:00Z' }]]);
    expect((await client.referrers(repo, digests.old ?? '')).manifests).toEqual([]);
    const inv = inventoryOf([pod('cart-1', { ns: 'shop', containers: [{ name: 'cart', image: 'ghcr.io/acme/cart:2.1.1', imageID: `ghcr.io/acme/cart@${digests.patch ?? ''}` }] })]);
    const r = await containerLifecycle(inv, { settings: { data, now: new Date('2026-11-28T00:00:00Z'), eolLookaheadDays: 90 }, probe: new RegistryProbe(await layoutProbeClient(dir)) });
    expect(r.verdicts.map((v) => [v.verdict, v.reasons])).toEqual([['end-of-life', ['the publisher declared end of life on 2026-11-01']]]);
    expect(r.findings.map((f) => [f.rule, f.evidence.referrer, f.evidence.annotation])).toEqual([['vendor-end-of-life', digests.patchEol, '2026-11-01']]);
  });
});
