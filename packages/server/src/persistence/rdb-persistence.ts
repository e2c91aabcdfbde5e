/**
 * The RDB side of persistence, as one subsystem (Redis's rdb.c commands plus the RDB parts of
 * serverCron, prepareForShutdown, flushAllDataAndResetRDB and loadDataFromDisk):
 *
 * - SAVE (rdbSave, blocking) and BGSAVE (rdbSaveBackground: a point-in-time Snapshot streamed
 *   into dump.rdb through a temporary file), BGSAVE SCHEDULE, save points from the cron, the
 *   shutdown save, FLUSHALL's save, and the MISCONF gate (stop-writes-on-bgsave-error);
 * - the start-up load of dump.rdb when appendonly is no (the AOF subsystem loads otherwise);
 * - the state INFO persistence prints (rdb_saves, rdb_last_bgsave_status, ...).
 *
 * "RDB child" in Redis's terms is, here, a snapshot whose purpose is not an AOF rewrite (a BGSAVE
 * or a replication full sync): only one runs at a time (server.snapshots). A BGSAVE counts as in
 * progress until its file is committed, after the snapshot itself has ended.
 *
 * Other subsystems reach it with `rdbPersistence(server)`: disk-based replication starts its
 * full syncs as BGSAVEs and waits on `running.sink.done` (the file renamed into place) before
 * sending it (replication/full-sync.ts), and provides the replication AUX fields (`replSaveInfo`).
 */

import { isAbsolute, join, resolve } from "node:path";
import { gates } from "../exec/dispatch.js";
import type { Client } from "../network/client.js";
import type { Server, ShutdownOptions, Subsystem } from "../server.js";
import { strerror } from "../util/strerror.js";
import { safeUnlink } from "./atomic-file.js";
import { loadRdbFile } from "./rdb-file-load.js";
import { commitLoadedFunctions } from "./rdb-load.js";
import { RdbFileSink, type ReplSaveInfo, rdbSaveSync } from "./rdb-save.js";
import type { Snapshot } from "./snapshot.js";

/** shared.bgsaveerr. */
export const MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/** CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, automatic ones wait this long (seconds). */
const BGSAVE_RETRY_DELAY = 5;

export interface RunningBgsave {
  snapshot: Snapshot;
  /** Its `done` settles once the file is renamed into place (or the save failed / was killed). */
  sink: RdbFileSink;
  /** Unix ms when it started (rdb_current_bgsave_time_sec). */
  startedAt: number;
  /** Cancelled on purpose (killRDBChild: SIGUSR1 semantics, not an error). */
  killed: boolean;
  /** Started by disk-based replication (RDBFLAGS_REPLICATION), for rdb-del-sync-files. */
  forReplication: boolean;
}

export type BgsaveResult =
  | { kind: "started"; snapshot: Snapshot }
  | { kind: "in-progress" }
  | { kind: "other-child" };

const instances = new WeakMap<Server, RdbPersistence>();

/** time(NULL) - start, as Redis computes rdb_save_time_last: whole Unix seconds, not elapsed ms. */
export function elapsedUnixSeconds(startMs: number): number {
  return Math.floor(Date.now() / 1000) - Math.floor(startMs / 1000);
}

/** The RDB persistence of `server` (undefined when not registered, e.g. Sentinel). */
export function rdbPersistence(server: Server): RdbPersistence | undefined {
  return instances.get(server);
}

export class RdbPersistence implements Subsystem {
  readonly server: Server;
  /** rdb_last_bgsave_status (lastbgsave_status): also set by SAVE's success, never by its failure. */
  lastBgsaveOk = true;
  /** Unix seconds of the last BGSAVE attempt (lastbgsave_try), for the retry delay. */
  lastBgsaveTry = 0;
  /** rdb_saves. */
  saves = 0;
  /** rdb_last_bgsave_time_sec (of any RDB snapshot: BGSAVE or replication). */
  lastBgsaveTimeSec = -1;
  /** BGSAVE SCHEDULE (or BGSAVE inside MULTI) waiting for the running snapshot to end. */
  bgsaveScheduled = false;
  /** server.dirty when the running BGSAVE started (dirty_before_bgsave). */
  private dirtyBeforeBgsave = 0;
  running: RunningBgsave | null = null;
  /** rdbPopulateSaveInfo: the replication subsystem provides the AUX fields it wants saved. */
  replSaveInfo: () => ReplSaveInfo = () => this.server.replicationHooks.saveInfo();

  constructor(server: Server) {
    this.server = server;
  }

  /** Where dump.rdb lives: `dbfilename` in `dir` (the process's cwd after start-up's chdir). */
  rdbPath(): string {
    const dir = this.server.config.str("dir");
    const file = this.server.config.str("dbfilename");
    return dir !== "" && isAbsolute(dir) ? join(dir, file) : resolve(file);
  }

  // ---- Child bookkeeping ---------------------------------------------------------------------

