#!/usr/bin/env node
/**
 * How close keyhaven-server is to the floor of any server built on Node's `net` sockets, and how
 * that floor compares with redis-server, for `redis-benchmark -q -c 50 -t set`: the same load
 * against redis-server, keyhaven-server and node-floor-server.mjs (which only counts commands and
 * answers +OK once per turn, see there), without persistence and with `appendfsync always`.
 * Each server gets `warmup` unmeasured requests, then `requests` measured ones; the figures are
 * the median of `rounds` rounds, servers in alternating order, with each server's CPU time per
 * request (user + system, all threads, from /proc): on this machine the CPU per request is what
 * decides throughput, and the floor says which part of keyhaven's is Node's own.
 * Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node bench/node-floor.mjs [rounds=3] [requests=200000] [warmup=100000]
 */

import { cleanup, cpuMs, median, redisBenchmarkRps, start, stop } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const REQUESTS = Number(process.argv[3] ?? 200_000);
const WARMUP = Number(process.argv[4] ?? 100_000);
const KINDS = ["redis", "keyhaven", "node-floor"];
const LABELS = { redis: "redis-server", keyhaven: "keyhaven-server", "node-floor": "Node net floor" };

console.log(
  `redis-benchmark -q -c 50 -n ${REQUESTS} -t set after ${WARMUP} unmeasured requests, ${ROUNDS} rounds, median`,
);
for (const mode of ["no persistence", "appendfsync always"]) {
  const extra = mode === "no persistence" ? [] : ["--appendonly", "yes", "--appendfsync", "always"];
  const rps = Object.fromEntries(KINDS.map((k) => [k, []]));
  const cpu = Object.fromEntries(KINDS.map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of order) {
      const s = await start(kind, extra);
      try {
        if (WARMUP > 0) redisBenchmarkRps(s.port, "set", WARMUP);
        const before = cpuMs(s.proc.pid);
        rps[kind].push(redisBenchmarkRps(s.port, "set", REQUESTS));
        cpu[kind].push(((cpuMs(s.proc.pid) - before) / REQUESTS) * 1000);
      } finally {
        await stop(s);
      }
    }
  }
  console.log(`${mode}:`);
  const redisRps = median(rps.redis);
  for (const kind of KINDS) {
    const r = median(rps[kind]);
    console.log(
      `  ${LABELS[kind].padEnd(16)} ${r.toFixed(0).padStart(7)} rps  ratio to redis ${(r / redisRps).toFixed(2)}x` +
        `   CPU/request ${median(cpu[kind]).toFixed(1)} us   (rounds: ${rps[kind].map((x) => x.toFixed(0)).join("/")})`,
    );
  }
}
cleanup();
