#!/usr/bin/env node
/**
 * Replication benchmark, Keyhaven side by side with Debian's redis-server in the same topology
 * and configuration, ratios printed (Keyhaven / Redis for times, Keyhaven / Redis for
 * throughput). Not a test: nothing is asserted.
 *
 * 1. Full-sync time for 100k and 1M keys, diskless (repl-diskless-sync yes, delay 0) and disk-based:
 *    from REPLICAOF until the replica reports its link up at the master's offset. The replica
 *    keeps the default repl-diskless-load (disabled: the RDB goes through a file), as both sides do.
 *    Keys are strings (values of 10-100 bytes, a third with a TTL); once the collection types are
 *    implemented (COMMAND INFO finds them) a share of hashes, sets, sorted sets and lists is mixed in.
 * 2. Catch-up after a partial resync: the replica is pointed away, 100k writes happen, and it comes
 *    back: the time until it is at the master's offset (PSYNC + applying the gap).
 * 3. `redis-benchmark -q -c 50 -n 100000 -t set,get` against a master with two replicas attached.
 *
 * Targets (issue 6): full sync <= 1.5x Redis's time; throughput with two replicas >= 0.9x Redis's.
 *
 * Each figure is the best of --runs runs (default 3), Keyhaven and Redis alternating, so that a
 * busy machine disturbs both sides alike. Next to the times, the CPU the servers used (from
 * /proc/<pid>/stat, Redis's fork children included once reaped): on a shared machine other
 * processes' load moves wall-clock times a lot more than it moves CPU per sync or per request.
 *
 *   pnpm -s run build && node bench/replication.mjs [--keys 100000,1000000] [--runs 3] [--quick]
 *     [--parts fullsync,catchup,throughput] [--timeline] [--tests set,get] [--warmup 100000]
 *
 * --timeline prints, after each full sync, both servers' log lines since REPLICAOF with their
 * time relative to it (PSYNC received, snapshot start, transfer end, load done...) and the CPU of
 * master and replica apart.
 * --warmup N: the throughput part first sends N unmeasured requests of each test (both servers
 * alike), so the measured run is a long-running server's steady state; the warm-up's own rates
 * are printed as the cold figures.
 */

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { encodeCommand, REPLY_VALUE, ReplyParser } from "../packages/protocol/dist/index.js";
import { cpuMs, freePort, sleep } from "./lib.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const KEYHAVEN = join(root, "packages/server/bin/keyhaven-server");

const { values: opts } = parseArgs({
  options: {
    keys: { type: "string", default: "100000,1000000" },
    quick: { type: "boolean", default: false },
    gap: { type: "string", default: "100000" },
    runs: { type: "string", default: "3" },
    parts: { type: "string", default: "fullsync,catchup,throughput" },
    timeline: { type: "boolean", default: false },
    tests: { type: "string", default: "set,get" },
    warmup: { type: "string", default: "100000" },
  },
});
/** Which redis-benchmark tests the throughput part runs (--tests set,get). */
const TESTS = opts.tests.split(",").map((t) => t.toLowerCase());
/**
 * --warmup N: N unmeasured requests of each test before the measured ones, on both servers alike.
 * Keyhaven's figures from cold processes include V8 compiling the request path (on a 100k run,
 * measured: master ~2-5 us and each replica ~1-3 us per SET more than once warm).
 */
const WARMUP = Number(opts.warmup);
/** Each measurement is repeated, alternating Keyhaven and Redis; the best run of each counts. */
const RUNS = Math.max(1, Number(opts.runs));
const KEY_COUNTS = opts.quick ? [100_000] : opts.keys.split(",").map(Number);
const GAP_WRITES = Number(opts.gap);
/** Which measurements run (all by default); e.g. `--parts fullsync` for quick iterations. */
const PARTS = new Set(opts.parts.split(","));
for (const p of PARTS) {
  if (!["fullsync", "catchup", "throughput"].includes(p)) {
    console.error(`unknown part '${p}' (fullsync, catchup, throughput)`);
    process.exit(1);
  }
}

if (spawnSync("redis-server", ["--version"]).status !== 0) {
  console.error("redis-server is not installed: nothing to compare with");
  process.exit(1);
}

// ---- Processes --------------------------------------------------------------------------------

const started = new Set();
const dirs = new Set();
process.on("exit", () => {
  for (const p of started) if (p.exitCode === null) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
process.on("SIGINT", () => process.exit(130));

async function startNode(kind, args, logfile = false) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `kh-repl-bench-${kind}-`));
  dirs.add(dir);
  const all = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...args];
  if (logfile) all.push("--logfile", join(dir, "log"));
  const proc = spawn(kind === "keyhaven" ? KEYHAVEN : "redis-server", all, { stdio: "ignore" });
  started.add(proc);
  const client = await Client.connect(port);
  return { kind, port, proc, c: client, dir };
}

