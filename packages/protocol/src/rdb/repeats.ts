/**
 * Finding repeated members of a collection being loaded: Redis refuses an RDB or DUMP payload
 * whose set, hash or sorted set repeats a member. Shared by the RDB value parser and the
 * server's builders of loaded values.
 */

/** Up to this many members, comparing them pairwise is faster than building a Set. */
export const PAIRWISE_MAX = 12;

/** Whether two of items[start], items[start + step], items[start + 2 * step]... are equal. */
export function hasRepeat(items: readonly string[], start = 0, step = 1): boolean {
  const n = items.length;
  if ((n - start) / step <= PAIRWISE_MAX) {
    for (let i = start; i < n; i += step) {
      for (let j = i + step; j < n; j += step) if (items[i] === items[j]) return true;
    }
    return false;
  }
  const seen = new Set<string>();
  for (let i = start; i < n; i += step) {
    if (seen.has(items[i])) return true;
    seen.add(items[i]);
  }
  return false;
}
