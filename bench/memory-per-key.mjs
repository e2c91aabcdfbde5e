#!/usr/bin/env node
/**
 * Memory per key, Keyhaven against real Redis in the same run: starts a redis-server and a
 * keyhaven-server side by side (free ports, empty dirs, no persistence), loads the same N small
 * string keys (`key:N` -> a short value, pipelined) into each, and prints used_memory and
 * used_memory_rss per key for both, and the RSS ratio keyhaven/redis (target <= 2.5x).
 *
 *   node bench/memory-per-key.mjs [--keys 1000000] [--value-size 8] [--pipeline 1000]
 *                                 [--keyhaven-args "--maxmemory 0"] [--only keyhaven|redis]
 *
 * Figures are taken after the load finished and after MEMORY PURGE (a full GC on Keyhaven, a
 * jemalloc purge on Redis) followed by a short pause, so both report their settled footprint.
 * The per-key figures subtract each server's own footprint measured right after start-up.
 * Needs a built Keyhaven (`pnpm -s run build`) and redis-server on PATH. Every process this
 * script starts is killed by PID when it ends, also on error.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const KEYHAVEN_BIN = resolve(here, "../packages/server/bin/keyhaven-server");

const { values: opts } = parseArgs({
  options: {
    keys: { type: "string", default: "1000000" },
    "value-size": { type: "string", default: "8" },
    pipeline: { type: "string", default: "1000" },
    "keyhaven-args": { type: "string", default: "" },
    only: { type: "string", default: "" },
  },
});
const KEYS = Number(opts.keys);
const VALUE_SIZE = Number(opts["value-size"]);
const PIPELINE = Number(opts.pipeline);

const children = new Set();
const dirs = new Set();
function cleanup() {
  for (const p of children) {
    if (p.exitCode === null && p.pid !== undefined) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start(kind, extraArgs) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `kh-bench-${kind}-`));
  dirs.add(dir);
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
  ];
  const bin = kind === "redis" ? "redis-server" : KEYHAVEN_BIN;
  const proc = spawn(bin, [...args, ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(proc);
  let out = "";
  proc.stdout.on("data", (d) => {
    out += d;
  });
  proc.stderr.on("data", (d) => {
    out += d;
  });
  const deadline = Date.now() + 15_000;
  while (!/Ready to accept connections/.test(out)) {
    if (proc.exitCode !== null) throw new Error(`${kind} exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`${kind} not ready:\n${out}`);
    await sleep(20);
  }
  return { kind, port, proc };
}

/** A bare pipelining connection: counts replies of a known shape, reads one bulk reply. */
class Conn {
  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.waiter = null;
    socket.on("data", (d) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
  }
  static connect(port) {
    return new Promise((res, rej) => {
      const s = new Socket();
      s.once("error", rej);
      s.connect(port, "127.0.0.1", () => res(new Conn(s)));
    });
  }
  async waitFor(pred) {
    while (!pred()) await new Promise((r) => (this.waiter = r));
    this.waiter = null;
  }
  /** Sends `payload` holding `n` commands that each answer `+OK\r\n`; waits for all replies. */
  async sendOks(payload, n) {
    this.socket.write(payload);
    const want = n * 5;
    await this.waitFor(() => this.buf.length >= want);
    if (this.buf.subarray(0, 5).toString() !== "+OK\r\n")
      throw new Error(`unexpected reply: ${this.buf.subarray(0, 80)}`);
    this.buf = this.buf.subarray(want);
  }
  /** Sends one command and returns its reply as text (bulk, simple or error). */
  async command(...args) {
    let s = `*${args.length}\r\n`;
    for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    this.socket.write(s);
    await this.waitFor(() => {
      const nl = this.buf.indexOf("\r\n");
      if (nl < 0) return false;
      if (this.buf[0] !== 0x24) return true;
      const len = Number(this.buf.subarray(1, nl).toString());
      return this.buf.length >= nl + 2 + len + 2;
    });
    const nl = this.buf.indexOf("\r\n");
    let text;
    if (this.buf[0] === 0x24) {
      const len = Number(this.buf.subarray(1, nl).toString());
      text = this.buf.subarray(nl + 2, nl + 2 + len).toString();
      this.buf = this.buf.subarray(nl + 2 + len + 2);
    } else {
      text = this.buf.subarray(0, nl).toString();
      this.buf = this.buf.subarray(nl + 2);
    }
    return text;
  }
  close() {
    this.socket.destroy();
  }
}

