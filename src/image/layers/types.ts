/**
 * What one pass over a layer learns about its files: the per-layer index. It is what the layer
 * cache stores, what the squashed view is built from, and what a FileResolver answers from.
 */
import type { Issue } from '../../core/issue.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface LayerEntry {
  /** Normalised: relative to the image root, no leading "/", no "." or ".." components. */
  path: string;
  type: EntryType;
  /** Bytes of content (regular files; 0 otherwise). */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** symlink: the target as written (relative or absolute); hardlink: the normalised target path. */
  linkname?: string | undefined;
}

export interface LayerStats {
  /** Tar entries read (including whiteouts and skipped ones). */
  entries: number;
  /** Uncompressed tar bytes. */
  bytes: number;
  /** Bytes of regular-file content. */
  fileBytes: number;
}

export interface LayerIndex {
  digest: string;
  /** In tar order; a later entry with the same path replaces an earlier one. */
  entries: LayerEntry[];
  /** Paths this layer deletes from the layers below (`.wh.<name>`). */
  whiteouts: string[];
  /** Directories whose content from the layers below is hidden (`.wh..wh..opq`); "" is the root. */
  opaques: string[];
  issues: Issue[];
  stats: LayerStats;
  /** false when the layer could not be read to its end (corrupt, truncated, over a limit). */
  complete: boolean;
}
