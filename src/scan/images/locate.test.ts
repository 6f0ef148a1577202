import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageDirLocator, wantLabel, type RunningImageWant } from './locate.js';

/** demo/images: one OCI layout holding every demo image, Docker Hub images as two-platform indexes. */
const DEMO = join(process.cwd(), 'demo', 'images');
const top = JSON.parse(readFileSync(join(DEMO, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; mediaType: string; annotations: Record<string, string> }> };
const redis = top.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'redis:7.2.5');
const want = (digest: string, extra: Partial<RunningImageWant> = {}): RunningImageWant => ({ digest, kind: 'repo-digest', repositories: ['docker.io/library/redis'], platform: { os: 'linux', architecture: 'amd64' }, ...extra });

describe('imageDirLocator', () => {
  it('opens an index by its digest for the node\'s platform, and a platform manifest of it by its own digest', async () => {
    expect(redis?.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const locator = imageDirLocator(DEMO);
    const amd64 = await locator.open(want(redis!.digest), undefined);
    expect([amd64.platform.architecture, amd64.index?.digest]).toEqual(['amd64', redis!.digest]);
    const arm64 = await locator.open(want(redis!.digest, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }), undefined);
    expect(arm64.platform.architecture).toBe('arm64');
    // the kubelet may report the platform manifest's digest instead: it is indexed too
    const byChild = await locator.open(want(arm64.digest!, { platform: undefined }), undefined);
    expect([byChild.digest, byChild.platform.architecture]).toEqual([arm64.digest, 'arm64']);
    // and the image ID (config digest) a runtime reports without a repo digest
    const byId = await locator.open(want(amd64.configDigest, { kind: 'image-id' }), undefined);
    expect(byId.digest).toBe(amd64.digest);
    expect(locator.issues()).toEqual([]);
  });

  it('says "not in <dir>" for a digest it does not hold', async () => {
    await expect(imageDirLocator(DEMO).open(want(`sha256:${'0'.repeat(64)}`), undefined)).rejects.toThrow(`not in ${DEMO}`);
  });

  it('skips a folder that is not a readable layout with one issue and indexes the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-image-dir-'));
    cpSync(DEMO, join(dir, 'demo'), { recursive: true });
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(dir, 'broken', 'index.json'), '{"manifests": [');
    const locator = imageDirLocator(dir);
    const image = await locator.open(want(redis!.digest), undefined);
    expect(image.index?.digest).toBe(redis!.digest);
    expect(locator.issues().map((i) => [i.code, i.location])).toEqual([['image-dir-layout', join(dir, 'broken')]]);
    expect(locator.issues()[0]?.message).toMatch(/^Skipped .*broken: not a readable OCI image layout: /);
  });

  it('names an image by its first repository and digest', () => {
    expect(wantLabel(want('sha256:ab'))).toBe('docker.io/library/redis@sha256:ab');
    expect(wantLabel(want('sha256:ab', { repositories: [] }))).toBe('sha256:ab');
  });
});
