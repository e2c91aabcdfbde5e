/**
 * Differential test of the sorted set commands: random command sequences (fast-check) over a
 * small key space, mixed with wrong-type keys, are sent to a real redis-server and to
 * keyhaven-server over RESP2 and RESP3; every reply must be identical, except for commands
 * with random results (ZRANDMEMBER: compared by size and membership) and ZSCAN (a full
 * iteration compared as a member->score map); some steps are MULTI/EXEC blocks, some a blocking
 * pop on one connection while a second one adds (or not), as blocking.ts drives it. After each
 * sequence the DEBUG DIGEST of the two datasets must match, and so must the keyspace hit/miss
 * counters (which commands look keys up for reading and which for writing).
 *
 * Low listpack limits (varied per sequence, set alike on both servers) make both encodings and
 * the conversions between them common. Lex range
 * commands only touch keys whose scores are all 0, where their result is defined.
 */

import { RespError } from "@keyhaven/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RespClient, type ServerProcess, startServer } from "../helpers.js";
import { type BlockingStep, blockingStep, runBlocking } from "./blocking.js";

const MIXED = ["za", "zb"];
const LEX = ["la", "lb"];

let redis: ServerProcess;
let keyhaven: ServerProcess;
/** [redis, keyhaven] pairs: RESP2 (plain values) and RESP3 (typed values, exact RESP types). */
let resp2: [RespClient, RespClient];
let resp3: [RespClient, RespClient];
/** [redis, keyhaven] second connections: what happens while a client of resp2 / resp3 is blocked. */
let others: [RespClient, RespClient];

const ARGS = [
  "--enable-debug-command",
  "yes",
  "--zset-max-listpack-entries",
  "5",
  "--zset-max-listpack-value",
  "4",
];

beforeAll(async () => {
  [redis, keyhaven] = await Promise.all([
    startServer("redis", { args: ARGS }),
    startServer("keyhaven", { args: ARGS }),
  ]);
  resp2 = [await redis.client(), await keyhaven.client()];
  resp3 = [
    await RespClient.connect(redis.port, { typed: true }),
    await RespClient.connect(keyhaven.port, { typed: true }),
  ];
  await Promise.all(resp3.map((cl) => cl.call("HELLO", "3")));
  others = [await redis.client(), await keyhaven.client()];
});
afterAll(async () => {
  for (const cl of [...(resp2 ?? []), ...(resp3 ?? []), ...(others ?? [])]) cl?.close();
  await Promise.all([redis?.stop(), keyhaven?.stop()]);
});

// ---- generators ------------------------------------------------------------------------

const member = fc.constantFrom(
  "a",
  "b",
  "c",
  "d",
  "e",
  "aa",
  "ab",
  "ba",
  "zzzzzz",
  "",
  "\x00",
  "\xff",
  "m1",
  "m2",
);
const score = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -3, max: 3 }).map(String) },
  {
    weight: 3,
    arbitrary: fc.constantFrom("0.5", "-1.5", "inf", "-inf", "+inf", "-0", "1e17", "1e-5", "2.5e300", "0x10"),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("abc", "nan", " 1", "", "1e400", "1e-400", "0x1p3", "4.9e-324", "0e9"),
  },
);
const scoreBound = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -3, max: 3 }).map(String) },
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }).map((n) => `(${n}`) },
  { weight: 2, arbitrary: fc.constantFrom("-inf", "+inf", "(inf", "(-inf", "0.5", "x", "", " 2") },
);
const lexBound = fc.constantFrom("-", "+", "[a", "(a", "[b", "(ab", "[c", "(zz", "[", "(", "a", "++");
const int = fc.integer({ min: -4, max: 6 }).map(String);
const mixedKey = fc.constantFrom(...MIXED);
const lexKey = fc.constantFrom(...LEX);
const anyKey = fc.oneof(
  { weight: 8, arbitrary: mixedKey },
  { weight: 3, arbitrary: lexKey },
  { weight: 1, arbitrary: fc.constantFrom("str", "none") },
);
const pairs = (s: fc.Arbitrary<string>) =>
  fc.array(fc.tuple(s, member), { minLength: 1, maxLength: 6 }).map((ps) => ps.flat());
const opt = (word: string) => fc.constantFrom<string[]>([], [], [word]);
const limit = fc.oneof(
  fc.constant<string[]>([]),
  fc.tuple(int, int).map(([o, c]) => ["LIMIT", o, c]),
);
const keys = (k: fc.Arbitrary<string>) => fc.array(k, { minLength: 1, maxLength: 3 });

