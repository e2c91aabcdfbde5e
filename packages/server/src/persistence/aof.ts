/**
 * The AOF subsystem (the aof_* state of Redis's struct redisServer, and aof.c's glue): turns
 * appendonly on and off (at start-up and with CONFIG SET), loads the AOF at start-up, opens the
 * incr file, feeds the write pipeline (aof-writer.ts), runs rewrites (aof-rewrite.ts), and
 * publishes INFO's aof_* fields, mem_aof_buffer and the MISCONF gate. It also owns BGREWRITEAOF
 * and DEBUG LOADAOF.
 *
 * States (aof_state):
 *
 *   off ──CONFIG SET appendonly yes──► wait_rewrite ──rewrite done──► on
 *    ▲                                      │ (rewrite failed: retried by the cron)
 *    └────────CONFIG SET appendonly no──────┴──────────────────────────┘
 *   start-up with appendonly yes: on (after loading; a fresh directory gets an empty base)
 *
 * Invariant: while the state is not off, the AofWriter is a propagation sink, and it buffers
 * commands exactly when they must reach a file (on, or wait_rewrite with its rewrite running).
 *
 * Callers: createServer (index.ts) registers it; the server calls start/load/beforeSleep/shutdown.
 */

import { closeSync } from "node:fs";
import {
  type AofManifest,
  addNewBaseFile,
  addNewIncrFile,
  aofTempIncrFileName,
  emptyAofManifest,
  shared,
} from "@keyhaven/protocol";
import { atoi } from "../commands/args.js";
import { debugSubcommands } from "../commands/debug.js";
import { type CommandSpec, spec } from "../commands/spec.js";
import { gates } from "../exec/dispatch.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server, ShutdownOptions, Subsystem } from "../server.js";
import { AlreadyLoggedError } from "../util/already-logged-error.js";
import type { Logger } from "../util/logger.js";
import { strerror } from "../util/strerror.js";
import { buildBaseSync } from "./aof-base.js";
import { AofDir, dirCreateIfMissing } from "./aof-files.js";
import {
  type AofLoadContext,
  type AofLoadOutcome,
  loadAppendOnlyFiles,
  runLoadAsync,
  runLoadSync,
} from "./aof-load.js";
import { AofRewriter } from "./aof-rewrite.js";
import type { AofStatus } from "./aof-status.js";
import { AofWriter, type AofWriterHost, type FsyncPolicy } from "./aof-writer.js";
import { writeFileAtomic } from "./atomic-file.js";
import { loadingState, startLoading, stopLoading } from "./loading.js";

export type AofState = "off" | "on" | "wait_rewrite";

export class Aof implements Subsystem, AofWriterHost {
  readonly server: Server;
  readonly dir: AofDir;
  state: AofState = "off";
  manifest: AofManifest = emptyAofManifest();
  readonly writer: AofWriter;
  readonly rewriter: AofRewriter;
  /** aof_rewrite_base_size: the AOF size when the last rewrite ended (or the base at start-up). */
  rewriteBaseSize = 0;
  private sinkAttached = false;

  constructor(server: Server) {
    this.server = server;
    const config = server.config;
    this.dir = new AofDir(config.str("appenddirname"), config.str("appendfilename"));
    this.writer = new AofWriter(this);
    this.rewriter = new AofRewriter(this);
    this.applyHotConfig();
    config.onChange((name, value, previous) => this.onConfigChange(name, value, previous));
  }

  get logger(): Logger {
    return this.server.logger;
  }

  // ---- AofWriterHost ---------------------------------------------------------------------

  snapshotActive(): boolean {
    return this.server.snapshots.busy;
  }

  scheduleFlush(): void {
    this.server.scheduleBeforeSleep();
  }

  fatal(message: string): never {
    this.server.logger.warning(message);
    process.exit(1);
  }

  // ---- configuration ---------------------------------------------------------------------

