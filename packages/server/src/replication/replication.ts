/**
 * The replication subsystem: one object per server that owns the replication history (state.ts),
 * both roles (master-side.ts with full-sync.ts, replica-side.ts with transfer.ts), FAILOVER, and
 * wires them into the server: the "repl" propagation sink, INFO replication, ROLE, the NOREPLICAS
 * and MASTERDOWN gates, DEBUG CHANGE-REPL-ID and REPLICATE, CONFIG SET reactions, the RDB aux hooks, the cron
 * (replicationCron), beforeSleep (GETACK, failover progress) and shutdown (waiting for lagging
 * replicas, as Redis 7 does within shutdown-timeout).
 *
 * Commands reach it with `replicationOf(server)` (commands/replication.ts).
 */

import { shared } from "@keyhaven/protocol";
import { debugSubcommands } from "../commands/debug.js";
import { gates } from "../exec/dispatch.js";
import type { PropagationSink } from "../exec/propagate.js";
import type { Client } from "../network/client.js";
import type { Server, ShutdownOptions, Subsystem } from "../server.js";
import { Failover } from "./failover.js";
import { FullSync } from "./full-sync.js";
import { replicationInfo, roleReply } from "./info.js";
import { MasterLinkClient } from "./master-link.js";
import { MasterSide, type ReplicaLink } from "./master-side.js";
import { ReplicaSide } from "./replica-side.js";
import { ReplState } from "./state.js";

/** What rdbPopulateSaveInfo gives the RDB writer (aux fields repl-stream-db/repl-id/repl-offset). */
export interface ReplSaveInfo {
  streamDb: number;
  id: string;
  offset: number;
}

const registry = new WeakMap<Server, Replication>();

/** The replication subsystem of `server` (registered by registerReplication). */
export function replicationOf(server: Server): Replication {
  const repl = registry.get(server);
  if (repl === undefined) throw new Error("replication is not registered on this server");
  return repl;
}

export class Replication implements Subsystem {
  readonly server: Server;
  readonly state: ReplState;
  readonly master: MasterSide;
  readonly fullSync: FullSync;
  readonly replica: ReplicaSide;
  readonly failover: Failover;
  /** Called after a full sync replaced the dataset (the AOF restarts itself from it). */
  readonly afterFullSync: (() => void)[] = [];
  readonly sink: PropagationSink;
  private lastSecondCron = 0;
  /** repl-stream-db of the RDB loaded at start-up (for the cached master of a restarted replica). */
  private restoredStreamDb = -1;
  /** The "repl" sink is registered (see updateSink). */
  private sinkOn = false;
  /** Writes were paused by a SHUTDOWN waiting for replicas (lifted if that shutdown is aborted). */
  private shutdownPause = false;

  constructor(server: Server) {
    this.server = server;
    this.state = new ReplState(server.config.num("repl-backlog-size"));
    this.master = new MasterSide(this);
    this.fullSync = new FullSync(this);
    this.replica = new ReplicaSide(this);
    this.failover = new Failover(this);
    const master = this.master;
    this.sink = {
      kind: "repl",
      feed: (dbId, command) => master.feedCommand(dbId, command),
      feedArgv: (dbId, argv) => master.feedArgv(dbId, argv),
    };
  }

  /** server.masterhost != NULL. */
  get isReplica(): boolean {
    return this.replica.masterHost !== null;
  }

  /**
   * The propagation sink is registered only while a stream has somewhere to go: a master with a
   * backlog or replicas. Otherwise writes skip encoding their propagation form altogether (the
   * propagator does nothing without sinks), and a replica proxies its master's bytes instead.
   */
  updateSink(): void {
    const needed = !this.isReplica && (this.state.backlog !== null || this.master.replicas.length > 0);
    if (needed === this.sinkOn) return;
    this.sinkOn = needed;
    if (needed) this.server.propagator.addSink(this.sink);
    else this.server.propagator.removeSink(this.sink);
  }

