/**
 * The listpack blob (listpack.c), which Redis 7.0 saves for small hashes and sorted sets and for
 * every quicklist node:
 *
 *   <total bytes u32 LE> <count u16 LE, 65535 = unknown> <entry>* <0xFF>
 *   entry = <encoding + data> <backlen: size of encoding + data, 1..5 bytes readable right to left>
 *
 *   0xxxxxxx            7-bit unsigned int        10xxxxxx <data>      string, 6-bit length
 *   110xxxxx yyyyyyyy   13-bit signed int         1110xxxx yyyyyyyy    string, 12-bit length
 *   0xF1 / F2 / F3 / F4 16 / 24 / 32 / 64-bit int 0xF0 <len u32 LE>    string, 32-bit length
 *
 * The decoder validates like lpValidateIntegrity with deep checks (sizes, backlens, count), and
 * a little stricter: the EOF byte must be the last one. The builder writes what lpAppend writes,
 * integers included (lpEncodeGetType), so our blobs are byte-identical to Redis's.
 *
 * Callers: the RDB value parser (decode) and value writer (ListpackBuilder).
 */

import { RdbFormatError } from "../errors.js";
import { bytesToLatin1, writeLatin1 } from "../resp/latin1.js";
import { int16LE, int24LE, int32LE, int64LE, uint32LE } from "./bytes.js";
import { parseCanonicalInt, parseCanonicalIntRange } from "./integers.js";

export const LP_HDR_SIZE = 6;
export const LP_HDR_NUMELE_UNKNOWN = 65535;
export const LP_EOF = 0xff;
/** lpSafeToAdd: Redis keeps listpacks below 1 GB. */
export const LISTPACK_MAX_SAFETY_SIZE = 1 << 30;

function corrupt(reason: string, errOffset: number): never {
  throw new RdbFormatError(`Listpack integrity check failed: ${reason}`, errOffset);
}

/** Bytes lpEncodeBacklen uses for an entry of `l` bytes (note Redis's `<` bounds, kept as is). */
export function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function writeBacklen(out: Buffer, p: number, l: number): number {
  const size = backlenSize(l);
  // Most significant 7 bits first; every byte but the first has the high bit set, so a reader
  // going right to left knows when to stop.
  for (let k = size - 1; k >= 0; k--) {
    const shift = 7 * (size - 1 - k);
    const bits = Math.floor(l / 2 ** shift) & 127;
    out[p + k] = k === 0 ? bits : bits | 128;
  }
  return size;
}

function backlenMatches(buf: Buffer, p: number, l: number): boolean {
  const size = backlenSize(l);
  for (let k = size - 1; k >= 0; k--) {
    const shift = 7 * (size - 1 - k);
    const bits = Math.floor(l / 2 ** shift) & 127;
    if (buf[p + k] !== (k === 0 ? bits : bits | 128)) return false;
  }
  return true;
}

/**
 * Appends the entries of the listpack in buf[start, end) to `out` (integers as decimal text).
 * Returns the number of entries. Throws RdbFormatError at `errOffset` on any inconsistency.
 */
export function decodeListpack(
  buf: Buffer,
  start: number,
  end: number,
  errOffset: number,
  out: string[],
): number {
  const size = end - start;
  if (size < LP_HDR_SIZE + 1) corrupt("blob shorter than its header", errOffset);
  if (uint32LE(buf, start) !== size) corrupt("total bytes do not match the blob size", errOffset);
  if (buf[end - 1] !== LP_EOF) corrupt("missing terminator", errOffset);
  const numele = buf[start + 4] | (buf[start + 5] << 8);
  const last = end - 1; // entries must end before the terminator
  let p = start + LP_HDR_SIZE;
  let count = 0;
  while (p < last) {
    const b = buf[p];
    let entryLen: number; // encoding + data
    let str = -1; // data offset when the entry is a string
    let strLen = 0;
    let v: number | bigint = 0;
    if (b < 0x80) {
      entryLen = 1;
      v = b;
    } else if (b < 0xc0) {
      strLen = b & 0x3f;
      str = p + 1;
      entryLen = 1 + strLen;
    } else if (b < 0xe0) {
      if (p + 2 > last) corrupt("entry header past the end", errOffset);
      const u = ((b & 0x1f) << 8) | buf[p + 1];
      v = u >= 4096 ? u - 8192 : u;
      entryLen = 2;
    } else if (b < 0xf0) {
      if (p + 2 > last) corrupt("entry header past the end", errOffset);
      strLen = ((b & 0x0f) << 8) | buf[p + 1];
      str = p + 2;
      entryLen = 2 + strLen;
    } else {
      switch (b) {
        case 0xf0:
          if (p + 5 > last) corrupt("entry header past the end", errOffset);
          strLen = uint32LE(buf, p + 1);
          str = p + 5;
          entryLen = 5 + strLen;
          break;
        case 0xf1:
          entryLen = 3;
          if (p + entryLen <= last) v = int16LE(buf, p + 1);
          break;
        case 0xf2:
          entryLen = 4;
          if (p + entryLen <= last) v = int24LE(buf, p + 1);
          break;
        case 0xf3:
          entryLen = 5;
          if (p + entryLen <= last) v = int32LE(buf, p + 1);
          break;
        case 0xf4:
          entryLen = 9;
          if (p + entryLen <= last) v = int64LE(buf, p + 1);
          break;
        default:
          corrupt(`bad entry encoding 0x${b.toString(16)}`, errOffset);
      }
    }
    const bl = backlenSize(entryLen);
    if (p + entryLen + bl > last) corrupt("entry past the end", errOffset);
    if (!backlenMatches(buf, p + entryLen, entryLen)) corrupt("entry backlen mismatch", errOffset);
    out.push(str >= 0 ? bytesToLatin1(buf, str, str + strLen) : String(v));
    p += entryLen + bl;
    count++;
  }
  if (p !== last) corrupt("entries overrun the terminator", errOffset);
  if (numele !== LP_HDR_NUMELE_UNKNOWN && numele !== count) corrupt("count in header is wrong", errOffset);
  return count;
}

