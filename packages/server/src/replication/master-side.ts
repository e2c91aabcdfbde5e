/**
 * The master side of replication (Redis's replication.c "MASTER" half): the replicas attached to
 * us, the replication stream fed to them and to the backlog, SYNC/PSYNC, acks, pings, timeouts,
 * `min-replicas-to-write`, and the replica output-buffer limits. Full syncs (the RDB part) live in
 * full-sync.ts, the per-replica state in replica-link.ts, the REPLCONF options in replconf.ts,
 * the stream's encoding buffer in stream-buffer.ts.
 *
 * A replica's life (replstate):
 *
 *   PSYNC ok ─────────────────────────────────────────────────────────────► online (+CONTINUE)
 *   SYNC/PSYNC ─► wait_bgsave_start ─(snapshot starts: +FULLRESYNC)─► wait_bgsave_end
 *        disk:     wait_bgsave_end ─(file saved)─► send_bulk ($len + file) ─► online, stream sent
 *        diskless: wait_bgsave_end (EOF:<mark> + RDB to the socket) ─► online, stream held
 *                  until the replica's first REPLCONF ACK (so the mark ends the socket data)
 *
 * Invariant: every byte of the stream goes to the backlog (advancing master_repl_offset) and to
 * every replica past wait_bgsave_start, in the same order: to its socket when it is streaming,
 * otherwise into `pending`, which is sent right after its RDB. So a replica that got +FULLRESYNC
 * <id> <off> receives exactly the stream after `off`.
 *
 * On a replica we never produce a stream of our own (replicationFeedSlaves returns when
 * masterhost is set): replica-side.ts proxies our master's bytes through `feedStream` instead,
 * so offsets match down a chain.
 */

import { encodeCommand, ReplyWriter } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { parseOffset, replconfCommand } from "./replconf.js";
import { ReplicaLink, replicaLinkOf } from "./replica-link.js";
import type { Replication } from "./replication.js";

export type { ReplicaState } from "./replica-link.js";
export { ReplicaLink, replicaLinkOf };

/** SELECT commands for the first databases, encoded once (shared.select in Redis). */
const SELECT_CACHE: Buffer[] = [];
function selectCommand(dbId: number): Buffer {
  let cmd = SELECT_CACHE[dbId];
  if (cmd === undefined) {
    cmd = encodeCommand(["SELECT", String(dbId)]);
    if (dbId < 64) SELECT_CACHE[dbId] = cmd;
  }
  return cmd;
}

/**
 * Stream coalescing (see flushReplicas): at most this delay before a replica's socket write, and
 * this much unsent stream forces one at the end of the current turn. 1 ms keeps replication lag
 * far below what WAIT or a failover notice, and lets a busy turn-per-few-commands loop write to
 * each replica once per millisecond instead of once per turn.
 */
const REPLICA_FLUSH_MS = 1;
const REPLICA_FLUSH_BYTES = 64 * 1024;
/** The stream's slabs: a millisecond of stream at a few hundred thousand small writes per second. */
const STREAM_SLAB_BYTES = 64 * 1024;

const PING = encodeCommand(["PING"]);
const GETACK = encodeCommand(["REPLCONF", "GETACK", "*"]);
const NEWLINE = Buffer.from("\n");

export class MasterSide {
  readonly server: Server;
  readonly repl: Replication;
  /** server.slaves: every attached replica, syncing or online, in attach order. */
  readonly replicas: ReplicaLink[] = [];
  /** server.slaveseldb: the database the stream last SELECTed (-1: SELECT before the next write). */
  slaveSelDb = -1;
  /** repl_no_slaves_since (ms), for repl-backlog-ttl. */
  noReplicasSince = Date.now();
  /** repl_good_slaves_count (min-replicas-to-write). */
  goodReplicas = 0;
  /** replicationRequestAckFromSlaves: send REPLCONF GETACK before the next sleep. */
  getAckRequested = false;
  /** A flushReplicas timer is pending. */
  private flushArmed = false;
  /**
   * The stream as it is fed: commands are encoded into it once, the backlog copies them from
   * there, and its pending bytes (fed since the last flush, for every replica that is streaming:
   * the same bytes for all of them) are written as one shared Buffer per flush, instead of being
   * copied into each replica's output buffer command by command. Before a replica starts
   * streaming the pending bytes are handed to the replicas that were streaming (stageStream), so
   * each replica gets exactly the stream fed while it streamed.
   */
  private readonly stream = new ReplyWriter(STREAM_SLAB_BYTES, STREAM_SLAB_BYTES);
  /** replication_cron_loops, for repl-ping-replica-period. */
  private cronLoops = 0;

