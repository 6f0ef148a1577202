/**
 * The matcher's reused working lists (index.ts, groups.ts): the matcher is not re-entered, so a few lists
 * live in module state and are emptied and refilled per package or per finding.
 */

/** Empty a short reused list: `pop` is inlined, while setting `length = 0` goes through the runtime and gives the storage back. */
export function empty(list: unknown[]): void {
  while (list.length > 0) list.pop();
}