  private applyHotConfig(): void {
    const config = this.server.config;
    this.writer.setFsyncPolicy(config.str("appendfsync") as FsyncPolicy);
    this.writer.noFsyncOnRewrite = config.bool("no-appendfsync-on-rewrite");
    this.writer.timestamps = config.bool("aof-timestamp-enabled");
  }

  private onConfigChange(name: string, value: unknown, previous: unknown): void {
    switch (name) {
      case "appendfsync":
      case "no-appendfsync-on-rewrite":
      case "aof-timestamp-enabled":
        this.applyHotConfig();
        break;
      case "appendonly":
        // updateAppendonly: only a change does something (CONFIG SET may repeat the value).
        if (value === true && previous === false && this.state === "off") {
          if (!this.startAppendOnly()) throw new Error("Unable to turn on AOF. Check server logs.");
        } else if (value === false && previous === true && this.state !== "off") {
          this.stopAppendOnly();
        }
        break;
    }
  }

  /** Keeps the writer a sink while the AOF is not off, buffering only when a file takes it. */
  updateAccepting(): void {
    const attach = this.state !== "off";
    if (attach && !this.sinkAttached) this.server.propagator.addSink(this.writer);
    else if (!attach && this.sinkAttached) this.server.propagator.removeSink(this.writer);
    this.sinkAttached = attach;
    this.writer.accepting =
      this.state === "on" || (this.state === "wait_rewrite" && this.rewriter.inProgress);
  }

  /** startAppendOnly (CONFIG SET appendonly yes). Returns false when the rewrite cannot start. */
  startAppendOnly(): boolean {
    const server = this.server;
    const logger = this.logger;
    this.state = "wait_rewrite";
    const inExec = server.currentClient?.has(ClientFlag.InExec) === true;
    if (server.snapshots.busy && !this.rewriter.inProgress) {
      this.rewriter.scheduled = true;
      logger.warning(
        "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.",
      );
    } else if (inExec) {
      this.rewriter.scheduled = true;
      logger.warning(
        "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.",
      );
    } else {
      if (this.rewriter.inProgress) {
        logger.warning(
          "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.",
        );
        this.rewriter.kill();
      }
      this.updateAccepting();
      if (!this.rewriter.startBackground()) {
        this.state = "off";
        this.updateAccepting();
        logger.warning(
          "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
        );
        return false;
      }
    }
    this.writer.lastFsyncSec = Math.floor(Date.now() / 1000);
    this.writer.resetErrors();
    this.updateAccepting();
    return true;
  }

  /** stopAppendOnly (CONFIG SET appendonly no). */
  stopAppendOnly(): void {
    this.writer.closeFile();
    this.state = "off";
    this.rewriter.scheduled = false;
    this.rewriter.kill();
    this.writer.clearBuffer();
    this.updateAccepting();
  }

  /**
   * openNewIncrAofForAppend: a new incr file for the writes that follow a rewrite's start. With
   * AOF on, the manifest naming it is persisted first; while turning on, a temp file is used.
   * Returns false (logged) on failure, leaving everything as it was.
   */
  openNewIncrForAppend(): boolean {
    if (this.state === "off") return true;
    const dir = this.dir;
    const logger = this.logger;
    let temp: AofManifest | null = null;
    let name: string;
    if (this.state === "wait_rewrite") {
      name = aofTempIncrFileName(dir.filename);
    } else {
      temp = structuredClone(this.manifest);
      name = addNewIncrFile(temp, dir.filename);
    }
    let fd: number;
    try {
      fd = AofWriter.openNew(dir.path(name));
    } catch (err) {
      logger.warning(`Can't open the append-only file ${name}: ${strerror(err)}`);
      return false;
    }
    if (temp !== null) {
      try {
        dir.persistManifest(temp, logger);
      } catch {
        try {
          closeSync(fd);
        } catch {
          // Nothing else to release.
        }
        return false;
      }
    }
    logger.notice(`Creating AOF incr file ${name} on background rewrite`);
    this.writer.switchFile(fd);
    if (temp !== null) this.manifest = temp;
    return true;
  }

