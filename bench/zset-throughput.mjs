#!/usr/bin/env node
/**
 * Sorted set throughput, Keyhaven against real Redis (Debian's redis-server 7.0), side by side
 * on free ports, driven by redis-benchmark with the same arguments:
 *
 *   redis-benchmark -q -c 50 -n 100000 -t zadd,zpopmin          (the built-in tests)
 *   ZRANGEBYSCORE bigz <random> +inf LIMIT 0 10                   on a pre-filled 100k set
 *   ZRANGEBYSCORE bigz <random> <random+100>  (about 10 members)  on the same set
 *   ZRANK bigz member:<random>                                    on the same set
 *   ZSCORE bigz member:<random>, ZADD bigz <random> member:<random> (updates, O(log n))
 *
 * The machine may be shared, so the servers take turns, each test runs `--rounds` times
 * (default 3) alternating the servers, and the best round of each server is reported (the
 * round least disturbed by other load), with the ratio keyhaven/redis (target >= 0.9). Next to
 * requests per second, the server's own CPU time per request (utime+stime from /proc, best
 * round) is shown: it moves much less than wall-clock rates when other work shares the cores.
 *
 * Usage: node bench/zset-throughput.mjs [--rounds N] [-n requests]   (build first: pnpm run build)
 */

import { execFileSync } from "node:child_process";
import { cpuMs } from "./lib.mjs";
import { startServer } from "./zset-lib.mjs";

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const ROUNDS = opt("--rounds", 3);
const N = opt("-n", 100_000);
const SET_SIZE = 100_000;

/** redis-benchmark's __rand_int__ is a 12-digit zero-padded number below -r. */
const pad = (i) => String(i).padStart(12, "0");

async function prefill(conn) {
  await conn.pipeline(
    SET_SIZE / 100,
    (b) => {
      const args = ["ZADD", "bigz"];
      for (let j = 0; j < 100; j++) {
        const i = b * 100 + j;
        args.push(i, `member:${pad(i)}`);
      }
      return args;
    },
    100,
  );
}

const TESTS = [
  { name: "ZADD", args: ["-t", "zadd"] },
  { name: "ZPOPMIN", args: ["-t", "zpopmin"] },
  {
    name: "ZRANGEBYSCORE +inf LIMIT 0 10",
    args: ["-r", String(SET_SIZE), "ZRANGEBYSCORE", "bigz", "__rand_int__", "+inf", "LIMIT", "0", "10"],
  },
  {
    name: "ZRANGEBYSCORE r (r+10 WITHSCORES",
    args: [
      "-r",
      String(SET_SIZE),
      "ZRANGE",
      "bigz",
      "__rand_int__",
      "+inf",
      "BYSCORE",
      "LIMIT",
      "0",
      "10",
      "WITHSCORES",
    ],
  },
  { name: "ZRANK", args: ["-r", String(SET_SIZE), "ZRANK", "bigz", "member:__rand_int__"] },
  { name: "ZSCORE", args: ["-r", String(SET_SIZE), "ZSCORE", "bigz", "member:__rand_int__"] },
  {
    name: "ZADD update (100k set)",
    args: ["-r", String(SET_SIZE), "ZADD", "bigz", "__rand_int__", "member:__rand_int__"],
  },
];

function bench(port, args) {
  const out = execFileSync(
    "redis-benchmark",
    ["-p", String(port), "-q", "-c", "50", "-n", String(N), ...args],
    {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  // "ZADD: 81234.56 requests per second, p50=0.311 msec" (the last \r-separated update).
  const line =
    out
      .split(/[\r\n]/)
      .filter((l) => /requests per second/.test(l))
      .pop() ?? "";
  const m = /([\d.]+) requests per second/.exec(line);
  if (!m) throw new Error(`cannot parse redis-benchmark output: ${out}`);
  return Number(m[1]);
}

const redis = await startServer("redis");
const keyhaven = await startServer("keyhaven");
for (const s of [redis, keyhaven]) {
  await prefill(s.conn);
  const card = await s.conn.call("ZCARD", "bigz");
  if (card !== `:${SET_SIZE}`) throw new Error(`${s.kind}: prefill gave ${card}`);
}
console.log(`redis-benchmark -q -c 50 -n ${N}, best of ${ROUNDS} alternating rounds`);
console.log(
  `${"test".padEnd(34)} ${"redis rps".padStart(10)} ${"keyhaven".padStart(10)}  ratio | server CPU us/request: redis keyhaven ratio`,
);
for (const t of TESTS) {
  const rps = { redis: 0, keyhaven: 0 };
  const cpu = { redis: Number.POSITIVE_INFINITY, keyhaven: Number.POSITIVE_INFINITY };
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of r % 2 === 0 ? [redis, keyhaven] : [keyhaven, redis]) {
      const c0 = cpuMs(s.pid);
      rps[s.kind] = Math.max(rps[s.kind], bench(s.port, t.args));
      cpu[s.kind] = Math.min(cpu[s.kind], ((cpuMs(s.pid) - c0) * 1000) / N);
    }
  }
  console.log(
    `${t.name.padEnd(34)} ${rps.redis.toFixed(0).padStart(10)} ${rps.keyhaven.toFixed(0).padStart(10)}  ${(rps.keyhaven / rps.redis).toFixed(2)}x |` +
      ` ${cpu.redis.toFixed(1).padStart(5)} ${cpu.keyhaven.toFixed(1).padStart(8)} ${(cpu.keyhaven / cpu.redis).toFixed(2)}x`,
  );
}
redis.stop();
keyhaven.stop();
process.exit(0);
