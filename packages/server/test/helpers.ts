/**
 * Shared helpers for process-level tests: free ports, starting keyhaven-server or a real
 * redis-server (Debian's, for differential tests), and a small RESP client built on our own
 * protocol package. Every process started here is registered and killed by PID when the test
 * file ends, also when it fails.
 *
 * Pointing a suite at real Redis: KEYHAVEN_TEST_TARGET=redis makes `startTarget()` start a real
 * redis-server instead of Keyhaven, so the same assertions run against both.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeCommand, REPLY_ERROR, REPLY_VALUE, ReplyParser, RespError } from "@keyhaven/protocol";
import { afterAll, beforeAll } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
export const SERVER_BIN = resolve(here, "../bin/keyhaven-server");

/** A free TCP port on 127.0.0.1 (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export function hasRealRedis(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const started = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function killAll(): void {
  for (const p of started) {
    if (p.exitCode === null && p.pid !== undefined) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  started.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}
afterAll(killAll);
process.on("exit", killAll);

export function tempDir(prefix = "kh-test-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

export interface ServerProcess {
  port: number;
  pid: number;
  dir: string;
  proc: ChildProcess;
  /** Output seen so far (stdout + stderr). */
  output(): string;
  /** SIGTERM, wait for exit (bounded), SIGKILL if needed. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  kill(): Promise<void>;
  client(): Promise<RespClient>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  /** Extra redis-server style arguments. */
  args?: string[];
  /** Config file path (first argument). */
  configFile?: string;
  /** Use this port instead of a free one. */
  port?: number;
  dir?: string;
  /** Wait for "Ready to accept connections" (default true). */
  waitReady?: boolean;
  timeoutMs?: number;
}

