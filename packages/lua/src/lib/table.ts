/**
 * Lua 5.1's table library (ltablib.c) as Redis 7.0 embeds it: raw gets and sets, `#` as the
 * length, and table.sort's exact quicksort, so that orders with ties or inconsistent
 * comparators come out as in Redis.
 */

import { checkFunction, checkNumber, checkTable, libraryTable, optString } from "../auxlib.js";
import { lessThan } from "../ops.js";
import { LuaError, LuaFunction, type LuaTable, type LuaValue, numberToString, typeName } from "../value.js";

import { cInt } from "./string.js";

/** luaL_checkint. */
function checkCInt(args: readonly LuaValue[], i: number, fname: string): number {
  return cInt(checkNumber(args, i, fname));
}

function optCInt(args: readonly LuaValue[], i: number, fname: string, dflt: number): number {
  return args[i] === undefined ? dflt : checkCInt(args, i, fname);
}

/** aux_getn: a table's `#` (luaL_getn is lua_objlen without LUA_COMPAT_GETN). */
function auxGetn(args: readonly LuaValue[], i: number, fname: string): number {
  return checkTable(args, i, fname).length();
}

function foreachi(args: LuaValue[]): LuaValue[] {
  const t = checkTable(args, 0, "foreachi");
  const n = t.length();
  const f = checkFunction(args, 1, "foreachi");
  for (let i = 1; i <= n; i++) {
    const r = f.call([i, t.getInt(i)])[0];
    if (r !== undefined) return [r];
  }
  return [];
}

function foreach(args: LuaValue[]): LuaValue[] {
  const t = checkTable(args, 0, "foreach");
  const f = checkFunction(args, 1, "foreach");
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
    const r = f.call([e[0], e[1]])[0];
    if (r !== undefined) return [r];
  }
  return [];
}

function maxn(args: LuaValue[]): LuaValue[] {
  const t = checkTable(args, 0, "maxn");
  let max = 0;
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
    const k = e[0];
    if (typeof k === "number" && k > max) max = k;
  }
  return [max];
}

function getn(args: LuaValue[]): LuaValue[] {
  return [auxGetn(args, 0, "getn")];
}

function setn(args: LuaValue[]): LuaValue[] {
  checkTable(args, 0, "setn");
  throw new LuaError("'setn' is obsolete", 1);
}

function tinsert(args: LuaValue[]): LuaValue[] {
  const t = checkTable(args, 0, "insert");
  let e = t.length() + 1; // first empty element
  let pos: number;
  switch (args.length) {
    case 2:
      pos = e; // insert new element at the end
      break;
    case 3: {
      pos = checkCInt(args, 1, "insert");
      if (pos > e) e = pos; // 'grow' array if necessary
      for (let i = e; i > pos; i--) t.set(i, t.get(i - 1)); // move up elements
      break;
    }
    default:
      throw new LuaError("wrong number of arguments to 'insert'", 1);
  }
  t.set(pos, args[args.length - 1]);
  return [];
}

function tremove(args: LuaValue[]): LuaValue[] {
  const t = checkTable(args, 0, "remove");
  const e = t.length();
  let pos = optCInt(args, 1, "remove", e);
  if (!(1 <= pos && pos <= e)) return []; // position is outside bounds: nothing to remove
  const result = t.getInt(pos);
  for (; pos < e; pos++) t.setInt(pos, t.getInt(pos + 1));
  t.setInt(e, undefined);
  return [result];
}

function tconcat(args: LuaValue[]): LuaValue[] {
  const sep = optString(args, 1, "concat", "");
  const t = checkTable(args, 0, "concat");
  let i = optCInt(args, 2, "concat", 1);
  const last = optCInt(args, 3, "concat", t.length());
  const parts: string[] = [];
  const field = (k: number): string => {
    const v = t.get(k);
    if (typeof v === "string") return v;
    if (typeof v === "number") return numberToString(v);
    throw new LuaError(`invalid value (${typeName(v)}) at index ${k} in table for 'concat'`, 1);
  };
  for (; i < last; i++) parts.push(field(i));
  if (i === last) parts.push(field(i)); // add last value (if interval was not empty)
  return [parts.join(sep)];
}

