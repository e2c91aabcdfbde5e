/**
 * Argument parsing with Redis's rules and error texts (object.c getLongLongFromObjectOrReply,
 * getDoubleFromObjectOrReply, getTimeoutFromObjectOrReply). Each `...OrReply` helper writes the
 * error reply and returns null, so handlers read as `const n = intOrReply(c, argv[2]); if (n === null) return;`.
 */

import type { Client } from "../network/client.js";

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
const SAFE_DIGITS = 15;

/**
 * C's atoi(), for the arguments Redis reads with it (DEBUG's switches and test hooks): the leading
 * decimal integer after optional whitespace and sign, 0 when there is none; never an error.
 */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1], 10);
}

/** string2ll: a strict decimal int64 (no '+', no leading zeros, no spaces), or null. */
export function parseInt64(s: string): bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  if (!/^-?(0|[1-9][0-9]*)$/.test(s) || s === "-0") return null;
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? null : v;
}

/**
 * string2ll as a JS number: exact below 2^53; larger int64 values are rounded (callers that need
 * exact int64 arithmetic use parseInt64). Returns null when not an int64.
 */
export function parseInteger(s: string): number | null {
  const len = s.length;
  if (len > 0 && len <= SAFE_DIGITS) {
    let i = 0;
    let negative = false;
    if (s.charCodeAt(0) === 45) {
      negative = true;
      i = 1;
      if (len === 1) return null;
    }
    const first = s.charCodeAt(i);
    if (first === 48) return len - i === 1 && !negative ? 0 : null;
    let n = 0;
    for (; i < len; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return null;
      n = n * 10 + d;
    }
    return negative ? -n : n;
  }
  const big = parseInt64(s);
  return big === null ? null : Number(big);
}

export function intOrReply(
  c: Client,
  s: string,
  message = "ERR value is not an integer or out of range",
): number | null {
  const n = parseInteger(s);
  if (n === null) c.error(message);
  return n;
}

/** An integer within [min, max], else `-ERR <message>` (Redis's range checks). */
export function rangedIntOrReply(
  c: Client,
  s: string,
  min: number,
  max: number,
  message: string,
): number | null {
  const n = parseInteger(s);
  if (n === null) {
    c.error("ERR value is not an integer or out of range");
    return null;
  }
  if (n < min || n > max) {
    c.error(message);
    return null;
  }
  return n;
}

/** A non-negative integer, with Redis's "must be positive" style message when negative. */
export function positiveIntOrReply(
  c: Client,
  s: string,
  message = "ERR value is out of range, must be positive",
): number | null {
  const n = parseInteger(s);
  if (n === null) {
    c.error("ERR value is not an integer or out of range");
    return null;
  }
  if (n < 0) {
    c.error(message);
    return null;
  }
  return n;
}

/**
 * strtod as Redis accepts it (string2d / getDoubleFromObject): no surrounding spaces, no empty
 * string, "inf"/"+inf"/"-inf" (and "infinity") allowed, NaN refused. Returns null when invalid.
 */
export function parseDouble(s: string): number | null {
  const len = s.length;
  if (len === 0 || len > 5000) return null;
  const c0 = s.charCodeAt(0);
  const cl = s.charCodeAt(len - 1);
  if (c0 === 32 || cl === 32 || (c0 >= 9 && c0 <= 13) || (cl >= 9 && cl <= 13)) return null;
  const lower = s.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity")
    return Number.POSITIVE_INFINITY;
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  let d: number;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    d = Number(s);
    // strtod sets ERANGE on overflow, and on underflow to zero: string2d refuses both.
    if (!Number.isFinite(d)) return null;
    if (d === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ""))) return null;
  } else {
    const hex = parseHexFloat(s);
    if (hex === null) return null;
    d = hex;
  }
  return Number.isNaN(d) ? null : d;
}

/** C99 hexadecimal floating point ("0x1p3", "-0x1.8P-1"), as strtod accepts it. */
function parseHexFloat(s: string): number | null {
  const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(s);
  if (m === null) return null;
  const [, sign, intDigits, fracDigits = "", exp] = m;
  if (intDigits.length === 0 && fracDigits.length === 0) return null;
  let v = 0;
  for (const ch of intDigits) v = v * 16 + Number.parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of fracDigits) {
    v += Number.parseInt(ch, 16) * scale;
    scale /= 16;
  }
  if (exp !== undefined) v *= 2 ** Number(exp);
  if (!Number.isFinite(v)) return null;
  return sign === "-" ? -v : v;
}

export function doubleOrReply(
  c: Client,
  s: string,
  message = "ERR value is not a valid float",
): number | null {
  const d = parseDouble(s);
  if (d === null) c.error(message);
  return d;
}

/**
 * getTimeoutFromObjectOrReply for blocking commands: seconds as a float, 0 = forever.
 * Returns the absolute deadline in ms (0 for none), or null after replying.
 *
 * Mirrors Redis 7.0 exactly: the milliseconds are ceil(seconds * 1000), so a tiny negative
 * value rounds to 0 and blocks forever, and a value whose milliseconds do not fit an int64
 * (inf, 1e20) wraps negative in C's cast and is refused as "negative".
 */
export function timeoutOrReply(c: Client, s: string, nowMs: number): number | null {
  const d = parseDouble(s);
  if (d === null) {
    c.error("ERR timeout is not a float or out of range");
    return null;
  }
  const ms = Math.ceil(d * 1000);
  if (!(ms < 2 ** 63) || ms < 0) {
    c.error("ERR timeout is negative");
    return null;
  }
  if (ms === 0) return 0;
  return Math.min(nowMs + ms, Number.MAX_SAFE_INTEGER);
}

/** Case-insensitive comparison with a lower-case keyword. */
export function is(arg: string, keyword: string): boolean {
  return arg.length === keyword.length && (arg === keyword || arg.toLowerCase() === keyword);
}
