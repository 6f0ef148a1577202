import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../core/image-ref.js';
import { RegistryProbe, type ProbeClient } from './probe.js';

/** A registry whose tag moves between two builds, counting what it is asked. */
function movingTag(): { client: ProbeClient; calls: { resolve: number; tags: number }; move(digest: string): void } {
  const calls = { resolve: 0, tags: 0 };
  let digest = `sha256:${'a'.repeat(64)}`;
  const client: ProbeClient = {
    resolve: () => {
      calls.resolve++;
      return Promise.resolve({ digest });
    },
    listTags: () => {
      calls.tags++;
      return Promise.resolve(['1.0.0', '1.0.1']);
    },
    referrers: () => Promise.resolve({ via: 'api', manifests: [] }),
    resolveImage: () => Promise.resolve({ config: {} }),
    getManifest: () => Promise.reject(new Error('not used')),
  };
  return { client, calls, move: (d) => (digest = d) };
}

describe('RegistryProbe answer lifetime', () => {
  const ref = parseImageReference('ghcr.io/acme/cart:1.0.0');

  it('asks once per tag for its whole life by default (one scan)', async () => {
    const r = movingTag();
    const probe = new RegistryProbe(r.client);
    await probe.tagDigest(ref, '1.0.0');
    r.move(`sha256:${'b'.repeat(64)}`);
    expect(await probe.tagDigest(ref, '1.0.0')).toEqual({ ok: true, value: `sha256:${'a'.repeat(64)}` });
    expect(r.calls.resolve).toBe(1);
  });

  it('with ttlMs (serve), asks again once an answer is older, so a tag that moved on is seen', async () => {
    const r = movingTag();
    let now = 1_000_000;
    const probe = new RegistryProbe(r.client, { ttlMs: 600_000, now: () => now });
    await probe.tagDigest(ref, '1.0.0');
    await probe.tags(ref);
    r.move(`sha256:${'b'.repeat(64)}`);
    now += 599_999;
    expect(await probe.tagDigest(ref, '1.0.0')).toEqual({ ok: true, value: `sha256:${'a'.repeat(64)}` });
    now += 1;
    expect(await probe.tagDigest(ref, '1.0.0')).toEqual({ ok: true, value: `sha256:${'b'.repeat(64)}` });
    await probe.tags(ref);
    expect(r.calls).toEqual({ resolve: 2, tags: 2 });
  });
});
