/**
 * Full synchronization, master side (startBgsaveForReplication, rdbSaveToSlavesSockets,
 * updateSlavesWaitingBgsave, sendBulkToSlave): a point-in-time snapshot of the dataset sent to
 * replicas while the server keeps serving, followed by the stream produced since (master-side.ts
 * holds that stream in each replica's `pending` meanwhile).
 *
 * Two targets, chosen per snapshot as Redis does:
 * - socket (repl-diskless-sync yes and every waiting replica sent `capa eof`): `$EOF:<40 random
 *   hex chars>\r\n`, the RDB straight to each socket, then the same 40 chars. The snapshot is
 *   started after repl-diskless-sync-delay seconds (or once repl-diskless-sync-max-replicas are
 *   waiting) so several replicas share it. Replicas arriving later wait for the next one.
 * - disk: a BGSAVE of the RDB subsystem (rdbSaveBackground with RDBFLAGS_REPLICATION), so INFO
 *   persistence shows it, SAVE/BGSAVE are refused until its file is renamed, and it counts as a
 *   save; then each replica gets `$<size>\r\n` and the file. A replica arriving while a BGSAVE
 *   runs joins it only when another replica already waits for that BGSAVE (it copies the stream
 *   that one accumulated since the snapshot began), as syncCommand's CASE 1 does: a BGSAVE a user
 *   started has nobody registering the stream since its start, so replicas wait for the next one.
 *
 * Only one snapshot runs at a time (persistence/coordinator.ts): when another one (BGSAVE, AOF
 * rewrite) is running, waiting replicas start theirs as soon as it ends.
 *
 * RDB bytes are never counted against client-output-buffer-limit (only the stream is, as in
 * Redis), so a key larger than the limit cannot make a replica loop between full syncs; the
 * snapshot walk instead pauses while a replica's socket has more than SOCKET_IN_FLIGHT unsent.
 */

import { randomBytes } from "node:crypto";
import { closeSync, createReadStream, fstatSync, openSync, type ReadStream } from "node:fs";
import { clock } from "../keyspace/clock.js";
import { ClientFlag } from "../network/client.js";
import { safeUnlink } from "../persistence/atomic-file.js";
import { type RdbPersistence, type RunningBgsave, rdbPersistence } from "../persistence/rdb-persistence.js";
import type { Snapshot, SnapshotSink } from "../persistence/snapshot.js";
import type { Server } from "../server.js";
import type { MasterSide, ReplicaLink } from "./master-side.js";
import type { Replication } from "./replication.js";

/**
 * Unsent RDB bytes per replica socket above which the snapshot walk waits: enough to keep a
 * loopback link busy between walk slices, small enough that a slow replica holds little memory.
 */
const SOCKET_IN_FLIGHT = 4 * 1024 * 1024;
/** Read size when sending an RDB file to a replica. */
const FILE_CHUNK = 1024 * 1024;

/** A diskless (socket target) transfer; a disk target is the RDB subsystem's running BGSAVE. */
interface RunningSync {
  snapshot: Snapshot;
}

export class FullSync {
  private readonly repl: Replication;
  private readonly server: Server;
  private readonly master: MasterSide;
  /** The diskless transfer in progress (a disk-target one is `rdb().running`). */
  running: RunningSync | null = null;
  private idleWaitQueued = false;
  /** BGSAVEs whose end this object waits for (to serve the replicas waiting on it). */
  private readonly watched = new WeakSet<RunningBgsave>();
  /** The RDB file was written for replicas (rdb-del-sync-files may remove it). */
  private rdbGeneratedByReplication = false;

  constructor(repl: Replication) {
    this.repl = repl;
    this.server = repl.server;
    this.master = repl.master;
  }

  /**
   * The RDB subsystem. Registered after replication (createServer), so looked up when needed; every
   * data node has one (Sentinel mode has neither).
   */
  private rdb(): RdbPersistence {
    const rdb = rdbPersistence(this.server);
    if (rdb === undefined) throw new Error("disk-based replication needs the RDB persistence subsystem");
    return rdb;
  }

