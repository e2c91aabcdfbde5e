/**
 * lua-cmsgpack 0.4.0 as Redis bundles it (deps/lua/src/lua_cmsgpack.c): MessagePack for Lua 5.1
 * on a 64-bit host. pack(...) concatenates the encodings of its arguments; unpack decodes every
 * value in a string, unpack_one / unpack_limit decode some and return the next offset first.
 *
 * Encoding: integral doubles within int64 as the smallest MessagePack integer, other numbers as
 * float 32 when exact else float 64; strings as fixstr/str8/str16/str32 (0xa0/0xd9/0xda/0xdb,
 * never bin); tables whose keys are exactly 1..n as arrays (the empty table too), others as
 * maps; nil, functions and userdata (cjson.null too) as nil; tables nested 16 deep as nil.
 * Decoding accepts the types the encoder writes plus fixint/int/uint of every width and
 * rejects bin, ext and 0xc1 ("Bad data format in input.").
 */

import { argError, checkNumber, checkString, libraryTable } from "../auxlib.js";
import { index } from "../ops.js";
import { LuaError, LuaTable, type LuaValue, luaError } from "../value.js";

const MAX_NESTING = 16;
/** LUAI_MAXCSTACK: lua_checkstack fails beyond this many slots in one C function's frame. */
const MAX_C_STACK = 8000;
const INT_MAX = 2147483647;
const TWO63 = 2 ** 63;

// ----------------------------------------------------------------------------- encoding

function byte(b: number): string {
  return String.fromCharCode(b & 0xff);
}

function be(n: number | bigint, size: number): string {
  let v = BigInt.asUintN(size * 8, BigInt(n));
  let s = "";
  for (let i = 0; i < size; i++) {
    s = String.fromCharCode(Number(v & 0xffn)) + s;
    v >>= 8n;
  }
  return s;
}

function encodeBytes(out: string[], s: string): void {
  const len = s.length;
  if (len < 32) out.push(byte(0xa0 | len));
  else if (len <= 0xff) out.push(`\xd9${byte(len)}`);
  else if (len <= 0xffff) out.push(`\xda${be(len, 2)}`);
  else out.push(`\xdb${be(len, 4)}`);
  out.push(s);
}

const scratch = new DataView(new ArrayBuffer(8));

function encodeDouble(out: string[], d: number): void {
  if (d === Math.fround(d)) {
    scratch.setFloat32(0, d);
    out.push(
      `\xca${String.fromCharCode(scratch.getUint8(0), scratch.getUint8(1), scratch.getUint8(2), scratch.getUint8(3))}`,
    );
    return;
  }
  if (Number.isNaN(d)) {
    // JS cannot keep a NaN's sign; 0/0 on x86 (the usual source) has it set.
    out.push("\xcb\xff\xf8\x00\x00\x00\x00\x00\x00");
    return;
  }
  scratch.setFloat64(0, d);
  let s = "\xcb";
  for (let i = 0; i < 8; i++) s += String.fromCharCode(scratch.getUint8(i));
  out.push(s);
}

function encodeInt(out: string[], n: number): void {
  if (n >= 0) {
    if (n <= 127) out.push(byte(n));
    else if (n <= 0xff) out.push(`\xcc${byte(n)}`);
    else if (n <= 0xffff) out.push(`\xcd${be(n, 2)}`);
    else if (n <= 0xffffffff) out.push(`\xce${be(n, 4)}`);
    else out.push(`\xcf${be(n, 8)}`);
  } else {
    if (n >= -32) out.push(byte(n));
    else if (n >= -128) out.push(`\xd0${byte(n)}`);
    else if (n >= -32768) out.push(`\xd1${be(n, 2)}`);
    else if (n >= -2147483648) out.push(`\xd2${be(n, 4)}`);
    else out.push(`\xd3${be(n, 8)}`);
  }
}

function encodeNumber(out: string[], n: number): void {
  // IS_INT64_EQUIVALENT: finite and equal to its int64 cast (which is INT64_MIN when out of range).
  if (Number.isInteger(n) && n >= -TWO63 && n < TWO63) encodeInt(out, n === 0 ? 0 : n);
  else encodeDouble(out, n);
}

