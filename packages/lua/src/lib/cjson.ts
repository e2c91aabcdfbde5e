/**
 * Lua CJSON 2.1.0 as Redis 7.0 bundles it (deps/lua/src/lua_cjson.c, strbuf.c, fpconv.c).
 *
 * Encoding: numbers with snprintf("%.<precision>g") (precision 14 unless changed), strings with
 * cjson's escape table ("/" becomes "\/", control characters \u00XX, bytes >= 0x80 as they
 * are), tables as arrays when every key is a positive integer (subject to the sparse-array
 * rules) and as objects otherwise, the empty table as "{}". Object members follow the table's
 * traversal order (LuaTable.next), which is not Redis's hash order for multi-key objects.
 *
 * Decoding: cjson's tokenizer and recursive-descent parser, numbers through strtod (hex,
 * inf and nan accepted while decode_invalid_numbers is on, as it is by default), \u escapes
 * (surrogate pairs too) to UTF-8, null as cjson.null, with cjson's exact error messages.
 *
 * Every module table (the global one and each cjson.new()) has its own configuration.
 */

import { argError, checkNumber, checkString, typeError } from "../auxlib.js";
import { formatNumberG } from "../printf.js";
import {
  LuaFunction,
  LuaTable,
  LuaUserdata,
  type LuaValue,
  luaError,
  stringToNumber,
  typeName,
} from "../value.js";

/** cjson.null: lua_pushlightuserdata(l, NULL). One object, so that decoded nulls == cjson.null. */
export const CJSON_NULL = new LuaUserdata(true);

const INT_MAX = 2147483647;
const TWO63 = 2 ** 63;
/** LUAI_MAXCSTACK: lua_checkstack fails beyond this many slots in one C function's frame. */
const MAX_C_STACK = 8000;