  /**
   * rdbPopulateSaveInfo: the replication info an RDB should carry, or undefined when it is
   * useless (a master that never had replicas, a replica without any master state).
   */
  saveInfo(): ReplSaveInfo | undefined {
    const state = this.state;
    const base = { id: state.replId, offset: state.masterReplOffset };
    if (!this.isReplica && state.backlog !== null) {
      const sel = this.master.slaveSelDb;
      return { ...base, streamDb: sel === -1 ? 0 : sel };
    }
    const link = this.replica.masterClient;
    if (link !== null) return { ...base, streamDb: link.db.id };
    const cached = this.replica.cachedMaster;
    if (cached !== null) return { ...base, streamDb: cached.dbId };
    return undefined;
  }

  /**
   * The RDB loaded at start-up had these aux fields (loadDataFromDisk): a replica takes its
   * replication id and offset from them so it can PSYNC with its master; a master keeps them
   * as its secondary id, with a backlog starting there, so that its replicas continue with a
   * partial resync after it restarted (a new id starts at the same offset, as on promotion).
   */
  restoreFromRdb(aux: ReadonlyMap<string, string>): void {
    const replicaof = this.server.config.get("replicaof");
    const id = aux.get("repl-id");
    const offset = Number(aux.get("repl-offset") ?? "-1");
    const streamDb = Number(aux.get("repl-stream-db") ?? "-1");
    if (id === undefined || id.length !== 40) return;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isInteger(streamDb) || streamDb < 0) return;
    if (replicaof === null) {
      const state = this.state;
      state.replId2 = id;
      state.secondReplOffset = offset + 1;
      state.masterReplOffset = offset;
      state.createBacklog();
      this.master.noReplicasSince = Date.now();
      this.updateSink();
      return;
    }
    this.state.replId = id;
    this.state.masterReplOffset = offset;
    this.restoredStreamDb = streamDb;
    if (this.replica.cachedMaster !== null) {
      this.replica.cachedMaster = { replId: id, reploff: offset, readReploff: offset, dbId: streamDb };
    }
  }

  /** The db a synthesized cached master should have selected. */
  takeRestoredStreamDb(): number {
    const db = this.restoredStreamDb;
    this.restoredStreamDb = -1;
    return db;
  }

  // ---- Subsystem -------------------------------------------------------------------------------

  start(): void {
    const replicaof = this.server.config.get("replicaof") as { host: string; port: number } | null;
    if (replicaof !== null) this.replica.setMaster(replicaof.host, replicaof.port, false);
  }

  beforeSleep(): void {
    this.master.beforeSleep();
    this.failover.update();
  }

  /**
   * SHUTDOWN / SIGTERM on a master: give lagging replicas up to shutdown-timeout seconds to
   * acknowledge everything, writes paused meanwhile (unless NOW); then drop any sync in progress.
   */
  async shutdown(options: ShutdownOptions): Promise<boolean> {
    const server = this.server;
    const timeout = server.config.num("shutdown-timeout");
    const replicas = this.master.replicas;
    // isReadyToShutdown: every replica acknowledged the whole stream.
    const lagging = () => replicas.some((r) => r.ackOffset !== this.state.masterReplOffset);
    if (!options.now && timeout > 0 && !this.isReplica && lagging()) {
      server.shutdownDeadline = Date.now() + timeout * 1000;
      if (server.pauseKind === null) this.master.feedCommand(this.master.slaveSelDb, GETACK);
      server.pause("write", Number.MAX_SAFE_INTEGER);
      this.shutdownPause = true;
      server.logger.notice("Waiting for replicas before shutting down.");
      while (lagging() && server.shutdownDeadline !== 0 && Date.now() < server.shutdownDeadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      if (server.shutdownDeadline === 0) {
        // SHUTDOWN ABORT: writes resume at once (cron would only notice later).
        this.shutdownPause = false;
        server.unpause();
        return false;
      }
      server.shutdownDeadline = 0;
    }
    // finishShutdown's report.
    let inSync = 0;
    for (const r of replicas) {
      if (r.ackOffset === this.state.masterReplOffset) inSync++;
      else {
        const lag = r.state === "online" ? Math.floor((Date.now() - r.ackTime) / 1000) : 0;
        server.logger.warning(
          `Lagging replica ${r.name} reported offset ${this.state.masterReplOffset - r.ackOffset} behind master, lag=${lag}, state=${r.state}.`,
        );
      }
    }
    if (replicas.length > 0) {
      server.logger.notice(`${inSync} of ${replicas.length} replicas are in sync when shutting down.`);
    }
    this.replica.cancelHandshake(false);
    return true;
  }

  /** replicationCron: every 100 ms for the quick parts, once a second (10 Hz in FAILOVER) for the rest. */
  cron(): void {
    const server = this.server;
    if (server.shuttingDown) return;
    if (this.shutdownPause) {
      // The shutdown that paused writes was aborted (another subsystem refused it).
      this.shutdownPause = false;
      server.unpause();
    }
    const now = Date.now();
    this.fullSync.startPending();
    const failingOver = this.failover.state !== "no-failover";
    if (now - this.lastSecondCron >= 1000) {
      this.lastSecondCron = now;
      this.replica.cron();
      this.master.cron();
      this.fullSync.cron();
    } else if (failingOver) {
      this.replica.cron();
    }
    this.failover.update();
    this.updateSink();
  }

  /** A client is being freed: it may be our master's link or one of our replicas. */
  onClientClosed(c: Client): void {
    if (c instanceof MasterLinkClient) {
      this.replica.onMasterClosed(c);
      return;
    }
    const link = c.replica as ReplicaLink | null;
    if (link !== null) this.master.onReplicaClosed(link);
  }
}

