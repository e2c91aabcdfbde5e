/**
 * Lua 5.1's operations with their metamethods (lvm.c and ltm.c): indexing, calls, arithmetic,
 * comparison, concatenation, length and tostring. The interpreter compiles every operator to
 * these, and libraries use them where Lua's C library does (table.sort compares with lessThan,
 * tostring() honours __tostring).
 *
 * `what` arguments describe an operand for error messages the way Lua 5.1 does from its
 * bytecode ("global 'x'", "local 'y'", "field 'z'"); without one the message is the plain
 * "attempt to index a nil value".
 */

import {
  LuaError,
  LuaFunction,
  LuaTable,
  LuaUserdata,
  type LuaValue,
  numberToString,
  READONLY_TABLE,
  rawToString,
  stringToNumber,
  typeName,
} from "./value.js";

/** Strings index through this metatable (its __index is the string library). */
let stringMetatable: LuaTable | undefined;

export function setStringMetatable(mt: LuaTable | undefined): void {
  stringMetatable = mt;
}

export function getMetatable(v: LuaValue): LuaTable | undefined {
  if (v instanceof LuaTable || v instanceof LuaUserdata) return v.metatable;
  if (typeof v === "string") return stringMetatable;
  return undefined;
}

function metamethod(v: LuaValue, event: string): LuaValue {
  const mt = getMetatable(v);
  return mt === undefined ? undefined : mt.get(event);
}

function typeError(v: LuaValue, op: string, what: string | undefined): never {
  const t = typeName(v);
  throw new LuaError(
    what === undefined ? `attempt to ${op} a ${t} value` : `attempt to ${op} ${what} (a ${t} value)`,
    1,
  );
}

/** Lua allows this many __index/__newindex hops before it calls it a loop. */
const MAX_TAG_LOOP = 100;

/** t[k] (luaV_gettable). */
export function index(obj: LuaValue, key: LuaValue, what?: string): LuaValue {
  let t = obj;
  for (let loop = 0; loop < MAX_TAG_LOOP; loop++) {
    let handler: LuaValue;
    if (t instanceof LuaTable) {
      const v = t.get(key);
      if (v !== undefined) return v;
      const mt = t.metatable;
      if (mt === undefined) return undefined;
      handler = mt.get("__index");
      if (handler === undefined) return undefined;
    } else {
      handler = metamethod(t, "__index");
      if (handler === undefined) typeError(t, "index", loop === 0 ? what : undefined);
    }
    if (handler instanceof LuaFunction) return handler.call([t, key])[0];
    t = handler;
  }
  throw new LuaError("loop in gettable", 1);
}

/** t[k] = v (luaV_settable). */
export function setIndex(obj: LuaValue, key: LuaValue, value: LuaValue, what?: string): void {
  let t = obj;
  for (let loop = 0; loop < MAX_TAG_LOOP; loop++) {
    let handler: LuaValue;
    if (t instanceof LuaTable) {
      // Redis's patched luaV_settable refuses a readonly table before any __newindex.
      if (t.readonly) throw new LuaError(READONLY_TABLE, 1);
      const mt = t.metatable;
      if (mt === undefined || t.get(key) !== undefined) {
        t.set(key, value);
        return;
      }
      handler = mt.get("__newindex");
      if (handler === undefined) {
        t.set(key, value);
        return;
      }
    } else {
      handler = metamethod(t, "__newindex");
      if (handler === undefined) typeError(t, "index", loop === 0 ? what : undefined);
    }
    if (handler instanceof LuaFunction) {
      handler.call([t, key, value]);
      return;
    }
    t = handler;
  }
  throw new LuaError("loop in settable", 1);
}

/** f(args...) including __call. */
export function call(fn: LuaValue, args: LuaValue[], what?: string): LuaValue[] {
  if (fn instanceof LuaFunction) return fn.call(args);
  const handler = metamethod(fn, "__call");
  if (!(handler instanceof LuaFunction)) typeError(fn, "call", what);
  return handler.call([fn, ...args]);
}

export type ArithOp = "add" | "sub" | "mul" | "div" | "mod" | "pow" | "unm";

const ARITH_EVENTS: Record<ArithOp, string> = {
  add: "__add",
  sub: "__sub",
  mul: "__mul",
  div: "__div",
  mod: "__mod",
  pow: "__pow",
  unm: "__unm",
};

function toArithNumber(v: LuaValue): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string") return stringToNumber(v);
  return undefined;
}

/** Lua 5.1's modulo: a - floor(a/b)*b, so the result has the sign of b. */
export function luaMod(a: number, b: number): number {
  return a - Math.floor(a / b) * b;
}

export function rawArith(op: ArithOp, a: number, b: number): number {
  switch (op) {
    case "add":
      return a + b;
    case "sub":
      return a - b;
    case "mul":
      return a * b;
    case "div":
      return a / b;
    case "mod":
      return luaMod(a, b);
    case "pow":
      return a ** b;
    case "unm":
      return -a;
  }
}

