/**
 * Roberto Ierusalimschy's struct library as Redis bundles it (deps/lua/src/lua_struct.c, with
 * Redis's security fixes: "integral size overflow", "offset must be 1 or greater"): pack,
 * unpack and size of binary records on an x86-64 host (little endian, short 2, int 4, long
 * and size_t 8, double alignment 8).
 *
 * Format options: > < (endianness), ![n] (max alignment), x (pad byte), b/B h/H l/L T i[n]/I[n]
 * (integers, n up to 32 bytes), f d (float, double), c[n] (n chars; c0 = the whole string when
 * packing, the previous number when unpacking), s (zero-terminated string), ' ' (ignored).
 */

import { argError, checkNumber, checkString, libraryTable } from "../auxlib.js";
import { type LuaTable, type LuaValue, luaError, stringToNumber } from "../value.js";

const BIG = 0;
const LITTLE = 1;
const NATIVE = LITTLE;
const MAXINTSIZE = 32;
const MAXALIGN = 8;
const INT_MAX = 2147483647;
/** LUAI_MAXCSTACK: lua_checkstack fails beyond this many slots in one C function's frame. */
const MAX_C_STACK = 8000;

const MASK64 = (1n << 64n) - 1n;
const TWO63 = 2 ** 63;
const BIT63 = 1n << 63n;

interface Header {
  endian: number;
  align: number;
}

