/**
 * SORT and SORT_RO (sort.c) over lists, sets and sorted sets: BY pattern (or a constant pattern
 * meaning "don't sort"), hash field dereference with `->`, LIMIT, GET (with `#` for the element
 * itself), ASC/DESC, ALPHA and STORE.
 *
 * Sorted sets are read only through the ZSetValue interface (`entries()` in ascending score
 * order), so this file does not depend on the sorted-set implementation.
 *
 * Ordering rules copied from sortCompare: numeric sorts compare scores and break ties by the
 * elements' bytes, so the output is deterministic; ALPHA compares bytes (Redis uses strcoll,
 * which is byte order in the C and C.UTF-8 locales); with BY, an element whose weight key is
 * missing sorts first (ALPHA) or weighs 0 (numeric). A set sorted with a constant BY and STORE,
 * or from a script, is sorted ALPHA instead, so replicas store the same list and scripts see the
 * same order.
 */

import { mayReadAnyKey } from "../acl/check.js";
import type { Db } from "../keyspace/db.js";
import type { HashObject } from "../keyspace/types/hash.js";
import { ListObject } from "../keyspace/types/list.js";
import type { SetObject } from "../keyspace/types/set.js";
import type { ZSetValue } from "../keyspace/value.js";
import { type Client, ClientFlag } from "../network/client.js";
import { compareBytes } from "../util/compare-bytes.js";
import { intOrReply, is } from "./args.js";
import { modified, WRONGTYPE } from "./common.js";
import { OW_UPDATE, RO_ACCESS } from "./key-specs.js";
import { type CommandSpec, spec } from "./spec.js";

interface SortItem {
  obj: string;
  score: number;
  cmp: string | null;
}

/**
 * lookupKeyByPattern: "#" is the element itself; otherwise the first '*' of the pattern is
 * replaced by the element and the resulting string key is read, or, with "key->field" (a
 * non-empty field after the '*'), that hash field. Null when missing or of another type.
 */
export function lookupKeyByPattern(db: Db, pattern: string, subst: string): string | null {
  if (pattern === "#") return subst;
  const star = pattern.indexOf("*");
  if (star < 0) return null;
  const arrow = pattern.indexOf("->", star + 1);
  let keyPart = pattern;
  let field: string | null = null;
  if (arrow >= 0 && arrow + 2 < pattern.length) {
    keyPart = pattern.slice(0, arrow);
    field = pattern.slice(arrow + 2);
  }
  const key = keyPart.slice(0, star) + subst + keyPart.slice(star + 1);
  const v = db.read(key);
  if (v === undefined) return null;
  if (field !== null) {
    if (typeof v === "string" || v.type !== "hash") return null;
    return (v as HashObject).get(field) ?? null;
  }
  return typeof v === "string" ? v : null;
}

const LEADING_SPACE = /^[ \t\n\v\f\r]+/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?(inf|infinity)$/i;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?$/;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * The score SORT reads from a weight, as strtod accepts it with Redis's checks (the whole
 * string consumed, no ERANGE, no NaN); null means "can't be converted". Like C, the text ends
 * at a NUL byte, and an empty text converts to 0.
 */
export function sortScore(text: string): number | null {
  const nul = text.indexOf("\0");
  if (nul >= 0) text = text.slice(0, nul);
  if (text.length === 0) return 0;
  const s = text.replace(LEADING_SPACE, "");
  if (DECIMAL.test(s)) {
    const d = Number(s);
    if (!Number.isFinite(d)) return null;
    if (Math.abs(d) < MIN_NORMAL && /[1-9]/.test(s.replace(/[eE].*$/, ""))) return null;
    return d;
  }
  if (INFINITY.test(s)) return s.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const hex = HEX.exec(s);
  if (hex !== null && hex[2].length + hex[3].length > 0) {
    let d = Number.parseInt(hex[2] || "0", 16);
    for (let i = 0; i < hex[3].length; i++) d += Number.parseInt(hex[3][i], 16) / 16 ** (i + 1);
    if (hex[4] !== undefined) d *= 2 ** Number(hex[4]);
    if (!Number.isFinite(d)) return null;
    return hex[1] === "-" ? -d : d;
  }
  return null;
}

/** The member list of a zset in ascending score order, through the ZSetValue interface only. */
function zsetMembers(z: ZSetValue): string[] {
  const out: string[] = [];
  for (const [member] of z.entries()) out.push(member);
  return out;
}

