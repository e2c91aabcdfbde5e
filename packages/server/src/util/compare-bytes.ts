/** Byte order of latin1 strings (one char per byte): memcmp's, and a radix tree's iteration order. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
