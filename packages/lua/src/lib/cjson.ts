/**
 * Lua CJSON 2.1.0 as Redis 7.0 bundles it (deps/lua/src/lua_cjson.c, strbuf.c, fpconv.c): the
 * module table with its configuration functions; encoding is cjson-encode.ts, decoding
 * cjson-decode.ts. Every module table (the global one and each cjson.new()) has its own
 * configuration.
 */

import { argError, checkNumber, checkString, typeError } from "../auxlib.js";
import { LuaFunction, LuaTable, type LuaValue } from "../value.js";
import { CJSON_NULL, defaultConfig, INT_MAX, TWO63 } from "./cjson-config.js";
import { jsonDecode } from "./cjson-decode.js";
import { jsonEncode } from "./cjson-encode.js";

export { CJSON_NULL } from "./cjson-config.js";
export { jsonDecode } from "./cjson-decode.js";
export { jsonEncode } from "./cjson-encode.js";

/** (int)luaL_checkinteger: the lua_Integer truncation, then the low 32 bits. */
function checkCInt(args: readonly LuaValue[], i: number, fname: string): number {
  const n = checkNumber(args, i, fname);
  if (!(n >= -TWO63 && n < TWO63)) return 0; // INT64_MIN's low word
  return Math.trunc(n) | 0;
}

/** json_arg_init: at most `n` arguments. */
function argInit(args: readonly LuaValue[], n: number, fname: string): void {
  if (args.length > n) argError(n, fname, "found too many arguments");
}

function integerOption(
  args: readonly LuaValue[],
  i: number,
  fname: string,
  current: number,
  min: number,
  max: number,
): number {
  if (args[i] === undefined) return current;
  const value = checkCInt(args, i, fname);
  // The C reports argument #1 whichever option is out of range.
  if (!(min <= value && value <= max)) argError(0, fname, `expected integer between ${min} and ${max}`);
  return value;
}

/** luaL_checkoption. */
function checkOption(
  args: readonly LuaValue[],
  i: number,
  fname: string,
  options: readonly string[],
): number {
  const v = args[i];
  if (typeof v !== "string" && typeof v !== "number") typeError(args, i, fname, "string");
  const name = checkString(args, i, fname);
  const idx = options.indexOf(name);
  if (idx < 0) argError(i, fname, `invalid option '${name}'`);
  return idx;
}

const BOOL_OPTIONS = ["off", "on"];
const INVALID_NUMBER_OPTIONS = ["off", "on", "null"];

/** json_enum_option with bool_true = 1: returns the new setting. */
function enumOption(
  args: readonly LuaValue[],
  i: number,
  fname: string,
  current: number,
  options: readonly string[],
): number {
  const v = args[i];
  if (v === undefined) return current;
  if (typeof v === "boolean") return v ? 1 : 0;
  return checkOption(args, i, fname, options);
}

function enumResult(setting: number, options: readonly string[]): LuaValue {
  return setting === 0 || setting === 1 ? setting === 1 : options[setting];
}

/** A cjson module table with a fresh configuration (lua_cjson_new). */
export function createCjsonLibrary(): LuaTable {
  const cfg = defaultConfig();
  const fns: Record<string, (args: LuaValue[]) => LuaValue[]> = {
    encode: (args) => {
      if (args.length !== 1) argError(0, "encode", "expected 1 argument");
      return [jsonEncode(args[0], cfg)];
    },
    decode: (args) => {
      if (args.length !== 1) argError(0, "decode", "expected 1 argument");
      return [jsonDecode(checkString(args, 0, "decode"), cfg)];
    },
    encode_sparse_array: (args) => {
      const f = "encode_sparse_array";
      argInit(args, 3, f);
      cfg.encodeSparseConvert = enumOption(args, 0, f, cfg.encodeSparseConvert, BOOL_OPTIONS);
      const convert = enumResult(cfg.encodeSparseConvert, BOOL_OPTIONS);
      cfg.encodeSparseRatio = integerOption(args, 1, f, cfg.encodeSparseRatio, 0, INT_MAX);
      cfg.encodeSparseSafe = integerOption(args, 2, f, cfg.encodeSparseSafe, 0, INT_MAX);
      return [convert, cfg.encodeSparseRatio, cfg.encodeSparseSafe];
    },
    encode_max_depth: (args) => {
      argInit(args, 1, "encode_max_depth");
      cfg.encodeMaxDepth = integerOption(args, 0, "encode_max_depth", cfg.encodeMaxDepth, 1, INT_MAX);
      return [cfg.encodeMaxDepth];
    },
    decode_max_depth: (args) => {
      argInit(args, 1, "decode_max_depth");
      cfg.decodeMaxDepth = integerOption(args, 0, "decode_max_depth", cfg.decodeMaxDepth, 1, INT_MAX);
      return [cfg.decodeMaxDepth];
    },
    encode_number_precision: (args) => {
      const f = "encode_number_precision";
      argInit(args, 1, f);
      cfg.encodeNumberPrecision = integerOption(args, 0, f, cfg.encodeNumberPrecision, 1, 14);
      return [cfg.encodeNumberPrecision];
    },
    encode_keep_buffer: (args) => {
      argInit(args, 1, "encode_keep_buffer");
      cfg.encodeKeepBuffer = enumOption(args, 0, "encode_keep_buffer", cfg.encodeKeepBuffer, BOOL_OPTIONS);
      return [enumResult(cfg.encodeKeepBuffer, BOOL_OPTIONS)];
    },
    encode_invalid_numbers: (args) => {
      const f = "encode_invalid_numbers";
      argInit(args, 1, f);
      cfg.encodeInvalidNumbers = enumOption(args, 0, f, cfg.encodeInvalidNumbers, INVALID_NUMBER_OPTIONS);
      return [enumResult(cfg.encodeInvalidNumbers, INVALID_NUMBER_OPTIONS)];
    },
    decode_invalid_numbers: (args) => {
      const f = "decode_invalid_numbers";
      argInit(args, 1, f);
      cfg.decodeInvalidNumbers = enumOption(args, 0, f, cfg.decodeInvalidNumbers, BOOL_OPTIONS);
      return [enumResult(cfg.decodeInvalidNumbers, BOOL_OPTIONS)];
    },
    new: () => [createCjsonLibrary()],
  };
  const t = new LuaTable();
  for (const [name, fn] of Object.entries(fns)) t.set(name, new LuaFunction(name, fn));
  t.set("null", CJSON_NULL);
  t.set("_NAME", "cjson");
  t.set("_VERSION", "2.1.0");
  return t;
}

/** Registers the global `cjson` (Redis's luaLoadLib of luaopen_cjson). */
export function openCjson(globals: LuaTable): void {
  globals.set("cjson", createCjsonLibrary());
}
