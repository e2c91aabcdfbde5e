// Failover timing of the full stacks side by side, same topology: real Redis (Debian's
// redis-server 7.0 data nodes + redis-sentinel) against Keyhaven (keyhaven-server data nodes +
// keyhaven-sentinel). 1 master + 2 replicas, 3 Sentinels (quorum 2, down-after-milliseconds
// 1000, failover-timeout 10000), an ioredis client in Sentinel mode writing `SET` + `WAIT 2 1000`
// (both replicas) in a loop. The master is killed with SIGKILL; we record, from the kill, the
// first time any Sentinel publishes +sdown (master), +odown, +elected-leader and +switch-master,
// and the first write that succeeds afterwards. Every write acknowledged by WAIT on both replicas
// must be on the new master afterwards ("missing" counts those that are not).
//
// Usage: node bench/failover.mjs [rounds=3]   (build first: pnpm -s run build)
// Rounds alternate between the two stacks so that machine noise hits both alike; the table shows
// medians. Loopback only, free ports, every process killed by PID at the end; bounded in time.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, sleep } from "./lib.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "packages/sentinel/package.json"));
const { Redis } = require("ioredis");
const SENTINEL_BIN = join(root, "packages/sentinel/bin/keyhaven-sentinel");
const SERVER_BIN = join(root, "packages/server/bin/keyhaven-server");
const ROUNDS = Number(process.argv[2] ?? 3);
const MASTER = "mymaster";

