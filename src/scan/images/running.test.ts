/**
 * Running images → one scan per digest → findings per workload container. Images come from OCI
 * layouts (test/images.ts), a real registry (Debian's docker-registry, pushed with skopeo) and a real
 * containerd; advisories are the demo's real OSV records.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../../test/components.js';
import { startContainerd, type Containerd } from '../../../test/containerd.js';
import { buildTestImages, skopeoCopy } from '../../../test/images.js';
import { digest, inventoryOf, object, pod } from '../../../test/k8s.js';
import { startRegistry, type Registry } from '../../../test/registry.js';
import { fingerprint } from '../../core/finding.js';
import type { Inventory } from '../../core/inventory.js';
import type { Issue } from '../../core/issue.js';
import { LayerCache } from '../../image/analysis/cache.js';
import { RegistryClient } from '../../registry/client.js';
import { importAdvisories } from '../../vulndb/import.js';
import { openVulnDb, type Db } from '../../vulndb/store/index.js';
import { readSbomDir } from '../vulnerabilities.js';
import { containerdLocator, imageDirLocator, registryLocator } from './locate.js';
import { scanRunningImages } from './running.js';
import { vulnerabilities } from './contributors/vulnerabilities/index.js';

// These tests are about finding, reading and placing images: the vulnerability contributor only
// (lifecycle and malware have their own tests).
const contributors = [vulnerabilities];

const NOW = new Date('2026-11-28T12:00:00Z');

/** The issues other than the database's coverage (the demo advisories hold no Debian 12 nor Alpine v3.18). */
const besidesCoverage = (issues: readonly Issue[]): Issue[] => issues.filter((i) => i.code !== 'vuln-no-advisories');

function cluster(debianId: string, alpineId: string, extra: Array<Record<string, unknown>> = []): Inventory {
  return inventoryOf([
    object('ReplicaSet', 'web-1', 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } }),
    pod('web-1-a', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'web-1'], containers: [{ name: 'web', image: 'ghcr.io/acme/web:2', imageID: debianId }] }),
    pod('web-1-b', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'web-1'], containers: [{ name: 'web', image: 'ghcr.io/acme/web:2', imageID: debianId }] }),
    pod('worker', { ns: 'jobs', node: 'n1', containers: [{ name: 'main', image: 'ghcr.io/acme/web:2', imageID: debianId }, { name: 'sidecar', image: 'alpine:3.18', imageID: alpineId }] }),
    ...extra,
  ]);
}