type Cmd = string[];
const command: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 16,
    arbitrary: fc
      .tuple(mixedKey, fc.subarray(["NX", "XX", "GT", "LT", "CH", "INCR"], { maxLength: 2 }), pairs(score))
      .map(([k, o, p]) => ["ZADD", k, ...o, ...p]),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(lexKey, fc.array(member, { minLength: 1, maxLength: 4 }))
      .map(([k, ms]) => ["ZADD", k, ...ms.flatMap((m) => ["0", m])]),
  },
  { weight: 3, arbitrary: fc.tuple(mixedKey, score, member).map(([k, s, m]) => ["ZINCRBY", k, s, m]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(anyKey, fc.array(member, { minLength: 1, maxLength: 3 }))
      .map(([k, ms]) => ["ZREM", k, ...ms]),
  },
  { weight: 2, arbitrary: anyKey.map((k) => ["ZCARD", k]) },
  { weight: 2, arbitrary: fc.tuple(anyKey, member).map(([k, m]) => ["ZSCORE", k, m]) },
  { weight: 1, arbitrary: fc.tuple(anyKey, member, member).map(([k, a, b]) => ["ZMSCORE", k, a, b]) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom("ZRANK", "ZREVRANK"), anyKey, member).map(([c, k, m]) => [c, k, m]),
  },
  { weight: 2, arbitrary: fc.tuple(anyKey, scoreBound, scoreBound).map(([k, a, b]) => ["ZCOUNT", k, a, b]) },
  { weight: 2, arbitrary: fc.tuple(lexKey, lexBound, lexBound).map(([k, a, b]) => ["ZLEXCOUNT", k, a, b]) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        anyKey,
        int,
        int,
        opt("REV"),
        opt("WITHSCORES"),
        fc.constantFrom<string[]>([], [], ["LIMIT", "0", "-1"], ["LIMIT", "1", "1"]),
      )
      .map(([k, a, b, r, w, l]) => ["ZRANGE", k, a, b, ...r, ...w, ...l]),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(anyKey, scoreBound, scoreBound, opt("REV"), opt("WITHSCORES"), limit)
      .map(([k, a, b, r, w, l]) => ["ZRANGE", k, a, b, "BYSCORE", ...r, ...w, ...l]),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        lexKey,
        lexBound,
        lexBound,
        opt("REV"),
        limit,
        fc.constantFrom<string[]>([], [], [], ["WITHSCORES"]),
      )
      .map(([k, a, b, r, l, w]) => ["ZRANGE", k, a, b, "BYLEX", ...r, ...l, ...w]),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"),
        anyKey,
        scoreBound,
        scoreBound,
        opt("WITHSCORES"),
        limit,
      )
      .map(([c, k, a, b, w, l]) => [c, k, a, b, ...w, ...l]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom("ZRANGEBYLEX", "ZREVRANGEBYLEX"), lexKey, lexBound, lexBound, limit)
      .map(([c, k, a, b, l]) => [c, k, a, b, ...l]),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(anyKey, int, int, opt("WITHSCORES"))
      .map(([k, a, b, w]) => ["ZREVRANGE", k, a, b, ...w]),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc
        .tuple(mixedKey, anyKey, int, int, opt("REV"))
        .map(([d, s, a, b, r]) => ["ZRANGESTORE", d, s, a, b, ...r]),
      fc
        .tuple(mixedKey, anyKey, scoreBound, scoreBound, opt("REV"), limit)
        .map(([d, s, a, b, r, l]) => ["ZRANGESTORE", d, s, a, b, "BYSCORE", ...r, ...l]),
      fc
        .tuple(mixedKey, lexKey, lexBound, lexBound, limit)
        .map(([d, s, a, b, l]) => ["ZRANGESTORE", d, s, a, b, "BYLEX", ...l]),
    ),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.tuple(anyKey, int, int).map(([k, a, b]) => ["ZREMRANGEBYRANK", k, a, b]),
      fc.tuple(anyKey, scoreBound, scoreBound).map(([k, a, b]) => ["ZREMRANGEBYSCORE", k, a, b]),
      fc.tuple(lexKey, lexBound, lexBound).map(([k, a, b]) => ["ZREMRANGEBYLEX", k, a, b]),
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("ZPOPMIN", "ZPOPMAX"),
        anyKey,
        fc.constantFrom<string[]>([], [], ["0"], ["1"], ["3"], ["-1"]),
      )
      .map(([c, k, n]) => [c, k, ...n]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        keys(anyKey),
        fc.constantFrom("MIN", "MAX", "max"),
        fc.constantFrom<string[]>([], ["COUNT", "2"], ["COUNT", "0"]),
      )
      .map(([ks, w, n]) => ["ZMPOP", String(ks.length), ...ks, w, ...n]),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.tuple(fc.constantFrom("BZPOPMIN", "BZPOPMAX"), keys(anyKey)).map(([c, ks]) => [c, ...ks, "0.01"]),
      fc
        .tuple(keys(anyKey), fc.constantFrom("MIN", "MAX"))
        .map(([ks, w]) => ["BZMPOP", "0.01", String(ks.length), ...ks, w, "COUNT", "2"]),
    ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom("ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"),
        mixedKey,
        keys(anyKey),
        fc.boolean(),
        fc.constantFrom<string[]>([], [], ["AGGREGATE", "MIN"], ["AGGREGATE", "MAX"], ["AGGREGATE", "SUM"]),
        opt("WITHSCORES"),
      )
      .map(([c, dst, ks, weights, aggr, w]) => {
        const store = c.endsWith("STORE");
        const diff = c.startsWith("ZDIFF");
        return [
          c,
          ...(store ? [dst] : []),
          String(ks.length),
          ...ks,
          ...(weights && !diff ? ["WEIGHTS", ...ks.map((_, i) => ["2", "0.5", "-1", "inf"][i % 4])] : []),
          ...(diff ? [] : aggr),
          ...(store ? [] : w),
        ];
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(keys(anyKey), fc.constantFrom<string[]>([], ["LIMIT", "1"], ["LIMIT", "0"], ["LIMIT", "-1"]))
      .map(([ks, l]) => ["ZINTERCARD", String(ks.length), ...ks, ...l]),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        anyKey,
        fc.constantFrom<string[]>(
          [],
          ["1"],
          ["3"],
          ["-5"],
          ["10"],
          ["0"],
          ["2", "WITHSCORES"],
          ["-3", "WITHSCORES"],
        ),
      )
      .map(([k, a]) => ["ZRANDMEMBER", k, ...a]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(anyKey, fc.constantFrom<string[]>([], ["MATCH", "a*"], ["COUNT", "2"]))
      .map(([k, o]) => ["ZSCAN", k, "0", ...o]),
  },
  { weight: 2, arbitrary: anyKey.map((k) => ["OBJECT", "ENCODING", k]) },
  { weight: 1, arbitrary: anyKey.map((k) => ["TYPE", k]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(["SET", "str", "v"], ["SET", "za", "v"], ["DEL", "za"], ["DEL", "lb", "zb"]),
  },
);

/**
 * A blocking pop (timeout TIMEOUT) and what a second connection sends while it is blocked.
 * Added members score 0, so lex keys keep the all-equal scores their range commands need.
 */
const zsetBlocker = fc.oneof(
  fc.tuple(fc.constantFrom("BZPOPMIN", "BZPOPMAX"), keys(anyKey)).map(([c, ks]) => [c, ...ks, "TIMEOUT"]),
  fc
    .tuple(
      keys(anyKey),
      fc.constantFrom("MIN", "MAX"),
      fc.constantFrom<string[]>([], ["COUNT", "1"], ["COUNT", "3"]),
    )
    .map(([ks, w, n]) => ["BZMPOP", "TIMEOUT", String(ks.length), ...ks, w, ...n]),
);
const zeroPairs = fc.array(member, { minLength: 1, maxLength: 3 }).map((ms) => ms.flatMap((m) => ["0", m]));
const zsetWaker: fc.Arbitrary<string[][] | null> = fc.oneof(
  fc.constant(null),
  fc.tuple(anyKey, zeroPairs).map(([k, ps]) => [["ZADD", k, ...ps]]),
  fc.tuple(anyKey, zeroPairs).map(([k, ps]) => [["ZADD", k, "XX", ...ps]]),
  fc.tuple(anyKey, zeroPairs).map(([k, ps]) => [["MULTI"], ["ZADD", k, ...ps], ["ZREM", k, ps[1]], ["EXEC"]]),
  fc.tuple(anyKey, zeroPairs).map(([k, ps]) => [["MULTI"], ["DEL", k], ["ZADD", k, ...ps], ["EXEC"]]),
  fc.tuple(anyKey, member).map(([k, m]) => [["ZREM", k, m]]),
  anyKey.map((k) => [["SET", k, "v"]]),
  anyKey.map((k) => [["DEL", k]]),
);
const blocking: fc.Arbitrary<BlockingStep> = fc
  .tuple(zsetBlocker, zsetWaker, fc.boolean())
  .map(([block, wake, same]) => blockingStep(block, wake, same));

/** A step: one command, a MULTI/EXEC block of commands with deterministic replies, or a blocking step. */
type Step = Cmd | { multi: Cmd[] } | BlockingStep;
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: blocking },
  { weight: 15, arbitrary: command },
  {
    weight: 1,
    arbitrary: fc
      .array(
        command.filter((c) => c[0] !== "ZRANDMEMBER" && c[0] !== "ZSCAN"),
        { minLength: 1, maxLength: 4 },
      )
      .map((multi) => ({ multi })),
  },
);

