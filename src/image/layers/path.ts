/**
 * Tar header names are untrusted (OCI image-spec layer.md: implementations must not follow paths
 * out of the root). Names are resolved lexically to a path relative to the image root; a name whose
 * ".." climbs above the root is reported and skipped, never clamped silently into a real path.
 */
export interface NormalizedPath {
  /** Relative to the image root; "" for the root itself. */
  path: string;
  /** The name started with "/". */
  absolute: boolean;
  /** A ".." climbed above the root. */
  escapes: boolean;
}

export function normalizeTarPath(name: string): NormalizedPath {
  const out: string[] = [];
  let escapes = false;
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) escapes = true;
      else out.pop();
      continue;
    }
    out.push(part);
  }
  return { path: out.join('/'), absolute: name.startsWith('/'), escapes };
}

export function dirnameOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

export function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * Where a symlink's target points when resolved lexically from the link's folder: `escapes` when a
 * relative target climbs above the root (the runtime would stop at "/" instead; we record it).
 */
export function symlinkTarget(linkPath: string, target: string): NormalizedPath {
  if (target.startsWith('/')) return normalizeTarPath(target);
  return normalizeTarPath(joinPath(dirnameOf(linkPath), target));
}
