/**
 * Differential test of the list, hash and set commands: random command sequences (fast-check)
 * over a small shared key space, so wrong-type mixes, conversions, counts and negative indexes
 * all occur, are sent to a real redis-server and to keyhaven-server; every reply is compared,
 * then the DEBUG DIGEST of both datasets.
 *
 * Where Redis leaves the order unspecified the comparison is order-insensitive: set algebra,
 * SMEMBERS of hashtable sets, HGETALL/HKEYS/HVALS of hashtable hashes, full HSCAN/SSCAN
 * iterations. Random picks (SRANDMEMBER, HRANDFIELD, SPOP) are compared by shape, size and
 * membership only; after SPOP the Keyhaven side is brought back in line with Redis (the members
 * Keyhaven popped are re-added and those Redis popped are removed) so later replies can still be
 * compared exactly.
 *
 * Blocking commands also run against a second connection (blocking.ts): one connection blocks,
 * the other pushes (or not) once the server reports it blocked; the replies of both, whether it
 * blocked, and whether it was still blocked afterwards must all be Redis's.
 *
 * Bounded: 100 sequences of 30 commands, both servers on free ports with hz 100 (so the short
 * blocking timeouts end quickly), stopped by the helpers.
 */

import type { RespValue } from "@keyhaven/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "../commands/resp-shapes.js";
import { hasRealRedis, RespClient, type ServerProcess, startServer } from "../helpers.js";
import { type BlockingStep, blockingStep, runBlocking } from "./blocking.js";

type Mode =
  | "exact"
  | "unordered"
  | "smembers"
  | "hashAll"
  | "scan"
  | "randomMembers"
  | "spop"
  | "sortSet"
  | "blocking";

interface Cmd {
  argv: string[];
  mode: Mode;
  /** For mode "blocking": the blocking command (argv) and what a second connection sends. */
  blocking?: BlockingStep;
}

const KEYS = ["k1", "k2", "k3", "k4"];
const LONG = "x".repeat(70);
const VALUES = ["0", "1", "2", "-3", "10", "a", "b", "c", "", "1.5", LONG];
const FIELDS = ["f1", "f2", "f3", "a", "1"];

const key = fc.constantFrom(...KEYS);
const val = fc.constantFrom(...VALUES);
const fieldArb = fc.constantFrom(...FIELDS);
const smallInt = fc.integer({ min: -6, max: 6 }).map(String);
const count = fc.integer({ min: -5, max: 6 }).map(String);
const end = fc.constantFrom("LEFT", "RIGHT", "left", "right");
const exact = (argv: string[]): Cmd => ({ argv, mode: "exact" });
const withMode =
  (mode: Mode) =>
  (argv: string[]): Cmd => ({ argv, mode });

const listCmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"),
      key,
      fc.array(val, { minLength: 1, maxLength: 4 }),
    )
    .map(([c, k, vs]) => exact([c, k, ...vs])),
  fc
    .tuple(fc.constantFrom("LPOP", "RPOP"), key, fc.option(count))
    .map(([c, k, n]) => exact(n === null ? [c, k] : [c, k, n])),
  key.map((k) => exact(["LLEN", k])),
  fc.tuple(key, smallInt).map(([k, i]) => exact(["LINDEX", k, i])),
  fc.tuple(key, smallInt, val).map(([k, i, v]) => exact(["LSET", k, i, v])),
  fc
    .tuple(fc.constantFrom("LRANGE", "LTRIM"), key, smallInt, smallInt)
    .map(([c, k, a, b]) => exact([c, k, a, b])),
  fc.tuple(key, smallInt, val).map(([k, n, v]) => exact(["LREM", k, n, v])),
  fc
    .tuple(key, fc.constantFrom("BEFORE", "AFTER"), val, val)
    .map(([k, w, p, v]) => exact(["LINSERT", k, w, p, v])),
  fc
    .tuple(key, val, fc.option(smallInt), fc.option(fc.nat(3).map(String)), fc.option(fc.nat(4).map(String)))
    .map(([k, v, rank, cnt, maxlen]) => {
      const argv = ["LPOS", k, v];
      if (rank !== null) argv.push("RANK", rank);
      if (cnt !== null) argv.push("COUNT", cnt);
      if (maxlen !== null) argv.push("MAXLEN", maxlen);
      return exact(argv);
    }),
  fc.tuple(key, key, end, end).map(([a, b, x, y]) => exact(["LMOVE", a, b, x, y])),
  fc.tuple(key, key).map(([a, b]) => exact(["RPOPLPUSH", a, b])),
  fc.tuple(fc.array(key, { minLength: 1, maxLength: 3 }), end, fc.option(count)).map(([ks, w, n]) => {
    const argv = ["LMPOP", String(ks.length), ...ks, w];
    if (n !== null) argv.push("COUNT", n);
    return exact(argv);
  }),
  fc
    .tuple(fc.constantFrom("BLPOP", "BRPOP"), fc.array(key, { minLength: 1, maxLength: 2 }))
    .map(([c, ks]) => exact([c, ...ks, "0.01"])),
  fc.tuple(key, key, end, end).map(([a, b, x, y]) => exact(["BLMOVE", a, b, x, y, "0.01"])),
  fc
    .tuple(fc.array(key, { minLength: 1, maxLength: 2 }), end, fc.nat(3))
    .map(([ks, w, n]) => exact(["BLMPOP", "0.01", String(ks.length), ...ks, w, "COUNT", String(n + 1)])),
);