/**
 * An arithmetic operation on non-number operands (the interpreter does number+number itself):
 * string coercion, then the metamethod of either operand, then Lua's error naming the operand
 * that is not a number.
 */
export function arith(
  op: ArithOp,
  a: LuaValue,
  b: LuaValue,
  whatA?: string,
  whatB?: string,
): number | LuaValue {
  const na = toArithNumber(a);
  const nb = toArithNumber(b);
  if (na !== undefined && nb !== undefined) return rawArith(op, na, nb);
  const event = ARITH_EVENTS[op];
  let handler = metamethod(a, event);
  if (handler === undefined) handler = metamethod(b, event);
  if (handler !== undefined) return call(handler, [a, b])[0];
  if (na === undefined) typeError(a, "perform arithmetic on", whatA);
  typeError(b, "perform arithmetic on", whatB);
}

/** a .. b (luaV_concat, for one pair; the interpreter folds longer chains right to left). */
export function concat(a: LuaValue, b: LuaValue, whatA?: string, whatB?: string): LuaValue {
  const sa = typeof a === "string" ? a : typeof a === "number" ? numberToString(a) : undefined;
  const sb = typeof b === "string" ? b : typeof b === "number" ? numberToString(b) : undefined;
  if (sa !== undefined && sb !== undefined) return sa + sb;
  let handler = metamethod(a, "__concat");
  if (handler === undefined) handler = metamethod(b, "__concat");
  if (handler !== undefined) return call(handler, [a, b])[0];
  // luaG_concaterror blames the first operand that is not a string or number.
  if (sa === undefined) typeError(a, "concatenate", whatA);
  typeError(b, "concatenate", whatB);
}

/** #v (Lua 5.1: strings and tables are raw; only userdata consult __len). */
export function length(v: LuaValue, what?: string): LuaValue {
  if (typeof v === "string") return v.length;
  if (v instanceof LuaTable) return v.length();
  const handler = metamethod(v, "__len");
  if (handler === undefined) typeError(v, "get length of", what);
  return call(handler, [v])[0];
}

/** a == b (luaV_equalval): raw equality, then __eq for two tables or two userdata. */
export function equals(a: LuaValue, b: LuaValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (
    (a instanceof LuaTable && b instanceof LuaTable) ||
    (a instanceof LuaUserdata && b instanceof LuaUserdata)
  ) {
    const handler = commonComparison(a, b, "__eq");
    if (handler === undefined) return false;
    const r = call(handler, [a, b])[0];
    return r !== undefined && r !== false;
  }
  return false;
}

/** get_compTM: the metamethod both operands share (Lua 5.1 requires the same one). */
function commonComparison(a: LuaValue, b: LuaValue, event: string): LuaValue {
  const h1 = metamethod(a, event);
  if (h1 === undefined) return undefined;
  const mtA = getMetatable(a);
  const mtB = getMetatable(b);
  if (mtA === mtB) return h1;
  const h2 = metamethod(b, event);
  return h2 !== undefined && h1 === h2 ? h1 : undefined;
}

function compareError(a: LuaValue, b: LuaValue): never {
  const t1 = typeName(a);
  const t2 = typeName(b);
  throw new LuaError(
    t1 === t2 ? `attempt to compare two ${t1} values` : `attempt to compare ${t1} with ${t2}`,
    1,
  );
}

/** a < b (luaV_lessthan). */
export function lessThan(a: LuaValue, b: LuaValue): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b) < 0;
  if (typeName(a) === typeName(b)) {
    const handler = commonComparison(a, b, "__lt");
    if (handler !== undefined) {
      const r = call(handler, [a, b])[0];
      return r !== undefined && r !== false;
    }
  }
  compareError(a, b);
}

/** a <= b (lessequal): __le, or else not (b < a) through __lt. */
export function lessEqual(a: LuaValue, b: LuaValue): boolean {
  if (typeof a === "number" && typeof b === "number") return a <= b;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b) <= 0;
  if (typeName(a) === typeName(b)) {
    let handler = commonComparison(a, b, "__le");
    if (handler !== undefined) {
      const r = call(handler, [a, b])[0];
      return r !== undefined && r !== false;
    }
    handler = commonComparison(b, a, "__lt");
    if (handler !== undefined) {
      const r = call(handler, [b, a])[0];
      return r === undefined || r === false;
    }
  }
  compareError(a, b);
}

/**
 * l_strcmp under the C locale Redis runs Lua in: byte order (strcoll = strcmp in "C"), which
 * is char-code order for our one-byte-per-char strings.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** tostring(): __tostring's result when present (whatever it returns, as in 5.1), else the raw form. */
export function toStringMeta(v: LuaValue): LuaValue {
  const handler = metamethod(v, "__tostring");
  if (handler !== undefined) return call(handler, [v])[0];
  return rawToString(v);
}
