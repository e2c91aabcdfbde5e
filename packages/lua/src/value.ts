/**
 * Lua 5.1 values as JavaScript values: the contract shared by the interpreter and every library.
 *
 *   nil      -> undefined
 *   boolean  -> boolean
 *   number   -> number (Lua 5.1 has only doubles)
 *   string   -> string, one char per byte (char codes 0..255, "latin1"): the server's own
 *               representation of Redis values, so strings cross between Redis and Lua as-is
 *   table    -> LuaTable
 *   function -> LuaFunction (Lua closures and library functions alike)
 *   userdata -> LuaUserdata (cjson.null, Redis's lightuserdata sentinels)
 *
 * Functions take their arguments as an array and return their results as an array, so calls
 * with any number of values need no special cases.
 */

import { formatNumberG } from "./printf.js";

export type LuaValue = undefined | boolean | number | string | LuaTable | LuaFunction | LuaUserdata;

export type LuaCallable = (args: LuaValue[]) => LuaValue[];

/** tostring() of tables, functions and userdata prints an address; ids stand in for them. */
let nextObjectId = 0x1000;
function objectId(): number {
  nextObjectId += 0x40;
  return nextObjectId;
}

export class LuaFunction {
  private id = 0;
  /**
   * `name` is what argument errors call the function ("bad argument #1 to 'insert'"); Lua
   * closures are anonymous ("?") unless the call site names them.
   */
  constructor(
    readonly name: string,
    readonly call: LuaCallable,
  ) {}

  get address(): number {
    if (this.id === 0) this.id = objectId();
    return this.id;
  }
}

export class LuaUserdata {
  private id = 0;
  metatable: LuaTable | undefined = undefined;
  /** `isNullPointer`: a lightuserdata NULL (cjson.null), which prints as "userdata: (nil)". */
  constructor(readonly isNullPointer = false) {}

  get address(): number {
    if (this.id === 0) this.id = objectId();
    return this.id;
  }
}

export const READONLY_TABLE = "Attempt to modify a readonly table";

/**
 * A Lua table: an array part for the keys 1..n and a Map for the rest. The array part may hold
 * holes (undefined) but never ends in one, so its length is a border as `#` requires; a key
 * n+1 written to the hash part is moved into the array part as soon as the array reaches it.
 * Keys are normalized so that a float key equal to an integer is that integer (JS numbers
 * already are) and -0 is 0 (the Map's SameValueZero already treats them alike).
 */
export class LuaTable {
  readonly array: LuaValue[] = [];
  readonly hash = new Map<LuaValue, LuaValue>();
  metatable: LuaTable | undefined = undefined;
  /**
   * Redis's patch to Lua 5.1 (lua_enablereadonlytable): scripts cannot change a protected table,
   * which is how Redis 7.0 locks the globals and every library table reachable from them.
   */
  readonly = false;
  private id = 0;
  /** Cursor of the last next() over the hash part, so a pairs() traversal is linear. */
  private cursor: Iterator<[LuaValue, LuaValue]> | null = null;
  private cursorKey: LuaValue = undefined;

  get address(): number {
    if (this.id === 0) this.id = objectId();
    return this.id;
  }

  /** rawget. */
  get(key: LuaValue): LuaValue {
    if (typeof key === "number") {
      const arr = this.array;
      if (key >= 1 && key <= arr.length && Number.isInteger(key)) return arr[key - 1];
    }
    return this.hash.size === 0 ? undefined : this.hash.get(key);
  }

  /** rawget of an integer key (table library, ipairs, unpack). */
  getInt(i: number): LuaValue {
    const arr = this.array;
    if (i >= 1 && i <= arr.length) return arr[i - 1];
    return this.hash.size === 0 ? undefined : this.hash.get(i);
  }

  /** rawset; raises Lua's errors for nil and NaN keys, and Redis's for a readonly table. */
  set(key: LuaValue, value: LuaValue): void {
    if (this.readonly) throw new LuaError(READONLY_TABLE, 1);
    if (typeof key === "number") {
      if (Number.isInteger(key) && key >= 1) {
        this.setInt(key, value);
        return;
      }
      if (Number.isNaN(key)) throw new LuaError("table index is NaN", 1);
    } else if (key === undefined) {
      throw new LuaError("table index is nil", 1);
    }
    if (value === undefined) this.hash.delete(key);
    else this.hash.set(key, value);
  }

