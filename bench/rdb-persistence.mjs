#!/usr/bin/env node
/**
 * RDB persistence, keyhaven-server next to a real redis-server (same data, same machine, free
 * ports, both killed by PID at the end):
 *
 *   - SAVE time for N mixed keys (best of 3, client-side) and the resulting dump.rdb size;
 *   - restart-load time: the "DB loaded from disk: X seconds" line both servers log, and the wall
 *     time from spawn to the first PONG with the dataset loaded;
 *   - the CPU time the server process spent on SAVE and on the restart (from /proc/<pid>/stat,
 *     minus an empty start's): on a busy machine, wall times mostly measure the other processes,
 *     CPU times what the work costs;
 *   - p50/p99/p99.9/max latency of GET/SET from one client (one command at a time) while a BGSAVE
 *     runs, next to the same client's latency with no BGSAVE.
 *
 * Keys are strings of several encodings (ints, short, medium, incompressible, 1 in 8 with a TTL);
 * once keyhaven-server has the collection commands (the types branch), hashes, lists, sets and
 * sorted sets join the mix. Ratios are Redis's time / Keyhaven's time (higher is better for
 * Keyhaven; the target is >= 0.5 for save and load). Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node bench/rdb-persistence.mjs [keys]      (default 1000000)
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeCommand, REPLY_VALUE, ReplyParser, RespError } from "../packages/protocol/dist/index.js";
import { cpuMs, freePort, sleep, spawnServer } from "./lib.mjs";

const N = Number(process.argv[2] ?? 1_000_000);

class Client {
  static async open(port) {
    for (let i = 0; i < 600; i++) {
      const socket = await new Promise((res) => {
        const s = connect({ port, host: "127.0.0.1" }, () => res(s));
        s.once("error", () => res(null));
      });
      if (socket !== null) return new Client(socket);
      await sleep(25);
    }
    throw new Error(`cannot connect to ${port}`);
  }
  constructor(socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    this.parser = new ReplyParser({ strings: "latin1" });
    this.waiting = [];
    socket.on("data", (chunk) => {
      this.parser.feed(chunk);
      while (this.parser.next() === REPLY_VALUE) this.waiting.shift()(this.parser.value);
    });
    socket.on("error", () => {});
  }
  call(...args) {
    return new Promise((res) => {
      this.waiting.push(res);
      this.socket.write(encodeCommand(args));
    });
  }
  /** Sends commands pipelined; resolves with the replies. */
  pipeline(cmds) {
    const out = cmds.map(() => new Promise((res) => this.waiting.push(res)));
    this.socket.write(Buffer.concat(cmds.map((c) => encodeCommand(c))));
    return Promise.all(out);
  }
  close() {
    this.socket.destroy();
  }
}

/** Spawns the server without waiting for it (the restart is timed from here). */
function startProcess(kind, dir, port) {
  return spawnServer(kind, port, dir, ["--enable-debug-command", "yes"]);
}

async function stopProcess(proc) {
  if (proc.exitCode === null) proc.kill("SIGKILL");
  await proc.exited;
}

async function waitReady(c) {
  for (;;) {
    const r = await c.call("PING");
    if (r === "PONG") return;
    await sleep(5);
  }
}

/** The keys' commands, in batches (the same for both servers). */
function* batches(collections) {
  const batch = [];
  for (let i = 0; i < N; i++) {
    const key = `key:${i}`;
    switch (i % 8) {
      case 0:
      case 1:
        batch.push(["SET", key, `value:${i}:${"x".repeat(i % 40)}`]);
        break;
      case 2:
        batch.push(["SET", key, String(i * 13)]);
        break;
      case 3:
        batch.push(["SET", key, `${(i * 2654435761) % 4294967296}`.repeat(10)]);
        break;
      case 4:
        batch.push(["SET", key, `session:${i}`, "EX", "100000"]);
        break;
      case 5:
        batch.push(
          collections
            ? ["HSET", key, "name", `user${i}`, "age", String(i % 90), "city", "Paris"]
            : ["SET", key, `v${i}`],
        );
        break;
      case 6:
        batch.push(
          collections ? ["SADD", key, String(i), String(i + 1), String(i + 2)] : ["SET", key, `s:${i}`],
        );
        break;
      default:
        batch.push(
          collections
            ? i % 16 === 7
              ? ["RPUSH", key, "a", "b", String(i)]
              : ["ZADD", key, "1", "one", "2.5", "two", String(i), `m${i}`]
            : ["SET", key, `${i}`.padStart(30, "0")],
        );
    }
    if (batch.length === 10000) yield batch.splice(0);
  }
  if (batch.length > 0) yield batch;
}

