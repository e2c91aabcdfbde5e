/**
 * One connection: its socket, query parser, output buffer and the per-client state Redis keeps
 * in `struct client` (selected db, protocol version, MULTI state, WATCHed keys, subscriptions,
 * blocking state, flags). Reading feeds the parser and dispatches each complete command;
 * replies accumulate in `out` and are written once per event-loop turn by the server's flush
 * (beforeSleep), never per command.
 *
 * Handlers receive the client and read `argv`; they reply through `out` (a ReplyWriter) and reach
 * the server and the selected database through `server` and `db`.
 */

import type { Socket } from "node:net";
import { PARSE_COMMAND, PARSE_ERROR, ReplyWriter, RequestParser } from "@keyhaven/protocol";
import type { AclUser } from "../acl/user.js";
import type { Command } from "../commands/spec.js";
import { refreshClock } from "../keyspace/clock.js";
import type { Db } from "../keyspace/db.js";
import type { Server } from "../server.js";

/**
 * Ends `socket` (after `last`, if given) and destroys it once everything is handed to the kernel,
 * as Redis writes its last reply and closes the descriptor: the peer may never read or close its
 * side, and a socket nobody reads from never learns that it did (its descriptor would stay open).
 */
export function closeOnceWritten(socket: Socket, last?: string): void {
  const destroy = () => socket.destroy();
  if (last === undefined) socket.end(destroy);
  else socket.end(last, destroy);
}

export enum ClientFlag {
  None = 0,
  Multi = 1 << 0,
  /** A WATCHed key was touched: EXEC will fail. */
  DirtyCas = 1 << 1,
  /** A command failed to queue: EXEC will fail with EXECABORT. */
  DirtyExec = 1 << 2,
  CloseAfterReply = 1 << 3,
  CloseAsap = 1 << 4,
  Blocked = 1 << 5,
  PubSub = 1 << 6,
  /** This connection is our master's link (its writes are trusted and not refused). */
  Master = 1 << 7,
  /** This connection is a replica attached to us. */
  Replica = 1 << 8,
  Monitor = 1 << 9,
  NoEvict = 1 << 10,
  /** Waiting for CLIENT PAUSE to end before running its pending command. */
  Postponed = 1 << 11,
  /** A Unix-socket client. */
  UnixSocket = 1 << 12,
  /** Client created internally (AOF loading): no socket. */
  Fake = 1 << 13,
  ReplyOff = 1 << 14,
  ReplySkipNext = 1 << 15,
  ReplySkip = 1 << 16,
  /** Being served inside EXEC (blocking commands must not block). */
  InExec = 1 << 17,
  /** The client Lua scripts run their commands as (MONITOR shows it as "lua"). */
  Script = 1 << 18,
}

export interface QueuedCommand {
  cmd: Command;
  argv: string[];
}

export class Client {
  readonly id: number;
  readonly server: Server;
  readonly socket: Socket | null;
  readonly parser: RequestParser;
  /** Replies go here; swapped for a sink during CLIENT REPLY OFF/SKIP commands. */
  out = new ReplyWriter();
  /**
   * The real writer while `out` is that sink: pub/sub pushes still reach the client then
   * (Redis's CLIENT_PUSHING), subscription confirmations included.
   */
  replyOffOut: ReplyWriter | null = null;
  flags = ClientFlag.None;
  db: Db;
  argv: string[] = [];
  /** The command being executed (set by dispatch). */
  cmd: Command | null = null;
  /** The command that last ran (CLIENT LIST `cmd=`). */
  lastCmd: Command | null = null;
  name = "";
  libName = "";
  libVersion = "";
  authenticated: boolean;
  /** The ACL user; null for the master link and internal clients, which may run anything. */
  user: AclUser | null;
  readonly createdAt: number;
  lastInteraction: number;
  /** Remote and local addresses as CLIENT LIST prints them (`ip:port`, or the socket path). */
  readonly addr: string;
  readonly laddr: string;
  /** MULTI queue. */
  multiQueue: QueuedCommand[] = [];
  /** Keys this client WATCHes: "<db>\0<key>" -> [db, key]. */
  watched = new Map<string, [Db, string]>();
  channels = new Set<string>();
  patterns = new Set<string>();
  shardChannels = new Set<string>();
  /** Client-side caching state: exec/tracking.ts's Tracking bits, redirect id, BCAST prefixes. */
  tracking = 0;
  trackingRedirect = 0;
  trackingPrefixes: Set<string> | null = null;
  /** Blocking state owned by exec/blocking.ts while the client is blocked. */
  blockState: unknown = null;
  /** When the output buffer first exceeded the soft limit (ms), or 0. */
  obufSoftLimitSince = 0;
  /** Total bytes read / written, for INFO and CLIENT LIST. */
  bytesRead = 0;
  /** Replication link state for replica clients (owned by replication/master-side.ts). */
  replica: unknown = null;
  /**
   * c->woff: master_repl_offset right after the last stream bytes this client's commands produced
   * (set by replication/master-side.ts), the offset its WAIT waits for.
   */
  woff = 0;
  /** Set by a handler whose effect must not be propagated as its argv (it propagated itself). */
  preventPropagation = false;
  /** Set by a handler that must be propagated even without changing the dataset (PUBLISH...). */
  forcePropagation = false;
  /** The current command replied with an error (failed_calls); call() resets it once counted. */
  failed = false;
  /** Error replies sent so far, and the last one's text (the master link logs its own). */
  errorReplies = 0;
  lastErrorReply = "";
  /** A command held back by CLIENT PAUSE; it runs before any further input. */
  postponedArgv: string[] | null = null;
  private flushScheduled = false;

