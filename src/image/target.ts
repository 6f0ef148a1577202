/**
 * `<path>[:<ref>]` as skopeo writes it (`oci:/images/app:1`). A path may itself contain ":", so the
 * whole text is tried as a path first, then split at the last ":".
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../core/errors.js';

export async function splitPathRef(target: string, kind: string, want: 'file' | 'dir'): Promise<{ path: string; ref: string | undefined }> {
  const isWanted = async (p: string): Promise<boolean> => {
    const s = await stat(p).catch(() => undefined);
    return s !== undefined && (want === 'dir' ? s.isDirectory() : s.isFile());
  };
  if (target === '') throw new InputError(target, `Missing path after "${kind}:"`, { hint: `Write ${kind}:<${want === 'dir' ? 'folder' : 'file'}>[:<reference>].` });
  if (await isWanted(target)) return { path: target, ref: undefined };
  // A reference holds colons of its own ("redis:7.2.5", "localhost:5000/app:1", "sha256:<hex>"): the path is the
  // longest prefix before a colon that exists, as skopeo's oci:<path>:<reference> reads it.
  for (let colon = target.lastIndexOf(':'); colon > 0; colon = target.lastIndexOf(':', colon - 1)) {
    if (await isWanted(target.slice(0, colon))) return { path: target.slice(0, colon), ref: target.slice(colon + 1) || undefined };
  }
  throw new InputError(target, `${kind} ${want === 'dir' ? 'folder' : 'file'} "${target}" not found`, { hint: `Give an existing ${want === 'dir' ? 'folder' : 'file'}: ${kind}:<path>[:<reference>].` });
}
