/**
 * LuaBitOp 1.0.2 (`bit`), as Redis bundles it (deps/lua/src/lua_bit.c): 32-bit operations on
 * Lua numbers. Arguments are normalised the way the C does it on a double-number Lua: add
 * 2^52+2^51 to the double and take the low 32 bits of the result's bit pattern, which wraps
 * integers modulo 2^32 and rounds non-integers to nearest-even (huge values keep whatever
 * low mantissa bits they have). Results are the signed 32-bit value as a number.
 */

import { libraryTable, typeError } from "../auxlib.js";
import { type LuaTable, type LuaValue, stringToNumber } from "../value.js";

const scratch = new DataView(new ArrayBuffer(8));

/** The low word of (n + 2^52 + 2^51) as an unsigned 32-bit integer. */
export function toBitsUnsigned(n: number): number {
  scratch.setFloat64(0, n + 6755399441055744.0, true);
  return scratch.getUint32(0, true);
}

/** bit.tobit's normalisation: the signed 32-bit value LuaBitOp gives a number. */
export function toBit(n: number): number {
  return toBitsUnsigned(n) | 0;
}

/** barg(): lua_tonumber of the argument (0 for non-numbers), then the error check. */
function barg(args: readonly LuaValue[], i: number, fname: string): number {
  const v = args[i];
  let n: number | undefined;
  if (typeof v === "number") n = v;
  else if (typeof v === "string") n = stringToNumber(v);
  const b = toBitsUnsigned(n ?? 0);
  if (b === 0 && n === undefined) typeError(args, i, fname, "number");
  return b;
}

function ret(b: number): LuaValue[] {
  return [b | 0];
}

function bitOp(fname: string, op: (a: number, b: number) => number): (args: LuaValue[]) => LuaValue[] {
  return (args) => {
    let b = barg(args, 0, fname);
    for (let i = args.length - 1; i > 0; i--) b = op(b, barg(args, i, fname));
    return ret(b);
  };
}

function shiftOp(fname: string, op: (b: number, n: number) => number): (args: LuaValue[]) => LuaValue[] {
  return (args) => {
    const b = barg(args, 0, fname);
    const n = barg(args, 1, fname) & 31;
    return ret(op(b, n));
  };
}

function tohex(args: LuaValue[]): LuaValue[] {
  let b = barg(args, 0, "tohex");
  let n = args.length < 2 ? 8 : barg(args, 1, "tohex") | 0;
  let digits = "0123456789abcdef";
  // INT32_MIN has no positive counterpart; later Redis releases clamp it (CVE-2024-31449).
  if (n === -2147483648) n = -2147483647;
  if (n < 0) {
    n = -n;
    digits = "0123456789ABCDEF";
  }
  if (n > 8) n = 8;
  const out: string[] = new Array(n);
  for (let i = n; --i >= 0; ) {
    out[i] = digits[b & 15];
    b >>>= 4;
  }
  return [out.join("")];
}

export function createBitLibrary(): LuaTable {
  return libraryTable({
    tobit: (args) => ret(barg(args, 0, "tobit")),
    bnot: (args) => ret(~barg(args, 0, "bnot")),
    band: bitOp("band", (a, b) => a & b),
    bor: bitOp("bor", (a, b) => a | b),
    bxor: bitOp("bxor", (a, b) => a ^ b),
    lshift: shiftOp("lshift", (b, n) => b << n),
    rshift: shiftOp("rshift", (b, n) => b >>> n),
    arshift: shiftOp("arshift", (b, n) => (b | 0) >> n),
    rol: shiftOp("rol", (b, n) => (b << n) | (b >>> (32 - n))),
    ror: shiftOp("ror", (b, n) => (b << (32 - n)) | (b >>> n)),
    bswap: (args) => {
      const b = barg(args, 0, "bswap");
      return ret((b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
    },
    tohex,
  });
}

/** Registers the global `bit` (luaL_register(L, "bit", ...)). */
export function openBit(globals: LuaTable): void {
  globals.set("bit", createBitLibrary());
}
