/**
 * Resolving an image from content-addressed storage (an OCI layout, a layout inside a tar, a
 * containerd content store): root descriptor → index (platform choice) → manifest → config →
 * layers. Shared by the local sources; every blob read is verified against its digest.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError, RegistryError } from '../core/errors.js';
import { parseDigest, verified, verifyContent } from '../registry/digest.js';
import type { TarArchive } from './archive.js';
import { FileBlobStream } from './file-blob.js';
import { parseConfig, parseManifest } from '../registry/client.js';
import { MEDIA } from '../registry/media-types.js';
import { assertPlatform, defaultPlatform, selectPlatform } from '../registry/platform.js';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from '../registry/schema.js';
import type { ImageHandle, LayerRef } from './types.js';

export interface BlobStore {
  /** For messages: `OCI layout /images/app`. */
  label: string;
  /** A blob's bytes, verified, at most `maxBytes`. */
  read(descriptor: { digest: string; size?: number | undefined }, maxBytes: number, signal?: AbortSignal): Promise<Buffer>;
  /** A blob as a stream that errors at its end unless it matches the digest and size. */
  open(descriptor: { digest: string; size?: number | undefined }, signal?: AbortSignal): Promise<Readable>;
}

export interface StoreImage {
  digest: string;
  mediaType: string;
  manifest: ImageManifest;
  config: ImageConfig;
  configDigest: string;
  platform: Platform;
  index: ImageHandle['index'];
  layers: LayerRef[];
}

const MAX_MANIFEST = 4 * 1024 * 1024;
const MAX_CONFIG = 8 * 1024 * 1024;

/** Follow `root` (a manifest or an index) to one image for `platform` (default: this machine's). */
export async function resolveFromStore(store: BlobStore, root: Descriptor, options: { platform?: Platform | undefined; signal?: AbortSignal | undefined; what: string }): Promise<StoreImage> {
  const want = options.platform ?? defaultPlatform();
  let descriptor: Descriptor = root;
  let index: ImageHandle['index'];
  for (let depth = 0; ; depth++) {
    const bytes = await store.read(descriptor, MAX_MANIFEST, options.signal);
    const got = parseManifest(bytes, descriptor.digest, descriptor.mediaType, `manifest ${descriptor.digest} in ${store.label}`, store.label);
    if (got.kind === 'manifest') {
      const manifest = got.manifest;
      if (manifest.config.mediaType !== MEDIA.ociConfig && manifest.config.mediaType !== MEDIA.dockerConfig) {
        throw new RegistryError('not-an-image', `${options.what} is an artifact (config ${manifest.config.mediaType}), not a container image`);
      }
      const configBytes = await store.read(manifest.config, MAX_CONFIG, options.signal);
      const config = parseConfig(configBytes, `config ${manifest.config.digest} in ${store.label}`);
      const platform: Platform = { os: config.os ?? want.os, architecture: config.architecture ?? want.architecture };
      if (config.variant !== undefined) platform.variant = config.variant;
      if (index === undefined && options.platform !== undefined) assertPlatform(options.platform, platform, options.what);
      return { digest: got.digest, mediaType: got.mediaType, manifest, config, configDigest: manifest.config.digest, platform, index, layers: layersOf(manifest, config) };
    }
    if (depth > 1) throw new RegistryError('index-too-deep', `${options.what}: indexes nested more than two levels in ${store.label}`);
    index ??= { digest: got.digest, mediaType: got.mediaType, manifests: got.index.manifests };
    descriptor = selectPlatform(got.index.manifests, want, `Index ${got.digest} of ${options.what}`);
  }
}

/** Layers of a manifest, with the config's diff IDs when their count matches. */
export function layersOf(manifest: ImageManifest, config: ImageConfig): LayerRef[] {
  const diffIds = config.rootfs.diff_ids;
  const match = diffIds.length === manifest.layers.length;
  return manifest.layers.map((l, index) => ({ index, digest: l.digest, size: l.size, mediaType: l.mediaType, diffId: match ? diffIds[index] : undefined }));
}

/** A whole small file, or undefined when it does not exist; InputError when over `maxBytes`. */
export async function readCapped(path: string, maxBytes: number): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = (await fh.stat()).size;
    if (size > maxBytes) throw new InputError(path, `"${path}" is ${size} bytes, more than the ${maxBytes} accepted`);
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

/** Blobs of a layout folder: `blobs/<algorithm>/<hex>`, names built only from validated digests. */
export function folderStore(dir: string, label: string): BlobStore {
  const pathOf = (digest: string): string => {
    const { algorithm, hex } = parseDigest(digest, `blob digest in ${label}`);
    return join(dir, 'blobs', algorithm, hex);
  };
  const missing = (digest: string): InputError => new InputError(dir, `${label} lacks blob ${digest}`, { hint: 'The layout is incomplete: copy the image again (skopeo copy … oci:<dir>).' });
  return {
    label,
    async read(d, maxBytes) {
      const bytes = await readCapped(pathOf(d.digest), maxBytes);
      if (bytes === undefined) throw missing(d.digest);
      verifyContent(bytes, d, `blob ${d.digest} in ${label}`);
      return bytes;
    },
    async open(d, signal) {
      const path = pathOf(d.digest);
      signal?.throwIfAborted();
      let fh;
      try {
        fh = await open(path, 'r');
      } catch (error) {
        throw (error as NodeJS.ErrnoException).code === 'ENOENT' ? missing(d.digest) : error;
      }
      return new FileBlobStream(fh, d, `blob ${d.digest} in ${label}`, signal);
    },
  };
}

/** Blobs of a layout inside a tar archive. */
export function archiveStore(archive: TarArchive, label: string): BlobStore {
  const nameOf = (digest: string): string => {
    const { algorithm, hex } = parseDigest(digest, `blob digest in ${label}`);
    return `blobs/${algorithm}/${hex}`;
  };
  const missing = (digest: string): InputError => new InputError(archive.file, `${label} lacks blob ${digest}`, { hint: 'The archive is incomplete: export the image again.' });
  return {
    label,
    async read(d, maxBytes) {
      if (!archive.has(nameOf(d.digest))) throw missing(d.digest);
      const bytes = await archive.read(nameOf(d.digest), maxBytes);
      verifyContent(bytes, d, `blob ${d.digest} in ${label}`);
      return bytes;
    },
    open(d, signal) {
      if (!archive.has(nameOf(d.digest))) return Promise.reject(missing(d.digest));
      return Promise.resolve(verified(archive.stream(nameOf(d.digest), signal), d, `blob ${d.digest} in ${label}`));
    },
  };
}
