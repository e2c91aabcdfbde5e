/**
 * maxmemory eviction as a user sees it, per policy: which keys go when writes push memory past
 * `maxmemory`, the -OOM refusal, used_memory staying at the limit, evicted_keys, the `evicted`
 * keyspace event, WATCH invalidation, and OBJECT FREQ / IDLETIME under LFU/LRU. Each test sets
 * the limit to the server's own used_memory plus a small budget, so the same assertions hold
 * against real Redis (KEYHAVEN_TEST_TARGET=redis), whose keys are about half the size of ours.
 */

import { beforeEach, describe, expect, it } from "vitest";
import { errorText, type RespClient, type ServerProcess, sleep, waitFor, withTarget } from "../helpers.js";

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
/** Budget above the empty server's used_memory: small, so fills are fast. */
const BUDGET = 1024 * 1024;
const VALUE = "v".repeat(100);

let server: ServerProcess;
let c: RespClient;

withTarget({}, (t) => ({ server, c } = t));
beforeEach(async () => {
  await c.call("CONFIG", "SET", "maxmemory", "0");
  await c.call("FLUSHALL");
  await c.call("CONFIG", "SET", "maxmemory-samples", "10");
  await c.call("CONFIG", "SET", "lfu-log-factor", "10");
  await c.call("CONFIG", "SET", "lfu-decay-time", "1");
  await c.call("CONFIG", "SET", "notify-keyspace-events", "");
  await c.call("CONFIG", "RESETSTAT");
});

async function info(section: string): Promise<Record<string, string>> {
  const text = (await c.call("INFO", section)) as string;
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function usedMemory(): Promise<number> {
  return Number((await info("memory")).used_memory);
}

async function evictedKeys(): Promise<number> {
  return Number((await info("stats")).evicted_keys);
}

/** Sends commands pipelined in batches; returns the replies. */
async function pipeline(cmds: (string | number)[][]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < cmds.length; i += 200) {
    out.push(...(await Promise.all(cmds.slice(i, i + 200).map((a) => c.call(...a)))));
  }
  return out;
}

/** used_memory before the limit was set (limitTo): budgets are fractions above it. */
let base = 0;

/** Sets maxmemory to the current used_memory plus BUDGET and the given policy; returns the limit. */
async function limitTo(policy: string): Promise<number> {
  base = await usedMemory();
  await c.call("CONFIG", "SET", "maxmemory-policy", policy);
  await c.call("CONFIG", "SET", "maxmemory", String(base + BUDGET));
  return base + BUDGET;
}

/**
 * Writes keys `${prefix}${i}` (i from 0, `extra` arguments appended, e.g. EX) in batches until
 * used_memory reaches `fraction` of the budget; nothing may be evicted on the way. Returns the
 * number of keys written.
 */
async function fillTo(fraction: number, prefix: string, extra: (i: number) => string[] = () => []) {
  let n = 0;
  for (let round = 0; round < 1000; round++) {
    if ((await usedMemory()) >= base + fraction * BUDGET) break;
    const batch: string[][] = [];
    for (let j = 0; j < 50; j++, n++) batch.push(["SET", `${prefix}${n}`, VALUE, ...extra(n)]);
    for (const r of await pipeline(batch)) expect(r).toBe("OK");
  }
  expect(await evictedKeys()).toBe(0);
  return n;
}

/** Writes keys one by one until one is refused with -OOM (bounded); returns how many were written. */
async function writeUntilOom(prefix: string): Promise<number> {
  for (let n = 0; n < 100_000; n++) {
    const reply = await c.call("SET", `${prefix}${n}`, VALUE);
    if (reply !== "OK") {
      expect(errorText(reply)).toBe(OOM);
      return n;
    }
  }
  throw new Error("never refused");
}

/** How many of `keys` exist (EXISTS counts each). */
async function existing(keys: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < keys.length; i += 500)
    n += (await c.call("EXISTS", ...keys.slice(i, i + 500))) as number;
  return n;
}

