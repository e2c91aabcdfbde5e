/**
 * Shared helpers for the sorted set benchmarks (bench/zset-*.mjs): starting a real redis-server
 * and keyhaven-server side by side (through lib.mjs, which kills them by PID when the script
 * ends), a pipelined command sender, INFO parsing.
 */

import { Socket } from "node:net";
import { start, stop } from "./lib.mjs";

export { sleep } from "./lib.mjs";

/** Starts "redis" (Debian's redis-server) or "keyhaven" (lib.mjs `start`) with a connection to it. */
export async function startServer(kind, extraArgs = []) {
  const srv = await start(kind, extraArgs);
  const conn = await Conn.open(srv.port);
  return { ...srv, pid: srv.proc.pid, conn, stop: () => stop(srv) };
}

function encode(args) {
  let s = `*${args.length}\r\n`;
  for (const a of args) {
    const str = String(a);
    s += `$${Buffer.byteLength(str, "latin1")}\r\n${str}\r\n`;
  }
  return s;
}

/** A connection that sends commands in pipelined batches and counts one-line replies. */
export class Conn {
  static open(port) {
    return new Promise((res, rej) => {
      const s = new Socket();
      s.setNoDelay(true);
      s.once("error", rej);
      s.connect(port, "127.0.0.1", () => res(new Conn(s)));
    });
  }
  constructor(socket) {
    this.socket = socket;
    this.buf = "";
    this.waiter = null;
    socket.on("data", (d) => {
      this.buf += d.toString("latin1");
      this.waiter?.();
    });
  }
  /** Sends one command and returns its raw reply text (simple replies and bulk strings). */
  async call(...args) {
    this.buf = "";
    this.socket.write(encode(args));
    for (;;) {
      const r = complete(this.buf);
      if (r !== null) return r;
      await new Promise((res) => (this.waiter = res));
    }
  }
  /**
   * Sends `count` commands made by `make(i)`, `window` at a time, waiting for their replies
   * (every reply must be one line: integers, simple strings or errors).
   */
  async pipeline(count, make, window = 1000) {
    let errors = 0;
    for (let start = 0; start < count; start += window) {
      const n = Math.min(window, count - start);
      let chunk = "";
      for (let i = 0; i < n; i++) chunk += encode(make(start + i));
      this.buf = "";
      this.socket.write(chunk);
      let lines = 0;
      let scanned = 0;
      while (lines < n) {
        await new Promise((res) => (this.waiter = res));
        for (let at = this.buf.indexOf("\r\n", scanned); at !== -1; at = this.buf.indexOf("\r\n", scanned)) {
          if (this.buf.charCodeAt(scanned) === 45) errors++;
          lines++;
          scanned = at + 2;
        }
      }
    }
    if (errors > 0) throw new Error(`${errors} commands failed`);
  }
  close() {
    this.socket.destroy();
  }
}

function complete(buf) {
  const eol = buf.indexOf("\r\n");
  if (eol === -1) return null;
  if (buf[0] !== "$") return buf.slice(0, eol);
  const len = Number(buf.slice(1, eol));
  if (len < 0) return null;
  if (buf.length < eol + 2 + len + 2) return null;
  return buf.slice(eol + 2, eol + 2 + len);
}

/** One field of INFO (as a number when numeric). */
export async function infoField(conn, section, field) {
  const text = await conn.call("INFO", section);
  const m = new RegExp(`^${field}:(.*)$`, "m").exec(text);
  if (!m) throw new Error(`no ${field} in INFO ${section}`);
  const v = m[1].trim();
  return /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

/** A small deterministic PRNG (mulberry32), so both servers get the same data. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
