/**
 * Lua 5.1's base library (lbaselib.c) as Redis opens it, without the file functions (dofile,
 * loadfile) and without coroutines.
 */

import {
  argError,
  checkAny,
  checkFunction,
  checkInt,
  checkString,
  checkTable,
  optInt,
  optString,
} from "../auxlib.js";
import { getMetatable, index, toStringMeta } from "../ops.js";
import { call, callerWhere, caughtValue, ipairsIterator, LuaClosure, nextFunction } from "../runtime.js";
import type { LuaState } from "../state.js";
import {
  LuaError,
  LuaFunction,
  LuaTable,
  LuaUserdata,
  type LuaValue,
  numberToString,
  READONLY_TABLE,
  stringToNumber,
  typeName,
} from "../value.js";

const GC_OPTIONS = ["stop", "restart", "collect", "count", "step", "setpause", "setstepmul"];

/** Metatables made by newproxy(true), which newproxy(proxy) may share. */
const proxyMetatables = new WeakSet<LuaTable>();

function heapKilobytes(): number {
  return process.memoryUsage().heapUsed / 1024;
}

/** strtoul(s, base) as tonumber(s, base) uses it: undefined unless the whole string is a numeral. */
export function parseUnsigned(s: string, base: number): number | undefined {
  let i = 0;
  const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === "+" || s[i] === "-") {
    neg = s[i] === "-";
    i++;
  }
  if (base === 16 && s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    const d = digitValue(s.charCodeAt(i + 2));
    if (d >= 0 && d < 16) i += 2;
  }
  const start = i;
  let n = 0n;
  const b = BigInt(base);
  for (; i < s.length; i++) {
    const d = digitValue(s.charCodeAt(i));
    if (d < 0 || d >= base) break;
    n = n * b + BigInt(d);
  }
  if (i === start) return undefined;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  if (i !== s.length) return undefined;
  const max = (1n << 64n) - 1n;
  if (n > max) n = max;
  else if (neg) n = ((1n << 64n) - n) & max;
  return Number(n);
}

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return -1;
}

/** Loads a chunk for load/loadstring: [function] or [nil, message]. */
function loadChunk(state: LuaState, source: string, chunkName: string): LuaValue[] {
  try {
    return [state.load(source, chunkName, { baseLevel: 2 })];
  } catch (e) {
    if (e instanceof LuaError) return [undefined, e.value];
    throw e;
  }
}