/** A list blocking command (timeout TIMEOUT) and what the second connection does meanwhile. */
const listBlocker = fc.oneof(
  fc
    .tuple(fc.constantFrom("BLPOP", "BRPOP"), fc.array(key, { minLength: 1, maxLength: 2 }))
    .map(([c, ks]) => [c, ...ks, "TIMEOUT"]),
  fc.tuple(key, key, end, end).map(([a, b, x, y]) => ["BLMOVE", a, b, x, y, "TIMEOUT"]),
  fc.tuple(key, key).map(([a, b]) => ["BRPOPLPUSH", a, b, "TIMEOUT"]),
  fc
    .tuple(fc.array(key, { minLength: 1, maxLength: 2 }), end, fc.nat(3))
    .map(([ks, w, n]) => ["BLMPOP", "TIMEOUT", String(ks.length), ...ks, w, "COUNT", String(n + 1)]),
);
const listWaker: fc.Arbitrary<string[][] | null> = fc.oneof(
  fc.constant(null),
  fc
    .tuple(
      fc.constantFrom("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"),
      key,
      fc.array(val, { minLength: 1, maxLength: 3 }),
    )
    .map(([c, k, vs]) => [[c, k, ...vs]]),
  fc.tuple(key, key, end, end).map(([a, b, x, y]) => [["LMOVE", a, b, x, y]]),
  fc.tuple(key, val).map(([k, v]) => [["MULTI"], ["RPUSH", k, v], ["RPUSH", k, v], ["EXEC"]]),
  fc.tuple(key, val).map(([k, v]) => [["MULTI"], ["DEL", k], ["LPUSH", k, v], ["EXEC"]]),
  fc.tuple(key, val).map(([k, v]) => [["SET", k, v]]),
  key.map((k) => [["DEL", k]]),
);
const blockingListCmd: fc.Arbitrary<Cmd> = fc
  .tuple(listBlocker, listWaker, fc.boolean())
  .map(([block, wake, same]) => {
    const step = blockingStep(block, wake, same);
    return { argv: step.block, mode: "blocking", blocking: step };
  });

const hashCmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("HSET", "HMSET"),
      key,
      fc.array(fc.tuple(fieldArb, val), { minLength: 1, maxLength: 3 }),
    )
    .map(([c, k, pairs]) => exact([c, k, ...pairs.flat()])),
  fc.tuple(key, fieldArb, val).map(([k, f, v]) => exact(["HSETNX", k, f, v])),
  fc.tuple(fc.constantFrom("HGET", "HSTRLEN", "HEXISTS"), key, fieldArb).map(([c, k, f]) => exact([c, k, f])),
  fc
    .tuple(fc.constantFrom("HMGET", "HDEL"), key, fc.array(fieldArb, { minLength: 1, maxLength: 3 }))
    .map(([c, k, fs]) => exact([c, k, ...fs])),
  key.map((k) => exact(["HLEN", k])),
  fc.tuple(fc.constantFrom("HKEYS", "HVALS", "HGETALL"), key).map(([c, k]) => withMode("hashAll")([c, k])),
  fc
    .tuple(key, fieldArb, fc.constantFrom("1", "-2", "x", "9223372036854775807"))
    .map(([k, f, n]) => exact(["HINCRBY", k, f, n])),
  fc
    .tuple(key, fieldArb, fc.constantFrom("0.1", "-1.5", "3e2", "x", "inf"))
    .map(([k, f, n]) => exact(["HINCRBYFLOAT", k, f, n])),
  fc
    .tuple(key, fc.option(count), fc.boolean())
    .map(([k, n, wv]) =>
      withMode("randomMembers")(
        n === null ? ["HRANDFIELD", k] : wv ? ["HRANDFIELD", k, n, "WITHVALUES"] : ["HRANDFIELD", k, n],
      ),
    ),
  key.map((k) => withMode("scan")(["HSCAN", k, "0", "COUNT", "3"])),
);

const setCmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc
    .tuple(fc.constantFrom("SADD", "SREM", "SMISMEMBER"), key, fc.array(val, { minLength: 1, maxLength: 4 }))
    .map(([c, k, vs]) => exact([c, k, ...vs])),
  fc.tuple(key, val).map(([k, v]) => exact(["SISMEMBER", k, v])),
  key.map((k) => exact(["SCARD", k])),
  key.map((k) => withMode("smembers")(["SMEMBERS", k])),
  fc
    .tuple(key, fc.option(count))
    .map(([k, n]) => withMode("randomMembers")(n === null ? ["SRANDMEMBER", k] : ["SRANDMEMBER", k, n])),
  fc
    .tuple(key, fc.option(fc.nat(6).map(String)))
    .map(([k, n]) => withMode("spop")(n === null ? ["SPOP", k] : ["SPOP", k, n])),
  fc.tuple(key, key, val).map(([a, b, v]) => exact(["SMOVE", a, b, v])),
  fc
    .tuple(fc.constantFrom("SINTER", "SUNION", "SDIFF"), fc.array(key, { minLength: 1, maxLength: 3 }))
    .map(([c, ks]) => withMode("unordered")([c, ...ks])),
  fc
    .tuple(
      fc.constantFrom("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"),
      key,
      fc.array(key, { minLength: 1, maxLength: 3 }),
    )
    .map(([c, d, ks]) => exact([c, d, ...ks])),
  fc
    .tuple(fc.array(key, { minLength: 1, maxLength: 3 }), fc.option(fc.nat(3).map(String)))
    .map(([ks, lim]) =>
      exact(
        lim === null
          ? ["SINTERCARD", String(ks.length), ...ks]
          : ["SINTERCARD", String(ks.length), ...ks, "LIMIT", lim],
      ),
    ),
  key.map((k) => withMode("scan")(["SSCAN", k, "0", "COUNT", "3"])),
);

const otherCmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.tuple(key, val).map(([k, v]) => exact(["SET", k, v])),
  key.map((k) => exact(["DEL", k])),
  key.map((k) => exact(["TYPE", k])),
  key.map((k) => exact(["OBJECT", "ENCODING", k])),
  fc
    .tuple(key, fc.constantFrom([], ["ALPHA"], ["ALPHA", "DESC", "LIMIT", "1", "2"], ["DESC"]))
    .map(([k, opts]) => withMode("sortSet")(["SORT", k, ...opts])),
  fc.tuple(key, key).map(([k, d]) => withMode("sortSet")(["SORT", k, "ALPHA", "STORE", d])),
);

const command = fc.oneof(
  { arbitrary: listCmd, weight: 4 },
  { arbitrary: blockingListCmd, weight: 2 },
  { arbitrary: hashCmd, weight: 3 },
  { arbitrary: setCmd, weight: 3 },
  { arbitrary: otherCmd, weight: 1 },
);

const settings = fc.record({
  resp3: fc.boolean(),
  hashEntries: fc.constantFrom("3", "512"),
  hashValue: fc.constantFrom("8", "64"),
  intsetEntries: fc.constantFrom("3", "512"),
});

let redis: ServerProcess;
let keyhaven: ServerProcess;
let rc: RespClient;
let kc: RespClient;
/** Second connections, for what happens while rc / kc are blocked. */
let rc2: RespClient;
let kc2: RespClient;

async function both(argv: string[]): Promise<[RespValue, RespValue]> {
  const [a, b] = await Promise.all([rc.call(...argv), kc.call(...argv)]);
  return [a as RespValue, b as RespValue];
}

function items(v: RespValue): RespValue[] {
  return v.type === "array" || v.type === "set" || v.type === "push" ? v.value : [];
}

/** Order-insensitive rendering: the aggregate's type and its sorted items (pairs kept together when `pairs`). */
function unorderedRender(v: RespValue, pairs: boolean): string {
  if (v.type === "map")
    return `%${v.value
      .map(([k, x]) => `${render(k)}:${render(x)}`)
      .sort()
      .join("|")}`;
  const xs = items(v).map(render);
  if (!pairs) return `${v.type}:${xs.sort().join("|")}`;
  const grouped: string[] = [];
  for (let i = 0; i < xs.length; i += 2) grouped.push(`${xs[i]}=${xs[i + 1]}`);
  return `${v.type}:${grouped.sort().join("|")}`;
}

