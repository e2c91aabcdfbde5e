/**
 * Helpers the compiled code calls: Lua closures, fast paths for the common cases of every
 * operation (falling back to ops.ts for coercions and metamethods), table constructors, the
 * generic-for step and the positions that errors get as they leave a Lua function.
 *
 * Helpers that can raise an error take a last parameter (a "what" name or a dummy) in which the
 * compiled code sets the current line just before the helper runs.
 */

import {
  arith,
  call as callMeta,
  concat,
  equals,
  index,
  length,
  lessEqual,
  lessThan,
  setIndex,
} from "./ops.js";
import {
  type LuaCallable,
  LuaError,
  LuaFunction,
  LuaTable,
  type LuaValue,
  numberToString,
  stringToNumber,
} from "./value.js";

/** A function written in Lua: a LuaFunction with an environment (getfenv/setfenv). */
export class LuaClosure extends LuaFunction {
  env: LuaTable;
  constructor(env: LuaTable, make: (self: LuaClosure) => LuaCallable) {
    super("?", notReady);
    this.env = env;
    (this as { call: LuaCallable }).call = make(this);
  }
}

function notReady(): LuaValue[] {
  return [];
}

export function closure(env: LuaTable, make: (self: LuaClosure) => LuaCallable): LuaClosure {
  return new LuaClosure(env, make);
}

const NILS: LuaValue[] = [undefined];

// ---- errors --------------------------------------------------------------------------------

/** The error a JS RangeError stands for: a stack overflow or a failed allocation. */
export function rangeErrorMessage(e: RangeError): string {
  // A plain comparison: near the stack limit, even a regular expression can fail to run.
  return e.message === "Maximum call stack size exceeded" ? "stack overflow" : "not enough memory";
}

/**
 * Gives an error leaving a Lua function its position: level 1 means "this function's current
 * line", higher levels are passed on to the caller one level lower.
 */
export function makeFixer(chunk: string): (e: unknown, line: number) => unknown {
  // debug.getinfo's `source` of this chunk, which Redis's error handler reports.
  const source = chunk.startsWith("[string ") ? chunk : `@${chunk}`;
  return (e, line) => {
    if (e instanceof LuaError) {
      if (e.source === undefined) {
        e.source = source;
        e.line = line;
      }
      if (e.level > 0) {
        if (e.level === 1) {
          const msg = `${chunk}:${line}: ${e.value as string}`;
          e.value = msg;
          e.message = msg;
          e.level = 0;
        } else {
          e.level--;
        }
      }
      return e;
    }
    if (e instanceof RangeError) {
      const what = rangeErrorMessage(e);
      const err = new LuaError(what === "stack overflow" ? `${chunk}:${line}: ${what}` : what, 0);
      err.source = source;
      err.line = line;
      return err;
    }
    return e;
  };
}

/** The value pcall returns for a caught error, or undefined when it must not be caught. */
export function caughtValue(e: unknown, where = ""): { value: LuaValue } | undefined {
  if (e instanceof LuaError) {
    // Level 1 is the catching library function itself (no position); higher levels are the
    // Lua code that called it.
    if (e.level > 1 && where !== "") e.value = `${where}${e.value as string}`;
    e.level = 0;
    return { value: e.value };
  }
  if (e instanceof RangeError) return { value: rangeErrorMessage(e) };
  return undefined;
}

const BAD_ARGUMENT = /^bad argument #(\d+) to '[^']*' \(([\s\S]*)\)$/;

/**
 * luaL_argerror names the function as its call site does and, for method calls, does not count
 * self; library functions name themselves, so the call site corrects the message.
 */
function renameArgError(e: unknown, what: string | undefined): unknown {
  if (!(e instanceof LuaError) || e.level !== 1 || typeof e.value !== "string") return e;
  const m = BAD_ARGUMENT.exec(e.value);
  if (m === null) return e;
  let n = Number(m[1]);
  let name = "?";
  let method = false;
  if (what !== undefined) {
    const q = what.indexOf("'");
    name = what.slice(q + 1, what.length - 1);
    method = what.startsWith("method");
  }
  if (method) {
    n--;
    if (n === 0) {
      e.value = `calling '${name}' on bad self (${m[2]})`;
      e.message = e.value;
      return e;
    }
  }
  e.value = `bad argument #${n} to '${name}' (${m[2]})`;
  e.message = e.value;
  return e;
}

// ---- calls ---------------------------------------------------------------------------------

/** Position of the Lua code that made the latest call to a library function. */
let callerChunk = "";
let callerLine = 0;

/**
 * luaL_where(L, 1) as seen by a library function when it starts: "chunk:line: " of the Lua
 * code calling it ("" when unknown). Read it before calling back into Lua.
 */
export function callerWhere(): string {
  return callerChunk === "" ? "" : `${callerChunk}:${callerLine}: `;
}