/** Opens the base library into `state.globals`. */
export function openBase(state: LuaState): void {
  const G = state.globals;
  const fns: Record<string, (args: LuaValue[]) => LuaValue[]> = {
    assert(args) {
      checkAny(args, 0, "assert");
      if (args[0] === undefined || args[0] === false) {
        throw new LuaError(optString(args, 1, "assert", "assertion failed!"), 1);
      }
      return args;
    },

    collectgarbage(args) {
      const opt = optString(args, 0, "collectgarbage", "collect");
      if (!GC_OPTIONS.includes(opt)) argError(0, "collectgarbage", `invalid option '${opt}'`);
      optInt(args, 1, "collectgarbage", 0);
      switch (opt) {
        case "count":
          return [heapKilobytes()];
        case "step":
          return [false];
        case "setpause":
        case "setstepmul":
          return [200];
        default:
          return [0];
      }
    },

    error(args) {
      const level = optInt(args, 1, "error", 1);
      let v = args[0];
      if (typeof v === "number" && level > 0) v = numberToString(v);
      throw new LuaError(v, typeof v === "string" && level > 0 ? level : 0);
    },

    gcinfo() {
      return [Math.floor(heapKilobytes())];
    },

    getfenv(args) {
      const f = args[0];
      if (f instanceof LuaFunction) return [f instanceof LuaClosure ? f.env : G];
      const level = optInt(args, 0, "getfenv", 1);
      if (level < 0) argError(0, "getfenv", "level must be non-negative");
      return [G];
    },

    setfenv(args) {
      const f = args[0];
      const t = checkTable(args, 1, "setfenv");
      if (f instanceof LuaClosure) {
        f.env = t;
        return [f];
      }
      if (!(f instanceof LuaFunction)) {
        const level = checkInt(args, 0, "setfenv");
        if (level < 0) argError(0, "setfenv", "level must be non-negative");
        if (level === 0) {
          // The thread's environment: only the global table itself is supported.
          if (t === G) return [];
        }
      }
      throw new LuaError("'setfenv' cannot change environment of given object", 1);
    },

    getmetatable(args) {
      checkAny(args, 0, "getmetatable");
      const mt = getMetatable(args[0]);
      if (mt === undefined) return [undefined];
      const protectedValue = mt.get("__metatable");
      return [protectedValue !== undefined ? protectedValue : mt];
    },

    setmetatable(args) {
      const t = checkTable(args, 0, "setmetatable");
      const mt = args[1];
      if (!(mt === undefined && args.length >= 2) && !(mt instanceof LuaTable)) {
        argError(1, "setmetatable", "nil or table expected");
      }
      if (t.metatable !== undefined && t.metatable.get("__metatable") !== undefined) {
        throw new LuaError("cannot change a protected metatable", 1);
      }
      // Redis's patched lua_setmetatable, raising from C: no position.
      if (t.readonly) throw new LuaError(READONLY_TABLE, 0);
      t.metatable = mt as LuaTable | undefined;
      return [t];
    },

    ipairs(args) {
      return [ipairsIterator, checkTable(args, 0, "ipairs"), 0];
    },

    pairs(args) {
      return [nextFunction, checkTable(args, 0, "pairs"), undefined];
    },

    load(args) {
      const reader = checkFunction(args, 0, "load");
      const chunkName = optString(args, 1, "load", "=(load)");
      const where = callerWhere();
      let source = "";
      for (;;) {
        const piece = call(reader, [], undefined)[0];
        if (piece === undefined || piece === "") break;
        if (typeof piece === "number") {
          source += numberToString(piece);
          continue;
        }
        if (typeof piece !== "string") return [undefined, `${where}reader function must return a string`];
        source += piece;
      }
      return loadChunk(state, source, chunkName);
    },

    loadstring(args) {
      const source = checkString(args, 0, "loadstring");
      return loadChunk(state, source, optString(args, 1, "loadstring", source));
    },

    pcall(args) {
      checkAny(args, 0, "pcall");
      const where = callerWhere();
      try {
        const r = call(args[0], args.slice(1), undefined);
        return [true, ...r];
      } catch (e) {
        const c = caughtValue(e, where);
        if (c === undefined) throw e;
        return [false, c.value];
      }
    },

    xpcall(args) {
      checkAny(args, 1, "xpcall");
      const where = callerWhere();
      try {
        const r = call(args[0], [], undefined);
        return [true, ...r];
      } catch (e) {
        const c = caughtValue(e, where);
        if (c === undefined) throw e;
        try {
          return [false, call(args[1], [c.value], undefined)[0]];
        } catch (e2) {
          if (caughtValue(e2) === undefined) throw e2;
          return [false, "error in error handling"];
        }
      }
    },

    print(args) {
      const tostring = index(G, "tostring");
      let out = "";
      for (let i = 0; i < args.length; i++) {
        const s = call(tostring, [args[i]], undefined)[0];
        if (typeof s !== "string" && typeof s !== "number") {
          throw new LuaError("'tostring' must return a string to 'print'", 1);
        }
        if (i > 0) out += "\t";
        out += typeof s === "number" ? numberToString(s) : s;
      }
      state.stdout(`${out}\n`);
      return [];
    },

    rawequal(args) {
      checkAny(args, 0, "rawequal");
      checkAny(args, 1, "rawequal");
      return [args[0] === args[1]];
    },

    rawget(args) {
      const t = checkTable(args, 0, "rawget");
      checkAny(args, 1, "rawget");
      return [t.get(args[1])];
    },

    rawset(args) {
      const t = checkTable(args, 0, "rawset");
      checkAny(args, 1, "rawset");
      checkAny(args, 2, "rawset");
      try {
        t.set(args[1], args[2]);
      } catch (e) {
        // Raised by the table itself (luaG_runerror in a C function): no position.
        if (e instanceof LuaError) e.level = 0;
        throw e;
      }
      return [t];
    },

    select(args) {
      const n = args.length;
      const first = args[0];
      if (typeof first === "string" && first.startsWith("#")) return [n - 1];
      let i = checkInt(args, 0, "select");
      if (i < 0) i = n + i;
      else if (i > n) i = n;
      if (i < 1) argError(0, "select", "index out of range");
      return args.slice(i);
    },

    tonumber(args) {
      const base = optInt(args, 1, "tonumber", 10);
      if (base === 10) {
        checkAny(args, 0, "tonumber");
        const v = args[0];
        if (typeof v === "number") return [v];
        if (typeof v === "string") return [stringToNumber(v)];
        return [undefined];
      }
      const s = checkString(args, 0, "tonumber");
      if (base < 2 || base > 36) argError(1, "tonumber", "base out of range");
      return [parseUnsigned(s, base)];
    },

    tostring(args) {
      checkAny(args, 0, "tostring");
      return [toStringMeta(args[0])];
    },

    type(args) {
      checkAny(args, 0, "type");
      return [typeName(args[0])];
    },

    unpack(args) {
      const t = checkTable(args, 0, "unpack");
      const i = optInt(args, 1, "unpack", 1);
      const j = args[2] === undefined ? t.length() : checkInt(args, 2, "unpack");
      if (i > j) return [];
      const n = j - i + 1;
      if (n <= 0 || n >= 2147483647 || args.length + n > 8000) {
        throw new LuaError("too many results to unpack", 1);
      }
      const out = new Array<LuaValue>(n);
      for (let k = 0; k < n; k++) out[k] = t.getInt(i + k);
      return out;
    },

    newproxy(args) {
      const arg = args[0];
      const u = new LuaUserdata();
      if (arg === undefined || arg === false) return [u];
      if (arg === true) {
        const mt = new LuaTable();
        proxyMetatables.add(mt);
        u.metatable = mt;
        return [u];
      }
      if (arg instanceof LuaUserdata && arg.metatable !== undefined && proxyMetatables.has(arg.metatable)) {
        u.metatable = arg.metatable;
        return [u];
      }
      return argError(0, "newproxy", "boolean or proxy expected");
    },
  };

  for (const [name, fn] of Object.entries(fns)) G.set(name, new LuaFunction(name, fn));
  G.set("next", nextFunction);
  G.set("_G", G);
  G.set("_VERSION", "Lua 5.1");
}
