/**
 * Process-level helpers for the protocol package's tests: finding a free port, starting a real
 * redis-server (Debian's redis-server package) on 127.0.0.1 with persistence off, and a minimal
 * RESP client built on this package's request encoder and reply parser (byte strings as latin1).
 *
 * Every wait is bounded; servers are killed by PID (stop()), never by name.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeCommand, REPLY_ERROR, REPLY_VALUE, ReplyParser, RespError } from "../../src/index.js";

/** The redis-server version string ("7.0.15"), or null when it is not installed. */
export function redisServerVersion(): string | null {
  const r = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (r.status !== 0 || typeof r.stdout !== "string") return null;
  const m = /v=(\d+\.\d+\.\d+)/.exec(r.stdout);
  return m ? m[1] : null;
}

export function hasBinary(name: string): boolean {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return r.status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RespClient {
  private readonly socket: Socket;
  private readonly parser = new ReplyParser({ strings: "latin1" });
  private readonly waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private closed: Error | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.parser.feed(chunk);
      for (;;) {
        const status = this.parser.next();
        if (status === REPLY_VALUE) {
          const w = this.waiting.shift();
          const v = this.parser.value;
          if (v instanceof RespError) w?.reject(v);
          else w?.resolve(v);
        } else if (status === REPLY_ERROR) {
          this.fail(new Error(`bad reply: ${this.parser.error}`));
          return;
        } else break;
      }
    });
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection closed")));
  }

  private fail(e: Error): void {
    if (this.closed === null) this.closed = e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  static connect(port: number, timeoutMs = 2000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error("connect timeout"));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new RespClient(socket));
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Sends a command; arguments are latin1 strings (bytes), Buffers or numbers. */
  call(...args: (string | Buffer | number)[]): Promise<unknown> {
    if (this.closed !== null) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface RedisProcess {
  port: number;
  pid: number;
  dir: string;
  client: RespClient;
  /** Kills the server by PID and waits (bounded) for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server in `dir` on a free port; resolves once it answers PING (or rejects after
 * `timeoutMs`, having killed it). Extra config is passed as `--name value` pairs.
 */
export async function startRedis(
  dir: string,
  config: Record<string, string> = {},
  timeoutMs = 10000,
): Promise<RedisProcess> {
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--enable-debug-command",
    "yes",
    "--logfile",
    "redis.log",
  ];
  for (const [k, v] of Object.entries(config)) args.push(`--${k}`, v);
  const child: ChildProcess = spawn("redis-server", args, { stdio: "ignore", cwd: dir });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const stop = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      child.kill("SIGKILL");
      const deadline = Date.now() + 5000;
      while (!exited && Date.now() < deadline) await sleep(20);
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`redis-server exited at startup (see ${join(dir, "redis.log")})`);
    try {
      const client = await RespClient.connect(port, 500);
      try {
        await client.call("PING");
        return {
          port,
          pid: child.pid ?? -1,
          dir,
          client,
          stop: async () => {
            client.close();
            await stop();
          },
        };
      } catch (e) {
        client.close();
        // LOADING: keep waiting.
        if (!(e instanceof RespError)) throw e;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error("redis-server did not start in time");
    }
    await sleep(50);
  }
}