  /** child_type == CHILD_TYPE_RDB: a BGSAVE (until its file is committed) or a replication snapshot. */
  rdbChildActive(): boolean {
    if (this.running !== null) return true;
    const cur = this.server.snapshots.current;
    return cur?.inProgress === true && cur.options.purpose !== "aof-rewrite";
  }

  /** hasActiveChildProcess, for deciding whether a BGSAVE may start now. */
  anyChildActive(): boolean {
    return this.running !== null || this.server.snapshots.busy;
  }

  /** The snapshot currently producing an RDB (BGSAVE or replication), for INFO. */
  currentRdbSnapshot(): Snapshot | null {
    if (this.running !== null) return this.running.snapshot;
    const cur = this.server.snapshots.current;
    return cur?.inProgress && cur.options.purpose !== "aof-rewrite" ? cur : null;
  }

  // ---- Saving --------------------------------------------------------------------------------

  /**
   * rdbSave: a synchronous save to dump.rdb. On success the dirty counter is reset and LASTSAVE
   * moves; on failure nothing changes but the log (Redis's SAVE failure does not set MISCONF).
   */
  saveSync(): boolean {
    const path = this.rdbPath();
    try {
      rdbSaveSync(this.server, path, this.replSaveInfo());
    } catch (err) {
      this.server.logger.warning(
        { file: path, error: strerror(err) },
        `Write error saving DB on disk: ${strerror(err)}`,
      );
      return false;
    }
    this.server.logger.notice("DB saved on disk");
    this.server.dirty = 0;
    this.server.lastSaveTime = Math.floor(Date.now() / 1000);
    this.lastBgsaveOk = true;
    return true;
  }

  /**
   * rdbSaveBackground: starts a BGSAVE into dump.rdb. Returns the snapshot (other consumers, e.g.
   * disk-based replication, may add sinks to it), or why it could not start.
   */
  bgsave(): BgsaveResult {
    if (this.rdbChildActive()) return { kind: "in-progress" };
    if (this.anyChildActive()) return { kind: "other-child" };
    const server = this.server;
    this.saves++;
    this.dirtyBeforeBgsave = server.dirty;
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    const sink = new RdbFileSink(this.rdbPath());
    const snapshot = server.snapshots.start({ purpose: "bgsave", repl: this.replSaveInfo() }, [sink]);
    const run: RunningBgsave = {
      snapshot,
      sink,
      startedAt: Date.now(),
      killed: false,
      forReplication: false,
    };
    this.running = run;
    // A write error detaches the file at once instead of serializing the rest for nothing.
    sink.onWriteError = (err) => {
      snapshot.removeSink(sink);
      sink.fail(err);
    };
    server.logger.notice("Background saving started");
    sink.done.then(
      () => this.bgsaveDone(run, null),
      (err: Error) => this.bgsaveDone(run, err),
    );
    return { kind: "started", snapshot };
  }

  /** backgroundSaveDoneHandlerDisk. */
  private bgsaveDone(run: RunningBgsave, err: Error | null): void {
    if (this.running === run) this.running = null;
    const server = this.server;
    this.lastBgsaveTimeSec = elapsedUnixSeconds(run.startedAt);
    if (err === null) {
      server.logger.notice("Background saving terminated with success");
      server.dirty = Math.max(0, server.dirty - this.dirtyBeforeBgsave);
      server.lastSaveTime = Math.floor(Date.now() / 1000);
      this.lastBgsaveOk = true;
    } else if (run.killed) {
      server.logger.warning("Background saving terminated by signal 10");
    } else {
      server.logger.warning({ error: strerror(err) }, `Background saving error: ${strerror(err)}`);
      this.lastBgsaveOk = false;
    }
  }

  /**
   * killRDBChild: cancels the running BGSAVE (its temporary file is removed, dump.rdb is left as
   * it was, the status is not an error), and with `alsoReplication` a replication snapshot too.
   */
  killRdbChild(alsoReplication: boolean): void {
    const run = this.running;
    if (run !== null && !run.killed) {
      run.killed = true;
      run.snapshot.removeSink(run.sink);
      run.sink.fail(new Error("BGSAVE cancelled"));
      // The process may exit before the asynchronous abort runs: remove the temp file now.
      safeUnlink(run.sink.tempPath);
    }
    if (alsoReplication) {
      const cur = this.server.snapshots.current;
      if (cur?.inProgress && cur.options.purpose !== "aof-rewrite")
        cur.abort(new Error("Background RDB transfer cancelled"));
    }
  }

  // ---- Subsystem hooks -----------------------------------------------------------------------

  /** serverCron's RDB part: save points and scheduled BGSAVEs (run on every cron tick). */
  cron(): void {
    const server = this.server;
    if (server.loading || this.anyChildActive()) return;
    const now = Math.floor(Date.now() / 1000);
    const mayRetry = now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY || this.lastBgsaveOk;
    if (!mayRetry) return;
    for (const sp of server.config.savePoints()) {
      if (server.dirty >= sp.changes && now - server.lastSaveTime > sp.seconds) {
        server.logger.notice(`${sp.changes} changes in ${sp.seconds} seconds. Saving...`);
        this.bgsave();
        return;
      }
    }
    if (this.bgsaveScheduled && this.bgsave().kind === "started") this.bgsaveScheduled = false;
  }