  constructor(repl: Replication) {
    this.repl = repl;
    this.server = repl.server;
  }

  // ---- The stream ----------------------------------------------------------------------------

  /**
   * replicationFeedSlaves: one propagated command for database `dbId`. Ignored on a replica
   * (we proxy our master's stream instead) and when nobody would receive it.
   */
  feedCommand(dbId: number, command: Buffer): void {
    if (!this.selectFor(dbId)) return;
    this.feedStream(command);
    this.setWriteOffset();
  }

  /** feedCommand for the propagator's argv form: encoded once, straight into the stream. */
  feedArgv(dbId: number, argv: readonly string[]): void {
    if (!this.selectFor(dbId)) return;
    const stream = this.stream;
    const start = stream.command(argv);
    const slab = stream.currentSlab;
    const end = stream.currentPos;
    this.repl.state.feedRange(slab, start, end);
    if (this.distribute(slab, start, end)) this.scheduleReplicaFlush();
    else stream.discard();
    this.setWriteOffset();
  }

  /**
   * False when the stream goes nowhere (on a replica, or with neither backlog nor replicas);
   * otherwise feeds a SELECT first when the stream's database is not `dbId`.
   */
  private selectFor(dbId: number): boolean {
    if (this.repl.isReplica) return false;
    if (this.repl.state.backlog === null && this.replicas.length === 0) return false;
    if (dbId !== this.slaveSelDb && dbId >= 0) {
      this.feedStream(selectCommand(dbId));
      this.slaveSelDb = dbId;
    }
    return true;
  }

  /**
   * The propagator emits a unit's commands while its client is still current (call() restores
   * currentClient after endUnit): Redis's call() sets c->woff when the offset moved during it.
   * PINGs and GETACKs from the cron and beforeSleep run with no current client.
   */
  private setWriteOffset(): void {
    const c = this.server.currentClient;
    if (c !== null) c.woff = this.repl.state.masterReplOffset;
  }

  /** Appends stream bytes to the backlog and to every replica past wait_bgsave_start. */
  feedStream(bytes: Buffer): void {
    this.repl.state.feed(bytes);
    if (this.distribute(bytes, 0, bytes.length)) {
      this.stream.raw(bytes);
      this.scheduleReplicaFlush();
    }
  }

  /**
   * Holds data[from, to) for every replica past wait_bgsave_start that is not streaming yet;
   * true when some replica streams (the bytes must then be in `stream` for the next flush).
   */
  private distribute(data: Buffer, from: number, to: number): boolean {
    const replicas = this.replicas;
    let overLimit: ReplicaLink[] | null = null;
    let streaming = false;
    for (let i = 0; i < replicas.length; i++) {
      const r = replicas[i];
      if (r.state === "wait_bgsave_start" || r.rdbOnly) continue;
      if (r.streaming) {
        streaming = true;
      } else {
        // A view: neither the stream's slab nor a proxied chunk is ever written again.
        r.pending.push(from === 0 && to === data.length ? data : data.subarray(from, to));
        r.pendingBytes += to - from;
        if (this.pendingOverLimit(r)) {
          if (overLimit === null) overLimit = [];
          overLimit.push(r);
        }
      }
    }
    if (overLimit !== null)
      for (const r of overLimit) this.server.checkOutputBufferLimits(r.client, r.pendingBytes);
    return streaming;
  }