  constructor(server: Server, socket: Socket | null, db: Db, addr: string, laddr: string) {
    this.server = server;
    this.id = server.nextClientId++;
    this.socket = socket;
    this.db = db;
    this.addr = addr;
    this.laddr = laddr;
    this.parser = new RequestParser({ maxBulkLen: server.config.num("proto-max-bulk-len") });
    this.user = server.acl.defaultUser;
    this.authenticated = server.acl.startsAuthenticated();
    this.createdAt = Date.now();
    this.lastInteraction = this.createdAt;
  }

  has(flag: ClientFlag): boolean {
    return (this.flags & flag) !== 0;
  }

  /** Where a pub/sub push goes: the client's replies, even under CLIENT REPLY OFF/SKIP. */
  get pushOut(): ReplyWriter {
    return this.replyOffOut ?? this.out;
  }

  get resp(): 2 | 3 {
    return this.out.resp;
  }

  /** Replies with an error (text includes its code: `ERR ...`) and counts it in errorstats. */
  error(text: string): void {
    this.out.error(text);
    this.failed = true;
    this.errorReplies++;
    this.lastErrorReply = text;
    this.server.stats.countError(text);
  }

  /**
   * Replies with an error errorstats already counted (a script's redis.call that failed): the
   * command still counts as failed (afterErrorReply's ERR_REPLY_FLAG_NO_STATS_UPDATE branch).
   */
  errorCountedBefore(text: string): void {
    this.out.error(text);
    this.failed = true;
    this.errorReplies++;
    this.lastErrorReply = text;
  }

  markDirtyCas(): void {
    this.flags |= ClientFlag.DirtyCas;
  }

  /** Feeds bytes from the socket and runs every complete command. */
  onData(chunk: Buffer): void {
    if ((this.flags & (ClientFlag.CloseAsap | ClientFlag.CloseAfterReply)) !== 0) return;
    this.bytesRead += chunk.length;
    this.lastInteraction = refreshClock();
    try {
      this.parser.feed(chunk);
      const limit = this.server.queryBufferLimit;
      if (this.parser.bufferedLength > limit && (this.flags & ClientFlag.Master) === 0) {
        this.server.logger.warning(
          { client: this.describe() },
          "Closing client that reached max query buffer length",
        );
        this.server.closeClient(this);
        return;
      }
      this.processInput();
    } catch (err) {
      // A bug while reading or dispatching must cost this connection only, never the server.
      this.server.logger.warning(
        { client: this.describe(), error: (err as Error).stack ?? String(err) },
        "Internal error while reading from client",
      );
      this.server.closeClient(this);
      return;
    }
    this.server.scheduleFlush(this);
  }

  /** Runs buffered commands until the input is exhausted or the client must wait. */
  processInput(): void {
    const parser = this.parser;
    const stopFlags =
      ClientFlag.Blocked | ClientFlag.Postponed | ClientFlag.CloseAfterReply | ClientFlag.CloseAsap;
    if (this.postponedArgv !== null && (this.flags & stopFlags) === 0) {
      this.argv = this.postponedArgv;
      this.postponedArgv = null;
      this.server.processCommand(this);
    }
    while ((this.flags & stopFlags) === 0) {
      const status = parser.next();
      if (status === PARSE_COMMAND) {
        if (parser.argv.length === 0) continue;
        this.argv = parser.argv;
        this.server.processCommand(this);
      } else if (status === PARSE_ERROR) {
        this.server.stats.protocolErrors++;
        this.error(`ERR ${parser.error}`);
        this.flags |= ClientFlag.CloseAfterReply;
        this.server.logger.verbose(
          { client: this.describe(), error: parser.error },
          "Protocol error from client",
        );
        return;
      } else {
        return;
      }
    }
  }

  /** Queues this client for the end-of-turn flush. */
  scheduleFlush(): boolean {
    if (this.flushScheduled) return false;
    this.flushScheduled = true;
    return true;
  }

  /**
   * Writes everything pending to the socket (called once per turn by the server). Returns the
   * bytes still queued in Node's socket buffer, for the output-buffer limits.
   */
  flush(): number {
    this.flushScheduled = false;
    const socket = this.socket;
    if (socket === null || socket.destroyed) {
      this.out.discard();
      return 0;
    }
    const data = this.out.take();
    if (data !== null) {
      if (Array.isArray(data)) {
        socket.cork();
        for (const chunk of data) socket.write(chunk);
        socket.uncork();
      } else {
        socket.write(data);
      }
    }
    if ((this.flags & ClientFlag.CloseAfterReply) !== 0 && !socket.writableEnded) {
      closeOnceWritten(socket);
    }
    return socket.writableLength;
  }

  /** Bytes of output not yet handed to the kernel (obl+oll in CLIENT LIST terms). */
  get outputBytes(): number {
    return this.out.pendingBytes + (this.socket?.writableLength ?? 0);
  }

  /** `id=.. addr=.. name=..` for logs. */
  describe(): string {
    return `id=${this.id} addr=${this.addr} laddr=${this.laddr} name=${this.name}`;
  }
}
