/**
 * C's printf conversions of doubles (%e %f %g and their variants), exactly as glibc prints them:
 * from the double's exact binary value, rounded half-to-even on exact ties (printf("%.0f", 2.5)
 * is "2" where JS's toFixed says "3"). tostring(), string.format, cjson and redis.call's
 * argument formatting all print numbers through here.
 */

/** A parsed conversion specification: flags, width and precision (-1 = none). */
export interface FormatSpec {
  left: boolean;
  plus: boolean;
  space: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  precision: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** x = m * 2^e with m an odd integer (x finite and > 0). */
function decompose(x: number): [number, number] {
  f64[0] = x;
  const lo = u32[0];
  const hi = u32[1];
  const biased = (hi >>> 20) & 0x7ff;
  let mantHi = hi & 0xfffff;
  let e: number;
  if (biased === 0) {
    e = -1074;
  } else {
    mantHi |= 0x100000;
    e = biased - 1075;
  }
  // strip the trailing zero bits (x is nonzero, so one of the words has a set bit)
  if (lo !== 0) {
    const tz = 31 - Math.clz32(lo & -lo);
    return [(mantHi * 4294967296 + lo) / 2 ** tz, e + tz];
  }
  const tz = 31 - Math.clz32(mantHi & -mantHi);
  return [mantHi / 2 ** tz, e + 32 + tz];
}

/** The exact decimal value of x > 0 (finite): digits D and k with x = D * 10^-k. */
function exactDecimal(x: number): [string, number] {
  const [m, e] = decompose(x);
  if (e >= 0) return [(BigInt(m) << BigInt(e)).toString(), 0];
  return [(BigInt(m) * 5n ** BigInt(-e)).toString(), -e];
}

function isOddDigit(code: number): boolean {
  return (code & 1) === 1; // '0' is 48, so odd digits have odd codes
}

/**
 * x > 0 (finite) rounded to `sig` significant digits, half to even: the digits (exactly `sig` of
 * them) and the decimal exponent X of the first, so that x ~ d.ddd * 10^X.
 */
export function significantDigits(x: number, sig: number): [string, number] {
  const [m, e] = decompose(x);
  if (e >= 0 && x <= Number.MAX_SAFE_INTEGER) return roundDigits(String(x), 0, sig); // exact digits
  if (sig <= 100) {
    // toExponential is exact except that it breaks ties upward. A tie needs x to have exactly
    // sig+1 significant digits (ending in 5): m * 5^-e has about log10(m) - e*log10(5) + 1.
    let mayTie = true;
    if (e < 0) {
      const digits = Math.floor(Math.log10(m) - e * LOG10_5) + 1;
      mayTie = Math.abs(digits - (sig + 1)) <= 1;
    }
    if (mayTie) {
      const probe = x.toExponential(sig);
      mayTie = probe.charCodeAt(probe.indexOf("e") - 1) === 53 && Number(probe) === x;
    }
    if (!mayTie) {
      const s = x.toExponential(sig - 1);
      const ePos = s.indexOf("e");
      const digits = sig === 1 ? s[0] : s[0] + s.slice(2, ePos);
      return [digits, Number(s.slice(ePos + 1))];
    }
  }
  const [d, k] = exactDecimal(x);
  return roundDigits(d, k, sig);
}

const LOG10_5 = Math.log10(5);

/** Exact decimal digits d (value d * 10^-k) rounded half to even to `sig` significant digits. */
function roundDigits(d: string, k: number, sig: number): [string, number] {
  let exp = d.length - 1 - k;
  if (d.length <= sig) return [d + "0".repeat(sig - d.length), exp];
  let head = d.slice(0, sig);
  const first = d.charCodeAt(sig);
  let up = first > 53;
  if (first === 53) {
    up = isOddDigit(head.charCodeAt(sig - 1));
    for (let i = sig + 1; i < d.length && !up; i++) if (d.charCodeAt(i) !== 48) up = true;
  }
  if (up) {
    head = (BigInt(head) + 1n).toString();
    if (head.length > sig) {
      head = head.slice(0, sig);
      exp++;
    }
  }
  return [head, exp];
}

/** x >= 0 (finite) with `p` decimals, rounded half to even: "123.456" (no point when p = 0). */
export function fixedDigits(x: number, p: number): string {
  if (x === 0) return p === 0 ? "0" : `0.${"0".repeat(p)}`;
  const [m, e] = decompose(x);
  if (x < 1e21 && p <= 100 && (e >= 0 || -e !== p + 1)) {
    // Not a tie (x has fewer or more than p+1 decimals): toFixed's exact rounding is right.
    return x.toFixed(p);
  }
  let digits: string;
  if (e >= 0) {
    digits = (BigInt(m) << BigInt(e)).toString() + "0".repeat(p);
  } else {
    const k = BigInt(-e);
    const num = BigInt(m) * 10n ** BigInt(p);
    let q = num >> k;
    const r = num - (q << k);
    const half = 1n << (k - 1n);
    if (r > half || (r === half && (q & 1n) === 1n)) q++;
    digits = q.toString().padStart(p + 1, "0");
  }
  if (p === 0) return digits;
  return `${digits.slice(0, digits.length - p)}.${digits.slice(digits.length - p)}`;
}

function exponentPart(x: number, upper: boolean): string {
  const a = Math.abs(x);
  return `${upper ? "E" : "e"}${x < 0 ? "-" : "+"}${a < 10 ? `0${a}` : a}`;
}

export function pad(body: string, prefix: string, spec: FormatSpec, zeroAllowed: boolean): string {
  const len = prefix.length + body.length;
  if (spec.width <= len) return prefix + body;
  const fill = spec.width - len;
  if (spec.left) return prefix + body + " ".repeat(fill);
  if (spec.zero && zeroAllowed) return prefix + "0".repeat(fill) + body;
  return " ".repeat(fill) + prefix + body;
}

function stripZeros(frac: string): string {
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  return frac.slice(0, end);
}

/** The body (no sign) of %e/%E/%f/%g/%G for finite x >= 0. */
function floatBody(x: number, conv: string, precision: number, alt: boolean): string {
  switch (conv) {
    case "f": {
      const p = precision < 0 ? 6 : precision;
      const s = fixedDigits(x, p);
      return alt && p === 0 ? `${s}.` : s;
    }
    case "e":
    case "E": {
      const p = precision < 0 ? 6 : precision;
      const [digits, exp] = x === 0 ? ["0".repeat(p + 1), 0] : significantDigits(x, p + 1);
      const point = p > 0 || alt ? "." : "";
      return `${digits[0]}${point}${digits.slice(1)}${exponentPart(exp, conv === "E")}`;
    }
    default: {
      // g, G
      const p = precision < 0 ? 6 : precision === 0 ? 1 : precision;
      const [digits, exp] = x === 0 ? ["0".repeat(p), 0] : significantDigits(x, p);
      if (exp < -4 || exp >= p) {
        const frac = alt ? digits.slice(1) : stripZeros(digits.slice(1));
        const point = frac.length > 0 || alt ? "." : "";
        return `${digits[0]}${point}${frac}${exponentPart(exp, conv === "G")}`;
      }
      let int: string;
      let frac: string;
      if (exp >= 0) {
        int = digits.slice(0, exp + 1);
        frac = digits.slice(exp + 1);
      } else {
        int = "0";
        frac = "0".repeat(-exp - 1) + digits;
      }
      if (!alt) frac = stripZeros(frac);
      return frac.length > 0 || alt ? `${int}.${frac}` : int;
    }
  }
}

/** printf of a double with conversion e, E, f, g or G. NaN prints as "-nan" (x86's 0/0). */
export function formatFloat(x: number, conv: string, spec: FormatSpec): string {
  const upper = conv === "E" || conv === "G";
  if (Number.isNaN(x)) return pad(upper ? "NAN" : "nan", "-", spec, false);
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  const a = Math.abs(x);
  if (a === Number.POSITIVE_INFINITY) return pad(upper ? "INF" : "inf", sign, spec, false);
  return pad(floatBody(a, conv, spec.precision, spec.alt), sign, spec, true);
}

/** A conversion without flags or width, with `precision` (-1 = none). */
export function plainSpec(precision: number): FormatSpec {
  return { left: false, plus: false, space: false, alt: false, zero: false, width: 0, precision };
}

/** printf("%.<precision>g"): exact, for numberToString ("%.14g") and tostring(). */
export function formatNumberG(x: number, precision: number): string {
  return formatFloat(x, "g", plainSpec(precision));
}