  // ---- start-up ---------------------------------------------------------------------------

  /** Loads the manifest (aofLoadManifestFromDisk): a bad one stops start-up, as in Redis. */
  start(): void {
    if (this.server.config.bool("appendonly")) this.state = "on";
    this.manifest = this.loadManifestOrExplain();
  }

  private loadManifestOrExplain(): AofManifest {
    try {
      return this.dir.loadManifest(this.logger);
    } catch (err) {
      const e = err as { reason?: string; line?: number; lineText?: string | null; message: string };
      this.logger.warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
      if (e.lineText !== undefined && e.lineText !== null) {
        this.logger.warning(`Reading the manifest file, at line ${e.line}\n`);
        this.logger.warning(`>>> '${e.lineText}'\n`);
      }
      this.logger.warning(`${e.reason ?? e.message}\n`);
      throw err;
    }
  }

  /** loadDataFromDisk's AOF branch, then aofOpenIfNeededOnServerStart and aofDelHistoryFiles. */
  async load(): Promise<void> {
    if (this.state === "on") {
      const start = performance.now();
      const outcome = await runLoadAsync(this.server, loadAppendOnlyFiles(this.loadContext(), this.manifest));
      this.afterLoad(outcome, start);
      // CONFIG SET appendonly no may have come while loading (CONFIG is allowed then).
      if (this.state === "on") this.openIfNeededOnServerStart();
    }
    this.dir.deleteHistoryFiles(this.manifest, this.logger);
  }

  private loadContext(): AofLoadContext {
    return {
      server: this.server,
      dir: this.dir,
      truncatedOk: this.server.config.bool("aof-load-truncated"),
      // The shared loading state (persistence/loading.ts) drives -LOADING and INFO loading_*.
      startLoading: (total) => {
        startLoading(this.server, total);
      },
      stopLoading: () => {
        stopLoading(this.server);
      },
      addLoadedBytes: (n) => {
        loadingState(this.server).loadedBytes += n;
      },
    };
  }

  private afterLoad(outcome: AofLoadOutcome, start: number): void {
    if (outcome.status === "failed" || outcome.status === "open_err") {
      throw new AlreadyLoggedError("The AOF could not be loaded (see the log for the file and the offset)");
    }
    if (outcome.status !== "not_exist") {
      this.logger.notice(
        `DB loaded from append only file: ${((performance.now() - start) / 1000).toFixed(3)} seconds`,
      );
    }
    this.writer.currentSize = outcome.totalSize;
    this.rewriteBaseSize = outcome.baseSize;
    this.writer.fsyncOffset = outcome.totalSize;
  }

  /** aofOpenIfNeededOnServerStart. Throws (start-up fails) when a file cannot be created. */
  private openIfNeededOnServerStart(): void {
    const dir = this.dir;
    const logger = this.logger;
    try {
      dirCreateIfMissing(dir.dirPath);
    } catch (err) {
      logger.warning(`Can't open or create append-only dir ${dir.dirname}: ${strerror(err)}`);
      throw err;
    }
    const am = this.manifest;
    let changed = false;
    const hadIncr = am.incr.length !== 0;
    if (am.base === null && !hadIncr) {
      const config = this.server.config;
      const preamble = config.bool("aof-use-rdb-preamble");
      const baseName = addNewBaseFile(am, dir.filename, preamble);
      writeFileAtomic(
        dir.path(baseName),
        buildBaseSync(this.server, preamble, config.bool("aof-timestamp-enabled")),
        "rewriteaof",
      );
      // A plain base written here carries `#TS:` now, and the incr file continues that second
      // (the base is written in-process, as Redis's synchronous rewriteAppendOnlyFile).
      if (!preamble && config.bool("aof-timestamp-enabled"))
        this.writer.noteTimestamp(Math.floor(Date.now() / 1000));
      logger.notice(`Creating AOF base file ${baseName} on server start`);
      changed = true;
    }
    let name: string;
    if (hadIncr) name = am.incr[am.incr.length - 1].fileName;
    else {
      name = addNewIncrFile(am, dir.filename);
      changed = true;
    }
    let fd: number;
    try {
      fd = AofWriter.openAppend(dir.path(name));
    } catch (err) {
      logger.warning(`Can't open the append-only file ${name}: ${strerror(err)}`);
      throw err;
    }
    if (changed) dir.persistManifest(am, logger);
    this.writer.switchFile(fd);
    this.writer.lastIncrSize = dir.fileSize(name, null).size;
    logger.notice(`${hadIncr ? "Opening" : "Creating"} AOF incr file ${name} on server start`);
    this.updateAccepting();
  }

