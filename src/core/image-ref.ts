/**
 * Image references per the distribution reference grammar
 * (github.com/distribution/reference, `reference.go` grammar and `normalize.go`):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := host [":" port]            host: DNS name | IPv4 | "[" IPv6 "]"
 *
 * Normalisation follows Docker: a first component is a registry host only when it contains "." or
 * ":" or is "localhost" (or has upper-case letters); otherwise the image lives on docker.io, and a
 * single-component docker.io name lives under "library/". Parsing is linear (bounded regexes on
 * already-split pieces), so untrusted input cannot cause catastrophic backtracking.
 */
import { InvalidReferenceError } from './errors.js';

export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_DEFAULT_REGISTRIES = new Set(['index.docker.io', 'registry-1.docker.io']);
const NAME_MAX = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_ALGORITHM = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
const DIGEST_ENCODED = /^[a-zA-Z0-9=_-]+$/;
const HOST_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:.]+(?:%[a-zA-Z0-9]+)?\]$/;
const PORT = /^[0-9]+$/;
const HEX64 = /^[a-f0-9]{64}$/;

export interface ImageReference {
  /** Registry host with optional port, normalised (`docker.io` for Docker Hub). */
  registry: string;
  /** Repository path inside the registry (`library/nginx`). */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
  /** The input exactly as given. */
  original: string;
}

/** Parse and normalise an image reference; throws `InvalidReferenceError` naming the reason. */
export function parseImageReference(input: string): ImageReference {
  const ref = input.trim();
  if (ref === '') throw new InvalidReferenceError(input, 'empty reference', { hint: 'Give an image such as "nginx:1.27" or "registry.example.com/team/app@sha256:<hex>".' });
  if (/\s/.test(ref)) throw new InvalidReferenceError(input, 'contains whitespace');
  if (HEX64.test(ref)) {
    throw new InvalidReferenceError(input, 'a 64-character hex string is an image ID, not a reference', { hint: 'Use "sha256:<hex>" for an image ID or add a repository name.' });
  }

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = parseDigest(rest.slice(at + 1), input);
    rest = rest.slice(0, at);
  }

  // A tag follows the last ":" that comes after the last "/" (a ":" before it is a port).
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw new InvalidReferenceError(input, `invalid tag "${tag}": must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  if (rest === '') throw new InvalidReferenceError(input, 'missing repository name');
  if (rest.length > NAME_MAX) throw new InvalidReferenceError(input, `repository name longer than ${NAME_MAX} characters`);

  const firstSlash = rest.indexOf('/');
  let registry = DEFAULT_REGISTRY;
  let path = rest;
  if (firstSlash !== -1) {
    const first = rest.slice(0, firstSlash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = parseDomain(first, input);
      path = rest.slice(firstSlash + 1);
    }
  }
  if (LEGACY_DEFAULT_REGISTRIES.has(registry)) registry = DEFAULT_REGISTRY;

  const components = path.split('/');
  for (const component of components) {
    if (component === '') throw new InvalidReferenceError(input, 'empty path component (double or trailing "/")');
    if (!PATH_COMPONENT.test(component)) {
      if (component !== component.toLowerCase()) throw new InvalidReferenceError(input, `repository name "${path}" must be lowercase`);
      throw new InvalidReferenceError(input, `invalid path component "${component}": use lowercase letters, digits and single separators (. _ __ -)`);
    }
  }
  if (registry === DEFAULT_REGISTRY && components.length === 1) path = `library/${path}`;

  return { registry, repository: path, tag, digest, original: input };
}

/** Parse without throwing; `undefined` for an invalid reference. */
export function tryParseImageReference(input: string): ImageReference | undefined {
  try {
    return parseImageReference(input);
  } catch {
    return undefined;
  }
}

function parseDomain(domain: string, input: string): string {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close === -1) throw new InvalidReferenceError(input, `invalid registry "${domain}": unclosed IPv6 bracket`);
    host = domain.slice(0, close + 1);
    const after = domain.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new InvalidReferenceError(input, `invalid registry "${domain}"`);
      port = after.slice(1);
    }
    if (!IPV6.test(host)) throw new InvalidReferenceError(input, `invalid IPv6 registry host "${host}"`);
  } else {
    const colon = domain.indexOf(':');
    if (colon !== -1) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    for (const label of host.split('.')) {
      if (!HOST_LABEL.test(label)) throw new InvalidReferenceError(input, `invalid registry host "${host}"`);
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) {
    throw new InvalidReferenceError(input, `invalid registry port "${port}"`);
  }
  return domain.toLowerCase();
}

function parseDigest(value: string, input: string): string {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new InvalidReferenceError(input, `invalid digest "${value}": expected "<algorithm>:<hex>"`);
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  if (!DIGEST_ALGORITHM.test(algorithm) || !DIGEST_ENCODED.test(encoded)) {
    throw new InvalidReferenceError(input, `invalid digest "${value}"`);
  }
  if (algorithm === 'sha256' && !HEX64.test(encoded)) throw new InvalidReferenceError(input, 'invalid sha256 digest: expected 64 lowercase hex characters');
  if (algorithm === 'sha512' && !/^[a-f0-9]{128}$/.test(encoded)) throw new InvalidReferenceError(input, 'invalid sha512 digest: expected 128 lowercase hex characters');
  return value;
}

/** `registry/repository`, the identity of an image name regardless of tag or digest. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Fully normalised string: `docker.io/library/nginx:1.27@sha256:…`. */
export function formatImageReference(ref: ImageReference): string {
  let out = repositoryName(ref);
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** Docker's implicit tag: a reference with neither tag nor digest means `:latest`. */
export function effectiveTag(ref: ImageReference): string | undefined {
  if (ref.tag !== undefined) return ref.tag;
  return ref.digest === undefined ? 'latest' : undefined;
}

/** What a container runtime reports as the image a container runs (`status.containerStatuses[].imageID`). */
export interface RunningImage {
  /** `sha256:<hex>`. */
  digest: string;
  /**
   * `repo-digest`: a manifest digest of a repository (`repo@sha256:…`), comparable with registry digests.
   * `image-id`: a local image ID (the config digest), as dockershim's `docker://sha256:…` reports.
   */
  kind: 'repo-digest' | 'image-id';
  /** Normalised `registry/repository` when the runtime named it. */
  repository: string | undefined;
}

