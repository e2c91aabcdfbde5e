#!/usr/bin/env node
/**
 * Memory per key, Keyhaven against real Redis in the same run: starts a redis-server and a
 * keyhaven-server side by side (free ports, empty dirs, no persistence), loads the same N small
 * string keys (`key:N` -> a short value, pipelined) into each, and prints used_memory and
 * used_memory_rss per key for both, and the RSS ratio keyhaven/redis (target <= 2.5x).
 *
 *   node bench/memory-per-key.mjs [--keys 1000000] [--value-size 8] [--pipeline 1000]
 *                                 [--keyhaven-args "--maxmemory 0"] [--only keyhaven|redis]
 *
 * RSS is read twice after the load: as loaded, and settled (after MEMORY PURGE: a compacting GC
 * that also shrinks V8's young generation on Keyhaven, a jemalloc purge on Redis, then a short
 * pause). The per-key figures subtract each server's own settled footprint right after start-up.
 * Needs a built Keyhaven (`pnpm -s run build`) and redis-server on PATH. Every process this
 * script starts is killed by PID when it ends, also on error.
 */

import { parseArgs } from "node:util";
import { Conn, cleanup, memory, start, stop } from "./lib.mjs";

const { values: opts } = parseArgs({
  options: {
    keys: { type: "string", default: "1000000" },
    "value-size": { type: "string", default: "8" },
    pipeline: { type: "string", default: "1000" },
    "keyhaven-args": { type: "string", default: "" },
    only: { type: "string", default: "" },
  },
});
const KEYS = Number(opts.keys);
const VALUE_SIZE = Number(opts["value-size"]);
const PIPELINE = Number(opts.pipeline);

function value(i) {
  const s = `v${i}`;
  return s.length >= VALUE_SIZE ? s.slice(0, VALUE_SIZE) : s + "x".repeat(VALUE_SIZE - s.length);
}

async function load(conn) {
  const started = performance.now();
  for (let base = 0; base < KEYS; base += PIPELINE) {
    const n = Math.min(PIPELINE, KEYS - base);
    let s = "";
    for (let i = base; i < base + n; i++) {
      const k = `key:${i}`;
      const v = value(i);
      s += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
    }
    await conn.sendOks(s, n);
  }
  return performance.now() - started;
}

async function measure(kind, extraArgs) {
  const srv = await start(kind, extraArgs);
  const conn = await Conn.connect(srv.port);
  const before = await memory(conn);
  const ms = await load(conn);
  const dbsize = Number((await conn.command("DBSIZE")).slice(1));
  if (dbsize !== KEYS) throw new Error(`${kind}: DBSIZE ${dbsize}, expected ${KEYS}`);
  const loaded = await memory(conn, false);
  const after = await memory(conn);
  conn.close();
  stop(srv);
  return {
    kind,
    loadSeconds: ms / 1000,
    setsPerSecond: Math.round(KEYS / (ms / 1000)),
    usedMemory: after.used,
    loadedRss: loaded.rss,
    rss: after.rss,
    usedPerKey: (after.used - before.used) / KEYS,
    rssPerKey: (after.rss - before.rss) / KEYS,
    startupRss: before.rss,
  };
}

function fmt(n, digits = 1) {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main() {
  const khArgs = opts["keyhaven-args"].split(" ").filter((a) => a !== "");
  const results = [];
  if (opts.only !== "keyhaven") results.push(await measure("redis", []));
  if (opts.only !== "redis") results.push(await measure("keyhaven", khArgs));
  console.log(`${fmt(KEYS, 0)} keys "key:N" -> ${VALUE_SIZE}-byte values, SET pipelined ${PIPELINE} deep`);
  console.log(
    "server     load s     SET/s    used_memory  used/key   rss as loaded   rss settled  rss/key  startup rss",
  );
  for (const r of results) {
    console.log(
      `${r.kind.padEnd(10)} ${fmt(r.loadSeconds, 2).padStart(6)} ${fmt(r.setsPerSecond, 0).padStart(9)}  ` +
        `${fmt(r.usedMemory, 0).padStart(13)}  ${fmt(r.usedPerKey).padStart(8)}  ${fmt(r.loadedRss, 0).padStart(14)}  ` +
        `${fmt(r.rss, 0).padStart(12)}  ${fmt(r.rssPerKey).padStart(7)}  ${fmt(r.startupRss, 0).padStart(11)}`,
    );
  }
  if (results.length === 2) {
    const [redis, kh] = results;
    console.log(
      `RSS ratio keyhaven/redis: settled ${(kh.rss / redis.rss).toFixed(2)}x (target <= 2.5x), ` +
        `as loaded ${(kh.loadedRss / redis.loadedRss).toFixed(2)}x; per key ${(kh.rssPerKey / redis.rssPerKey).toFixed(2)}x; ` +
        `used_memory per key ${(kh.usedPerKey / redis.usedPerKey).toFixed(2)}x; ` +
        `SET throughput ${(kh.setsPerSecond / redis.setsPerSecond).toFixed(2)}x`,
    );
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