  /** Stream bytes are pending for the streaming replicas: see flushReplicas for when they go. */
  private scheduleReplicaFlush(): void {
    // Past REPLICA_FLUSH_BYTES beforeSleep hands the stream out this turn (scheduling is
    // idempotent).
    if (this.stream.pendingBytes >= REPLICA_FLUSH_BYTES) {
      this.server.scheduleBeforeSleep();
    } else if (!this.flushArmed) {
      this.flushArmed = true;
      setTimeout(this.flushReplicas, REPLICA_FLUSH_MS);
    }
  }

  /**
   * Hands the pending stream to the output buffer of every streaming replica, to be written
   * at the end of this turn with their other output (before a replica starts streaming, so the
   * bytes go only to those that were streaming when they were fed; and for GETACK and bursts).
   */
  private stageStream(): void {
    const data = this.stream.takeOne();
    if (data === null) return;
    for (const r of this.replicas) {
      if (!r.streaming || r.rdbOnly) continue;
      r.out.raw(data);
      this.server.scheduleFlush(r.client);
    }
  }

  /** Cheap pre-check before the server's (logging, closing) output-limit check. */
  private pendingOverLimit(r: ReplicaLink): boolean {
    const limit = this.server.config.outputBufferLimit("replica");
    return (
      (limit.hard > 0 && r.pendingBytes >= limit.hard) || (limit.soft > 0 && r.pendingBytes >= limit.soft)
    );
  }

  /**
   * Writes the stream pending for online replicas. Under load one event-loop turn carries only a
   * few commands, and a socket write per replica per turn costs more than the commands; the
   * stream is therefore written at least every REPLICA_FLUSH_MS (or as soon as a replica has
   * REPLICA_FLUSH_BYTES pending), coalescing turns. Client replies are not delayed.
   */
  private readonly flushReplicas = (): void => {
    this.flushArmed = false;
    const server = this.server;
    const data = this.stream.takeOne();
    let overLimit: ReplicaLink[] | null = null;
    for (const r of this.replicas) {
      if (!r.streaming || r.rdbOnly || r.client.has(ClientFlag.CloseAsap)) continue;
      const c = r.client;
      // Output staged earlier (backlog after PSYNC, a GETACK) precedes the shared bytes.
      if (r.out.hasPending) {
        server.stats.totalNetReplOutputBytes += r.out.pendingBytes;
        c.flush();
      }
      const socket = c.socket;
      if (data === null || socket === null || socket.destroyed) continue;
      socket.write(data);
      server.stats.totalNetReplOutputBytes += data.length;
      if (socket.writableLength > 0) {
        if (overLimit === null) overLimit = [];
        overLimit.push(r);
      }
    }
    if (overLimit !== null)
      for (const r of overLimit) {
        const socket = r.client.socket;
        if (socket !== null) server.checkOutputBufferLimits(r.client, socket.writableLength);
      }
  };

  /** Sends what a replica accumulated and lets the stream flow to its socket. */
  startCommandStream(r: ReplicaLink): void {
    this.stageStream();
    r.startStreamOnAck = false;
    const c = r.client;
    for (const b of r.pending) r.out.raw(b);
    r.pending = [];
    r.pendingBytes = 0;
    this.server.scheduleFlush(c);
  }

  /** replicaPutOnline: the RDB went out; the replica now counts for WAIT and min-replicas. */
  putOnline(r: ReplicaLink): void {
    this.stageStream();
    r.state = "online";
    r.ackTime = clock.ms;
    this.server.logger.notice({ replica: r.name }, `Synchronization with replica ${r.name} succeeded`);
    this.refreshGoodReplicas();
  }

  // ---- SYNC / PSYNC ----------------------------------------------------------------------------