function header(out: string[], n: number, fix: number, op16: string, op32: string): void {
  if (n <= 15) out.push(byte(fix | n));
  else if (n <= 65535) out.push(op16 + be(n, 2));
  else out.push(op32 + be(n, 4));
}

/** table_is_an_array: every key a number 1 <= k <= INT_MAX, integral, and the largest = the count. */
function isArray(t: LuaTable): boolean {
  let count = 0;
  let max = 0;
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
    const k = e[0];
    if (typeof k !== "number" || !(k > 0) || !Number.isInteger(k) || k > INT_MAX) return false;
    if (k > max) max = k;
    count++;
  }
  return max === count;
}

function encodeValue(out: string[], v: LuaValue, level: number): void {
  switch (typeof v) {
    case "string":
      encodeBytes(out, v);
      return;
    case "boolean":
      out.push(v ? "\xc3" : "\xc2");
      return;
    case "number":
      encodeNumber(out, v);
      return;
    default:
      if (v instanceof LuaTable && level !== MAX_NESTING) {
        if (isArray(v)) {
          const len = v.length();
          header(out, len, 0x90, "\xdc", "\xdd");
          // lua_gettable: honours __index.
          for (let j = 1; j <= len; j++) encodeValue(out, index(v, j), level + 1);
        } else {
          let len = 0;
          for (let e = v.next(undefined); e !== undefined; e = v.next(e[0])) len++;
          header(out, len, 0x80, "\xde", "\xdf");
          for (let e = v.next(undefined); e !== undefined; e = v.next(e[0])) {
            encodeValue(out, e[0], level + 1);
            encodeValue(out, e[1], level + 1);
          }
        }
        return;
      }
      out.push("\xc0");
  }
}

/** The MessagePack encoding of one Lua value (no argument checks). */
export function msgpackEncode(v: LuaValue): string {
  const out: string[] = [];
  encodeValue(out, v, 0);
  return out.join("");
}

function pack(args: LuaValue[]): LuaValue[] {
  const nargs = args.length;
  if (nargs === 0) argError(-1, "pack", "MessagePack pack needs input.");
  if (nargs + nargs > MAX_C_STACK) argError(-1, "pack", "Too many arguments for MessagePack pack.");
  const out: string[] = [];
  for (let i = 0; i < nargs; i++) encodeValue(out, args[i], 0);
  return [out.join("")];
}

// ----------------------------------------------------------------------------- decoding

const EOF = 1;
const BADFMT = 2;

/** A cursor error: the C sets cursor->err and unwinds; unpack turns it into a Lua error. */
class CursorError {
  constructor(readonly kind: number) {}
}

class Cursor {
  constructor(
    readonly s: string,
    public p: number,
  ) {}

  need(n: number): void {
    if (this.s.length - this.p < n) throw new CursorError(EOF);
  }

  at(i: number): number {
    return this.s.charCodeAt(this.p + i);
  }

  uint(offset: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + this.at(offset + i);
    return v;
  }

  /** 8 bytes as a signed int64, converted to a double the way the C's casts do. */
  int64(offset: number): number {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this.at(offset + i));
    return Number(BigInt.asIntN(64, v));
  }
}

function checkStack(top: number, extra: number, what: string): void {
  if (top + extra > MAX_C_STACK) luaError(`stack overflow (${what})`);
}

const TOO_MANY = "too many return values at once; use unpack_one or unpack_limit instead.";

/** A container header read by decodeHead: the table is filled by decodeValue's loop. */
class Container {
  constructor(
    readonly isMap: boolean,
    readonly len: number,
  ) {}
}

/**
 * The first step of mp_decode_to_lua_type: a scalar value, or the header of an array or map.
 * `top` is the number of stack slots in use before the value is pushed.
 */
