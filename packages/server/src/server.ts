/**
 * The server singleton: it owns the configuration, the databases, the clients, the command
 * table, the propagation stream, pub/sub, the cron and the subsystems (persistence,
 * replication) that plug into them. Redis spreads this over `struct redisServer`; here each
 * subsystem keeps its own state and the server wires them together.
 *
 * Event-loop shape (Redis's aeMain + beforeSleep):
 *   socket data ─► Client.onData ─► parse ─► processCommand ─► handler ─► reply into client.out
 *                                                        └─► propagate (AOF / backlog / replicas)
 *   end of turn (setImmediate) ─► beforeSleep: AOF write (+fsync), then one write per client
 *   cron (hz) ─► expiry, timeouts, save points, replication, stats
 */

import { randomBytes } from "node:crypto";
import { unlinkSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { Acl } from "./acl/acl.js";
import { buildCommandTable, type CommandTable } from "./commands/table.js";
import type { Config } from "./config/config.js";
import { Cron } from "./cron.js";
import { BlockingManager } from "./exec/blocking.js";
import { processCommand } from "./exec/dispatch.js";
import { Propagator } from "./exec/propagate.js";
import { ClientTracking } from "./exec/tracking.js";
import { touchAllWatchedKeysInDb, touchWatchedKey, unwatchAllKeys } from "./exec/watch.js";
import { LatencyMonitor } from "./info/latency-monitor.js";
import { clock, refreshClock } from "./keyspace/clock.js";
import { Db, type KeyspaceHooks } from "./keyspace/db.js";
import { activeExpireCycle, rememberReplicaKeyWithExpire } from "./keyspace/expire.js";
import { touchedLfu } from "./keyspace/lru.js";
import { bindTypeLimits } from "./keyspace/types/limits.js";
import type { Entry } from "./keyspace/value.js";
import { Client, ClientFlag, closeOnceWritten } from "./network/client.js";
import { Listeners, removeSocketFile } from "./network/listeners.js";
import { PROTECTED_MODE_DENIED, protectedModeDenies } from "./network/protected-mode.js";
import { readIntoSharedBuffer } from "./network/shared-reads.js";
import { type AofStatus, idleAofStatus } from "./persistence/aof-status.js";
import { SnapshotCoordinator } from "./persistence/coordinator.js";
import { PubSub } from "./pubsub/pubsub.js";
import { ServerMemory } from "./server-memory.js";
import { Stats } from "./stats.js";
import type { InfoSection, ShutdownOptions, Subsystem } from "./subsystem.js";
import { createLogger, type Logger, type LogLevel } from "./util/logger.js";
import { REDIS_VERSION } from "./version.js";

export type { InfoSection, ShutdownOptions, Subsystem } from "./subsystem.js";

export type PauseKind = "write" | "all";

export class Server implements KeyspaceHooks {
  readonly config: Config;
  logger: Logger;
  readonly dbs: Db[];
  readonly clients = new Map<number, Client>();
  nextClientId = 1;
  readonly stats = new Stats();
  readonly commands: CommandTable;
  readonly propagator = new Propagator();
  readonly pubsub: PubSub;
  /** Client-side caching: tracked keys and their invalidations. */
  readonly tracking = new ClientTracking(this);
  readonly blocking: BlockingManager;
  readonly cron: Cron;
  readonly runId = randomBytes(20).toString("hex");
  readonly startTimeMs = Date.now();
  readonly infoSections = new Map<string, InfoSection>();
  readonly subsystems: Subsystem[] = [];
  /** The single background snapshot (BGSAVE, AOF rewrite, full syncs). */
  readonly snapshots: SnapshotCoordinator;
  /** AOF state for INFO persistence; the AOF subsystem replaces it. */
  aofStatus: AofStatus = idleAofStatus();
  /** Changes since the last successful save (rdb_changes_since_last_save). */
  dirty = 0;
  /** Unix seconds of the last successful save (LASTSAVE); persistence updates it. */
  lastSaveTime = Math.floor(Date.now() / 1000);
  /** ROLE's reply; the replication subsystem replaces it. */
  roleReply: (c: Client) => void = (c) => {
    c.out.arrayHeader(3);
    c.out.bulk("master");
    c.out.integer(0);
    c.out.arrayHeader(0);
  };
  /** The client whose command is executing (null between commands). */
  currentClient: Client | null = null;
  /** The master link's client when this server is a replica. */
  masterClient: Client | null = null;
  /** HELLO's `mode` and INFO's `redis_mode`: Sentinel sets "sentinel". */
  mode: "standalone" | "sentinel" = "standalone";
  /** Replicas never expire keys themselves; set by the replication subsystem. */
  replicaMode = false;
  loading = false;
  /**
   * Set once start-up loading is over (every subsystem's load() returned). Until then a shutdown
   * must not save: the in-memory dataset is empty or partial and the files on disk are better.
   */
  datasetLoaded = false;
  /** Users, their permissions and the ACL log. */
  readonly acl: Acl;
  /** Hot copies of options read per command or per connection. */
  queryBufferLimit = 1024 * 1024 * 1024;
  maxClients = 10000;
  lfuMode = false;
  /** latency-tracking: per-command histograms for INFO latencystats. */
  latencyTracking = true;
  /** LATENCY's event store; `latencyMonitorOn` caches latency-monitor-threshold > 0 for call(). */
  readonly latencyMonitor = new LatencyMonitor();
  latencyMonitorOn = false;
  /** slowlog-log-slower-than (µs; negative disables the slow log). */
  slowlogThreshold = 10000;
  lfuSettings = { logFactor: 10, decayTime: 1 };
  /**
   * DEBUG SET-SKIP-CHECKSUM-VALIDATION (server.skip_checksum_validation): RDB loads and
   * RESTORE/FUNCTION RESTORE payloads skip their CRC64 check while set.
   */
  skipChecksumValidation = false;
  /** CLIENT PAUSE: until when (ms) and which commands. */
  pauseEndMs = 0;
  pauseKind: PauseKind | null = null;
  private readonly postponed = new Set<Client>();
  private readonly pendingFlush: Client[] = [];
  private beforeSleepScheduled = false;
  private readonly listeners = new Listeners(this);
  shuttingDown = false;
  /**
   * shutdown_mstime: while a shutdown waits for lagging replicas, when it stops waiting (ms since
   * the epoch); 0 otherwise. INFO shows it as shutdown_in_milliseconds, SHUTDOWN ABORT clears it.
   */
  shutdownDeadline = 0;
  private shutdownAborted = false;
  /** Clients whose SHUTDOWN waits for the shutdown in progress (INFO blocked_clients). */
  shutdownWaiters = 0;
  /** The shutdown in progress: a SHUTDOWN or signal meanwhile shares its outcome. */
  private shutdownRun: Promise<boolean> | null = null;
  /** stop() ran: background work of the server's own (the RDB warm-up) ends. */
  stopped = false;
  /** Set by SHUTDOWN/signals; resolves the promise main.ts waits on. */
  private exitResolve: ((code: number) => void) | null = null;
  readonly exited: Promise<number>;
  /** Clients whose blocking ended and whose pipelined input must be resumed. */
  private readonly unblocked: Client[] = [];

  /** The TCP port bound (port 0, in tests, binds a free one). */
  get boundPort(): number {
    return this.listeners.boundPort;
  }

  constructor(config: Config, commandsExtra?: (table: CommandTable) => void) {
    this.config = config;
    this.logger = createLogger(config.str("loglevel") as LogLevel, config.str("logfile"), "M");
    const databases = config.num("databases");
    this.dbs = Array.from({ length: databases }, (_, i) => new Db(i, this));
    this.memory = new ServerMemory(this.dbs, this.clients);
    this.commands = buildCommandTable();
    commandsExtra?.(this.commands);
    this.acl = new Acl(this);
    if (config.str("requirepass") !== "") this.acl.setDefaultPassword(config.str("requirepass"));
    this.pubsub = new PubSub((c) => this.scheduleFlush(c));
    this.cron = new Cron(config.num("hz"));
    this.blocking = new BlockingManager(this);
    this.snapshots = new SnapshotCoordinator(this);
    this.exited = new Promise((resolve) => {
      this.exitResolve = resolve;
    });
    this.applyHotConfig();
    bindTypeLimits(config);
    config.onChange((name) => this.onConfigChange(name));
    this.cron.every(100, () => this.stats.sample(clock.ms));
    this.cron.everyTick(() => {
      if (!this.latencyMonitorOn) return activeExpireCycle(this);
      const start = performance.now();
      activeExpireCycle(this);
      const ms = Math.floor(performance.now() - start);
      this.latencyMonitor.addSampleIfNeeded("expire-cycle", ms, Math.floor(clock.ms / 1000));
    });
    this.cron.every(1000, () => this.clientsCron());
  }

  private applyHotConfig(): void {
    const c = this.config;
    this.slowlogThreshold = c.num("slowlog-log-slower-than");
    this.latencyTracking = c.bool("latency-tracking");
    this.latencyMonitor.threshold = c.num("latency-monitor-threshold");
    this.latencyMonitorOn = this.latencyMonitor.threshold > 0;
    this.queryBufferLimit = c.num("client-query-buffer-limit");
    this.maxClients = c.num("maxclients");
    this.lfuMode = c.str("maxmemory-policy").includes("lfu");
    this.lfuSettings = { logFactor: c.num("lfu-log-factor"), decayTime: c.num("lfu-decay-time") };
    this.pubsub.setNotifyFlags(c.str("notify-keyspace-events"));
  }

  private onConfigChange(name: string): void {
    this.applyHotConfig();
    switch (name) {
      case "requirepass":
        this.acl.setDefaultPassword(this.config.str("requirepass"));
        break;
      case "hz":
        this.cron.setHz(this.config.num("hz"));
        break;
      case "loglevel":
        this.logger.setLevel(this.config.str("loglevel") as LogLevel);
        break;
      case "proto-max-bulk-len":
        for (const c of this.clients.values()) {
          if (!c.has(ClientFlag.Master)) c.parser.maxBulkLen = this.config.num("proto-max-bulk-len");
        }
        break;
    }
  }

  addSubsystem(subsystem: Subsystem): void {
    this.subsystems.push(subsystem);
  }

  // ---- Memory accounting and replication info in RDB files -----------------------------

  /** used_memory and its parts (see server-memory.ts). */
  readonly memory: ServerMemory;
  /**
   * Replication info in RDB files, installed by the replication subsystem: `saveInfo` is what
   * rdbPopulateSaveInfo gives a BGSAVE/SAVE (the repl-stream-db/repl-id/repl-offset aux fields,
   * undefined for none); persistence calls `rdbLoaded` with the aux fields of the RDB it loaded
   * at start-up, so a restarted replica can PSYNC (loadDataFromDisk).
   */
  readonly replicationHooks = {
    saveInfo: (): { streamDb: number; id: string; offset: number } | undefined => undefined,
    rdbLoaded: (_aux: ReadonlyMap<string, string>): void => {},
  };

  // ---- KeyspaceHooks -------------------------------------------------------------------

  isReplica(): boolean {
    return this.replicaMode;
  }

  executingMasterCommand(): boolean {
    return this.currentClient !== null && this.currentClient === this.masterClient;
  }

  writesPaused(): boolean {
    return this.pauseKind !== null;
  }

  isLoading(): boolean {
    return this.loading;
  }

  onKeyExpired(db: Db, key: string): void {
    this.stats.expiredKeys++;
    this.propagator.alsoPropagate(db.id, [this.config.bool("lazyfree-lazy-expire") ? "UNLINK" : "DEL", key]);
    this.pubsub.notify("x", "expired", key, db.id);
    this.signalDeletedKey(db, key);
  }

  onReplicaOwnExpire(db: Db, key: string): void {
    // Not for databases of the server's own work (the RDB warm-up's), which nobody expires.
    if (this.dbs[db.id] === db) rememberReplicaKeyWithExpire(this, db, key);
  }

  countLookup(hit: boolean): void {
    if (hit) this.stats.keyspaceHits++;
    else this.stats.keyspaceMisses++;
  }

  onKeyMiss(db: Db, key: string): void {
    this.pubsub.notify("m", "keymiss", key, db.id);
  }

  onKeyAdded(db: Db, key: string): void {
    this.pubsub.notify("n", "new", key, db.id);
  }

  touchLru(current: number): number {
    return this.lfuMode ? touchedLfu(current, this.lfuSettings) : clock.lruSeconds;
  }

  // ---- Keyspace change signals ---------------------------------------------------------

  /**
   * signalModifiedKey: every command that changes a key calls this. It invalidates WATCH,
   * re-accounts the value's memory and wakes clients blocked on the key.
   */
  signalModifiedKey(db: Db, key: string): void {
    const entry = db.peek(key);
    if (entry !== undefined) this.signalModifiedEntry(db, entry);
    else {
      if (db.watchedKeys.size !== 0) touchWatchedKey(db, key);
      if (this.tracking.clients !== 0) this.tracking.invalidateKey(key, this.currentClient);
    }
  }

  /** signalModifiedKey for a caller that holds the key's entry: no second lookup of the key. */
  signalModifiedEntry(db: Db, entry: Entry): void {
    const key = entry.key;
    // Checking the size first spares V8 hashing every written key (MSET: 10 per command).
    if (db.watchedKeys.size !== 0) touchWatchedKey(db, key);
    if (this.tracking.clients !== 0) this.tracking.invalidateKey(key, this.currentClient);
    db.syncMemory(entry);
    if (db.blockingKeys.size !== 0 && db.blockingKeys.has(key)) this.blocking.signalKeyAsReady(db, key);
  }

  /** A key was removed (DEL, expiry, eviction, emptied collection): WATCH is invalidated. */
  signalDeletedKey(db: Db, key: string): void {
    if (db.watchedKeys.size !== 0) touchWatchedKey(db, key);
    if (this.tracking.clients !== 0) this.tracking.invalidateKey(key, this.currentClient);
    // signalDeletedKeyAsReady: XREADGROUP waiters learn that their stream is gone.
    if (db.blockingKeys.size !== 0 && db.blockingKeys.has(key)) this.blocking.signalKeyAsReady(db, key);
  }

  /** A flush emptied one or every database (signalFlushedDb's tracking part, once per flush). */
  signalFlushed(): void {
    this.tracking.invalidateAllOnFlush();
  }

  /**
   * touchAllWatchedKeysInDb, called before FLUSHDB/FLUSHALL empties `db` or SWAPDB replaces its
   * contents with `replacedWith`'s: a watched key is touched when it exists in `db` now or in
   * what replaces it, so WATCH of a key that stays missing survives.
   */
  signalFlushedDb(db: Db, replacedWith: Db | null = null): void {
    // scanDatabaseForDeletedStreams: keys with blocked clients are looked at again after the flush.
    for (const key of db.blockingKeys.keys()) this.blocking.signalKeyAsReady(db, key);
    if (db.watchedKeys.size !== 0) touchAllWatchedKeysInDb(db, replacedWith);
  }

  notify(type: string, event: string, key: string, dbId: number): void {
    this.pubsub.notify(type, event, key, dbId);
  }

  // ---- Clients and output --------------------------------------------------------------

  processCommand(c: Client): void {
    processCommand(this, c);
  }

  /** Queues a client for the end-of-turn flush (beforeSleep). */
  scheduleFlush(c: Client): void {
    if (c.scheduleFlush()) this.pendingFlush.push(c);
    if (!this.beforeSleepScheduled) {
      this.beforeSleepScheduled = true;
      setImmediate(this.flushBeforeSleep);
    }
  }

  /** Requests a beforeSleep pass without a client (e.g. propagation with no replies). */
  scheduleBeforeSleep(): void {
    if (!this.beforeSleepScheduled) {
      this.beforeSleepScheduled = true;
      setImmediate(this.flushBeforeSleep);
    }
  }

  /** A client's blocking ended: its reply is ready and its pipelined input can resume. */
  queueUnblocked(c: Client): void {
    this.unblocked.push(c);
    this.scheduleFlush(c);
  }

  /**
   * Runs a pending beforeSleep pass now rather than at its turn in the check phase. Long-running
   * background work (snapshot slices) calls it first, so the replies of the commands served since
   * its previous slice leave before it takes the CPU again instead of waiting behind it. It is
   * also the queued pass itself, which finds nothing to do when called early.
   */
  readonly flushBeforeSleep = (): void => {
    if (this.beforeSleepScheduled) this.beforeSleep();
  };

  private readonly beforeSleep = (): void => {
    this.beforeSleepScheduled = false;
    refreshClock();
    // Resume clients whose blocking ended, before writing anything out.
    while (this.unblocked.length !== 0) {
      const batch = this.unblocked.splice(0);
      for (const c of batch) {
        if (c.has(ClientFlag.CloseAsap) || c.has(ClientFlag.Blocked)) continue;
        c.processInput();
        this.scheduleFlush(c);
      }
    }
    this.blocking.beforeSleep();
    this.tracking.broadcast();
    // AOF (and anything else that must be durable before replies leave) goes first.
    for (const s of this.subsystems) s.beforeSleep?.();
    const pending = this.pendingFlush.splice(0);
    for (const c of pending) {
      if (c.has(ClientFlag.CloseAsap)) continue;
      const before = c.out.pendingBytes;
      if (c.has(ClientFlag.Replica)) this.stats.totalNetReplOutputBytes += before;
      else this.stats.totalNetOutputBytes += before;
      const queued = c.flush();
      if (queued > 0) this.checkOutputBufferLimits(c, queued);
    }
  };

  /** checkClientOutputBufferLimits: disconnects a client whose unsent output is too large. */
  checkOutputBufferLimits(c: Client, queued: number): void {
    const cls = c.has(ClientFlag.Replica) ? "replica" : c.has(ClientFlag.PubSub) ? "pubsub" : "normal";
    const limit = this.config.outputBufferLimit(cls);
    let exceeded = limit.hard > 0 && queued >= limit.hard;
    if (!exceeded && limit.soft > 0 && queued >= limit.soft) {
      if (c.obufSoftLimitSince === 0) c.obufSoftLimitSince = clock.ms;
      else if (clock.ms - c.obufSoftLimitSince >= limit.softSeconds * 1000) exceeded = true;
    } else if (queued < limit.soft) {
      c.obufSoftLimitSince = 0;
    }
    if (exceeded) {
      this.stats.clientOutbufLimitDisconnections++;
      this.logger.warning(
        { client: c.describe(), bytes: queued, class: cls },
        "Client scheduled to be closed ASAP for overcoming of output buffer limits.",
      );
      this.closeClient(c);
    }
  }

  /** Accepts a new connection (acceptCommonHandler). */
  acceptConnection(accepted: Socket, unix: boolean): void {
    const addr = unix
      ? `${this.config.str("unixsocket")}:0`
      : `${accepted.remoteAddress}:${accepted.remotePort}`;
    const laddr = unix
      ? `${this.config.str("unixsocket")}:0`
      : `${accepted.localAddress}:${accepted.localPort}`;
    if (this.clients.size >= this.maxClients) {
      this.stats.rejectedConnections++;
      closeOnceWritten(accepted, "-ERR max number of clients reached\r\n");
      return;
    }
    if (
      protectedModeDenies(
        accepted.remoteAddress,
        unix,
        this.config.bool("protected-mode"),
        !this.acl.defaultUser.nopass,
      )
    ) {
      this.stats.rejectedConnections++;
      closeOnceWritten(accepted, PROTECTED_MODE_DENIED);
      return;
    }
    // The socket reads from a later turn on, once `client` below exists.
    const socket = readIntoSharedBuffer(accepted, (chunk: Buffer) => {
      this.stats.totalNetInputBytes += chunk.length;
      this.stats.totalReadsProcessed++;
      client.onData(chunk);
      client.parser.retain();
    });
    // Like stat_numconnections, counted only once the connection passed maxclients and protected mode.
    this.stats.totalConnectionsReceived++;
    if (!unix) {
      socket.setNoDelay(true);
      const keepalive = this.config.num("tcp-keepalive");
      if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    }
    const client = new Client(this, socket, this.dbs[0], addr, laddr);
    if (unix) client.flags |= ClientFlag.UnixSocket;
    this.clients.set(client.id, client);
    socket.on("error", () => this.closeClient(client));
    socket.on("close", () => this.closeClient(client));
  }

  /** A client created without a socket (AOF loading, internal execution). */
  createFakeClient(): Client {
    const c = new Client(this, null, this.dbs[0], "", "");
    c.flags |= ClientFlag.Fake;
    c.authenticated = true;
    c.user = null;
    return c;
  }

  /** freeClient: releases everything the client holds and closes its socket. */
  closeClient(c: Client): void {
    if (c.has(ClientFlag.CloseAsap) && !this.clients.has(c.id)) return;
    c.flags |= ClientFlag.CloseAsap;
    if (!this.clients.delete(c.id)) return;
    if (c.has(ClientFlag.Blocked)) this.blocking.unblock(c, "disconnect");
    this.postponed.delete(c);
    unwatchAllKeys(c);
    this.pubsub.dropClient(c);
    this.tracking.disable(c);
    c.multiQueue = [];
    for (const hook of this.clientCloseHooks) hook(c);
    c.out.discard();
    c.socket?.destroy();
  }

  /** Subsystems that keep per-client state (replication, MONITOR) release it here. */
  readonly clientCloseHooks: ((c: Client) => void)[] = [];

  // ---- CLIENT PAUSE ---------------------------------------------------------------------

  /** pauseClients: a pause in force can only be made longer or more restrictive. */
  pause(kind: PauseKind, untilMs: number): void {
    if (this.pauseKind !== "all") this.pauseKind = kind;
    this.pauseEndMs = Math.max(this.pauseEndMs, untilMs);
  }

  unpause(): void {
    this.pauseKind = null;
    this.pauseEndMs = 0;
    const waiting = [...this.postponed];
    this.postponed.clear();
    for (const c of waiting) {
      c.flags &= ~ClientFlag.Postponed;
      this.queueUnblocked(c);
    }
  }

  /** Parks a client until CLIENT PAUSE ends (blockPostponeClient). */
  postpone(c: Client): void {
    c.flags |= ClientFlag.Postponed;
    this.postponed.add(c);
  }

  get postponedCount(): number {
    return this.postponed.size;
  }

  private clientsCron(): void {
    const timeout = this.config.num("timeout");
    const now = clock.ms;
    if (this.pauseKind !== null && now >= this.pauseEndMs) this.unpause();
    if (timeout > 0) {
      for (const c of this.clients.values()) {
        if (
          c.has(ClientFlag.Master) ||
          c.has(ClientFlag.Replica) ||
          c.has(ClientFlag.Blocked) ||
          c.has(ClientFlag.PubSub)
        ) {
          continue;
        }
        if (now - c.lastInteraction > timeout * 1000) {
          this.logger.verbose({ client: c.describe() }, "Closing idle client");
          this.closeClient(c);
        }
      }
    }
  }

  // ---- Start and stop --------------------------------------------------------------------

  /**
   * Starts listening, then loads the dataset. The start-up lines are Redis's, in Redis's order:
   * tools that start a server read them (Redis's own test suite takes " PID: <pid>", which Redis
   * prints only once it listens, as the sign that start-up got past binding its port).
   */
  async start(mode: "standalone" | "sentinel" = "standalone"): Promise<void> {
    refreshClock();
    this.logger.notice(
      `oO0OoO0OoO0Oo Keyhaven (Redis ${REDIS_VERSION} compatible) is starting oO0OoO0OoO0Oo`,
    );
    this.logger.notice(
      { version: REDIS_VERSION },
      `Redis version=${REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid=${process.pid}, just started`,
    );
    for (const s of this.subsystems) await s.start?.();
    await this.listeners.listen();
    const pidfile = this.config.str("pidfile");
    if (pidfile !== "") writeFileSync(pidfile, `${process.pid}\n`);
    this.logger.notice(this.runningLine(mode));
    if (mode === "standalone") this.logger.notice("Server initialized");
    for (const s of this.subsystems) {
      await s.load?.();
      if (this.shuttingDown) return;
    }
    this.datasetLoaded = true;
    this.cron.start();
    this.logger.notice({ port: this.boundPort }, "Ready to accept connections tcp");
  }

  /**
   * redisAsciiArt's line: the logo's facts when `always-show-logo` is on or the log is a
   * terminal, else the one-line form.
   */
  private runningLine(mode: "standalone" | "sentinel"): string {
    const showLogo =
      this.config.bool("always-show-logo") ||
      (this.config.str("logfile") === "" && process.stdout.isTTY === true);
    if (!showLogo) return `Running mode=${mode}, port=${this.boundPort}.`;
    return `Keyhaven (Redis ${REDIS_VERSION} compatible) 64 bit, Running in ${mode} mode, Port: ${this.boundPort}, PID: ${process.pid}`;
  }

  /** CONFIG SET port|bind: listens again with the current settings (see Listeners.rebind). */
  rebind(): Promise<void> {
    return this.listeners.rebind();
  }

  /**
   * prepareForShutdown + exit: runs the subsystems' shutdown (which may save), closes listeners
   * and clients, removes the pidfile and unix socket. Returns false if a subsystem refused.
   */
  shutdown(options: ShutdownOptions): Promise<boolean> {
    if (this.shutdownRun === null) {
      this.shutdownRun = this.runShutdown(options).then((ok) => {
        if (!ok) this.shutdownRun = null;
        return ok;
      });
    }
    return this.shutdownRun;
  }

  /**
   * SHUTDOWN ABORT (abortShutdown): a shutdown still waiting for its replicas gives up; writes
   * resume and every SHUTDOWN waiting on it fails. False when none is waiting.
   */
  abortShutdown(): boolean {
    if (this.shutdownDeadline === 0) return false;
    this.shutdownDeadline = 0;
    this.shutdownAborted = true;
    this.logger.notice("Shutdown manually aborted.");
    return true;
  }

  private async runShutdown(options: ShutdownOptions): Promise<boolean> {
    this.shuttingDown = true;
    this.shutdownAborted = false;
    this.logger.warning("User requested shutdown...");
    for (const s of this.subsystems) {
      const ok = await s.shutdown?.(options);
      if (this.shutdownAborted) {
        this.shuttingDown = false;
        return false;
      }
      if (ok === false && !options.force) {
        this.shuttingDown = false;
        this.logger.warning("Errors trying to shut down the server. Check the logs for more information.");
        return false;
      }
    }
    this.stop();
    this.logger.warning("Redis is now ready to exit, bye bye...");
    this.exitResolve?.(0);
    return true;
  }

  /** Closes everything without any saving (tests, and the end of shutdown). */
  stop(): void {
    this.stopped = true;
    this.cron.stop();
    this.listeners.close();
    for (const c of [...this.clients.values()]) {
      c.flush();
      this.closeClient(c);
    }
    const pidfile = this.config.str("pidfile");
    if (pidfile !== "") {
      try {
        unlinkSync(pidfile);
      } catch {
        // Already gone.
      }
    }
    const unixPath = this.config.str("unixsocket");
    if (unixPath !== "") removeSocketFile(unixPath);
  }
}