/** Starts keyhaven-server (kind "keyhaven") or Debian's redis-server (kind "redis"). */
export async function startServer(
  kind: "keyhaven" | "redis",
  options: StartOptions = {},
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? tempDir();
  const args = [
    ...(options.configFile ? [options.configFile] : []),
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    ...(options.args?.some((a) => a === "--save") ? [] : ["--save", ""]),
    ...(options.args ?? []),
  ];
  const bin = kind === "keyhaven" ? SERVER_BIN : "redis-server";
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  started.add(proc);
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((res) => proc.on("exit", (code) => res(code)));
  const self: ServerProcess = {
    port,
    pid: proc.pid!,
    dir,
    proc,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      const code = await Promise.race([exited, sleep(10_000).then(() => undefined)]);
      if (code === undefined) {
        proc.kill("SIGKILL");
        return exited;
      }
      return code;
    },
    async kill() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await exited;
    },
    client: () => RespClient.connect(port),
  };
  if (options.waitReady !== false) {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    while (!/Ready to accept connections/.test(out)) {
      if (proc.exitCode !== null) throw new Error(`${kind} exited early (${proc.exitCode}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`${kind} not ready in time:\n${out}`);
      await sleep(20);
    }
  }
  return self;
}

/** The server the command suites run against: Keyhaven, or real Redis with KEYHAVEN_TEST_TARGET=redis. */
export function startTarget(options: StartOptions = {}): Promise<ServerProcess> {
  return startServer(process.env.KEYHAVEN_TEST_TARGET === "redis" ? "redis" : "keyhaven", options);
}

/**
 * The setup most command suites share: registers hooks on the enclosing file or describe block
 * that start the target with one client before its tests and hand both to `use` (which may open
 * more clients, and close them in an afterAll of its own), then close that client and stop the
 * server after them.
 */
export function withTarget(
  options: StartOptions,
  use: (started: { server: ServerProcess; c: RespClient }) => unknown,
): void {
  let server: ServerProcess | undefined;
  let c: RespClient | undefined;
  beforeAll(async () => {
    server = await startTarget(options);
    c = await server.client();
    await use({ server, c });
  });
  afterAll(() => stopTarget(server, c));
}

/**
 * Closes the clients, then stops the server (withTarget's afterAll). Each may be unset
 * when beforeAll failed part way (the server is still killed by PID when the file ends).
 */
export async function stopTarget(
  server: ServerProcess | undefined,
  ...clients: (RespClient | undefined)[]
): Promise<void> {
  for (const c of clients) c?.close();
  await server?.stop();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` until it returns true (bounded); throws with `what` on timeout. A function for
 * `what` is called then, so the message can show what was seen by the end (a process's output).
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await sleep(25);
  }
}

type Reply = unknown;

/**
 * A minimal RESP client: `call()` sends one command and resolves with its reply (errors as
 * RespError values, not rejections, so tests can assert their exact text). Replies decode as
 * latin1 strings (one char per byte, as the server stores them) unless `utf8` is set.
 */
export class RespClient {
  private readonly socket: Socket;
  private readonly parser: ReplyParser;
  private readonly waiting: ((r: Reply) => void)[] = [];
  /** Push messages and replies nobody waited for (pub/sub). */
  readonly pushed: Reply[] = [];
  private closed = false;
  private pushWaiters: (() => void)[] = [];

  private constructor(socket: Socket, typed: boolean) {
    this.socket = socket;
    this.parser = new ReplyParser({ typed, strings: "latin1" });
    socket.on("data", (chunk: Buffer) => {
      this.parser.feed(chunk);
      for (;;) {
        const status = this.parser.next();
        if (status === REPLY_VALUE) {
          const w = this.waiting.shift();
          if (w) w(this.parser.value);
          else {
            this.pushed.push(this.parser.value);
            for (const p of this.pushWaiters.splice(0)) p();
          }
        } else if (status === REPLY_ERROR) {
          socket.destroy(new Error(this.parser.error));
          return;
        } else break;
      }
    });
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(new RespError("CONNECTION CLOSED"));
      for (const p of this.pushWaiters.splice(0)) p();
    });
    socket.on("error", () => {});
  }

  /** `localAddress` picks the source address (127.0.0.2 is a loopback peer Redis does not call local). */
  static connect(
    port: number,
    options: { typed?: boolean; host?: string; localAddress?: string } = {},
  ): Promise<RespClient> {
    return new Promise((res, rej) => {
      const socket = new Socket();
      socket.setNoDelay(true);
      socket.once("error", rej);
      socket.connect({ port, host: options.host ?? "127.0.0.1", localAddress: options.localAddress }, () => {
        socket.off("error", rej);
        res(new RespClient(socket, options.typed ?? false));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends a command (strings are sent as latin1 bytes) and waits for its reply. */
  call(...args: (string | number | Buffer)[]): Promise<Reply> {
    return new Promise((res) => {
      if (this.closed) return res(new RespError("CONNECTION CLOSED"));
      this.waiting.push(res);
      this.socket.write(encodeCommand(args));
    });
  }

  /** Sends raw bytes; `replies` is how many replies to wait for. */
  raw(bytes: string | Buffer, replies = 1): Promise<Reply[]> {
    const out: Promise<Reply>[] = [];
    for (let i = 0; i < replies; i++) out.push(new Promise((res) => this.waiting.push(res)));
    this.socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
    return Promise.all(out);
  }

  /** Waits until at least `n` unsolicited messages arrived (bounded). */
  async waitPushed(n: number, timeoutMs = 5000): Promise<Reply[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.pushed.length < n) {
      if (this.closed || Date.now() > deadline)
        throw new Error(`expected ${n} pushed messages, got ${this.pushed.length}`);
      await Promise.race([new Promise<void>((r) => this.pushWaiters.push(r)), sleep(50)]);
    }
    return this.pushed.splice(0, n);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** INFO <section> as a map of field -> value (from a plain or a typed client). */
export async function infoSection(c: RespClient, section: string): Promise<Map<string, string>> {
  const reply = await c.call("INFO", section);
  // A typed client gets { type: "bulk" | "verbatim", value: Buffer }.
  const typedText = (reply as { value?: unknown } | null)?.value;
  const text = Buffer.isBuffer(typedText) ? typedText.toString("latin1") : String(reply);
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  return fields;
}

/** An error reply's text, for `expect(errorText(reply)).toBe(...)`. */
export function errorText(reply: unknown): string | null {
  return reply instanceof RespError ? reply.message : null;
}