function decodeHead(c: Cursor, top: number): LuaValue | Container {
  c.need(1);
  checkStack(top, 1, TOO_MANY);
  const b = c.at(0);
  switch (b) {
    case 0xcc:
      c.need(2);
      c.p += 2;
      return c.s.charCodeAt(c.p - 1);
    case 0xd0:
      c.need(2);
      c.p += 2;
      return (c.s.charCodeAt(c.p - 1) << 24) >> 24;
    case 0xcd: {
      c.need(3);
      const v = c.uint(1, 2);
      c.p += 3;
      return v;
    }
    case 0xd1: {
      c.need(3);
      const v = (c.uint(1, 2) << 16) >> 16;
      c.p += 3;
      return v;
    }
    case 0xce: {
      c.need(5);
      const v = c.uint(1, 4);
      c.p += 5;
      return v;
    }
    case 0xd2: {
      c.need(5);
      const v = c.uint(1, 4) | 0;
      c.p += 5;
      return v;
    }
    case 0xcf:
    case 0xd3: {
      // uint 64 goes through lua_pushinteger (a signed 64-bit lua_Integer) too.
      c.need(9);
      const v = c.int64(1);
      c.p += 9;
      return v;
    }
    case 0xc0:
      c.p += 1;
      return undefined;
    case 0xc3:
      c.p += 1;
      return true;
    case 0xc2:
      c.p += 1;
      return false;
    case 0xca: {
      c.need(5);
      for (let i = 0; i < 4; i++) scratch.setUint8(i, c.at(1 + i));
      c.p += 5;
      return scratch.getFloat32(0);
    }
    case 0xcb: {
      c.need(9);
      for (let i = 0; i < 8; i++) scratch.setUint8(i, c.at(1 + i));
      c.p += 9;
      return scratch.getFloat64(0);
    }
    case 0xd9: {
      c.need(2);
      const l = c.at(1);
      c.need(2 + l);
      c.p += 2 + l;
      return c.s.slice(c.p - l, c.p);
    }
    case 0xda: {
      c.need(3);
      const l = c.uint(1, 2);
      c.need(3 + l);
      c.p += 3 + l;
      return c.s.slice(c.p - l, c.p);
    }
    case 0xdb: {
      c.need(5);
      const l = c.uint(1, 4);
      c.p += 5;
      c.need(l);
      c.p += l;
      return c.s.slice(c.p - l, c.p);
    }
    case 0xdc:
    case 0xde: {
      c.need(3);
      const l = c.uint(1, 2);
      c.p += 3;
      return new Container(b === 0xde, l);
    }
    case 0xdd:
    case 0xdf: {
      c.need(5);
      const l = c.uint(1, 4);
      c.p += 5;
      return new Container(b === 0xdf, l);
    }
    default:
      if ((b & 0x80) === 0) {
        c.p += 1;
        return b;
      }
      if ((b & 0xe0) === 0xe0) {
        c.p += 1;
        return b - 256;
      }
      if ((b & 0xe0) === 0xa0) {
        const l = b & 0x1f;
        c.need(1 + l);
        c.p += 1 + l;
        return c.s.slice(c.p - l, c.p);
      }
      if ((b & 0xf0) === 0x90 || (b & 0xf0) === 0x80) {
        c.p += 1;
        return new Container((b & 0xf0) === 0x80, b & 0xf);
      }
      throw new CursorError(BADFMT);
  }
}

/** A table being filled: the C's recursion (mp_decode_to_lua_array/hash) as an explicit stack. */
interface Frame {
  t: LuaTable;
  isMap: boolean;
  remaining: number;
  /** Next array index. */
  i: number;
  /** A map key read, waiting for its value. */
  hasKey: boolean;
  key: LuaValue;
  /** Stack slots in use below the table. */
  base: number;
}

function mapSet(t: LuaTable, k: LuaValue, v: LuaValue): void {
  try {
    t.set(k, v);
  } catch (e) {
    // luaH_set's errors from inside a C function carry no position.
    if (e instanceof LuaError) throw new LuaError(e.value, 0);
    throw e;
  }
}