  // ---- event loop and cron ---------------------------------------------------------------

  beforeSleep(): void {
    if (this.state !== "off") this.writer.flush(false);
  }

  /** serverCron's AOF duties (called every tick). */
  cron(): void {
    if (this.state !== "off") {
      // A postponed everysec write, or the everysec fsync owed for data written earlier.
      this.writer.flush(false);
    }
    this.rewriter.cron();
  }

  /** Once a second: retry a failed write so the MISCONF state can clear. */
  cronEverySecond(): void {
    if (this.state !== "off" && this.writer.lastWriteStatus === "err") this.writer.flush(false);
  }

  /** prepareForShutdown's AOF part. Returns false to refuse the shutdown. */
  shutdown(options: ShutdownOptions): boolean {
    const logger = this.logger;
    if (this.rewriter.inProgress) {
      if (this.state === "wait_rewrite") {
        if (options.force) logger.warning("Writing initial AOF. Exit anyway.");
        else {
          logger.warning("Writing initial AOF, can't exit.");
          return false;
        }
      }
      logger.warning("There is a child rewriting the AOF. Killing it!");
      this.rewriter.kill();
    }
    if (this.state !== "off") {
      logger.notice("Calling fsync() on the AOF file.");
      this.writer.flush(true);
      this.writer.cutReservation();
      this.writer.fsyncNow();
    }
    return true;
  }

  // ---- commands --------------------------------------------------------------------------

  /** bgrewriteaofCommand. */
  bgrewriteaof(c: Client): void {
    const rewriter = this.rewriter;
    if (rewriter.inProgress) {
      c.error("ERR Background append only file rewriting already in progress");
    } else if (this.server.snapshots.busy || c.has(ClientFlag.InExec)) {
      rewriter.scheduled = true;
      // A manual request may run at once, whatever the back-off of automatic ones.
      rewriter.consecutiveFailures = 0;
      c.out.simple("Background append only file rewriting scheduled");
    } else if (rewriter.startBackground()) {
      c.out.simple("Background append only file rewriting started");
    } else {
      c.error(
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
      );
    }
  }

  /** DEBUG LOADAOF: flush, empty the dataset, load the AOF again (synchronously). */
  debugLoadAof(c: Client): void {
    const server = this.server;
    if (this.state === "on") this.writer.flush(true);
    // The load below measures and reads the files as they are at rest.
    this.writer.cutReservation();
    for (const db of server.dbs) {
      server.signalFlushedDb(db);
      db.clear();
    }
    this.manifest = this.loadManifestOrExplain();
    this.dir.deleteHistoryFiles(this.manifest, this.logger);
    const outcome = runLoadSync(server, loadAppendOnlyFiles(this.loadContext(), this.manifest));
    if (
      outcome.status !== "ok" &&
      outcome.status !== "empty" &&
      outcome.status !== "not_exist" &&
      outcome.status !== "truncated"
    ) {
      this.fatal("DEBUG LOADAOF failed to load the AOF. Exiting.");
    }
    server.dirty = 0;
    this.logger.warning("Append Only File loaded by DEBUG LOADAOF");
    c.out.raw(shared.OK);
  }

