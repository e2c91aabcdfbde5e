/**
 * The sorted set range commands (t_zset.c zrangeGenericCommand and its result handlers): ZRANGE
 * with BYSCORE/BYLEX/REV/LIMIT/WITHSCORES, ZRANGESTORE, and the legacy ZREVRANGE,
 * ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX.
 *
 * Options are parsed in Redis's order (so the same argument errors win), then the range, then
 * the key is looked up. Results go either to the client (RESP3 WITHSCORES pairs are nested
 * arrays) or, for ZRANGESTORE, into a new sorted set stored at the destination.
 */

import { shared } from "@keyhaven/protocol";
import type { LexRange, ScoreRange, ZSet } from "../keyspace/types/zset.js";
import type { Client } from "../network/client.js";
import { intOrReply, is } from "./args.js";
import { collectionOrReply } from "./common.js";
import { type CommandSpec, spec } from "./spec.js";
import {
  ERR_NOT_FLOAT_RANGE,
  ERR_NOT_LEX_RANGE,
  ERR_SYNTAX,
  maxListpackEntries,
  maxListpackValue,
  parseLexRange,
  parseScoreRange,
  replyScore,
  storeResult,
} from "./zset-common.js";

const AUTO = 0;
const BY_RANK = 1;
const BY_SCORE = 2;
const BY_LEX = 3;
const FORWARD = 1;
const REVERSE = 2;

/**
 * Where a range's elements go: straight to the client, or collected (ZRANGESTORE, and client
 * replies whose length is only known at the end, which Redis sends with a deferred length).
 */
class RangeResult {
  readonly members: string[] = [];
  readonly scores: number[] = [];
  constructor(
    readonly c: Client,
    readonly withscores: boolean,
  ) {}

  /** Client reply of `n` elements emitted right after. */
  header(n: number): void {
    this.c.out.arrayHeader(this.withscores && this.c.resp === 2 ? n * 2 : n);
  }

  emit(member: string, score: number): void {
    const out = this.c.out;
    if (this.withscores && this.c.resp === 3) out.arrayHeader(2);
    out.bulk(member);
    if (this.withscores) replyScore(out, score);
  }

  collect(member: string, score: number): void {
    this.members.push(member);
    this.scores.push(score);
  }

  /** Sends what was collected. */
  flush(): void {
    this.header(this.members.length);
    for (let i = 0; i < this.members.length; i++) this.emit(this.members[i], this.scores[i]);
  }
}