export function call(
  f: LuaValue,
  args: LuaValue[],
  what: string | undefined,
  chunk?: string,
  line?: number,
): LuaValue[] {
  if (f instanceof LuaClosure) return f.call(args);
  if (f instanceof LuaFunction) {
    callerChunk = chunk ?? "";
    callerLine = line ?? 0;
    return callNative(f, args, what);
  }
  return callMeta(f, args, what);
}

function callNative(f: LuaFunction, args: LuaValue[], what: string | undefined): LuaValue[] {
  try {
    return f.call(args);
  } catch (e) {
    throw renameArgError(e, what);
  }
}

/** next(), shared so generic for can iterate pairs() without calls. */
export const nextFunction = new LuaFunction("next", (args) => {
  const t = args[0];
  if (!(t instanceof LuaTable)) {
    throw new LuaError(
      `bad argument #1 to 'next' (table expected, got ${args.length === 0 ? "no value" : typeNameOf(t)})`,
      1,
    );
  }
  return tableNext(t, args[1]);
});

/** t.next(k) with "invalid key to 'next'" raised without a position, as from a C function. */
function tableNext(t: LuaTable, k: LuaValue): LuaValue[] {
  try {
    return t.next(k) ?? NILS;
  } catch (e) {
    if (e instanceof LuaError) e.level = 0;
    throw e;
  }
}

/** The iterator ipairs() returns. */
export const ipairsIterator = new LuaFunction("ipairs_aux", (args) => {
  const t = args[0];
  if (!(t instanceof LuaTable)) {
    throw new LuaError(
      `bad argument #1 to 'ipairs_aux' (table expected, got ${args.length === 0 ? "no value" : typeNameOf(t)})`,
      1,
    );
  }
  const i = (typeof args[1] === "number" ? args[1] : 0) + 1;
  const v = t.getInt(i);
  return v === undefined ? [] : [i, v];
});

function typeNameOf(v: LuaValue): string {
  return typeof v === "undefined" ? "nil" : v instanceof LuaFunction ? "function" : typeof v;
}

/** One step of a generic for: f(s, c), without the call for next and ipairs over tables. */
export function forStep(f: LuaValue, s: LuaValue, c: LuaValue, _: unknown): LuaValue[] {
  if (s instanceof LuaTable) {
    if (f === nextFunction) return tableNext(s, c);
    if (f === ipairsIterator && typeof c === "number") {
      const v = s.getInt(c + 1);
      return v === undefined ? NILS : [c + 1, v];
    }
  }
  return call(f, [s, c], undefined);
}

// ---- indexing ------------------------------------------------------------------------------

export function idx(o: LuaValue, k: LuaValue, what: string | undefined): LuaValue {
  if (o instanceof LuaTable) {
    const v = o.get(k);
    if (v !== undefined || o.metatable === undefined) return v;
  }
  return index(o, k, what);
}

/** o[k] for a string constant k. */
export function idxs(o: LuaValue, k: string, what: string | undefined): LuaValue {
  if (o instanceof LuaTable) {
    const v = o.hash.get(k);
    if (v !== undefined || o.metatable === undefined) return v;
  }
  return index(o, k, what);
}

export function setidx(o: LuaValue, k: LuaValue, v: LuaValue, what: string | undefined): void {
  if (o instanceof LuaTable && o.metatable === undefined) o.set(k, v);
  else setIndex(o, k, v, what);
}

export function gget(env: LuaTable, name: string, _: unknown): LuaValue {
  const v = env.hash.get(name);
  if (v !== undefined || env.metatable === undefined) return v;
  return index(env, name);
}

export function gset(env: LuaTable, name: string, v: LuaValue, _: unknown): void {
  if (env.metatable === undefined) {
    if (v === undefined) env.hash.delete(name);
    else env.hash.set(name, v);
  } else {
    setIndex(env, name, v);
  }
}

// ---- arithmetic, comparison, concatenation -------------------------------------------------

type W = string | undefined;

export function add(a: LuaValue, b: LuaValue, wa: W, wb: W): LuaValue {
  return typeof a === "number" && typeof b === "number" ? a + b : arith("add", a, b, wa, wb);
}
export function sub(a: LuaValue, b: LuaValue, wa: W, wb: W): LuaValue {
  return typeof a === "number" && typeof b === "number" ? a - b : arith("sub", a, b, wa, wb);
}
export function mul(a: LuaValue, b: LuaValue, wa: W, wb: W): LuaValue {
  return typeof a === "number" && typeof b === "number" ? a * b : arith("mul", a, b, wa, wb);
}
export function div(a: LuaValue, b: LuaValue, wa: W, wb: W): LuaValue {
  return typeof a === "number" && typeof b === "number" ? a / b : arith("div", a, b, wa, wb);
}
export function mod(a: LuaValue, b: LuaValue, wa: W, wb: W): LuaValue {
  return typeof a === "number" && typeof b === "number"
    ? a - Math.floor(a / b) * b
    : arith("mod", a, b, wa, wb);
}

