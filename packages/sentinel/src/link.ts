/**
 * Outgoing connections to monitored instances (sentinel.c `instanceLink` over hiredis async
 * contexts): a command connection (`cc`) to every instance and a pub/sub connection (`pc`) to
 * masters and replicas, each a `node:net` socket with our own RESP encoder and reply parser.
 *
 * Invariants: replies arrive in request order, so each connection keeps a FIFO of callbacks;
 * pub/sub messages (`message` arrays) go to the connection's push handler instead. When a
 * connection closes, every pending callback is called once with `undefined` (hiredis calls its
 * callbacks with a NULL reply), the link forgets it and becomes `disconnected` until monitor.ts
 * reconnects it (at most once per ping period). A connection attempt that does not complete in
 * CONNECT_TIMEOUT_MS is abandoned, so a black-holed address never pins a socket.
 *
 * Called by monitor.ts (connect, periodic commands), down.ts, failover.ts and election.ts.
 */

import { Socket } from "node:net";
import { encodeCommand, REPLY_ERROR, REPLY_VALUE, ReplyParser } from "@keyhaven/protocol";

/**
 * A connection that has not completed its TCP handshake in this many ms is closed. Loopback and
 * LAN handshakes take well under a millisecond; 5 s leaves room for a loaded host while bounding
 * how long a dead address can hold a socket (the link is retried every ping period anyway).
 */
export const CONNECT_TIMEOUT_MS = 5000;

export type ReplyCallback = (reply: unknown) => void;

/** A FIFO of callbacks without Array.shift (head index, compacted when drained). */
class CallbackQueue {
  private items: (ReplyCallback | null)[] = [];
  private head = 0;
  push(cb: ReplyCallback | null): void {
    this.items.push(cb);
  }
  shift(): ReplyCallback | null | undefined {
    if (this.head >= this.items.length) return undefined;
    const cb = this.items[this.head];
    this.items[this.head++] = null;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return cb;
  }
  drain(): (ReplyCallback | null)[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
  get length(): number {
    return this.items.length - this.head;
  }
}

/** One RESP connection to an instance. */
export class Conn {
  readonly socket: Socket;
  private readonly parser = new ReplyParser({ strings: "latin1" });
  private readonly callbacks = new CallbackQueue();
  connected = false;
  closed = false;
  /** Messages of a subscribed connection (`["message", channel, payload]`). */
  onPush: ((reply: unknown[]) => void) | null = null;
  /** Called once when the connection is gone (error, EOF, timeout or close()). */
  onClose: (() => void) | null = null;

  constructor(host: string, port: number) {
    const socket = new Socket();
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.on("timeout", () => {
      if (!this.connected) this.close();
    });
    socket.on("connect", () => {
      this.connected = true;
      socket.setTimeout(0);
    });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    socket.connect({ host, port });
  }

  /** The local address of the socket (used as our IP in hello messages). */
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** Sends a command; `cb` gets its reply (RespError for errors), or undefined if the link dies. */
  send(argv: readonly (string | number)[], cb: ReplyCallback | null): boolean {
    if (this.closed) return false;
    this.callbacks.push(cb);
    this.socket.write(encodeCommand(argv, true));
    return true;
  }

  get pending(): number {
    return this.callbacks.length;
  }

  private onData(chunk: Buffer): void {
    const parser = this.parser;
    parser.feed(chunk);
    for (;;) {
      const status = parser.next();
      if (status === REPLY_VALUE) {
        const v = parser.value;
        if (
          this.onPush !== null &&
          Array.isArray(v) &&
          (v[0] === "message" || v[0] === "pmessage") &&
          this.callbacks.length === 0
        ) {
          this.onPush(v);
          continue;
        }
        const cb = this.callbacks.shift();
        if (cb) cb(v);
        if (this.closed) return;
      } else if (status === REPLY_ERROR) {
        this.close();
        return;
      } else {
        return;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const cb of this.callbacks.drain()) cb?.(undefined);
    this.onClose?.();
  }
}

/** instanceLink: the connections to one instance and their timing state. */
export class InstanceLink {
  /** True unless both connections (only cc for a Sentinel) are set up. */
  disconnected = true;
  pendingCommands = 0;
  cc: Conn | null = null;
  pc: Conn | null = null;
  ccConnTime = 0;
  pcConnTime = 0;
  /** Last time anything arrived on the pub/sub connection. */
  pcLastActivity = 0;
  /** Last acceptable PING reply (PONG, LOADING, MASTERDOWN). */
  lastAvailTime: number;
  /** Time of the oldest PING still unanswered (0: none pending). */
  actPingTime: number;
  /** Last PING sent. */
  lastPingTime = 0;
  /** Last PING reply, whatever it was. */
  lastPongTime: number;
  lastReconnTime = 0;

  constructor(now: number) {
    this.lastAvailTime = now;
    this.actPingTime = now;
    this.lastPongTime = now;
  }

  /** instanceLinkCloseConnection for one connection: the link is now disconnected. */
  closeConnection(conn: Conn | null): void {
    if (conn === null) return;
    if (this.cc === conn) {
      this.cc = null;
      this.pendingCommands = 0;
    }
    if (this.pc === conn) this.pc = null;
    this.disconnected = true;
    conn.close();
  }

  closeAll(): void {
    this.closeConnection(this.cc);
    this.closeConnection(this.pc);
  }

  /**
   * Sends a command on the command connection, counting it in pending_commands until its reply.
   * Returns false (like redisAsyncCommand's C_ERR) when there is no command connection.
   */
  command(argv: readonly (string | number)[], cb: ReplyCallback | null): boolean {
    const cc = this.cc;
    if (cc === null || cc.closed) return false;
    this.pendingCommands++;
    return cc.send(argv, (reply) => {
      if (this.cc === cc && this.pendingCommands > 0) this.pendingCommands--;
      cb?.(reply);
    });
  }
}
