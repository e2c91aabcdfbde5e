/**
 * string.format (lstrlib.c's str_format) and the C printf conversions it relies on, byte for
 * byte as glibc prints them: doubles are converted exactly and rounded half-to-even on exact
 * binary ties (printf("%.0f", 2.5) = "2", where JS's toFixed says "3").
 */

import { argError, checkNumber, checkString } from "../auxlib.js";
import { type FormatSpec, formatFloat, pad, plainSpec } from "../printf.js";
import { LuaError, type LuaValue } from "../value.js";

const TWO63 = 2 ** 63;
const INT64_MIN = -(1n << 63n);

/** (long long)x as x86-64 converts it: truncation, INT64_MIN when out of range or NaN. */
export function toInt64(x: number): bigint {
  if (!(x >= -TWO63 && x < TWO63)) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

/** (unsigned long long)x as gcc's x86-64 code converts it (wrapping negatives, 0 past 2^64). */
export function toUint64(x: number): bigint {
  if (x >= TWO63) {
    const v = x - TWO63;
    return v >= TWO63 ? 0n : BigInt(Math.trunc(v)) + (1n << 63n);
  }
  if (!(x >= -TWO63)) return 1n << 63n; // NaN and below -2^63: cvttsd2si's 0x8000000000000000
  return BigInt.asUintN(64, BigInt(Math.trunc(x)));
}

/** (int)x as x86-64 converts it: truncation, INT_MIN when out of range or NaN. */
export function toInt32(x: number): number {
  if (!(x > -2147483649 && x < 2147483648)) return -2147483648;
  return Math.trunc(x) | 0;
}

/** printf of an integer with conversion d, i, o, u, x or X. */
export function formatInteger(x: number, conv: string, spec: FormatSpec): string {
  const signed = conv === "d" || conv === "i";
  let neg = false;
  let digits: string;
  const base = conv === "o" ? 8 : conv === "x" || conv === "X" ? 16 : 10;
  const t = Math.trunc(x);
  if (Number.isSafeInteger(t) && (signed || t >= 0)) {
    neg = t < 0;
    digits = Math.abs(t).toString(base);
  } else {
    let v = signed ? toInt64(x) : toUint64(x);
    if (v < 0n) {
      neg = true;
      v = -v;
    }
    digits = v.toString(base);
  }
  if (conv === "X") digits = digits.toUpperCase();
  const isZero = digits === "0";
  if (spec.precision >= 0) {
    if (spec.precision === 0 && isZero) digits = "";
    if (digits.length < spec.precision) digits = "0".repeat(spec.precision - digits.length) + digits;
  }
  let prefix = "";
  if (signed) prefix = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (spec.alt) {
    if (conv === "o") {
      if (digits.charCodeAt(0) !== 48) digits = `0${digits}`;
    } else if ((conv === "x" || conv === "X") && !isZero) {
      prefix = conv === "x" ? "0x" : "0X";
    }
  }
  return pad(digits, prefix, spec, spec.precision < 0);
}

/** %q (addquoted). */
export function quoteString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c === 34) rep = '\\"';
    else if (c === 92) rep = "\\\\";
    else if (c === 10) rep = "\\\n";
    else if (c === 13) rep = "\\r";
    else if (c === 0) rep = "\\000";
    else continue;
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return `${out + s.slice(start)}"`;
}

/** The C string a char* sees: up to the first "\0". */
function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** string.format(fmt, ...). */
export function stringFormat(args: LuaValue[]): LuaValue[] {
  const fmt = checkString(args, 0, "format");
  const top = args.length;
  const n = fmt.length;
  let arg = 0;
  let out = "";
  let i = 0;
  while (i < n) {
    if (fmt.charCodeAt(i) !== 37) {
      let j = fmt.indexOf("%", i);
      if (j < 0) j = n;
      out += fmt.slice(i, j);
      i = j;
      continue;
    }
    i++;
    if (i < n && fmt.charCodeAt(i) === 37) {
      out += "%";
      i++;
      continue;
    }
    // A format item.
    if (++arg >= top) argError(arg, "format", "no value");
    const spec = plainSpec(-1);
    const flagsStart = i;
    for (; i < n; i++) {
      const c = fmt.charCodeAt(i);
      if (c === 45) spec.left = true;
      else if (c === 43) spec.plus = true;
      else if (c === 32) spec.space = true;
      else if (c === 35) spec.alt = true;
      else if (c === 48) spec.zero = true;
      else break;
    }
    if (i - flagsStart >= 6) throw new LuaError("invalid format (repeated flags)", 1);
    let c = i < n ? fmt.charCodeAt(i) : 0;
    if (isDigit(c)) {
      spec.width = c - 48;
      c = ++i < n ? fmt.charCodeAt(i) : 0;
      if (isDigit(c)) {
        spec.width = spec.width * 10 + c - 48;
        c = ++i < n ? fmt.charCodeAt(i) : 0;
      }
    }
    if (c === 46) {
      spec.precision = 0;
      c = ++i < n ? fmt.charCodeAt(i) : 0;
      if (isDigit(c)) {
        spec.precision = c - 48;
        c = ++i < n ? fmt.charCodeAt(i) : 0;
        if (isDigit(c)) {
          spec.precision = spec.precision * 10 + c - 48;
          c = ++i < n ? fmt.charCodeAt(i) : 0;
        }
      }
    }
    if (isDigit(c)) throw new LuaError("invalid format (width or precision too long)", 1);
    i++;
    switch (c) {
      case 99: {
        // c: (int) then the byte; a "\0" ends the C string sprintf produced
        const code = toInt32(checkNumber(args, arg, "format")) & 255;
        out += cString(pad(String.fromCharCode(code), "", spec, false));
        break;
      }
      case 100: // d
      case 105: // i
      case 111: // o
      case 117: // u
      case 120: // x
      case 88: // X
        out += formatInteger(checkNumber(args, arg, "format"), String.fromCharCode(c), spec);
        break;
      case 101: // e
      case 69: // E
      case 102: // f
      case 103: // g
      case 71: // G
        out += formatFloat(checkNumber(args, arg, "format"), String.fromCharCode(c), spec);
        break;
      case 113: // q
        out += quoteString(checkString(args, arg, "format"));
        break;
      case 115: {
        // s
        const s = checkString(args, arg, "format");
        if (spec.precision < 0 && s.length >= 100) {
          out += s; // too long to format: kept whole, as lstrlib.c does
        } else {
          let cs = cString(s);
          if (spec.precision >= 0 && cs.length > spec.precision) cs = cs.slice(0, spec.precision);
          out += pad(cs, "", spec, false);
        }
        break;
      }
      default: {
        // lua_pushfstring's %c of a "\0" adds nothing
        const ch = c === 0 ? "" : String.fromCharCode(c);
        throw new LuaError(`invalid option '%${ch}' to 'format'`, 1);
      }
    }
  }
  return [out];
}