/**
 * Builds a listpack by appending strings, encoding each as lpAppend does (integer encodings for
 * canonical integer text). `bytes` is the size the blob has so far, which the quicklist packing
 * rule reads after every append.
 */
export class ListpackBuilder {
  private buf: Buffer;
  private pos = LP_HDR_SIZE;
  count = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, LP_HDR_SIZE + 1));
  }

  /** Total bytes of the finished blob so far (header + entries + terminator). */
  get bytes(): number {
    return this.pos + 1;
  }

  private reserve(n: number): void {
    if (this.pos + n + 1 <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n + 1) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Empties the builder so it can build another listpack in the same buffer. */
  reset(): void {
    this.pos = LP_HDR_SIZE;
    this.count = 0;
  }

  append(s: string): void {
    const iv = s.length <= 20 ? parseCanonicalInt(s) : null;
    if (iv !== null) this.appendInteger(iv);
    else this.appendString(s);
    this.count++;
  }

  /** append(s.substring(start, end)) without the substring. */
  appendRange(s: string, start: number, end: number): void {
    const iv = parseCanonicalIntRange(s, start, end);
    if (iv !== null) this.appendInteger(iv);
    else {
      const n = end - start;
      const head = this.stringHead(n);
      const buf = this.buf;
      const p = this.pos + head;
      for (let k = 0; k < n; k++) buf[p + k] = s.charCodeAt(start + k);
      this.pos = p + n + writeBacklen(buf, p + n, head + n);
    }
    this.count++;
  }

  /** Appends an int64 entry: what append(String(v)) does, without the string. */
  appendInt(v: number | bigint): void {
    this.appendInteger(v);
    this.count++;
  }

  private appendInteger(v: number | bigint): void {
    this.reserve(9 + 1);
    const buf = this.buf;
    const p = this.pos;
    let len: number;
    if (typeof v === "bigint") {
      buf[p] = 0xf4;
      buf.writeBigInt64LE(v, p + 1);
      len = 9;
    } else if (v >= 0 && v <= 127) {
      buf[p] = v;
      len = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? v + 8192 : v;
      buf[p] = (u >> 8) | 0xc0;
      buf[p + 1] = u & 0xff;
      len = 2;
    } else if (v >= -32768 && v <= 32767) {
      buf[p] = 0xf1;
      buf.writeInt16LE(v, p + 1);
      len = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      buf[p] = 0xf2;
      buf.writeIntLE(v, p + 1, 3);
      len = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      buf[p] = 0xf3;
      buf.writeInt32LE(v, p + 1);
      len = 5;
    } else {
      buf[p] = 0xf4;
      buf.writeBigInt64LE(BigInt(v), p + 1);
      len = 9;
    }
    this.pos = p + len + writeBacklen(buf, p + len, len);
  }

  private appendString(s: string): void {
    const n = s.length;
    const head = this.stringHead(n);
    writeLatin1(this.buf, s, this.pos + head);
    const len = head + n;
    this.pos += len + writeBacklen(this.buf, this.pos + len, len);
  }

  /** Makes room for a string entry of n bytes and writes its header at pos; returns the header size. */
  private stringHead(n: number): number {
    const head = n < 64 ? 1 : n < 4096 ? 2 : 5;
    this.reserve(head + n + 5);
    const buf = this.buf;
    const p = this.pos;
    if (head === 1) buf[p] = 0x80 | n;
    else if (head === 2) {
      buf[p] = 0xe0 | (n >> 8);
      buf[p + 1] = n & 0xff;
    } else {
      buf[p] = 0xf0;
      buf.writeUInt32LE(n, p + 1);
    }
    return head;
  }

  /** The finished blob (a copy-free view of the builder's buffer; the builder must not be reused). */
  finish(): Buffer {
    return this.buf.subarray(0, this.seal());
  }

  /**
   * Completes header and terminator in place and returns the blob's size: the blob is
   * `buffer[0, size)` until the next reset() or append().
   */
  seal(): number {
    const buf = this.buf;
    const total = this.pos + 1;
    buf[this.pos] = LP_EOF;
    buf.writeUInt32LE(total, 0);
    const numele = Math.min(this.count, LP_HDR_NUMELE_UNKNOWN);
    buf[4] = numele & 0xff;
    buf[5] = numele >> 8;
    return total;
  }

  /** The builder's buffer (see seal()). */
  get buffer(): Buffer {
    return this.buf;
  }
}

/** The listpack holding `items`, as successive lpAppend calls would build it. */
export function encodeListpack(items: readonly string[]): Buffer {
  const b = new ListpackBuilder(64 + items.length * 8);
  for (const s of items) b.append(s);
  return b.finish();
}
