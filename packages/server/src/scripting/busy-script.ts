/**
 * A script running past busy-reply-threshold (Redis's scriptInterrupt and
 * processEventsWhileBlocked). A script runs synchronously, so the event loop cannot serve anyone
 * until it returns; once it is slow, the Lua hook (every HOOK_COUNT steps) serves the other
 * clients itself: it reads what their sockets hold straight from their file descriptors, runs
 * those commands through dispatch, where everything but the allow_busy commands is refused
 * with -BUSY, and writes the replies back the same way (with any reply still waiting from
 * before the script, as the beforeSleep that Redis runs there would). That is how SCRIPT KILL reaches a
 * script (and how Sentinel, which answers -BUSY with SCRIPT KILL, gets a stuck master back).
 *
 *   EVAL ──► script runs ──hook──► slow? ──no──► continue
 *                                   │yes
 *                                   ▼
 *          serve other clients (BUSY / SCRIPT KILL / SHUTDOWN NOSAVE) ──killed?──► raise
 *
 * Not served meanwhile: new connections (they wait in the listen backlog), our master's link
 * and replicas, and the client running the script (Redis protects it too).
 */

import { readSync, writeSync } from "node:fs";
import { LuaError } from "@keyhaven/lua";
import { gates } from "../exec/dispatch.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { errorTable } from "./lua-reply.js";

/** Minimum time between two rounds of serving clients, in ms (the hook may come back sooner). */
const SERVE_INTERVAL_MS = 1;
const READ_CHUNK = 16 * 1024;

export type BusyKind = "eval" | "function";

/** The libuv handle of a net.Socket: its descriptor, and the bytes libuv has not written yet. */
interface SocketWithFd {
  _handle?: { fd?: number; writeQueueSize?: number } | null;
}

export class BusyScriptWatch {
  private readonly server: Server;
  private startedAt = 0;
  private kind: BusyKind = "eval";
  private name = "";
  private caller: Client | null = null;
  private lastServed = 0;
  /** Past busy-reply-threshold: other clients are being answered -BUSY. */
  timedOut = false;
  /** SCRIPT KILL / FUNCTION KILL was accepted: the script raises at its next hook. */
  killed = false;

  constructor(server: Server) {
    this.server = server;
  }

  begin(caller: Client, kind: BusyKind, name: string): void {
    this.startedAt = performance.now();
    this.caller = caller;
    this.kind = kind;
    this.name = name;
    this.timedOut = false;
    this.killed = false;
  }

  /** How long the current script has run (scriptRunDuration). */
  elapsedMs(): number {
    return Math.floor(performance.now() - this.startedAt);
  }

  end(): void {
    if (this.timedOut) gates.busyScriptError = null;
    this.timedOut = false;
    this.killed = false;
    this.caller = null;
  }

  /**
   * The Lua hook: once the script is slow, serves the other clients; raises the kill error
   * (again at every later step, so a pcall cannot swallow it) once SCRIPT KILL was accepted.
   * `armNextStep` makes the interpreter call the hook again at its very next step.
   */
  check(armNextStep: () => void): void {
    const now = performance.now();
    if (!this.timedOut) {
      const threshold = this.server.config.num("busy-reply-threshold");
      if (threshold <= 0 || now - this.startedAt < threshold) return;
      this.timedOut = true;
      gates.busyScriptError =
        this.kind === "eval"
          ? "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
          : "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
      this.server.logger.warning(
        `Slow script detected: still in execution after ${Math.floor(now - this.startedAt)} milliseconds. You can try killing the script using the ${this.kind === "eval" ? "SCRIPT KILL" : "FUNCTION KILL"} command. Script name is: ${this.name}.`,
      );
    }
    if (!this.killed && now - this.lastServed >= SERVE_INTERVAL_MS) {
      this.lastServed = now;
      this.serveClients();
    }
    if (this.killed) {
      this.server.logger.warning("Lua script killed by user with SCRIPT KILL.");
      armNextStep();
      throw new LuaError(errorTable("ERR Script killed by user with SCRIPT KILL..."));
    }
  }

  /** One round of processEventsWhileBlocked over the connected clients' sockets. */
  private serveClients(): void {
    for (const c of [...this.server.clients.values()]) {
      if (c === this.caller || c.socket === null) continue;
      if ((c.flags & (ClientFlag.Master | ClientFlag.Replica | ClientFlag.CloseAsap)) !== 0) continue;
      const socket = c.socket as unknown as SocketWithFd;
      const fd = socket._handle?.fd;
      if (typeof fd !== "number" || fd < 0) continue;
      const input = readAvailable(fd);
      if (input !== null) c.onData(input);
      // Replies made earlier in the turn the script started in wait too: beforeSleep, which
      // would have written them, cannot run until the script ends.
      if (c.out.hasPending) this.writeReplies(c, socket, fd);
    }
  }

  /**
   * Sends what the client's commands replied, at once; when libuv still holds unwritten bytes
   * for the socket, the replies wait for them in the client's buffer so that their order holds.
   * (Node's writableLength would also count writes that reached the kernel but whose callback
   * the blocked event loop has not run yet.)
   */
  private writeReplies(c: Client, socket: SocketWithFd, fd: number): void {
    if ((socket._handle?.writeQueueSize ?? 0) !== 0) return;
    const bytes = c.out.takeOne();
    if (bytes === null) return;
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch {
      // EAGAIN (a full socket buffer) or a closed peer: the rest goes the usual way.
    }
    if (written < bytes.length) c.socket?.write(bytes.subarray(written));
  }
}

/** The bytes waiting on a non-blocking socket, or null for none (EAGAIN), EOF or an error. */
function readAvailable(fd: number): Buffer | null {
  const chunks: Buffer[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    let n: number;
    try {
      n = readSync(fd, buf, 0, READ_CHUNK, null);
    } catch {
      break;
    }
    if (n <= 0) break;
    chunks.push(buf.subarray(0, n));
    if (n < READ_CHUNK) break;
  }
  if (chunks.length === 0) return null;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