/** mp_decode_to_lua_type, iteratively (nesting goes thousands deep before the stack check). */
function decodeValue(c: Cursor, top: number): LuaValue {
  const frames: Frame[] = [];
  let slot = top;
  for (;;) {
    const head = decodeHead(c, slot);
    let v: LuaValue;
    if (head instanceof Container) {
      const t = new LuaTable();
      if (!head.isMap) checkStack(slot + 1, 1, "in function mp_decode_to_lua_array");
      if (head.len > 0) {
        frames.push({
          t,
          isMap: head.isMap,
          remaining: head.len,
          i: 1,
          hasKey: false,
          key: undefined,
          base: slot,
        });
        slot = head.isMap ? slot + 1 : slot + 2;
        continue;
      }
      v = t;
    } else {
      v = head;
    }
    // Hand the value to the enclosing tables, closing those that are complete.
    for (;;) {
      const f = frames[frames.length - 1];
      if (f === undefined) return v;
      if (f.isMap && !f.hasKey) {
        f.key = v;
        f.hasKey = true;
        slot = f.base + 2;
        break;
      }
      if (f.isMap) {
        mapSet(f.t, f.key, v);
        f.hasKey = false;
        f.key = undefined;
      } else {
        f.t.setInt(f.i++, v);
      }
      if (--f.remaining > 0) {
        slot = f.isMap ? f.base + 1 : f.base + 2;
        break;
      }
      frames.pop();
      v = f.t;
    }
  }
}

/** (lua_Integer)n: truncation, INT64_MIN for NaN and out-of-range values. */
function toInteger(n: number): number {
  if (!(n >= -TWO63 && n < TWO63)) return -TWO63;
  return Math.trunc(n);
}

function unpackFull(
  args: LuaValue[],
  fname: string,
  limit: number,
  offset: number,
  base: number,
): LuaValue[] {
  const s = checkString(args, 0, fname);
  const len = s.length;
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) {
    // The C prints the input length where it means the limit.
    luaError(`Invalid request to unpack with offset of ${offset | 0} and limit of ${len | 0}.`);
  } else if (offset > len) {
    luaError(`Start offset ${offset | 0} greater than input length ${len | 0}.`);
  }
  if (decodeAll) limit = INT_MAX;
  const c = new Cursor(s, offset);
  const results: LuaValue[] = [];
  try {
    for (let cnt = 0; c.p < len && cnt < limit; cnt++) results.push(decodeValue(c, base + cnt));
  } catch (e) {
    if (e instanceof CursorError) {
      luaError(e.kind === EOF ? "Missing bytes in input." : "Bad data format in input.");
    }
    throw e;
  }
  if (!decodeAll) {
    checkStack(base + results.length, 1, "in function mp_unpack_full");
    results.unshift(c.p === len ? -1 : c.p);
  }
  return results;
}

function unpack(args: LuaValue[]): LuaValue[] {
  return unpackFull(args, "unpack", 0, 0, Math.max(args.length, 1));
}

function unpackOne(args: LuaValue[]): LuaValue[] {
  const offset = args[1] === undefined ? 0 : toInteger(checkNumber(args, 1, "unpack_one"));
  return unpackFull(args.slice(0, 1), "unpack_one", 1, offset, 1);
}

function unpackLimit(args: LuaValue[]): LuaValue[] {
  const limit = toInteger(checkNumber(args, 1, "unpack_limit"));
  const offset = args[2] === undefined ? 0 : toInteger(checkNumber(args, 2, "unpack_limit"));
  return unpackFull(args.slice(0, 1), "unpack_limit", limit, offset, 1);
}

export function createCmsgpackLibrary(): LuaTable {
  const t = libraryTable({ pack, unpack, unpack_one: unpackOne, unpack_limit: unpackLimit });
  t.set("_NAME", "cmsgpack");
  t.set("_VERSION", "lua-cmsgpack 0.4.0");
  t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo");
  t.set("_DESCRIPTION", "MessagePack C implementation for Lua");
  return t;
}

/** Registers the global `cmsgpack` (luaopen_cmsgpack sets it on Lua 5.1). */
export function openCmsgpack(globals: LuaTable): void {
  globals.set("cmsgpack", createCmsgpackLibrary());
}
