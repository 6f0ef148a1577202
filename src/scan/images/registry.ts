/**
 * Every per-image contributor, one folder each under `contributors/` (id = folder name,
 * contract-tested). A new capability that has findings about an image (malware, lifecycle) adds its
 * folder and one line here; `image scan` and `scan` pick it up. No registration by import side effects.
 */
import type { ImageContributor } from './contributor.js';
import { lifecycle } from './contributors/lifecycle/index.js';
import { vulnerabilities } from './contributors/vulnerabilities/index.js';

export const CONTRIBUTORS: readonly ImageContributor[] = [vulnerabilities, lifecycle];

/** The contributors that report at least one of `rules` (all when `rules` is undefined). */
export function contributorsFor(rules: readonly string[] | undefined, list: readonly ImageContributor[] | undefined = CONTRIBUTORS): ImageContributor[] {
  return (list ?? CONTRIBUTORS).filter((c) => rules === undefined || c.rules.some((r) => rules.includes(r)));
}
