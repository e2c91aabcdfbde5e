/**
 * Lua 5.1's string library (lstrlib.c) as Redis 7.0 embeds it. Strings are one char per byte;
 * lower/upper/classes follow the C locale (ASCII only).
 */

import { argError, checkInt, checkNumber, checkString, libraryTable, optInt, typeError } from "../auxlib.js";
import { index, setStringMetatable } from "../ops.js";
import {
  isTruthy,
  LuaError,
  LuaFunction,
  LuaTable,
  type LuaValue,
  numberToString,
  typeName,
} from "../value.js";
import { stringFormat } from "./format.js";
import { hasSpecials, isDigitCode, Matcher } from "./lua-pattern.js";

/** luaL_checkint: the number as a C int ((int) of lua_Integer, truncating to 32 bits). */
export function checkCInt(args: readonly LuaValue[], i: number, fname: string): number {
  return cInt(checkNumber(args, i, fname));
}

/** (int)(lua_Integer)x on x86-64: truncation, 64-bit overflow gives INT64_MIN whose low half is 0. */
export function cInt(x: number): number {
  if (!(Math.abs(x) < 2 ** 63)) return 0;
  return Math.trunc(x) | 0;
}

function optCInt(args: readonly LuaValue[], i: number, fname: string, dflt: number): number {
  return args[i] === undefined ? dflt : checkCInt(args, i, fname);
}

/** posrelat: a relative string position (negative counts from the end), clamped at 0. */
function posrelat(pos: number, len: number): number {
  if (pos < 0) pos += len + 1;
  return Math.max(pos, 0);
}

function strLen(args: LuaValue[]): LuaValue[] {
  return [checkString(args, 0, "len").length];
}

function strSub(args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 0, "sub");
  const l = s.length;
  let start = posrelat(checkInt(args, 1, "sub"), l);
  let end = posrelat(optInt(args, 2, "sub", -1), l);
  if (start < 1) start = 1;
  if (end > l) end = l;
  return [start <= end ? s.slice(start - 1, end) : ""];
}

function strReverse(args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 0, "reverse");
  return [s.split("").reverse().join("")];
}

function mapAscii(s: string, from: number, to: number, delta: number): string {
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= from && c <= to) break;
    i++;
  }
  if (i === n) return s;
  const codes: number[] = new Array(n);
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    codes[j] = c >= from && c <= to ? c + delta : c;
  }
  return fromCodes(codes);
}

function fromCodes(codes: number[]): string {
  let out = "";
  for (let i = 0; i < codes.length; i += 8192) {
    out += String.fromCharCode.apply(null, codes.slice(i, i + 8192));
  }
  return out;
}

function strLower(args: LuaValue[]): LuaValue[] {
  return [mapAscii(checkString(args, 0, "lower"), 65, 90, 32)];
}

function strUpper(args: LuaValue[]): LuaValue[] {
  return [mapAscii(checkString(args, 0, "upper"), 97, 122, -32)];
}

function strRep(args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 0, "rep");
  const n = checkCInt(args, 1, "rep");
  if (n <= 0 || s.length === 0) return [""];
  if (s.length * n > 0x1fffffe8) throw new LuaError("not enough memory", 0);
  return [s.repeat(n)];
}

function strByte(args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 0, "byte");
  const l = s.length;
  let posi = posrelat(optInt(args, 1, "byte", 1), l);
  let pose = posrelat(optInt(args, 2, "byte", posi), l);
  if (posi <= 0) posi = 1;
  if (pose > l) pose = l;
  if (posi > pose) return [];
  const out: LuaValue[] = new Array(pose - posi + 1);
  for (let i = posi; i <= pose; i++) out[i - posi] = s.charCodeAt(i - 1);
  return out;
}

function strChar(args: LuaValue[]): LuaValue[] {
  const n = args.length;
  const codes: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = checkCInt(args, i, "char");
    if ((c & 255) !== c) argError(i, "char", "invalid value");
    codes[i] = c;
  }
  return [fromCodes(codes)];
}

function strDump(args: LuaValue[]): LuaValue[] {
  if (!(args[0] instanceof LuaFunction)) typeError(args, 0, "dump", "function");
  // No bytecode here: every function is as undumpable as a C function is in C Lua.
  throw new LuaError("unable to dump given function", 1);
}

/** str_find_aux: find (positions and captures) and match (captures). */
function strFindAux(args: LuaValue[], find: boolean): LuaValue[] {
  const fname = find ? "find" : "match";
  const s = checkString(args, 0, fname);
  const p = checkString(args, 1, fname);
  const l1 = s.length;
  let init = posrelat(optInt(args, 2, fname, 1), l1) - 1;
  if (init < 0) init = 0;
  else if (init > l1) init = l1;
  if (find && (isTruthy(args[3]) || !hasSpecials(p))) {
    // plain search
    const pos = s.indexOf(p, init);
    if (pos >= 0) return [pos + 1, pos + p.length];
  } else {
    const ms = new Matcher(s, p);
    const anchor = ms.pat.charCodeAt(0) === 94;
    const pStart = anchor ? 1 : 0;
    let s1 = init;
    do {
      const res = ms.run(s1, pStart);
      if (res !== -1) {
        if (find) return [s1 + 1, res, ...ms.captures(-1, -1, false)];
        return ms.captures(s1, res, true);
      }
    } while (s1++ < l1 && !anchor);
  }
  return [undefined];
}