  /** A replica entered wait_bgsave_start: attach it to a running save, start one, or wait. */
  onReplicaWaiting(link: ReplicaLink): void {
    const logger = this.server.logger;
    const bgsave = this.rdb().running;
    if (bgsave !== null) {
      // CASE 1 of syncCommand: a BGSAVE with disk target (started by a user, a save point or us).
      const other = this.master.replicas.find(
        (r) => r !== link && r.state === "wait_bgsave_end" && !r.diskless && (!r.rdbOnly || link.rdbOnly),
      );
      if (
        other !== undefined &&
        (!other.capaEof || link.capaEof) &&
        (!other.capaPsync2 || link.capaPsync2) &&
        other.sameNeeds(link)
      ) {
        link.diskless = false;
        if (this.master.setupFullResync(link, other.psyncInitialOffset) && !link.rdbOnly) {
          // copyReplicaOutputBuffer: the stream since the snapshot began, shared (immutable).
          link.pending = [...other.pending];
          link.pendingBytes = other.pendingBytes;
        }
        logger.notice("Waiting for end of BGSAVE for SYNC");
      } else {
        logger.notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
      }
      this.watch(bgsave);
      return;
    }
    if (this.running !== null) {
      logger.notice("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
      return;
    }
    const config = this.server.config;
    if (config.bool("repl-diskless-sync") && link.capaEof && config.num("repl-diskless-sync-delay") > 0) {
      // Started from the cron once the delay passed, so more replicas can share the transfer.
      logger.notice("Delay next BGSAVE for diskless SYNC");
      return;
    }
    if (this.server.snapshots.busy) {
      logger.notice(
        "No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed",
      );
      this.waitIdle();
      return;
    }
    this.start(link.capaEof, link);
  }

  /** replicationStartPendingFullResync: starts a snapshot for waiting replicas when it is time. */
  startPending(): void {
    if (this.running !== null || this.rdb().running !== null) return;
    const waiting = this.master.replicas.filter((r) => r.state === "wait_bgsave_start");
    if (waiting.length === 0) return;
    if (this.server.snapshots.busy) {
      this.waitIdle();
      return;
    }
    // The first waiting replica's needs decide; replicas needing another RDB wait for the next.
    const needs = waiting[0];
    let count = 0;
    let maxIdle = 0;
    let capaEof = true;
    for (const r of waiting) {
      if (!r.sameNeeds(needs)) continue;
      count++;
      maxIdle = Math.max(maxIdle, clock.ms - r.client.lastInteraction);
      capaEof &&= r.capaEof;
    }
    const config = this.server.config;
    const maxReplicas = config.num("repl-diskless-sync-max-replicas");
    if (
      !config.bool("repl-diskless-sync") ||
      (maxReplicas > 0 && count >= maxReplicas) ||
      maxIdle >= config.num("repl-diskless-sync-delay") * 1000
    ) {
      this.start(capaEof, needs);
    }
  }

  private waitIdle(): void {
    if (this.idleWaitQueued) return;
    this.idleWaitQueued = true;
    this.server.snapshots.whenIdle(() => {
      this.idleWaitQueued = false;
      this.startPending();
    });
  }

  /**
   * startBgsaveForReplication: one snapshot for every replica waiting with the same needs as
   * `needs`. A filtered RDB always goes to sockets (SYNC refused a filtered replica without EOF).
   */
  private start(capaEof: boolean, needs: ReplicaLink): void {
    const server = this.server;
    const config = server.config;
    const socketTarget = (config.bool("repl-diskless-sync") || needs.filtered) && capaEof;
    const info = this.repl.saveInfo();
    const offset = this.repl.state.masterReplOffset;
    const waiting = this.master.replicas.filter((r) => r.state === "wait_bgsave_start" && r.sameNeeds(needs));
    server.logger.notice(
      `Starting BGSAVE for SYNC with target: ${socketTarget ? "replicas sockets" : "disk"}`,
    );
    if (socketTarget) {
      const mark = Buffer.from(randomBytes(20).toString("hex"), "latin1");
      const sinks: SocketSink[] = [];
      for (const r of waiting) {
        if (!this.master.setupFullResync(r, offset)) continue;
        r.diskless = true;
        r.lastProgress = clock.ms;
        r.client.socket!.write(`$EOF:${mark.toString("latin1")}\r\n`);
        server.stats.totalNetReplOutputBytes += 47;
        sinks.push(new SocketSink(this, r, mark));
      }
      if (sinks.length === 0) return;
      const snapshot = server.snapshots.start(
        {
          purpose: "replication",
          repl: info,
          ...(needs.excludeData ? { dbs: [] } : {}),
          functions: !needs.excludeFunctions,
        },
        sinks,
      );
      for (const s of sinks) s.attachTo(snapshot);
      const running: RunningSync = { snapshot };
      this.running = running;
      snapshot.whenDone.then(
        () => this.socketSyncEnded(running),
        () => this.socketSyncEnded(running),
      );
      return;
    }
    const result = this.rdb().bgsave();
    if (result.kind !== "started") {
      // Cannot happen (callers checked that nothing runs); the cron retries.
      server.logger.warning("BGSAVE for replication failed");
      return;
    }
    const bgsave = this.rdb().running!;
    bgsave.forReplication = true;
    for (const r of waiting) {
      r.diskless = false;
      this.master.setupFullResync(r, offset);
    }
    this.watch(bgsave);
  }

  /** Serves the replicas waiting on `bgsave` when its file is committed (or failed). */
  private watch(bgsave: RunningBgsave): void {
    if (this.watched.has(bgsave)) return;
    this.watched.add(bgsave);
    bgsave.sink.done.then(
      () => this.diskSyncEnded(bgsave, null),
      (err: Error) => this.diskSyncEnded(bgsave, err),
    );
  }

  /** A socket-target snapshot ended (all sinks done, or aborted): the next one may start. */
  private socketSyncEnded(running: RunningSync): void {
    if (this.running === running) this.running = null;
    this.startPending();
  }

  /** The RDB of one replica was fully written to its socket. */
  socketSinkDone(link: ReplicaLink): void {
    link.releaseSync = null;
    if (link.rdbOnly) {
      this.finishRdbOnly(link);
      return;
    }
    this.server.logger.notice(
      `Streamed RDB transfer with replica ${link.name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`,
    );
    // The stream waits for the first ACK: the replica finds the EOF mark at the end of what it
    // received, instead of searching it inside stream bytes glued to it.
    link.startStreamOnAck = true;
    this.master.putOnline(link);
  }

  /**
   * updateSlavesWaitingBgsave for a disk target, called once the BGSAVE's file is renamed into
   * place (the RDB subsystem already did the rest of backgroundSaveDoneHandlerDisk: dirty counter,
   * LASTSAVE, status, log); then replicas waiting for the next BGSAVE get one.
   */
  private diskSyncEnded(bgsave: RunningBgsave, err: Error | null): void {
    const server = this.server;
    const waiting = this.master.replicas.filter((r) => r.state === "wait_bgsave_end" && !r.diskless);
    if (err !== null) {
      if (waiting.length > 0)
        server.logger.warning({ error: err.message }, "SYNC failed. BGSAVE child returned an error");
      for (const r of waiting) server.closeClient(r.client);
    } else {
      if (bgsave.forReplication && server.config.bool("rdb-del-sync-files"))
        this.rdbGeneratedByReplication = true;
      for (const r of waiting) this.sendBulk(r, bgsave.sink.path);
    }
    this.startPending();
  }

  /** sendBulkToSlave: `$<size>\r\n` and the file, with the socket's backpressure. */
  private sendBulk(link: ReplicaLink, path: string): void {
    const server = this.server;
    const socket = link.client.socket;
    if (socket === null || socket.destroyed) return;
    let fd: number;
    let size: number;
    try {
      fd = openSync(path, "r");
      size = fstatSync(fd).size;
    } catch (err) {
      server.logger.warning(`SYNC failed. Can't open/stat DB after BGSAVE: ${(err as Error).message}`);
      server.closeClient(link.client);
      return;
    }
    link.state = "send_bulk";
    link.lastProgress = clock.ms;
    const header = `$${size}\r\n`;
    socket.write(header);
    server.stats.totalNetReplOutputBytes += header.length;
    if (size === 0) {
      closeSync(fd);
      this.bulkSent(link);
      return;
    }
    const stream: ReadStream = createReadStream("", { fd, highWaterMark: FILE_CHUNK, autoClose: true });
    const onDrain = () => stream.resume();
    socket.on("drain", onDrain);
    stream.on("data", (chunk) => {
      link.lastProgress = Date.now();
      server.stats.totalNetReplOutputBytes += chunk.length;
      if (!socket.write(chunk)) stream.pause();
    });
    stream.on("end", () => {
      socket.off("drain", onDrain);
      link.releaseSync = null;
      this.bulkSent(link);
    });
    stream.on("error", (e) => {
      socket.off("drain", onDrain);
      server.logger.warning(`Read error sending DB to replica: ${e.message}`);
      server.closeClient(link.client);
    });
    link.releaseSync = () => {
      socket.off("drain", onDrain);
      stream.destroy();
    };
  }

  private bulkSent(link: ReplicaLink): void {
    if (link.rdbOnly) {
      this.finishRdbOnly(link);
      return;
    }
    this.master.putOnline(link);
    this.master.startCommandStream(link);
  }

  /** An rdb-only replica (redis-cli --rdb) is closed once its RDB is out. */
  private finishRdbOnly(link: ReplicaLink): void {
    this.server.logger.notice(
      `RDB transfer completed, rdb only replica (${link.name}) should be disconnected asap`,
    );
    link.client.flags |= ClientFlag.CloseAfterReply;
    this.server.scheduleFlush(link.client);
  }

  /**
   * removeRDBUsedToSyncReplicas: with rdb-del-sync-files and no persistence, the file written
   * for replicas is removed once no replica still needs it.
   */
  cron(): void {
    if (!this.rdbGeneratedByReplication) return;
    const config = this.server.config;
    const persistence = config.savePoints().length > 0 || config.bool("appendonly");
    if (persistence || !config.bool("rdb-del-sync-files")) {
      this.rdbGeneratedByReplication = false;
      return;
    }
    if (this.rdb().running !== null) return;
    for (const r of this.master.replicas) {
      if ((r.state === "wait_bgsave_end" && !r.diskless) || r.state === "send_bulk") return;
    }
    this.server.logger.notice("Removing the RDB file used to feed replicas in a persistence-less instance");
    safeUnlink(this.rdb().rdbPath());
    this.rdbGeneratedByReplication = false;
  }
}

/** One replica's end of a diskless full sync: the RDB goes straight to its socket. */
class SocketSink implements SnapshotSink {
  private readonly sync: FullSync;
  private readonly link: ReplicaLink;
  private readonly mark: Buffer;
  private snapshot: Snapshot | null = null;
  private readonly onWritten = () => {
    this.link.lastProgress = Date.now();
  };

