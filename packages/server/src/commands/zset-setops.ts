/**
 * Sorted set algebra (t_zset.c zunionInterDiffGenericCommand): ZUNION, ZINTER, ZDIFF, their
 * STORE forms, and ZINTERCARD. Inputs may be sorted sets or plain sets (members of a set count
 * with score 1). WEIGHTS multiply each input's scores, AGGREGATE SUM|MIN|MAX combines them
 * (a NaN from inf*0 or inf + -inf becomes 0, as in Redis).
 *
 * Inputs are processed from the smallest to the largest (a stable sort by cardinality, like
 * Redis's qsort), which fixes the order in which floating-point sums are formed. Results are
 * sorted by (score, member) before being replied or stored.
 */

import { sortPairs, type ZSet } from "../keyspace/types/zset.js";
import type { SetValue, Value } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { intOrReply, is, parseInteger } from "./args.js";
import { WRONGTYPE } from "./common.js";
import { numkeysKeys } from "./key-specs.js";
import { type CommandSpec, spec } from "./spec.js";
import { ERR_SYNTAX, parseScoreArg, replyScore, storeResult } from "./zset-common.js";

const OP_UNION = 0;
const OP_INTER = 1;
const OP_DIFF = 2;
const AGGR_SUM = 0;
const AGGR_MIN = 1;
const AGGR_MAX = 2;

/** One input (zsetopsrc): a sorted set, a set, or a missing key. */
class Source {
  weight = 1;
  private lookup: Set<string> | null = null;
  constructor(
    readonly zset: ZSet | null,
    readonly set: SetValue | null,
  ) {}

  get size(): number {
    if (this.zset !== null) return this.zset.size();
    return this.set !== null ? this.set.size() : 0;
  }

  /** Every element with its (unweighted) score. */
  elements(members: string[], scores: number[]): void {
    if (this.zset !== null) {
      const cur = this.zset.cursor();
      for (let ok = cur.seek(0); ok; ok = cur.next()) {
        members.push(cur.member);
        scores.push(cur.score);
      }
    } else if (this.set !== null) {
      for (const m of this.set.members()) {
        members.push(m);
        scores.push(1);
      }
    }
  }

  /** zuiFind: the member's score here, or undefined. */
  find(member: string): number | undefined {
    if (this.zset !== null) return this.zset.score(member);
    if (this.set === null) return undefined;
    if (this.lookup === null) this.lookup = new Set(this.set.members());
    return this.lookup.has(member) ? 1 : undefined;
  }
}

/** zunionInterAggregate. */
function aggregate(target: number, val: number, aggr: number): number {
  if (aggr === AGGR_SUM) {
    const sum = target + val;
    return Number.isNaN(sum) ? 0 : sum;
  }
  // Not Math.min/max: a NaN operand must lose the comparison, as in C.
  // biome-ignore lint/complexity/useMathMinMax: NaN semantics differ
  if (aggr === AGGR_MIN) return val < target ? val : target;
  // biome-ignore lint/complexity/useMathMinMax: NaN semantics differ
  return val > target ? val : target;
}

/** weight * score, with NaN (0 * inf) read as 0. */
function weighted(weight: number, score: number): number {
  const v = weight * score;
  return Number.isNaN(v) ? 0 : v;
}

