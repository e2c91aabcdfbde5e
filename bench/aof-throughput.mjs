#!/usr/bin/env node
/**
 * AOF write throughput, real Redis vs keyhaven-server side by side: each server runs with
 * `appendonly yes` and `appendfsync everysec`, then `always`, on its own temporary directory and
 * free port, and `redis-benchmark -q -c 50 -n 100000 -t set` is run against it. Rounds alternate
 * which server goes first, and the median of the rounds is reported with the ratio to Redis.
 * Targets: everysec >= 0.9x Redis, always >= 1x Redis (group commit). Every process started is
 * killed by PID at the end. Not a test: nothing is asserted.
 *
 * Each fresh server first gets `warmup` unmeasured requests (the same run, for both servers), so
 * the measured run is the steady state a long-running server has: the first ~100k requests of a
 * fresh Node process also pay for V8 compiling the request path. Those cold figures (the warm-up
 * run itself) are printed too.
 *
 *   pnpm -s run build && node bench/aof-throughput.mjs [rounds=3] [requests=100000] [warmup=100000]
 */

import { spawnSync } from "node:child_process";
import { cleanup, cpuMs, median, redisBenchmarkRps, start, stop } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const REQUESTS = Number(process.argv[3] ?? 100_000);
const WARMUP = Number(process.argv[4] ?? 100_000);

const version = spawnSync("redis-server", ["--version"], { encoding: "latin1" }).stdout.trim();
console.log(
  `AOF SET throughput: redis-benchmark -q -c 50 -n ${REQUESTS} -t set after ${WARMUP} unmeasured ones, ${ROUNDS} rounds, median`,
);
console.log(`redis: ${version}`);
const results = {};
for (const fsync of ["everysec", "always"]) {
  const rps = { redis: [], keyhaven: [] };
  const cpu = { redis: [], keyhaven: [] };
  const coldRps = { redis: [], keyhaven: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["redis", "keyhaven"] : ["keyhaven", "redis"];
    for (const kind of order) {
      const s = await start(kind, ["--appendonly", "yes", "--appendfsync", fsync]);
      try {
        if (WARMUP > 0) coldRps[kind].push(redisBenchmarkRps(s.port, "set", WARMUP));
        const before = cpuMs(s.proc.pid) / 1000;
        rps[kind].push(redisBenchmarkRps(s.port, "set", REQUESTS));
        // Server CPU per request: a figure that a loaded machine disturbs less than rps.
        cpu[kind].push(((cpuMs(s.proc.pid) / 1000 - before) / REQUESTS) * 1e6);
      } finally {
        await stop(s);
      }
    }
  }
  const r = median(rps.redis);
  const k = median(rps.keyhaven);
  // The machine's speed drifts between rounds (±15% seen); within a round both servers ran back
  // to back, so the median of the rounds' own ratios is the steadier figure.
  const paired = median(rps.keyhaven.map((x, i) => x / rps.redis[i]));
  results[fsync] = { redis: r, keyhaven: k, ratio: k / r, paired };
  console.log(
    `appendfsync ${fsync.padEnd(8)}  redis ${r.toFixed(0).padStart(7)} rps  keyhaven ${k.toFixed(0).padStart(7)} rps  ratio ${(k / r).toFixed(2)}x` +
      `   server CPU/request: redis ${median(cpu.redis).toFixed(1)} us, keyhaven ${median(cpu.keyhaven).toFixed(1)} us` +
      `   (rounds: redis ${rps.redis.map((x) => x.toFixed(0)).join("/")}, keyhaven ${rps.keyhaven.map((x) => x.toFixed(0)).join("/")}; median of the rounds' ratios ${paired.toFixed(2)}x)`,
  );
  if (WARMUP > 0) {
    const cr = median(coldRps.redis);
    const ck = median(coldRps.keyhaven);
    console.log(
      `  cold (the warm-up run)  redis ${cr.toFixed(0).padStart(7)} rps  keyhaven ${ck.toFixed(0).padStart(7)} rps  ratio ${(ck / cr).toFixed(2)}x`,
    );
  }
}
const target = { everysec: 0.9, always: 1.0 };
for (const [fsync, r] of Object.entries(results)) {
  console.log(
    `target ${fsync}: >= ${target[fsync]}x -> ${r.ratio >= target[fsync] ? "met" : "NOT met"} (${r.ratio.toFixed(2)}x; rounds' ratios ${r.paired.toFixed(2)}x)`,
  );
}
cleanup();
