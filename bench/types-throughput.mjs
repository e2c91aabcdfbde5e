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

import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const KEYHAVEN_BIN = resolve(here, "../packages/server/bin/keyhaven-server");
const TESTS = "lpush,rpush,lpop,rpop,sadd,hset,spop,lrange_100";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
const rounds = option("rounds", 3);
const requests = option("requests", 100000);
const clients = option("clients", 50);

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
const dirs = [];
function cleanup() {
  for (const child of children) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

/** Sends one inline command and resolves with the first reply line (bounded wait). */
function ping(port) {
  return new Promise((res) => {
    const s = createConnection(port, "127.0.0.1");
    const timer = setTimeout(() => {
      s.destroy();
      res(false);
    }, 500);
    s.on("error", () => {
      clearTimeout(timer);
      res(false);
    });
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => {
      clearTimeout(timer);
      s.destroy();
      res(d.toString().startsWith("+PONG"));
    });
  });
}

async function start(name, bin) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `kh-bench-${name}-`));
  dirs.push(dir);
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir], {
    stdio: "ignore",
  });
  children.push(child);
  const deadline = Date.now() + 15000;
  while (!(await ping(port))) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, port, pid: child.pid };
}

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

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function main() {
  const redis = await start("redis", "redis-server");
  const keyhaven = await start("keyhaven", KEYHAVEN_BIN);
  console.log(
    `redis pid ${redis.pid} port ${redis.port}, keyhaven pid ${keyhaven.pid} port ${keyhaven.port}; ` +
      `${rounds} rounds of -c ${clients} -n ${requests} -t ${TESTS}`,
  );
  const samples = { redis: new Map(), keyhaven: new Map() };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [redis, keyhaven] : [keyhaven, redis];
    for (const server of order) {
      const result = await bench(server);
      for (const [test, rps] of result) {
        if (!samples[server.name].has(test)) samples[server.name].set(test, []);
        samples[server.name].get(test).push(rps);
      }
      process.stderr.write(`round ${round + 1}: ${server.name} done\n`);
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