  /** loadDataFromDisk, RDB branch: dump.rdb when appendonly is no (the AOF subsystem loads otherwise). */
  async load(): Promise<void> {
    const server = this.server;
    if (server.config.bool("appendonly")) return;
    const path = this.rdbPath();
    let result: Awaited<ReturnType<typeof loadRdbFile>>;
    // A master propagates the deletion of the keys its file held already expired (rdbLoad's
    // RDBFLAGS_FEED_REPL): replicas that continue its stream after the restart drop them too.
    const expired: [number, string][] = [];
    try {
      result = await loadRdbFile(server, path, { onExpiredDropped: (db, key) => expired.push([db, key]) });
    } catch (err) {
      server.logger.warning(
        { file: path, offset: (err as { offset?: number }).offset },
        `${(err as Error).message}. The file was left untouched; fix or remove it to start.`,
      );
      throw err;
    }
    if (result === null) return;
    commitLoadedFunctions(server, result.functions);
    // A restarted replica resumes with PSYNC from the repl-id/offset its RDB carries, a restarted
    // master keeps them for its replicas' PSYNC.
    server.replicationHooks.rdbLoaded(result.aux);
    const del = server.config.bool("lazyfree-lazy-expire") ? "UNLINK" : "DEL";
    for (const [db, key] of expired) server.propagator.alsoPropagate(db, [del, key]);
    server.logger.notice(`DB loaded from disk: ${result.seconds.toFixed(3)} seconds`);
  }

  /** prepareForShutdown's RDB part. Resolves false when the final save failed (and not FORCE). */
  async shutdown(options: ShutdownOptions): Promise<boolean> {
    const server = this.server;
    if (server.loading || !server.datasetLoaded) {
      // Never save a half-loaded (or not yet loaded) dataset over the file it came from.
      server.logger.warning("Received shutdown signal during loading, exiting now.");
      return true;
    }
    if (this.rdbChildActive()) {
      server.logger.warning("There is a child saving an .rdb. Killing it!");
      const run = this.running;
      this.killRdbChild(true);
      // Its temporary file may still be being created: let the abort remove it before exiting.
      if (run !== null) await run.sink.done.catch(() => {});
    }
    const save = options.save === true || (options.save !== false && server.config.savePoints().length > 0);
    if (!save) return true;
    server.logger.notice("Saving the final RDB snapshot before exiting.");
    if (this.saveSync()) return true;
    if (options.force) {
      server.logger.warning("Error trying to save the DB. Exit anyway.");
      return true;
    }
    server.logger.warning("Error trying to save the DB, can't exit.");
    return false;
  }

  /**
   * flushAllDataAndResetRDB: cancel the BGSAVE (its file would bring the flushed data back); with
   * save points, save the empty dataset now. The save resets the dirty counter, as in Redis 7.0,
   * so FLUSHALL forces its own propagation.
   */
  onFlushAll(c: Client): void {
    const server = this.server;
    if (this.rdbChildActive()) this.killRdbChild(false);
    if (server.config.savePoints().length > 0) {
      this.saveSync();
      c.forcePropagation = true;
    }
  }

  /** writeCommandsDeniedByDiskError, RDB part (the AOF part chains after it). */
  writeDeniedReason(): string | null {
    if (this.lastBgsaveOk) return null;
    const config = this.server.config;
    if (config.bool("stop-writes-on-bgsave-error") && config.savePoints().length > 0) return MISCONF_RDB;
    return null;
  }
}

/** Creates the subsystem and wires its hooks into the server (called by createServer). */
export function installRdbPersistence(server: Server): RdbPersistence {
  const p = new RdbPersistence(server);
  instances.set(server, p);
  server.addSubsystem(p);
  server.cron.everyTick(() => p.cron());
  server.snapshots.onEnded((snapshot) => {
    // rdb_save_time_last covers replication transfers too (backgroundSaveDoneHandler).
    if (snapshot.options.purpose !== "aof-rewrite" && snapshot.options.purpose !== "bgsave")
      p.lastBgsaveTimeSec = elapsedUnixSeconds(snapshot.startedAt);
  });
  const previous = gates.writeDeniedReason;
  gates.writeDeniedReason = () => p.writeDeniedReason() ?? previous?.() ?? null;
  server.config.onChange((name, value) => {
    // PROTECTED_CONFIG options: refused unless enable-protected-configs allows them.
    if ((name === "dir" || name === "dbfilename") && server.config.str("enable-protected-configs") === "no")
      throw new Error("can't set protected config");
    if (name === "dir") {
      try {
        process.chdir(String(value));
      } catch (err) {
        throw new Error(strerror(err));
      }
    } else if (name === "dbfilename") {
      const v = String(value);
      if (v.includes("/") || v === "." || v === "..")
        throw new Error("dbfilename can't be a path, just a filename");
    }
  });
  return p;
}
