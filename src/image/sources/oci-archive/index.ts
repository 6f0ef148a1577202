/**
 * `oci-archive:<file>[:<ref>]` — an OCI image layout inside a plain tar (skopeo `oci-archive:`,
 * `docker save` 25+ minus manifest.json use). The tar is indexed once (archive.ts) and blobs are
 * read as byte ranges of the file, never unpacked.
 */
import { TarArchive } from '../../archive.js';
import { openLayout } from '../../layout.js';
import { archiveStore } from '../../store.js';
import { splitPathRef } from '../../target.js';
import type { ImageSource } from '../../types.js';

export const ociArchive: ImageSource = {
  id: 'oci-archive',
  prefixes: ['oci-archive:'],
  syntax: 'oci-archive:<file>[:<ref>]',
  description: 'a tar of an OCI image layout (skopeo oci-archive:)',
  async open(target, options) {
    const { path, ref } = await splitPathRef(target, 'oci-archive', 'file');
    const archive = await TarArchive.open(path, 'OCI archive');
    const label = `OCI archive ${path}`;
    return openLayout(
      {
        source: 'oci-archive',
        input: `oci-archive:${target}`,
        label,
        file: path,
        ref,
        readFile: (name, max) => (archive.has(name) ? archive.read(name, max) : Promise.resolve(undefined)),
        store: archiveStore(archive, label),
        close: () => Promise.resolve(),
      },
      options,
    );
  },
};