/** A cursor over the format string (luaL_checkstring's C string: it ends at the first NUL). */
interface Fmt {
  s: string;
  i: number;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function isAlnum(c: string): boolean {
  return (c >= "0" && c <= "9") || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

function getnum(f: Fmt, df: number): number {
  if (!isDigit(f.s[f.i])) return df;
  let a = 0;
  do {
    const d = f.s.charCodeAt(f.i) - 48;
    if (a > Math.trunc(INT_MAX / 10) || a * 10 > INT_MAX - d) luaError("integral size overflow");
    a = a * 10 + d;
    f.i++;
  } while (isDigit(f.s[f.i]));
  return a;
}

function optsize(opt: string, f: Fmt): number {
  switch (opt) {
    case "B":
    case "b":
      return 1;
    case "H":
    case "h":
      return 2;
    case "L":
    case "l":
    case "T":
      return 8;
    case "f":
      return 4;
    case "d":
      return 8;
    case "x":
      return 1;
    case "c":
      return getnum(f, 1);
    case "i":
    case "I": {
      const sz = getnum(f, 4);
      if (sz > MAXINTSIZE) luaError(`integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default:
      return 0;
  }
}

/** Padding needed to align an item of `size` at `len` (len may stand for a wrapped size_t). */
function gettoalign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === "c") return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function controloptions(opt: string, f: Fmt, h: Header, fname: string): void {
  switch (opt) {
    case " ":
      return;
    case ">":
      h.endian = BIG;
      return;
    case "<":
      h.endian = LITTLE;
      return;
    case "!": {
      const a = getnum(f, MAXALIGN);
      if (!(a > 0 && (a & (a - 1)) === 0)) luaError(`alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      argError(0, fname, `invalid format option '${opt}'`);
  }
}

function formatArg(args: readonly LuaValue[], fname: string): Fmt {
  const s = checkString(args, 0, fname);
  const nul = s.indexOf("\0");
  return { s: nul < 0 ? s : s.slice(0, nul), i: 0 };
}

/** (long)n on x86-64: truncation, with out-of-range and NaN giving INT64_MIN. */
function int64Cast(n: number): bigint {
  if (!(n >= -TWO63 && n < TWO63)) return BIT63;
  return BigInt.asUintN(64, BigInt(Math.trunc(n)));
}

/** (unsigned long)n for n >= 0 (or NaN) as gcc compiles it on x86-64. */
function uint64Cast(n: number): bigint {
  if (Number.isNaN(n) || n < TWO63) return int64Cast(n);
  const m = n - TWO63;
  return (m < TWO63 ? BigInt(Math.trunc(m)) : BIT63) ^ BIT63;
}

function putinteger(out: string[], n: number, endian: number, size: number): void {
  let value = n < 0 ? int64Cast(n) : uint64Cast(n);
  const bytes: string[] = new Array(size);
  if (endian === LITTLE) {
    for (let i = 0; i < size; i++) {
      bytes[i] = String.fromCharCode(Number(value & 0xffn));
      value >>= 8n;
    }
  } else {
    for (let i = size - 1; i >= 0; i--) {
      bytes[i] = String.fromCharCode(Number(value & 0xffn));
      value >>= 8n;
    }
  }
  out.push(bytes.join(""));
}

function getinteger(data: string, pos: number, endian: number, issigned: boolean, size: number): number {
  let l = 0n;
  if (endian === BIG) {
    for (let i = 0; i < size; i++) l = ((l << 8n) | BigInt(data.charCodeAt(pos + i))) & MASK64;
  } else {
    for (let i = size - 1; i >= 0; i--) l = ((l << 8n) | BigInt(data.charCodeAt(pos + i))) & MASK64;
  }
  if (!issigned) return Number(l);
  // x86 masks the shift count to 6 bits, which matters for sizes above 8.
  const mask = (MASK64 << BigInt((size * 8 - 1) & 63)) & MASK64;
  if ((l & mask) !== 0n) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

function bytesOf(view: DataView, size: number): string {
  let s = "";
  for (let i = 0; i < size; i++) s += String.fromCharCode(view.getUint8(i));
  return s;
}

function viewOf(data: string, pos: number, size: number): DataView {
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < size; i++) view.setUint8(i, data.charCodeAt(pos + i));
  return view;
}

function pack(argv: LuaValue[]): LuaValue[] {
  const f = formatArg(argv, "pack");
  // b_pack pushes a nil after its arguments, so the first missing one reads as "got nil".
  const args = argv.concat([undefined]);
  const h: Header = { endian: NATIVE, align: 1 };
  let arg = 1;
  let totalsize = 0;
  const out: string[] = [];
  while (f.i < f.s.length) {
    const opt = f.s[f.i++];
    let size = optsize(opt, f);
    const toalign = gettoalign(totalsize, h, opt, size);
    totalsize += toalign;
    if (toalign > 0) out.push("\0".repeat(toalign));
    switch (opt) {
      case "b":
      case "B":
      case "h":
      case "H":
      case "l":
      case "L":
      case "T":
      case "i":
      case "I":
        putinteger(out, checkNumber(args, arg++, "pack"), h.endian, size);
        break;
      case "x":
        out.push("\0");
        break;
      case "f": {
        const view = new DataView(new ArrayBuffer(8));
        view.setFloat32(0, checkNumber(args, arg++, "pack"), h.endian === LITTLE);
        out.push(bytesOf(view, 4));
        break;
      }
      case "d": {
        const view = new DataView(new ArrayBuffer(8));
        view.setFloat64(0, checkNumber(args, arg++, "pack"), h.endian === LITTLE);
        out.push(bytesOf(view, 8));
        break;
      }
      case "c":
      case "s": {
        const s = checkString(args, arg++, "pack");
        const l = s.length;
        if (size === 0) size = l;
        // The C checks after advancing `arg`, so it names the argument after the string.
        if (!(l >= size)) argError(arg, "pack", "string too short");
        out.push(size === l ? s : s.slice(0, size));
        if (opt === "s") {
          out.push("\0");
          size++;
        }
        break;
      }
      default:
        controloptions(opt, f, h, "pack");
    }
    totalsize += size;
  }
  return [out.join("")];
}

/** (lua_Integer)n: truncation, INT64_MIN for NaN and out-of-range values. */
function toInteger(n: number): number {
  if (!(n >= -TWO63 && n < TWO63)) return -TWO63;
  return Math.trunc(n);
}

function unpack(args: LuaValue[]): LuaValue[] {
  const f = formatArg(args, "unpack");
  const data = checkString(args, 1, "unpack");
  const ld = data.length;
  const offset = args[2] === undefined ? 1 : toInteger(checkNumber(args, 2, "unpack"));
  if (offset === 0) argError(2, "unpack", "offset must be 1 or greater");
  // pos is a size_t in the C: a negative offset wraps to a huge position, which no item fits.
  let pos = offset - 1;
  const h: Header = { endian: NATIVE, align: 1 };
  const results: LuaValue[] = [];
  const base = args.length;
  while (f.i < f.s.length) {
    const opt = f.s[f.i++];
    let size = optsize(opt, f);
    pos += gettoalign(pos, h, opt, size);
    if (!(pos >= 0 && size <= ld && pos <= ld - size)) argError(1, "unpack", "data string too short");
    if (base + results.length + 2 > MAX_C_STACK) luaError("stack overflow (too many results)");
    switch (opt) {
      case "b":
      case "B":
      case "h":
      case "H":
      case "l":
      case "L":
      case "T":
      case "i":
      case "I":
        results.push(getinteger(data, pos, h.endian, opt >= "a" && opt <= "z", size));
        break;
      case "x":
        break;
      case "f":
        results.push(viewOf(data, pos, 4).getFloat32(0, h.endian === LITTLE));
        break;
      case "d":
        results.push(viewOf(data, pos, 8).getFloat64(0, h.endian === LITTLE));
        break;
      case "c": {
        if (size === 0) {
          const prev = results.length === 0 ? undefined : results[results.length - 1];
          const n =
            typeof prev === "number" ? prev : typeof prev === "string" ? stringToNumber(prev) : undefined;
          if (n === undefined) luaError("format 'c0' needs a previous size");
          results.pop();
          // (size_t)n: negative values wrap to huge sizes, NaN to 2^63.
          const fits = n > -1 && n < TWO63;
          size = fits ? Math.trunc(n) : Number.POSITIVE_INFINITY;
          if (!(size <= ld && pos <= ld - size)) argError(1, "unpack", "data string too short");
        }
        results.push(data.slice(pos, pos + size));
        break;
      }
      case "s": {
        const e = data.indexOf("\0", pos);
        if (e < 0) luaError("unfinished string in data");
        size = e - pos + 1;
        results.push(data.slice(pos, e));
        break;
      }
      default:
        controloptions(opt, f, h, "unpack");
    }
    pos += size;
  }
  results.push(pos + 1);
  return results;
}

function size(args: LuaValue[]): LuaValue[] {
  const f = formatArg(args, "size");
  const h: Header = { endian: NATIVE, align: 1 };
  let pos = 0;
  while (f.i < f.s.length) {
    const opt = f.s[f.i++];
    const sz = optsize(opt, f);
    pos += gettoalign(pos, h, opt, sz);
    if (opt === "s") argError(0, "size", "option 's' has no fixed size");
    else if (opt === "c" && sz === 0) argError(0, "size", "option 'c0' has no fixed size");
    if (!isAlnum(opt)) controloptions(opt, f, h, "size");
    pos += sz;
  }
  return [pos];
}

export function createStructLibrary(): LuaTable {
  return libraryTable({ pack, unpack, size });
}

/** Registers the global `struct` (luaL_register(L, "struct", ...)). */
export function openStruct(globals: LuaTable): void {
  globals.set("struct", createStructLibrary());
}
