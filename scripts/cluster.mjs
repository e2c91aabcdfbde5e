#!/usr/bin/env node
/**
 * A local HA cluster on loopback: one keyhaven-server master and N replicas (default 2), each with
 * its own config file and data folder under --dir (default ./data/cluster/<port>/), plus optional
 * Sentinels (keyhaven-sentinel once it exists, or Debian's `redis-server --sentinel` with
 * --sentinel-impl redis) monitoring the master as "mymaster" with quorum 2.
 *
 * It prints each node's address and role, then a live status line (role, replication offset,
 * lag, link state) refreshed every second, and stops every process it started, by PID, on Ctrl-C
 * (SIGTERM, then SIGKILL after --stop-timeout seconds). Nothing here is specific to a test: it is
 * the README's "run it locally" command (`./keyhaven cluster`).
 *
 *   ./keyhaven cluster [--port 7000 | --ports 7000,7001,7002] [--replicas 2] [--dir ./data/cluster] [--fresh]
 *                      [--sentinels auto|N] [--sentinel-port 26379] [--quorum 2]
 *                      [--sentinel-impl keyhaven|redis] [--stop-timeout 10] [-- <extra server args>]
 *
 * Adding a node kind: give it a config writer (`serverConfig`, `sentinelConfig`), a command line
 * (`commandFor`) and a status probe (`statusOf`); start/stop and the status line handle the rest.
 */

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SERVER_BIN = join(root, "packages/server/bin/keyhaven-server");
const SENTINEL_BIN = join(root, "packages/sentinel/bin/keyhaven-sentinel");

const { values: opts, positionals: extraArgs } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string", default: "7000" },
    ports: { type: "string", default: "" },
    replicas: { type: "string", default: "2" },
    dir: { type: "string", default: "./data/cluster" },
    fresh: { type: "boolean", default: false },
    sentinels: { type: "string", default: "auto" },
    "sentinel-port": { type: "string", default: "26379" },
    quorum: { type: "string", default: "2" },
    "sentinel-impl": { type: "string", default: "keyhaven" },
    "stop-timeout": { type: "string", default: "10" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (opts.help) {
  const text = (await import("node:fs")).readFileSync(fileURLToPath(import.meta.url), "utf8");
  const usage = text
    .split("\n")
    .filter((l) => l.startsWith(" *   ./keyhaven") || l.startsWith(" *           "));
  process.stdout.write(`${usage.map((l) => l.slice(3)).join("\n")}\n`);
  process.exit(0);
}

/** --ports lists the master's and the replicas' ports; otherwise they follow --port. */
const explicitPorts = opts.ports === "" ? [] : opts.ports.split(",").map(Number);
const basePort = explicitPorts[0] ?? Number(opts.port);
const replicaCount = explicitPorts.length > 0 ? explicitPorts.length - 1 : Number(opts.replicas);
/** auto: 3 Sentinels once keyhaven-sentinel is built (or with --sentinel-impl redis), else none. */
const sentinelsAvailable = opts["sentinel-impl"] === "redis" || existsSync(SENTINEL_BIN);
const sentinelCount = opts.sentinels === "auto" ? (sentinelsAvailable ? 3 : 0) : Number(opts.sentinels);
const dataDir = resolve(opts.dir);
const stopTimeoutMs = Number(opts["stop-timeout"]) * 1000;
const HOST = "127.0.0.1";

// ---- Topology ---------------------------------------------------------------------------------

/** @typedef {{ kind: "server" | "sentinel", name: string, port: number, dir: string, proc: import("node:child_process").ChildProcess | null, exited: boolean }} ClusterNode */

/** @type {ClusterNode[]} */
const nodes = [];
const node = (kind, name, port) => ({
  kind,
  name,
  port,
  dir: join(dataDir, String(port)),
  proc: null,
  exited: false,
});
nodes.push(node("server", "master", basePort));
for (let i = 1; i <= replicaCount; i++)
  nodes.push(node("server", `replica-${i}`, explicitPorts[i] ?? basePort + i));
for (let i = 0; i < sentinelCount; i++)
  nodes.push(node("sentinel", `sentinel-${i + 1}`, Number(opts["sentinel-port"]) + i));

function serverConfig(n) {
  const lines = [
    `port ${n.port}`,
    `bind ${HOST}`,
    `dir ${n.dir}`,
    `logfile ${join(n.dir, "server.log")}`,
    "enable-debug-command local",
    "repl-diskless-sync yes",
    "repl-diskless-sync-delay 1",
  ];
  if (n.name !== "master") lines.push(`replicaof ${HOST} ${basePort}`);
  return `${lines.join("\n")}\n`;
}

function sentinelConfig(n) {
  return [
    `port ${n.port}`,
    `bind ${HOST}`,
    `dir ${n.dir}`,
    `logfile ${join(n.dir, "sentinel.log")}`,
    `sentinel monitor mymaster ${HOST} ${basePort} ${Number(opts.quorum)}`,
    "sentinel down-after-milliseconds mymaster 5000",
    "sentinel failover-timeout mymaster 30000",
    "",
  ].join("\n");
}

function commandFor(n) {
  const conf = join(n.dir, n.kind === "server" ? "redis.conf" : "sentinel.conf");
  if (n.kind === "server") return [SERVER_BIN, [conf, ...extraArgs]];
  if (opts["sentinel-impl"] === "redis") return ["redis-server", [conf, "--sentinel"]];
  return [SENTINEL_BIN, [conf]];
}

// ---- A tiny RESP client (one request per connection: enough for a status probe) ---------------

function request(port, args, timeoutMs = 800) {
  return new Promise((resolveReply) => {
    const socket = createConnection({ host: HOST, port });
    let buf = Buffer.alloc(0);
    const done = (value) => {
      socket.destroy();
      resolveReply(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.on("error", () => done(null));
    socket.on("connect", () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
    });
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf("\r\n");
      if (nl < 0) return;
      const head = buf.toString("latin1", 0, nl);
      if (head[0] === "+" || head[0] === "-" || head[0] === ":") return done(head);
      if (head[0] === "$" || head[0] === "=") {
        const len = Number(head.slice(1));
        if (len < 0) return done(null);
        if (buf.length >= nl + 2 + len) return done(buf.toString("utf8", nl + 2, nl + 2 + len));
      }
    });
  });
}

