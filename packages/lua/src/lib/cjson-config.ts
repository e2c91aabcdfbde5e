/**
 * The settings every cjson module table has (the global one and each cjson.new()), their
 * defaults as lua_cjson.c sets them, and the limits the encoder and decoder share.
 */

import { LuaUserdata } from "../value.js";

/** cjson.null: lua_pushlightuserdata(l, NULL). One object, so that decoded nulls == cjson.null. */
export const CJSON_NULL = new LuaUserdata(true);

export const INT_MAX = 2147483647;
export const TWO63 = 2 ** 63;
/** LUAI_MAXCSTACK: lua_checkstack fails beyond this many slots in one C function's frame. */
export const MAX_C_STACK = 8000;

export interface Config {
  encodeSparseConvert: number;
  encodeSparseRatio: number;
  encodeSparseSafe: number;
  encodeMaxDepth: number;
  /** 0 = refuse, 1 = allow ("nan", "inf"), 2 = encode as null. */
  encodeInvalidNumbers: number;
  encodeNumberPrecision: number;
  encodeKeepBuffer: number;
  decodeInvalidNumbers: number;
  decodeMaxDepth: number;
}

export function defaultConfig(): Config {
  return {
    encodeSparseConvert: 0,
    encodeSparseRatio: 2,
    encodeSparseSafe: 10,
    encodeMaxDepth: 1000,
    encodeInvalidNumbers: 0,
    encodeNumberPrecision: 14,
    encodeKeepBuffer: 1,
    decodeInvalidNumbers: 1,
    decodeMaxDepth: 1000,
  };
}
