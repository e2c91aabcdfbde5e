import { afterEach, describe, expect, it } from "vitest";
import { Config } from "../config/config.js";
import { gates } from "../exec/dispatch.js";
import { createServer } from "../index.js";
import type { Server } from "../server.js";
import { clock, refreshClock } from "./clock.js";
import {
  EVICT_FAIL,
  EVICT_OK,
  EVICT_RUNNING,
  EvictionPool,
  evictionTimeLimitMs,
  performEvictions,
} from "./evict.js";

/** An in-process server (not listening) whose propagation stream is recorded. */
function makeServer(directives: string): { server: Server; propagated: string[] } {
  const config = new Config();
  config.loadText(`loglevel warning\nlogfile /dev/null\n${directives}`, "(test)");
  const server = createServer(config);
  const propagated: string[] = [];
  server.propagator.addSink({
    kind: "repl",
    feed: (dbId, command) => {
      propagated.push(
        `${dbId}:${command
          .toString("latin1")
          .split("\r\n")
          .filter((_, i) => i % 2 === 0 && i > 0)
          .join(" ")}`,
      );
    },
  });
  return { server, propagated };
}

function set(server: Server, name: string, value: string): void {
  expect(server.config.setMany([[name, value]])).toBeNull();
}

/** Adds `n` keys `${prefix}i` to db `dbId`, the i-th touched `n - i` seconds ago (LRU). */
function fill(server: Server, n: number, prefix = "k", dbId = 0): void {
  const db = server.dbs[dbId];
  for (let i = 0; i < n; i++) {
    const entry = db.add(`${prefix}${i}`, "v".repeat(50));
    entry.lru = clock.lruSeconds - (n - i);
  }
}

function turns(n: number): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < n; i++) p = p.then(() => new Promise<void>((r) => setImmediate(r)));
  return p;
}

afterEach(() => {
  gates.evictIfNeeded = null;
});

describe("EvictionPool (evictionPoolPopulate's insertion)", () => {
  it("keeps the 16 best candidates in ascending order, empties on the right", () => {
    const pool = new EvictionPool();
    pool.insert(0, "a", 5);
    pool.insert(0, "b", 1);
    pool.insert(0, "c", 3);
    expect(pool.key.slice(0, 4)).toEqual(["b", "c", "a", null]);
    expect(Array.from(pool.score.slice(0, 3))).toEqual([1, 3, 5]);
    const scores = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    for (const s of scores) pool.insert(1, `k${s}`, s + 0.5);
    expect(pool.key).toEqual(Array.from({ length: 16 }, (_, i) => `k${84 + i}`));
    // Worse than every kept candidate: ignored. Already kept: not duplicated.
    pool.insert(0, "low", 0);
    pool.insert(1, "k99", 99.5);
    expect(pool.key).toEqual(Array.from({ length: 16 }, (_, i) => `k${84 + i}`));
    // A candidate between others drops the worst one.
    pool.insert(2, "mid", 90);
    expect(pool.key[0]).toBe("k85");
    expect(pool.key[5]).toBe("mid");
    expect(pool.dbId[5]).toBe(2);
  });
});