/**
 * Log lines written at or after `t0` (Unix ms), as [ms since t0, text]. Keyhaven logs JSON lines
 * with an ISO time; Redis logs `pid:R dd Mon yyyy hh:mm:ss.mmm * text` in local time.
 */
function logSince(path, t0) {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out = [];
  for (const line of text.split("\n")) {
    let t = Number.NaN;
    let msg = "";
    if (line.startsWith("{")) {
      const j = JSON.parse(line);
      t = Date.parse(j.time);
      msg = j.msg;
    } else {
      const m = line.match(/^\d+:\w (\d+ \w+ \d+ [\d:.]+) [*#.-] (.*)$/);
      if (m !== null) {
        t = Date.parse(m[1]);
        msg = m[2];
      }
    }
    if (t >= t0) out.push([t - t0, msg]);
  }
  return out;
}

async function stopNode(n) {
  n.c.close();
  n.proc.kill("SIGKILL");
  await new Promise((r) => (n.proc.exitCode !== null ? r() : n.proc.once("exit", r)));
  started.delete(n.proc);
  rmSync(n.dir, { recursive: true, force: true });
}

/** A pipelining RESP client. */
class Client {
  static async connect(port) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const c = await new Promise((res, rej) => {
          const s = new Socket();
          s.once("error", rej);
          s.connect(port, "127.0.0.1", () => {
            s.off("error", rej);
            res(new Client(s));
          });
        });
        if ((await c.call("PING")) === "PONG") return c;
        c.close();
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`no server on port ${port}`);
      await sleep(50);
    }
  }
  constructor(socket) {
    this.socket = socket;
    this.parser = new ReplyParser({ strings: "latin1" });
    this.waiting = [];
    socket.setNoDelay(true);
    socket.on("data", (chunk) => {
      this.parser.feed(chunk);
      while (this.parser.next() === REPLY_VALUE) this.waiting.shift()?.(this.parser.value);
    });
  }
  call(...args) {
    return new Promise((res) => {
      this.waiting.push(res);
      this.socket.write(encodeCommand(args));
    });
  }
  /** Sends many commands with bounded in-flight batches. */
  async pipeline(commands, batch = 5000) {
    for (let i = 0; i < commands.length; i += batch) {
      const slice = commands.slice(i, i + batch);
      const replies = slice.map(
        () =>
          new Promise((res) => {
            this.waiting.push(res);
          }),
      );
      this.socket.write(Buffer.concat(slice.map((a) => encodeCommand(a))));
      await Promise.all(replies);
    }
  }
  close() {
    this.socket.destroy();
  }
}

async function info(c, section) {
  const map = new Map();
  for (const line of String(await c.call("INFO", section)).split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

async function waitInSync(master, replica, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await info(replica.c, "replication");
    if (r.get("master_link_status") === "up" && r.get("master_sync_in_progress") === "0") {
      const m = await info(master.c, "replication");
      if (r.get("slave_repl_offset") === m.get("master_repl_offset")) return;
    }
    if (Date.now() > deadline) throw new Error("replica did not catch up in time");
    await sleep(5);
  }
}

// ---- Data -------------------------------------------------------------------------------------

async function hasTypes(c) {
  const reply = await c.call("COMMAND", "INFO", "hset", "sadd", "zadd", "rpush");
  return Array.isArray(reply) && reply.every((x) => x !== null);
}

function commandsFor(n, mixed) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const key = `key:${i}`;
    const kind = mixed ? i % 8 : 0;
    if (kind <= 4) {
      out.push(["SET", key, `value:${i}:${"x".repeat(i % 90)}`]);
    } else if (kind === 5) {
      out.push(["HSET", key, "name", `user${i}`, "age", String(i % 100), "city", "somewhere"]);
    } else if (kind === 6) {
      out.push(["SADD", key, "a", "b", String(i), String(i * 7)]);
    } else {
      out.push(["ZADD", key, "1", "one", "2.5", "two", String(i), `m${i}`]);
    }
    if (i % 3 === 0) out.push(["PEXPIRE", key, "86400000"]);
  }
  return out;
}

async function fill(c, n, mixed) {
  const chunk = 100_000;
  for (let i = 0; i < n; i += chunk) {
    const cmds = commandsFor(Math.min(chunk, n - i), mixed).map((a) =>
      a.map((x, j) => (j === 1 ? `${x}:${i}` : x)),
    );
    await c.pipeline(cmds);
  }
}

// ---- Measurements -----------------------------------------------------------------------------

