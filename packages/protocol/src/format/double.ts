/**
 * Number formatting exactly as Redis 7.0 prints doubles. Redis uses C's `%.17g` (addReplyDouble,
 * ZSCORE, ZRANGE WITHSCORES): 17 significant digits, trailing zeros removed, exponent form below
 * 1e-4 or from 1e17, a two-digit minimum exponent. JS's toPrecision rounds ties away from zero
 * where glibc rounds half to even on the exact binary value; the tie check below settles those.
 */

/** `%.17g` of `d`, as glibc prints it ("inf", "-inf", "nan" for the special values). */
export function formatDouble17g(d: number): string {
  if (d === Number.POSITIVE_INFINITY) return "inf";
  if (d === Number.NEGATIVE_INFINITY) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  let sci = exactToExponential(d);
  const e = Number(sci.slice(sci.indexOf("e") + 1));
  if (e < -4 || e >= 17) {
    const [mant, ex] = sci.split("e");
    const sign = ex.startsWith("-") ? "-" : "+";
    const digits = ex.replace(/^[-+]/, "");
    return `${stripZeros(mant)}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
  }
  // Fixed notation with 17 significant digits = (16 - e) decimals, from the same rounded digits.
  const negative = sci.startsWith("-");
  if (negative) sci = sci.slice(1);
  const mantDigits = sci.slice(0, sci.indexOf("e")).replace(".", "");
  let out: string;
  if (e >= 0) {
    out = `${mantDigits.slice(0, e + 1)}.${mantDigits.slice(e + 1)}`;
  } else {
    out = `0.${"0".repeat(-e - 1)}${mantDigits}`;
  }
  out = stripZeros(out);
  return negative ? `-${out}` : out;
}

function stripZeros(s: string): string {
  if (s.indexOf(".") === -1) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/**
 * d.toExponential(16), except that an exact tie at the 18th significant digit rounds half to even
 * (glibc) instead of away from zero (ECMAScript).
 */
function exactToExponential(d: number): string {
  const s = d.toExponential(16);
  const wider = d.toExponential(17);
  // Only a value whose exact expansion ends in a 5 right after digit 17 can be a tie.
  if (wider.charCodeAt(wider.indexOf("e") - 1) !== 53) return s;
  if (!isExactTie(d)) return s;
  const lastDigit = s.charCodeAt(s.indexOf("e") - 1) - 48;
  if (lastDigit % 2 === 0) return s;
  // ECMAScript rounded away from an even digit; half-to-even keeps it.
  return truncateLastDigit(wider);
}

function isExactTie(d: number): boolean {
  const exact = exactDecimal(Math.abs(d));
  const digits = exact.replace(".", "").replace(/^0+/, "");
  return digits.length === 18 && digits.endsWith("5");
}

/** Drops the last mantissa digit of an exponential string (rounding toward zero). */
function truncateLastDigit(wider: string): string {
  const e = wider.indexOf("e");
  return wider.slice(0, e - 1) + wider.slice(e);
}

/** The exact decimal expansion of a finite positive double. */
function exactDecimal(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2: number;
  if (biased === 0) exp2 = -1074;
  else {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) return (mantissa << BigInt(exp2)).toString();
  const scale = -exp2;
  const digits = (mantissa * 5n ** BigInt(scale)).toString().padStart(scale + 1, "0");
  const intPart = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, "");
  return frac.length > 0 ? `${intPart}.${frac}` : intPart;
}
