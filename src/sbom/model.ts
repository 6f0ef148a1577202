/**
 * What an exported SBOM says, before it is written in a format: the image it describes, its OS and
 * packages (with provenance), dependency edges where a cataloger knows them, and the issues met while
 * cataloging (kept, so a partial SBOM says that it is partial).
 */
import type { Issue } from '../core/issue.js';
import type { Package } from '../core/package.js';
import type { OsInfo, PackageDependencies } from '../catalog/index.js';

export interface SbomSubject {
  /** What the user gave (`oci:/images/app:1`, `nginx:1.27`). */
  input: string;
  /** `registry`, `oci-layout`, `oci-archive`, `docker-archive`, `containerd`. */
  source: string;
  /** Image name when the source knows one (`docker.io/library/nginx:1.27`). */
  name: string | undefined;
  /** Manifest digest (undefined for a docker-archive). */
  digest: string | undefined;
  /** Config digest: the image ID. */
  configDigest: string;
  /** `linux/amd64`. */
  platform: string;
  /** Layer blob digests, base first. */
  layers: string[];
}

export interface SbomDocument {
  subject: SbomSubject;
  os: OsInfo | undefined;
  packages: Package[];
  /**
   * Dependency edges between packages (indexes into `packages`): one entry per package whose
   * dependencies are known (an empty `to` says it has none), with the names it depends on that are not
   * installed. A package without an entry has unknown dependencies.
   */
  dependencies: PackageDependencies[];
  issues: Issue[];
  /** false when a layer could not be read whole: the SBOM may miss packages. */
  complete: boolean;
  created: Date;
  tool: { name: string; version: string };
}

export const SBOM_FORMATS = ['cyclonedx', 'spdx'] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

/** `docker.io/library/nginx:1.27` → `docker.io/library/nginx`; digest references lose the digest. */
export function repositoryOf(name: string): string {
  const at = name.indexOf('@');
  const base = at === -1 ? name : name.slice(0, at);
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > slash ? base.slice(0, colon) : base;
}

/** The image's package URL (purl-spec PURL-TYPES "oci"): `pkg:oci/nginx@sha256%3A…?repository_url=…&arch=…`. */
export function imagePurl(subject: SbomSubject): string | undefined {
  return ociPurl(subject.digest ?? subject.configDigest, subject.name, subject.platform.split('/')[1]);
}

/** The `pkg:oci` purl of an image digest, with its name's repository and the architecture when known. */
export function ociPurl(digest: string, name: string | undefined, arch?: string): string | undefined {
  if (digest === '') return undefined;
  const repo = name === undefined ? undefined : repositoryOf(name);
  const last = repo === undefined ? 'image' : (repo.split('/').at(-1) ?? 'image');
  const q: string[] = [];
  if (arch !== undefined && arch !== '') q.push(`arch=${encodeURIComponent(arch)}`);
  if (repo !== undefined) q.push(`repository_url=${encodeURIComponent(repo).replace(/%2F/g, '/')}`);
  return `pkg:oci/${encodeURIComponent(last.toLowerCase())}@${encodeURIComponent(digest)}${q.length > 0 ? `?${q.join('&')}` : ''}`;
}

/** A name for the image in documents: its name, else what the user gave. */
export function subjectName(subject: SbomSubject): string {
  return subject.name ?? subject.input;
}
