/**
 * Canonical integer text, as Redis's string2ll (util.c) and lpStringToInt64 (listpack.c) accept
 * it: an optional '-', no '+', no leading zeros, no spaces, "0" but not "-0", within int64. Only
 * such strings round-trip through an integer encoding, which is why Redis (and we) test them before
 * choosing RDB_ENC_INT*, an intset or a listpack integer entry.
 *
 * Callers: the value writer (encoding choice), intset and listpack encoders.
 */

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * The value of `s` when it is canonical int64 text: a number when it is a safe integer, a bigint
 * beyond that; null otherwise. Runs on every string the writer saves, so the common cases (short
 * non-numeric strings, short numbers) are decided from the first chars.
 */
export function parseCanonicalInt(s: string): number | bigint | null {
  return parseCanonicalIntRange(s, 0, s.length);
}

/** parseCanonicalInt of s.substring(start, end), without making the substring in the common cases. */
export function parseCanonicalIntRange(s: string, start: number, end: number): number | bigint | null {
  const len = end - start;
  if (len === 0 || len > 20) return null;
  let i = start;
  const c0 = s.charCodeAt(start);
  if (c0 === 45 /* - */) {
    if (len === 1) return null;
    i++;
  } else if (c0 === 48 /* 0 */) {
    return len === 1 ? 0 : null;
  }
  const first = s.charCodeAt(i);
  if (first < 49 || first > 57) return null; // 1-9
  let n = 0;
  for (let k = i; k < end; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  if (end - i <= 15) return i > start ? -n : n;
  const big = BigInt(s.substring(start, end));
  if (big > INT64_MAX || big < INT64_MIN) return null;
  if (big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(big);
  return big;
}

/** The int32 value of `s` if it is canonical integer text in int32 range (rdbTryIntegerEncoding). */
export function canonicalInt32(s: string): number | null {
  if (s.length > 11) return null;
  const v = parseCanonicalInt(s);
  if (typeof v !== "number" || v < -2147483648 || v > 2147483647) return null;
  return v;
}