const procs = new Set();
const dirs = new Set();
function cleanup() {
  for (const p of procs) {
    if (p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {}
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

function tmp() {
  const d = mkdtempSync(join(tmpdir(), "kh-bench-"));
  dirs.add(d);
  return d;
}
function start(cmd, args) {
  const p = spawn(cmd, args, { stdio: "ignore" });
  procs.add(p);
  p.exited = new Promise((r) => p.on("exit", r));
  return p;
}
async function waitFor(check, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
async function cmd(port, ...args) {
  const c = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on("error", () => {});
  try {
    await c.connect();
    return await c.call(...args);
  } finally {
    c.disconnect();
  }
}
function toObj(flat) {
  const o = {};
  for (let i = 0; i < flat.length; i += 2) o[flat[i]] = flat[i + 1];
  return o;
}

/** A data node of `kind`: Debian's redis-server or keyhaven-server, same arguments. */
async function startNode(kind, port, extra = []) {
  const p = start(kind === "keyhaven" ? SERVER_BIN : "redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--dir",
    tmp(),
    ...extra,
  ]);
  await waitFor(async () => (await cmd(port, "PING")) === "PONG", `${kind} on ${port}`);
  return p;
}

async function round(kind) {
  const [mp, r1, r2] = [await freePort(), await freePort(), await freePort()];
  const master = await startNode(kind, mp);
  const replicas = [
    await startNode(kind, r1, ["--replicaof", "127.0.0.1", String(mp)]),
    await startNode(kind, r2, ["--replicaof", "127.0.0.1", String(mp)]),
  ];
  await waitFor(async () => {
    for (const p of [r1, r2])
      if (!String(await cmd(p, "INFO", "replication")).includes("master_link_status:up")) return false;
    return true;
  }, "replicas in sync");
  const sentinelPorts = [];
  const sentinels = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const dir = tmp();
    const conf = join(dir, "sentinel.conf");
    writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${MASTER} 127.0.0.1 ${mp} 2`,
        `sentinel down-after-milliseconds ${MASTER} 1000`,
        `sentinel failover-timeout ${MASTER} 10000`,
        "",
      ].join("\n"),
    );
    sentinels.push(
      kind === "keyhaven" ? start(SENTINEL_BIN, [conf]) : start("redis-server", [conf, "--sentinel"]),
    );
    sentinelPorts.push(port);
  }
  for (const port of sentinelPorts)
    await waitFor(async () => (await cmd(port, "PING")) === "PONG", `sentinel ${port}`);
  await waitFor(async () => {
    for (const port of sentinelPorts) {
      const m = toObj(await cmd(port, "SENTINEL", "MASTER", MASTER));
      if (m["num-slaves"] !== "2" || m["num-other-sentinels"] !== "2") return false;
    }
    return true;
  }, "discovery");

  // First occurrence of each event (any Sentinel), in ms since the kill.
  const first = {};
  let killedAt = 0;
  const subs = [];
  for (const port of sentinelPorts) {
    const sub = new Redis({ port, host: "127.0.0.1" });
    sub.on("error", () => {});
    await sub.psubscribe("*");
    sub.on("pmessage", (_p, channel, message) => {
      if (killedAt === 0) return;
      if (channel === "+sdown" && !message.startsWith("master ")) return;
      if (first[channel] === undefined) first[channel] = Date.now() - killedAt;
    });
    subs.push(sub);
  }

  const client = new Redis({
    sentinels: sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
    name: MASTER,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 20,
    sentinelRetryStrategy: () => 20,
  });
  client.on("error", () => {});
  await waitFor(async () => (await client.ping()) === "PONG", "client connected");

  const acked = [];
  let i = 0;
  let firstWriteAfterKill = null;
  // A write answered just before the master died does not count: only successes after the
  // first failure seen since the kill.
  let failedSinceKill = false;
  let stop = false;
  const writer = (async () => {
    while (!stop) {
      const key = `k:${i++}`;
      try {
        const ok = await Promise.race([client.set(key, key), sleep(500).then(() => "timeout")]);
        if (ok !== "OK") {
          if (killedAt !== 0) failedSinceKill = true;
          continue;
        }
        if (failedSinceKill && firstWriteAfterKill === null) firstWriteAfterKill = Date.now() - killedAt;
        const n = await Promise.race([client.call("WAIT", "2", "1000"), sleep(1500).then(() => -1)]);
        if (n >= 2) acked.push(key);
      } catch {
        if (killedAt !== 0) failedSinceKill = true;
        await sleep(10);
      }
    }
  })();
  await sleep(1500);
  killedAt = Date.now();
  master.kill("SIGKILL");
  await waitFor(
    () => firstWriteAfterKill !== null && first["+switch-master"] !== undefined,
    "writes to resume",
    30000,
  );
  await sleep(1000);
  stop = true;
  await writer;

  // Acknowledged writes present on the new master?
  const [ip, port] = await cmd(sentinelPorts[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER);
  let missing = 0;
  for (let j = 0; j < acked.length; j += 500) {
    const vals = await cmd(Number(port), "MGET", ...acked.slice(j, j + 500));
    for (const v of vals) if (v === null) missing++;
  }
  client.disconnect();
  for (const s of subs) s.disconnect();
  for (const p of [...sentinels, ...replicas]) p.kill("SIGKILL");
  await Promise.all([...sentinels, ...replicas, master].map((p) => p.exited));
  void ip;
  return {
    sdown: first["+sdown"],
    odown: first["+odown"],
    elected: first["+elected-leader"],
    switch: first["+switch-master"],
    writes: firstWriteAfterKill,
    acked: acked.length,
    missing,
  };
}

function median(xs) {
  const s = xs.filter((x) => x !== undefined && x !== null).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

const results = { redis: [], keyhaven: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of ["redis", "keyhaven"]) {
    const res = await round(kind);
    results[kind].push(res);
    console.log(`round ${r + 1} ${kind.padEnd(8)} ${JSON.stringify(res)}`);
  }
}
console.log("\nmedian ms after kill -9 of the master (down-after-milliseconds 1000), lower is better:");
console.log("phase            redis-server+sentinel  keyhaven-server+sentinel");
for (const k of ["sdown", "odown", "elected", "switch", "writes"]) {
  const a = median(results.redis.map((x) => x[k]));
  const b = median(results.keyhaven.map((x) => x[k]));
  console.log(`${`+${k}`.padEnd(16)} ${String(a).padStart(21)}  ${String(b).padStart(24)}`);
}
for (const kind of ["redis", "keyhaven"]) {
  const acked = results[kind].reduce((n, x) => n + x.acked, 0);
  const missing = results[kind].reduce((n, x) => n + x.missing, 0);
  console.log(`${kind}: ${acked} writes acknowledged by WAIT 2, ${missing} missing after failover`);
}
process.exit(0);
