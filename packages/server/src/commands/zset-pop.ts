/**
 * Popping from sorted sets (t_zset.c genericZpopCommand and friends): ZPOPMIN/ZPOPMAX [count],
 * ZMPOP, and the blocking BZPOPMIN, BZPOPMAX and BZMPOP.
 *
 * A blocking pop that finds every key empty blocks through server.blocking (FIFO per key; a
 * ZADD from another client, or an EXEC containing one, re-runs the command for the first
 * waiter). Inside MULTI/EXEC it never blocks and replies as on timeout (a null array). What a
 * served pop did is propagated as ZPOPMIN/ZPOPMAX key [count] (argv rewritten), and so is ZMPOP.
 */

import { shared } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import type { ZSet } from "../keyspace/types/zset.js";
import { type Client, ClientFlag } from "../network/client.js";
import { is, parseInteger, timeoutOrReply } from "./args.js";
import { deleteIfEmpty, modified, WRONGTYPE } from "./common.js";
import { numkeysKeys } from "./key-specs.js";
import { type CommandSpec, spec } from "./spec.js";
import { ERR_SYNTAX, replyScore } from "./zset-common.js";

const ZSET_MIN = 0;
const ZSET_MAX = 1;

/**
 * Finds the first of `keys` holding a sorted set (write lookups). Returns the set, null when
 * none exists, or undefined after replying WRONGTYPE. While a blocked client is being served
 * again, a key of another type is skipped instead (Redis 7.0 leaves such clients blocked).
 */
function firstSet(c: Client, keys: readonly string[]): [string, ZSet] | null | undefined {
  const reprocessing = c.has(ClientFlag.Blocked);
  for (const key of keys) {
    const v = c.db.write(key);
    if (v === undefined) continue;
    if (typeof v === "string" || v.type !== "zset") {
      if (reprocessing) continue;
      c.error(WRONGTYPE);
      return undefined;
    }
    if (v.size() === 0) continue;
    return [key, v as ZSet];
  }
  return null;
}

/**
 * genericZpopCommand: pops up to `count` (-1: one, unnested) elements from the first non-empty
 * key. `emitKey` prefixes the key; `nested` makes each pair an array; `nilWhenEmpty` replies a
 * null array instead of an empty one when no key exists. Returns the number popped.
 */
function genericZpop(
  c: Client,
  found: [string, ZSet] | null,
  where: number,
  emitKey: boolean,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
): number {
  const out = c.out;
  if (found === null) {
    if (nilWhenEmpty) out.nullArray();
    else out.raw(shared.EMPTY_ARRAY);
    return 0;
  }
  if (count === 0) {
    out.raw(shared.EMPTY_ARRAY);
    return 0;
  }
  if (count === -1) count = 1;
  const [key, zs] = found;
  const llen = zs.size();
  const n = Math.min(count, llen);
  if (!nested && !emitKey) out.arrayHeader(n * 2);
  else if (nested && !emitKey) out.arrayHeader(n);
  else if (!nested) {
    out.arrayHeader(n * 2 + 1);
    out.bulk(key);
  } else {
    out.arrayHeader(2);
    out.bulk(key);
    out.arrayHeader(n);
  }
  const cur = zs.cursor();
  let left = n;
  for (
    let ok = cur.seek(where === ZSET_MAX ? llen - 1 : 0);
    ok && left > 0;
    ok = cur.step(where === ZSET_MAX), left--
  ) {
    if (nested) out.arrayHeader(2);
    out.bulk(cur.member);
    replyScore(out, cur.score);
  }
  if (where === ZSET_MAX) zs.deleteRange(llen - n, llen - 1);
  else zs.deleteRange(0, n - 1);
  const db = c.db;
  modified(c, db, key, "z", where === ZSET_MAX ? "zpopmax" : "zpopmin", n);
  deleteIfEmpty(c, db, key, zs);
  return n;
}

/** The deterministic form of a pop that happened: ZPOPMIN|ZPOPMAX key [count]. */
function rewriteAsPop(c: Client, where: number, key: string, count: string | null): void {
  const name = where === ZSET_MAX ? "ZPOPMAX" : "ZPOPMIN";
  c.argv = count === null ? [name, key] : [name, key, count];
}

