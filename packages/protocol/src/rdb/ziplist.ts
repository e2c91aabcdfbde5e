/**
 * The ziplist blob (ziplist.c), which Redis up to 6.2 saved for small lists, hashes and sorted
 * sets (RDB_TYPE_*_ZIPLIST, RDB_TYPE_LIST_QUICKLIST nodes). Redis 7.0 still loads it, converting to
 * listpacks; so do we. Decode only: nothing writes ziplists any more.
 *
 *   <zlbytes u32 LE> <zltail u32 LE> <zllen u16 LE, 65535 = unknown> <entry>* <0xFF>
 *   entry = <prevlen: 1 byte < 254, or 0xFE + u32 LE> <encoding> <data>
 *
 *   00pppppp              string, 6-bit length     11000000  int16     11110000  int24
 *   01pppppp qqqqqqqq     string, 14-bit length BE 11010000  int32     11111110  int8
 *   10______ <u32 BE>     string, 32-bit length    11100000  int64     1111xxxx  0..12 (xxxx - 1)
 *
 * Validation mirrors ziplistValidateIntegrity with deep checks: sizes, every prevlen, the tail
 * offset and the count.
 *
 * Callers: the RDB value parser.
 */

import { RdbFormatError } from "../errors.js";
import { bytesToLatin1 } from "../resp/latin1.js";
import { int8, int16LE, int24LE, int32LE, int64LE, uint16LE, uint32BE, uint32LE } from "./bytes.js";

const ZIPLIST_HEADER_SIZE = 10;
const ZIP_END = 0xff;
const ZIP_BIG_PREVLEN = 254;

function corrupt(reason: string, errOffset: number): never {
  throw new RdbFormatError(`Ziplist integrity check failed: ${reason}`, errOffset);
}

/**
 * Appends the entries of the ziplist in buf[start, end) to `out` (integers as decimal text) and
 * returns their number. Throws RdbFormatError at `errOffset` on any inconsistency.
 */
export function decodeZiplist(
  buf: Buffer,
  start: number,
  end: number,
  errOffset: number,
  out: string[],
): number {
  const size = end - start;
  if (size < ZIPLIST_HEADER_SIZE + 1) corrupt("blob shorter than its header", errOffset);
  if (uint32LE(buf, start) !== size) corrupt("zlbytes does not match the blob size", errOffset);
  if (buf[end - 1] !== ZIP_END) corrupt("missing terminator", errOffset);
  const tail = uint32LE(buf, start + 4);
  if (tail > size - 1) corrupt("tail offset past the end", errOffset);
  const headerCount = uint16LE(buf, start + 8);
  const last = end - 1;
  let p = start + ZIPLIST_HEADER_SIZE;
  let prevRawSize = 0;
  let prevStart = -1;
  let count = 0;
  while (p < last && buf[p] !== ZIP_END) {
    let prevLen: number;
    let q: number;
    if (buf[p] < ZIP_BIG_PREVLEN) {
      prevLen = buf[p];
      q = p + 1;
    } else {
      if (p + 5 > last) corrupt("entry header past the end", errOffset);
      prevLen = uint32LE(buf, p + 1);
      q = p + 5;
    }
    if (prevLen !== prevRawSize) corrupt("prevlen does not match the previous entry", errOffset);
    if (q >= last) corrupt("entry header past the end", errOffset);
    const enc = buf[q];
    let headerEnd: number;
    let dataLen: number;
    let isString = false;
    let v: number | bigint = 0;
    switch (enc >> 6) {
      case 0:
        isString = true;
        dataLen = enc & 0x3f;
        headerEnd = q + 1;
        break;
      case 1:
        if (q + 2 > last) corrupt("entry header past the end", errOffset);
        isString = true;
        dataLen = ((enc & 0x3f) << 8) | buf[q + 1];
        headerEnd = q + 2;
        break;
      case 2:
        if (q + 5 > last) corrupt("entry header past the end", errOffset);
        isString = true;
        dataLen = uint32BE(buf, q + 1);
        headerEnd = q + 5;
        break;
      default:
        headerEnd = q + 1;
        if (enc === 0xc0) dataLen = 2;
        else if (enc === 0xd0) dataLen = 4;
        else if (enc === 0xe0) dataLen = 8;
        else if (enc === 0xf0) dataLen = 3;
        else if (enc === 0xfe) dataLen = 1;
        else if (enc >= 0xf1 && enc <= 0xfd) {
          dataLen = 0;
          v = (enc & 0x0f) - 1;
        } else corrupt(`bad entry encoding 0x${enc.toString(16)}`, errOffset);
    }
    const entryEnd = headerEnd + dataLen;
    if (entryEnd > last) corrupt("entry past the end", errOffset);
    if (isString) out.push(bytesToLatin1(buf, headerEnd, entryEnd));
    else {
      if (enc === 0xc0) v = int16LE(buf, headerEnd);
      else if (enc === 0xd0) v = int32LE(buf, headerEnd);
      else if (enc === 0xf0) v = int24LE(buf, headerEnd);
      else if (enc === 0xfe) v = int8(buf, headerEnd);
      else if (enc === 0xe0) v = int64LE(buf, headerEnd);
      out.push(String(v));
    }
    prevRawSize = entryEnd - p;
    prevStart = p;
    p = entryEnd;
    count++;
  }
  if (p !== last) corrupt("entries overrun the terminator", errOffset);
  if (prevStart >= 0 && prevStart - start !== tail)
    corrupt("tail offset does not point at the last entry", errOffset);
  if (headerCount !== 65535 && headerCount !== count) corrupt("count in header is wrong", errOffset);
  return count;
}
