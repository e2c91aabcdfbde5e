#!/usr/bin/env node
/**
 * Core throughput: redis-benchmark against keyhaven-server and a real redis-server started side
 * by side on free ports, alternating runs (so machine noise hits both alike), printing each
 * test's requests per second for both and the ratio keyhaven/redis.
 *
 *   node bench/core-throughput.mjs [--rounds N] [--requests N]
 *
 * Runs `redis-benchmark -c 50 -n 200000 -t set,get,incr,mset` and
 * `redis-benchmark -c 50 -n 200000 -P 16 -t set,get`; with several rounds the best rps of each
 * side is kept (the least disturbed run). Targets: non-pipelined >= 0.9x, pipelined >= 0.5x.
 * Both servers are stopped by PID at the end, also on failure or Ctrl-C.
 */

import { execFile } from "node:child_process";
import { dirname } from "node:path";
import { cleanup, cpuMs, start } from "./lib.mjs";

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
const rounds = option("--rounds", 3);
const requests = option("--requests", 200000);

const RUNS = [
  { label: "", args: ["-c", "50", "-n", String(requests), "-t", "set,get,incr,mset"], target: 0.9 },
  { label: " (-P 16)", args: ["-c", "50", "-n", String(requests), "-P", "16", "-t", "set,get"], target: 0.5 },
];

// keyhaven-server runs `node` from PATH unless the project's bootstrapped one exists: make it the
// Node running this script.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };

/** Runs redis-benchmark --csv; returns test name -> rps. */
function benchmark(port, args) {
  return new Promise((res, rej) => {
    execFile(
      "redis-benchmark",
      ["-h", "127.0.0.1", "-p", String(port), "--csv", ...args],
      { maxBuffer: 1 << 20 },
      (err, stdout) => {
        if (err) return rej(err);
        const result = new Map();
        for (const line of stdout.split("\n")) {
          const m = /^"([^"]+)","([\d.]+)"/.exec(line);
          if (m) result.set(m[1].replace(/ \(.*\)$/, ""), Number(m[2]));
        }
        res(result);
      },
    );
  });
}

async function main() {
  try {
    const redis = await start("redis", [], { env });
    const keyhaven = await start("keyhaven", [], { env });
    const [redisPort, khPort] = [redis.port, keyhaven.port];
    console.log(
      `redis-server pid ${redis.proc.pid} port ${redisPort}; keyhaven-server pid ${keyhaven.proc.pid} port ${khPort}; node ${process.version}; ${rounds} round(s), best kept`,
    );
    const rows = [];
    const pids = { redis: redis.proc.pid, keyhaven: keyhaven.proc.pid };
    for (const run of RUNS) {
      const best = { redis: new Map(), keyhaven: new Map() };
      // Server CPU time used over all rounds of this run, per side.
      const cpu = { redis: 0, keyhaven: 0 };
      const tests = run.args[run.args.indexOf("-t") + 1].split(",").length;
      for (let r = 0; r < rounds; r++) {
        // Alternate which side goes first so neither always runs on a warmer machine.
        const order = r % 2 === 0 ? ["redis", "keyhaven"] : ["keyhaven", "redis"];
        for (const side of order) {
          const before = cpuMs(pids[side]) / 1000;
          const result = await benchmark(side === "redis" ? redisPort : khPort, run.args);
          cpu[side] += cpuMs(pids[side]) / 1000 - before;
          for (const [test, rps] of result) best[side].set(test, Math.max(best[side].get(test) ?? 0, rps));
        }
      }
      for (const [test, rps] of best.redis) {
        const kh = best.keyhaven.get(test) ?? 0;
        rows.push({
          test: `${test}${run.label}`,
          redis: rps,
          keyhaven: kh,
          ratio: kh / rps,
          target: run.target,
        });
      }
      const perRequest = (side) => ((cpu[side] / (rounds * tests * requests)) * 1e6).toFixed(2);
      rows.push({
        note: `server CPU per request${run.label}: redis ${perRequest("redis")} us, keyhaven ${perRequest("keyhaven")} us`,
      });
    }
    const pad = (s, n) => String(s).padEnd(n);
    console.log(
      `\n${pad("test", 16)}${pad("redis rps", 14)}${pad("keyhaven rps", 14)}${pad("ratio", 8)}target`,
    );
    for (const row of rows) {
      if (row.note !== undefined) {
        console.log(`  (${row.note})`);
        continue;
      }
      const verdict = row.ratio >= row.target ? "" : "  (below)";
      console.log(
        `${pad(row.test, 16)}${pad(row.redis.toFixed(0), 14)}${pad(row.keyhaven.toFixed(0), 14)}${pad(row.ratio.toFixed(2), 8)}>= ${row.target}${verdict}`,
      );
    }
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