describe('scanRunningImages', () => {
  let dir: string;
  let images: Awaited<ReturnType<typeof buildTestImages>>;
  let db: Db;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-running-'));
    images = await buildTestImages(dir);
    db = openVulnDb(':memory:');
    await importAdvisories(db, join(process.cwd(), 'demo', 'advisories', 'osv'));
  });

  it('scans each digest once from a folder of OCI layouts (by manifest digest or image ID) and reports per workload container', async () => {
    const debian = images['debian-app'].manifestDigest;
    const inventory = cluster(`ghcr.io/acme/web@${debian}`, images['alpine-app'].configDigest);
    const cache = LayerCache.open(':memory:');
    const result = await scanRunningImages(inventory, { db, contributors, locators: [imageDirLocator(join(dir, 'oci'))], cache, now: NOW });
    // one issue per release the database holds nothing for, naming the image(s), not one per container
    expect(result.issues.map((i) => [i.code, i.location, i.message])).toEqual([
      ['vuln-no-advisories', 'Alpine:v3.18', `The database holds no advisories for Alpine v3.18: the Alpine v3.18 packages of image docker.io/library/alpine@${images['alpine-app'].configDigest.slice(0, 19)}… were not checked for vulnerabilities`],
      ['vuln-no-advisories', 'Debian:12', `The database holds no advisories for Debian 12: the Debian 12 packages of image ghcr.io/acme/web@${debian.slice(0, 19)}… were not checked for vulnerabilities`],
    ]);
    expect(result.images.map((i) => [i.want.digest, i.from, i.containers, i.scan?.packages])).toEqual([
      [debian, 'image-dir', 2, 7],
      [images['alpine-app'].configDigest, 'image-dir', 1, 3],
    ]);
    const rows = result.findings.map((f) => `${f.subject.namespace}/${f.subject.workload?.name}/${f.subject.container} ${String(f.evidence.vulnerability)}`).sort();
    expect(rows).toEqual(['jobs/worker/main CVE-2021-23337', 'jobs/worker/main CVE-2023-32681', 'shop/web/web CVE-2021-23337', 'shop/web/web CVE-2023-32681']);
    const web = result.findings.find((f) => f.subject.workload?.name === 'web' && f.evidence.vulnerability === 'CVE-2021-23337');
    expect(web?.subject).toEqual({ type: 'container', namespace: 'shop', workload: { kind: 'Deployment', name: 'web' }, container: 'web', image: 'ghcr.io/acme/web:2' });
    expect(web?.id).toBe(fingerprint('vulnerable-package', web!.subject, 'CVE-2021-23337\0npm\0lodash\u00004.17.15'));
    expect(web?.evidence.imageDigest).toBe(debian);
    expect(web?.evidence.layer).toMatchObject({ index: 1, digest: images['debian-app'].layers[1]!.digest });
    expect(web?.evidence.packagesFrom).toMatch(/^image-dir oci:.*debian-app:sha256:/);
    cache.close();
  });

  it('turns an image no locator has into ONE issue naming the workloads, every reason and the fix', async () => {
    const missing = digest('9');
    const inventory = cluster(`ghcr.io/acme/web@${images['debian-app'].manifestDigest}`, images['alpine-app'].configDigest, [
      pod('api-a', { ns: 'shop', node: 'n1', containers: [{ name: 'api', image: 'ghcr.io/acme/api:1', imageID: `ghcr.io/acme/api@${missing}` }] }),
      pod('api-b', { ns: 'shop', node: 'n1', containers: [{ name: 'api', image: 'ghcr.io/acme/api:1', imageID: `ghcr.io/acme/api@${missing}` }] }),
    ]);
    const result = await scanRunningImages(inventory, { db, contributors, locators: [imageDirLocator(join(dir, 'oci')), registryLocator(new RegistryClient({ transport: { retry: { retries: 0 } }, hosts: { rewrites: [{ from: 'ghcr.io', to: '127.0.0.1:9' }], insecure: ['127.0.0.1:9'] } }))], now: NOW });
    expect(besidesCoverage(result.issues)).toHaveLength(1);
    const [unresolved] = besidesCoverage(result.issues);
    expect(unresolved?.code).toBe('image-unresolved');
    expect(unresolved?.message).toMatch(new RegExp(`^Image ghcr\\.io/acme/api@${missing}, run by shop/api-a, shop/api-b, could not be read, so it was not checked for vulnerabilities — image-dir: not in .*/oci; registry: `));
    expect(unresolved?.hint).toMatch(/^To scan it: add its OCI layout to .*; or give pull access \(--docker-config, --pull-secret\) or a mirror \(--registry-mirror\)\.$/);
    expect(result.findings).toHaveLength(4);
  });

  it('uses an SBOM given for a digest instead of the image: the image is never reported twice', async () => {
    const sbomDir = join(dir, 'sboms');
    await mkdir(sbomDir, { recursive: true });
    const debian = images['debian-app'].manifestDigest;
    await writeFile(join(sbomDir, `sha256-${debian.slice(7)}.cdx.json`), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'library', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15' }] }));
    const sboms = await readSbomDir(sbomDir);
    const inventory = cluster(`ghcr.io/acme/web@${debian}`, images['alpine-app'].configDigest);
    const result = await scanRunningImages(inventory, { db, contributors, sboms: sboms.byDigest, locators: [imageDirLocator(join(dir, 'oci'))], now: NOW });
    expect(result.images.map((i) => i.from)).toEqual(['sbom', 'image-dir']);
    const rows = result.findings.map((f) => `${f.subject.workload?.name}/${f.subject.container} ${String(f.evidence.vulnerability)} ${String(f.evidence.packagesFrom).endsWith('.cdx.json') ? 'sbom' : 'image'}`).sort();
    expect(rows).toEqual(['web/web CVE-2021-23337 sbom', 'worker/main CVE-2021-23337 sbom']);
  });

  it('reports a finding two digests of one workload container share once, naming both digests (on that container only)', async () => {
    const built = images['debian-app'];
    const inventory = inventoryOf([
      object('ReplicaSet', 'web-1', 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } }),
      object('ReplicaSet', 'api-1', 'shop', { metadata: { ownerReferences: [{ kind: 'Deployment', name: 'api', controller: true }] } }),
      pod('web-1-a', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'web-1'], containers: [{ name: 'web', image: 'ghcr.io/acme/web:2', imageID: `ghcr.io/acme/web@${built.manifestDigest}` }] }),
      // the same image reported by its ID on another node: two wants, one workload container
      pod('web-1-b', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'web-1'], containers: [{ name: 'web', image: 'ghcr.io/acme/web:2', imageID: built.configDigest }] }),
      // another workload runs the same image by its manifest digest only: its findings share their evidence with web's
      pod('api-1-a', { ns: 'shop', node: 'n1', owner: ['ReplicaSet', 'api-1'], containers: [{ name: 'api', image: 'ghcr.io/acme/web:2', imageID: `ghcr.io/acme/web@${built.manifestDigest}` }] }),
    ]);
    const result = await scanRunningImages(inventory, { db, contributors, locators: [imageDirLocator(join(dir, 'oci'))], now: NOW });
    expect(result.images).toHaveLength(2);
    // an image's containers in name order (namespace/workload), whatever order the pods were listed in
    expect(result.findings.map((f) => [f.subject.workload?.name, f.evidence.vulnerability, f.evidence.imageDigest, f.evidence.otherImageDigests])).toEqual([
      ['api', 'CVE-2021-23337', built.manifestDigest, undefined],
      ['api', 'CVE-2023-32681', built.manifestDigest, undefined],
      ['web', 'CVE-2021-23337', built.manifestDigest, [built.configDigest]],
      ['web', 'CVE-2023-32681', built.manifestDigest, [built.configDigest]],
    ]);
  });

  it('scans only the images of pods on the given nodes (a node agent and its own containerd)', async () => {
    const inventory = cluster(`ghcr.io/acme/web@${images['debian-app'].manifestDigest}`, images['alpine-app'].configDigest, [
      pod('elsewhere', { ns: 'shop', node: 'n2', containers: [{ name: 'api', image: 'ghcr.io/acme/api:1', imageID: `ghcr.io/acme/api@${digest('8')}` }] }),
    ]);
    const mine = await scanRunningImages(inventory, { db, contributors, locators: [imageDirLocator(join(dir, 'oci'))], nodes: ['n1'], now: NOW });
    expect([mine.images.length, besidesCoverage(mine.issues)]).toEqual([2, []]);
    const theirs = await scanRunningImages(inventory, { db, contributors, locators: [imageDirLocator(join(dir, 'oci'))], nodes: ['n2'], now: NOW });
    expect(theirs.images.map((i) => i.want.digest)).toEqual([digest('8')]);
    expect(theirs.issues.map((i) => i.code)).toEqual(['image-unresolved']);
  });

  it('matches only SBOMs, silently, when no locator is configured', async () => {
    const inventory = cluster(`ghcr.io/acme/web@${images['debian-app'].manifestDigest}`, images['alpine-app'].configDigest);
    const result = await scanRunningImages(inventory, { db, contributors, now: NOW });
    expect(result).toMatchObject({ findings: [], issues: [] });
    expect(result.images.map((i) => i.from)).toEqual([undefined, undefined]);
  });

  it('reports an unreadable image directory once', async () => {
    const inventory = cluster(`ghcr.io/acme/web@${images['debian-app'].manifestDigest}`, images['alpine-app'].configDigest);
    const result = await scanRunningImages(inventory, { db, contributors, locators: [imageDirLocator(join(dir, 'nope'))], now: NOW });
    expect(result.issues.map((i) => i.code)).toEqual(['image-dir', 'image-unresolved', 'image-unresolved']);
    expect(result.issues[0]?.message).toMatch(/^Cannot read the image directory ".*nope": ENOENT/);
  });

  const skip = requireComponent('docker-registry + skopeo + containerd', ['docker-registry', 'skopeo', 'containerd', 'ctr']);
  describe.skipIf(skip !== undefined)('from a real registry and a real containerd', () => {
    let registry: Registry;
    let containerd: Containerd;
    beforeAll(async () => {
      registry = await startRegistry();
      containerd = await startContainerd({ snapshotter: 'native' });
      await skopeoCopy(`oci:${images['debian-app'].layout}:1`, `docker://${registry.host}/rw/debian-app:1`, ['--dest-tls-verify=false']);
      await containerd.importImage(images['alpine-app'].layoutTar);
    });
    afterAll(async () => {
      await registry?.stop();
      await containerd?.stop();
    });

    it('reads a repo digest from its registry and an image ID from the node\'s containerd', async () => {
      const inventory = cluster(`${registry.host}/rw/debian-app@${images['debian-app'].manifestDigest}`, images['alpine-app'].configDigest);
      const locators = [containerdLocator({ address: containerd.address }), registryLocator(new RegistryClient({ hosts: { insecure: [registry.host] } }))];
      const result = await scanRunningImages(inventory, { db, contributors, locators, now: NOW });
      expect(besidesCoverage(result.issues)).toEqual([]);
      expect(result.images.map((i) => [i.from, i.scan?.image?.source, i.scan?.os?.id])).toEqual([
        ['registry', 'registry', 'debian'],
        ['containerd', 'containerd', 'alpine'],
      ]);
      expect(result.findings.map((f) => `${f.subject.workload?.name} ${String(f.evidence.vulnerability)}`).sort()).toEqual(['web CVE-2021-23337', 'web CVE-2023-32681', 'worker CVE-2021-23337', 'worker CVE-2023-32681']);
    });
  });
});
