/**
 * The client that represents our master once a replica is connected (server.master in Redis):
 * it applies the replication stream and keeps the replication offsets of the link.
 *
 * Its commands run like any client's, through dispatch, with a trusted RequestParser (no bulk
 * length limit) and the Master flag (not refused as writes on a read-only replica, no OOM, no
 * MASTERDOWN, visible expired keys); their replies are dropped: Redis never answers its master,
 * except REPLCONF ACK, written straight to the socket.
 *
 * Offsets: `reploff` advances by exactly the bytes of each applied command (`parser.consumed`),
 * and only outside MULTI, so a transaction counts as applied when EXEC ran; `readReploff` counts
 * every byte read. The applied bytes, verbatim, go to our backlog and our own replicas
 * (replicationFeedStreamFromMasterStream), once per read as processInputBuffer does: a chain of
 * replicas has one history and the same offsets from top to bottom.
 */

import type { Socket } from "node:net";
import { encodeCommand, PARSE_COMMAND, PARSE_ERROR } from "@keyhaven/protocol";
import { refreshClock } from "../keyspace/clock.js";
import type { Db } from "../keyspace/db.js";
import { Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";

export class MasterLinkClient extends Client {
  /** The master's replication id and how far we applied / read its stream. */
  replId = "";
  reploff = 0;
  readReploff = 0;
  /** A pre-PSYNC master (SYNC): it expects no REPLCONF ACK. */
  prePsync = false;
  /** The stream could not be parsed: this master is not cached for PSYNC (it would resend it). */
  protocolError = false;
  /** parser.consumed when the offset last advanced. */
  private appliedBase = 0;
  /** The offset up to which applied bytes were proxied to our backlog and replicas. */
  private forwardedOff = 0;
  /** Received chunks not yet forwarded downstream, and how much of the first one was. */
  private readonly raw: Buffer[] = [];
  private rawHead = 0;
  /** Where applied bytes go (MasterSide.feedStream). */
  private readonly forward: (bytes: Buffer) => void;

  constructor(
    server: Server,
    socket: Socket,
    db: Db,
    addr: string,
    laddr: string,
    forward: (bytes: Buffer) => void,
  ) {
    super(server, socket, db, addr, laddr);
    this.forward = forward;
    this.flags |= ClientFlag.Master;
    this.authenticated = true;
    this.user = null;
    this.parser.trusted = true;
  }

  /** Starts the offsets at `reploff` (the offset of the RDB, or the PSYNC point). */
  startAt(replId: string, reploff: number, prePsync: boolean): void {
    this.replId = replId;
    this.reploff = reploff;
    this.readReploff = reploff;
    this.forwardedOff = reploff;
    this.prePsync = prePsync;
  }

  /** Redis never replies to its master (REPLCONF ACK is written directly). */
  override flush(): number {
    this.out.discard();
    return super.flush();
  }

  /**
   * A command of the master's stream failed here (afterErrorReply for a master client): logged,
   * counted in unexpected_error_replies, and fatal on a read-only replica when
   * propagation-error-behavior says so, since the replica's data no longer follows its master.
   */
  private onErrorReply(): void {
    const server = this.server;
    const cmdName = this.lastCmd?.fullName ?? "<unknown>";
    server.logger.warning(
      `== CRITICAL == This replica is sending an error to its master: '${this.lastErrorReply.slice(0, 4096)}' after processing the command '${cmdName}'`,
    );
    server.stats.unexpectedErrorReplies++;
    const behavior = server.config.str("propagation-error-behavior");
    if (server.config.bool("replica-read-only") && behavior !== "ignore") {
      server.logger.warning(
        `Guru Meditation: This replica panicked sending an error to its master after processing the command '${cmdName}'`,
      );
      process.abort();
    }
  }

  /** Runs the master's commands from `chunk`, advancing the offset command by command. */
  applyStream(chunk: Buffer): void {
    if ((this.flags & ClientFlag.CloseAsap) !== 0) return;
    const server = this.server;
    refreshClock();
    this.lastInteraction = Date.now();
    this.bytesRead += chunk.length;
    this.readReploff += chunk.length;
    this.raw.push(chunk);
    const parser = this.parser;
    parser.feed(chunk);
    for (;;) {
      const status = parser.next();
      if (status === PARSE_COMMAND) {
        this.argv = parser.argv;
        const errorsBefore = this.errorReplies;
        server.processCommand(this);
        if (this.errorReplies !== errorsBefore) this.onErrorReply();
        // Inside MULTI nothing counts as applied until EXEC ran. A GETACK during the loop
        // answers with exactly what was applied before it.
        if ((this.flags & ClientFlag.Multi) === 0) {
          this.reploff += parser.consumed - this.appliedBase;
          this.appliedBase = parser.consumed;
        }
        if ((this.flags & ClientFlag.CloseAsap) !== 0) break;
      } else if (status === PARSE_ERROR) {
        server.logger.warning({ error: parser.error }, "Protocol error from MASTER, closing the link");
        this.protocolError = true;
        this.forwardApplied();
        server.closeClient(this);
        return;
      } else {
        break;
      }
    }
    if ((this.flags & (ClientFlag.Multi | ClientFlag.CloseAsap)) === 0) {
      // Bytes the parser skipped (empty lines) after the last command count as applied too.
      this.reploff += parser.consumed - this.appliedBase;
      this.appliedBase = parser.consumed;
    }
    this.forwardApplied();
    server.scheduleBeforeSleep();
  }

  /** replicationFeedStreamFromMasterStream: the applied bytes, verbatim, downstream. */
  private forwardApplied(): void {
    let n = this.reploff - this.forwardedOff;
    if (n <= 0) return;
    this.forwardedOff = this.reploff;
    const raw = this.raw;
    while (n > 0) {
      const head = raw[0];
      const avail = head.length - this.rawHead;
      const take = Math.min(avail, n);
      this.forward(take === head.length ? head : head.subarray(this.rawHead, this.rawHead + take));
      n -= take;
      if (take === avail) {
        raw.shift();
        this.rawHead = 0;
      } else {
        this.rawHead += take;
      }
    }
  }

  /** replicationSendAck: REPLCONF ACK <applied offset> (not to a pre-PSYNC master). */
  sendAck(): void {
    if (this.prePsync) return;
    const socket = this.socket;
    if (socket === null || socket.destroyed) return;
    socket.write(encodeCommand(["REPLCONF", "ACK", String(this.reploff)]));
  }
}