// ---- comparison ------------------------------------------------------------------------

function norm(v: unknown): unknown {
  if (v instanceof RespError) return { error: v.message };
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === "object" && "type" in v && (v as { type: string }).type === "error")
    return { error: String((v as { value: unknown }).value) };
  return v;
}

/** A typed or plain array's items, or null when the reply is not an array. */
function items(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === "object" && (v as { type?: string }).type === "array")
    return (v as { value: unknown[] }).value;
  return null;
}

function numberText(n: number): string {
  return Object.is(n, -0) ? "-0" : String(n);
}

function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return numberText(v);
  if (v !== null && typeof v === "object") {
    const t = v as { type: string; value: unknown };
    if (Buffer.isBuffer(t.value)) return t.value.toString("latin1");
    if (typeof t.value === "number") return numberText(t.value);
  }
  return JSON.stringify(v);
}

/** ZSCAN calls after the first of each full scan (their number differs between servers). */
const extraScanCalls = [0, 0];

async function fullScan(cl: RespClient, key: string, extra: string[], server: number): Promise<unknown> {
  const seen = new Map<string, string>();
  let cursor = "0";
  for (let rounds = 0; rounds < 1000; rounds++) {
    if (rounds > 0) extraScanCalls[server]++;
    const reply = await cl.call("ZSCAN", key, cursor, ...extra);
    const parts = items(reply);
    if (parts === null) return norm(reply);
    const list = items(parts[1]) ?? [];
    for (let i = 0; i < list.length; i += 2) seen.set(text(list[i]), text(list[i + 1]));
    cursor = text(parts[0]);
    if (cursor === "0") break;
  }
  return [...seen.entries()].sort();
}

