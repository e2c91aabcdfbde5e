/**
 * The byte sizes listpack.c gives a stream node's elements (lpEncodeGetType / lpEncodeBacklen):
 * integers in 1 to 9 bytes, strings with a 1, 2 or 5 byte header, each followed by a 1 to 5 byte
 * back length. StreamNode adds them up to know, exactly as Redis does, when XADD must start a
 * new node (stream-node-max-bytes).
 */

import { backlenSize } from "@keyhaven/protocol";
import { big, type U64 } from "./stream-id.js";

/** Listpack header (total bytes, count) plus the EOF byte. */
export const LP_FIXED = 7;

/** Bytes of a listpack entry holding integer `v`: encoding + data + a 1-byte backlen. */
export function lpIntSize(v: number): number {
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

function lpBigIntSize(v: bigint): number {
  return v >= -2147483648n && v <= 2147483647n ? lpIntSize(Number(v)) : 10;
}

const INT64_MAX_TEXT = "9223372036854775807";
const INT64_MIN_TEXT = "9223372036854775808";

/**
 * Bytes lpAppend takes for `s`: canonical int64 text is stored as an integer (lpEncodeGetType),
 * anything else as a string with a 1, 2 or 5 byte header.
 */
export function lpStringSize(s: string): number {
  const n = s.length;
  if (n > 0 && n <= 20) {
    let i = 0;
    const c0 = s.charCodeAt(0);
    if (c0 === 45) i = 1;
    const first = s.charCodeAt(i);
    if (first >= 49 && first <= 57 && n > i) {
      let digits = true;
      for (let k = i + 1; k < n; k++) {
        const d = s.charCodeAt(k);
        if (d < 48 || d > 57) {
          digits = false;
          break;
        }
      }
      if (digits) {
        const len = n - i;
        if (len <= 15) return lpIntSize(i === 1 ? -Number(s.slice(1)) : Number(s));
        if (len < 19 || (len === 19 && (i === 1 ? s.slice(1) <= INT64_MIN_TEXT : s <= INT64_MAX_TEXT)))
          return 10;
      }
    } else if (first === 48 && n === 1) {
      return 2;
    }
  }
  const head = n < 64 ? 1 : n < 4096 ? 2 : 5;
  return head + n + backlenSize(head + n);
}

/** id - master as the int64 Redis stores (uint64 difference, reinterpreted as signed). */
export function deltaSize(v: U64, master: U64): number {
  if (typeof v === "number" && typeof master === "number") return lpIntSize(v - master);
  return lpBigIntSize(BigInt.asIntN(64, big(v) - big(master)));
}