function zsetopGeneric(
  c: Client,
  dst: string | null,
  numkeysIdx: number,
  op: number,
  cardOnly: boolean,
): void {
  const argv = c.argv;
  const setnum = intOrReply(c, argv[numkeysIdx]);
  if (setnum === null) return;
  if (setnum < 1) {
    c.error(`ERR at least 1 input key is needed for '${c.cmd?.fullName ?? argv[0].toLowerCase()}' command`);
    return;
  }
  if (setnum > argv.length - (numkeysIdx + 1)) {
    c.error(ERR_SYNTAX);
    return;
  }
  const src: Source[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v: Value | undefined = c.db.read(argv[j]);
    if (v === undefined) src.push(new Source(null, null));
    else if (typeof v !== "string" && v.type === "zset") src.push(new Source(v as ZSet, null));
    else if (typeof v !== "string" && v.type === "set") src.push(new Source(null, v as SetValue));
    else {
      c.error(WRONGTYPE);
      return;
    }
  }
  let aggr = AGGR_SUM;
  let withscores = false;
  let limit = 0;
  let remaining = argv.length - j;
  while (remaining > 0) {
    const a = argv[j];
    if (op !== OP_DIFF && !cardOnly && remaining >= setnum + 1 && is(a, "weights")) {
      j++;
      remaining--;
      for (let i = 0; i < setnum; i++, j++, remaining--) {
        const w = parseScoreArg(argv[j]);
        if (w === null) {
          c.error("ERR weight value is not a float");
          return;
        }
        src[i].weight = w;
      }
    } else if (op !== OP_DIFF && !cardOnly && remaining >= 2 && is(a, "aggregate")) {
      const kind = argv[j + 1];
      if (is(kind, "sum")) aggr = AGGR_SUM;
      else if (is(kind, "min")) aggr = AGGR_MIN;
      else if (is(kind, "max")) aggr = AGGR_MAX;
      else {
        c.error(ERR_SYNTAX);
        return;
      }
      j += 2;
      remaining -= 2;
    } else if (dst === null && !cardOnly && is(a, "withscores")) {
      withscores = true;
      j++;
      remaining--;
    } else if (cardOnly && remaining >= 2 && is(a, "limit")) {
      const n = parseInteger(argv[j + 1]);
      if (n === null || n < 0) {
        c.error("ERR LIMIT can't be negative");
        return;
      }
      limit = n;
      j += 2;
      remaining -= 2;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  // Smallest input first (stable, as glibc's qsort behaves for these small arrays).
  const order = op === OP_DIFF ? src : [...src].sort((a, b) => a.size - b.size);
  const members: string[] = [];
  const scores: number[] = [];
  let cardinality = 0;
  if (op === OP_INTER) {
    const first = order[0];
    if (first.size > 0) {
      const m0: string[] = [];
      const s0: number[] = [];
      first.elements(m0, s0);
      for (let e = 0; e < m0.length; e++) {
        const member = m0[e];
        let score = weighted(first.weight, s0[e]);
        let k = 1;
        for (; k < order.length; k++) {
          const other = order[k];
          const found = other.find(member);
          if (found === undefined) break;
          // Unlike the first input's, these products are not NaN-checked (MIN/MAX skip a NaN).
          score = aggregate(score, other.weight * found, aggr);
        }
        if (k < order.length) continue;
        if (cardOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) break;
        } else {
          members.push(member);
          scores.push(score);
        }
      }
    }
  } else if (op === OP_UNION) {
    const acc = new Map<string, number>();
    for (const s of order) {
      if (s.size === 0) continue;
      const ms: string[] = [];
      const ss: number[] = [];
      s.elements(ms, ss);
      for (let e = 0; e < ms.length; e++) {
        const score = weighted(s.weight, ss[e]);
        const prev = acc.get(ms[e]);
        acc.set(ms[e], prev === undefined ? score : aggregate(prev, score, aggr));
      }
    }
    for (const [m, s] of acc) {
      members.push(m);
      scores.push(s);
    }
  } else {
    const first = src[0];
    if (first.size > 0) {
      const m0: string[] = [];
      const s0: number[] = [];
      first.elements(m0, s0);
      for (let e = 0; e < m0.length; e++) {
        let found = false;
        for (let k = 1; k < src.length && !found; k++) found = src[k].find(m0[e]) !== undefined;
        if (!found) {
          members.push(m0[e]);
          scores.push(s0[e]);
        }
      }
    }
  }
  if (cardOnly) {
    c.out.integer(cardinality);
    return;
  }
  sortPairs(members, scores);
  if (dst !== null) {
    storeResult(
      c,
      dst,
      members,
      scores,
      op === OP_UNION ? "zunionstore" : op === OP_INTER ? "zinterstore" : "zdiffstore",
    );
    return;
  }
  const out = c.out;
  out.arrayHeader(withscores && c.resp === 2 ? members.length * 2 : members.length);
  for (let i = 0; i < members.length; i++) {
    if (withscores && c.resp === 3) out.arrayHeader(2);
    out.bulk(members[i]);
    if (withscores) replyScore(out, scores[i]);
  }
}

/** Key positions of the `numkeys key...` forms: numkeys at `numkeysIdx`, destination at 1 for STORE. */
export const zsetSetopCommands = [
  spec(
    "zunion",
    -3,
    "readonly",
    [0, 0, 0],
    "sorted_set",
    "Returns the union of multiple sorted sets.",
    "6.2.0",
    (c) => zsetopGeneric(c, null, 1, OP_UNION, false),
    { getKeys: numkeysKeys(1) },
  ),
  spec(
    "zinter",
    -3,
    "readonly",
    [0, 0, 0],
    "sorted_set",
    "Returns the intersect of multiple sorted sets.",
    "6.2.0",
    (c) => zsetopGeneric(c, null, 1, OP_INTER, false),
    { getKeys: numkeysKeys(1) },
  ),
  spec(
    "zdiff",
    -3,
    "readonly",
    [0, 0, 0],
    "sorted_set",
    "Returns the difference between multiple sorted sets.",
    "6.2.0",
    (c) => zsetopGeneric(c, null, 1, OP_DIFF, false),
    { getKeys: numkeysKeys(1) },
  ),
  spec(
    "zintercard",
    -3,
    "readonly",
    [0, 0, 0],
    "sorted_set",
    "Returns the number of members of the intersect of multiple sorted sets.",
    "7.0.0",
    (c) => zsetopGeneric(c, null, 1, OP_INTER, true),
    { getKeys: numkeysKeys(1) },
  ),
  spec(
    "zunionstore",
    -4,
    "write denyoom",
    [1, 1, 1],
    "sorted_set",
    "Stores the union of multiple sorted sets in a key.",
    "2.0.0",
    (c) => zsetopGeneric(c, c.argv[1], 2, OP_UNION, false),
    { getKeys: numkeysKeys(2, true) },
  ),
  spec(
    "zinterstore",
    -4,
    "write denyoom",
    [1, 1, 1],
    "sorted_set",
    "Stores the intersect of multiple sorted sets in a key.",
    "2.0.0",
    (c) => zsetopGeneric(c, c.argv[1], 2, OP_INTER, false),
    { getKeys: numkeysKeys(2, true) },
  ),
  spec(
    "zdiffstore",
    -4,
    "write denyoom",
    [1, 1, 1],
    "sorted_set",
    "Stores the difference of multiple sorted sets in a key.",
    "6.2.0",
    (c) => zsetopGeneric(c, c.argv[1], 2, OP_DIFF, false),
    { getKeys: numkeysKeys(2, true) },
  ),
] satisfies CommandSpec[];
