#!/usr/bin/env node
/**
 * `./keyhaven cluster`: a local high-availability cluster on loopback. One keyhaven-server master,
 * its replicas (default 2) and keyhaven-sentinel processes (default 3, quorum 2) monitoring it as
 * "mymaster"; each node has its config file, data, log and pid file under --dir/<port>/.
 *
 * It shows a live status (each server's role, offset, lag and link state; each Sentinel's view of
 * the master, its epochs and its last events, read from a PSUBSCRIBE * connection to every
 * Sentinel) and stops every process it started, by PID, on Ctrl-C: Sentinels first (so they do
 * not fail over while the servers go down), then replicas, then the master; SIGTERM, then SIGKILL
 * after --stop-timeout. On a terminal the status is redrawn in place; otherwise (CI, a pipe) it
 * is printed every --status-interval seconds and every Sentinel event as one line when it comes.
 *
 * Started again on the same --dir, it reuses the data (AOF) and the config files as the servers
 * (CONFIG REWRITE) and the Sentinels rewrote them, so a cluster that failed over comes back with
 * its current master. The children run in their own sessions (a terminal's Ctrl-C reaches only
 * this script, which then stops them in order); if this script is killed outright, the pid files
 * name the survivors and the next start refuses to run over them.
 *
 * Failover experiments (cluster/faults.mjs): kill, pause, cut off (--faults: every public port is
 * a fault proxy in front of a process on an internal port) and heal, from single keys on a
 * terminal or from `./keyhaven cluster fault ...` in another one, through a unix socket in the
 * data folder (cluster/control.mjs).
 *
 * Adding a node kind: give it a config writer (`serverConfig`, `sentinelConfig`), a command line
 * (`commandFor`), a status probe (`probe`) and its lines (cluster/status-view.mjs); start and stop
 * handle the rest.
 */

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { faultCommand, serveControl } from "./cluster/control.mjs";
import { FaultError, Faults, freePort, resolveMode } from "./cluster/faults.mjs";
import { fail, HOST, MASTER_NAME, parseOptions } from "./cluster/options.mjs";
import { isReady, statusLines } from "./cluster/status-view.mjs";
import { clock, draw, onKeys, say, tty } from "./cluster/terminal.mjs";

if (process.argv[2] === "fault") await faultCommand(process.argv.slice(3));

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SERVER_BIN = join(root, "packages/server/bin/keyhaven-server");
const SENTINEL_BIN = join(root, "packages/sentinel/bin/keyhaven-sentinel");
const PROTOCOL = join(root, "packages/protocol/dist/index.js");
/** Events kept per Sentinel for the status (status-view.mjs shows the last few). */
const EVENTS_KEPT = 20;

const {
  opts,
  extraArgs,
  serverPorts,
  sentinelPorts,
  sentinelCount,
  quorum,
  downAfter,
  failoverTimeout,
  statusIntervalMs,
  stopTimeoutMs,
  sentinelImpl,
  dataDir,
} = parseOptions(process.argv.slice(2));

for (const [bin, what] of [
  [PROTOCOL, "the protocol package"],
  [join(root, "packages/server/dist/cli.js"), "keyhaven-server"],
  ...(sentinelCount > 0 && sentinelImpl === "keyhaven"
    ? [[join(root, "packages/sentinel/dist/main.js"), "keyhaven-sentinel"]]
    : []),
]) {
  if (!existsSync(bin)) fail(`${what} is not built (${bin}): run ./keyhaven setup (or pnpm -s run build)`);
}
const { Link, parseInfo, RespError, toRecord } = await import("./cluster/resp-link.mjs");

// ---- Topology ---------------------------------------------------------------------------------

/**
 * `port` is the public port; `internalPort` the one the process listens on (another, behind a
 * fault proxy, with --faults; the same otherwise). `fault`: the faults injected, for the status.
 * `label` is `name` padded for the status columns.
 * @typedef {{ kind: "server" | "sentinel", port: number, internalPort: number, name: string, label: string,
 *   dir: string, conf: string, pidFile: string, proc: import("node:child_process").ChildProcess | null,
 *   exited: string | null, status: any, events: { at: number, text: string }[], fault: string }} ClusterNode
 */

