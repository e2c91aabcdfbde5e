/**
 * Shared helpers of the benchmarks: free ports, starting redis-server / keyhaven-server (each in
 * an empty temp dir, no persistence), a bare pipelining RESP connection, and reading INFO memory.
 * Every process started here is killed by PID when the script exits, also on error or Ctrl-C.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const KEYHAVEN_BIN = resolve(here, "../packages/server/bin/keyhaven-server");

const children = new Set();
const dirs = new Set();
export function cleanup() {
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

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function start(kind, extraArgs = []) {
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
export class Conn {
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

/** INFO memory figures; with `purge`, after MEMORY PURGE and a short pause (settled footprint). */
export async function memory(conn, purge = true) {
  if (purge) {
    await conn.command("MEMORY", "PURGE");
    await sleep(300);
  }
  const info = await conn.command("INFO", "memory");
  const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? Number.NaN);
  return { used: field("used_memory"), rss: field("used_memory_rss"), heap: field("allocator_allocated") };
}

/** Kills a server started by `start` (by PID) and forgets it. */
export function stop(srv) {
  if (srv.proc.exitCode === null) process.kill(srv.proc.pid, "SIGKILL");
  children.delete(srv.proc);
}