  constructor(sync: FullSync, link: ReplicaLink, mark: Buffer) {
    this.sync = sync;
    this.link = link;
    this.mark = mark;
    link.releaseSync = () => this.detach();
  }

  attachTo(snapshot: Snapshot): void {
    this.snapshot = snapshot;
  }

  /** The replica went away: stop feeding it (the snapshot ends when no sink is left). */
  private detach(): void {
    const snapshot = this.snapshot;
    this.snapshot = null;
    snapshot?.removeSink(this);
  }

  write(chunks: Buffer[]): void {
    const socket = this.link.client.socket;
    if (socket === null || socket.destroyed) return;
    const stats = this.link.client.server.stats;
    for (let i = 0; i < chunks.length; i++) {
      stats.totalNetReplOutputBytes += chunks[i].length;
      socket.write(chunks[i], this.onWritten);
    }
  }

  end(): void {
    const socket = this.link.client.socket;
    this.snapshot = null;
    if (socket === null || socket.destroyed) return;
    socket.write(this.mark);
    this.link.client.server.stats.totalNetReplOutputBytes += this.mark.length;
    this.sync.socketSinkDone(this.link);
  }

  fail(err: Error): void {
    this.snapshot = null;
    const server = this.link.client.server;
    if (err.message === "no consumer left") return;
    server.logger.warning({ error: err.message }, "Diskless sync to replica failed");
    server.closeClient(this.link.client);
  }

  backlogBytes(): number {
    const socket = this.link.client.socket;
    if (socket === null) return 0;
    return socket.writableLength > SOCKET_IN_FLIGHT ? Number.MAX_SAFE_INTEGER : 0;
  }
}
