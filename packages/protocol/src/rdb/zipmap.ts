/**
 * The zipmap blob (zipmap.c), which Redis up to 2.4 saved for small hashes (RDB_TYPE_HASH_ZIPMAP).
 * Redis 7.0 still loads it; so do we. Decode only.
 *
 *   <zmlen: count, 254 = unknown> ( <len> field <len> <free> value <free bytes> )* <0xFF>
 *   len = 1 byte < 254, or 0xFE + u32 (host order: little-endian on every machine Redis ran on)
 *
 * Validation mirrors zipmapValidateIntegrity with deep checks (bounds, non-empty, count).
 *
 * Callers: the RDB value parser.
 */

import { RdbFormatError } from "../errors.js";
import { bytesToLatin1 } from "../resp/latin1.js";

const ZIPMAP_BIGLEN = 254;
const ZIPMAP_END = 255;

function corrupt(reason: string, errOffset: number): never {
  throw new RdbFormatError(`Zipmap integrity check failed: ${reason}`, errOffset);
}

/**
 * Appends field, value, field, value... of the zipmap in buf[start, end) to `out`; returns the
 * number of pairs. Throws RdbFormatError at `errOffset` when the blob is invalid or empty.
 */
export function decodeZipmap(
  buf: Buffer,
  start: number,
  end: number,
  errOffset: number,
  out: string[],
): number {
  if (end - start < 2) corrupt("blob shorter than its header", errOffset);
  if (buf[end - 1] !== ZIPMAP_END) corrupt("missing terminator", errOffset);
  const last = end - 1;
  let p = start + 1;
  let count = 0;
  const readLen = (): number => {
    if (buf[p] < ZIPMAP_BIGLEN) return buf[p++];
    if (p + 5 > last) corrupt("length past the end", errOffset);
    const len = buf.readUInt32LE(p + 1);
    p += 5;
    return len;
  };
  while (buf[p] !== ZIPMAP_END) {
    const fieldLen = readLen();
    const field = p;
    p += fieldLen;
    if (p > last) corrupt("field past the end", errOffset);
    const valueLen = readLen();
    if (p >= last) corrupt("free byte past the end", errOffset);
    const free = buf[p++];
    const value = p;
    p += valueLen + free;
    if (p > last) corrupt("value past the end", errOffset);
    out.push(bytesToLatin1(buf, field, field + fieldLen), bytesToLatin1(buf, value, value + valueLen));
    count++;
  }
  if (count === 0) corrupt("empty zipmap", errOffset);
  if (buf[start] !== ZIPMAP_BIGLEN && buf[start] !== count) corrupt("count in header is wrong", errOffset);
  return count;
}