const RUNTIME_PREFIXES = ['docker-pullable://', 'docker://', 'containerd://', 'cri-o://'] as const;

/**
 * Parse `imageID` in every form runtimes emit: `docker-pullable://repo@sha256:…` (dockershim),
 * `docker://sha256:…` (dockershim image ID), bare `sha256:…`, and `repo@sha256:…` (containerd, CRI-O).
 * Returns `undefined` for an empty or unrecognisable value (e.g. a container still pulling).
 */
export function parseImageId(imageId: string | undefined): RunningImage | undefined {
  if (imageId === undefined) return undefined;
  let value = imageId.trim();
  if (value === '') return undefined;
  for (const p of RUNTIME_PREFIXES) {
    if (value.startsWith(p)) {
      value = value.slice(p.length);
      break;
    }
  }
  const at = value.lastIndexOf('@');
  if (at === -1) {
    if (/^sha256:[a-f0-9]{64}$/.test(value)) {
      // dockershim's `docker://sha256:` is the image ID (config digest). A bare `sha256:` from
      // containerd/CRI-O (`image_ref` without a repo digest) is the same: a local image ID.
      return { digest: value, kind: 'image-id', repository: undefined };
    }
    return undefined;
  }
  const digest = value.slice(at + 1);
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) return undefined;
  const ref = tryParseImageReference(value.slice(0, at));
  return { digest, kind: 'repo-digest', repository: ref === undefined ? undefined : repositoryName(ref) };
}
