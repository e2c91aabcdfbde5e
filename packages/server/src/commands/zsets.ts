/**
 * Sorted set commands (t_zset.c): ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK,
 * ZCOUNT, ZLEXCOUNT, ZREMRANGEBYRANK/SCORE/LEX, ZRANDMEMBER, ZSCAN, and the table of every
 * sorted set command (the range, set-operation and pop families live in zset-range.ts,
 * zset-setops.ts and zset-pop.ts).
 *
 * Writes look the key up for writing before touching it, then signal through `modified`
 * (class 'z' events) and delete a set they emptied, as Redis does.
 */

import { shared } from "@keyhaven/protocol";
import {
  type ScoreRange,
  ZADD_IN_GT,
  ZADD_IN_INCR,
  ZADD_IN_LT,
  ZADD_IN_NX,
  ZADD_IN_XX,
  ZADD_OUT_ADDED,
  ZADD_OUT_NAN,
  ZADD_OUT_NOP,
  ZADD_OUT_UPDATED,
  ZSet,
  zaddCounts,
  zaddResult,
} from "../keyspace/types/zset.js";
import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { intOrReply, is, parseInt64 } from "./args.js";
import { collectionOrReply, deleteIfEmpty, existingOrReply, modified } from "./common.js";
import { parseCursorOrReply, parseScanOptions, replyScan } from "./scan.js";
import { type CommandSpec, spec } from "./spec.js";
import {
  ERR_NOT_FLOAT_RANGE,
  ERR_NOT_LEX_RANGE,
  ERR_SYNTAX,
  maxListpackEntries,
  maxListpackValue,
  parseLexRange,
  parseScoreArg,
  parseScoreRange,
  replyScore,
  scanScoreText,
} from "./zset-common.js";
import { zsetPopCommands } from "./zset-pop.js";
import { zsetRangeCommands } from "./zset-range.js";
import { zsetSetopCommands } from "./zset-setops.js";