const GETACK = Buffer.from("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n");

/** Creates the replication subsystem of `server` and plugs it in. */
export function registerReplication(server: Server): Replication {
  const repl = new Replication(server);
  registry.set(server, repl);
  // A replica from its config is one from the start: the RDB or AOF loaded before start() must
  // already be loaded as a replica's (keeping expired keys for the master's DELs, as iAmMaster()
  // decides in Redis's loaders).
  if (server.config.get("replicaof") !== null) {
    server.replicaMode = true;
    server.logger.setRole?.("S");
  }
  server.addSubsystem(repl);
  server.roleReply = (c) => roleReply(repl, c);
  server.infoSections.set("replication", () => replicationInfo(repl));
  server.memory.hooks.backlog = () => repl.state.backlog?.allocated ?? 0;
  server.memory.hooks.replicationBuffers = () => repl.master.replicationBuffersMemory();
  server.replicationHooks.saveInfo = () => repl.saveInfo();
  server.replicationHooks.rdbLoaded = (aux) => repl.restoreFromRdb(aux);
  server.clientCloseHooks.push((c) => repl.onClientClosed(c));
  const enoughGoodReplicas = () => repl.master.enoughGoodReplicas();
  const updateGate = () => {
    const config = server.config;
    const on = config.num("min-replicas-to-write") > 0 && config.num("min-replicas-max-lag") > 0;
    gates.enoughGoodReplicas = on ? enoughGoodReplicas : null;
  };
  updateGate();
  gates.masterLinkDown = () => repl.replica.linkState !== "connected";
  server.cron.every(100, () => repl.cron());
  server.config.onChange((name, value) => {
    switch (name) {
      case "repl-backlog-size":
        repl.state.resizeBacklog(value as number);
        break;
      case "min-replicas-to-write":
      case "min-replicas-max-lag":
        repl.master.refreshGoodReplicas();
        updateGate();
        break;
    }
  });
  debugSubcommands.set("change-repl-id", (c) => {
    if (c.argv.length !== 2)
      return void c.error("ERR wrong number of arguments for 'debug|change-repl-id' command");
    const r = replicationOf(c.server);
    c.server.logger.warning("Changing replication IDs after receiving DEBUG change-repl-id");
    r.state.changeReplicationId();
    r.state.clearReplicationId2();
    c.out.raw(shared.OK);
  });
  /**
   * DEBUG REPLICATE <command...>: replicationFeedSlaves with the given argv, for tests of data
   * divergence. Not executed here and not in the AOF: only the backlog and the replicas get it, in
   * the stream's currently selected database (no SELECT is added). A replica, or a master with
   * neither backlog nor replicas, drops it, as Redis does.
   */
  debugSubcommands.set("replicate", (c) => {
    const master = replicationOf(c.server).master;
    master.feedArgv(master.slaveSelDb, c.argv.slice(2));
    c.out.raw(shared.OK);
  });
  return repl;
}
