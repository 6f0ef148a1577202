/**
 * Every image source, one folder each under `sources/` (id = folder name, contract-tested). The
 * CLI syntax picks one by prefix; a text without a known prefix is a registry reference.
 */
import { UsageError } from '../core/errors.js';
import { containerdSource } from './sources/containerd/index.js';
import { dockerArchive } from './sources/docker-archive/index.js';
import { ociArchive } from './sources/oci-archive/index.js';
import { ociLayout } from './sources/oci-layout/index.js';
import { registrySource } from './sources/registry/index.js';
import type { ImageHandle, ImageSource, OpenImageOptions } from './types.js';

export const IMAGE_SOURCES: readonly ImageSource[] = [registrySource, ociLayout, ociArchive, dockerArchive, containerdSource];

/** Which source an image argument names, and the rest of it. */
export function parseImageInput(input: string): { source: ImageSource; target: string } {
  const text = input.trim();
  if (text === '') throw new UsageError('Missing image: give a reference (nginx:1.27) or oci:<dir>, oci-archive:<file>, docker-archive:<file>, containerd:<name>.');
  // Longest prefix first: "oci-archive:" before "oci:".
  const candidates = IMAGE_SOURCES.flatMap((s) => s.prefixes.map((prefix) => ({ s, prefix }))).sort((a, b) => b.prefix.length - a.prefix.length);
  for (const { s, prefix } of candidates) {
    if (text.startsWith(prefix)) return { source: s, target: text.slice(prefix.length) };
  }
  // "word:/path" or "word:./path" is never an image reference (a tag starts with a word character,
  // a port with a digit): it is a mistyped source prefix.
  const scheme = /^([a-zA-Z][a-zA-Z0-9+-]*):(?=[/.~])/.exec(text);
  if (scheme !== null) {
    const known = IMAGE_SOURCES.flatMap((s) => s.prefixes).join(', ');
    throw new UsageError(`Unknown image source "${scheme[1] ?? ''}:" in "${input}": expected a registry reference or one of ${known}.`);
  }
  return { source: registrySource, target: text };
}

export function openImage(input: string, options: OpenImageOptions = {}): Promise<ImageHandle> {
  const { source, target } = parseImageInput(input);
  return source.open(target, options);
}