async function encodingOnRedis(k: string): Promise<string> {
  return render((await rc.call("OBJECT", "ENCODING", k)) as RespValue);
}

/** A full SCAN-family iteration on one server: the rendered items, in pairs for HSCAN. */
async function fullScan(c: RespClient, argv: string[]): Promise<string> {
  const out: string[] = [];
  let cursor = "0";
  let rounds = 0;
  do {
    const reply = (await c.call(argv[0], argv[1], cursor, ...argv.slice(3))) as RespValue;
    if (reply.type !== "array") return render(reply);
    cursor = render(reply.value[0]);
    const xs = items(reply.value[1]).map(render);
    if (argv[0] === "HSCAN") for (let i = 0; i < xs.length; i += 2) out.push(`${xs[i]}=${xs[i + 1]}`);
    else out.push(...xs);
  } while (cursor !== "0" && ++rounds < 1000);
  return [...new Set(out)].sort().join("|");
}

/** The members (or field=value pairs) of the collection at `k` on Redis, before a random pick. */
async function membersOnRedis(k: string): Promise<Set<string>> {
  const type = render((await rc.call("TYPE", k)) as RespValue);
  if (type === "+set") return new Set(items((await rc.call("SMEMBERS", k)) as RespValue).map(render));
  if (type === "+hash") {
    const v = (await rc.call("HGETALL", k)) as RespValue;
    const out = new Set<string>();
    if (v.type === "map") for (const [f, x] of v.value) out.add(`${render(f)}=${render(x)}`);
    else {
      const xs = items(v).map(render);
      for (let i = 0; i < xs.length; i += 2) out.add(`${xs[i]}=${xs[i + 1]}`);
    }
    return out;
  }
  return new Set();
}

/** Checks SRANDMEMBER/HRANDFIELD replies: same shape and size, picks drawn from the collection. */
function checkRandom(cmd: Cmd, a: RespValue, b: RespValue, before: Set<string>, where: string): void {
  expect(b.type, where).toBe(a.type);
  if (a.type !== "array") {
    if (a.type === "bulk") {
      const field = render(b);
      expect(
        [...before].some((m) => m === field || m.startsWith(`${field}=`)),
        where,
      ).toBe(true);
    } else {
      expect(render(b), where).toBe(render(a));
    }
    return;
  }
  const withValues = cmd.argv.length === 4;
  const countArg = Number(cmd.argv[2]);
  let picks: string[];
  if (!withValues) picks = items(b).map(render);
  else if (items(b).every((x) => x.type === "array"))
    picks = items(b).map((p) => items(p).map(render).join("="));
  else {
    const xs = items(b).map(render);
    picks = [];
    for (let i = 0; i < xs.length; i += 2) picks.push(`${xs[i]}=${xs[i + 1]}`);
  }
  expect(items(b).length, where).toBe(items(a).length);
  const isHash = cmd.argv[0] === "HRANDFIELD";
  for (const p of picks) {
    const ok = isHash && !withValues ? [...before].some((m) => m.startsWith(`${p}=`)) : before.has(p);
    expect(ok, `${where}: ${p} not in ${[...before].join(",")}`).toBe(true);
  }
  if (countArg > 0) expect(new Set(picks).size, where).toBe(picks.length);
}

/** SPOP: compares sizes and membership, then makes Keyhaven's set equal to Redis's again. */
async function checkSpop(
  cmd: Cmd,
  a: RespValue,
  b: RespValue,
  before: Set<string>,
  where: string,
): Promise<void> {
  expect(b.type, where).toBe(a.type);
  const k = cmd.argv[1];
  const poppedA =
    a.type === "bulk" ? [render(a)] : a.type === "set" || a.type === "array" ? items(a).map(render) : [];
  const poppedB =
    b.type === "bulk" ? [render(b)] : b.type === "set" || b.type === "array" ? items(b).map(render) : [];
  if (a.type === "error" || a.type === "nullBulk" || a.type === "null") {
    expect(render(b), where).toBe(render(a));
    return;
  }
  expect(poppedB.length, where).toBe(poppedA.length);
  for (const m of poppedB) expect(before.has(m), `${where}: popped ${m}`).toBe(true);
  expect(new Set(poppedB).size, where).toBe(poppedB.length);
  if (poppedB.length > 0 && poppedB.length < before.size) {
    await kc.call("SADD", k, ...poppedB);
    await kc.call("SREM", k, ...poppedA);
  }
}

interface Settings {
  resp3: boolean;
  hashEntries: string;
  hashValue: string;
  intsetEntries: string;
}