  /** syncCommand: SYNC and PSYNC <replid> <offset> [FAILOVER]. */
  sync(c: Client): void {
    const server = this.server;
    const repl = this.repl;
    if (c.has(ClientFlag.Replica)) return;
    const argv = c.argv;
    const isPsync = argv[0].toLowerCase() === "psync";
    if (isPsync && argv.length > 3 && argv[3].toLowerCase() === "failover") {
      if (argv[1].toLowerCase() === repl.state.replId) {
        repl.replica.unsetMaster();
        server.logger.notice(`MASTER MODE enabled (failover request from '${c.describe()}')`);
      } else {
        c.error("ERR PSYNC FAILOVER replid must match my replid.");
        return;
      }
    }
    if (repl.failover.state !== "no-failover") {
      c.error("NOMASTERLINK Can't SYNC while failing over");
      return;
    }
    if (repl.isReplica && repl.replica.linkState !== "connected") {
      c.error("NOMASTERLINK Can't SYNC while not connected with my master");
      return;
    }
    if (c.out.hasPending) {
      c.error("ERR SYNC and PSYNC are invalid with pending output");
      return;
    }
    const link = replicaLinkOf(c);
    if (link.filtered && !link.capaEof) {
      // A filtered RDB only goes to sockets: as a file it would stand for the dataset.
      c.error("ERR Filtered replica requires EOF capability");
      return;
    }
    server.logger.notice({ replica: link.name }, `Replica ${link.name} asks for synchronization`);
    if (isPsync) {
      const offset = parseOffset(argv[2]);
      if (offset === null) {
        server.logger.warning(`Replica ${link.name} asks for synchronization but with a wrong offset`);
        c.error("ERR value is not an integer or out of range");
        return;
      }
      if (this.tryPartialResync(link, argv[1], offset)) {
        server.stats.syncPartialOk++;
        return;
      }
      if (argv[1] !== "?") server.stats.syncPartialErr++;
    } else {
      link.prePsync = true;
    }
    server.stats.syncFull++;
    link.state = "wait_bgsave_start";
    if (server.config.bool("repl-disable-tcp-nodelay")) c.socket?.setNoDelay(false);
    this.attach(link);
    if (this.replicas.length === 1 && repl.state.backlog === null) {
      // A backlog created from scratch starts a new history (no valid past to PSYNC from).
      repl.state.changeReplicationId();
      repl.state.clearReplicationId2();
      repl.state.createBacklog();
      server.logger.notice(
        `Replication backlog created, my new replication IDs are '${repl.state.replId}' and '${repl.state.replId2}'`,
      );
    }
    repl.updateSink();
    repl.fullSync.onReplicaWaiting(link);
  }

  /** masterTryPartialResynchronization: true when the replica continues from the backlog. */
  private tryPartialResync(link: ReplicaLink, replId: string, offset: number): boolean {
    const state = this.repl.state;
    const logger = this.server.logger;
    const verdict = state.canContinue(replId, offset);
    if (!verdict.ok) {
      if (replId === "?") logger.notice(`Full resync requested by replica ${link.name}`);
      else if (verdict.reason === "lack of backlog") {
        logger.notice(
          `Unable to partial resync with replica ${link.name} for lack of backlog (Replica request was: ${offset}).`,
        );
        if (offset > state.masterReplOffset)
          logger.warning(
            `Warning: replica ${link.name} tried to PSYNC with an offset that is greater than the master replication offset.`,
          );
      } else logger.notice(`Partial resynchronization not accepted: ${verdict.reason}`);
      return false;
    }
    const c = link.client;
    this.stageStream();
    link.state = "online";
    link.ackTime = clock.ms;
    link.startStreamOnAck = false;
    this.attach(link);
    // The reply goes straight to the socket: the output buffer receives the backlog and stream.
    c.socket?.write(link.capaPsync2 ? `+CONTINUE ${state.replId}\r\n` : "+CONTINUE\r\n");
    const data = state.backlog!.copyFrom(offset);
    let len = 0;
    for (const d of data) {
      link.out.raw(d);
      len += d.length;
    }
    this.server.scheduleFlush(c);
    this.repl.updateSink();
    logger.notice(
      `Partial resynchronization request from ${link.name} accepted. Sending ${len} bytes of backlog starting from offset ${offset}.`,
    );
    this.refreshGoodReplicas();
    return true;
  }

  /** Makes the client a replica: it stops getting replies and joins server.slaves. */
  private attach(link: ReplicaLink): void {
    const c = link.client;
    c.flags |= ClientFlag.Replica | ClientFlag.ReplyOff;
    if (!link.attached) {
      link.attached = true;
      this.replicas.push(link);
    }
  }