/** A score argument: plain integers take a short path, anything else goes through strtod's rules. */
function parseScore(s: string): number | null {
  const len = s.length;
  if (len === 0 || len > 15) return parseScoreArg(s);
  let i = 0;
  const negative = s.charCodeAt(0) === 45;
  if (negative) {
    if (len === 1) return null;
    i = 1;
  }
  let n = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return parseScoreArg(s);
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

/** zaddGenericCommand: ZADD and ZINCRBY (which is ZADD with INCR). */
function zaddGeneric(c: Client, baseFlags: number): void {
  const argv = c.argv;
  const key = argv[1];
  let flags = baseFlags;
  let ch = false;
  let scoreIdx = 2;
  for (; scoreIdx < argv.length; scoreIdx++) {
    const opt = argv[scoreIdx];
    if (is(opt, "nx")) flags |= ZADD_IN_NX;
    else if (is(opt, "xx")) flags |= ZADD_IN_XX;
    else if (is(opt, "ch")) ch = true;
    else if (is(opt, "incr")) flags |= ZADD_IN_INCR;
    else if (is(opt, "gt")) flags |= ZADD_IN_GT;
    else if (is(opt, "lt")) flags |= ZADD_IN_LT;
    else break;
  }
  const incr = (flags & ZADD_IN_INCR) !== 0;
  const nx = (flags & ZADD_IN_NX) !== 0;
  const xx = (flags & ZADD_IN_XX) !== 0;
  const gt = (flags & ZADD_IN_GT) !== 0;
  const lt = (flags & ZADD_IN_LT) !== 0;
  let elements = argv.length - scoreIdx;
  if (elements % 2 !== 0 || elements === 0) {
    c.error(ERR_SYNTAX);
    return;
  }
  elements /= 2;
  if (nx && xx) {
    c.error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    c.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (incr && elements > 1) {
    c.error("ERR INCR option supports a single increment-element pair");
    return;
  }
  // Every score is parsed before the key is touched.
  const scores = new Array<number>(elements);
  for (let j = 0; j < elements; j++) {
    const d = parseScore(argv[scoreIdx + j * 2]);
    if (d === null) {
      c.error("ERR value is not a valid float");
      return;
    }
    scores[j] = d;
  }
  const db = c.db;
  let zs = collectionOrReply<ZSet>(c, key, "zset", true);
  if (zs === undefined) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (zs === null) {
    if (xx) {
      if (incr) c.out.nullBulk();
      else c.out.raw(shared.ZERO);
      return;
    }
    zs = new ZSet();
    const maxEntries = maxListpackEntries(c);
    if (maxEntries === 0 || maxListpackValue(c) < argv[scoreIdx + 1].length) zs.convertToSkiplist();
    db.add(key, zs);
  }
  const maxEntries = maxListpackEntries(c);
  const maxValue = maxListpackValue(c);
  if (!incr) {
    zs.addMany(argv, scoreIdx + 1, scores, flags, maxEntries, maxValue);
    const { added: a, updated: u } = zaddCounts;
    c.out.integer(ch ? a + u : a);
    if (a + u > 0) modified(c, db, key, "z", "zadd", a + u);
    return;
  }
  for (let j = 0; j < elements; j++) {
    const out = zs.add(argv[scoreIdx + 1 + j * 2], scores[j], flags, maxEntries, maxValue);
    if (out === ZADD_OUT_NAN) {
      c.error("ERR resulting score is not a number (NaN)");
      if (added + updated > 0) modified(c, db, key, "z", incr ? "zincr" : "zadd", 0);
      return;
    }
    if ((out & ZADD_OUT_ADDED) !== 0) added++;
    if ((out & ZADD_OUT_UPDATED) !== 0) updated++;
    if ((out & ZADD_OUT_NOP) === 0) {
      processed++;
      score = zaddResult.score;
    }
  }
  if (incr) {
    if (processed > 0) replyScore(c.out, score);
    else c.out.nullBulk();
  } else {
    c.out.integer(ch ? added + updated : added);
  }
  if (added + updated > 0) modified(c, db, key, "z", incr ? "zincr" : "zadd", added + updated);
}

/** ZADD (also GEOADD's second half, on the argv it rewrites). */
export function zaddCommand(c: Client): void {
  zaddGeneric(c, 0);
}

function zincrbyCommand(c: Client): void {
  zaddGeneric(c, ZADD_IN_INCR);
}

function zremCommand(c: Client): void {
  const argv = c.argv;
  const key = argv[1];
  const zs = existingOrReply<ZSet>(c, key, "zset", true, shared.ZERO);
  if (zs === null) return;
  let deleted = 0;
  for (let j = 2; j < argv.length; j++) {
    if (zs.remove(argv[j])) deleted++;
    if (zs.size() === 0) break;
  }
  if (deleted > 0) {
    modified(c, c.db, key, "z", "zrem", deleted);
    deleteIfEmpty(c, c.db, key, zs);
  }
  c.out.integer(deleted);
}

function zcardCommand(c: Client): void {
  const zs = collectionOrReply<ZSet>(c, c.argv[1], "zset", false);
  if (zs === undefined) return;
  c.out.integer(zs === null ? 0 : zs.size());
}

function zscoreCommand(c: Client): void {
  const zs = collectionOrReply<ZSet>(c, c.argv[1], "zset", false);
  if (zs === undefined) return;
  const score = zs === null ? undefined : zs.score(c.argv[2]);
  if (score === undefined) c.out.nullBulk();
  else replyScore(c.out, score);
}

function zmscoreCommand(c: Client): void {
  const argv = c.argv;
  const zs = collectionOrReply<ZSet>(c, argv[1], "zset", false);
  if (zs === undefined) return;
  c.out.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = zs === null ? undefined : zs.score(argv[j]);
    if (score === undefined) c.out.nullBulk();
    else replyScore(c.out, score);
  }
}

function zrankGeneric(c: Client, reverse: boolean): void {
  const zs = collectionOrReply<ZSet>(c, c.argv[1], "zset", false);
  if (zs === undefined) return;
  const rank = zs === null ? -1 : zs.rank(c.argv[2]);
  if (rank < 0) c.out.nullBulk();
  else c.out.integer(reverse ? zs!.size() - 1 - rank : rank);
}

function zcountCommand(c: Client): void {
  const range = parseScoreRange(c.argv[2], c.argv[3]);
  if (range === null) {
    c.error(ERR_NOT_FLOAT_RANGE);
    return;
  }
  const zs = collectionOrReply<ZSet>(c, c.argv[1], "zset", false);
  if (zs === undefined) return;
  c.out.integer(zs === null ? 0 : zs.countInScoreRange(range));
}

function zlexcountCommand(c: Client): void {
  const range = parseLexRange(c.argv[2], c.argv[3]);
  if (range === null) {
    c.error(ERR_NOT_LEX_RANGE);
    return;
  }
  const zs = collectionOrReply<ZSet>(c, c.argv[1], "zset", false);
  if (zs === undefined) return;
  c.out.integer(zs === null ? 0 : zs.countInLexRange(range));
}

const BY_RANK = 0;
const BY_SCORE = 1;
const BY_LEX = 2;

/** zremrangeGenericCommand. */
function zremrangeGeneric(c: Client, type: number): void {
  const argv = c.argv;
  const key = argv[1];
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: ReturnType<typeof parseLexRange> = null;
  if (type === BY_RANK) {
    const s = intOrReply(c, argv[2]);
    if (s === null) return;
    const e = intOrReply(c, argv[3]);
    if (e === null) return;
    start = s;
    end = e;
  } else if (type === BY_SCORE) {
    scoreRange = parseScoreRange(argv[2], argv[3]);
    if (scoreRange === null) {
      c.error(ERR_NOT_FLOAT_RANGE);
      return;
    }
  } else {
    lexRange = parseLexRange(argv[2], argv[3]);
    if (lexRange === null) {
      c.error(ERR_NOT_LEX_RANGE);
      return;
    }
  }
  const zs = existingOrReply<ZSet>(c, key, "zset", true, shared.ZERO);
  if (zs === null) return;
  const llen = zs.size();
  let first: number;
  let last: number;
  if (type === BY_RANK) {
    first = start >= 0 ? start : Math.max(start + llen, 0);
    last = end < 0 ? end + llen : end < llen ? end : llen - 1;
    if (first > last) {
      c.out.raw(shared.ZERO);
      return;
    }
  } else {
    // From the first element in range, delete while still in range (zslDeleteRangeBy*).
    first = scoreRange !== null ? zs.firstInScoreRange(scoreRange) : zs.firstInLexRange(lexRange!);
    last = first - 1;
    if (first >= 0) {
      const cur = zs.cursor();
      for (let ok = cur.seek(first); ok; ok = cur.next()) {
        if (scoreRange !== null ? !scoreRange.lteMax(cur.score) : !lexRange!.lteMax(cur.member)) break;
        last = cur.rank;
      }
    }
  }
  const deleted = last - first + 1;
  if (deleted > 0) {
    zs.deleteRange(first, last);
    const event =
      type === BY_RANK ? "zremrangebyrank" : type === BY_SCORE ? "zremrangebyscore" : "zremrangebylex";
    modified(c, c.db, key, "z", event, deleted);
    deleteIfEmpty(c, c.db, key, zs);
  }
  c.out.integer(Math.max(deleted, 0));
}

/** zrandmemberCommand / zrandmemberWithCountCommand. */
function zrandmemberCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length >= 3) {
    const l = intOrReply(c, argv[2]);
    if (l === null) return;
    const exact = parseInt64(argv[2]) as bigint;
    if (exact === -9223372036854775808n) {
      c.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
      return;
    }
    let withscores = false;
    if (argv.length > 4 || (argv.length === 4 && !is(argv[3], "withscores"))) {
      c.error(ERR_SYNTAX);
      return;
    }
    if (argv.length === 4) {
      withscores = true;
      if (exact < -4611686018427387904n || exact > 4611686018427387903n) {
        c.error("ERR value is out of range");
        return;
      }
    }
    zrandmemberWithCount(c, l, withscores);
    return;
  }
  const zs = collectionOrReply<ZSet>(c, argv[1], "zset", false);
  if (zs === undefined) return;
  if (zs === null) {
    c.out.nullBulk();
    return;
  }
  const cur = zs.cursor();
  cur.seek(Math.floor(Math.random() * zs.size()));
  c.out.bulk(cur.member);
}

