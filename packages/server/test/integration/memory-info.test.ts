/**
 * INFO memory as a user reads it: mem_fragmentation_ratio is used_memory_rss / used_memory,
 * printed with 2 decimals, and used_memory comes back to where it was once the data written
 * is flushed. Keyhaven computes both figures of the ratio in the same INFO call, so the
 * printed ratio is exactly the quotient of the printed fields; Redis divides figures sampled
 * by its cron (cron_malloc_stats), so against Redis (KEYHAVEN_TEST_TARGET=redis) only the
 * format and the rough value are checked (mem_fragmentation_bytes alike), and the baseline within
 * allocator slack.
 */

import { describe, expect, it } from "vitest";
import { type RespClient, withTarget } from "../helpers.js";

const againstRedis = process.env.KEYHAVEN_TEST_TARGET === "redis";

let c: RespClient;

withTarget({}, (t) => ({ c } = t));

async function memory(): Promise<Record<string, string>> {
  const text = (await c.call("INFO", "memory")) as string;
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Pipelined writes of every type, some with a TTL, then some deletions. */
async function writeMix(n: number): Promise<void> {
  const cmds: (string | number)[][] = [];
  for (let i = 0; i < n; i++) {
    cmds.push(["SET", `s:${i}`, "v".repeat(i % 50), ...(i % 3 === 0 ? ["EX", "1000"] : [])]);
    cmds.push(["HSET", `h:${i % 100}`, `f${i}`, `value-${i}`]);
    cmds.push(["RPUSH", `l:${i % 50}`, `e${i}`]);
    cmds.push(["SADD", `t:${i % 70}`, i % 2 === 0 ? String(i) : `m${i}`]);
    cmds.push(["ZADD", `z:${i % 40}`, i, `m${i}`]);
    if (i % 4 === 0) cmds.push(["DEL", `s:${i >> 1}`]);
  }
  for (let i = 0; i < cmds.length; i += 500)
    await Promise.all(cmds.slice(i, i + 500).map((a) => c.call(...a)));
}

describe("INFO memory", () => {
  it("mem_fragmentation_ratio is used_memory_rss / used_memory with 2 decimals", async () => {
    await writeMix(2000);
    for (let i = 0; i < 3; i++) {
      const m = await memory();
      expect(m.mem_fragmentation_ratio).toMatch(/^\d+\.\d\d$/);
      const quotient = Number(m.used_memory_rss) / Number(m.used_memory);
      const difference = Number(m.used_memory_rss) - Number(m.used_memory);
      if (againstRedis) {
        expect(Math.abs(Number(m.mem_fragmentation_ratio) / quotient - 1)).toBeLessThan(0.5);
      } else {
        expect(m.mem_fragmentation_ratio).toBe(quotient.toFixed(2));
        expect(Number(m.mem_fragmentation_bytes)).toBe(difference);
      }
      await writeMix(200);
    }
  });

  it("used_memory returns to its baseline after FLUSHALL", async () => {
    await c.call("FLUSHALL");
    const baseline = Number((await memory()).used_memory);
    for (let round = 0; round < 3; round++) {
      await writeMix(1500);
      const loaded = Number((await memory()).used_memory);
      expect(loaded).toBeGreaterThan(baseline + 100_000);
      expect(await c.call("FLUSHALL")).toBe("OK");
      const after = Number((await memory()).used_memory);
      if (againstRedis) expect(Math.abs(after - baseline)).toBeLessThan(64 * 1024);
      else expect(after).toBe(baseline);
    }
  });
});
