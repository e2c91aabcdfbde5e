/**
 * Hash commands (t_hash.c): HSET/HMSET/HSETNX, reads, HDEL, counters, HRANDFIELD and HSCAN.
 *
 * Encodings and their conversions are the type's business (keyspace/types/hash.ts); this file
 * keeps Redis's argument checks, error texts, reply shapes (HGETALL is a RESP3 map, HRANDFIELD
 * WITHVALUES gives [field, value] pairs in RESP3) and notifications (class 'h': hset, hdel,
 * hincrby, hincrbyfloat; 'g': del). HINCRBYFLOAT propagates as HSET of the result, because
 * float formatting is not something replicas should recompute.
 */

import { shared } from "@keyhaven/protocol";
import { HashObject } from "../keyspace/types/hash.js";
import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { parseLongDouble } from "../util/long-double.js";
import { INT64_MAX, INT64_MIN, is, parseInt64, parseInteger } from "./args.js";
import { collectionOrReply, deleteIfEmpty, existingOrReply, modified, WRONGTYPE } from "./common.js";
import { parseCursorOrReply, parseScanOptions, replyScan } from "./scan.js";
import { type CommandSpec, spec } from "./spec.js";
import { incrByFloatText } from "./string-counters.js";

/** hashTypeLookupWriteOrCreate: the hash at `key`, created when missing; undefined after WRONGTYPE. */
function hashForWrite(c: Client, key: string): HashObject | undefined {
  const v = c.db.write(key);
  if (v === undefined) {
    const hash = new HashObject();
    c.db.add(key, hash);
    return hash;
  }
  if (typeof v === "string" || v.type !== "hash") {
    c.error(WRONGTYPE);
    return undefined;
  }
  return v as HashObject;
}

function readHash(c: Client, key: string): HashObject | null | undefined {
  return collectionOrReply<HashObject>(c, key, "hash", false);
}

/** HSET and HMSET (`okReply`): field/value pairs; replies the number of new fields, or +OK. */
function hsetGeneric(c: Client, okReply: boolean): void {
  const argv = c.argv;
  const n = argv.length;
  if ((n & 1) === 1) {
    c.error(`ERR wrong number of arguments for '${c.cmd!.fullName}' command`);
    return;
  }
  const key = argv[1];
  const hash = hashForWrite(c, key);
  if (hash === undefined) return;
  let created = 0;
  for (let i = 2; i < n; i += 2) if (hash.set(argv[i], argv[i + 1])) created++;
  if (okReply) c.out.raw(shared.OK);
  else c.out.integer(created);
  modified(c, c.db, key, "h", "hset", (n - 2) >>> 1);
}

function hsetnxCommand(c: Client): void {
  const [, key, field, value] = c.argv;
  const hash = hashForWrite(c, key);
  if (hash === undefined) return;
  if (hash.has(field)) {
    c.out.raw(shared.ZERO);
    return;
  }
  hash.set(field, value);
  c.out.raw(shared.ONE);
  modified(c, c.db, key, "h", "hset");
}

function hgetCommand(c: Client): void {
  const hash = readHash(c, c.argv[1]);
  if (hash === undefined) return;
  const v = hash === null ? undefined : hash.get(c.argv[2]);
  if (v === undefined) c.out.nullBulk();
  else c.out.bulk(v);
}

function hmgetCommand(c: Client): void {
  const argv = c.argv;
  const hash = readHash(c, argv[1]);
  if (hash === undefined) return;
  c.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const v = hash === null ? undefined : hash.get(argv[i]);
    if (v === undefined) c.out.nullBulk();
    else c.out.bulk(v);
  }
}

function hdelCommand(c: Client): void {
  const argv = c.argv;
  const key = argv[1];
  const hash = existingOrReply<HashObject>(c, key, "hash", true, shared.ZERO);
  if (hash === null) return;
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (hash.delete(argv[i])) {
      deleted++;
      if (hash.size() === 0) break;
    }
  }
  if (deleted > 0) {
    modified(c, c.db, key, "h", "hdel", deleted);
    deleteIfEmpty(c, c.db, key, hash);
  }
  c.out.integer(deleted);
}

function hlenCommand(c: Client): void {
  const hash = readHash(c, c.argv[1]);
  if (hash === undefined) return;
  c.out.integer(hash === null ? 0 : hash.size());
}

function hstrlenCommand(c: Client): void {
  const hash = readHash(c, c.argv[1]);
  if (hash === undefined) return;
  const v = hash === null ? undefined : hash.get(c.argv[2]);
  c.out.integer(v === undefined ? 0 : v.length);
}

function hexistsCommand(c: Client): void {
  const hash = readHash(c, c.argv[1]);
  if (hash === undefined) return;
  c.out.raw(hash?.has(c.argv[2]) ? shared.ONE : shared.ZERO);
}

const KEYS = 1;
const VALUES = 2;