  /**
   * replicationSetupSlaveForFullResync: the replica will get the RDB of a snapshot taken at
   * `offset` and, after it, the stream from there (held in `pending` meanwhile).
   */
  setupFullResync(link: ReplicaLink, offset: number): boolean {
    link.psyncInitialOffset = offset;
    link.state = "wait_bgsave_end";
    link.pending = [];
    link.pendingBytes = 0;
    // The stream this replica gets starts here: make its first command SELECT its db.
    this.slaveSelDb = -1;
    if (!link.prePsync) {
      const socket = link.client.socket;
      if (socket === null || socket.destroyed) return false;
      socket.write(`+FULLRESYNC ${this.repl.state.replId} ${offset}\r\n`);
    }
    return true;
  }

  // ---- REPLCONF --------------------------------------------------------------------------------

  /** replconfCommand (replconf.ts). ACK and GETACK never reply. */
  replconf(c: Client): void {
    replconfCommand(this, c);
  }

  /** REPLCONF ACK <offset>: from a replica only; never answered. */
  onAck(c: Client, offset: number): void {
    if (!c.has(ClientFlag.Replica)) return;
    const link = c.replica as ReplicaLink;
    if (offset > link.ackOffset) link.ackOffset = offset;
    link.ackTime = clock.ms;
    if (link.startStreamOnAck && link.state === "online") this.startCommandStream(link);
  }

  // ---- Acks, WAIT, min-replicas ----------------------------------------------------------------

  /** replicationCountAcksByOffset: online replicas that acknowledged `offset`. */
  countAcks(offset: number): number {
    let n = 0;
    for (const r of this.replicas) if (r.state === "online" && r.ackOffset >= offset) n++;
    return n;
  }

  /** refreshGoodSlavesCount: online replicas whose last ack is at most min-replicas-max-lag old. */
  refreshGoodReplicas(): void {
    const config = this.server.config;
    const maxLag = config.num("min-replicas-max-lag");
    if (config.num("min-replicas-to-write") === 0 || maxLag === 0) return;
    const now = Math.floor(clock.ms / 1000);
    let good = 0;
    for (const r of this.replicas) {
      if (r.state === "online" && now - Math.floor(r.ackTime / 1000) <= maxLag) good++;
    }
    this.goodReplicas = good;
  }

  /**
   * checkGoodReplicasStatus (the NOREPLICAS gate, installed only while min-replicas-to-write and
   * min-replicas-max-lag are both set, so other configurations pay nothing per write).
   */
  enoughGoodReplicas(): boolean {
    if (this.repl.isReplica) return true;
    return this.goodReplicas >= this.server.config.num("min-replicas-to-write");
  }

  // ---- Disconnection and cron ------------------------------------------------------------------

  /** A replica's client is being freed: forget it (Master/slave cleanup case 1). */
  onReplicaClosed(link: ReplicaLink): void {
    link.releaseSync?.();
    link.releaseSync = null;
    link.pending = [];
    link.pendingBytes = 0;
    if (!link.attached) return;
    link.attached = false;
    const i = this.replicas.indexOf(link);
    if (i >= 0) this.replicas.splice(i, 1);
    if (this.replicas.length === 0) this.noReplicasSince = Date.now();
    this.repl.updateSink();
    this.server.logger.notice({ replica: link.name }, `Connection with replica ${link.name} lost.`);
    this.refreshGoodReplicas();
  }

  /** disconnectSlaves: our replicas must learn about a history change and reconnect. */
  disconnectReplicas(): void {
    for (const r of [...this.replicas]) this.server.closeClient(r.client);
  }

