/**
 * Argument checks for library functions, with Lua 5.1's messages (lauxlib.c): "bad argument
 * #2 to 'rep' (number expected, got no value)". Positions are 0-based here and printed 1-based.
 * The errors carry level 1, so the interpreter prefixes the calling line as luaL_error does.
 */

import {
  LuaError,
  LuaFunction,
  LuaTable,
  type LuaValue,
  numberToString,
  stringToNumber,
  typeName,
} from "./value.js";

export function argError(index: number, fname: string, message: string): never {
  throw new LuaError(`bad argument #${index + 1} to '${fname}' (${message})`, 1);
}

/** luaL_typerror: "<expected> expected, got <type or 'no value'>". */
export function typeError(args: readonly LuaValue[], index: number, fname: string, expected: string): never {
  const got = index >= args.length ? "no value" : typeName(args[index]);
  argError(index, fname, `${expected} expected, got ${got}`);
}

/** luaL_checklstring: strings, and numbers converted to their printed form. */
export function checkString(args: readonly LuaValue[], index: number, fname: string): string {
  const v = args[index];
  if (typeof v === "string") return v;
  if (typeof v === "number") return numberToString(v);
  typeError(args, index, fname, "string");
}

export function optString(args: readonly LuaValue[], index: number, fname: string, dflt: string): string {
  return args[index] === undefined ? dflt : checkString(args, index, fname);
}

/** luaL_checknumber: numbers, and strings that convert. */
export function checkNumber(args: readonly LuaValue[], index: number, fname: string): number {
  const v = args[index];
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const n = stringToNumber(v);
    if (n !== undefined) return n;
  }
  typeError(args, index, fname, "number");
}

/**
 * luaL_checkint / luaL_checkinteger: the number truncated toward zero, as the C cast does on
 * x86-64 (out-of-range and NaN values give INT_MIN there; 0 here for NaN keeps JS sane).
 */
export function checkInt(args: readonly LuaValue[], index: number, fname: string): number {
  const n = checkNumber(args, index, fname);
  return Number.isNaN(n) ? 0 : Math.trunc(n);
}

export function optInt(args: readonly LuaValue[], index: number, fname: string, dflt: number): number {
  return args[index] === undefined ? dflt : checkInt(args, index, fname);
}

export function checkTable(args: readonly LuaValue[], index: number, fname: string): LuaTable {
  const v = args[index];
  if (v instanceof LuaTable) return v;
  typeError(args, index, fname, "table");
}

export function checkFunction(args: readonly LuaValue[], index: number, fname: string): LuaFunction {
  const v = args[index];
  if (v instanceof LuaFunction) return v;
  typeError(args, index, fname, "function");
}

/** luaL_checkany: any value, nil included, but the argument must be present. */
export function checkAny(args: readonly LuaValue[], index: number, fname: string): LuaValue {
  if (index >= args.length) argError(index, fname, "value expected");
  return args[index];
}

/** A library table from a record of native functions, each named for its error messages. */
export function libraryTable(functions: Record<string, (args: LuaValue[]) => LuaValue[]>): LuaTable {
  const t = new LuaTable();
  for (const [name, fn] of Object.entries(functions)) t.set(name, new LuaFunction(name, fn));
  return t;
}