describe("performEvictions", () => {
  it("installs the dispatch gate only while maxmemory is set", () => {
    const { server } = makeServer("maxmemory 0");
    expect(gates.evictIfNeeded).toBeNull();
    set(server, "maxmemory", "100mb");
    expect(gates.evictIfNeeded).not.toBeNull();
    expect(gates.evictIfNeeded!()).toBe(true);
    set(server, "maxmemory", "0");
    expect(gates.evictIfNeeded).toBeNull();
  });

  it("allkeys-lru evicts the least recently used keys, each as its own DEL", () => {
    refreshClock();
    const { server, propagated } = makeServer(
      "maxmemory-policy allkeys-lru\nmaxmemory-samples 10\nmaxmemory-eviction-tenacity 100",
    );
    fill(server, 2000);
    const perKey = server.dbs[0].usedMemory / 2000;
    server.config.setInternal("maxmemory", Math.floor(server.memory.used() - perKey * 500));
    set(server, "maxmemory-samples", "10"); // re-reads the settings
    expect(performEvictions(server)).toBe(EVICT_OK);
    const evicted = server.stats.evictedKeys;
    expect(evicted).toBeGreaterThanOrEqual(500);
    expect(evicted).toBeLessThan(510);
    expect(server.memory.used()).toBeLessThanOrEqual(server.config.num("maxmemory"));
    expect(propagated).toHaveLength(evicted);
    expect(propagated.every((p) => /^0:DEL k\d+$/.test(p))).toBe(true);
    // The approximation: every evicted key is among the oldest ~40%, the newest half all stay.
    const gone = propagated.map((p) => Number(p.slice(7)));
    expect(Math.max(...gone)).toBeLessThan(800);
    for (let i = 1000; i < 2000; i++) expect(server.dbs[0].peek(`k${i}`)).toBeDefined();
  });

  it("propagates UNLINK with lazyfree-lazy-eviction, and evicts across databases", () => {
    const { server, propagated } = makeServer(
      "maxmemory-policy allkeys-random\nlazyfree-lazy-eviction yes\nmaxmemory-eviction-tenacity 100",
    );
    fill(server, 500, "a", 0);
    fill(server, 500, "b", 3);
    server.config.setInternal("maxmemory", server.memory.used() - 20_000);
    set(server, "maxmemory-samples", "5");
    expect(performEvictions(server)).toBe(EVICT_OK);
    expect(propagated.length).toBe(server.stats.evictedKeys);
    expect(propagated.some((p) => p.startsWith("0:UNLINK a"))).toBe(true);
    expect(propagated.some((p) => p.startsWith("3:UNLINK b"))).toBe(true);
  });

  it("volatile policies evict only keys with a TTL, then fail", () => {
    const { server } = makeServer("maxmemory-policy volatile-lru");
    fill(server, 100);
    const db = server.dbs[0];
    for (let i = 0; i < 10; i++) db.setExpire(db.peek(`k${i}`)!, clock.ms + 100_000);
    server.config.setInternal("maxmemory", server.memory.used() - 30_000);
    set(server, "maxmemory-samples", "5");
    expect(performEvictions(server)).toBe(EVICT_FAIL);
    expect(server.stats.evictedKeys).toBe(10);
    expect(db.expiresCount).toBe(0);
    expect(db.size).toBe(90);
    expect(server.stats.evictionExceededSince).toBeGreaterThan(0);
  });

  it("noeviction fails without touching keys", () => {
    const { server } = makeServer("maxmemory-policy noeviction");
    fill(server, 100);
    server.config.setInternal("maxmemory", server.memory.used() - 1);
    set(server, "maxmemory-samples", "5");
    expect(performEvictions(server)).toBe(EVICT_FAIL);
    expect(server.dbs[0].size).toBe(100);
  });

  it("replicas ignoring maxmemory, paused servers and loading servers do not evict", () => {
    // Tenacity 100 has no time limit: on a loaded machine a GC pause could otherwise end the
    // eviction early (EVICT_RUNNING), which is not what this test is about.
    const { server } = makeServer("maxmemory-policy allkeys-random\nmaxmemory-eviction-tenacity 100");
    fill(server, 100);
    server.config.setInternal("maxmemory", server.memory.used() - 5000);
    set(server, "maxmemory-samples", "5");
    server.replicaMode = true;
    expect(performEvictions(server)).toBe(EVICT_OK);
    expect(server.dbs[0].size).toBe(100);
    set(server, "replica-ignore-maxmemory", "no");
    expect(performEvictions(server)).toBe(EVICT_OK);
    expect(server.dbs[0].size).toBeLessThan(100);
    server.replicaMode = false;
    server.config.setInternal("maxmemory", server.memory.used() - 5000);
    set(server, "maxmemory-samples", "5");
    server.pause("write", Date.now() + 10_000);
    const before = server.dbs[0].size;
    expect(performEvictions(server)).toBe(EVICT_OK);
    server.unpause();
    server.loading = true;
    expect(performEvictions(server)).toBe(EVICT_OK);
    expect(server.dbs[0].size).toBe(before);
    server.loading = false;
  });

  it("stops at the tenacity time limit and finishes in the eviction time proc", async () => {
    const { server } = makeServer("maxmemory-policy allkeys-lru\nmaxmemory-eviction-tenacity 0");
    fill(server, 3000);
    server.config.setInternal("maxmemory", server.memory.used() - 200_000);
    set(server, "maxmemory-samples", "5");
    expect(performEvictions(server)).toBe(EVICT_RUNNING);
    expect(server.stats.evictedKeys).toBe(16);
    await turns(200);
    expect(server.memory.used()).toBeLessThanOrEqual(server.config.num("maxmemory"));
    expect(performEvictions(server)).toBe(EVICT_OK);
    expect(server.stats.evictionExceededSince).toBe(0);
    expect(server.stats.totalEvictionExceededTimeMs).toBeGreaterThan(0);
  });

  it("CONFIG SET maxmemory below usage starts evicting without any command", async () => {
    const { server } = makeServer("maxmemory-policy allkeys-random");
    fill(server, 1000);
    set(server, "maxmemory", String(server.memory.used() - 50_000));
    expect(server.stats.evictedKeys).toBe(0);
    await turns(20);
    expect(server.stats.evictedKeys).toBeGreaterThan(0);
    expect(server.memory.used()).toBeLessThanOrEqual(server.config.num("maxmemory"));
  });
});

describe("evictionTimeLimitMs (evictionTimeLimitUs)", () => {
  it("is linear to 500 us at tenacity 10, then grows 15% a step, unlimited at 100", () => {
    expect(evictionTimeLimitMs(0)).toBe(0);
    expect(evictionTimeLimitMs(10)).toBe(0.5);
    expect(evictionTimeLimitMs(11)).toBeCloseTo(0.575);
    expect(evictionTimeLimitMs(99)).toBeGreaterThan(100_000);
    expect(evictionTimeLimitMs(100)).toBe(Number.POSITIVE_INFINITY);
  });
});
