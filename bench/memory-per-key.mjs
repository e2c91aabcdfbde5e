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
 * Then every key is read once with GET, pipelined the same way. SET and GET rates are for one
 * connection fed as fast as the server takes it; "cpu us" is the server's own CPU time (user +
 * sys, GC threads included) per command, steadier than rates on a shared machine.
 * RSS is read twice after the load: as loaded, and settled (after MEMORY PURGE: a compacting GC
 * that also shrinks V8's young generation on Keyhaven, a jemalloc purge on Redis, then a short
 * pause). The per-key figures subtract each server's own settled footprint once it is idle after
 * start-up.
 * Needs a built Keyhaven (`pnpm -s run build`) and redis-server on PATH. Every process this
 * script starts is killed by PID when it ends, also on error.
 */

import { parseArgs } from "node:util";
import { Conn, cleanup, memory, sleep, start, stop } from "./lib.mjs";

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

/**
 * Loads the keys: the commands are encoded before the clock starts and then written in one go
 * (the server reads them as fast as it can, TCP applying back-pressure), so the figure is the
 * server's SET throughput, not this script's string building.
 */
async function load(conn) {
  const batches = [];
  for (let base = 0; base < KEYS; base += PIPELINE) {
    let s = "";
    for (let i = base; i < Math.min(KEYS, base + PIPELINE); i++) {
      const k = `key:${i}`;
      const v = value(i);
      s += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
    }
    batches.push(Buffer.from(s, "latin1"));
  }
  const started = performance.now();
  await conn.sendOks(batches, KEYS);
  return performance.now() - started;
}

/** Reads every key once (GET, pipelined like the load): mostly short-lived garbage for the GC. */
async function readAll(conn) {
  const batches = [];
  for (let base = 0; base < KEYS; base += PIPELINE) {
    let s = "";
    for (let i = base; i < Math.min(KEYS, base + PIPELINE); i++) {
      const k = `key:${i}`;
      s += `*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`;
    }
    batches.push(Buffer.from(s, "latin1"));
  }
  // Every value has VALUE_SIZE bytes, so every reply has the same length; the first is checked.
  const reply = Buffer.from(`$${VALUE_SIZE}\r\n${value(0)}\r\n`, "latin1");
  const started = performance.now();
  await conn.sendCounted(batches, KEYS, reply);
  return performance.now() - started;
}

/** The server's own CPU time (user + sys), which contention on a shared machine disturbs less than wall time. */
async function cpuSeconds(conn) {
  const info = await conn.command("INFO", "cpu");
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? Number.NaN);
  return field("used_cpu_user") + field("used_cpu_sys");
}

/**
 * Waits until the server uses no CPU of its own (at most 10 s): keyhaven-server warms its RDB
 * code for a second or so after start-up, and a footprint read meanwhile would count that
 * transient memory as part of the empty server's.
 */
async function waitIdle(conn) {
  let last = await cpuSeconds(conn);
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = await cpuSeconds(conn);
    if (now - last < 0.005) return;
    last = now;
  }
}

async function measure(kind, extraArgs) {
  const srv = await start(kind, extraArgs);
  const conn = await Conn.connect(srv.port);
  await waitIdle(conn);
  const before = await memory(conn);
  const cpuBefore = await cpuSeconds(conn);
  const ms = await load(conn);
  const cpu = (await cpuSeconds(conn)) - cpuBefore;
  const dbsize = Number((await conn.command("DBSIZE")).slice(1));
  if (dbsize !== KEYS) throw new Error(`${kind}: DBSIZE ${dbsize}, expected ${KEYS}`);
  const loaded = await memory(conn, false);
  const after = await memory(conn);
  const cpuBeforeGets = await cpuSeconds(conn);
  const getMs = await readAll(conn);
  const getCpu = (await cpuSeconds(conn)) - cpuBeforeGets;
  conn.close();
  stop(srv);
  return {
    kind,
    loadSeconds: ms / 1000,
    setsPerSecond: Math.round(KEYS / (ms / 1000)),
    cpuUsPerSet: (cpu * 1e6) / KEYS,
    getsPerSecond: Math.round(KEYS / (getMs / 1000)),
    cpuUsPerGet: (getCpu * 1e6) / KEYS,
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
    "server     load s     SET/s  cpu us/SET     GET/s  cpu us/GET    used_memory  used/key   rss as loaded   rss settled  rss/key  startup rss",
  );
  for (const r of results) {
    console.log(
      `${r.kind.padEnd(10)} ${fmt(r.loadSeconds, 2).padStart(6)} ${fmt(r.setsPerSecond, 0).padStart(9)} ${fmt(r.cpuUsPerSet, 2).padStart(11)} ` +
        `${fmt(r.getsPerSecond, 0).padStart(9)} ${fmt(r.cpuUsPerGet, 2).padStart(11)}  ` +
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
        `SET throughput ${(kh.setsPerSecond / redis.setsPerSecond).toFixed(2)}x, CPU per SET ${(kh.cpuUsPerSet / redis.cpuUsPerSet).toFixed(2)}x, ` +
        `GET throughput ${(kh.getsPerSecond / redis.getsPerSecond).toFixed(2)}x, CPU per GET ${(kh.cpuUsPerGet / redis.cpuUsPerGet).toFixed(2)}x`,
    );
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