async function populate(c, collections) {
  for (const b of batches(collections)) {
    const replies = await c.pipeline(b);
    const err = replies.find((r) => r instanceof RespError);
    if (err) throw new Error(`populate: ${err.message}`);
  }
}

function loadSecondsFromLog(log) {
  const m = /DB loaded from disk: ([\d.]+) seconds/.exec(log);
  return m ? Number(m[1]) : Number.NaN;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** GET/SET one at a time for `ms` (or until `until()` is true); latencies in ms, sorted. */
async function latencies(c, ms, until) {
  const out = [];
  const end = performance.now() + ms;
  let i = 0;
  while (performance.now() < end && !(until?.() ?? false)) {
    const key = `key:${(i * 7919) % N}`;
    const t0 = performance.now();
    if (i % 2 === 0) await c.call("GET", key);
    else await c.call("SET", `lat:${i % 1000}`, "v");
    out.push(performance.now() - t0);
    i++;
  }
  return out.sort((a, b) => a - b);
}

async function bgsaveLatency(c) {
  const base = await latencies(c, 2000);
  let done = false;
  const reply = await c.call("BGSAVE");
  if (reply !== "Background saving started") throw new Error(`BGSAVE: ${reply}`);
  const t0 = performance.now();
  // A second connection polls for the end, so the measuring client stays one-command-at-a-time.
  const poller = await Client.open(c.port);
  const poll = (async () => {
    for (;;) {
      const info = String(await poller.call("INFO", "persistence"));
      if (info.includes("rdb_bgsave_in_progress:0")) break;
      await sleep(20);
    }
    done = true;
  })();
  const during = await latencies(c, 600_000, () => done);
  await poll;
  poller.close();
  return { base, during, bgsaveMs: performance.now() - t0 };
}

async function run(kind, collections) {
  const dir = mkdtempSync(join(tmpdir(), `kh-bench-${kind}-`));
  const port = await freePort();
  let proc = startProcess(kind, dir, port);
  try {
    let c = await Client.open(port);
    c.port = port;
    await waitReady(c);
    const t0 = performance.now();
    await populate(c, collections);
    const populateMs = performance.now() - t0;
    const dbsize = await c.call("DBSIZE");
    const saves = [];
    const saveCpus = [];
    for (let i = 0; i < 3; i++) {
      const c0 = cpuMs(proc.pid);
      const s0 = performance.now();
      const r = await c.call("SAVE");
      if (r !== "OK") throw new Error(`SAVE: ${r}`);
      saves.push(performance.now() - s0);
      saveCpus.push(cpuMs(proc.pid) - c0);
    }
    const saveMs = Math.min(...saves);
    const saveCpu = Math.min(...saveCpus);
    const size = statSync(join(dir, "dump.rdb")).size;
    const lat = await bgsaveLatency(c);
    // No reply comes back from SHUTDOWN: the connection just closes.
    void c.call("SHUTDOWN", "NOSAVE");
    await proc.exited;
    c.close();
    // Restart on the file.
    const r0 = performance.now();
    proc = startProcess(kind, dir, port);
    c = await Client.open(port);
    await waitReady(c);
    const restartMs = performance.now() - r0;
    const restartCpu = cpuMs(proc.pid);
    const loadedKeys = await c.call("DBSIZE");
    await sleep(100);
    const loadSec = loadSecondsFromLog(proc.log);
    c.close();
    await stopProcess(proc);
    // Empty start, for the part of the restart that is not loading.
    rmSync(join(dir, "dump.rdb"));
    const e0 = performance.now();
    proc = startProcess(kind, dir, port);
    c = await Client.open(port);
    await waitReady(c);
    const emptyStartMs = performance.now() - e0;
    const loadCpu = restartCpu - cpuMs(proc.pid);
    c.close();
    await stopProcess(proc);
    return {
      kind,
      dbsize,
      loadedKeys,
      populateMs,
      saveMs,
      saveCpu,
      size,
      restartMs,
      loadSec,
      loadCpu,
      emptyStartMs,
      ...lat,
    };
  } finally {
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function keyhavenHasCollections() {
  const dir = mkdtempSync(join(tmpdir(), "kh-bench-probe-"));
  const port = await freePort();
  const proc = startProcess("keyhaven", dir, port);
  try {
    const c = await Client.open(port);
    await waitReady(c);
    const r = await c.call("RPUSH", "probe", "x");
    // The commands exist; loading them from RDB needs the factories too: check with a reload.
    const ok = !(r instanceof RespError) && (await c.call("DEBUG", "RELOAD")) === "OK";
    c.close();
    return ok;
  } finally {
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (spawnSync("redis-server", ["--version"]).status !== 0) {
  console.log("redis-server is not installed: nothing to compare with");
  process.exit(0);
}
const collections = await keyhavenHasCollections();
console.log(
  `RDB persistence, ${N} keys (${collections ? "strings, hashes, sets, sorted sets, lists" : "strings of several encodings; collections once merged"}), 1 in 8 with a TTL`,
);
const redis = await run("redis", collections);
const keyhaven = await run("keyhaven", collections);

const f = (n, d = 0) => n.toFixed(d);
const row = (label, r, k, unit, d = 0, ratio = null) =>
  console.log(
    `${label.padEnd(38)} ${f(r, d).padStart(10)} ${f(k, d).padStart(10)} ${unit.padEnd(5)}${ratio === null ? "" : `  ratio ${ratio.toFixed(2)}x`}`,
  );
console.log(`${"".padEnd(38)} ${"redis".padStart(10)} ${"keyhaven".padStart(10)}`);
row("keys", redis.dbsize, keyhaven.dbsize, "");
row("SAVE (best of 3)", redis.saveMs, keyhaven.saveMs, "ms", 0, redis.saveMs / keyhaven.saveMs);
row("SAVE, server CPU", redis.saveCpu, keyhaven.saveCpu, "ms", 0, redis.saveCpu / keyhaven.saveCpu);
row("dump.rdb size", redis.size / 1e6, keyhaven.size / 1e6, "MB", 2, redis.size / keyhaven.size);
row(
  "load (as logged)",
  redis.loadSec * 1000,
  keyhaven.loadSec * 1000,
  "ms",
  0,
  redis.loadSec / keyhaven.loadSec,
);
row(
  "load, server CPU (minus empty start)",
  redis.loadCpu,
  keyhaven.loadCpu,
  "ms",
  0,
  redis.loadCpu / keyhaven.loadCpu,
);
row(
  "restart to PONG, loaded",
  redis.restartMs,
  keyhaven.restartMs,
  "ms",
  0,
  redis.restartMs / keyhaven.restartMs,
);
row("restart to PONG, empty", redis.emptyStartMs, keyhaven.emptyStartMs, "ms");
row("keys after restart", redis.loadedKeys, keyhaven.loadedKeys, "");
row("BGSAVE duration", redis.bgsaveMs, keyhaven.bgsaveMs, "ms");
for (const [name, p] of [
  ["p50", 50],
  ["p99", 99],
  ["p99.9", 99.9],
]) {
  row(`GET/SET ${name}, idle`, percentile(redis.base, p), percentile(keyhaven.base, p), "ms", 3);
  row(`GET/SET ${name}, during BGSAVE`, percentile(redis.during, p), percentile(keyhaven.during, p), "ms", 3);
}
row("GET/SET max, during BGSAVE", redis.during.at(-1), keyhaven.during.at(-1), "ms", 2);
row("commands served during BGSAVE", redis.during.length, keyhaven.during.length, "");