function names(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${prefix}${i}`);
  return out;
}

/** Fills under noeviction until refused, then lowers the limit well below used_memory. */
async function firmlyOutOfMemory(): Promise<number> {
  await limitTo("noeviction");
  const n = await writeUntilOom("k:");
  await c.call("CONFIG", "SET", "maxmemory", String((await usedMemory()) - 64 * 1024));
  return n;
}

/**
 * used_memory is back at the limit: not over it (but for the few bytes of the INFO command
 * itself), and not far below (eviction stopped in time). Then eviction is switched off, so that
 * the checks that follow (whose query buffers count as used memory) evict nothing more.
 */
async function expectAtLimitThenStop(limit: number): Promise<void> {
  const used = await usedMemory();
  expect(used).toBeLessThanOrEqual(limit + 4096);
  expect(used).toBeGreaterThan(limit - 0.05 * BUDGET);
  await c.call("CONFIG", "SET", "maxmemory", "0");
}

describe("maxmemory eviction", () => {
  it("allkeys-lru keeps a hot set that is read while new keys are written", async () => {
    const limit = await limitTo("allkeys-lru");
    const cap = await fillTo(0.9, "cold:");
    const hot = names("cold:", 0, Math.floor(cap / 10));
    // The LRU clock has a 1 s resolution: after this pause every cold key is strictly older.
    await sleep(1100);
    const fresh = Math.floor(cap / 2);
    for (let i = 0; i < fresh; i += 100) {
      await pipeline(hot.map((k) => ["GET", k]));
      await pipeline(names("new:", i, Math.min(fresh, i + 100)).map((k) => ["SET", k, VALUE]));
    }
    await expectAtLimitThenStop(limit);
    const evicted = await evictedKeys();
    expect(evicted).toBeGreaterThan(cap / 4);
    expect(await existing(hot)).toBe(hot.length);
    expect(await existing(names("new:", 0, fresh))).toBe(fresh);
    expect(await existing(names("cold:", hot.length, cap))).toBe(cap - hot.length - evicted);
    // Just read; the LRU clock counts whole seconds, so a second may have begun since.
    expect(await c.call("OBJECT", "IDLETIME", hot[0])).toBeLessThanOrEqual(1);
  });

  it("allkeys-lfu keeps frequently read keys", async () => {
    // No decay during the test: a minute boundary must not level the counters.
    await c.call("CONFIG", "SET", "lfu-decay-time", "0");
    const limit = await limitTo("allkeys-lfu");
    const cap = await fillTo(0.9, "cold:");
    const hot = names("cold:", 0, Math.floor(cap / 10));
    for (let round = 0; round < 3; round++) await pipeline(hot.map((k) => ["GET", k]));
    expect(await c.call("OBJECT", "FREQ", hot[0])).toBeGreaterThan(5);
    expect(await c.call("OBJECT", "FREQ", `cold:${cap - 1}`)).toBe(5);
    const fresh = Math.floor(cap / 2);
    await pipeline(names("new:", 0, fresh).map((k) => ["SET", k, VALUE]));
    await expectAtLimitThenStop(limit);
    expect(await evictedKeys()).toBeGreaterThan(cap / 4);
    expect(await existing(hot)).toBe(hot.length);
  });

  it("volatile-ttl evicts the nearest expiries first and never keys without a TTL", async () => {
    const limit = await limitTo("volatile-ttl");
    await pipeline(names("p:", 0, 50).map((k) => ["SET", k, VALUE]));
    const cap = await fillTo(0.9, "t:", (i) => ["EX", String(10_000 + i)]);
    const fresh = Math.floor(cap / 3);
    await pipeline(names("new:", 0, fresh).map((k) => ["SET", k, VALUE, "EX", "100000"]));
    await expectAtLimitThenStop(limit);
    const evicted = await evictedKeys();
    expect(evicted).toBeGreaterThan(cap / 5);
    expect(await existing(names("p:", 0, 50))).toBe(50);
    expect(await existing(names("new:", 0, fresh))).toBe(fresh);
    // The keys that went are those with the shortest TTLs, within the sampling's precision.
    // A key never sampled is never evicted: with 10 samples per eviction about e^(-10E/N) of the
    // lowest keys are missed, as in Redis.
    const lowest = await existing(names("t:", 0, Math.floor(evicted / 2)));
    expect(lowest).toBeLessThan(evicted / 8);
    expect(await existing(names("t:", 2 * evicted, cap))).toBe(cap - 2 * evicted);
  });

  it("allkeys-random evicts old and new keys alike", async () => {
    const limit = await limitTo("allkeys-random");
    const cap = await fillTo(0.9, "k:");
    const half = Math.floor(cap / 2);
    await pipeline(names("new:", 0, cap).map((k) => ["SET", k, VALUE]));
    await expectAtLimitThenStop(limit);
    const lostOld = half - (await existing(names("k:", 0, half)));
    const lostYoung = cap - half - (await existing(names("k:", half, cap)));
    expect(lostOld).toBeGreaterThan(half / 5);
    expect(lostYoung).toBeGreaterThan(half / 5);
    expect(lostOld / lostYoung).toBeGreaterThan(0.6);
    expect(lostOld / lostYoung).toBeLessThan(1 / 0.6);
  });

  it("volatile-random evicts volatile keys uniformly and keeps the others", async () => {
    const limit = await limitTo("volatile-random");
    await pipeline(names("p:", 0, 100).map((k) => ["SET", k, VALUE]));
    const cap = await fillTo(0.9, "t:", () => ["EX", "10000"]);
    const half = Math.floor(cap / 2);
    await pipeline(names("new:", 0, cap).map((k) => ["SET", k, VALUE, "EX", "10000"]));
    await expectAtLimitThenStop(limit);
    expect(await existing(names("p:", 0, 100))).toBe(100);
    const lostOld = half - (await existing(names("t:", 0, half)));
    const lostYoung = cap - half - (await existing(names("t:", half, cap)));
    expect(lostOld).toBeGreaterThan(half / 5);
    expect(lostOld / lostYoung).toBeGreaterThan(0.6);
    expect(lostOld / lostYoung).toBeLessThan(1 / 0.6);
  });

  for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]) {
    it(`${policy} evicts only keys with a TTL, then answers -OOM`, async () => {
      const limit = await limitTo(policy);
      const persistent = await fillTo(0.6, "p:");
      const volatile = await fillTo(0.95, "t:", () => ["EX", "10000"]);
      // Writing on must evict every volatile key, then be refused.
      await writeUntilOom("more:");
      expect(await usedMemory()).toBeLessThan(limit + 4096);
      await c.call("CONFIG", "SET", "maxmemory", "0");
      expect(await existing(names("p:", 0, persistent))).toBe(persistent);
      expect(await existing(names("t:", 0, volatile))).toBe(0);
      expect(await evictedKeys()).toBe(volatile);
      expect((await info("keyspace")).db0).toMatch(/expires=0,/);
    });
  }

  it("volatile-lru keeps recently read volatile keys over idle ones, and never a key without TTL", async () => {
    const limit = await limitTo("volatile-lru");
    const persistent = await fillTo(0.3, "p:");
    const volatile = await fillTo(0.9, "t:", () => ["EX", "10000"]);
    const hot = names("t:", 0, Math.floor(volatile / 10));
    // The LRU clock has a 1 s resolution: after this pause every idle key is strictly older.
    await sleep(1100);
    expect(await c.call("OBJECT", "IDLETIME", `t:${volatile - 1}`)).toBeGreaterThanOrEqual(1);
    // Persistent keys are written while the hot ones are read, until half the volatile keys went.
    let written = 0;
    for (let round = 0; round < 1000 && (await evictedKeys()) < volatile / 2; round++) {
      await pipeline(hot.map((k) => ["GET", k]));
      const batch = names("new:", written, written + 50).map((k) => ["SET", k, VALUE]);
      for (const r of await pipeline(batch)) expect(r).toBe("OK");
      written += batch.length;
    }
    await expectAtLimitThenStop(limit);
    const evicted = await evictedKeys();
    expect(evicted).toBeGreaterThanOrEqual(volatile / 2);
    expect(await existing(hot)).toBe(hot.length);
    expect(await existing(names("t:", hot.length, volatile))).toBe(volatile - hot.length - evicted);
    expect(await existing(names("p:", 0, persistent))).toBe(persistent);
    expect(await existing(names("new:", 0, written))).toBe(written);
  });

  it("noeviction answers -OOM to denyoom commands but serves reads and DEL", async () => {
    const n = await firmlyOutOfMemory();
    expect(errorText(await c.call("SET", "x", "y"))).toBe(OOM);
    expect(errorText(await c.call("INCR", "k:0"))).toBe(OOM);
    expect(errorText(await c.call("SET", "k:0", "y", "EX", "100"))).toBe(OOM);
    expect(await c.call("GET", "k:0")).toBe(VALUE);
    expect(await c.call("EXISTS", "k:1")).toBe(1);
    expect(await c.call("DEL", ...names("k:", 0, Math.floor(n / 2)))).toBe(Math.floor(n / 2));
    expect(await c.call("SET", "x", "y")).toBe("OK");
    const stats = await info("stats");
    expect(stats.evicted_keys).toBe("0");
    expect(stats.current_eviction_exceeded_time).toBe("0");
    expect((await info("errorstats")).errorstat_OOM).toMatch(/^count=\d+$/);
  });

  it("a transaction is refused while out of memory, but EXEC and DISCARD are not", async () => {
    await firmlyOutOfMemory();
    expect(await c.call("MULTI")).toBe("OK");
    expect(errorText(await c.call("GET", "k:0"))).toBe(OOM);
    expect(await c.call("DISCARD")).toBe("OK");
    expect(await c.call("MULTI")).toBe("OK");
    expect(errorText(await c.call("SET", "k:0", "x"))).toBe(OOM);
    expect(errorText(await c.call("EXEC"))).toBe(
      "EXECABORT Transaction discarded because of previous errors.",
    );
  });

  it("evictions show as evicted_keys and as the `evicted` keyspace event", async () => {
    await c.call("CONFIG", "SET", "notify-keyspace-events", "Ee");
    const sub = await server.client();
    try {
      expect(await sub.call("SUBSCRIBE", "__keyevent@0__:evicted")).toEqual([
        "subscribe",
        "__keyevent@0__:evicted",
        1,
      ]);
      const limit = await limitTo("allkeys-random");
      const cap = await fillTo(0.9, "k:");
      await pipeline(names("new:", 0, Math.floor(cap / 2)).map((k) => ["SET", k, VALUE]));
      await expectAtLimitThenStop(limit);
      const evicted = await evictedKeys();
      expect(evicted).toBeGreaterThan(0);
      const messages = (await sub.waitPushed(evicted)) as string[][];
      const keys = messages.map((m) => {
        expect(m.slice(0, 2)).toEqual(["message", "__keyevent@0__:evicted"]);
        return m[2];
      });
      expect(new Set(keys).size).toBe(evicted);
      expect(await existing(keys)).toBe(0);
      expect(await c.call("DBSIZE")).toBe(cap + Math.floor(cap / 2) - evicted);
    } finally {
      sub.close();
    }
  });

  it("eviction of a WATCHed key makes EXEC fail", async () => {
    await limitTo("volatile-ttl");
    expect(await c.call("SET", "watched", "1", "EX", "1000")).toBe("OK");
    const w = await server.client();
    try {
      expect(await w.call("WATCH", "watched")).toBe("OK");
      await writeUntilOom("p:");
      await c.call("CONFIG", "SET", "maxmemory", "0");
      expect(await c.call("EXISTS", "watched")).toBe(0);
      expect(await evictedKeys()).toBe(1);
      expect(await w.call("MULTI")).toBe("OK");
      expect(await w.call("GET", "watched")).toBe("QUEUED");
      expect(await w.call("EXEC")).toBeNull();
    } finally {
      w.close();
    }
  });

  it("lowering maxmemory with CONFIG SET evicts down to the new limit", async () => {
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    base = await usedMemory();
    await pipeline(names("k:", 0, 3000).map((k) => ["SET", k, VALUE]));
    const limit = base + BUDGET / 2;
    expect(await c.call("CONFIG", "SET", "maxmemory", String(limit))).toBe("OK");
    expect(await c.call("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", String(limit)]);
    const mem = await info("memory");
    expect(mem.maxmemory).toBe(String(limit));
    expect(mem.maxmemory_policy).toBe("allkeys-lru");
    // Each call evicts for at most maxmemory-eviction-tenacity's time; the rest is done between
    // event-loop turns, while commands are served.
    await waitFor(async () => (await usedMemory()) <= limit + 4096, "eviction down to the new limit");
    await expectAtLimitThenStop(limit);
    const evicted = await evictedKeys();
    expect(evicted).toBeGreaterThan(0);
    // With no limit nothing is evicted any more.
    await pipeline(names("more:", 0, 1000).map((k) => ["SET", k, VALUE]));
    expect(await evictedKeys()).toBe(evicted);
    expect(await c.call("DBSIZE")).toBe(4000 - evicted);
  });
});

describe("LFU counters (OBJECT FREQ)", () => {
  it("with lfu-log-factor 0 every access counts, from LFU_INIT_VAL 5", async () => {
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    await c.call("CONFIG", "SET", "lfu-log-factor", "0");
    await c.call("CONFIG", "SET", "lfu-decay-time", "0");
    expect(await c.call("SET", "f", "v")).toBe("OK");
    expect(await c.call("OBJECT", "FREQ", "f")).toBe(5);
    await pipeline(Array.from({ length: 100 }, () => ["GET", "f"]));
    expect(await c.call("OBJECT", "FREQ", "f")).toBe(105);
    await pipeline(Array.from({ length: 200 }, () => ["GET", "f"]));
    expect(await c.call("OBJECT", "FREQ", "f")).toBe(255);
    expect(errorText(await c.call("OBJECT", "IDLETIME", "f"))).toBe(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
  });

  it("lfu-log-factor makes the counter logarithmic", async () => {
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    await c.call("CONFIG", "SET", "lfu-decay-time", "0");
    const median = async (factor: number) => {
      await c.call("CONFIG", "SET", "lfu-log-factor", String(factor));
      const keys = names(`f${factor}:`, 0, 21);
      await pipeline(keys.map((k) => ["SET", k, "v"]));
      await pipeline(keys.flatMap((k) => Array.from({ length: 100 }, () => ["GET", k])));
      const freqs = (await pipeline(keys.map((k) => ["OBJECT", "FREQ", k]))) as number[];
      return freqs.sort((a, b) => a - b)[10];
    };
    // Redis's documented table: 100 hits give about 10 with factor 10 and 18 with factor 1.
    const m10 = await median(10);
    expect(m10).toBeGreaterThanOrEqual(8);
    expect(m10).toBeLessThanOrEqual(12);
    const m1 = await median(1);
    expect(m1).toBeGreaterThanOrEqual(15);
    expect(m1).toBeLessThanOrEqual(21);
  });

  it("OBJECT FREQ needs an LFU policy", async () => {
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    await c.call("SET", "f", "v");
    expect(errorText(await c.call("OBJECT", "FREQ", "f"))).toBe(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    expect(await c.call("OBJECT", "IDLETIME", "f")).toBeLessThanOrEqual(1);
  });
});

/**
 * CONFIG SET maxmemory-policy between the LRU and LFU families at runtime: the 24-bit field a
 * key carries is read as the other kind of data, as Redis reads it, until the key is touched.
 * Expected values are Redis's formulas (evict.c) over every second the write may have been
 * stamped with (Redis caches its LRU clock for up to a cron tick).
 */
describe("switching maxmemory-policy at runtime", () => {
  const MAX = 0xffffff;
  const seconds = () => Math.floor(Date.now() / 1000);
  const minutes = (ms: number) => Math.floor(ms / 60000) & 0xffff;
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  /** LFUDecrAndReturn of an LRU stamp taken at unix second `t`, read at minute `now`. */
  function freqOfStamp(t: number, now: number, decayTime: number): number {
    const field = t & MAX;
    const ldt = field >> 8;
    const counter = field & 255;
    const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    const periods = decayTime > 0 ? Math.floor(elapsed / decayTime) : 0;
    return periods > counter ? 0 : counter - periods;
  }

  for (const decayTime of [0, 1]) {
    it(`LRU -> LFU (lfu-decay-time ${decayTime}): OBJECT FREQ reads the LRU stamp as a counter`, async () => {
      await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
      await c.call("CONFIG", "SET", "lfu-log-factor", "0");
      await c.call("CONFIG", "SET", "lfu-decay-time", String(decayTime));
      const before = seconds() - 1;
      const t0 = Date.now();
      await c.call("SET", "k", "v");
      await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
      const freq = (await c.call("OBJECT", "FREQ", "k")) as number;
      const t1 = Date.now();
      const possible = new Set<number>();
      for (const t of range(before, seconds()))
        for (const now of [minutes(t0), minutes(t1)]) possible.add(freqOfStamp(t, now, decayTime));
      expect([...possible]).toContain(freq);
      // The first access under LFU decays that counter and increments it (log factor 0).
      await c.call("GET", "k");
      const after = (await c.call("OBJECT", "FREQ", "k")) as number;
      const minuteTicked = minutes(t0) !== minutes(Date.now());
      expect(minuteTicked ? [freq, freq + 1] : [Math.min(255, freq + 1)]).toContain(after);
      expect(errorText(await c.call("OBJECT", "IDLETIME", "k"))).toMatch(
        /^ERR An LFU maxmemory policy is selected/,
      );
    });
  }

  it("LFU -> LRU: OBJECT IDLETIME reads the LFU data as a stamp on the 24-bit clock", async () => {
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    const t0 = Date.now();
    await c.call("SET", "k", "v");
    const t1 = Date.now();
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    const idle = (await c.call("OBJECT", "IDLETIME", "k")) as number;
    const possible = new Set<number>();
    for (const m of new Set([minutes(t0), minutes(t1)])) {
      const field = (m << 8) | 5; // LFU_INIT_VAL
      for (const t of range(Math.floor(t0 / 1000) - 1, seconds())) {
        const now = t & MAX;
        possible.add(now >= field ? now - field : now + (MAX - field));
      }
    }
    expect([...possible]).toContain(idle);
    // Touched under LRU, the key is fresh again.
    await c.call("GET", "k");
    expect(await c.call("OBJECT", "IDLETIME", "k")).toBeLessThanOrEqual(1);
    expect(errorText(await c.call("OBJECT", "FREQ", "k"))).toMatch(
      /^ERR An LFU maxmemory policy is not selected/,
    );
  });
});