  /** rawset of an integer key >= 1. */
  setInt(i: number, value: LuaValue): void {
    if (this.readonly) throw new LuaError(READONLY_TABLE, 1);
    const arr = this.array;
    const n = arr.length;
    if (i <= n) {
      arr[i - 1] = value;
      if (value === undefined && i === n) {
        let end = n - 1;
        while (end > 0 && arr[end - 1] === undefined) end--;
        arr.length = end;
      }
      return;
    }
    if (i === n + 1) {
      if (value === undefined) {
        if (this.hash.size !== 0) this.hash.delete(i);
        return;
      }
      arr.push(value);
      if (this.hash.size !== 0) this.migrateFromHash();
      return;
    }
    if (value === undefined) this.hash.delete(i);
    else this.hash.set(i, value);
  }

  /** Moves keys n+1, n+2... from the hash part to the end of the array part. */
  private migrateFromHash(): void {
    const arr = this.array;
    const hash = this.hash;
    for (;;) {
      const k = arr.length + 1;
      const v = hash.get(k);
      if (v === undefined) return;
      hash.delete(k);
      arr.push(v);
    }
  }

  /** The `#` operator without metamethods (Lua 5.1 has no __len for tables). */
  length(): number {
    return this.array.length;
  }

  /**
   * next(): the key after `key` (undefined = the first), or undefined at the end. Array part
   * first, then the hash part in insertion order. Raises "invalid key to 'next'" for a key
   * that is not in the table.
   */
  next(key: LuaValue): [LuaValue, LuaValue] | undefined {
    const arr = this.array;
    let i = 0;
    if (key !== undefined) {
      if (typeof key === "number" && Number.isInteger(key) && key >= 1 && key <= arr.length) {
        i = key;
      } else {
        return this.nextInHash(key);
      }
    }
    for (; i < arr.length; i++) {
      const v = arr[i];
      if (v !== undefined) return [i + 1, v];
    }
    this.cursor = this.hash.entries();
    return this.advance();
  }

  private nextInHash(key: LuaValue): [LuaValue, LuaValue] | undefined {
    if (this.cursor !== null && this.cursorKey === key) return this.advance();
    // A traversal we did not follow (or one resumed from another key): find the key again.
    const it = this.hash.entries();
    for (let r = it.next(); !r.done; r = it.next()) {
      if (r.value[0] === key || (Number.isNaN(key) && Number.isNaN(r.value[0]))) {
        this.cursor = it;
        return this.advance();
      }
    }
    if (this.hash.has(key)) return undefined;
    throw new LuaError("invalid key to 'next'", 1);
  }

  private advance(): [LuaValue, LuaValue] | undefined {
    const it = this.cursor!;
    for (let r = it.next(); !r.done; r = it.next()) {
      const entry = r.value;
      if (entry[1] !== undefined) {
        this.cursorKey = entry[0];
        return entry;
      }
    }
    this.cursor = null;
    this.cursorKey = undefined;
    return undefined;
  }

  /** A table from a JS array, as the list {a, b, c}. */
  static fromArray(values: readonly LuaValue[]): LuaTable {
    const t = new LuaTable();
    for (let i = 0; i < values.length; i++) t.setInt(i + 1, values[i]);
    return t;
  }
}

/**
 * A Lua error in flight. `value` is what pcall returns (usually a string). `level` > 0 means
 * the message still needs the "chunk:line: " of that call level prepended, as luaL_error and
 * error(msg, level) do: level 1 is the Lua function that made the failing call. Library
 * functions throw with level 1 and the interpreter's call sites add the position.
 */
export class LuaError extends Error {
  value: LuaValue;
  level: number;
  /** Lua's traceback at the point of the error, when the interpreter recorded one. */
  traceback: string | undefined = undefined;
  /**
   * Where the error was raised: the chunk name (e.g. "@user_script") and current line of the
   * innermost Lua function running at that moment, as debug.getinfo reports them to Redis's
   * error handler ("script: <sha>, on @user_script:1."). The interpreter sets them once, at
   * the first Lua frame the error passes; -1 when unknown.
   */
  source: string | undefined = undefined;
  line = -1;