interface Config {
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

function defaultConfig(): Config {
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

// ============================================================================ encoding

const ESCAPES: (string | undefined)[] = new Array(256).fill(undefined);
for (let i = 0; i < 32; i++) ESCAPES[i] = `\\u${i.toString(16).padStart(4, "0")}`;
ESCAPES[8] = "\\b";
ESCAPES[9] = "\\t";
ESCAPES[10] = "\\n";
ESCAPES[12] = "\\f";
ESCAPES[13] = "\\r";
ESCAPES[34] = '\\"';
ESCAPES[47] = "\\/";
ESCAPES[92] = "\\\\";
ESCAPES[127] = "\\u007f";

const NEEDS_ESCAPE = /["/\\\x00-\x1f\x7f]/;

function escapeString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const esc = ESCAPES[s.charCodeAt(i)];
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return `${out + s.slice(start)}"`;
}

function encodeError(v: LuaValue, reason: string): never {
  luaError(`Cannot serialise ${typeName(v)}: ${reason}`);
}

class Encoder {
  out = "";
  deepest = 0;
  constructor(readonly cfg: Config) {}

  number(n: number): void {
    const mode = this.cfg.encodeInvalidNumbers;
    if (mode === 0) {
      if (!Number.isFinite(n)) encodeError(n, "must not be NaN or Inf");
    } else if (mode === 1) {
      if (Number.isNaN(n)) {
        this.out += "nan";
        return;
      }
    } else if (!Number.isFinite(n)) {
      this.out += "null";
      return;
    }
    if (!Number.isFinite(n)) this.out += n > 0 ? "inf" : "-inf";
    else this.out += formatNumberG(n, this.cfg.encodeNumberPrecision);
  }

  /** lua_array_length: the array size, or -1 for an object (raising on excessively sparse arrays). */
  arrayLength(t: LuaTable): number {
    let max = 0;
    let items = 0;
    for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
      const k = e[0];
      if (typeof k !== "number" || k === 0 || Math.floor(k) !== k || !(k >= 1)) return -1;
      // max is a C int: larger keys convert to INT_MIN on x86-64.
      if (k > max) max = k <= INT_MAX ? k : -2147483648;
      items++;
    }
    const cfg = this.cfg;
    if (
      cfg.encodeSparseRatio > 0 &&
      max > Math.imul(items, cfg.encodeSparseRatio) &&
      max > cfg.encodeSparseSafe
    ) {
      if (!cfg.encodeSparseConvert) encodeError(t, "excessively sparse array");
      return -1;
    }
    return max;
  }

  /** json_append_data; `top` counts the Lua stack slots in use, the value being the last. */
  value(v: LuaValue, depth: number, top: number): void {
    switch (typeof v) {
      case "string":
        this.out += escapeString(v);
        return;
      case "number":
        this.number(v);
        return;
      case "boolean":
        this.out += v ? "true" : "false";
        return;
      case "undefined":
        this.out += "null";
        return;
    }
    if (v instanceof LuaTable) {
      depth++;
      if (depth > this.deepest) this.deepest = depth;
      if (depth > this.cfg.encodeMaxDepth || top + 3 > MAX_C_STACK) {
        luaError(`Cannot serialise, excessive nesting (${depth})`);
      }
      const len = this.arrayLength(v);
      if (len > 0) {
        this.out += "[";
        for (let i = 1; i <= len; i++) {
          if (i > 1) this.out += ",";
          this.value(v.getInt(i), depth, top + 1);
        }
        this.out += "]";
      } else {
        this.out += "{";
        let comma = false;
        for (let e = v.next(undefined); e !== undefined; e = v.next(e[0])) {
          if (comma) this.out += ",";
          else comma = true;
          const k = e[0];
          if (typeof k === "number") {
            this.out += '"';
            this.number(k);
            this.out += '":';
          } else if (typeof k === "string") {
            this.out += `${escapeString(k)}:`;
          } else {
            encodeError(k, "table key must be a number or string");
          }
          this.value(e[1], depth, top + 2);
        }
        this.out += "}";
      }
      return;
    }
    if (v instanceof LuaUserdata && v.isNullPointer) {
      this.out += "null";
      return;
    }
    encodeError(v, "type not supported");
  }
}

/** cjson.encode with the given configuration (no argument count check). */
export function jsonEncode(v: LuaValue, cfg: Config = defaultConfig()): string {
  const enc = new Encoder(cfg);
  try {
    enc.value(v, 0, 1);
  } catch (e) {
    // Only reachable with encode_max_depth raised far above the default: the JS stack ran
    // out before the Lua stack limit the C would hit (around 4000-8000 levels).
    if (e instanceof RangeError) luaError(`Cannot serialise, excessive nesting (${enc.deepest})`);
    throw e;
  }
  return enc.out;
}

// ============================================================================ decoding

enum T {
  OBJ_BEGIN,
  OBJ_END,
  ARR_BEGIN,
  ARR_END,
  STRING,
  NUMBER,
  BOOLEAN,
  NULL,
  COLON,
  COMMA,
  END,
  WHITESPACE,
  ERROR,
  UNKNOWN,
}

const TOKEN_NAMES = [
  "T_OBJ_BEGIN",
  "T_OBJ_END",
  "T_ARR_BEGIN",
  "T_ARR_END",
  "T_STRING",
  "T_NUMBER",
  "T_BOOLEAN",
  "T_NULL",
  "T_COLON",
  "T_COMMA",
  "T_END",
  "T_WHITESPACE",
  "T_ERROR",
  "T_UNKNOWN",
];

const CH2TOKEN: T[] = new Array(256).fill(T.ERROR);
CH2TOKEN[123] = T.OBJ_BEGIN;
CH2TOKEN[125] = T.OBJ_END;
CH2TOKEN[91] = T.ARR_BEGIN;
CH2TOKEN[93] = T.ARR_END;
CH2TOKEN[44] = T.COMMA;
CH2TOKEN[58] = T.COLON;
CH2TOKEN[0] = T.END;
for (const c of " \t\n\r") CH2TOKEN[c.charCodeAt(0)] = T.WHITESPACE;
for (const c of 'fiInNt"+-0123456789') CH2TOKEN[c.charCodeAt(0)] = T.UNKNOWN;

const ESCAPE2CHAR: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
};

/** The longest prefix strtod() accepts (glibc: decimal, hex with binary exponent, inf, nan). */
const STRTOD_PREFIX =
  /[+-]?(?:0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?\d+)?|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan(?:\([0-9a-z_]*\))?)/iy;

