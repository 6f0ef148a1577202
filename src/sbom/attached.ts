/**
 * SBOMs attached to an image as OCI referrers (distribution-spec 1.1: an artifact manifest whose
 * `subject` is the image, found through the referrers API or, on registries without it such as
 * distribution 2.8, the `sha256-<hex>` referrers tag). This is how CSSC-style build pipelines publish
 * SBOMs (`oras attach --artifact-type application/spdx+json …`). `--trust-attached-sbom` uses
 * `attachedSbomPackages` instead of cataloging the layers: the packages are the SBOM's, named as
 * coming from that referrer; nothing about them is re-checked against the layers.
 *
 * Choice when several are attached: the newest by `org.opencontainers.image.created`, CycloneDX before
 * SPDX on a tie; an unreadable one is an issue and the next one is tried.
 */
import { parseImageReference } from '../core/image-ref.js';
import { errorMessage } from '../core/errors.js';
import { issue, type Issue } from '../core/issue.js';
import type { Package } from '../core/package.js';
import type { RegistryClient, Repository } from '../registry/client.js';
import type { Descriptor } from '../registry/schema.js';
import type { ImageHandle } from '../image/types.js';
import { digestOf, parseDigest } from '../registry/digest.js';
import { MEDIA } from '../registry/media-types.js';
import type { PackageDependencies } from '../catalog/index.js';
import { readSbomText } from './read.js';

/** Artifact (and layer) media types of SBOMs runwarden reads → their format. */
export const SBOM_ARTIFACT_TYPES: Readonly<Record<string, 'cyclonedx' | 'spdx'>> = {
  'application/vnd.cyclonedx+json': 'cyclonedx',
  'application/spdx+json': 'spdx',
};

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export interface AttachedSbomOrigin {
  /** The artifact manifest's digest. */
  artifact: string;
  artifactType: string;
  format: 'cyclonedx' | 'spdx';
  /** The image digest it refers to (the platform manifest, or the index of a multi-platform image). */
  subject: string;
  /** How it was found: `api` or `tag-schema`. */
  via: string;
  /** The SBOM blob's digest. */
  blob: string;
  created: string | undefined;
}

export interface AttachedSbom {
  packages: Package[];
  /** The edges the SBOM states between its packages (indexes into `packages`), as read.ts reads them. */
  dependencies: PackageDependencies[];
  /** One line for reports: `registry/repo@sha256:… (application/spdx+json referrer of sha256:…)`. */
  origin: string;
  referrer: AttachedSbomOrigin;
}

export interface AttachedSbomResult {
  /** undefined when no readable SBOM is attached. */
  sbom: AttachedSbom | undefined;
  /** SBOM referrers seen (any format runwarden reads). */
  candidates: number;
  issues: Issue[];
}

/** `application/vnd.cyclonedx+json; version=1.6` → `application/vnd.cyclonedx+json`. */
function baseType(type: string | undefined): string | undefined {
  return type?.split(';')[0]?.trim().toLowerCase();
}

function repoOf(client: RegistryClient, image: Repository | string): Repository {
  if (typeof image !== 'string') return image;
  const ref = client.rewrite(parseImageReference(image));
  return { registry: ref.registry, repository: ref.repository };
}

/**
 * The packages of the newest readable SBOM attached to `digests` (tried in order: pass the platform
 * manifest's digest, then the index digest of a multi-platform image). Never throws for a registry or
 * SBOM problem: those are issues, and `sbom` is undefined.
 */
export async function attachedSbomPackages(
  client: RegistryClient,
  image: Repository | string,
  digests: string | readonly string[],
  options: { signal?: AbortSignal | undefined; maxBytes?: number | undefined } = {},
): Promise<AttachedSbomResult> {
  const issues: Issue[] = [];
  const repo = repoOf(client, image);
  const name = `${repo.registry}/${repo.repository}`;
  let candidates = 0;
  for (const subject of typeof digests === 'string' ? [digests] : digests) {
    let found: { via: string; manifests: Descriptor[] };
    try {
      found = await client.referrers(repo, subject, { signal: options.signal });
    } catch (error) {
      options.signal?.throwIfAborted();
      issues.push(issue('sbom-referrers-unavailable', `Referrers of ${name}@${subject} could not be listed: ${errorMessage(error)}`, `${name}@${subject}`, 'Without them no attached SBOM can be used; the image is cataloged instead.'));
      continue;
    }
    const sboms = found.manifests
      .filter((d) => SBOM_ARTIFACT_TYPES[baseType(d.artifactType) ?? ''] !== undefined)
      .map((d) => ({ d, created: d.annotations?.['org.opencontainers.image.created'], format: SBOM_ARTIFACT_TYPES[baseType(d.artifactType) ?? ''] ?? 'spdx' }))
      .sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || (a.format === b.format ? 0 : a.format === 'cyclonedx' ? -1 : 1));
    candidates += sboms.length;
    for (const { d, created, format } of sboms) {
      const where = `${name}@${d.digest}`;
      try {
        const result = await readReferrer(client, repo, d, format, where, options);
        issues.push(...result.issues);
        const referrer: AttachedSbomOrigin = { artifact: d.digest, artifactType: baseType(d.artifactType) ?? '', format: result.format, subject, via: found.via, blob: result.blob, created };
        const packages = result.packages.map((p) => ({ ...p, foundBy: `attached-${result.format}` }));
        return { sbom: { packages, dependencies: result.dependencies, origin: `${where} (${referrer.artifactType} referrer of ${subject}, via ${found.via})`, referrer }, candidates, issues };
      } catch (error) {
        options.signal?.throwIfAborted();
        issues.push(issue('sbom-attached-unreadable', `Attached SBOM ${where} (${d.artifactType ?? ''}) could not be read: ${errorMessage(error)}`, where, 'The next attached SBOM, if any, is tried; otherwise the image is cataloged.'));
      }
    }
  }
  return { sbom: undefined, candidates, issues };
}

