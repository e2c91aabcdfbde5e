/**
 * The intset blob (intset.c), a set of integers as Redis saves RDB_TYPE_SET_INTSET:
 *
 *   <encoding u32 LE: 2, 4 or 8> <length u32 LE> <length values, signed LE, strictly ascending>
 *
 * Decoding validates like intsetValidateIntegrity with deep checks (exact size, non-empty, no
 * duplicates or disorder); encoding picks the smallest width holding every value, as intsetAdd's
 * upgrades end up doing.
 *
 * Callers: the RDB value parser (decode) and value writer (encode).
 */

import { RdbFormatError } from "../errors.js";
import { int16LE, int32LE, int64LE, TWO_POW_32, uint32LE } from "./bytes.js";

export const INTSET_ENC_INT16 = 2;
export const INTSET_ENC_INT32 = 4;
export const INTSET_ENC_INT64 = 8;

/**
 * Appends the members of the intset in buf[start, end) to `out` as decimal strings. Throws
 * RdbFormatError (at `errOffset`) when the blob is not a valid, non-empty, sorted intset.
 */
export function decodeIntset(
  buf: Buffer,
  start: number,
  end: number,
  errOffset: number,
  out: string[],
): void {
  const size = end - start;
  if (size < 8)
    throw new RdbFormatError("Intset integrity check failed: blob shorter than its header", errOffset);
  const encoding = uint32LE(buf, start);
  const count = uint32LE(buf, start + 4);
  if (encoding !== INTSET_ENC_INT16 && encoding !== INTSET_ENC_INT32 && encoding !== INTSET_ENC_INT64) {
    throw new RdbFormatError(`Intset integrity check failed: bad encoding ${encoding}`, errOffset);
  }
  if (8 + count * encoding !== size) {
    throw new RdbFormatError("Intset integrity check failed: length does not match blob size", errOffset);
  }
  if (count === 0) throw new RdbFormatError("Intset integrity check failed: empty intset", errOffset);
  let prev: number | bigint = 0;
  let p = start + 8;
  for (let i = 0; i < count; i++, p += encoding) {
    let v: number | bigint;
    if (encoding === INTSET_ENC_INT16) v = int16LE(buf, p);
    else if (encoding === INTSET_ENC_INT32) v = int32LE(buf, p);
    else v = int64LE(buf, p);
    if (i > 0 && !(v > prev)) {
      throw new RdbFormatError("Intset integrity check failed: duplicate or out of order members", errOffset);
    }
    prev = v;
    out.push(String(v));
  }
}

function compareInts(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The intset blob holding `values` (canonical int64 values, any order, no duplicates). */
export function encodeIntset(values: (number | bigint)[]): Buffer {
  const enc = new IntsetEncoder();
  const len = enc.encode(values, values.length);
  return Buffer.from(enc.buffer.subarray(0, len));
}

/**
 * Builds intset blobs in one buffer it keeps, so the RDB writer allocates nothing per set (sets
 * arrive sorted from the server's intsets; any other order is sorted on a copy).
 */
export class IntsetEncoder {
  private buf: Buffer = Buffer.allocUnsafe(256);

  /** The buffer the last encode() wrote into. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Writes the intset of values[0, count) at buffer[0, returned size). */
  encode(values: readonly (number | bigint)[], count: number): number {
    let sorted = values;
    for (let i = 1; i < count; i++) {
      if (values[i - 1] > values[i]) {
        sorted = values.slice(0, count).sort(compareInts);
        break;
      }
    }
    let encoding = INTSET_ENC_INT16;
    for (let i = 0; i < count; i++) {
      const v = sorted[i];
      if (v < -2147483648 || v > 2147483647) {
        encoding = INTSET_ENC_INT64;
        break;
      }
      if (v < -32768 || v > 32767) encoding = INTSET_ENC_INT32;
    }
    const size = 8 + count * encoding;
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(Math.max(size, this.buf.length * 2));
    const out = this.buf;
    out.writeUInt32LE(encoding, 0);
    out.writeUInt32LE(count, 4);
    let p = 8;
    for (let i = 0; i < count; i++) {
      const v = sorted[i];
      if (encoding === INTSET_ENC_INT16) out.writeInt16LE(Number(v), p);
      else if (encoding === INTSET_ENC_INT32) out.writeInt32LE(Number(v), p);
      else if (typeof v === "number") {
        const hi = Math.floor(v / TWO_POW_32);
        out.writeUInt32LE(v - hi * TWO_POW_32, p);
        out.writeInt32LE(hi, p + 4);
      } else out.writeBigInt64LE(v, p);
      p += encoding;
    }
    return size;
  }
}