/** @returns {ClusterNode} */
function makeNode(kind, port) {
  const dir = join(dataDir, String(port));
  return {
    kind,
    port,
    internalPort: port,
    name: `${kind} ${HOST}:${port}`,
    label: `${kind.padEnd(8)} ${HOST}:${port}`,
    dir,
    conf: join(dir, kind === "server" ? "redis.conf" : "sentinel.conf"),
    pidFile: join(dir, `${kind}.pid`),
    proc: null,
    exited: null,
    status: null,
    events: [],
    fault: "",
  };
}
const servers = serverPorts.map((p) => makeNode("server", p));
const sentinels = sentinelPorts.map((p) => makeNode("sentinel", p));
const nodes = [...servers, ...sentinels];
const links = new Map(nodes.map((n) => [n, new Link(HOST, n.port)]));
/** PSUBSCRIBE * per Sentinel; (re)opened by the status loop while the Sentinel runs. */
const eventLinks = new Map();
/** Proxies and fault state (cluster/faults.mjs), made once the data folder's mode is known. */
let faults = /** @type {Faults} */ (/** @type {unknown} */ (null));

/**
 * With --faults, what makes every address that circulates a proxy's: the one a node announces
 * (its public port), so that Sentinels and replicas reach each other only through the proxies.
 */
const announce = (n) =>
  !faults.proxied
    ? []
    : n.kind === "server"
      ? [`replica-announce-ip ${HOST}`, `replica-announce-port ${n.port}`]
      : [`sentinel announce-ip ${HOST}`, `sentinel announce-port ${n.port}`];

function serverConfig(n, masterPort) {
  const lines = [
    "# Written by ./keyhaven cluster on first start; the server rewrites it (CONFIG REWRITE).",
    `port ${n.internalPort}`,
    `bind ${HOST}`,
    `dir ${n.dir}`,
    `logfile ${join(n.dir, "server.log")}`,
    // Durable across kill -9 and restarts of the cluster, within a second.
    "appendonly yes",
    "appendfsync everysec",
    "enable-debug-command local",
    "repl-diskless-sync yes",
    "repl-diskless-sync-delay 1",
    ...announce(n),
  ];
  if (n.port !== masterPort) lines.push(`replicaof ${HOST} ${masterPort}`);
  return `${lines.join("\n")}\n`;
}

