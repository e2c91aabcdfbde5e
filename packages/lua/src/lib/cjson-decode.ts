/**
 * cjson.decode: cjson's tokenizer and recursive-descent parser, numbers through strtod (hex,
 * inf and nan accepted while decode_invalid_numbers is on, as it is by default), \u escapes
 * (surrogate pairs too) to UTF-8, null as cjson.null, with cjson's exact error messages.
 */

import { LuaTable, type LuaValue, luaError, stringToNumber } from "../value.js";
import { CJSON_NULL, type Config, defaultConfig, MAX_C_STACK } from "./cjson-config.js";

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
