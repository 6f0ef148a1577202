/**
 * Every image source, one folder each under `sources/` (id = folder name, contract-tested). The
 * CLI syntax picks one by prefix; a text without a known prefix is a registry reference.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
  localPathMistake(text);
  return { source: registrySource, target: text };
}

/**
 * A text without a source prefix that names a local OCI layout or file (`demo/images`, `app.tar`) was meant as
 * that, not as a registry repository of that name: say which prefix reads it, instead of asking a registry that
 * does not have it. A local folder without an `oci-layout` file stays a reference (`nginx` next to a folder `nginx`).
 */
function localPathMistake(text: string): void {
  let kind: 'layout' | 'file' | undefined;
  try {
    const stat = statSync(text, { throwIfNoEntry: false });
    if (stat?.isFile() === true) kind = 'file';
    else if (stat?.isDirectory() === true && existsSync(join(text, 'oci-layout'))) kind = 'layout';
  } catch {
    return;
  }
  if (kind === 'layout') throw new UsageError(`"${text}" is a local OCI image layout, not a registry reference: write oci:${text} (oci:${text}:<ref> for one image of several).`);
  if (kind === 'file') throw new UsageError(`"${text}" is a local file, not a registry reference: write docker-archive:${text} for a "docker save" archive, or oci-archive:${text} for an OCI layout in a tar.`);
}

export function openImage(input: string, options: OpenImageOptions = {}): Promise<ImageHandle> {
  const { source, target } = parseImageInput(input);
  return source.open(target, options);
}