async function readReferrer(
  client: RegistryClient,
  repo: Repository,
  d: Descriptor,
  format: 'cyclonedx' | 'spdx',
  where: string,
  options: { signal?: AbortSignal | undefined; maxBytes?: number | undefined },
): Promise<{ packages: Package[]; dependencies: PackageDependencies[]; issues: Issue[]; blob: string; format: 'cyclonedx' | 'spdx' }> {
  const manifest = await client.getManifest(repo, d.digest, { signal: options.signal });
  if (manifest.kind !== 'manifest') throw new Error('the referrer is an index, not an artifact manifest');
  const type = baseType(d.artifactType);
  const layers = manifest.manifest.layers;
  // The SBOM is the layer of the SBOM's media type; an artifact with one layer of another type (e.g. application/octet-stream) holds it too.
  const layer = layers.find((l) => baseType(l.mediaType) === type) ?? layers.find((l) => SBOM_ARTIFACT_TYPES[baseType(l.mediaType) ?? ''] !== undefined) ?? (layers.length === 1 ? layers[0] : undefined);
  if (layer === undefined) throw new Error(`none of its ${layers.length} layers is a ${format} document`);
  const bytes = await client.getBlob(repo, layer, { signal: options.signal, maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES });
  const input = readSbomText(bytes.toString('utf8'), where);
  if (input.format === 'purl-list') throw new Error(`its ${format} layer ${layer.digest} is not a ${format} JSON document`);
  const issues = [...input.issues];
  if (input.format !== format) issues.push(issue('sbom-attached-format', `Attached SBOM ${where} is declared ${type ?? ''} but holds ${input.format}; read as ${input.format}`, where));
  return { packages: input.packages, dependencies: input.dependencies, issues, blob: layer.digest, format: input.format };
}

/**
 * Attach an SBOM to an image as a referrer, the way build pipelines do (`oras attach`): an OCI
 * artifact manifest (empty config, the SBOM as its one layer, `subject` = the image). On a registry
 * without the referrers API (distribution 2.8) the `sha256-<hex>` referrers index is updated too
 * (distribution-spec "Pushing Manifests with Subject": clients maintain the tag). Returns the artifact digest.
 */
export async function attachSbom(
  client: RegistryClient,
  repo: Repository,
  subjectDigest: string,
  sbom: Buffer,
  artifactType: string,
  options: { created?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<string> {
  const subject = await client.getManifest(repo, subjectDigest, { signal: options.signal });
  const empty = await client.pushBlob(repo, Buffer.from('{}'), MEDIA.ociEmpty, { signal: options.signal });
  const layer = await client.pushBlob(repo, sbom, artifactType, { signal: options.signal });
  const annotations = options.created === undefined ? undefined : { 'org.opencontainers.image.created': options.created };
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, artifactType, config: { ...empty, data: 'e30=' }, layers: [layer], subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, annotations }));
  const digest = await client.putManifest(repo, digestOf(manifest), manifest, MEDIA.ociManifest, { signal: options.signal });
  const existing = await client.referrers(repo, subjectDigest, { signal: options.signal });
  if (existing.via === 'tag-schema' && !existing.manifests.some((m) => m.digest === digest)) {
    const entry: Descriptor = { mediaType: MEDIA.ociManifest, digest, size: manifest.length, artifactType };
    if (annotations !== undefined) entry.annotations = annotations;
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [...existing.manifests, entry] }));
    const { algorithm, hex } = parseDigest(subjectDigest, 'subject digest');
    await client.putManifest(repo, `${algorithm}-${hex}`, index, MEDIA.ociIndex, { signal: options.signal });
  }
  return digest;
}

/**
 * `attachedSbomPackages` for an opened image: its registry name, then its manifest digest and the digest
 * of the index it was chosen from. Images from other sources have no registry referrers: an issue says so.
 */
export async function attachedSbomOfImage(client: RegistryClient, handle: ImageHandle, options: { signal?: AbortSignal | undefined; maxBytes?: number | undefined } = {}): Promise<AttachedSbomResult> {
  if (handle.source !== 'registry' || handle.name === undefined || handle.digest === undefined) {
    return { sbom: undefined, candidates: 0, issues: [issue('sbom-attached-unsupported', `${handle.input} is not an image in a registry: attached SBOMs are found through registry referrers; the image is cataloged instead`, handle.input)] };
  }
  const digests = [handle.digest, handle.index?.digest].filter((d): d is string => d !== undefined);
  return attachedSbomPackages(client, handle.name, digests, options);
}