  /**
   * beforeSleep: the pending REPLCONF GETACK (not while writes are paused: offsets must hold).
   * It goes into the backlog even when no replica is attached (sendGetackToReplicas ->
   * replicationFeedSlaves, which only skips when there is neither a backlog nor a replica): a
   * replica that reconnects with PSYNC during the WAIT (the usual case right after a failover)
   * reads it from the backlog and answers at once, instead of at its next once-a-second ACK.
   */
  beforeSleep(): void {
    if (this.stream.pendingBytes >= REPLICA_FLUSH_BYTES) this.stageStream();
    if (this.getAckRequested && this.server.pauseKind === null) {
      this.getAckRequested = false;
      if (!this.repl.isReplica) {
        this.feedCommand(this.slaveSelDb, GETACK);
        // A WAIT client is blocked on the answer: the stream goes out at the end of this turn
        // (after the AOF write, with the replies) rather than after the coalescing delay, as
        // Redis writes to its replicas in this same beforeSleep. WAIT's latency was 1-2 ms
        // (the timer) against Redis's ~0.2 ms.
        this.stageStream();
      }
    }
  }

  /** The once-a-second part of replicationCron that concerns our replicas. */
  cron(): void {
    const server = this.server;
    const config = server.config;
    const now = clock.ms;
    const timeoutMs = config.num("repl-timeout") * 1000;
    // PING every repl-ping-replica-period, so replicas can detect a silent master. Not while a
    // FAILOVER holds writes: the offsets must not move under the waiting replica.
    const period = Math.max(1, config.num("repl-ping-replica-period"));
    if (
      this.cronLoops % period === 0 &&
      this.replicas.length > 0 &&
      !this.repl.isReplica &&
      this.repl.failover.state === "no-failover"
    ) {
      this.feedCommand(this.slaveSelDb, PING);
    }
    this.cronLoops++;
    for (const r of [...this.replicas]) {
      const socket = r.client.socket;
      // Keep replicas that wait for an RDB file from timing out on us (the "\n" keepalive).
      if (r.state === "wait_bgsave_start" || (r.state === "wait_bgsave_end" && !r.diskless)) {
        if (socket !== null && !socket.destroyed) socket.write(NEWLINE);
      }
      if (r.state === "online" && !r.prePsync && now - r.ackTime > timeoutMs) {
        server.logger.warning(`Disconnecting timedout replica (streaming sync): ${r.name}`);
        server.closeClient(r.client);
        continue;
      }
      if (
        (r.state === "wait_bgsave_end" && r.diskless) ||
        r.state === "send_bulk" ||
        (r.state === "online" && r.startStreamOnAck)
      ) {
        if (socket !== null && socket.writableLength > 0 && now - r.lastProgress > timeoutMs) {
          server.logger.warning(`Disconnecting timedout replica (full sync): ${r.name}`);
          server.closeClient(r.client);
        }
      }
    }
    // A master without replicas frees its backlog after repl-backlog-ttl (never a replica: it
    // must keep its history in case it is promoted).
    const ttl = config.num("repl-backlog-ttl");
    const state = this.repl.state;
    if (
      this.replicas.length === 0 &&
      ttl > 0 &&
      state.backlog !== null &&
      !this.repl.isReplica &&
      now - this.noReplicasSince > ttl * 1000
    ) {
      state.changeReplicationId();
      state.clearReplicationId2();
      state.freeBacklog();
      server.logger.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
      this.repl.updateSink();
    }
    this.refreshGoodReplicas();
  }

  /**
   * mem_total_replication_buffers: Redis 7.0 shares one buffer between the backlog and the
   * replicas; here it is the backlog plus the stream held for each replica (waiting for its sync
   * to end, or not yet written to its socket).
   */
  replicationBuffersMemory(): number {
    let n = this.repl.state.backlog?.allocated ?? 0;
    for (const r of this.replicas) {
      n += r.pendingBytes + r.client.outputBytes;
      if (r.streaming && !r.rdbOnly) n += this.stream.pendingBytes;
    }
    return n;
  }

  /** Replicas as ROLE and FAILOVER see them: online, with where they listen. */
  onlineReplicas(): ReplicaLink[] {
    return this.replicas.filter((r) => r.state === "online");
  }

  /** findReplica: the attached replica listening at host:port. */
  findReplica(host: string, port: number): ReplicaLink | null {
    for (const r of this.replicas) if (r.ip === host && r.listeningPort === port) return r;
    return null;
  }
}
