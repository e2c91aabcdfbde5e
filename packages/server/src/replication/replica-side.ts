/**
 * The replica side of replication (Redis's replication.c "SLAVE" half): REPLICAOF, the link to
 * our master, the handshake, and applying the master's stream. The RDB transfer of a full sync
 * is in transfer.ts.
 *
 * The link state machine, as Redis 7.0's syncWithMaster runs it (ROLE shows the first word):
 *
 *   none ─REPLICAOF─► connect ─cron─► connecting ─connected─► receive_ping_reply   (handshake)
 *     ─► [AUTH] REPLCONF listening-port [REPLCONF ip-address] REPLCONF capa eof capa psync2
 *     ─► receive_auth_reply ─► receive_port_reply ─► [receive_ip_reply] ─► receive_capa_reply
 *     ─► PSYNC <replid> <offset> | PSYNC ? -1 ─► receive_psync_reply
 *          +CONTINUE [newid] ──────────────────────────────────────────► connected
 *          +FULLRESYNC <id> <offset> ─► transfer ─(RDB loaded)─────────► connected
 *          -ERR (old master) ─► SYNC ─► transfer
 *          -NOMASTERLINK / -LOADING / I/O error / repl-timeout ─► connect (the cron retries)
 *   connected ─link lost─► connect (the master's id and offset are cached for PSYNC)
 *
 * Once connected, the link is a MasterLinkClient (master-link.ts) applying the stream.
 */

import type { Socket } from "node:net";
import { encodeCommand } from "@keyhaven/protocol";
import type { Client } from "../network/client.js";
import { connectReadingIntoSlabs } from "../network/shared-reads.js";
import type { Server } from "../server.js";
import { MasterLinkClient } from "./master-link.js";
import type { Replication } from "./replication.js";
import { Transfer } from "./transfer.js";

export type LinkState =
  | "none"
  | "connect"
  | "connecting"
  | "receive_ping_reply"
  | "receive_auth_reply"
  | "receive_port_reply"
  | "receive_ip_reply"
  | "receive_capa_reply"
  | "receive_psync_reply"
  | "transfer"
  | "connected";

/** What we keep of a master we were connected to, to PSYNC later (server.cached_master). */
export interface CachedMaster {
  replId: string;
  reploff: number;
  readReploff: number;
  dbId: number;
}

function isHandshake(state: LinkState): boolean {
  return state.startsWith("receive_");
}

export class ReplicaSide {
  readonly server: Server;
  readonly repl: Replication;
  masterHost: string | null = null;
  masterPort = 0;
  linkState: LinkState = "none";
  /** The socket during connect, handshake and transfer (then owned by the master client). */
  private socket: Socket | null = null;
  /** Handshake bytes not yet consumed as lines. */
  private inBuf: Buffer = Buffer.alloc(0);
  /** repl_transfer_lastio (ms): any byte from the master during connect/handshake/transfer. */
  lastIo = 0;
  masterClient: MasterLinkClient | null = null;
  cachedMaster: CachedMaster | null = null;
  /** From +FULLRESYNC: the id and offset the coming RDB corresponds to. */
  masterReplId = "";
  masterInitialOffset = -1;
  private prePsync = false;
  transfer: Transfer | null = null;
  /** repl_down_since (ms), 0 while connected or never connected. */
  downSince = 0;
  /** Time of the last connection attempt, so the cron retries once a second. */
  private lastConnectAttempt = 0;

  constructor(repl: Replication) {
    this.repl = repl;
    this.server = repl.server;
  }

  get isReplica(): boolean {
    return this.masterHost !== null;
  }

  // ---- REPLICAOF -------------------------------------------------------------------------------

  /**
   * replicationSetMaster: become (or re-point as) a replica of host:port. At start-up
   * (`connectNow` false) the cron connects once the server listens.
   */
  setMaster(host: string, port: number, connectNow = true): void {
    const server = this.server;
    const wasMaster = this.masterHost === null;
    this.masterHost = null;
    if (this.masterClient !== null) server.closeClient(this.masterClient);
    this.disconnectAllBlockedClients();
    this.masterHost = host;
    this.masterPort = port;
    server.replicaMode = true;
    server.logger.setRole?.("S");
    this.repl.updateSink();
    server.config.setInternal("replicaof", { host, port });
    this.cancelHandshake(false);
    if (wasMaster) {
      this.cachedMaster = null;
      this.cacheMasterUsingMyself();
    }
    this.linkState = "connect";
    if (!connectNow) {
      this.lastConnectAttempt = 0;
      return;
    }
    server.logger.notice(`Connecting to MASTER ${host}:${port}`);
    this.connectWithMaster();
  }

