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

import { Conn, compareCommands } from "./lib.mjs";

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

/** An empty server but for the second dense key, for the union and the merge. */
async function prepare(server) {
  const conn = await Conn.connect(server.port);
  await conn.command("FLUSHALL");
  for (let i = 0; i < 10; i++) {
    const elements = Array.from({ length: 1000 }, (_, j) => `x${i * 1000 + j}`);
    await conn.command("PFADD", "dense2", ...elements);
  }
  conn.close();
}

await compareCommands({
  title: "HyperLogLog throughput",
  tests: TESTS,
  rounds: ROUNDS,
  requests: REQUESTS,
  prepare,
});