function scoreValue(v: unknown): number {
  const t = text(v);
  if (t === "inf") return Number.POSITIVE_INFINITY;
  if (t === "-inf") return Number.NEGATIVE_INFINITY;
  return Number(t);
}

/**
 * ZRANDMEMBER: both servers must agree on the shape and size; Keyhaven's picks must be members
 * with their scores (distinct when the count is positive).
 */
async function checkRandom(cmd: Cmd, pair: [RespClient, RespClient], replies: unknown[]): Promise<void> {
  const [a, b] = replies.map(norm);
  const la = items(a);
  const lb = items(b);
  if (la === null || lb === null) {
    if (cmd.length === 2 && a !== null && typeof a !== "object" && b !== null) {
      // A single member (each server is asked about its own pick, to keep their stats alike).
      const [sa, sb] = await Promise.all([
        resp2[0].call("ZSCORE", cmd[1], text(a)),
        resp2[1].call("ZSCORE", cmd[1], text(b)),
      ]);
      expect(sa).not.toBeNull();
      expect(sb).not.toBeNull();
      return;
    }
    if (
      cmd.length === 2 &&
      typeof a === "object" &&
      a !== null &&
      "type" in a &&
      (a as { type: string }).type === "bulk"
    ) {
      expect((b as { type: string }).type).toBe("bulk");
      return;
    }
    expect(b).toEqual(a);
    return;
  }
  expect(lb.length).toBe(la.length);
  const [redisContent, content] = (await Promise.all(
    resp2.map((cl) => cl.call("ZRANGE", cmd[1], "0", "-1", "WITHSCORES")),
  )) as string[][];
  expect(content).toEqual(redisContent);
  const scores = new Map<string, number>();
  for (let i = 0; i < content.length; i += 2) scores.set(content[i], scoreValue(content[i + 1]));
  const withScores = cmd.includes("WITHSCORES");
  const picked: [string, number | null][] = [];
  if (!withScores) for (const m of lb) picked.push([text(m), null]);
  else if (pair === resp3)
    for (const p of lb) picked.push([text((items(p) ?? [])[0]), scoreValue((items(p) ?? [])[1])]);
  else for (let i = 0; i < lb.length; i += 2) picked.push([text(lb[i]), scoreValue(lb[i + 1])]);
  for (const [m, sc] of picked) {
    expect(scores.has(m)).toBe(true);
    if (sc !== null) expect(sc).toBe(scores.get(m));
  }
  if (Number(cmd[2]) > 0) expect(new Set(picked.map((p) => p[0])).size).toBe(picked.length);
}