function zrangeGeneric(
  c: Client,
  argStart: number,
  dst: string | null,
  rangeType: number,
  direction: number,
): void {
  const argv = c.argv;
  const key = argv[argStart];
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (dst === null && is(a, "withscores")) {
      withscores = true;
    } else if (is(a, "limit") && left >= 2) {
      const o = intOrReply(c, argv[j + 1]);
      if (o === null) return;
      const l = intOrReply(c, argv[j + 2]);
      if (l === null) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === AUTO && is(a, "rev")) {
      direction = REVERSE;
    } else if (rangeType === AUTO && is(a, "bylex")) {
      rangeType = BY_LEX;
    } else if (rangeType === AUTO && is(a, "byscore")) {
      rangeType = BY_SCORE;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (direction === AUTO) direction = FORWARD;
  if (rangeType === AUTO) rangeType = BY_RANK;
  if (limit !== -1 && rangeType === BY_RANK) {
    c.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withscores && rangeType === BY_LEX) {
    c.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  const reverse = direction === REVERSE;
  if (reverse && rangeType !== BY_RANK) {
    const t = minIdx;
    minIdx = maxIdx;
    maxIdx = t;
  }
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (rangeType === BY_RANK) {
    const s = intOrReply(c, argv[minIdx]);
    if (s === null) return;
    const e = intOrReply(c, argv[maxIdx]);
    if (e === null) return;
    start = s;
    end = e;
  } else if (rangeType === BY_SCORE) {
    scoreRange = parseScoreRange(argv[minIdx], argv[maxIdx]);
    if (scoreRange === null) {
      c.error(ERR_NOT_FLOAT_RANGE);
      return;
    }
  } else {
    lexRange = parseLexRange(argv[minIdx], argv[maxIdx]);
    if (lexRange === null) {
      c.error(ERR_NOT_LEX_RANGE);
      return;
    }
  }
  const zs = collectionOrReply<ZSet>(c, key, "zset", false);
  if (zs === undefined) return;
  const result = new RangeResult(c, withscores);
  if (zs !== null) {
    if (rangeType === BY_RANK) rangeByRank(result, zs, start, end, reverse, dst === null);
    else rangeByScoreOrLex(result, zs, scoreRange, lexRange, offset, limit, reverse);
  }
  if (dst !== null) {
    listpackPrefix(c, result, rangeType === BY_RANK);
    if (reverse) {
      result.members.reverse();
      result.scores.reverse();
    }
    storeResult(c, dst, result.members, result.scores, "zrangestore");
  } else if (zs === null) {
    c.out.raw(shared.EMPTY_ARRAY);
  } else if (rangeType !== BY_RANK) {
    result.flush();
  }
}

/**
 * zrangeResultBeginStore starts the destination as a listpack (unless a rank range is known to
 * be too long) and adds the elements in range order, converting when one breaks a limit: the
 * elements added before that were stored as listpack integers, so a -0 among them became 0.
 */
function listpackPrefix(c: Client, result: RangeResult, byRank: boolean): void {
  const maxEntries = maxListpackEntries(c);
  const maxValue = maxListpackValue(c);
  const { members, scores } = result;
  if (byRank && members.length > maxEntries) return;
  for (let i = 0; i < members.length; i++) {
    if (i + 1 > maxEntries || members[i].length > maxValue) return;
    if (scores[i] === 0) scores[i] = 0;
  }
}

/** genericZrangebyrankCommand: ranks [start, end], negative from the end, clamped. */
function rangeByRank(
  result: RangeResult,
  zs: ZSet,
  start: number,
  end: number,
  reverse: boolean,
  toClient: boolean,
): void {
  const llen = zs.size();
  const first = start >= 0 ? start : Math.max(start + llen, 0);
  const last = end < 0 ? end + llen : end < llen ? end : llen - 1;
  if (first > last) {
    if (toClient) result.header(0);
    return;
  }
  let n = last - first + 1;
  if (toClient) result.header(n);
  const cur = zs.cursor();
  for (let ok = cur.seek(reverse ? llen - 1 - first : first); ok && n > 0; ok = cur.step(reverse), n--) {
    if (toClient) result.emit(cur.member, cur.score);
    else result.collect(cur.member, cur.score);
  }
}

/**
 * genericZrangebyscoreCommand / genericZrangebylexCommand: from the first element in range
 * (last when reversed), skip `offset`, then take up to `limit` (negative: all) while in range.
 * A negative offset walks off the end in Redis, so it yields nothing.
 */
function rangeByScoreOrLex(
  result: RangeResult,
  zs: ZSet,
  scoreRange: ScoreRange | null,
  lexRange: LexRange | null,
  offset: number,
  limit: number,
  reverse: boolean,
): void {
  const size = zs.size();
  if ((offset > 0 && offset >= size) || offset < 0) return;
  let first: number;
  if (scoreRange !== null)
    first = reverse ? zs.lastInScoreRange(scoreRange) : zs.firstInScoreRange(scoreRange);
  else first = reverse ? zs.lastInLexRange(lexRange!) : zs.firstInLexRange(lexRange!);
  if (first < 0) return;
  const cur = zs.cursor();
  for (
    let ok = cur.seek(reverse ? first - offset : first + offset);
    ok && limit !== 0;
    ok = cur.step(reverse), limit--
  ) {
    if (scoreRange !== null) {
      if (reverse ? !scoreRange.gteMin(cur.score) : !scoreRange.lteMax(cur.score)) break;
    } else if (reverse ? !lexRange!.gteMin(cur.member) : !lexRange!.lteMax(cur.member)) {
      break;
    }
    result.collect(cur.member, cur.score);
  }
}

function zrangeCommand(c: Client): void {
  zrangeGeneric(c, 1, null, AUTO, AUTO);
}

function zrangestoreCommand(c: Client): void {
  zrangeGeneric(c, 2, c.argv[1], AUTO, AUTO);
}

export const zsetRangeCommands = [
  spec(
    "zrange",
    -4,
    "readonly",
    [1, 1, 1],
    "sorted_set",
    "Returns members in a sorted set within a range of indexes.",
    "1.2.0",
    zrangeCommand,
  ),
  spec(
    "zrangestore",
    -5,
    "write denyoom",
    [1, 2, 1],
    "sorted_set",
    "Stores a range of members from sorted set in a key.",
    "6.2.0",
    zrangestoreCommand,
  ),
  spec(
    "zrevrange",
    -4,
    "readonly",
    [1, 1, 1],
    "sorted_set",
    "Returns members in a sorted set within a range of indexes in reverse order.",
    "1.2.0",
    (c) => zrangeGeneric(c, 1, null, BY_RANK, REVERSE),
  ),
  spec(
    "zrangebyscore",
    -4,
    "readonly",
    [1, 1, 1],
    "sorted_set",
    "Returns members in a sorted set within a range of scores.",
    "1.0.5",
    (c) => zrangeGeneric(c, 1, null, BY_SCORE, FORWARD),
  ),
  spec(
    "zrevrangebyscore",
    -4,
    "readonly",
    [1, 1, 1],
    "sorted_set",
    "Returns members in a sorted set within a range of scores in reverse order.",
    "2.2.0",
    (c) => zrangeGeneric(c, 1, null, BY_SCORE, REVERSE),
  ),
  spec(
    "zrangebylex",
    -4,
    "readonly",
    [1, 1, 1],
    "sorted_set",
    "Returns members in a sorted set within a lexicographical range.",
    "2.8.9",
    (c) => zrangeGeneric(c, 1, null, BY_LEX, FORWARD),
  ),
  spec(
    "zrevrangebylex",
    -4,
    "readonly",
    [1, 1, 1],
    "sorted_set",
    "Returns members in a sorted set within a lexicographical range in reverse order.",
    "2.8.9",
    (c) => zrangeGeneric(c, 1, null, BY_LEX, REVERSE),
  ),
] satisfies CommandSpec[];