async function fullSync(kind, keys, diskless, mixed) {
  const master = await startNode(
    kind,
    ["--repl-diskless-sync", diskless ? "yes" : "no", "--repl-diskless-sync-delay", "0"],
    opts.timeline,
  );
  const replica = await startNode(kind, ["--repl-timeout", "600"], opts.timeline);
  try {
    await fill(master.c, keys, mixed);
    const masterCpu0 = cpuMs(master.proc.pid, true);
    const replicaCpu0 = cpuMs(replica.proc.pid, true);
    const wall0 = Date.now();
    const t0 = performance.now();
    await replica.c.call("REPLICAOF", "127.0.0.1", String(master.port));
    await waitInSync(master, replica);
    const ms = performance.now() - t0;
    // The fork of a Redis master is reaped (and counted) by its cron shortly after the transfer.
    if (kind === "redis") await sleep(300);
    const masterCpu = cpuMs(master.proc.pid, true) - masterCpu0;
    const replicaCpu = cpuMs(replica.proc.pid, true) - replicaCpu0;
    const cpu = masterCpu + replicaCpu;
    if (opts.timeline) {
      console.log(
        `    ${kind} ${keys} keys ${diskless ? "diskless" : "disk"}: ${ms.toFixed(0)} ms, CPU master ${masterCpu} ms, replica ${replicaCpu} ms`,
      );
      const lines = [
        ...logSince(join(master.dir, "log"), wall0).map(([t, m]) => [t, "master ", m]),
        ...logSince(join(replica.dir, "log"), wall0).map(([t, m]) => [t, "replica", m]),
      ].sort((a, b) => a[0] - b[0]);
      for (const [t, who, m] of lines)
        console.log(`      ${String(t).padStart(5)} ms ${who} ${m.slice(0, 110)}`);
    }
    const size = Number((await replica.c.call("DBSIZE")) ?? 0);
    if (size !== keys) throw new Error(`${kind}: replica has ${size} keys, expected ${keys}`);
    return { ms, cpu };
  } finally {
    await stopNode(master);
    await stopNode(replica);
  }
}

async function catchUp(kind, writes) {
  const master = await startNode(kind, ["--repl-backlog-size", "256mb"]);
  const replica = await startNode(kind, []);
  const nowhere = await freePort();
  try {
    await replica.c.call("REPLICAOF", "127.0.0.1", String(master.port));
    await waitInSync(master, replica);
    await replica.c.call("REPLICAOF", "127.0.0.1", String(nowhere));
    const cmds = [];
    for (let i = 0; i < writes; i++) cmds.push(["SET", `gap:${i % 50000}`, `v${i}`]);
    await master.c.pipeline(cmds);
    const partialBefore = Number((await info(master.c, "stats")).get("sync_partial_ok"));
    const t0 = performance.now();
    await replica.c.call("REPLICAOF", "127.0.0.1", String(master.port));
    await waitInSync(master, replica);
    const ms = performance.now() - t0;
    const partialAfter = Number((await info(master.c, "stats")).get("sync_partial_ok"));
    if (partialAfter !== partialBefore + 1) throw new Error(`${kind}: expected a partial resync`);
    return ms;
  } finally {
    await stopNode(master);
    await stopNode(replica);
  }
}