  constructor(value: LuaValue, level = 0) {
    super(typeof value === "string" ? value : `(error object is a ${typeName(value)} value)`);
    this.value = value;
    this.level = typeof value === "string" ? level : 0;
  }
}

/** luaL_error: an error whose message gets the caller's position. */
export function luaError(message: string): never {
  throw new LuaError(message, 1);
}

export type LuaTypeName = "nil" | "boolean" | "number" | "string" | "table" | "function" | "userdata";

export function typeName(v: LuaValue): LuaTypeName {
  switch (typeof v) {
    case "undefined":
      return "nil";
    case "boolean":
      return "boolean";
    case "number":
      return "number";
    case "string":
      return "string";
    default:
      if (v instanceof LuaTable) return "table";
      if (v instanceof LuaFunction) return "function";
      return "userdata";
  }
}

/** Lua truthiness: only nil and false are false. */
export function isTruthy(v: LuaValue): boolean {
  return v !== undefined && v !== false;
}

/**
 * A number as Lua 5.1 prints it (LUAI_NUMFFORMAT "%.14g", exactly as glibc rounds), with glibc's
 * spellings of the special values ("inf", "-inf", "-nan": 0/0 has its sign bit set on x86).
 */
export function numberToString(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return Object.is(n, -0) ? "-0" : String(n);
  return formatNumberG(n, 14);
}

/** tostring() without the __tostring metamethod (lua_tostring plus the type/address forms). */
export function rawToString(v: LuaValue): string {
  switch (typeof v) {
    case "undefined":
      return "nil";
    case "boolean":
      return v ? "true" : "false";
    case "number":
      return numberToString(v);
    case "string":
      return v;
    default:
      if (v instanceof LuaUserdata && v.isNullPointer) return "userdata: (nil)";
      return `${typeName(v)}: 0x${v.address.toString(16).padStart(8, "0")}`;
  }
}

const STRTOD_DECIMAL = /^[ \t\n\v\f\r]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const STRTOD_HEX =
  /^[ \t\n\v\f\r]*([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/;
const STRTOD_SPECIAL = /^[ \t\n\v\f\r]*([+-]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)/i;
const TRAILING_SPACE = /^[ \t\n\v\f\r]*$/;

/**
 * luaO_str2d: a string's number value (glibc strtod: decimal, hexadecimal with an optional
 * binary exponent, inf/nan; surrounding whitespace allowed), or undefined when it is not
 * entirely a number. Arithmetic on strings and tonumber() both use it.
 */
export function stringToNumber(s: string): number | undefined {
  let value: number;
  let consumed: number;
  const hex = STRTOD_HEX.exec(s);
  if (hex !== null) {
    value = parseHexFloat(hex[2], hex[3]);
    if (hex[1] === "-") value = -value;
    consumed = hex[0].length;
  } else {
    const decimal = STRTOD_DECIMAL.exec(s);
    if (decimal !== null) {
      value = Number(decimal[0].trim());
      consumed = decimal[0].length;
    } else {
      const special = STRTOD_SPECIAL.exec(s);
      if (special === null) return undefined;
      value = special[2][0] === "n" || special[2][0] === "N" ? Number.NaN : Number.POSITIVE_INFINITY;
      if (special[1] === "-") value = -value;
      consumed = special[0].length;
    }
  }
  if (consumed !== s.length && !TRAILING_SPACE.test(s.slice(consumed))) return undefined;
  return value;
}

function parseHexFloat(digits: string, exponent: string | undefined): number {
  const dot = digits.indexOf(".");
  const intPart = dot < 0 ? digits : digits.slice(0, dot);
  const fracPart = dot < 0 ? "" : digits.slice(dot + 1);
  let value = 0;
  for (const ch of intPart) value = value * 16 + Number.parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of fracPart) {
    value += Number.parseInt(ch, 16) * scale;
    scale /= 16;
  }
  return exponent === undefined ? value : value * 2 ** Number(exponent);
}

/** lua_tonumber: numbers as they are, strings converted, anything else undefined. */
export function toNumber(v: LuaValue): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string") return stringToNumber(v);
  return undefined;
}

/** lua_tolstring's coercion: strings as they are, numbers printed, anything else undefined. */
export function toStringCoerce(v: LuaValue): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number") return numberToString(v);
  return undefined;
}
