/**
 * `<reference>` (or `registry:<reference>`, `docker://<reference>`) — an image in an OCI
 * distribution registry, through src/registry (auth, retries, mirrors, insecure hosts, digest
 * verification). Referrers are looked up for the image manifest and, for a multi-platform image,
 * for its index too.
 */
import { formatImageReference } from '../../../core/image-ref.js';
import { RegistryClient } from '../../../registry/client.js';
import type { Descriptor } from '../../../registry/schema.js';
import { layersOf } from '../../store.js';
import type { ImageSource, ReferrersResult } from '../../types.js';

export const registrySource: ImageSource = {
  id: 'registry',
  prefixes: ['registry:', 'docker://'],
  syntax: '<reference> (e.g. ghcr.io/acme/app:1.2, nginx@sha256:…)',
  description: 'an OCI distribution registry (Docker Hub, GHCR, ECR, Harbor, distribution, …)',
  async open(target, options) {
    const client = options.registry ?? new RegistryClient();
    const image = await client.resolveImage(target, { platform: options.platform, signal: options.signal });
    const repo = image.repository;
    const subjects = [image.digest, image.index?.digest].filter((d): d is string => d !== undefined);
    return {
      source: 'registry',
      input: target,
      name: formatImageReference({ ...image.reference, digest: undefined }),
      digest: image.digest,
      mediaType: image.mediaType,
      manifest: image.manifest,
      config: image.config,
      configDigest: image.manifest.config.digest,
      platform: image.platform,
      index: image.index,
      layers: layersOf(image.manifest, image.config),
      openLayer: (layer, o = {}) => client.openBlob(repo, { digest: layer.digest, size: layer.size }, { signal: o.signal ?? options.signal }),
      referrers: async (o = {}): Promise<ReferrersResult> => {
        const manifests: Descriptor[] = [];
        let via: string | undefined;
        for (const subject of subjects) {
          const got = await client.referrers(repo, subject, { artifactType: o.artifactType, signal: o.signal ?? options.signal });
          via ??= got.via;
          for (const m of got.manifests) if (!manifests.some((x) => x.digest === m.digest)) manifests.push(m);
        }
        return { supported: true, via, manifests };
      },
      close: () => Promise.resolve(),
    };
  },
};
