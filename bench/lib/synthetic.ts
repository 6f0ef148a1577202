/**
 * Deterministic building blocks for synthetic clusters: the demo (scripts/generate-demo.ts) and the
 * benches (inventory, network) use the same names, ids and image references, so their snapshots look
 * alike and are reproducible byte for byte.
 */
import { createHash } from 'node:crypto';

/** mulberry32: small, fast, seedable; enough for a fixture. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A stable fake image digest for a reference (and a variant, for a moved tag). */
export function digestOf(image: string, variant = ''): string {
  return `sha256:${sha(`${image}#${variant}`)}`;
}

/** A stable UUID-shaped object uid. */
export function uid(text: string): string {
  const h = sha(`uid:${text}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A stable suffix in the alphabet Kubernetes uses for generated names (ReplicaSet hash, pod suffix). */
export function nameSuffix(text: string, n = 10): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const h = sha(text);
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[parseInt(h.slice(i * 2, i * 2 + 2), 16) % alphabet.length];
  return out;
}

/** Normalised repository of a short Docker Hub name, as runtimes report it in imageID. */
export function repoOf(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastColon = noDigest.lastIndexOf(':');
  const repo = lastColon > noDigest.lastIndexOf('/') ? noDigest.slice(0, lastColon) : noDigest;
  const first = repo.split('/')[0] ?? '';
  if (!repo.includes('/')) return `docker.io/library/${repo}`;
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') return `docker.io/${repo}`;
  return repo;
}

/** The normalised reference with its tag (`latest` when none), as runtimes list it. */
export function withTag(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastColon = noDigest.lastIndexOf(':');
  const tag = lastColon > noDigest.lastIndexOf('/') ? noDigest.slice(lastColon + 1) : 'latest';
  return `${repoOf(image)}:${tag}`;
}
