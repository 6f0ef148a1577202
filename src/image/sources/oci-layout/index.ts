/**
 * `oci:<dir>[:<ref>]` — an OCI image layout folder (image-spec image-layout.md), as skopeo,
 * buildah, `oras` or `docker save` 25+ (unpacked) write it. Blobs are read and verified in place.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openLayout } from '../../layout.js';
import { folderStore, readCapped } from '../../store.js';
import { splitPathRef } from '../../target.js';
import type { ImageSource } from '../../types.js';

export const ociLayout: ImageSource = {
  id: 'oci-layout',
  prefixes: ['oci:', 'oci-layout:'],
  syntax: 'oci:<dir>[:<ref>]',
  description: 'an OCI image layout folder (skopeo, buildah, oras)',
  async open(target, options) {
    const { path, ref } = await splitPathRef(target, 'oci', 'dir');
    const dir = resolve(path);
    const label = `OCI layout ${path}`;
    return openLayout(
      {
        source: 'oci-layout',
        input: `oci:${target}`,
        label,
        file: dir,
        ref,
        readFile: (name, max) => readCapped(join(dir, name), max),
        // index.json as it is now: a rewrite (skopeo writes a new file) changes it, so no stale catalog is used
        version: async () => {
          const s = await stat(join(dir, 'index.json'), { bigint: true }).catch(() => undefined);
          return s === undefined ? undefined : `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
        },
        store: folderStore(dir, label),
        close: () => Promise.resolve(),
      },
      options,
    );
  },
};