/** zpopMinMaxCommand. */
function zpopMinMax(c: Client, where: number): void {
  const argv = c.argv;
  if (argv.length > 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    // getPositiveLongFromObjectOrReply: one message for "not a number" and "negative".
    const n = parseInteger(argv[2]);
    if (n === null || n < 0) {
      c.error("ERR value is out of range, must be positive");
      return;
    }
    count = n;
  }
  const found = firstSet(c, [argv[1]]);
  if (found === undefined) return;
  genericZpop(c, found, where, false, count, c.resp === 3 && count !== -1, false);
}

/**
 * blockingGenericZpopCommand: pops from the first non-empty key now, or blocks. `count` -1 is
 * the BZPOPMIN/BZPOPMAX form (flat [key, member, score] reply).
 */
function blockingZpop(
  c: Client,
  keys: string[],
  where: number,
  timeoutArg: string,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
): void {
  const deadline = timeoutOrReply(c, timeoutArg, clock.ms);
  if (deadline === null) return;
  const found = firstSet(c, keys);
  if (found === undefined) return;
  if (found !== null) {
    const llen = found[1].size();
    genericZpop(c, found, where, true, count, nested, nilWhenEmpty);
    rewriteAsPop(c, where, found[0], count === -1 ? null : String(Math.min(count, llen)));
    return;
  }
  const blocking = c.server.blocking;
  if (!blocking.canBlock(c)) {
    c.out.nullArray();
    return;
  }
  blocking.blockForKeys(c, keys, deadline, replyNullArray);
}

function replyNullArray(c: Client): void {
  c.out.nullArray();
}

function bzpopMinMax(c: Client, where: number): void {
  const argv = c.argv;
  blockingZpop(c, argv.slice(1, argv.length - 1), where, argv[argv.length - 1], -1, false, false);
}

/** zmpopGenericCommand: ZMPOP numkeys key... MIN|MAX [COUNT n], and BZMPOP timeout numkeys... */
function zmpopGeneric(c: Client, numkeysIdx: number, blocking: boolean): void {
  const argv = c.argv;
  const numkeys = parseInteger(argv[numkeysIdx]);
  if (numkeys === null || numkeys < 1) {
    c.error("ERR numkeys should be greater than 0");
    return;
  }
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) {
    c.error(ERR_SYNTAX);
    return;
  }
  let where: number;
  if (is(argv[whereIdx], "min")) where = ZSET_MIN;
  else if (is(argv[whereIdx], "max")) where = ZSET_MAX;
  else {
    c.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    if (count === -1 && is(argv[j], "count") && moreArgs > 0) {
      j++;
      const n = parseInteger(argv[j]);
      if (n === null || n < 1) {
        c.error("ERR count should be greater than 0");
        return;
      }
      count = n;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (count === -1) count = 1;
  const keys = argv.slice(numkeysIdx + 1, whereIdx);
  if (blocking) {
    blockingZpop(c, keys, where, argv[1], count, true, true);
    return;
  }
  const found = firstSet(c, keys);
  if (found === undefined) return;
  const llen = found === null ? 0 : found[1].size();
  const popped = genericZpop(c, found, where, true, count, true, true);
  if (popped > 0) rewriteAsPop(c, where, (found as [string, ZSet])[0], String(Math.min(count, llen)));
}

export const zsetPopCommands = [
  spec(
    "zpopmin",
    -2,
    "write fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
    "5.0.0",
    (c) => zpopMinMax(c, ZSET_MIN),
  ),
  spec(
    "zpopmax",
    -2,
    "write fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
    "5.0.0",
    (c) => zpopMinMax(c, ZSET_MAX),
  ),
  spec(
    "zmpop",
    -4,
    "write",
    [0, 0, 0],
    "sorted_set",
    "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.",
    "7.0.0",
    (c) => zmpopGeneric(c, 1, false),
    { getKeys: numkeysKeys(1) },
  ),
  spec(
    "bzpopmin",
    -3,
    "write noscript fast blocking",
    [1, -2, 1],
    "sorted_set",
    "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
    "5.0.0",
    (c) => bzpopMinMax(c, ZSET_MIN),
  ),
  spec(
    "bzpopmax",
    -3,
    "write noscript fast blocking",
    [1, -2, 1],
    "sorted_set",
    "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
    "5.0.0",
    (c) => bzpopMinMax(c, ZSET_MAX),
  ),
  spec(
    "bzmpop",
    -5,
    "write blocking",
    [0, 0, 0],
    "sorted_set",
    "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
    "7.0.0",
    (c) => zmpopGeneric(c, 2, true),
    { getKeys: numkeysKeys(2) },
  ),
] satisfies CommandSpec[];
