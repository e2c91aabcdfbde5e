/**
 * Helpers shared by the sorted set command files (zsets.ts, zset-range.ts, zset-setops.ts,
 * zset-pop.ts): range parsing with Redis's exact rules (zslParseRange, zslParseLexRange), score
 * replies, the listpack limits from the config, and storing a computed result (setKey).
 */

import { formatDouble17g, type ReplyWriter } from "@keyhaven/protocol";
import { LexRange, ScoreRange, ZSet } from "../keyspace/types/zset.js";

import type { Client } from "../network/client.js";
import { modified } from "./common.js";

export const ERR_NOT_FLOAT_RANGE = "ERR min or max is not a float";
export const ERR_NOT_LEX_RANGE = "ERR min or max not valid string range item";
export const ERR_SYNTAX = "ERR syntax error";

/** zset-max-listpack-entries. */
export function maxListpackEntries(c: Client): number {
  return c.server.config.num("zset-max-listpack-entries");
}

/** zset-max-listpack-value. */
export function maxListpackValue(c: Client): number {
  return c.server.config.num("zset-max-listpack-value");
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * strtod over a whole argument, as zslParseRange calls it: leading whitespace is skipped,
 * nothing may follow the number, "inf"/"infinity" are accepted, out-of-range values become
 * +-inf or 0, hex floats parse, and the empty string converts nothing and reads as 0.
 * Returns NaN when invalid (NaN itself is refused there too).
 */
export function strtodWhole(s: string): number {
  const len = s.length;
  if (len === 0) return 0;
  let i = 0;
  while (i < len && isSpace(s.charCodeAt(i))) i++;
  const t = i === 0 ? s : s.slice(i);
  if (t.length === 0) return Number.NaN;
  if (DECIMAL.test(t)) return Number(t);
  const lower = t.toLowerCase();
  const body = lower.charCodeAt(0) === 43 || lower.charCodeAt(0) === 45 ? lower.slice(1) : lower;
  if (body === "inf" || body === "infinity")
    return lower.charCodeAt(0) === 45 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const hex = HEX.exec(t);
  if (hex !== null && (hex[2].length > 0 || (hex[3] !== undefined && hex[3].length > 0))) {
    const frac = hex[3] ?? "";
    let mant = 0;
    for (const ch of hex[2] + frac) mant = mant * 16 + Number.parseInt(ch, 16);
    const exp = (hex[4] === undefined ? 0 : Number(hex[4])) - 4 * frac.length;
    const v = mant * 2 ** exp;
    return hex[1] === "-" ? -v : v;
  }
  return Number.NaN;
}

/**
 * getDoubleFromObject for scores, increments and weights: strtod over the whole argument, but
 * no leading space, no empty string, no NaN, and no value that overflowed to +-inf or
 * underflowed to 0 (strtod's ERANGE); "inf" itself and subnormal values are fine. Null when
 * invalid.
 */
export function parseScoreArg(s: string): number | null {
  if (s.length === 0 || isSpace(s.charCodeAt(0))) return null;
  const v = strtodWhole(s);
  if (Number.isNaN(v)) return null;
  const body = s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45 ? s.slice(1) : s;
  if (!Number.isFinite(v)) {
    const lower = body.toLowerCase();
    return lower === "inf" || lower === "infinity" ? v : null;
  }
  if (v === 0) {
    const hex = body.charCodeAt(0) === 48 && (body.charCodeAt(1) | 32) === 120;
    const mantissa = hex ? body.slice(2).split(/[pP]/)[0] : body.split(/[eE]/)[0];
    if ((hex ? /[1-9a-fA-F]/ : /[1-9]/).test(mantissa)) return null;
  }
  return v;
}

/** zslParseRange: "(" makes a bound exclusive. Null when either bound is not a float. */
export function parseScoreRange(minArg: string, maxArg: string): ScoreRange | null {
  const minex = minArg.charCodeAt(0) === 40;
  const maxex = maxArg.charCodeAt(0) === 40;
  const min = strtodWhole(minex ? minArg.slice(1) : minArg);
  const max = strtodWhole(maxex ? maxArg.slice(1) : maxArg);
  if (Number.isNaN(min) || Number.isNaN(max)) return null;
  return new ScoreRange(min, minex, max, maxex);
}

/**
 * zslParseLexRange: "[x" inclusive, "(x" exclusive, "-" and "+" the infinities (exclusive, as
 * Redis marks them). Null when either item is not valid.
 */
export function parseLexRange(minArg: string, maxArg: string): LexRange | null {
  const min = lexItem(minArg);
  const max = lexItem(maxArg);
  if (min === 2 || max === 2) return null;
  return new LexRange(
    min === 0 ? minArg.slice(1) : "",
    min !== 0 || minArg.charCodeAt(0) === 40,
    min,
    max === 0 ? maxArg.slice(1) : "",
    max !== 0 || maxArg.charCodeAt(0) === 40,
    max,
  );
}

/** 0: a "[x"/"(x" item, -1: "-", 1: "+", 2: invalid. */
function lexItem(s: string): number {
  const c0 = s.charCodeAt(0);
  if (c0 === 43) return s.length === 1 ? 1 : 2;
  if (c0 === 45) return s.length === 1 ? -1 : 2;
  if (c0 === 40 || c0 === 91) return 0;
  return 2;
}

/**
 * addReplyDouble for a score: "%.17g", with a shortcut for integral scores (their decimal
 * digits are exact below 2^53 and equal what %.17g prints).
 */
export function replyScore(out: ReplyWriter, d: number): void {
  if (Number.isInteger(d) && d <= 9007199254740991 && d >= -9007199254740991 && (d !== 0 || 1 / d > 0)) {
    out.doubleText(String(d));
  } else {
    out.double(d);
  }
}

/**
 * A score as ZSCAN prints it. The listpack keeps integral scores within +-2^62 as integers
 * (double2ll), printed by ll2string; everything else goes through d2string ("%.17g").
 */
export function scanScoreText(d: number, listpack: boolean): string {
  if (listpack && Number.isInteger(d) && d <= 2 ** 62 && d >= -(2 ** 62)) {
    return Math.abs(d) < 2 ** 53 ? String(d === 0 ? 0 : d) : BigInt(d).toString();
  }
  return formatDouble17g(d);
}

/**
 * Stores a computed result at `dst` (setKey, dropping any TTL) or deletes `dst` when the result
 * is empty, with the reply, notification and dirty count of zunionInterDiffGenericCommand and
 * zrangeResultFinalizeStore. `members`/`scores` must be in ascending (score, member) order.
 * `dirty` is what a stored result adds to the dirty counter (GEO stores count every member).
 */
export function storeResult(
  c: Client,
  dst: string,
  members: string[],
  scores: number[],
  event: string,
  dirty = 1,
): void {
  const db = c.db;
  const n = members.length;
  // Write lookup first: expires a stale destination and lets a snapshot save its pre-image.
  const existed = db.write(dst) !== undefined;
  if (n > 0) {
    const zs = ZSet.fromSorted(members, scores, n, maxListpackEntries(c), maxListpackValue(c));
    db.set(dst, zs);
    c.out.integer(n);
    modified(c, db, dst, "z", event, dirty);
    return;
  }
  c.out.integer(0);
  if (existed) {
    db.delete(dst);
    c.server.signalModifiedKey(db, dst);
    c.server.signalDeletedKey(db, dst);
    c.server.notify("g", "del", dst, db.id);
    c.server.dirty++;
  }
}
