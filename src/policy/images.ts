/** Helpers over container images shared by checks (no I/O). */
import { formatImageReference, repositoryName, tryParseImageReference, type ImageReference } from '../core/image-ref.js';

/** Default sandbox images: any repository whose last path component is `pause` (registry.k8s.io/pause, mcr…/pause, eks/pause, pause-amd64). */
export const DEFAULT_SANDBOX_IMAGES = ['*/pause:*', '*/pause', '*/pause@*', '*/pause-*'];

/** Glob over a normalised image name: `*` matches any run of characters, `?` one. */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

export function matchesAny(names: Iterable<string>, globs: RegExp[]): boolean {
  for (const name of names) {
    const ref = tryParseImageReference(name);
    const candidates = ref === undefined ? [name] : [name, formatImageReference(ref)];
    for (const candidate of candidates) if (globs.some((g) => g.test(candidate))) return true;
  }
  return false;
}

/** `registry/repo:tag` for a tagged reference (implicit `latest` when neither tag nor digest). */
export function tagKey(ref: ImageReference): string | undefined {
  const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
  return tag === undefined ? undefined : `${repositoryName(ref)}:${tag}`;
}


/**
 * A registry allow-list entry: a registry host (`ghcr.io`, `registry.local:5000`), a repository
 * prefix (`ghcr.io/acme`, `docker.io/library`) or either with `*` globs inside a path segment
 * (`*.dkr.ecr.*.amazonaws.com`). Returns why an entry is invalid, or undefined when it is valid.
 */
export function registryEntryProblem(entry: string): string | undefined {
  if (entry.trim() !== entry || entry === '') return 'must be a registry host or repository prefix without spaces';
  if (/^[a-z]+:\/\//i.test(entry)) return `must not include a URL scheme (write "${entry.replace(/^[a-z]+:\/\//i, '')}")`;
  if (entry.includes('@')) return 'must not include a digest';
  const segments = entry.replace(/\/+$/, '').split('/');
  if (segments.some((s) => s === '')) return 'must not contain empty path segments ("//")';
  if (segments.slice(1).some((s) => s.includes(':'))) return 'must not include a tag (allow-lists name registries and repositories, not versions)';
  if (!/^[A-Za-z0-9*.\-_:[\]]+$/.test(segments[0] ?? '')) return 'must start with a registry host such as "ghcr.io" or "registry.example.com:5000"';
  return undefined;
}

const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

function entrySegments(entry: string): string[] {
  const segments = entry.replace(/\/+$/, '').split('/');
  const host = (segments[0] ?? '').toLowerCase();
  segments[0] = DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
  return segments;
}

export interface AllowList {
  entries: readonly string[];
  /** The first entry that admits the image's repository (`registry/path`), or undefined. */
  admits(ref: ImageReference): string | undefined;
}

/** Compiles allow-list entries once (globs become regular expressions) for many lookups. */
export function compileAllowList(entries: readonly string[]): AllowList {
  const compiled = entries.map((entry) => ({ entry, segments: entrySegments(entry).map((s) => (s.includes('*') ? globToRegExp(s) : s)) }));
  const memo = new Map<string, string | undefined>();
  return {
    entries,
    admits(ref) {
      const key = `${ref.registry}/${ref.repository}`;
      if (memo.has(key)) return memo.get(key);
      const repo = [ref.registry.toLowerCase(), ...ref.repository.split('/')];
      const hit = compiled.find(({ segments }) => segments.length <= repo.length && segments.every((s, i) => (typeof s === 'string' ? s === repo[i] : s.test(repo[i] ?? ''))))?.entry;
      memo.set(key, hit);
      return hit;
    },
  };
}

/** The first allow-list entry that admits the image's repository (`registry/path`), or undefined. */
export function allowedBy(ref: ImageReference, entries: readonly string[]): string | undefined {
  return compileAllowList(entries).admits(ref);
}

/** Parses image references once per distinct string (thousands of pod templates share a few hundred images). */
export function imageParser(): (image: string) => ImageReference | undefined {
  const cache = new Map<string, ImageReference | undefined>();
  return (image) => {
    if (cache.has(image)) return cache.get(image);
    const ref = tryParseImageReference(image);
    cache.set(image, ref);
    return ref;
  };
}
