/**
 * What every image source yields: one image, resolved to a manifest, config and ordered layers,
 * with verified access to its blobs. Analysers never see this: they read files through a
 * FileResolver (layers/resolver.ts) and the single pass (analysis/run.ts).
 */
import type { Readable } from 'node:stream';
import type { RegistryClient } from '../registry/client.js';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from '../registry/schema.js';

export const IMAGE_SOURCE_IDS = ['registry', 'oci-layout', 'oci-archive', 'docker-archive', 'containerd'] as const;
export type ImageSourceId = (typeof IMAGE_SOURCE_IDS)[number];

export interface LayerRef {
  /** 0 = the base layer. */
  index: number;
  /** Digest of the blob as stored (compressed); the layer cache key. */
  digest: string;
  size: number;
  mediaType: string;
  /** Digest of the uncompressed tar (config `rootfs.diff_ids`), when the config lists it. */
  diffId: string | undefined;
}

export interface ReferrersResult {
  /** false when the source cannot hold referrers (docker-archive, containerd). */
  supported: boolean;
  /** How they were found: `api`, `tag-schema`, `layout` (subject fields in an OCI layout). */
  via: string | undefined;
  manifests: Descriptor[];
}

export interface ImageHandle {
  source: ImageSourceId;
  /** What the user gave, e.g. `oci:/images/app:1`. */
  input: string;
  /** The image name when the source knows one (`docker.io/library/nginx:1.27`). */
  name: string | undefined;
  /** Manifest digest; undefined for a docker-archive, which stores no manifest. */
  digest: string | undefined;
  mediaType: string;
  manifest: ImageManifest;
  config: ImageConfig;
  /** The config digest: the image ID runtimes report. */
  configDigest: string;
  platform: Platform;
  /** The index the manifest was chosen from. */
  index: { digest: string | undefined; mediaType: string; manifests: Descriptor[] } | undefined;
  layers: LayerRef[];
  /** A layer blob as a stream that errors at its end unless it matches the layer's digest. */
  openLayer(layer: LayerRef, options?: { signal?: AbortSignal | undefined }): Promise<Readable>;
  referrers(options?: { artifactType?: string | undefined; signal?: AbortSignal | undefined }): Promise<ReferrersResult>;
  /** Release files and connections. */
  close(): Promise<void>;
}

export interface OpenImageOptions {
  /** Platform to choose from an index (default: this machine's). */
  platform?: Platform | undefined;
  signal?: AbortSignal | undefined;
  /** The registry client (credentials, insecure hosts, mirrors) for the `registry` source. */
  registry?: RegistryClient | undefined;
  /** The `containerd` source: socket address, namespace (default `k8s.io`), and root for direct blob reads. */
  containerd?: { address?: string | undefined; namespace?: string | undefined; root?: string | undefined } | undefined;
}

/** An image source plugin: one folder under `sources/`, listed in `registry.ts`. */
export interface ImageSource {
  id: ImageSourceId;
  /** CLI prefixes: `oci:` … (the registry source has none: a plain reference). */
  prefixes: readonly string[];
  /** Usage, e.g. `oci:<dir>[:<ref>]`. */
  syntax: string;
  description: string;
  open(target: string, options: OpenImageOptions): Promise<ImageHandle>;
}
