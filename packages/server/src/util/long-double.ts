/**
 * The x87 80-bit long double arithmetic of INCRBYFLOAT and HINCRBYFLOAT. Redis parses both
 * operands with strtold, adds them as long doubles and prints the sum with "%.17Lf" minus
 * trailing zeros (util.c ld2string, LD_STR_HUMAN). With 64-bit doubles the results would differ
 * from Redis (10.5 + 0.1 gives 10.6 there, 10.59999999999999964 here), so values are modelled
 * exactly: a long double is m * 2^e with a 64-bit significand, and every conversion rounds half
 * to even on exact rationals (BigInt), as the FPU and glibc do.
 */

/** A finite long double: value = mantissa * 2^exponent (mantissa 0 or in [2^63, 2^64)). */
export interface LongDouble {
  mantissa: bigint;
  exponent: number;
}

const SIG_BITS = 64;
/** Largest binary exponent of an x87 extended value (value < 2^16384). */
const MAX_EXP2 = 16384;
/** Smallest normal exponent; below it we flush to zero (subnormals never matter here). */
const MIN_EXP2 = -16382;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds num/den (both > 0) to a 64-bit significand, half to even. Null on overflow. */
function roundRational(num: bigint, den: bigint, negative: boolean): LongDouble | null {
  if (num === 0n) return { mantissa: 0n, exponent: 0 };
  // Estimate the binary exponent of num/den, then scale to [2^63, 2^64).
  let e = bitLength(num) - bitLength(den) - SIG_BITS;
  for (;;) {
    const [n, d] = e >= 0 ? [num, den << BigInt(e)] : [num << BigInt(-e), den];
    let q = n / d;
    if (q >= 1n << 64n) {
      e++;
      continue;
    }
    if (q < 1n << 63n) {
      e--;
      continue;
    }
    const r = n - q * d;
    const twice = r * 2n;
    if (twice > d || (twice === d && (q & 1n) === 1n)) q += 1n;
    if (q === 1n << 64n) {
      q >>= 1n;
      e++;
    }
    if (e + SIG_BITS > MAX_EXP2) return null;
    if (e + SIG_BITS < MIN_EXP2) return { mantissa: 0n, exponent: 0 };
    return { mantissa: negative ? -q : q, exponent: e };
  }
}

/**
 * strtold as string2ld accepts it: decimal with optional exponent, C99 hex floats ("0x10",
 * "0x1.8p3"), or inf; no spaces, no NaN. Returns null when not a valid number, and when strtold
 * would report ERANGE (a value beyond long double's range, or a nonzero one that rounds to 0);
 * "inf"/"-inf" for the infinities written as such.
 */
export function parseLongDouble(text: string): LongDouble | "inf" | "-inf" | null {
  if (text.length === 0 || text.length > 5120) return null;
  const lower = text.toLowerCase();
  if (/^[+]?inf(inity)?$/.test(lower)) return "inf";
  if (/^-inf(inity)?$/.test(lower)) return "-inf";
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(text);
  if (hex !== null) return parseHexLongDouble(hex[1] === "-", hex[2], hex[3] ?? "", hex[4]);
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null) return null;
  const [, sign, intPart, fracPart = "", expPart] = m;
  if (intPart === "" && fracPart === "") return null;
  const digits = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, "") || "0");
  let exp10 = (expPart === undefined ? 0 : Number(expPart)) - fracPart.length;
  if (!Number.isFinite(exp10) || Math.abs(exp10) > 20000)
    return digits === 0n ? { mantissa: 0n, exponent: 0 } : null;
  let num = digits;
  let den = 1n;
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den = 10n ** BigInt(-exp10);
  exp10 = 0;
  return outOfRange(roundRational(num, den, sign === "-"), digits);
}

/** A rounded value, or null where strtold sets ERANGE: overflow, or nonzero digits rounded to 0. */
function outOfRange(r: LongDouble | null, digits: bigint): LongDouble | null {
  if (r === null || (r.mantissa === 0n && digits !== 0n)) return null;
  return r;
}

/** A hex float: (int.frac in base 16) * 2^exp2, rounded like the decimal form. */
function parseHexLongDouble(
  negative: boolean,
  intPart: string,
  fracPart: string,
  expPart: string | undefined,
): LongDouble | "inf" | "-inf" | null {
  if (intPart === "" && fracPart === "") return null;
  const digits = BigInt(`0x${intPart + fracPart || "0"}`);
  const exp2 = (expPart === undefined ? 0 : Number(expPart)) - 4 * fracPart.length;
  if (digits === 0n) return { mantissa: 0n, exponent: 0 };
  if (!Number.isFinite(exp2) || exp2 > MAX_EXP2 + 64 || exp2 < MIN_EXP2 - 64 * 80) return null;
  const r =
    exp2 >= 0
      ? roundRational(digits << BigInt(exp2), 1n, negative)
      : roundRational(digits, 1n << BigInt(-exp2), negative);
  return outOfRange(r, digits);
}

/** a + b rounded to long double precision; null when it overflows to infinity. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  const e = Math.min(a.exponent, b.exponent);
  const sum = (a.mantissa << BigInt(a.exponent - e)) + (b.mantissa << BigInt(b.exponent - e));
  if (sum === 0n) return { mantissa: 0n, exponent: 0 };
  const negative = sum < 0n;
  const abs = negative ? -sum : sum;
  return e >= 0
    ? roundRational(abs << BigInt(e), 1n, negative)
    : roundRational(abs, 1n << BigInt(-e), negative);
}

/** A double as a long double (exact: every double is one). Only for finite values. */
export function longDoubleFromDouble(d: number): LongDouble {
  if (d === 0) return { mantissa: 0n, exponent: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const significand = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  return { mantissa: d < 0 ? -significand : significand, exponent };
}

/** printf's "%.<decimals>Lf": the exact value rounded half to even, a '-' kept on negatives. */
export function formatFixed(v: LongDouble, decimals: number): string {
  const negative = v.mantissa < 0n;
  const m = negative ? -v.mantissa : v.mantissa;
  // Exact value * 10^decimals, rounded half to even.
  const scaled = m * 10n ** BigInt(decimals);
  let q: bigint;
  if (v.exponent >= 0) {
    q = scaled << BigInt(v.exponent);
  } else {
    const d = 1n << BigInt(-v.exponent);
    q = scaled / d;
    const r = scaled - q * d;
    const twice = r * 2n;
    if (twice > d || (twice === d && (q & 1n) === 1n)) q += 1n;
  }
  const digits = q.toString().padStart(decimals + 1, "0");
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

/**
 * printf's "%.<decimals>f" of a double. V8's toFixed is exact too but breaks ties upwards where
 * glibc rounds half to even; a tie needs d * 2^(decimals + 1) to be an integer, and only those
 * values (and -0, which toFixed prints unsigned) take the exact BigInt path.
 */
export function formatDoubleFixed(d: number, decimals: number): string {
  if (Number.isInteger(d * 2 ** (decimals + 1))) return formatFixed(longDoubleFromDouble(d), decimals);
  return d.toFixed(decimals);
}

/** "%.17Lf" with trailing zeros (and a trailing '.') removed, "-0" printed as "0". */
export function formatLongDoubleHuman(v: LongDouble): string {
  const text = formatFixed(v, 17).replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
}