interface Token {
  type: T;
  /** 0-based position of the token (of the error, for T_ERROR). */
  index: number;
  value: LuaValue;
  error: string;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

function codepointToUtf8(cp: number): string {
  if (cp <= 0x7f) return String.fromCharCode(cp);
  if (cp <= 0x7ff) return String.fromCharCode((cp >> 6) | 0xc0, (cp & 0x3f) | 0x80);
  if (cp <= 0xffff) {
    return String.fromCharCode((cp >> 12) | 0xe0, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
  }
  return String.fromCharCode(
    (cp >> 18) | 0xf0,
    ((cp >> 12) & 0x3f) | 0x80,
    ((cp >> 6) & 0x3f) | 0x80,
    (cp & 0x3f) | 0x80,
  );
}

class Parser {
  ptr = 0;
  depth = 0;
  readonly tok: Token = { type: T.END, index: 0, value: undefined, error: "" };

  constructor(
    readonly data: string,
    readonly cfg: Config,
  ) {}

  /** The byte at i, with the C string's terminating NUL past the end. */
  ch(i: number): number {
    return i < this.data.length ? this.data.charCodeAt(i) : 0;
  }

  /** The current token's type (a method, so TypeScript does not narrow it across next()). */
  type(): T {
    return this.tok.type;
  }

  setError(msg: string): void {
    this.tok.type = T.ERROR;
    this.tok.index = this.ptr;
    this.tok.error = msg;
  }

  /** Decodes \uXXXX (or a surrogate pair) at ptr; false when invalid. */
  unicodeEscape(): string | undefined {
    const hex4 = (at: number): number => {
      let v = 0;
      for (let i = 0; i < 4; i++) {
        const d = hexDigit(this.ch(at + i));
        if (d < 0) return -1;
        v = (v << 4) + d;
      }
      return v;
    };
    let cp = hex4(this.ptr + 2);
    if (cp < 0) return undefined;
    let len = 6;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return undefined;
      if (this.ch(this.ptr + 6) !== 92 || this.ch(this.ptr + 7) !== 117) return undefined;
      const low = hex4(this.ptr + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return undefined;
      cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      len = 12;
    }
    this.ptr += len;
    return codepointToUtf8(cp);
  }

  stringToken(): void {
    this.ptr++;
    let out = "";
    let start = this.ptr;
    for (;;) {
      const c = this.ch(this.ptr);
      if (c === 34) break;
      if (c === 0) {
        this.setError("unexpected end of string");
        return;
      }
      if (c === 92) {
        out += this.data.slice(start, this.ptr);
        const e = String.fromCharCode(this.ch(this.ptr + 1));
        if (e === "u") {
          const s = this.unicodeEscape();
          if (s === undefined) {
            this.setError("invalid unicode escape code");
            return;
          }
          out += s;
        } else {
          const t = ESCAPE2CHAR[e];
          if (t === undefined) {
            this.setError("invalid escape code");
            return;
          }
          out += t;
          this.ptr += 2;
        }
        start = this.ptr;
        continue;
      }
      this.ptr++;
    }
    out += this.data.slice(start, this.ptr);
    this.ptr++;
    this.tok.type = T.STRING;
    this.tok.value = out;
  }

  /** json_is_invalid_number: forms strtod takes that strict JSON does not. */
  isInvalidNumber(): boolean {
    let p = this.ptr;
    let c = this.ch(p);
    if (c === 43) return true;
    if (c === 45) c = this.ch(++p);
    if (c === 48) {
      const c2 = this.ch(p + 1);
      return (c2 | 0x20) === 120 || (c2 >= 48 && c2 <= 57);
    }
    if (c <= 57) return false;
    const word = this.data.slice(p, p + 3).toLowerCase();
    return word === "inf" || word === "nan";
  }

  numberToken(): void {
    STRTOD_PREFIX.lastIndex = this.ptr;
    const m = STRTOD_PREFIX.exec(this.data);
    if (m === null) {
      this.tok.type = T.NUMBER;
      this.setError("invalid number");
      return;
    }
    this.tok.type = T.NUMBER;
    this.tok.value = stringToNumber(m[0]) ?? Number.NaN;
    this.ptr += m[0].length;
  }

  next(): void {
    const tok = this.tok;
    let c: number;
    for (;;) {
      c = this.ch(this.ptr);
      tok.type = CH2TOKEN[c];
      if (tok.type !== T.WHITESPACE) break;
      this.ptr++;
    }
    tok.index = this.ptr;
    if (tok.type === T.ERROR) {
      this.setError("invalid token");
      return;
    }
    if (tok.type === T.END) return;
    if (tok.type !== T.UNKNOWN) {
      this.ptr++;
      return;
    }
    if (c === 34) {
      this.stringToken();
      return;
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      if (!this.cfg.decodeInvalidNumbers && this.isInvalidNumber()) {
        this.setError("invalid number");
        return;
      }
      this.numberToken();
      return;
    }
    const d = this.data;
    if (d.startsWith("true", this.ptr)) {
      tok.type = T.BOOLEAN;
      tok.value = true;
      this.ptr += 4;
    } else if (d.startsWith("false", this.ptr)) {
      tok.type = T.BOOLEAN;
      tok.value = false;
      this.ptr += 5;
    } else if (d.startsWith("null", this.ptr)) {
      tok.type = T.NULL;
      this.ptr += 4;
    } else if (this.cfg.decodeInvalidNumbers && this.isInvalidNumber()) {
      this.numberToken();
    } else {
      this.setError("invalid token");
    }
  }

  fail(expected: string): never {
    const tok = this.tok;
    const found = tok.type === T.ERROR ? tok.error : TOKEN_NAMES[tok.type];
    luaError(`Expected ${expected} but found ${found} at character ${tok.index + 1}`);
  }

  descend(top: number, slots: number): void {
    this.depth++;
    if (this.depth <= this.cfg.decodeMaxDepth && top + slots <= MAX_C_STACK) return;
    luaError(`Found too many nested data structures (${this.depth}) at character ${this.ptr}`);
  }

  /** json_process_value for the current token; `top` = stack slots in use before the push. */
  value(top: number): LuaValue {
    const tok = this.tok;
    switch (tok.type) {
      case T.STRING:
      case T.NUMBER:
      case T.BOOLEAN:
        return tok.value;
      case T.NULL:
        return CJSON_NULL;
      case T.OBJ_BEGIN:
        return this.object(top);
      case T.ARR_BEGIN:
        return this.array(top);
      default:
        this.fail("value");
    }
  }

  object(top: number): LuaTable {
    this.descend(top, 3);
    const t = new LuaTable();
    this.next();
    if (this.type() === T.OBJ_END) {
      this.depth--;
      return t;
    }
    for (;;) {
      if (this.type() !== T.STRING) this.fail("object key string");
      const key = this.tok.value as string;
      this.next();
      if (this.type() !== T.COLON) this.fail("colon");
      this.next();
      t.set(key, this.value(top + 2));
      this.next();
      if (this.type() === T.OBJ_END) {
        this.depth--;
        return t;
      }
      if (this.type() !== T.COMMA) this.fail("comma or object end");
      this.next();
    }
  }

  array(top: number): LuaTable {
    this.descend(top, 2);
    const t = new LuaTable();
    this.next();
    if (this.type() === T.ARR_END) {
      this.depth--;
      return t;
    }
    for (let i = 1; ; i++) {
      t.setInt(i, this.value(top + 1));
      this.next();
      if (this.type() === T.ARR_END) {
        this.depth--;
        return t;
      }
      if (this.type() !== T.COMMA) this.fail("comma or array end");
      this.next();
    }
  }
}

/** cjson.decode with the given configuration (no argument checks). */
export function jsonDecode(data: string, cfg: Config = defaultConfig()): LuaValue {
  if (data.length >= 2 && (data.charCodeAt(0) === 0 || data.charCodeAt(1) === 0)) {
    luaError("JSON parser does not support UTF-16 or UTF-32");
  }
  const p = new Parser(data, cfg);
  p.next();
  let v: LuaValue;
  try {
    v = p.value(1);
  } catch (e) {
    // As in jsonEncode: only with decode_max_depth raised far above the default.
    if (e instanceof RangeError) {
      luaError(`Found too many nested data structures (${p.depth}) at character ${p.ptr}`);
    }
    throw e;
  }
  p.next();
  if (p.type() !== T.END) p.fail("the end");
  return v;
}

// ============================================================================ configuration

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