async function runSequence(cmds: Cmd[], cfg: Settings): Promise<void> {
  await both(["FLUSHALL"]);
  await both(["HELLO", cfg.resp3 ? "3" : "2"]);
  await both(["CONFIG", "SET", "hash-max-listpack-entries", cfg.hashEntries]);
  await both(["CONFIG", "SET", "hash-max-listpack-value", cfg.hashValue]);
  await both(["CONFIG", "SET", "set-max-intset-entries", cfg.intsetEntries]);
  const log: string[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const cmd = cmds[i];
    const k = cmd.argv[1];
    const where = `step ${i} ${JSON.stringify(cmd.argv)} after ${JSON.stringify(log)} (${JSON.stringify(cfg)})`;
    log.push(cmd.argv.join(" "));
    if (cmd.mode === "blocking") {
      const step = cmd.blocking!;
      const [a, b] = await Promise.all([runBlocking(rc, rc2, step), runBlocking(kc, kc2, step)]);
      log.push(`(other connection: ${JSON.stringify(step.wake)})`);
      expect(b.blocked, `${where}: blocked`).toBe(a.blocked);
      expect(render(b.block as RespValue), where).toBe(render(a.block as RespValue));
      expect(
        (b.wake ?? []).map((r) => render(r as RespValue)),
        `${where}: other connection`,
      ).toEqual((a.wake ?? []).map((r) => render(r as RespValue)));
      expect(b.unblock === null ? null : render(b.unblock as RespValue), `${where}: CLIENT UNBLOCK`).toBe(
        a.unblock === null ? null : render(a.unblock as RespValue),
      );
      continue;
    }
    if (cmd.mode === "scan") {
      const [a, b] = await Promise.all([fullScan(rc, cmd.argv), fullScan(kc, cmd.argv)]);
      expect(b, where).toBe(a);
      continue;
    }
    let encoding = "";
    if (cmd.mode === "smembers" || cmd.mode === "hashAll") encoding = await encodingOnRedis(k);
    if (cmd.mode === "sortSet") encoding = render((await rc.call("TYPE", k)) as RespValue);
    const before = cmd.mode === "randomMembers" || cmd.mode === "spop" ? await membersOnRedis(k) : null;
    const [a, b] = await both(cmd.argv);
    switch (cmd.mode) {
      case "exact":
        expect(render(b), where).toBe(render(a));
        break;
      case "unordered":
        expect(unorderedRender(b, false), where).toBe(unorderedRender(a, false));
        break;
      case "smembers":
        if (encoding === "intset") expect(render(b), where).toBe(render(a));
        else expect(unorderedRender(b, false), where).toBe(unorderedRender(a, false));
        break;
      case "hashAll":
        if (encoding !== "hashtable") expect(render(b), where).toBe(render(a));
        else
          expect(unorderedRender(b, cmd.argv[0] === "HGETALL"), where).toBe(
            unorderedRender(a, cmd.argv[0] === "HGETALL"),
          );
        break;
      case "sortSet":
        // SORT ... ALPHA is deterministic; a plain numeric SORT of a set too. Only ties differ.
        expect(render(b), where).toBe(render(a));
        break;
      case "randomMembers":
        checkRandom(cmd, a, b, before!, where);
        break;
      case "spop":
        await checkSpop(cmd, a, b, before!, where);
        break;
    }
  }
  const [da, db] = await both(["DEBUG", "DIGEST"]);
  expect(render(db), `digest after ${JSON.stringify(log)}`).toBe(render(da));
}

describe.runIf(hasRealRedis())("differential: lists, hashes, sets against real Redis", () => {
  beforeAll(async () => {
    const args = ["--enable-debug-command", "yes", "--hz", "100"];
    [redis, keyhaven] = await Promise.all([
      startServer("redis", { args }),
      startServer("keyhaven", { args }),
    ]);
    rc = await RespClient.connect(redis.port, { typed: true });
    kc = await RespClient.connect(keyhaven.port, { typed: true });
    rc2 = await RespClient.connect(redis.port, { typed: true });
    kc2 = await RespClient.connect(keyhaven.port, { typed: true });
  });
  afterAll(async () => {
    for (const cl of [rc, kc, rc2, kc2]) cl?.close();
    await Promise.all([redis?.stop(), keyhaven?.stop()]);
  });

  it("replies and final digests agree over random command sequences", { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 30, maxLength: 30 }), settings, (cmds, cfg) =>
        runSequence(cmds, cfg),
      ),
      { numRuns: Number(process.env.KEYHAVEN_DIFF_RUNS ?? 100), endOnFailure: true },
    );
  });
});