async function infoOf(port, section) {
  const text = await request(port, ["INFO", section]);
  if (text === null || text.startsWith("-")) return null;
  const map = new Map();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

// ---- Start, status, stop ----------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startNode(n) {
  mkdirSync(n.dir, { recursive: true });
  const confPath = join(n.dir, n.kind === "server" ? "redis.conf" : "sentinel.conf");
  // A config file, so CONFIG REWRITE (which Sentinel sends after reconfiguring) has a target.
  // An existing one is kept: it holds what a failover rewrote.
  if (!existsSync(confPath))
    writeFileSync(confPath, n.kind === "server" ? serverConfig(n) : sentinelConfig(n));
  const [bin, args] = commandFor(n);
  const proc = spawn(bin, args, { cwd: n.dir, stdio: ["ignore", "ignore", "pipe"] });
  n.proc = proc;
  let stderr = "";
  proc.stderr.on("data", (d) => {
    stderr += d.toString();
  });
  proc.on("exit", (code, signal) => {
    n.exited = true;
    if (!stopping) {
      process.stdout.write(
        `\n${n.name} (pid ${proc.pid}) exited (${signal ?? code})${stderr ? `:\n${stderr}` : ""}\n`,
      );
    }
  });
  proc.on("error", (err) => {
    n.exited = true;
    process.stdout.write(`\ncannot start ${n.name}: ${err.message}\n`);
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !n.exited) {
    if ((await request(n.port, ["PING"])) === "+PONG") return true;
    await sleep(100);
  }
  return false;
}

async function statusOf(n) {
  if (n.exited) return `${n.port} down`;
  if (n.kind === "sentinel") {
    const s = await infoOf(n.port, "sentinel");
    return s === null
      ? `${n.port} ?`
      : `${n.port} sentinel ${s.get("master0")?.match(/status=(\w+)/)?.[1] ?? "-"}`;
  }
  const r = await infoOf(n.port, "replication");
  if (r === null) return `${n.port} ?`;
  if (r.get("role") === "master") {
    const lags = [...r.entries()]
      .filter(([k]) => /^slave\d+$/.test(k))
      .map(([, v]) => Number(v.match(/lag=(\d+)/)?.[1] ?? 0));
    return `${n.port} master off=${r.get("master_repl_offset")} replicas=${r.get("connected_slaves")} maxlag=${lags.length ? Math.max(...lags) : 0}s`;
  }
  const behind = masterOffset !== null ? masterOffset - Number(r.get("slave_repl_offset")) : 0;
  const link = r.get("master_link_status");
  const sync = r.get("master_sync_in_progress") === "1" ? " syncing" : "";
  return `${n.port} replica of ${r.get("master_port")} off=${r.get("slave_repl_offset")} behind=${Math.max(0, behind)}B io=${r.get("master_last_io_seconds_ago")}s link=${link}${sync}`;
}

let masterOffset = null;
let stopping = false;

async function statusLoop() {
  const tty = process.stdout.isTTY;
  let lastPrint = 0;
  while (!stopping) {
    masterOffset = null;
    for (const n of nodes) {
      if (n.kind !== "server" || n.exited) continue;
      const r = await infoOf(n.port, "replication");
      if (r?.get("role") === "master") masterOffset = Number(r.get("master_repl_offset"));
    }
    const parts = [];
    for (const n of nodes) parts.push(await statusOf(n));
    const line = `${new Date().toISOString().slice(11, 19)} | ${parts.join(" | ")}`;
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastPrint >= 5000) {
      process.stdout.write(`${line}\n`);
      lastPrint = Date.now();
    }
    await sleep(1000);
  }
}

