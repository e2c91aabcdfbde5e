#!/usr/bin/env node
/**
 * HyperLogLog throughput, Keyhaven against real Redis in the same run: redis-benchmark with
 * custom commands against each server, alternating which goes first every round (FLUSHALL before
 * each run), median requests per second and the ratio keyhaven/redis:
 *
 *   PFADD sparse   PFADD hll:<rand> of 3 elements over 10k keys (small, sparse values)
 *   PFADD dense    PFADD of one random element to one key that is dense after its first ~3000
 *   PFCOUNT        PFCOUNT of that dense key (cached count, refreshed after each PFADD run)
 *   PFCOUNT 2 keys the union of two dense keys (no cache: 16384 registers merged per call)
 *   PFMERGE        PFMERGE of the two dense keys into a third
 *
 * Every server is killed by PID at the end. Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node bench/hyperloglog-throughput.mjs [rounds=3] [requests=100000]
 */

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { cleanup, median, start } from "./lib.mjs";

const run = promisify(execFile);
const ROUNDS = Number(process.argv[2] ?? 3);
const REQUESTS = Number(process.argv[3] ?? 100_000);

/** Name, extra redis-benchmark options, the command; the slow ones get a tenth of the requests. */
const TESTS = [
  ["PFADD sparse", ["-r", "10000"], ["PFADD", "hll:__rand_int__", "a", "b", "__rand_int__"], 1],
  ["PFADD dense", ["-r", "100000000"], ["PFADD", "dense1", "__rand_int__"], 1],
  ["PFCOUNT", [], ["PFCOUNT", "dense1"], 1],
  ["PFCOUNT 2 keys", [], ["PFCOUNT", "dense1", "dense2"], 10],
  ["PFMERGE", [], ["PFMERGE", "merged", "dense1", "dense2"], 10],
];

async function cli(port, ...argv) {
  await run("redis-cli", ["-p", String(port), ...argv]);
}

async function bench(port, options, argv, requests) {
  const { stdout } = await run(
    "redis-benchmark",
    ["-p", String(port), "-q", "-c", "50", "-n", String(requests), ...options, ...argv],
    { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
  );
  const m = /: ([\d.]+) requests per second/.exec(stdout.replace(/\r/g, "\n"));
  if (m === null) throw new Error(`redis-benchmark failed: ${stdout}`);
  return Number(m[1]);
}

async function main() {
  const servers = [await start("redis"), await start("keyhaven")];
  console.log(`HyperLogLog throughput: redis-benchmark -c 50, ${ROUNDS} rounds, median`);
  const samples = new Map(TESTS.map(([name]) => [name, { redis: [], keyhaven: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      await cli(server.port, "FLUSHALL");
      // The second dense key, for the union and the merge.
      for (let i = 0; i < 10; i++) {
        const elements = Array.from({ length: 1000 }, (_, j) => `x${i * 1000 + j}`);
        await cli(server.port, "PFADD", "dense2", ...elements);
      }
      for (const [name, options, argv, divisor] of TESTS) {
        samples.get(name)[server.kind].push(await bench(server.port, options, argv, REQUESTS / divisor));
      }
    }
  }
  for (const [name, { redis, keyhaven }] of samples) {
    const r = median(redis);
    const k = median(keyhaven);
    console.log(
      `${name.padEnd(16)} redis ${r.toFixed(0).padStart(8)} rps  keyhaven ${k.toFixed(0).padStart(8)} rps  ratio ${(k / r).toFixed(2)}x`,
    );
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