function strFind(args: LuaValue[]): LuaValue[] {
  return strFindAux(args, true);
}

function strMatch(args: LuaValue[]): LuaValue[] {
  return strFindAux(args, false);
}

function gmatch(args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 0, "gmatch");
  const p = checkString(args, 1, "gmatch");
  const ms = new Matcher(s, p);
  let start = 0;
  const iter = new LuaFunction("?", () => {
    // gmatch has no anchor: a leading '^' is matched literally, as in 5.1
    for (let src = start; src <= ms.srcEnd; src++) {
      const e = ms.run(src, 0);
      if (e !== -1) {
        start = e === src ? e + 1 : e; // empty match? go at least one position
        return ms.captures(src, e, true);
      }
    }
    start = ms.srcEnd + 1;
    return [];
  });
  return [iter];
}

/** Appends one replacement for the match [s, e) (add_value). */
function addValue(ms: Matcher, repl: LuaValue, s: number, e: number): string {
  let value: LuaValue;
  if (typeof repl === "string") {
    return addString(ms, repl, s, e);
  } else if (typeof repl === "number") {
    return addString(ms, numberToString(repl), s, e);
  } else if (repl instanceof LuaFunction) {
    value = repl.call(ms.captures(s, e, true))[0];
  } else {
    value = index(repl, ms.capture(0, s, e));
  }
  if (value === undefined || value === false) return ms.src.slice(s, e); // keep original text
  if (typeof value === "string") return value;
  if (typeof value === "number") return numberToString(value);
  throw new LuaError(`invalid replacement value (a ${typeName(value)})`, 1);
}

/** add_s: the replacement string with %0-%9 and %<char> expanded. */
function addString(ms: Matcher, news: string, s: number, e: number): string {
  let j = news.indexOf("%");
  if (j < 0) return news;
  let out = news.slice(0, j);
  const l = news.length;
  for (let i = j; i < l; i++) {
    const c = news.charCodeAt(i);
    if (c !== 37) {
      j = news.indexOf("%", i);
      if (j < 0) j = l;
      out += news.slice(i, j);
      i = j - 1;
      continue;
    }
    i++; // skip ESC
    // past the end C reads the string's terminating "\0" and adds it
    const d = i < l ? news.charCodeAt(i) : 0;
    if (!isDigitCode(d)) {
      out += String.fromCharCode(d);
    } else if (d === 48) {
      out += ms.src.slice(s, e);
    } else {
      const v = ms.capture(d - 49, s, e);
      out += typeof v === "number" ? numberToString(v) : (v as string);
    }
  }
  return out;
}

function strGsub(args: LuaValue[]): LuaValue[] {
  const src = checkString(args, 0, "gsub");
  const p = checkString(args, 1, "gsub");
  const repl = args[2];
  const srcl = src.length;
  const maxS = optCInt(args, 3, "gsub", srcl + 1);
  const tr = typeof repl;
  if (!(tr === "number" || tr === "string" || repl instanceof LuaFunction || repl instanceof LuaTable)) {
    argError(2, "gsub", "string/function/table expected");
  }
  const ms = new Matcher(src, p);
  const anchor = ms.pat.charCodeAt(0) === 94;
  const pStart = anchor ? 1 : 0;
  let n = 0;
  let out = "";
  let pos = 0;
  // Text copied unchanged since the last replacement starts at `copied`.
  let copied = 0;
  while (n < maxS) {
    const e = ms.run(pos, pStart);
    if (e !== -1) {
      n++;
      out += src.slice(copied, pos) + addValue(ms, repl, pos, e);
      copied = e;
    }
    if (e !== -1 && e > pos) {
      pos = e; // non empty match: skip it
    } else if (pos < srcl) {
      pos++; // the char at pos stays in the unchanged text [copied, pos)
    } else {
      break;
    }
    if (anchor) break;
  }
  out += src.slice(copied);
  return [out, n];
}

/** The string table with its functions (gfind is gmatch, as LUA_COMPAT_GFIND makes it). */
export function createStringLibrary(): LuaTable {
  const t = libraryTable({
    byte: strByte,
    char: strChar,
    dump: strDump,
    find: strFind,
    format: stringFormat,
    gmatch,
    gsub: strGsub,
    len: strLen,
    lower: strLower,
    match: strMatch,
    rep: strRep,
    reverse: strReverse,
    sub: strSub,
    upper: strUpper,
  });
  t.set("gfind", t.get("gmatch"));
  return t;
}

/** luaopen_string: sets `string` and the string metatable (__index = the string table). */
export function openString(globals: LuaTable): LuaTable {
  const lib = createStringLibrary();
  globals.set("string", lib);
  const mt = new LuaTable();
  mt.set("__index", lib);
  setStringMetatable(mt);
  return lib;
}
