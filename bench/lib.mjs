/**
 * Shared helpers of the benchmarks: free ports, starting redis-server / keyhaven-server (each in
 * an empty temp dir, no persistence), a bare pipelining RESP connection, and reading INFO memory.
 * Every process started here is killed by PID when the script exits, also on error or Ctrl-C.
 */

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const KEYHAVEN_BIN = resolve(here, "../packages/server/bin/keyhaven-server");
const NODE_FLOOR_SERVER = resolve(here, "node-floor-server.mjs");

/**
 * CPU time (user + system, in ms) process `pid` has used so far, from /proc (Linux; 10 ms ticks);
 * `withReapedChildren` adds its reaped children's (Redis's BGSAVE and diskless-sync forks). On a
 * shared 2-core machine wall-clock rps moves with whatever else runs; a server's own CPU time per
 * request much less, so benches print it beside the rps. NaN once the process is gone.
 */
export function cpuMs(pid, withReapedChildren = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(f[11]) + Number(f[12]) + (withReapedChildren ? Number(f[13]) + Number(f[14]) : 0);
    return ticks * 10;
  } catch {
    return Number.NaN;
  }
}

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

/** The median of numbers (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One `redis-benchmark -q -c 50 -t <test>` run against `port`: its requests per second. */
export function redisBenchmarkRps(port, test, requests) {
  const r = spawnSync(
    "redis-benchmark",
    ["-p", String(port), "-q", "-c", "50", "-n", String(requests), "-t", test],
    { encoding: "latin1", timeout: 600_000 },
  );
  const m = /: ([\d.]+) requests per second/.exec(r.stdout.replace(/\r/g, "\n"));
  if (m === null) throw new Error(`redis-benchmark failed: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/**
 * Spawns redis-server, keyhaven-server or (kind "node-floor") node-floor-server.mjs on `port`
 * and `dir` with no persistence, then
 * `extraArgs` (a later option wins over a default), without waiting for it: for benches that time
 * the start itself. The output so far is in `proc.log`, the exit in `proc.exited`. `env` replaces
 * the environment. Killed by PID when the script exits.
 */
export function spawnServer(kind, port, dir, extraArgs = [], env = undefined) {
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
  // KEYHAVEN_NODE_FLAGS (in the environment) replaces the bin script's Node flags, to compare V8
  // settings (e.g. "--max-semi-space-size=16"); its malloc settings stay.
  const [bin, pre] =
    kind === "redis"
      ? ["redis-server", []]
      : kind === "node-floor"
        ? [process.execPath, [NODE_FLOOR_SERVER]]
        : [KEYHAVEN_BIN, []];
  const proc = spawn(bin, [...pre, ...args, ...extraArgs], { stdio: ["ignore", "pipe", "pipe"], env });
  children.add(proc);
  proc.log = "";
  proc.stdout.on("data", (d) => {
    proc.log += d;
  });
  proc.stderr.on("data", (d) => {
    proc.log += d;
  });
  proc.exited = new Promise((r) => proc.on("exit", r));
  return proc;
}

/**
 * Starts a server (see spawnServer) on a free port and a new temporary directory, or on
 * `options.dir` (removed by `stop` all the same), and resolves once it logs that it is ready
 * (after loading what the directory holds). `options.env` replaces the environment.
 */
export async function start(kind, extraArgs = [], options = {}) {
  const port = await freePort();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `kh-bench-${kind}-`));
  dirs.add(dir);
  const proc = spawnServer(kind, port, dir, extraArgs, options.env);
  const deadline = Date.now() + 15_000;
  while (!/Ready to accept connections/.test(proc.log)) {
    if (proc.exitCode !== null) throw new Error(`${kind} exited early:\n${proc.log}`);
    if (Date.now() > deadline) throw new Error(`${kind} not ready:\n${proc.log}`);
    await sleep(20);
  }
  return { kind, port, proc, dir };
}

const CRLF = Buffer.from("\r\n");

/** A bare pipelining connection: counts replies of a known shape, reads one reply. */
export class Conn {
  constructor(socket) {
    this.socket = socket;
    /** Received bytes not consumed yet, as chunks (concatenated only when a reply is parsed). */
    this.chunks = [];
    this.length = 0;
    this.waiter = null;
    socket.on("data", (d) => {
      this.chunks.push(d);
      this.length += d.length;
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
  get buf() {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
  set buf(b) {
    this.chunks = b.length === 0 ? [] : [b];
    this.length = b.length;
  }
  async waitFor(pred) {
    while (!pred()) await new Promise((r) => (this.waiter = r));
    this.waiter = null;
  }
  /** Sends `payload` (a string or Buffers) holding `n` commands that each answer `+OK\r\n`; waits for all. */
  sendOks(payload, n) {
    return this.sendCounted(payload, n, Buffer.from("+OK\r\n"));
  }
  /**
   * Sends `payload` holding `n` commands whose replies all have `reply`'s length (the first must
   * equal it, the last must look like it); waits for all of them.
   */
  async sendCounted(payload, n, reply) {
    if (Array.isArray(payload)) for (const b of payload) this.socket.write(b);
    else this.socket.write(payload);
    const size = reply.length;
    const want = n * size;
    await this.waitFor(() => this.length >= want);
    const all = this.buf;
    const last = all.subarray(want - size, want);
    if (
      !all.subarray(0, size).equals(reply) ||
      last[0] !== reply[0] ||
      !last.subarray(size - 2).equals(CRLF)
    ) {
      throw new Error(`unexpected reply: ${all.subarray(0, 80)}`);
    }
    this.buf = all.subarray(want);
  }
  /** Sends one command and returns its reply as text (bulk, simple or error). */
  async command(...args) {
    let s = `*${args.length}\r\n`;
    for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    this.socket.write(s);
    await this.waitFor(() => {
      if (this.length === 0) return false;
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

/**
 * Kills a server started by `start` (by PID) and forgets it; the promise resolves once it has
 * exited and its directory is removed.
 */
export async function stop(srv) {
  if (srv.proc.exitCode === null && srv.proc.signalCode === null) process.kill(srv.proc.pid, "SIGKILL");
  children.delete(srv.proc);
  await srv.proc.exited;
  rmSync(srv.dir, { recursive: true, force: true });
  dirs.delete(srv.dir);
}

/** One redis-benchmark run of a custom command (`argv`, with `options` such as -r): its rps. */
export async function benchmarkCommand(port, argv, requests, options = []) {
  const r = spawnSync(
    "redis-benchmark",
    ["-p", String(port), "-q", "-c", "50", "-n", String(requests), ...options, ...argv],
    { encoding: "latin1", timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const m = /: ([\d.]+) requests per second/.exec(r.stdout.replace(/\r/g, "\n"));
  if (m === null) throw new Error(`redis-benchmark failed: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/**
 * Runs custom-command benchmarks on redis-server and keyhaven-server side by side: `rounds`
 * rounds alternating which server goes first, `prepare(server)` before each server's turn, then
 * every test `[name, redis-benchmark options, argv, divisor]` with `requests / divisor` requests.
 * Prints each test's median rps and the ratio keyhaven/redis; servers are killed by PID after.
 */
export async function compareCommands({ title, tests, rounds, requests, prepare }) {
  try {
    const servers = [await start("redis"), await start("keyhaven")];
    console.log(`${title}: redis-benchmark -c 50, ${rounds} rounds, median`);
    const samples = new Map(tests.map(([name]) => [name, { redis: [], keyhaven: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        await prepare(server);
        for (const [name, options, argv, divisor] of tests) {
          const rps = await benchmarkCommand(server.port, argv, requests / divisor, options);
          samples.get(name)[server.kind].push(rps);
        }
      }
    }
    for (const [name, { redis, keyhaven }] of samples) {
      const r = median(redis);
      const k = median(keyhaven);
      console.log(
        `${name.padEnd(16)} redis ${r.toFixed(0).padStart(8)} rps  keyhaven ${k.toFixed(0).padStart(8)} rps  ratio ${(k / r).toFixed(2)}x`,
      );
    }
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    cleanup();
  }
}