  /** replicationUnsetMaster (REPLICAOF NO ONE): keep the data, start a new history. */
  unsetMaster(): void {
    if (this.masterHost === null) return;
    const server = this.server;
    const state = this.repl.state;
    this.masterHost = null;
    server.replicaMode = false;
    server.logger.setRole?.("M");
    server.config.setInternal("replicaof", null);
    this.repl.updateSink();
    if (this.masterClient !== null) server.closeClient(this.masterClient);
    this.cachedMaster = null;
    this.cancelHandshake(false);
    // The inherited history stays valid as replid2 up to here: our old master's other replicas
    // can PSYNC with us.
    state.shiftReplicationId();
    server.logger.notice(
      `Setting secondary replication ID to ${state.replId2}, valid up to offset: ${state.secondReplOffset}. New replication ID is ${state.replId}`,
    );
    this.repl.master.disconnectReplicas();
    this.linkState = "none";
    this.repl.master.slaveSelDb = -1;
    this.repl.master.noReplicasSince = Date.now();
    this.downSince = 0;
  }

  /** replicationCacheMasterUsingMyself: our own history, to PSYNC with a master that shares it. */
  cacheMasterUsingMyself(): void {
    const state = this.repl.state;
    this.server.logger.notice(
      "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
    );
    // The db our stream had selected (or the one recorded in the RDB we started from).
    const restored = this.repl.takeRestoredStreamDb();
    const selDb = restored >= 0 ? restored : this.repl.master.slaveSelDb;
    this.cachedMaster = {
      replId: state.replId,
      reploff: state.masterReplOffset,
      readReploff: state.masterReplOffset,
      dbId: Math.max(selDb, 0),
    };
  }

  /** disconnectAllBlockedClients: clients blocked on a master cannot stay blocked on a replica. */
  private disconnectAllBlockedClients(): void {
    const blocking = this.server.blocking;
    for (const c of [...blocking.blocked]) {
      c.error("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)");
      blocking.unblock(c, "error");
      this.server.queueUnblocked(c);
    }
  }

  // ---- Connection and handshake ----------------------------------------------------------------

  /** connectWithMaster: a non-blocking connect; the handshake starts when it completes. */
  connectWithMaster(): void {
    if (this.masterHost === null) return;
    const server = this.server;
    this.lastConnectAttempt = Date.now();
    this.lastIo = Date.now();
    this.linkState = "connecting";
    this.inBuf = Buffer.alloc(0);
    server.logger.notice("MASTER <-> REPLICA sync started");
    const socket = connectReadingIntoSlabs({ host: this.masterHost, port: this.masterPort });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("connect", () => {
      if (this.socket !== socket) return;
      server.logger.notice("Non blocking connect for SYNC fired the event.");
      this.linkState = "receive_ping_reply";
      this.lastIo = Date.now();
      socket.write(encodeCommand(["PING"]));
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.lastIo = Date.now();
      this.server.stats.totalNetReplInputBytes += chunk.length;
      if (this.linkState === "transfer") this.transfer?.onData(chunk);
      else this.onHandshakeData(chunk);
    });
    socket.on("error", (err) => {
      if (this.socket !== socket) return;
      if (this.linkState === "connecting")
        server.logger.warning(`Error condition on socket for SYNC: ${err.message}`);
      else server.logger.warning(`I/O error with MASTER during sync: ${err.message}`);
      this.handshakeFailed();
    });
    socket.on("close", () => {
      if (this.socket !== socket) return;
      if (this.linkState === "transfer") {
        server.logger.warning("I/O error trying to sync with MASTER: connection lost");
      }
      this.handshakeFailed();
    });
  }

  /** The "error:" path of syncWithMaster: close, and let the cron connect again. */
  handshakeFailed(): void {
    const wasFailover = this.repl.failover.state === "failover-in-progress";
    this.cancelHandshake(false);
    if (this.masterHost !== null) this.linkState = "connect";
    if (wasFailover) this.repl.failover.abort("Failover target rejected psync request");
  }