/** C's pow: 1 to any power and (-1) to an infinite power are 1, where JS says NaN. */
export function luaPow(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Number.POSITIVE_INFINITY || b === Number.NEGATIVE_INFINITY))) {
    return 1;
  }
  return a ** b;
}

export function pow(a: LuaValue, b: LuaValue, wa: W, wb: W): LuaValue {
  if (typeof a === "number" && typeof b === "number") return luaPow(a, b);
  const na = typeof a === "string" ? stringToNumber(a) : undefined;
  const nb = typeof b === "string" ? stringToNumber(b) : typeof b === "number" ? b : undefined;
  if ((typeof a === "number" || na !== undefined) && nb !== undefined) {
    return luaPow(typeof a === "number" ? a : (na as number), nb);
  }
  return arith("pow", a, b, wa, wb);
}

export function unm(a: LuaValue, w: W): LuaValue {
  return typeof a === "number" ? -a : arith("unm", a, a, w, w);
}

export function len(a: LuaValue, w: W): LuaValue {
  if (typeof a === "string") return a.length;
  if (a instanceof LuaTable) return a.array.length;
  return length(a, w);
}

export function cc(a: LuaValue, b: LuaValue, wa: W, wb: W): LuaValue {
  if (typeof a === "string") {
    if (typeof b === "string") return a + b;
    if (typeof b === "number") return a + numberToString(b);
  } else if (typeof a === "number") {
    if (typeof b === "string") return numberToString(a) + b;
    if (typeof b === "number") return numberToString(a) + numberToString(b);
  }
  return concat(a, b, wa, wb);
}

export function eq(a: LuaValue, b: LuaValue, _: unknown): boolean {
  return a === b || (typeof a === "object" && typeof b === "object" && equals(a, b));
}
export function lt(a: LuaValue, b: LuaValue, _: unknown): boolean {
  return typeof a === "number" && typeof b === "number" ? a < b : lessThan(a, b);
}
export function le(a: LuaValue, b: LuaValue, _: unknown): boolean {
  return typeof a === "number" && typeof b === "number" ? a <= b : lessEqual(a, b);
}
/** a > b is b < a in Lua 5.1 (operands evaluated left to right, compared swapped). */
export function gt(a: LuaValue, b: LuaValue, _: unknown): boolean {
  return typeof a === "number" && typeof b === "number" ? a > b : lessThan(b, a);
}
export function ge(a: LuaValue, b: LuaValue, _: unknown): boolean {
  return typeof a === "number" && typeof b === "number" ? a >= b : lessEqual(b, a);
}

export function truthy(v: LuaValue): boolean {
  return v !== undefined && v !== false;
}

/** A numeric for's initial value, limit or step (strings convert, as luaV_tonumber does). */
export function forNum(v: LuaValue, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const n = stringToNumber(v);
    if (n !== undefined) return n;
  }
  throw new LuaError(`'for' ${what} must be a number`, 1);
}

// ---- tables --------------------------------------------------------------------------------

/** Stores list items 1..n, holes included (as the constructor's array part holds them). */
function storeList(t: LuaTable, values: readonly LuaValue[], from: number): void {
  let n = values.length;
  while (n > from && values[n - 1] === undefined) n--;
  const arr = t.array;
  const hash = t.hash;
  for (let i = from; i < n; i++) {
    const j = i - from;
    const v = values[i];
    if (j < arr.length) {
      if (v === undefined && j === arr.length - 1) t.setInt(j + 1, undefined);
      else arr[j] = v;
    } else {
      arr.push(v);
      if (hash.size !== 0) hash.delete(j + 1);
    }
  }
  if (hash.size !== 0) {
    const k = arr.length + 1;
    const v = hash.get(k);
    if (v !== undefined) {
      hash.delete(k);
      t.setInt(k, v);
    }
  }
}

/** {a, b, c...}. */
export function tlist(values: LuaValue[], _: unknown): LuaTable {
  const t = new LuaTable();
  storeList(t, values, 0);
  return t;
}

/**
 * A constructor with keyed fields: `values` holds every expression in source order, `layout`
 * says what each is ('p' a list item, 'k' a key followed by its value); values beyond the
 * layout are list items from a trailing multiple-value expression.
 */
export function tmix(values: LuaValue[], layout: string, _: unknown): LuaTable {
  const t = new LuaTable();
  const list: LuaValue[] = [];
  let i = 0;
  for (let j = 0; j < layout.length; j++) {
    if (layout.charCodeAt(j) === 107) {
      t.set(values[i], values[i + 1]);
      i += 2;
    } else {
      list.push(values[i++]);
    }
  }
  for (; i < values.length; i++) list.push(values[i]);
  storeList(t, list, 0);
  return t;
}

export function varargs(args: LuaValue[], n: number): LuaValue[] {
  return args.length > n ? args.slice(n) : [];
}