async function memory(conn) {
  await conn.command("MEMORY", "PURGE");
  await sleep(300);
  const info = await conn.command("INFO", "memory");
  const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? Number.NaN);
  return { used: field("used_memory"), rss: field("used_memory_rss") };
}

function value(i) {
  const s = `v${i}`;
  return s.length >= VALUE_SIZE ? s.slice(0, VALUE_SIZE) : s + "x".repeat(VALUE_SIZE - s.length);
}

async function load(conn) {
  const started = performance.now();
  for (let base = 0; base < KEYS; base += PIPELINE) {
    const n = Math.min(PIPELINE, KEYS - base);
    let s = "";
    for (let i = base; i < base + n; i++) {
      const k = `key:${i}`;
      const v = value(i);
      s += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
    }
    await conn.sendOks(s, n);
  }
  return performance.now() - started;
}

async function measure(kind, extraArgs) {
  const srv = await start(kind, extraArgs);
  const conn = await Conn.connect(srv.port);
  const before = await memory(conn);
  const ms = await load(conn);
  const dbsize = Number((await conn.command("DBSIZE")).slice(1));
  if (dbsize !== KEYS) throw new Error(`${kind}: DBSIZE ${dbsize}, expected ${KEYS}`);
  const after = await memory(conn);
  conn.close();
  process.kill(srv.proc.pid, "SIGKILL");
  children.delete(srv.proc);
  return {
    kind,
    loadSeconds: ms / 1000,
    setsPerSecond: Math.round(KEYS / (ms / 1000)),
    usedMemory: after.used,
    rss: after.rss,
    usedPerKey: (after.used - before.used) / KEYS,
    rssPerKey: (after.rss - before.rss) / KEYS,
    startupRss: before.rss,
  };
}

function fmt(n, digits = 1) {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main() {
  const khArgs = opts["keyhaven-args"].split(" ").filter((a) => a !== "");
  const results = [];
  if (opts.only !== "keyhaven") results.push(await measure("redis", []));
  if (opts.only !== "redis") results.push(await measure("keyhaven", khArgs));
  console.log(`${fmt(KEYS, 0)} keys "key:N" -> ${VALUE_SIZE}-byte values, SET pipelined ${PIPELINE} deep`);
  console.log(
    "server     load s   SET/s      used_memory    used/key   rss            rss/key   startup rss",
  );
  for (const r of results) {
    console.log(
      `${r.kind.padEnd(10)} ${fmt(r.loadSeconds, 2).padStart(6)} ${fmt(r.setsPerSecond, 0).padStart(9)}  ` +
        `${fmt(r.usedMemory, 0).padStart(13)}  ${fmt(r.usedPerKey).padStart(8)}   ${fmt(r.rss, 0).padStart(13)}  ` +
        `${fmt(r.rssPerKey).padStart(7)}   ${fmt(r.startupRss, 0).padStart(11)}`,
    );
  }
  if (results.length === 2) {
    const [redis, kh] = results;
    const ratio = kh.rss / redis.rss;
    console.log(
      `RSS ratio keyhaven/redis: ${ratio.toFixed(2)}x (target <= 2.5x); per key ${(kh.rssPerKey / redis.rssPerKey).toFixed(2)}x; ` +
        `used_memory per key ${(kh.usedPerKey / redis.usedPerKey).toFixed(2)}x`,
    );
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
