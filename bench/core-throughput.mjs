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

import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuMs } from "./lib.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const KEYHAVEN_BIN = join(root, "packages/server/bin/keyhaven-server");

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

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const children = [];
function stopAll() {
  for (const p of children) {
    if (p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
}
process.on("exit", stopAll);
process.on("SIGINT", () => process.exit(130));

async function start(kind, port, dir) {
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ];
  // keyhaven-server runs `node` from PATH unless the project's bootstrapped one exists: make it
  // the Node running this script.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
  const proc = spawn(kind === "redis" ? "redis-server" : KEYHAVEN_BIN, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  children.push(proc);
  let out = "";
  proc.stdout.on("data", (d) => {
    out += d;
  });
  proc.stderr.on("data", (d) => {
    out += d;
  });
  const deadline = Date.now() + 15000;
  while (!/Ready to accept connections/.test(out)) {
    if (proc.exitCode !== null) throw new Error(`${kind} exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`${kind} not ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return proc;
}

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
  const dir = mkdtempSync(join(tmpdir(), "kh-bench-"));
  try {
    const [redisPort, khPort] = [await freePort(), await freePort()];
    const redis = await start("redis", redisPort, dir);
    const keyhaven = await start("keyhaven", khPort, dir);
    console.log(
      `redis-server pid ${redis.pid} port ${redisPort}; keyhaven-server pid ${keyhaven.pid} port ${khPort}; node ${process.version}; ${rounds} round(s), best kept`,
    );
    const rows = [];
    const pids = { redis: redis.pid, keyhaven: keyhaven.pid };
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
    redis.kill("SIGTERM");
    keyhaven.kill("SIGTERM");
  } finally {
    stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