  // ---- INFO ------------------------------------------------------------------------------

  /** The aof_* fields of INFO persistence, always current. */
  statusView(): AofStatus {
    const aof = this;
    return {
      get enabled() {
        return aof.state !== "off";
      },
      get rewriteInProgress() {
        return aof.rewriter.inProgress;
      },
      get rewriteScheduled() {
        return aof.rewriter.scheduled;
      },
      get lastRewriteTimeSec() {
        return aof.rewriter.timeLast;
      },
      get currentRewriteTimeSec() {
        const start = aof.rewriter.timeStart;
        return start === -1 ? -1 : Math.floor(Date.now() / 1000) - start;
      },
      get lastBgrewriteStatus() {
        return aof.rewriter.lastStatus;
      },
      get rewrites() {
        return aof.rewriter.rewrites;
      },
      get rewritesConsecutiveFailures() {
        return aof.rewriter.consecutiveFailures;
      },
      get lastWriteStatus() {
        return aof.writer.lastWriteStatus === "err" || aof.writer.bioFsyncStatus === "err" ? "err" : "ok";
      },
      get currentSize() {
        return aof.writer.currentSize;
      },
      get baseSize() {
        return aof.rewriteBaseSize;
      },
      get pendingRewrite() {
        return aof.rewriter.scheduled;
      },
      get bufferLength() {
        return aof.writer.bufferLength;
      },
      get pendingBioFsync() {
        return aof.writer.pendingFsyncs;
      },
      get delayedFsync() {
        return aof.writer.delayedFsync;
      },
    };
  }
}

/** BGREWRITEAOF's table entry; the handler reaches the server's Aof through this map. */
const instances = new WeakMap<Server, Aof>();

export function aofOf(server: Server): Aof | undefined {
  return instances.get(server);
}

const aofCommands = [
  spec(
    "bgrewriteaof",
    1,
    "admin noscript no_async_loading",
    [0, 0, 0],
    "server",
    "Asynchronously rewrites the append-only file to disk.",
    "1.0.0",
    (c) => {
      const aof = instances.get(c.server);
      if (aof === undefined) c.error("ERR AOF support is not available");
      else aof.bgrewriteaof(c);
    },
  ),
] satisfies CommandSpec[];

debugSubcommands.set("loadaof", (c) => {
  const aof = instances.get(c.server);
  if (aof === undefined) c.error("ERR AOF support is not available");
  else aof.debugLoadAof(c);
});
/** DEBUG AOF-FLUSH-SLEEP <microsec>: atoi's value, kept while the AOF is off too (as Redis). */
debugSubcommands.set("aof-flush-sleep", (c) => {
  const aof = instances.get(c.server);
  if (aof === undefined) return void c.error("ERR AOF support is not available");
  aof.writer.flushSleepUs = atoi(c.argv[2]);
  c.out.raw(shared.OK);
});

/**
 * Wires the AOF into a server (called by createServer): the subsystem, BGREWRITEAOF, DEBUG
 * LOADAOF, the cron duties, INFO's aof_* status, mem_aof_buffer and the MISCONF gate.
 */
export function registerAof(server: Server): Aof {
  const aof = new Aof(server);
  instances.set(server, aof);
  server.addSubsystem(aof);
  server.commands.add(aofCommands);
  server.cron.everyTick(() => aof.cron());
  server.cron.every(1000, () => aof.cronEverySecond());
  server.aofStatus = aof.statusView();
  server.memory.hooks.aofBuffer = () => (aof.state === "off" ? 0 : aof.writer.bufferLength);
  const previous = gates.writeDeniedReason;
  gates.writeDeniedReason = () => previous?.() ?? (aof.state !== "off" ? aof.writer.deniedReason() : null);
  return aof;
}