function sortGeneric(c: Client, readonly: boolean): void {
  const argv = c.argv;
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: string | null = null;
  let storeKey: string | null = null;
  const getops: string[] = [];
  for (let j = 2; j < argv.length; j++) {
    const a = argv[j];
    const left = argv.length - j - 1;
    if (is(a, "asc")) desc = false;
    else if (is(a, "desc")) desc = true;
    else if (is(a, "alpha")) alpha = true;
    else if (is(a, "limit") && left >= 2) {
      const start = intOrReply(c, argv[j + 1]);
      if (start === null) return;
      const count = intOrReply(c, argv[j + 2]);
      if (count === null) return;
      limitStart = start;
      limitCount = count;
      j += 2;
    } else if (!readonly && is(a, "store") && left >= 1) {
      storeKey = argv[++j];
    } else if (is(a, "by") && left >= 1) {
      sortby = argv[++j];
      dontsort = !sortby.includes("*");
      // A real pattern may read any key: only for users who may read every key.
      if (!dontsort && !mayReadAnyKey(c.user, c.cmd!, argv)) {
        c.error("ERR BY option of SORT denied due to insufficient ACL permissions.");
        return;
      }
    } else if (is(a, "get") && left >= 1) {
      if (!mayReadAnyKey(c.user, c.cmd!, argv)) {
        c.error("ERR GET option of SORT denied due to insufficient ACL permissions.");
        return;
      }
      getops.push(argv[++j]);
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  const db = c.db;
  const value = db.read(argv[1]);
  if (
    value !== undefined &&
    (typeof value === "string" || value.type === "hash" || value.type === "stream")
  ) {
    c.error(WRONGTYPE);
    return;
  }
  const type = value === undefined ? "list" : value.type;
  if (dontsort && type === "set" && (storeKey !== null || (c.flags & ClientFlag.Script) !== 0)) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  let elements: string[];
  if (value === undefined) elements = [];
  else if (type === "list") elements = [...(value as ListObject).values()];
  else if (type === "set") elements = [...(value as SetObject).members()];
  else elements = zsetMembers(value as ZSetValue);
  let vectorlen = elements.length;
  let start = Math.min(Math.max(limitStart, 0), vectorlen);
  limitCount = Math.min(Math.max(limitCount, -1), vectorlen);
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;
  let items: SortItem[];
  if ((type === "list" || type === "zset") && dontsort) {
    // Native order (reversed for DESC), only the LIMIT range.
    items = [];
    for (let k = start; k <= end; k++) {
      const obj = desc ? elements[vectorlen - 1 - k] : elements[k];
      items.push({ obj, score: 0, cmp: null });
    }
    end -= start;
    start = 0;
    vectorlen = items.length;
  } else {
    items = elements.map((obj) => ({ obj, score: 0, cmp: null }));
  }
  let conversionError = false;
  if (!dontsort) {
    for (const item of items) {
      let byval: string | null = item.obj;
      if (sortby !== null) {
        byval = lookupKeyByPattern(db, sortby, item.obj);
        if (byval === null) continue;
      }
      if (alpha) {
        if (sortby !== null) item.cmp = byval;
      } else {
        const score = sortScore(byval);
        if (score === null) conversionError = true;
        else item.score = score;
      }
    }
    const sign = desc ? -1 : 1;
    const bypattern = sortby !== null;
    items.sort((x, y) => {
      let r: number;
      if (!alpha) {
        r = x.score > y.score ? 1 : x.score < y.score ? -1 : compareBytes(x.obj, y.obj);
      } else if (bypattern) {
        if (x.cmp === null || y.cmp === null) r = x.cmp === y.cmp ? 0 : x.cmp === null ? -1 : 1;
        else r = compareBytes(x.cmp, y.cmp);
      } else {
        r = compareBytes(x.obj, y.obj);
      }
      return sign * r;
    });
  }
  const rangeLen = Math.max(0, end - start + 1);
  const outputlen = getops.length > 0 ? getops.length * rangeLen : rangeLen;
  if (conversionError) {
    c.error("ERR One or more scores can't be converted into double");
    return;
  }
  if (storeKey === null) {
    const out = c.out;
    out.arrayHeader(outputlen);
    for (let j = start; j <= end; j++) {
      const obj = items[j].obj;
      if (getops.length === 0) out.bulk(obj);
      for (const pattern of getops) {
        const v = lookupKeyByPattern(db, pattern, obj);
        if (v === null) out.nullBulk();
        else out.bulk(v);
      }
    }
    return;
  }
  const stored = new ListObject();
  for (let j = start; j <= end; j++) {
    const obj = items[j].obj;
    if (getops.length === 0) stored.pushTail(obj);
    for (const pattern of getops) stored.pushTail(lookupKeyByPattern(db, pattern, obj) ?? "");
  }
  if (outputlen > 0) {
    db.write(storeKey);
    db.set(storeKey, stored);
    modified(c, db, storeKey, "l", "sortstore", outputlen);
  } else if (db.write(storeKey) !== undefined) {
    db.delete(storeKey);
    c.server.signalDeletedKey(db, storeKey);
    c.server.notify("g", "del", storeKey, db.id);
    c.server.dirty++;
  }
  c.out.integer(outputlen);
}

/** sortGetKeys: the sorted key, plus the last STORE destination. */
function sortKeys(argv: readonly string[]): number[] {
  const keys = [1];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (is(a, "limit")) i += 2;
    else if (is(a, "get") || is(a, "by")) i += 1;
    else if (is(a, "store") && i + 1 < argv.length) store = i + 1;
  }
  if (store >= 0) keys.push(store);
  return keys;
}

export const sortCommands = [
  spec(
    "sort",
    -2,
    "write denyoom",
    [1, 1, 1],
    "generic",
    "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
    "1.0.0",
    (c) => sortGeneric(c, false),
    {
      getKeys: sortKeys,
      foundKeyFlags: (_, pos) => (pos === 1 ? RO_ACCESS : OW_UPDATE),
      acl: ["write", "set", "sortedset", "list", "slow", "dangerous"],
    },
  ),
  spec(
    "sort_ro",
    -2,
    "readonly",
    [1, 1, 1],
    "generic",
    "Returns the sorted elements of a list, a set, or a sorted set.",
    "7.0.0",
    (c) => sortGeneric(c, true),
    // sortROGetKeys: the key specs cannot rule out BY/GET patterns, so the finder answers.
    {
      getKeys: () => [1],
      foundKeyFlags: () => RO_ACCESS,
      acl: ["read", "set", "sortedset", "list", "slow", "dangerous"],
    },
  ),
] satisfies CommandSpec[];