/** table.sort: ltablib.c's auxsort, step for step (the same reads, writes and comparisons). */
function sort(args: LuaValue[]): LuaValue[] {
  const t = checkTable(args, 0, "sort");
  const n = t.length();
  const comp = args[1];
  if (comp !== undefined) checkFunction(args, 1, "sort");
  const lt: (a: LuaValue, b: LuaValue) => boolean =
    comp instanceof LuaFunction
      ? (a, b) => {
          const r = comp.call([a, b])[0];
          return r !== undefined && r !== false;
        }
      : defaultLessThan;
  auxsort(t, 1, n, lt);
  return [];
}

/**
 * lua_lessthan called from C: its "attempt to compare" error is raised while table.sort (a C
 * function) is running, so C Lua adds no position to it; level 0 keeps ours without one too.
 */
function defaultLessThan(a: LuaValue, b: LuaValue): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  try {
    return lessThan(a, b);
  } catch (e) {
    if (e instanceof LuaError && e.level === 1 && String(e.value).startsWith("attempt to compare")) {
      e.level = 0;
    }
    throw e;
  }
}

function auxsort(t: LuaTable, l: number, u: number, lt: (a: LuaValue, b: LuaValue) => boolean): void {
  while (l < u) {
    // sort elements a[l], a[(l+u)/2] and a[u]
    {
      const al = t.get(l);
      const au = t.get(u);
      if (lt(au, al)) {
        t.set(l, au);
        t.set(u, al);
      }
    }
    if (u - l === 1) break; // only 2 elements
    let i = Math.floor((l + u) / 2);
    {
      const ai = t.get(i);
      const al = t.get(l);
      if (lt(ai, al)) {
        t.set(i, al);
        t.set(l, ai);
      } else {
        const au = t.get(u);
        if (lt(au, ai)) {
          t.set(i, au);
          t.set(u, ai);
        }
      }
    }
    if (u - l === 2) break; // only 3 elements
    const pivot = t.get(i);
    {
      const au1 = t.get(u - 1);
      t.set(i, au1);
      t.set(u - 1, pivot);
    }
    // a[l] <= P == a[u-1] <= a[u], only need to sort from l+1 to u-2
    i = l;
    let j = u - 1;
    for (;;) {
      // invariant: a[l..i] <= P <= a[j..u]
      // repeat ++i until a[i] >= P
      let ai = t.get(++i);
      while (lt(ai, pivot)) {
        if (i > u) throw new LuaError("invalid order function for sorting", 1);
        ai = t.get(++i);
      }
      // repeat --j until a[j] <= P
      let aj = t.get(--j);
      while (lt(pivot, aj)) {
        if (j < l) throw new LuaError("invalid order function for sorting", 1);
        aj = t.get(--j);
      }
      if (j < i) break;
      t.set(i, aj);
      t.set(j, ai);
    }
    {
      const au1 = t.get(u - 1);
      const ai = t.get(i);
      t.set(u - 1, ai);
      t.set(i, au1);
    }
    // a[l..i-1] <= a[i] == P <= a[i+1..u]; sort the smaller half recursively, loop on the larger
    let lo: number;
    let hi: number;
    if (i - l < u - i) {
      lo = l;
      hi = i - 1;
      l = i + 1;
    } else {
      lo = i + 1;
      hi = u;
      u = i - 1;
    }
    auxsort(t, lo, hi, lt);
  }
}

/** The table library's functions. */
export function createTableLibrary(): LuaTable {
  return libraryTable({
    concat: tconcat,
    foreach,
    foreachi,
    getn,
    insert: tinsert,
    maxn,
    remove: tremove,
    setn,
    sort,
  });
}

/** luaopen_table: sets `table`. */
export function openTable(globals: LuaTable): LuaTable {
  const lib = createTableLibrary();
  globals.set("table", lib);
  return lib;
}