async function stopAll() {
  if (stopping) return;
  stopping = true;
  process.stdout.write("\nstopping the cluster...\n");
  // Sentinels first, so they do not fail over while the servers go down; replicas before master.
  const order = [
    ...nodes.filter((n) => n.kind === "sentinel"),
    ...nodes.filter((n) => n.kind === "server").reverse(),
  ];
  for (const n of order) {
    if (n.proc === null || n.exited || n.proc.pid === undefined) continue;
    try {
      process.kill(n.proc.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + stopTimeoutMs;
  while (order.some((n) => n.proc !== null && !n.exited) && Date.now() < deadline) await sleep(50);
  for (const n of order) {
    if (n.proc !== null && !n.exited && n.proc.pid !== undefined) {
      process.stdout.write(`${n.name} (pid ${n.proc.pid}) did not stop in time: SIGKILL\n`);
      try {
        process.kill(n.proc.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  for (const n of order) if (n.proc !== null) process.stdout.write(`stopped ${n.name} (pid ${n.proc.pid})\n`);
  process.exit(0);
}

process.on("SIGINT", stopAll);
process.on("SIGTERM", stopAll);

if (sentinelCount > 0 && opts["sentinel-impl"] !== "redis" && !existsSync(SENTINEL_BIN)) {
  process.stderr.write(
    "keyhaven-sentinel is not built in this tree yet: use --sentinel-impl redis or --sentinels 0\n",
  );
  process.exit(1);
}
if (opts.fresh) rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

process.stdout.write(`Keyhaven local cluster in ${dataDir}\n`);
for (const n of nodes) {
  const ok = await startNode(n);
  if (!ok) {
    process.stdout.write(`${n.name} on ${HOST}:${n.port} did not come up; see ${n.dir}\n`);
    await stopAll();
  }
  const role =
    n.kind === "sentinel"
      ? `sentinel (monitors mymaster ${HOST}:${basePort}, quorum ${opts.quorum})`
      : n.name === "master"
        ? "master"
        : `replica of ${HOST}:${basePort}`;
  process.stdout.write(`  ${n.name.padEnd(11)} ${HOST}:${n.port}  pid ${n.proc.pid}  ${role}\n`);
}
if (sentinelCount === 0 && opts.sentinels === "auto") {
  process.stdout.write(
    "  (no Sentinels: keyhaven-sentinel is not built yet; --sentinel-impl redis runs real ones)\n",
  );
}
process.stdout.write("Ctrl-C stops every node.\n");
await statusLoop();