async function throughput(kind) {
  const master = await startNode(kind, []);
  const r1 = await startNode(kind, []);
  const r2 = await startNode(kind, []);
  try {
    await r1.c.call("REPLICAOF", "127.0.0.1", String(master.port));
    await r2.c.call("REPLICAOF", "127.0.0.1", String(master.port));
    await waitInSync(master, r1);
    await waitInSync(master, r2);
    const rates = {};
    const coldRates = {};
    const cpu = {};
    for (const t of TESTS) {
      if (WARMUP > 0) {
        const warm = spawnSync(
          "redis-benchmark",
          ["-h", "127.0.0.1", "-p", String(master.port), "-q", "-c", "50", "-n", String(WARMUP), "-t", t],
          { encoding: "utf8" },
        );
        for (const m of warm.stdout.matchAll(/(SET|GET): ([\d.]+) requests per second/g))
          coldRates[m[1]] = Number(m[2]);
        await waitInSync(master, r1);
        await waitInSync(master, r2);
      }
      const before = cpuMs(master.proc.pid, true);
      const replicasBefore = cpuMs(r1.proc.pid, true) + cpuMs(r2.proc.pid, true);
      const run = spawnSync(
        "redis-benchmark",
        ["-h", "127.0.0.1", "-p", String(master.port), "-q", "-c", "50", "-n", "100000", "-t", t],
        { encoding: "utf8" },
      );
      for (const m of run.stdout.matchAll(/(SET|GET): ([\d.]+) requests per second/g))
        rates[m[1]] = Number(m[2]);
      // Microseconds per request: the master's, and its two replicas' together.
      cpu[t.toUpperCase()] = {
        master: ((cpuMs(master.proc.pid, true) - before) * 1000) / 100000,
        replicas: ((cpuMs(r1.proc.pid, true) + cpuMs(r2.proc.pid, true) - replicasBefore) * 1000) / 100000,
      };
    }
    await waitInSync(master, r1);
    await waitInSync(master, r2);
    return { rates, coldRates, cpu };
  } finally {
    await stopNode(master);
    await stopNode(r1);
    await stopNode(r2);
  }
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (k, r) => (k / r).toFixed(2);

const probe = await startNode("keyhaven", []);
const mixed = await hasTypes(probe.c);
await stopNode(probe);
console.log(
  `Replication benchmark (keys: ${mixed ? "mixed types" : "strings only, the collection types are not in this build"})`,
);
console.log("");

/** Best (lowest time, or highest rate with `higher`) of RUNS alternating runs. */
async function best(fnK, fnR, pick = Math.min) {
  const k = [];
  const r = [];
  for (let i = 0; i < RUNS; i++) {
    k.push(await fnK());
    r.push(await fnR());
  }
  return [pick(...k), pick(...r)];
}

/** Like best() for full syncs: the lowest time and, separately, the lowest CPU of each side. */
async function bestSync(fnK, fnR) {
  const k = [];
  const r = [];
  for (let i = 0; i < RUNS; i++) {
    k.push(await fnK());
    r.push(await fnR());
  }
  const low = (xs, f) => Math.min(...xs.map(f));
  return {
    k: low(k, (x) => x.ms),
    r: low(r, (x) => x.ms),
    kCpu: low(k, (x) => x.cpu),
    rCpu: low(r, (x) => x.cpu),
  };
}

if (PARTS.has("fullsync")) {
  console.log(
    `Full sync (REPLICAOF until the replica is at the master's offset, best of ${RUNS})   target: ratio <= 1.5`,
  );
  for (const keys of KEY_COUNTS) {
    for (const diskless of [true, false]) {
      const { k, r, kCpu, rCpu } = await bestSync(
        () => fullSync("keyhaven", keys, diskless, mixed),
        () => fullSync("redis", keys, diskless, mixed),
      );
      console.log(
        `  ${String(keys).padStart(8)} keys  ${diskless ? "diskless" : "disk    "}  keyhaven ${fmt(k).padStart(8)}  redis ${fmt(r).padStart(8)}  ratio ${ratio(k, r)}   CPU master+replica keyhaven ${fmt(kCpu)}  redis ${fmt(rCpu)}  ratio ${ratio(kCpu, rCpu)}`,
      );
    }
  }
  console.log("");
}

if (PARTS.has("catchup")) {
  console.log(`Catch-up after a partial resync (${GAP_WRITES} writes missed, best of ${RUNS})`);
  {
    const [k, r] = await best(
      () => catchUp("keyhaven", GAP_WRITES),
      () => catchUp("redis", GAP_WRITES),
    );
    console.log(`  keyhaven ${fmt(k)}  redis ${fmt(r)}  ratio ${ratio(k, r)}`);
  }
  console.log("");
}

if (PARTS.has("throughput")) {
  console.log(
    `redis-benchmark -q -c 50 -n 100000 -t ${TESTS.join(",")}, master with two replicas${WARMUP > 0 ? `, after ${WARMUP} unmeasured requests` : ""}, best of ${RUNS}   target: ratio >= 0.9`,
  );
  {
    const ks = [];
    const rs = [];
    for (let i = 0; i < RUNS; i++) {
      ks.push(await throughput("keyhaven"));
      rs.push(await throughput("redis"));
    }
    const us = (xs, t, side) => Math.min(...xs.map((x) => x.cpu[t][side]));
    for (const t of TESTS.map((x) => x.toUpperCase())) {
      const k = Math.max(...ks.map((x) => x.rates[t] ?? 0));
      const r = Math.max(...rs.map((x) => x.rates[t] ?? 0));
      const cpu = (xs) => `${us(xs, t, "master").toFixed(1)}/${us(xs, t, "replicas").toFixed(1)}`;
      console.log(
        `  ${t}  keyhaven ${String(Math.round(k)).padStart(7)}/s  redis ${String(Math.round(r)).padStart(7)}/s  ratio ${ratio(k, r)}   CPU us/request master/replicas keyhaven ${cpu(ks)}  redis ${cpu(rs)}  master ratio ${ratio(us(ks, t, "master"), us(rs, t, "master"))}  replicas ratio ${ratio(us(ks, t, "replicas"), us(rs, t, "replicas"))}`,
      );
      if (WARMUP > 0) {
        const ck = Math.max(...ks.map((x) => x.coldRates[t] ?? 0));
        const cr = Math.max(...rs.map((x) => x.coldRates[t] ?? 0));
        console.log(
          `  ${t}  cold (the warm-up run)  keyhaven ${String(Math.round(ck)).padStart(7)}/s  redis ${String(Math.round(cr)).padStart(7)}/s  ratio ${ratio(ck, cr)}`,
        );
      }
    }
  }
}
