/**
 * HyperLogLogs against a real redis-server 7.0, byte for byte: the same commands go to both
 * servers and every reply must match, including GET of the HLL strings themselves (header,
 * cached count, sparse opcodes or dense registers). Random sequences (fast-check) mix binary
 * elements, small hll-sparse-max-bytes limits (so values turn dense at many different points),
 * PFMERGE of sparse and dense values, wrong types, and deletes. Large sets check the dense path
 * and the estimates far beyond exact counting; DUMP/RESTORE moves HLLs both ways.
 *
 * Bounded: 40 sequences of 30 commands, then a few 30k-element sets; both servers on free ports,
 * stopped by the helpers.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import { redisPair } from "./redis-pair.js";

const KEYS = ["h1", "h2", "h3"];
const key = fc.constantFrom(...KEYS);
/** Elements: a few repeated names, and arbitrary bytes (sent as latin1) up to 20 long. */
const element = fc.oneof(
  fc.constantFrom("a", "b", "c", "", "foo", "1", "12345678", "123456789"),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);
const elements = (max: number) => fc.array(element, { maxLength: max });

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, elements(8)).map(([k, es]) => ["PFADD", k, ...es]) },
  { weight: 2, arbitrary: fc.tuple(key, elements(60)).map(([k, es]) => ["PFADD", k, ...es]) },
  { weight: 2, arbitrary: key.map((k) => ["PFCOUNT", k]) },
  { weight: 1, arbitrary: fc.array(key, { minLength: 2, maxLength: 3 }).map((ks) => ["PFCOUNT", ...ks]) },
  { weight: 2, arbitrary: fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ["PFMERGE", ...ks]) },
  { weight: 1, arbitrary: key.map((k) => ["PFDEBUG", "TODENSE", k]) },
  { weight: 1, arbitrary: key.map((k) => ["PFDEBUG", "ENCODING", k]) },
  { weight: 3, arbitrary: key.map((k) => ["GET", k]) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("3000", "30", "60", "200", "500")
      .map((n) => ["CONFIG", "SET", "hll-sparse-max-bytes", n]),
  },
  { weight: 1, arbitrary: key.map((k) => ["SET", k, "not an hll"]) },
  { weight: 1, arbitrary: key.map((k) => ["DEL", k]) },
);

describe.runIf(hasRealRedis())("differential: HyperLogLog against real Redis", () => {
  const pair = redisPair();
  const { both } = pair;

  it("replies and stored bytes agree over random command sequences", { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 30, maxLength: 30 }), async (cmds) => {
        await both("FLUSHALL");
        await both("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
        for (const argv of cmds) await both(...argv);
        for (const k of KEYS) await both("GET", k);
      }),
      { numRuns: Number(process.env.KEYHAVEN_DIFF_RUNS ?? 40), endOnFailure: true },
    );
  });

  it("large sets: the same dense registers and estimates, and the same unions", {
    timeout: 120_000,
  }, async () => {
    await both("FLUSHALL");
    await both("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
    let seed = 12345;
    const randomElement = () => {
      // A small LCG: binary elements of 1-16 bytes, reproducible.
      const len = 1 + (seed % 16);
      let s = "";
      for (let i = 0; i < len; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
        s += String.fromCharCode((seed >>> 16) & 0xff);
      }
      return s;
    };
    for (const k of ["big1", "big2"]) {
      for (let batch = 0; batch < 30; batch++) {
        const es = Array.from({ length: 1000 }, randomElement);
        await both("PFADD", k, ...es);
        if (batch % 5 === 0) {
          await both("PFCOUNT", k);
          await both("GET", k);
        }
      }
      expect(await both("PFDEBUG", "ENCODING", k)).toBe("dense");
      const estimate = (await both("PFCOUNT", k)) as number;
      expect(Math.abs(estimate - 30_000) / 30_000).toBeLessThan(0.03);
    }
    await both("PFADD", "small", "a", "b", "c");
    await both("PFCOUNT", "big1", "big2", "small");
    await both("PFMERGE", "small", "big1");
    await both("GET", "small");
    await both("PFMERGE", "all", "big1", "big2", "small");
    await both("PFCOUNT", "all");
    await both("GET", "all");
  });

  it("DUMP/RESTORE moves HLLs both ways, and they go on counting the same", async () => {
    await both("FLUSHALL");
    await both("PFADD", "sparse", "x", "y", "z");
    await both("PFADD", "dense", ...Array.from({ length: 3000 }, (_, i) => `d${i}`));
    const [rc, kc] = pair.clients();
    for (const [from, to] of [
      [rc, kc],
      [kc, rc],
    ]) {
      for (const k of ["sparse", "dense"]) {
        const payload = (await from.call("DUMP", k)) as string;
        await to.call("DEL", k);
        expect(await to.call("RESTORE", k, "0", Buffer.from(payload, "latin1"))).toBe("OK");
      }
      await both("GET", "sparse");
      await both("GET", "dense");
      await both("PFADD", "sparse", "more", "elements");
      await both("PFADD", "dense", "more", "elements");
      await both("PFCOUNT", "sparse", "dense");
      await both("GET", "sparse");
      await both("GET", "dense");
    }
  });
});
