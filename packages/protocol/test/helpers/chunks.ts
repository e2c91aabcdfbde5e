/**
 * Ways to cut a byte stream into the chunks a parser is fed, for the tests that hold the
 * incremental parsers (RESP requests and replies, RDB) to the same result however input arrives.
 */

/** Splits `buf` at the given cut points (taken modulo its length plus one; repeats dropped). */
export function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** `buf` in chunks of `size` bytes (the last one shorter). */
export function chunksOf(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** `buf` one byte at a time. */
export const byteByByte = (buf: Buffer): Buffer[] => Array.from(buf, (b) => Buffer.from([b]));
