/**
 * Sorted-set scores as text, the way Redis 7.0 stores them inside listpacks and ziplists and in
 * RDB_TYPE_ZSET: written with d2string (integers in ±2^52 as integers, "inf"/"-inf", otherwise
 * %.17g) and read back with strtod.
 *
 * Callers: the RDB value parser (zset listpack/ziplist entries, RDB_TYPE_ZSET doubles) and the
 * value writer (zset listpacks).
 */

import { formatDouble17g } from "../format/double.js";

/** d2string as in Redis 7.0's util.c (MAX_D2STRING_CHARS text of a score). */
export function d2string(d: number): string {
  if (Number.isNaN(d)) return "nan";
  if (d === Number.POSITIVE_INFINITY) return "inf";
  if (d === Number.NEGATIVE_INFINITY) return "-inf";
  // Redis 7.0 prints integral values in (-(2^52-1), 2^52) with ll2string, the rest with %.17g.
  // -0 passes that test and prints as "0": a listpack-encoded sorted set loses the sign of a -0
  // score (ZADD z -0 m; ZSCORE z m gives "0"), while a skiplist keeps it. So does our writer.
  if (d > -4503599627370495 && d < 4503599627370496 && Number.isInteger(d)) return d === 0 ? "0" : String(d);
  if (isShortExactDecimal(d)) return String(d);
  return formatDouble17g(d);
}

/**
 * Whether d's exact decimal expansion has at most 15 significant digits and %.17g prints it in
 * fixed notation (1e-4 <= |d| < 1e15): then %.17g prints exactly that expansion, and so does
 * String(d), the shortest text reading back as d, since no two decimals of <= 15 significant
 * digits read as the same double. Scores like 2.5 or 0.125 so skip formatDouble17g's work
 * (a snapshot formats every score of every listpack-encoded sorted set).
 */
function isShortExactDecimal(d: number): boolean {
  const a = Math.abs(d);
  if (!(a >= 1e-4 && a < 1e15)) return false;
  // A value with j fractional bits has exactly j fractional decimal digits (2^-j = 5^j / 10^j).
  let x = a;
  let bits = 0;
  while (!Number.isInteger(x)) {
    x *= 2; // exact
    if (++bits > 14) return false;
  }
  let intDigits = 1;
  for (let t = Math.floor(a); t >= 10; t = Math.floor(t / 10)) intDigits++;
  return intDigits + bits <= 15;
}

const DECIMAL = /^[ \t\n\v\f\r]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const SPECIAL = /^[ \t\n\v\f\r]*([+-]?)(inf(?:inity)?|nan)/i;

/**
 * strtod over a whole score string as Redis's zzlStrtod/rdbLoadDoubleValue use it: the longest
 * valid prefix counts. Returns NaN when no number can be read, which callers treat as corruption
 * (Redis refuses NaN scores too).
 */
export function parseScore(s: string): number {
  // Fast path for what d2string writes: plain decimal text (Number() and strtod agree there).
  const first = s.charCodeAt(0);
  const lastChar = s.charCodeAt(s.length - 1);
  if (((first >= 48 && first <= 57) || first === 45) && lastChar >= 48 && lastChar <= 57) {
    const n = Number(s);
    if (!Number.isNaN(n) && (s.length < 2 || s.charCodeAt(1) !== 120) /* x */) return n;
  }
  const m = DECIMAL.exec(s);
  if (m !== null) return Number(m[0].trim());
  const special = SPECIAL.exec(s);
  if (special !== null && special[2].toLowerCase() !== "nan") {
    return special[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return Number.NaN;
}
