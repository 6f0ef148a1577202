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
  // "sha256:<hex>" refs contain a colon too: try the split that leaves a digest whole first.
  const digestAt = target.search(/:sha(256|512):[a-f0-9]+$/);
  if (digestAt > 0 && (await isWanted(target.slice(0, digestAt)))) return { path: target.slice(0, digestAt), ref: target.slice(digestAt + 1) };
  const colon = target.lastIndexOf(':');
  if (colon > 0 && (await isWanted(target.slice(0, colon)))) return { path: target.slice(0, colon), ref: target.slice(colon + 1) || undefined };
  throw new InputError(target, `${kind} ${want === 'dir' ? 'folder' : 'file'} "${target}" not found`, { hint: `Give an existing ${want === 'dir' ? 'folder' : 'file'}: ${kind}:<path>[:<reference>].` });
}