  /** cancelReplicationHandshake: drops a connect, handshake or transfer in progress. */
  cancelHandshake(reconnect: boolean): boolean {
    const state = this.linkState;
    if (state !== "connecting" && state !== "transfer" && !isHandshake(state)) return false;
    if (this.transfer !== null) {
      this.transfer.abort();
      this.transfer = null;
    }
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    this.linkState = this.masterHost !== null ? "connect" : "none";
    if (reconnect && this.masterHost !== null) {
      this.server.logger.notice(`Reconnecting to MASTER ${this.masterHost}:${this.masterPort} after failure`);
      this.connectWithMaster();
    }
    return true;
  }

  private send(argv: string[]): void {
    this.socket?.write(encodeCommand(argv));
  }

  /** Next `\n`-terminated line of the handshake (without `\r\n`), or null when incomplete. */
  private readLine(): string | null {
    const nl = this.inBuf.indexOf(10);
    if (nl === -1) return null;
    const end = nl > 0 && this.inBuf[nl - 1] === 13 ? nl - 1 : nl;
    const line = this.inBuf.toString("latin1", 0, end);
    this.inBuf = this.inBuf.subarray(nl + 1);
    return line;
  }

  private onHandshakeData(chunk: Buffer): void {
    this.inBuf = this.inBuf.length === 0 ? chunk : Buffer.concat([this.inBuf, chunk]);
    const logger = this.server.logger;
    const config = this.server.config;
    for (;;) {
      const state = this.linkState;
      if (!isHandshake(state)) return;
      const line = this.readLine();
      if (line === null) return;
      const isError = line.startsWith("-");
      switch (state) {
        case "receive_ping_reply":
          if (
            isError &&
            !line.startsWith("-NOAUTH") &&
            !line.startsWith("-NOPERM") &&
            !line.startsWith("-ERR operation not permitted")
          ) {
            logger.warning(`Error reply to PING from master: '${line}'`);
            this.handshakeFailed();
            return;
          }
          logger.notice("Master replied to PING, replication can continue...");
          this.sendHandshake();
          break;
        case "receive_auth_reply":
          if (isError) {
            logger.warning(`Unable to AUTH to MASTER: ${line}`);
            this.handshakeFailed();
            return;
          }
          this.linkState = "receive_port_reply";
          break;
        case "receive_port_reply":
          if (isError)
            logger.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${line}`);
          this.linkState =
            config.str("replica-announce-ip") !== "" ? "receive_ip_reply" : "receive_capa_reply";
          break;
        case "receive_ip_reply":
          if (isError)
            logger.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${line}`);
          this.linkState = "receive_capa_reply";
          break;
        case "receive_capa_reply":
          if (isError) logger.notice(`(Non critical) Master does not understand REPLCONF capa: ${line}`);
          this.sendPsync();
          break;
        case "receive_psync_reply":
          // Empty lines keep the link alive while the master prepares the RDB.
          if (line === "") break;
          this.onPsyncReply(line);
          return;
      }
    }
  }

  /** REPL_STATE_SEND_HANDSHAKE: AUTH and REPLCONFs pipelined, replies read one by one. */
  private sendHandshake(): void {
    const config = this.server.config;
    const auth = config.str("masterauth");
    if (auth !== "") {
      const user = config.str("masteruser");
      this.send(user !== "" ? ["AUTH", user, auth] : ["AUTH", auth]);
    }
    const port = config.num("replica-announce-port") || this.server.boundPort || config.num("port");
    this.send(["REPLCONF", "listening-port", String(port)]);
    const ip = config.str("replica-announce-ip");
    if (ip !== "") this.send(["REPLCONF", "ip-address", ip]);
    this.send(["REPLCONF", "capa", "eof", "capa", "psync2"]);
    this.linkState = auth !== "" ? "receive_auth_reply" : "receive_port_reply";
  }

  /** slaveTryPartialResynchronization, the sending half. */
  private sendPsync(): void {
    const cached = this.cachedMaster;
    this.masterInitialOffset = -1;
    let id = "?";
    let offset = "-1";
    if (cached !== null) {
      id = cached.replId;
      offset = String(cached.reploff + 1);
      this.server.logger.notice(`Trying a partial resynchronization (request ${id}:${offset}).`);
    } else {
      this.server.logger.notice("Partial resynchronization not possible (no cached master)");
    }
    const argv = ["PSYNC", id, offset];
    if (this.repl.failover.state === "failover-in-progress") argv.push("FAILOVER");
    this.send(argv);
    this.linkState = "receive_psync_reply";
  }

  /** slaveTryPartialResynchronization, the reading half, and what syncWithMaster does next. */
  private onPsyncReply(line: string): void {
    const logger = this.server.logger;
    const failover = this.repl.failover;
    let result: "continue" | "full" | "later" | "unsupported";
    if (line.startsWith("+FULLRESYNC")) {
      const parts = line.split(" ");
      if (parts.length < 3 || parts[1].length !== 40) {
        logger.warning("Master replied with wrong +FULLRESYNC syntax.");
        this.masterReplId = "";
      } else {
        this.masterReplId = parts[1];
        this.masterInitialOffset = Number(parts[2]);
        logger.notice(`Full resync from master: ${this.masterReplId}:${this.masterInitialOffset}`);
      }
      // We are going to full resync: the cached master is of no more use.
      this.cachedMaster = null;
      result = "full";
    } else if (line.startsWith("+CONTINUE")) {
      logger.notice("Successful partial resynchronization with master.");
      result = "continue";
    } else if (line.startsWith("-NOMASTERLINK") || line.startsWith("-LOADING")) {
      logger.notice(`Master is currently unable to PSYNC but should be in the future: ${line}`);
      result = "later";
    } else {
      if (line.startsWith("-ERR"))
        logger.notice(`Master does not support PSYNC or is in error state (reply: ${line})`);
      else logger.warning(`Unexpected reply to PSYNC from master: ${line}`);
      result = "unsupported";
    }
    if (failover.state === "failover-in-progress") {
      if (result === "continue" || result === "full") failover.clear();
      else {
        failover.abort("Failover target rejected psync request");
        return;
      }
    }
    if (result === "later") {
      this.handshakeFailed();
      return;
    }
    const rest = this.inBuf;
    this.inBuf = Buffer.alloc(0);
    if (result === "continue") {
      this.continueWithMaster(line, rest);
      return;
    }
    this.prePsync = result === "unsupported";
    if (this.prePsync) {
      logger.notice("Retrying with SYNC...");
      this.socket?.write("SYNC\r\n");
      this.masterReplId = "";
    }
    this.linkState = "transfer";
    this.transfer = new Transfer(this);
    if (rest.length > 0) this.transfer.onData(rest);
  }

  /** +CONTINUE [newid]: the cached master comes back to life (replicationResurrectCachedMaster). */
  private continueWithMaster(line: string, rest: Buffer): void {
    const cached = this.cachedMaster!;
    const state = this.repl.state;
    const newId = line.slice(10).trim();
    if (newId.length === 40 && newId !== cached.replId) {
      this.server.logger.warning(`Master replication ID changed to ${newId}`);
      // The old id stays valid for our replicas up to here; they must learn the new one.
      state.replId2 = cached.replId;
      state.secondReplOffset = state.masterReplOffset + 1;
      state.replId = newId;
      cached.replId = newId;
      this.repl.master.disconnectReplicas();
    }
    const socket = this.socket!;
    this.socket = null;
    this.cachedMaster = null;
    // A replica restarted from an RDB has no backlog yet.
    if (state.backlog === null) state.createBacklog();
    this.createMasterClient(socket, cached.dbId, cached.replId, cached.reploff, false);
    this.server.logger.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    if (rest.length > 0) this.masterClient!.applyStream(rest);
  }

  /**
   * replicationCreateMasterClient: the link becomes a client that applies the stream from
   * `reploff`, with `dbId` selected.
   */
  createMasterClient(socket: Socket, dbId: number, replId: string, reploff: number, prePsync: boolean): void {
    const server = this.server;
    socket.removeAllListeners("data");
    socket.removeAllListeners("connect");
    socket.removeAllListeners("error");
    socket.removeAllListeners("close");
    const addr = `${this.masterHost}:${this.masterPort}`;
    const laddr = `${socket.localAddress}:${socket.localPort}`;
    const master = this.repl.master;
    const c = new MasterLinkClient(server, socket, server.dbs[dbId] ?? server.dbs[0], addr, laddr, (bytes) =>
      master.feedStream(bytes),
    );
    c.startAt(replId, reploff, prePsync);
    server.clients.set(c.id, c);
    this.masterClient = c;
    server.masterClient = c;
    this.linkState = "connected";
    this.downSince = 0;
    socket.on("data", (chunk: Buffer) => {
      server.stats.totalNetReplInputBytes += chunk.length;
      c.applyStream(chunk);
    });
    socket.on("error", () => server.closeClient(c));
    socket.on("close", () => server.closeClient(c));
  }

  /** replicationSendAck: REPLCONF ACK <applied offset>. */
  sendAck(): void {
    this.masterClient?.sendAck();
  }

  /** REPLCONF GETACK: answer at once, with the offset before the GETACK itself. */
  onGetAck(_c: Client): void {
    if (this.masterHost !== null && this.masterClient !== null) this.sendAck();
  }

  /** The master client is being freed (link lost, CLIENT KILL, REPLICAOF): cache it for PSYNC. */
  onMasterClosed(c: MasterLinkClient): void {
    if (c !== this.masterClient) return;
    const server = this.server;
    this.masterClient = null;
    server.masterClient = null;
    // replicationCacheMaster: what was applied, in the db the stream had selected (not after a
    // protocol error, as freeClient does: the same bytes would come back).
    this.cachedMaster = c.protocolError
      ? null
      : { replId: c.replId, reploff: c.reploff, readReploff: c.reploff, dbId: c.db.id };
    if (this.masterHost === null || server.shuttingDown) return;
    server.logger.warning("Connection with master lost.");
    server.logger.notice("Caching the disconnected master state.");
    this.linkState = "connect";
    this.downSince = Date.now();
    // Reconnect now rather than in a second: the backlog we need may be recycled meanwhile.
    server.logger.notice(`Reconnecting to MASTER ${this.masterHost}:${this.masterPort}`);
    this.connectWithMaster();
  }

  /** A full sync completed: the loaded data and the master's history become ours. */
  onFullSyncDone(socket: Socket, dbId: number, leftover: Buffer[]): void {
    const state = this.repl.state;
    this.transfer = null;
    this.socket = null;
    const replId = this.masterReplId !== "" ? this.masterReplId : state.replId;
    const offset = Math.max(this.masterInitialOffset, 0);
    state.replId = replId;
    state.masterReplOffset = offset;
    state.clearReplicationId2();
    // Replicas need a backlog whether or not they have replicas, in case they get promoted.
    state.createBacklog();
    this.createMasterClient(socket, dbId, replId, offset, this.prePsync);
    this.server.logger.notice("MASTER <-> REPLICA sync: Finished with success");
    for (const fn of this.repl.afterFullSync) fn();
    for (const chunk of leftover) this.masterClient?.applyStream(chunk);
    // The first ACK tells a diskless master to start the stream.
    this.sendAck();
  }

  /** The replica half of replicationCron: timeouts, reconnection, the ACK every second. */
  cron(): void {
    if (this.masterHost === null) return;
    const server = this.server;
    const now = Date.now();
    const timeoutMs = server.config.num("repl-timeout") * 1000;
    const state = this.linkState;
    if ((state === "connecting" || isHandshake(state)) && now - this.lastIo > timeoutMs) {
      server.logger.warning("Timeout connecting to the MASTER...");
      this.cancelHandshake(true);
    } else if (state === "transfer" && now - this.lastIo > timeoutMs) {
      server.logger.warning(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      this.cancelHandshake(true);
    } else if (
      state === "connected" &&
      this.masterClient !== null &&
      now - this.masterClient.lastInteraction > timeoutMs
    ) {
      server.logger.warning("MASTER timeout: no data nor PING received...");
      server.closeClient(this.masterClient);
    }
    if (this.linkState === "connect" && now - this.lastConnectAttempt >= 1000) {
      server.logger.notice(`Connecting to MASTER ${this.masterHost}:${this.masterPort}`);
      this.connectWithMaster();
    }
    if (this.linkState === "connected") this.sendAck();
  }

  /** The socket of the handshake/transfer in progress (transfer.ts hands it to the master client). */
  get transferSocket(): Socket | null {
    return this.socket;
  }
}