async function run(cmds: Step[], useResp3: boolean[], limits: [number, number]): Promise<void> {
  for (const cl of resp2) {
    await cl.call("FLUSHALL");
    await cl.call("CONFIG", "RESETSTAT");
    extraScanCalls.fill(0);
    await cl.call("CONFIG", "SET", "zset-max-listpack-entries", String(limits[0]));
    await cl.call("CONFIG", "SET", "zset-max-listpack-value", String(limits[1]));
  }
  for (let i = 0; i < cmds.length; i++) {
    const cmd = cmds[i];
    const pair = useResp3[i % useResp3.length] ? resp3 : resp2;
    const where = `command #${i}: ${JSON.stringify(cmd)} over RESP${pair === resp3 ? 3 : 2}`;
    if ("block" in cmd) {
      const [a, b] = await Promise.all(pair.map((cl, server) => runBlocking(cl, others[server], cmd)));
      expect(norm(b.block), `${where}: blocked=${a.blocked}`).toEqual(norm(a.block));
      expect(b.blocked, `${where}: blocked`).toBe(a.blocked);
      expect(norm(b.wake), `${where}: other connection`).toEqual(norm(a.wake));
      expect(norm(b.unblock), `${where}: CLIENT UNBLOCK`).toEqual(norm(a.unblock));
      continue;
    }
    if (!Array.isArray(cmd)) {
      for (const sub of [["MULTI"], ...cmd.multi, ["EXEC"]]) {
        const replies = await Promise.all(pair.map((cl) => cl.call(...sub)));
        expect(norm(replies[1]), `${where}, ${JSON.stringify(sub)}`).toEqual(norm(replies[0]));
      }
      continue;
    }
    if (cmd[0] === "ZSCAN") {
      const [a, b] = await Promise.all(pair.map((cl, server) => fullScan(cl, cmd[1], cmd.slice(3), server)));
      expect(b, where).toEqual(a);
      continue;
    }
    const replies = await Promise.all(pair.map((cl) => cl.call(...cmd)));
    if (cmd[0] === "ZRANDMEMBER") {
      await checkRandom(cmd, pair, replies);
      continue;
    }
    expect(norm(replies[1]), where).toEqual(norm(replies[0]));
  }
  const digests = await Promise.all(resp2.map((cl) => cl.call("DEBUG", "DIGEST")));
  expect(digests[1], `digest after ${JSON.stringify(cmds)}`).toBe(digests[0]);
  // Read lookups count keyspace hits/misses, write lookups do not: the same choices as Redis.
  const stats = await Promise.all(resp2.map((cl) => cl.call("INFO", "stats")));
  const counts = stats.map((t, server) => {
    const m = /keyspace_hits:(\d+)\r\nkeyspace_misses:(\d+)/.exec(t as string);
    return m === null ? null : [Number(m[1]) - extraScanCalls[server], Number(m[2])];
  });
  expect(counts[1], `keyspace hits/misses after ${JSON.stringify(cmds)}`).toEqual(counts[0]);
}

describe("sorted sets: Keyhaven replies exactly as Redis", () => {
  it("random command sequences", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 10, maxLength: 80, size: "max" }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.oneof(
          fc.constant<[number, number]>([5, 4]),
          fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 6 })),
          fc.constant<[number, number]>([128, 64]),
        ),
        run,
      ),
      { numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false },
    );
  });
});
