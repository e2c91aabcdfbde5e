/**
 * Streams against a real redis-server 7.0: the same random command sequences go to both servers
 * and every reply must match, including XINFO STREAM (node counts: where Redis draws listpack
 * boundaries under small stream-node-max-entries / -bytes limits), the `~` trims that depend on
 * them, DEBUG DIGEST-VALUE, and DUMP payloads of streams (byte for byte without compression: the
 * same listpacks).
 * Consumer groups are exercised with XREADGROUP, XACK, XCLAIM, XAUTOCLAIM, XPENDING and XGROUP;
 * replies that carry clock readings (idle times, delivery and seen times) are compared with
 * those fields masked.
 *
 * Bounded: 40 sequences of 40 commands (KEYHAVEN_DIFF_RUNS), both servers on free ports, stopped
 * by the helpers.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import { redisPair } from "./redis-pair.js";

const KEYS = ["s1", "s2"];
const key = fc.constantFrom(...KEYS);
const group = fc.constantFrom("g1", "g2");
const consumer = fc.constantFrom("alice", "bob", "carol");
/**
 * Small ID space so that ranges, deletes and claims hit existing entries. XADD mostly uses
 * NEXT, replaced when the command runs by an ID after every earlier one (so it succeeds).
 */
const ms = fc.integer({ min: 0, max: 45 });
const NEXT = "@next";
const id = fc.tuple(ms, fc.integer({ min: 0, max: 3 })).map(([m, s]) => `${m}-${s}`);
const anyId = fc.oneof(
  id,
  ms.map(String),
  fc.constantFrom("-", "+", "0", "0-0", "18446744073709551615-18446744073709551615"),
);
const bound = fc.oneof(
  anyId,
  id.map((i) => `(${i}`),
);
const field = fc.constantFrom("a", "b", "c", "123", "-7", "9999999999", "long-field-name-xxxxxxxxxxxxxx");
const value = fc.oneof(
  fc.constantFrom("1", "x", "", "12345", "-1", "3.5"),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 0, max: 300 }).map((n) => "v".repeat(n)),
);
const pairs = fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 4 }).map((ps) => ps.flat());
const trim = fc.oneof(
  fc.constant([] as string[]),
  fc
    .tuple(fc.constantFrom("=", "~", ""), fc.integer({ min: 0, max: 30 }))
    .map(([op, n]) => (op === "" ? ["MAXLEN", String(n)] : ["MAXLEN", op, String(n)])),
  fc.tuple(fc.constantFrom("=", "~"), id).map(([op, i]) => ["MINID", op, i]),
  fc
    .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 12 }))
    .map(([n, l]) => ["MAXLEN", "~", String(n), "LIMIT", String(l)]),
);
const count = fc.option(
  fc.integer({ min: -1, max: 6 }).map((n) => ["COUNT", String(n)]),
  { nil: [] as string[] },
);

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(key, trim, pairs).map(([k, t, p]) => ["XADD", k, ...t, NEXT, ...p]) },
  { weight: 2, arbitrary: fc.tuple(key, trim, id, pairs).map(([k, t, i, p]) => ["XADD", k, ...t, i, ...p]) },
  { weight: 2, arbitrary: fc.tuple(key, ms, pairs).map(([k, m, p]) => ["XADD", k, `${m}-*`, ...p]) },
  { weight: 1, arbitrary: fc.tuple(key, id, pairs).map(([k, i, p]) => ["XADD", k, "NOMKSTREAM", i, ...p]) },
  {
    weight: 3,
    arbitrary: fc.tuple(key, bound, bound, count).map(([k, a, b, c]) => ["XRANGE", k, a, b, ...c]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(key, bound, bound, count).map(([k, a, b, c]) => ["XREVRANGE", k, a, b, ...c]),
  },
  { weight: 1, arbitrary: key.map((k) => ["XLEN", k]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(key, fc.array(anyId, { minLength: 1, maxLength: 4 }))
      .map(([k, ids]) => ["XDEL", k, ...ids]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(key, trim)
      .filter(([, t]) => t.length > 0)
      .map(([k, t]) => ["XTRIM", k, ...t]),
  },
  { weight: 3, arbitrary: key.map((k) => ["XINFO", "STREAM", k]) },
  { weight: 1, arbitrary: key.map((k) => ["XINFO", "GROUPS", k]) },
  { weight: 1, arbitrary: key.map((k) => ["DEBUG", "DIGEST-VALUE", k]) },
  { weight: 1, arbitrary: fc.tuple(key, id).map(([k, i]) => ["XSETID", k, i]) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(key, group, fc.oneof(id, fc.constant("$"), fc.constant("0")), fc.boolean())
      .map(([k, g, i, mk]) => ["XGROUP", "CREATE", k, g, i, ...(mk ? ["MKSTREAM"] : [])]),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(key, group, fc.oneof(id, fc.constant("$")))
      .map(([k, g, i]) => ["XGROUP", "SETID", k, g, i]),
  },
  { weight: 1, arbitrary: fc.tuple(key, group).map(([k, g]) => ["XGROUP", "DESTROY", k, g]) },
  {
    weight: 1,
    arbitrary: fc.tuple(key, group, consumer).map(([k, g, c]) => ["XGROUP", "CREATECONSUMER", k, g, c]),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(key, group, consumer).map(([k, g, c]) => ["XGROUP", "DELCONSUMER", k, g, c]),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(key, group, consumer, count, fc.boolean(), fc.oneof(fc.constant(">"), fc.constant("0"), id))
      .map(([k, g, c, n, noack, i]) => [
        "XREADGROUP",
        "GROUP",
        g,
        c,
        ...n,
        ...(noack ? ["NOACK"] : []),
        "STREAMS",
        k,
        i,
      ]),
  },
  { weight: 2, arbitrary: fc.tuple(key, count, id).map(([k, n, i]) => ["XREAD", ...n, "STREAMS", k, i]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(key, group, fc.array(id, { minLength: 1, maxLength: 3 }))
      .map(([k, g, ids]) => ["XACK", k, g, ...ids]),
  },
  { weight: 2, arbitrary: fc.tuple(key, group).map(([k, g]) => ["XPENDING", k, g]) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        key,
        group,
        bound,
        bound,
        fc.integer({ min: 0, max: 5 }),
        fc.option(consumer, { nil: undefined }),
      )
      .map(([k, g, a, b, n, c]) => ["XPENDING", k, g, a, b, String(n), ...(c ? [c] : [])]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(key, group, consumer, fc.array(id, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean())
      .map(([k, g, c, ids, justid, force]) => [
        "XCLAIM",
        k,
        g,
        c,
        "0",
        ...ids,
        ...(justid ? ["JUSTID"] : []),
        ...(force ? ["FORCE"] : []),
        "RETRYCOUNT",
        "3",
      ]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(key, group, consumer, bound, fc.integer({ min: 1, max: 4 }), fc.boolean())
      .map(([k, g, c, s, n, justid]) => [
        "XAUTOCLAIM",
        k,
        g,
        c,
        "0",
        s,
        "COUNT",
        String(n),
        ...(justid ? ["JUSTID"] : []),
      ]),
  },
  { weight: 1, arbitrary: fc.constant(["SET", "s2", "not a stream"]) },
  { weight: 1, arbitrary: key.map((k) => ["DEL", k]) },
);

/**
 * Replaces the clock readings in replies that carry them (idle, delivery and seen times), and
 * errors by their text (so that toEqual compares messages).
 */
function masked(argv: string[], reply: unknown): unknown {
  if (reply instanceof Error) return `error: ${reply.message}`;
  const name = `${argv[0]} ${argv[1] ?? ""}`.toUpperCase();
  if (argv[0].toUpperCase() === "XPENDING" && argv.length > 3 && Array.isArray(reply)) {
    return reply.map((e) => (Array.isArray(e) ? [e[0], e[1], "T", e[3]] : e));
  }
  if (name.startsWith("XINFO CONSUMERS") && Array.isArray(reply)) {
    return reply.map((m) => (Array.isArray(m) ? [...m.slice(0, 5), "T"] : m));
  }
  return reply;
}

describe.runIf(hasRealRedis())("differential: streams against real Redis", () => {
  const pair = redisPair({ args: ["--enable-debug-command", "yes"] });

  async function both(...argv: string[]): Promise<unknown> {
    const [rc, kc] = pair.clients();
    const [r, k] = await Promise.all([rc.call(...argv), kc.call(...argv)]);
    expect({ argv: argv.slice(0, 14), reply: masked(argv, k) }).toEqual({
      argv: argv.slice(0, 14),
      reply: masked(argv, r),
    });
    if (process.env.STREAM_DIFF_LOG)
      console.log(JSON.stringify(argv).slice(0, 100), JSON.stringify(r).slice(0, 150));
    return r;
  }

  it("replies agree over random command sequences", { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 40, maxLength: 40 }),
        fc.constantFrom("100", "3", "5", "0"),
        fc.constantFrom("4096", "60", "200", "0"),
        async (cmds, maxEntries, maxBytes) => {
          await both("FLUSHALL");
          await both("CONFIG", "SET", "stream-node-max-entries", maxEntries);
          await both("CONFIG", "SET", "stream-node-max-bytes", maxBytes);
          let t = 1;
          for (const argv of cmds) {
            t += 1;
            await both(...argv.map((a) => (a === NEXT ? `${t}-${t % 3}` : a)));
          }
          for (const k of KEYS) {
            await both("XINFO", "STREAM", k);
            await both("DEBUG", "DIGEST-VALUE", k);
            await both("XRANGE", k, "-", "+");
          }
        },
      ),
      { numRuns: Number(process.env.KEYHAVEN_DIFF_RUNS ?? 40), endOnFailure: true },
    );
  });

  it("DUMP payloads of streams are byte for byte Redis's, and RESTORE works both ways", async () => {
    const [rc, kc] = pair.clients();
    await both("FLUSHALL");
    await both("CONFIG", "SET", "stream-node-max-entries", "7");
    await both("CONFIG", "SET", "stream-node-max-bytes", "300");
    for (let i = 1; i <= 60; i++) {
      const fields = i % 3 === 0 ? ["a", String(i), "zz", "v".repeat(i)] : ["a", String(i)];
      await both("XADD", "s", `${i}-${i % 4}`, ...fields);
    }
    await both("XDEL", "s", "5-1", "17-1", "30-2");
    await both("XTRIM", "s", "MINID", "=", "9-0");
    // Uncompressed, the payloads are the same bytes (LZF output is not deterministic even
    // between two Redis processes, see protocol rdb/lzf.ts).
    await both("CONFIG", "SET", "rdbcompression", "no");
    const plainR = (await rc.call("DUMP", "s")) as string;
    const plainK = (await kc.call("DUMP", "s")) as string;
    expect(Buffer.from(plainK, "latin1").toString("hex")).toBe(Buffer.from(plainR, "latin1").toString("hex"));
    await both("CONFIG", "SET", "rdbcompression", "yes");
    const dumpR = (await rc.call("DUMP", "s")) as string;
    const dumpK = (await kc.call("DUMP", "s")) as string;
    // Across: each server restores the other's payload into the same stream.
    expect(await kc.call("RESTORE", "t", "0", dumpR)).toBe("OK");
    expect(await rc.call("RESTORE", "t", "0", dumpK)).toBe("OK");
    await both("XINFO", "STREAM", "t");
    await both("DEBUG", "DIGEST-VALUE", "t");
    await both("XTRIM", "t", "MAXLEN", "~", "20");
    await both("XINFO", "STREAM", "t", "FULL");
  });
});