/** genericHgetallCommand: HKEYS, HVALS (arrays) and HGETALL (a map). */
function hgetallGeneric(c: Client, what: number): void {
  const hash = readHash(c, c.argv[1]);
  if (hash === undefined) return;
  const n = hash === null ? 0 : hash.size();
  const out = c.out;
  if (what === (KEYS | VALUES)) out.mapHeader(n);
  else out.arrayHeader(n);
  for (let i = 0; i < n; i++) {
    if ((what & KEYS) !== 0) out.bulk(hash!.fieldAt(i));
    if ((what & VALUES) !== 0) out.bulk(hash!.valueAt(i));
  }
}

/** value + incr as int64 decimal text, or null on overflow (both are valid int64 texts). */
function addInt64Text(value: string, incr: string): { n: number } | { big: bigint } | null {
  const a = parseInteger(value)!;
  const b = parseInteger(incr)!;
  const sum = a + b;
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && Number.isSafeInteger(sum)) return { n: sum };
  const big = parseInt64(value)! + parseInt64(incr)!;
  return big > INT64_MAX || big < INT64_MIN ? null : { big };
}

function hincrbyCommand(c: Client): void {
  const [, key, field, incr] = c.argv;
  if (parseInt64(incr) === null) {
    c.error("ERR value is not an integer or out of range");
    return;
  }
  const hash = hashForWrite(c, key);
  if (hash === undefined) return;
  const current = hash.get(field) ?? "0";
  if (parseInt64(current) === null) {
    c.error("ERR hash value is not an integer");
    return;
  }
  const sum = addInt64Text(current, incr);
  if (sum === null) {
    c.error("ERR increment or decrement would overflow");
    return;
  }
  const text = "n" in sum ? String(sum.n) : String(sum.big);
  hash.set(field, text);
  if ("n" in sum) c.out.integer(sum.n);
  else c.out.bigInteger(sum.big);
  modified(c, c.db, key, "h", "hincrby");
}

function hincrbyfloatCommand(c: Client): void {
  const [, key, field, incr] = c.argv;
  const parsed = parseLongDouble(incr);
  if (parsed === null) {
    c.error("ERR value is not a valid float");
    return;
  }
  if (parsed === "inf" || parsed === "-inf") {
    c.error("ERR value is NaN or Infinity");
    return;
  }
  const v = c.db.write(key);
  if (v !== undefined && (typeof v === "string" || v.type !== "hash")) {
    c.error(WRONGTYPE);
    return;
  }
  const existing = v === undefined ? undefined : (v as HashObject).get(field);
  const result = incrByFloatText(existing ?? null, incr, "hash value");
  if ("err" in result) {
    c.error(result.err);
    return;
  }
  let hash = v as HashObject | undefined;
  if (hash === undefined) {
    hash = new HashObject();
    c.db.add(key, hash);
  }
  const text = result.ok;
  hash.set(field, text);
  c.out.bulk(text);
  modified(c, c.db, key, "h", "hincrbyfloat");
  c.argv = ["HSET", key, field, text];
}

/** Writes the pair at `pos`: RESP3 a [field, value] array, RESP2 two flat bulks. */
function replyPair(c: Client, hash: HashObject, pos: number, withValues: boolean): void {
  if (!withValues) {
    c.out.bulk(hash.fieldAt(pos));
    return;
  }
  if (c.resp === 3) c.out.arrayHeader(2);
  c.out.bulk(hash.fieldAt(pos));
  c.out.bulk(hash.valueAt(pos));
}

/**
 * Positions of `count` distinct elements out of `size` (0 < count < size), uniformly: a partial
 * Fisher-Yates shuffle when count is a large share of size, else rejection sampling (Redis's
 * CASE 3 and CASE 4 of SRANDMEMBER/HRANDFIELD).
 */
export function uniqueRandomPositions(size: number, count: number): number[] {
  if (count * 3 > size) {
    const all: number[] = [];
    for (let i = 0; i < size; i++) all.push(i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    all.length = count;
    return all;
  }
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(Math.random() * size));
  return [...picked];
}

/** The count argument of SRANDMEMBER/HRANDFIELD: an integer in [-LONG_MAX, LONG_MAX], or null after replying. */
export function randomCountOrReply(c: Client, arg: string): number | null {
  const n = parseInteger(arg);
  if (n === null) {
    c.error("ERR value is not an integer or out of range");
    return null;
  }
  if (n === -(2 ** 63) && arg === "-9223372036854775808") {
    c.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    return null;
  }
  return n;
}

/** hrandfieldWithCountCommand. */
function hrandfieldWithCount(c: Client, l: number, withValues: boolean): void {
  if (withValues && l < -(2 ** 62)) {
    c.error("ERR value is out of range");
    return;
  }
  const hash = readHash(c, c.argv[1]);
  if (hash === undefined) return;
  const count = Math.abs(l);
  if (hash === null || count === 0) {
    c.out.raw(shared.EMPTY_ARRAY);
    return;
  }
  const size = hash.size();
  const flat = withValues && c.resp === 2;
  if (l < 0 || count === 1) {
    c.out.arrayHeader(flat ? count * 2 : count);
    for (let i = 0; i < count; i++) replyPair(c, hash, hash.randomPosition(), withValues);
    return;
  }
  if (count >= size) {
    c.out.arrayHeader(flat ? size * 2 : size);
    for (let i = 0; i < size; i++) replyPair(c, hash, i, withValues);
    return;
  }
  const picks = uniqueRandomPositions(size, count);
  c.out.arrayHeader(flat ? count * 2 : count);
  for (const pos of picks) replyPair(c, hash, pos, withValues);
}

function hrandfieldCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length >= 3) {
    const l = randomCountOrReply(c, argv[2]);
    if (l === null) return;
    if (argv.length > 4 || (argv.length === 4 && !is(argv[3], "withvalues"))) {
      c.error("ERR syntax error");
      return;
    }
    hrandfieldWithCount(c, l, argv.length === 4);
    return;
  }
  const hash = readHash(c, argv[1]);
  if (hash === undefined) return;
  if (hash === null) c.out.nullBulk();
  else c.out.bulk(hash.fieldAt(hash.randomPosition()));
}

function hscanCommand(c: Client): void {
  const cursor = parseCursorOrReply(c, c.argv[2]);
  if (cursor === null) return;
  const hash = readHash(c, c.argv[1]);
  if (hash === undefined) return;
  if (hash === null) {
    replyScan(c, 0, []);
    return;
  }
  const opts = parseScanOptions(c, 3, false);
  if (opts === null) return;
  const positions: number[] = [];
  const next = hash.scan(cursor, opts.count, positions);
  const items: string[] = [];
  for (const pos of positions) {
    const field = hash.fieldAt(pos);
    if (opts.pattern !== null && !globMatch(opts.pattern, field)) continue;
    items.push(field, hash.valueAt(pos));
  }
  replyScan(c, next, items);
}

export const hashCommands = [
  spec(
    "hset",
    -4,
    "write denyoom fast",
    [1, 1, 1],
    "hash",
    "Creates or modifies the value of a field in a hash.",
    "2.0.0",
    (c) => hsetGeneric(c, false),
  ),
  spec(
    "hmset",
    -4,
    "write denyoom fast",
    [1, 1, 1],
    "hash",
    "Sets the values of multiple fields.",
    "2.0.0",
    (c) => hsetGeneric(c, true),
  ),
  spec(
    "hsetnx",
    4,
    "write denyoom fast",
    [1, 1, 1],
    "hash",
    "Sets the value of a field in a hash only when the field doesn't exist.",
    "2.0.0",
    hsetnxCommand,
  ),
  spec(
    "hget",
    3,
    "readonly fast",
    [1, 1, 1],
    "hash",
    "Returns the value of a field in a hash.",
    "2.0.0",
    hgetCommand,
  ),
  spec(
    "hmget",
    -3,
    "readonly fast",
    [1, 1, 1],
    "hash",
    "Returns the values of all fields in a hash.",
    "2.0.0",
    hmgetCommand,
  ),
  spec(
    "hdel",
    -3,
    "write fast",
    [1, 1, 1],
    "hash",
    "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
    "2.0.0",
    hdelCommand,
  ),
  spec(
    "hlen",
    2,
    "readonly fast",
    [1, 1, 1],
    "hash",
    "Returns the number of fields in a hash.",
    "2.0.0",
    hlenCommand,
  ),
  spec(
    "hstrlen",
    3,
    "readonly fast",
    [1, 1, 1],
    "hash",
    "Returns the length of the value of a field.",
    "3.2.0",
    hstrlenCommand,
  ),
  spec(
    "hexists",
    3,
    "readonly fast",
    [1, 1, 1],
    "hash",
    "Determines whether a field exists in a hash.",
    "2.0.0",
    hexistsCommand,
  ),
  spec("hkeys", 2, "readonly", [1, 1, 1], "hash", "Returns all fields in a hash.", "2.0.0", (c) =>
    hgetallGeneric(c, KEYS),
  ),
  spec("hvals", 2, "readonly", [1, 1, 1], "hash", "Returns all values in a hash.", "2.0.0", (c) =>
    hgetallGeneric(c, VALUES),
  ),
  spec(
    "hgetall",
    2,
    "readonly",
    [1, 1, 1],
    "hash",
    "Returns all fields and values in a hash.",
    "2.0.0",
    (c) => hgetallGeneric(c, KEYS | VALUES),
  ),
  spec(
    "hincrby",
    4,
    "write denyoom fast",
    [1, 1, 1],
    "hash",
    "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.",
    "2.0.0",
    hincrbyCommand,
  ),
  spec(
    "hincrbyfloat",
    4,
    "write denyoom fast",
    [1, 1, 1],
    "hash",
    "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.",
    "2.6.0",
    hincrbyfloatCommand,
  ),
  spec(
    "hrandfield",
    -2,
    "readonly",
    [1, 1, 1],
    "hash",
    "Returns one or more random fields from a hash.",
    "6.2.0",
    hrandfieldCommand,
  ),
  spec(
    "hscan",
    -3,
    "readonly",
    [1, 1, 1],
    "hash",
    "Iterates over fields and values of a hash.",
    "2.8.0",
    hscanCommand,
  ),
] satisfies CommandSpec[];