function writeRandomPair(c: Client, member: string, score: number, withscores: boolean): void {
  if (withscores && c.resp === 3) c.out.arrayHeader(2);
  c.out.bulk(member);
  if (withscores) replyScore(c.out, score);
}

function zrandmemberWithCount(c: Client, l: number, withscores: boolean): void {
  const zs = collectionOrReply<ZSet>(c, c.argv[1], "zset", false);
  if (zs === undefined) return;
  if (zs === null || l === 0) {
    c.out.raw(shared.EMPTY_ARRAY);
    return;
  }
  const size = zs.size();
  const uniq = l > 0;
  const count = Math.abs(l);
  const cur = zs.cursor();
  // Repetitions allowed (or a single pick): every pick is uniform and independent.
  if (!uniq || count === 1) {
    c.out.arrayHeader(withscores && c.resp === 2 ? count * 2 : count);
    for (let i = 0; i < count; i++) {
      cur.seek(Math.floor(Math.random() * size));
      writeRandomPair(c, cur.member, cur.score, withscores);
    }
    return;
  }
  const replySize = Math.min(count, size);
  c.out.arrayHeader(withscores && c.resp === 2 ? replySize * 2 : replySize);
  // The whole set: Redis walks it from the tail (zuiNext), so the reply is in reverse order.
  if (count >= size) {
    for (let ok = cur.seek(size - 1); ok; ok = cur.prev())
      writeRandomPair(c, cur.member, cur.score, withscores);
    return;
  }
  // Distinct picks: a partial Fisher-Yates over the ranks when many are wanted, else
  // rejection sampling (both uniform over the subsets of `count` members).
  let ranks: number[];
  if (count * 3 > size) {
    const all = new Array<number>(size);
    for (let i = 0; i < size; i++) all[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    ranks = all.slice(0, count);
  } else {
    const picked = new Set<number>();
    while (picked.size < count) picked.add(Math.floor(Math.random() * size));
    ranks = [...picked];
  }
  for (const rank of ranks) {
    cur.seek(rank);
    writeRandomPair(c, cur.member, cur.score, withscores);
  }
}

/** ZSCAN: a listpack set comes back whole with cursor 0; a skiplist set is walked by slot. */
function zscanCommand(c: Client): void {
  const argv = c.argv;
  const cursor = parseCursorOrReply(c, argv[2]);
  if (cursor === null) return;
  const zs = collectionOrReply<ZSet>(c, argv[1], "zset", false);
  if (zs === undefined) return;
  if (zs === null) {
    replyScan(c, 0, []);
    return;
  }
  const opts = parseScanOptions(c, 3, false);
  if (opts === null) return;
  const members: string[] = [];
  const scores: number[] = [];
  let next = 0;
  const listpack = zs.tree === null;
  if (listpack) {
    const cur = zs.cursor();
    for (let ok = cur.seek(0); ok; ok = cur.next()) {
      members.push(cur.member);
      scores.push(cur.score);
    }
  } else {
    next = zs.scanSlots(cursor, opts.count, members, scores);
  }
  const items: string[] = [];
  for (let i = 0; i < members.length; i++) {
    if (opts.pattern !== null && !globMatch(opts.pattern, members[i])) continue;
    items.push(members[i], scanScoreText(scores[i], listpack));
  }
  replyScan(c, next, items);
}

const zsetBaseCommands = [
  spec(
    "zadd",
    -4,
    "write denyoom fast",
    [1, 1, 1],
    "sorted_set",
    "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
    "1.2.0",
    zaddCommand,
  ),
  spec(
    "zincrby",
    4,
    "write denyoom fast",
    [1, 1, 1],
    "sorted_set",
    "Increments the score of a member in a sorted set.",
    "1.2.0",
    zincrbyCommand,
  ),
  spec(
    "zrem",
    -3,
    "write fast",
    [1, 1, 1],
    "sorted_set",
    "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
    "1.2.0",
    zremCommand,
  ),
  spec(
    "zcard",
    2,
    "readonly fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the number of members in a sorted set.",
    "1.2.0",
    zcardCommand,
  ),
  spec(
    "zscore",
    3,
    "readonly fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the score of a member in a sorted set.",
    "1.2.0",
    zscoreCommand,
  ),
  spec(
    "zmscore",
    -3,
    "readonly fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the score of one or more members in a sorted set.",
    "6.2.0",
    zmscoreCommand,
  ),
  spec(
    "zrank",
    3,
    "readonly fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the index of a member in a sorted set ordered by ascending scores.",
    "2.0.0",
    (c) => zrankGeneric(c, false),
  ),
  spec(
    "zrevrank",
    3,
    "readonly fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the index of a member in a sorted set ordered by descending scores.",
    "2.0.0",
    (c) => zrankGeneric(c, true),
  ),
  spec(
    "zcount",
    4,
    "readonly fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the count of members in a sorted set that have scores within a range.",
    "2.0.0",
    zcountCommand,
  ),
  spec(
    "zlexcount",
    4,
    "readonly fast",
    [1, 1, 1],
    "sorted_set",
    "Returns the number of members in a sorted set within a lexicographical range.",
    "2.8.9",
    zlexcountCommand,
  ),
  spec(
    "zremrangebyrank",
    4,
    "write",
    [1, 1, 1],
    "sorted_set",
    "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
    "2.0.0",
    (c) => zremrangeGeneric(c, BY_RANK),
  ),
  spec(
    "zremrangebyscore",
    4,
    "write",
    [1, 1, 1],
    "sorted_set",
    "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
    "1.2.0",
    (c) => zremrangeGeneric(c, BY_SCORE),
  ),
  spec(
    "zremrangebylex",
    4,
    "write",
    [1, 1, 1],
    "sorted_set",
    "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
    "2.8.9",
    (c) => zremrangeGeneric(c, BY_LEX),
  ),
  spec(
    "zrandmember",
    -2,
    "readonly",
    [1, 1, 1],
    "sorted_set",
    "Returns one or more random members from a sorted set.",
    "6.2.0",
    zrandmemberCommand,
  ),
  spec(
    "zscan",
    -3,
    "readonly",
    [1, 1, 1],
    "sorted_set",
    "Iterates over members and scores of a sorted set.",
    "2.8.0",
    zscanCommand,
  ),
] satisfies CommandSpec[];

export const zsetCommands: CommandSpec[] = [
  ...zsetBaseCommands,
  ...zsetRangeCommands,
  ...zsetSetopCommands,
  ...zsetPopCommands,
];