function sentinelConfig(n, masterPort) {
  return [
    "# Written by ./keyhaven cluster on first start; the Sentinel rewrites it as its state changes.",
    `port ${n.internalPort}`,
    `bind ${HOST}`,
    `dir ${n.dir}`,
    `logfile ${join(n.dir, "sentinel.log")}`,
    ...announce(n),
    `sentinel monitor ${MASTER_NAME} ${HOST} ${masterPort} ${quorum}`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfter}`,
    `sentinel failover-timeout ${MASTER_NAME} ${failoverTimeout}`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    "",
  ].join("\n");
}

function commandFor(n) {
  if (n.kind === "server") return [SERVER_BIN, [n.conf, ...extraArgs]];
  if (sentinelImpl === "redis") return ["redis-server", [n.conf, "--sentinel"]];
  return [SENTINEL_BIN, [n.conf]];
}

// ---- Start ------------------------------------------------------------------------------------

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/** The pid in a node's pid file if that process still runs this node's config (else null). */
function leftoverPid(n) {
  if (!existsSync(n.pidFile)) return null;
  const pid = Number(readFileSync(n.pidFile, "latin1").trim());
  if (!Number.isSafeInteger(pid) || pid <= 0 || !alive(pid)) return null;
  try {
    // A recycled pid runs something else: only a process started with this config counts.
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(n.conf) ? pid : null;
  } catch {
    return pid;
  }
}

function portTaken(port) {
  return new Promise((res) => {
    const s = new Socket();
    s.setTimeout(500, () => s.destroy());
    s.on("connect", () => {
      s.destroy();
      res(true);
    });
    s.on("error", () => res(false));
    s.on("close", () => res(false));
    s.connect(port, HOST);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let stopping = false;

function onExit(n, code, signal) {
  n.exited = signal !== null ? `signal ${signal}` : `exit code ${code}`;
  faults.exited(n);
  links.get(n)?.close();
  eventLinks.get(n)?.close();
  eventLinks.delete(n);
  if (!stopping) {
    try {
      unlinkSync(n.pidFile);
    } catch {
      // Already gone.
    }
    say(`${clock()} ${n.label} (pid ${n.proc.pid}) exited (${n.exited}); see ${n.dir}`);
  }
}

/** Spawns a node and waits until it answers PING (LOADING counts: it runs). */
async function startNode(n, masterPort) {
  mkdirSync(n.dir, { recursive: true });
  // An existing config is kept: it holds what CONFIG REWRITE or the Sentinel wrote.
  const fresh = !existsSync(n.conf);
  if (faults.proxied) {
    // A new internal port on every start: the last one may have been taken since.
    n.internalPort = await freePort();
    links.get(n).port = n.internalPort;
    if (!fresh) {
      const text = readFileSync(n.conf, "latin1");
      const port = `port ${n.internalPort}`;
      writeFileSync(
        n.conf,
        /^port \d+$/m.test(text) ? text.replace(/^port \d+$/m, port) : `${port}\n${text}`,
      );
    }
  }
  if (fresh)
    writeFileSync(n.conf, n.kind === "server" ? serverConfig(n, masterPort) : sentinelConfig(n, masterPort));
  try {
    await faults.targetUp(n);
  } catch (err) {
    return { ok: false, fresh, why: `its fault proxy cannot listen: ${err.message}`, stderr: "" };
  }
  const [bin, args] = commandFor(n);
  // detached: own session, so a terminal's Ctrl-C reaches only us and we stop nodes in order.
  const proc = spawn(bin, args, { cwd: n.dir, stdio: ["ignore", "ignore", "pipe"], detached: true });
  n.proc = proc;
  n.exited = null;
  let stderr = "";
  proc.stderr.on("data", (d) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  proc.on("exit", (code, signal) => onExit(n, code, signal));
  proc.on("error", (err) => {
    n.exited = err.message;
  });
  if (proc.pid !== undefined) {
    writeFileSync(n.pidFile, `${proc.pid}\n`);
    faults.started(n);
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && n.exited === null) {
    const r = await links.get(n).call(["PING"], 500);
    if (r === "PONG" || (r instanceof RespError && /^(LOADING|NOAUTH)/.test(r.message)))
      return { ok: true, fresh };
    await sleep(100);
  }
  return { ok: false, fresh, why: n.exited ?? "no answer in 60 s", stderr };
}

// ---- Status -----------------------------------------------------------------------------------

async function probe(n) {
  if (n.exited !== null || n.proc === null) return { down: true };
  const link = links.get(n);
  if (n.kind === "server") {
    const r = await link.call(["INFO", "replication"]);
    if (r === null) return { down: false, unreachable: true };
    if (r instanceof RespError) return { down: false, error: r.message };
    return { info: parseInfo(String(r)) };
  }
  const m = await link.call(["SENTINEL", "MASTER", MASTER_NAME]);
  if (m === null) return { down: false, unreachable: true };
  if (m instanceof RespError) return { down: false, error: m.message };
  let currentEpoch = "?";
  try {
    currentEpoch = /^sentinel current-epoch (\d+)$/m.exec(readFileSync(n.conf, "latin1"))?.[1] ?? "0";
  } catch {
    // Being rewritten: next time.
  }
  return { master: toRecord(m), currentEpoch };
}

function ensureEvents(n) {
  if (n.kind !== "sentinel" || n.exited !== null || eventLinks.has(n) || stopping) return;
  const link = new Link(HOST, n.internalPort, (msg) => {
    if (!Array.isArray(msg) || msg[0] !== "pmessage") return;
    const text = `${msg[2]} ${msg[3]}`;
    n.events.push({ at: Date.now(), text });
    if (n.events.length > EVENTS_KEPT) n.events.shift();
    if (!tty) process.stdout.write(`${clock()} ${n.label} ${text}\n`);
  });
  eventLinks.set(n, link);
  void link.call(["PSUBSCRIBE", "*"], 1000).then((r) => {
    if (r === null) {
      // Not up yet or restarting: the next status round tries again.
      link.close();
      if (eventLinks.get(n) === link) eventLinks.delete(n);
      return;
    }
    link.socket?.once("close", () => {
      if (eventLinks.get(n) === link) eventLinks.delete(n);
    });
  });
}

/** One status round: probe every node, then the lines to show. */
async function probeAll() {
  for (const n of sentinels) ensureEvents(n);
  const results = await Promise.all(nodes.map((n) => probe(n)));
  nodes.forEach((n, i) => {
    n.status = results[i];
  });
  return statusLines(servers, sentinels, HOST, MASTER_NAME);
}

/** The status every second on a terminal, every --status-interval otherwise; "ready" once. */
async function statusLoop() {
  let lastPrint = 0;
  let ready = false;
  while (!stopping) {
    const lines = await probeAll();
    if (stopping) break;
    if (!ready && isReady(servers, sentinels)) {
      ready = true;
      say(`${clock()} ready: ${lines[0].slice(10)}`);
    }
    if (tty || Date.now() - lastPrint >= statusIntervalMs) {
      draw(keys && tty ? [...lines, KEY_HELP] : lines);
      lastPrint = Date.now();
    }
    await sleep(1000);
  }
}

// ---- Stop -------------------------------------------------------------------------------------

async function stopGroup(group) {
  const running = group.filter((n) => n.proc?.pid !== undefined && n.exited === null);
  for (const n of running) {
    try {
      process.kill(n.proc.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + stopTimeoutMs;
  while (running.some((n) => n.exited === null) && Date.now() < deadline) await sleep(50);
  for (const n of running) {
    if (n.exited !== null) continue;
    say(`${n.label} (pid ${n.proc.pid}) did not stop within ${stopTimeoutMs / 1000} s: SIGKILL`);
    try {
      process.kill(n.proc.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  while (running.some((n) => n.exited === null)) await sleep(20);
}

let stopRequests = 0;
async function stopAll(exitCode = 0) {
  stopRequests++;
  if (stopRequests > 1) {
    // A second Ctrl-C: no more waiting.
    for (const n of nodes)
      if (n.proc?.pid !== undefined && n.exited === null) process.kill(n.proc.pid, "SIGKILL");
    process.exit(1);
  }
  stopping = true;
  say("\nstopping the cluster (Sentinels, replicas, then the master)...");
  control?.close();
  for (const l of [...links.values(), ...eventLinks.values()]) l.close();
  // A stopped process would hold SIGTERM until --stop-timeout, then need SIGKILL.
  faults?.resumeAll();
  // Sentinels first, so they do not fail over while the servers go down; replicas before masters
  // (as last seen), so a master has no lagging replica to wait for.
  const isMaster = (n) => n.status?.info?.get("role") === "master";
  await stopGroup(sentinels);
  await stopGroup(servers.filter((n) => !isMaster(n)));
  await stopGroup(servers.filter(isMaster));
  for (const n of nodes) {
    if (n.proc === null) continue;
    try {
      unlinkSync(n.pidFile);
    } catch {
      // Already gone.
    }
    say(`stopped ${n.label} (pid ${n.proc.pid}, ${n.exited})`);
  }
  await faults?.close();
  try {
    unlinkSync(join(dataDir, "cluster.pid"));
  } catch {
    // Already gone.
  }
  process.exit(exitCode);
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => void stopAll());
// Whatever happens to this script, no node outlives it unnoticed.
process.on("exit", () => {
  faults?.resumeAll();
  for (const n of nodes) {
    if (n.proc?.pid !== undefined && n.exited === null) {
      try {
        process.kill(n.proc.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  }
});

// ---- Faults -----------------------------------------------------------------------------------

/** Single keys on a terminal: faults on the current master, and stop. */
const KEYS = { k: "kill", p: "pause", c: "cut", h: "heal", q: "stop", "\x03": "stop" };
const KEY_HELP = "keys: k kill the master  p pause it  c cut it off  h heal all  q quit";
let keys = false;
let starting = true;
/** @type {{ close(): void } | null} */
let control = null;

/** One fault (keys and control socket alike), logged with its time; resolves with what was done. */
async function runFault(action, port) {
  const what = `fault ${action}${port === undefined ? "" : ` --port ${port}`}`;
  if (starting || stopping) throw new FaultError(`the cluster is ${starting ? "starting" : "stopping"}`);
  try {
    const done = await faults.run(action, port);
    say(`${clock()} ${what}: ${done}`);
    return done;
  } catch (err) {
    say(`${clock()} ${what} refused: ${err.message}`);
    throw err;
  }
}

/** For heal: a node that exited, started again with its config and data. */
async function restartNode(n) {
  const r = await startNode(n, serverPorts[0]);
  return r.ok
    ? `restarted ${n.name} (pid ${n.proc.pid})`
    : `${n.name} did not come back (${r.why}); see ${n.dir}`;
}

// ---- Main -------------------------------------------------------------------------------------

if (opts.fresh) rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
try {
  faults = new Faults({
    proxied: resolveMode(dataDir, opts.faults),
    servers,
    sentinels,
    masterName: MASTER_NAME,
    call: (n, args) => links.get(n).call(args),
    restart: restartNode,
  });
} catch (err) {
  if (!(err instanceof FaultError)) throw err;
  fail(err.message);
}
for (const n of nodes) {
  const pid = leftoverPid(n);
  if (pid !== null) {
    fail(
      `a cluster already runs in ${dataDir}: ${n.label} is pid ${pid} (see ${n.pidFile}).\n` +
        `Stop it first (kill -INT the ./keyhaven cluster process, or kill ${pid} and the other pids in ${dataDir}/*/*.pid).`,
    );
  }
}
for (const n of nodes) if (await portTaken(n.port)) fail(`${HOST}:${n.port} is in use by another process`);
try {
  control = await serveControl(dataDir, runFault);
} catch (err) {
  fail(err.message);
}
writeFileSync(join(dataDir, "cluster.pid"), `${process.pid}\n`);

process.stdout.write(
  `Keyhaven local cluster in ${dataDir}${faults.proxied ? ", each public port a fault proxy (--faults)" : ""}\n`,
);
for (const n of nodes) {
  const r = await startNode(n, serverPorts[0]);
  if (!r.ok) {
    say(`${n.label} did not come up (${r.why}); see ${n.dir}${r.stderr ? `:\n${r.stderr}` : ""}`);
    await stopAll(1);
  }
  // Explicit options also apply to a Sentinel that kept its config from an earlier run.
  if (n.kind === "sentinel" && !r.fresh) {
    const set = [];
    if (opts.quorum !== undefined) set.push("quorum", String(quorum));
    if (opts["down-after"] !== undefined) set.push("down-after-milliseconds", String(downAfter));
    if (opts["failover-timeout"] !== undefined) set.push("failover-timeout", String(failoverTimeout));
    if (set.length > 0) await links.get(n).call(["SENTINEL", "SET", MASTER_NAME, ...set]);
  }
  let role = "";
  if (n.kind === "server") {
    const info = await links.get(n).call(["INFO", "replication"]);
    const r2 = typeof info === "string" ? parseInfo(info) : new Map();
    role =
      r2.get("role") === "slave"
        ? `replica of ${r2.get("master_host")}:${r2.get("master_port")}`
        : (r2.get("role") ?? "loading");
  } else {
    const m = toRecord(await links.get(n).call(["SENTINEL", "MASTER", MASTER_NAME]));
    role = `monitors ${MASTER_NAME} at ${m.ip}:${m.port} (quorum ${m.quorum}, down-after ${m["down-after-milliseconds"]} ms)`;
  }
  const behind = faults.proxied ? `  (listens on ${n.internalPort})` : "";
  process.stdout.write(
    `  ${n.label}  pid ${String(n.proc.pid).padEnd(7)} ${role}${behind}${r.fresh ? "" : "  (existing data and config)"}\n`,
  );
}

if (sentinels.length > 0) {
  const list = sentinels.map((n) => `{ host: "${HOST}", port: ${n.port} }`).join(", ");
  process.stdout.write(
    [
      "Sentinel clients:",
      `  ioredis:    new Redis({ sentinels: [${list}], name: "${MASTER_NAME}" })`,
      `  node-redis: createSentinel({ name: "${MASTER_NAME}", sentinelRootNodes: [${list}] })`,
      `  redis-cli:  redis-cli -p ${sentinels[0].port} SENTINEL GET-MASTER-ADDR-BY-NAME ${MASTER_NAME}`,
      "",
    ].join("\n"),
  );
}
process.stdout.write(
  `Pid files in ${dataDir}/<port>/; this script's in ${dataDir}/cluster.pid.\n` +
    `Faults: ./keyhaven cluster fault <kill|pause|cut|heal> [--port P]${opts.dir === "./data/cluster" ? "" : ` --dir ${opts.dir}`}` +
    `${faults.proxied ? "" : " (cut needs --faults)"}\nCtrl-C stops every node.\n`,
);
starting = false;
keys = onKeys((key) => {
  const action = KEYS[key];
  if (action === "stop") void stopAll();
  else if (action !== undefined) void runFault(action).catch(() => {});
});
// Without a terminal on stdout the status has no key help line: say it once.
if (keys && !tty) say(KEY_HELP);
await statusLoop();
