/**
 * Media types of the OCI image spec (media-types.md) and Docker's image manifest v2 schema 2, and
 * what each says about a layer's compression. A manifest request accepts all of them.
 */
export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The Accept header of a manifest request: every manifest and index type runwarden reads. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerManifestList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerManifestList;
}

export function isImageManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.ociManifest || mediaType === MEDIA.dockerManifest;
}

export function isSchema1MediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.dockerSchema1 || mediaType === MEDIA.dockerSchema1Signed || mediaType === 'application/json';
}

export type Compression = 'gzip' | 'zstd' | 'none';

/**
 * Compression a layer media type declares; `undefined` for a type that is not a layer runwarden
 * knows (the content is then sniffed). Covers the OCI `tar`, `+gzip`, `+zstd` and non-distributable
 * variants and Docker's rootfs diff types.
 */
export function layerCompression(mediaType: string): Compression | undefined {
  if (/^application\/vnd\.oci\.image\.layer\.(?:nondistributable\.)?v1\.tar(\+gzip|\+zstd)?$/.test(mediaType)) {
    if (mediaType.endsWith('+gzip')) return 'gzip';
    if (mediaType.endsWith('+zstd')) return 'zstd';
    return 'none';
  }
  if (mediaType === MEDIA.dockerLayerGzip || mediaType === MEDIA.dockerForeignLayerGzip) return 'gzip';
  if (mediaType === MEDIA.dockerLayerTar || mediaType === 'application/vnd.docker.image.rootfs.diff.tar.zstd') {
    return mediaType.endsWith('zstd') ? 'zstd' : 'none';
  }
  return undefined;
}
