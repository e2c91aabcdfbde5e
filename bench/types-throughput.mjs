#!/usr/bin/env node
/**
 * Throughput of the list, hash and set hot paths, Keyhaven against real Redis in the same run:
 * starts Debian's redis-server and keyhaven-server side by side on free ports, runs
 * `redis-benchmark -q -c 50 -n 100000 -t lpush,rpush,lpop,rpop,sadd,hset,spop,lrange_100`
 * against each, alternating which goes first every round (FLUSHALL before each run), and prints
 * each test's median requests per second and the ratio keyhaven/redis. Both servers are killed
 * by PID at the end, also on errors and Ctrl-C.
 *
 *   node bench/types-throughput.mjs [--rounds 3] [--requests 100000] [--clients 50]
 *
 * Needs a built server (`pnpm -s run build`), redis-server and redis-benchmark on PATH. The
 * numbers are only comparable within one run on one machine: both servers share its cores with
 * redis-benchmark.
 */

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { cleanup, median, start } from "./lib.mjs";

const run = promisify(execFile);
const TESTS = "lpush,rpush,lpop,rpop,sadd,hset,spop,lrange_100";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
const rounds = option("rounds", 3);
const requests = option("requests", 100000);
const clients = option("clients", 50);

/** One redis-benchmark run: test name -> requests per second. */
async function bench(server) {
  await run("redis-cli", ["-p", String(server.port), "FLUSHALL"]);
  const { stdout } = await run(
    "redis-benchmark",
    ["-p", String(server.port), "-q", "-c", String(clients), "-n", String(requests), "-t", TESTS],
    { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
  );
  const result = new Map();
  for (const raw of stdout.split("\n")) {
    const line = raw.split("\r").pop().trim();
    const m = /^(.+?): ([\d.]+) requests per second/.exec(line);
    if (m) result.set(m[1], Number(m[2]));
  }
  return result;
}

async function main() {
  const redis = await start("redis");
  const keyhaven = await start("keyhaven");
  console.log(
    `redis pid ${redis.proc.pid} port ${redis.port}, keyhaven pid ${keyhaven.proc.pid} port ${keyhaven.port}; ` +
      `${rounds} rounds of -c ${clients} -n ${requests} -t ${TESTS}`,
  );
  const samples = { redis: new Map(), keyhaven: new Map() };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [redis, keyhaven] : [keyhaven, redis];
    for (const server of order) {
      const result = await bench(server);
      for (const [test, rps] of result) {
        if (!samples[server.kind].has(test)) samples[server.kind].set(test, []);
        samples[server.kind].get(test).push(rps);
      }
      process.stderr.write(`round ${round + 1}: ${server.kind} done\n`);
    }
  }
  const rows = [];
  for (const [test, values] of samples.redis) {
    const r = median(values);
    const k = median(samples.keyhaven.get(test) ?? [0]);
    rows.push([test, r.toFixed(0), k.toFixed(0), (k / r).toFixed(2)]);
  }
  const widths = [40, 12, 12, 8];
  const fmt = (cols) => cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" ");
  console.log(fmt(["test", "redis rps", "keyhaven", "ratio"]));
  for (const row of rows) console.log(fmt(row));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
