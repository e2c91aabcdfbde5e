/**
 * cjson.encode (lua_cjson.c's json_append_*): numbers with snprintf("%.<precision>g"), strings
 * with cjson's escape table ("/" becomes "\/", control characters \u00XX, bytes >= 0x80 as
 * they are), tables as arrays when every key is a positive integer (subject to the sparse-array
 * rules) and as objects otherwise, the empty table as "{}". Object members follow the table's
 * traversal order (LuaTable.next), which is not Redis's hash order for multi-key objects.
 */

import { formatNumberG } from "../printf.js";
import { LuaTable, LuaUserdata, type LuaValue, luaError, typeName } from "../value.js";
import { type Config, defaultConfig, INT_MAX, MAX_C_STACK } from "./cjson-config.js";

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
