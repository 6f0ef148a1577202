/** Where `value` is in `list` (ascending numbers), by halving; -1 when it is not there. */
export function sortedIndexOf(list: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = list[mid] as number;
    if (at === value) return mid;
    if (at < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
