/**
 * AOF rewrite (aof.c rewriteAppendOnlyFileBackground / backgroundRewriteDoneHandler) on the
 * point-in-time snapshot instead of a fork:
 *
 *   start (one synchronous step, so nothing runs in between):
 *     flush the AOF buffer to the current incr file
 *     open a NEW incr file and persist a manifest naming it   (AOF on)
 *       or open temp-<appendfilename>.incr                      (AOF turning on: no manifest yet)
 *     start a snapshot (aofBase) streaming into a temporary base file
 *   writes made meanwhile go to the new incr file: if the rewrite fails or the process dies, the
 *   old base + old incr files + the new incr file still hold everything.
 *   done:
 *     fsync + rename the temporary base to <appendfilename>.<seq+1>.base.(rdb|aof)
 *     (turning on: rename the temp incr to the next incr name)
 *     persist the manifest: new base, old incr files as history, the new incr
 *     delete the history files
 *
 * One rewrite at a time, and never while another snapshot runs (it would have to start at the
 * instant the new incr file opens); BGREWRITEAOF during a BGSAVE or inside EXEC is scheduled and
 * the cron starts it. Automatic rewrites follow auto-aof-rewrite-percentage/min-size, and repeated
 * failures back off (aofRewriteLimited).
 *
 * Callers: aof.ts (BGREWRITEAOF, CONFIG SET appendonly, cron, shutdown).
 */

import { renameSync, unlink } from "node:fs";
import {
  type AofManifest,
  addNewBaseFile,
  addNewIncrFile,
  aofTempIncrFileName,
  markRewrittenIncrAsHistory,
} from "@keyhaven/protocol";
import { strerror } from "../util/strerror.js";
import type { Aof } from "./aof.js";
import { AofBaseSink } from "./aof-base.js";
import { dirCreateIfMissing } from "./aof-files.js";
import { AtomicFileWriter, safeUnlink } from "./atomic-file.js";
import type { Snapshot } from "./snapshot.js";

/** aofRewriteLimited: back-off starts after this many consecutive failures... */
const AOF_REWRITE_LIMITE_THRESHOLD = 3;
/** ...and doubles up to one hour between automatic attempts. */
const AOF_REWRITE_LIMITE_MAX_MINUTES = 60;

interface RewriteJob {
  snapshot: Snapshot;
  sink: AofBaseSink;
  file: AtomicFileWriter;
  /** Name the base gets when the rewrite succeeds. */
  baseName: string;
  rdbPreamble: boolean;
  /** Killed (AOF turned off, shutdown, a new rewrite forced): the result is discarded. */
  cancelled: boolean;
}

function cloneManifest(am: AofManifest): AofManifest {
  return {
    base: am.base === null ? null : { ...am.base },
    history: am.history.map((i) => ({ ...i })),
    incr: am.incr.map((i) => ({ ...i })),
    currBaseFileSeq: am.currBaseFileSeq,
    currIncrFileSeq: am.currIncrFileSeq,
  };
}

export class AofRewriter {
  private readonly aof: Aof;
  private job: RewriteJob | null = null;
  /** aof_rewrite_scheduled. */
  scheduled = false;
  /** aof_rewrite_time_start (unix seconds, -1) and aof_rewrite_time_last. */
  timeStart = -1;
  timeLast = -1;
  lastStatus: "ok" | "err" = "ok";
  /** stat_aof_rewrites and stat_aofrw_consecutive_failures. */
  rewrites = 0;
  consecutiveFailures = 0;
  private nextDelayMinutes = 0;
  private nextRewriteTime = 0;

  constructor(aof: Aof) {
    this.aof = aof;
  }

  /** A rewrite runs (child_type == CHILD_TYPE_AOF), including its final commit. */
  get inProgress(): boolean {
    return this.job !== null;
  }

  /**
   * rewriteAppendOnlyFileBackground: returns false (and records the failure) when it cannot
   * start. The caller checks that no snapshot runs.
   */
  startBackground(): boolean {
    const aof = this.aof;
    const server = aof.server;
    const logger = server.logger;
    if (this.job !== null || server.snapshots.busy) return false;
    try {
      dirCreateIfMissing(aof.dir.dirPath);
    } catch (err) {
      logger.warning(`Can't open or create append-only dir ${aof.dir.dirname}: ${strerror(err)}`);
      this.lastStatus = "err";
      return false;
    }
    const writer = aof.writer;
    // Force a SELECT at the head of the new incr file.
    writer.selectedDb = -1;
    writer.flush(true);
    if (writer.bufferLength !== 0) {
      // Those commands are in the snapshot but not in the old files: writing them after the new
      // base would apply them twice. Refuse until the AOF can be written again.
      logger.warning(
        "Can't rewrite the append only file in background: the AOF buffer could not be written to disk.",
      );
      this.lastStatus = "err";
      return false;
    }
    if (!aof.openNewIncrForAppend()) {
      this.lastStatus = "err";
      return false;
    }
    this.rewrites++;
    const rdbPreamble = server.config.bool("aof-use-rdb-preamble");
    const baseName = addNewBaseFile(cloneManifest(aof.manifest), aof.dir.filename, rdbPreamble);
    const file = new AtomicFileWriter(aof.dir.path(baseName), "rewriteaof-bg");
    const job = { baseName, rdbPreamble, file, cancelled: false } as RewriteJob;
    job.sink = new AofBaseSink(file, !rdbPreamble, server.config.bool("aof-timestamp-enabled"), (err) => {
      void this.done(job, err);
    });
    try {
      job.snapshot = server.snapshots.start({ purpose: "aof-rewrite", aofBase: true }, [job.sink]);
    } catch (err) {
      logger.warning(`Can't rewrite append only file in background: ${(err as Error).message}`);
      void file.abort();
      this.lastStatus = "err";
      return false;
    }
    this.job = job;
    logger.notice(`Background append only file rewriting started by pid ${process.pid}`);
    this.scheduled = false;
    this.timeStart = Math.floor(Date.now() / 1000);
    aof.updateAccepting();
    return true;
  }

  /** killAppendOnlyChild: stops the running rewrite, discarding its result. */
  kill(): void {
    const job = this.job;
    if (job === null) return;
    this.aof.server.logger.notice("Killing running AOF rewrite child: the snapshot stops");
    job.cancelled = true;
    job.snapshot.removeSink(job.sink);
    void job.file.abort();
    this.job = null;
    this.timeStart = -1;
    this.aof.updateAccepting();
  }

  /** backgroundRewriteDoneHandler. */
  private async done(job: RewriteJob, err: Error | null): Promise<void> {
    if (job.cancelled) return;
    const aof = this.aof;
    const logger = aof.server.logger;
    if (err === null) {
      try {
        await job.file.commit();
      } catch (e) {
        err = e as Error;
      }
    } else {
      await job.file.abort();
    }
    if (job.cancelled) {
      // Killed while the base was being committed: it is named by no manifest; remove it.
      if (err === null) unlink(job.file.target, () => {});
      return;
    }
    if (err !== null) {
      logger.warning({ error: err.message }, `Background AOF rewrite terminated with error: ${err.message}`);
      this.failed();
      return;
    }
    logger.notice("Background AOF rewrite terminated with success");
    this.switchToNewBase(job);
  }

  /** The synchronous end of a successful rewrite: rename, manifest, history. */
  private switchToNewBase(job: RewriteJob): void {
    const aof = this.aof;
    const dir = aof.dir;
    const logger = aof.server.logger;
    const writer = aof.writer;
    const am = cloneManifest(aof.manifest);
    const baseName = addNewBaseFile(am, dir.filename, job.rdbPreamble);
    const basePath = dir.path(baseName);
    if (baseName !== job.baseName) {
      // The manifest changed under the rewrite (cannot happen while it runs): keep the old state.
      logger.warning(`The AOF manifest changed during the rewrite; discarding ${job.baseName}`);
      safeUnlink(job.file.target);
      this.failed();
      return;
    }
    logger.notice(`Successfully renamed the temporary AOF base file ${job.file.tempPath} into ${baseName}`);
    let newIncrPath: string | null = null;
    if (aof.state === "wait_rewrite") {
      const tempIncr = aofTempIncrFileName(dir.filename);
      const newIncr = addNewIncrFile(am, dir.filename);
      newIncrPath = dir.path(newIncr);
      try {
        renameSync(dir.path(tempIncr), newIncrPath);
      } catch (err) {
        logger.warning(
          `Error trying to rename the temporary AOF incr file ${dir.path(tempIncr)} into ${newIncrPath}: ${strerror(err)}`,
        );
        unlink(basePath, () => {});
        this.failed();
        return;
      }
      logger.notice(`Successfully renamed the temporary AOF incr file ${tempIncr} into ${newIncr}`);
    }
    markRewrittenIncrAsHistory(am, writer.fd !== -1);
    try {
      dir.persistManifest(am, logger);
    } catch {
      unlink(basePath, () => {});
      if (newIncrPath !== null) unlink(newIncrPath, () => {});
      this.failed();
      return;
    }
    aof.manifest = am;
    if (writer.fd !== -1) {
      writer.selectedDb = -1;
      writer.currentSize = dir.fileSize(baseName, null).size + writer.lastIncrSize;
      aof.rewriteBaseSize = writer.currentSize;
      writer.fsyncOffset = writer.currentSize;
      writer.lastFsyncSec = Math.floor(Date.now() / 1000);
    }
    dir.deleteHistoryFiles(aof.manifest, logger);
    this.lastStatus = "ok";
    this.consecutiveFailures = 0;
    logger.notice("Background AOF rewrite finished successfully");
    if (aof.state === "wait_rewrite") aof.state = "on";
    this.cleanup();
  }

  private failed(): void {
    this.lastStatus = "err";
    this.consecutiveFailures++;
    this.cleanup();
  }

  /** The end of a rewrite, whatever its outcome. */
  private cleanup(): void {
    const aof = this.aof;
    if (aof.state === "wait_rewrite") {
      // Turning AOF on failed this time: drop what accumulated and try again from the cron.
      aof.writer.clearBuffer();
      const temp = aofTempIncrFileName(aof.dir.filename);
      aof.server.logger.notice(`Removing the temp incr aof file ${temp} in the background`);
      unlink(aof.dir.path(temp), () => {});
    }
    this.timeLast = Math.floor(Date.now() / 1000) - this.timeStart;
    this.timeStart = -1;
    this.job = null;
    if (aof.state === "wait_rewrite") this.scheduled = true;
    aof.updateAccepting();
  }

  /** aofRewriteLimited: true while automatic rewrites back off after repeated failures. */
  limited(): boolean {
    if (this.consecutiveFailures < AOF_REWRITE_LIMITE_THRESHOLD) {
      this.nextDelayMinutes = 0;
      this.nextRewriteTime = 0;
      return false;
    }
    const now = Math.floor(Date.now() / 1000);
    if (this.nextRewriteTime !== 0) {
      if (now < this.nextRewriteTime) return true;
      this.nextRewriteTime = 0;
      return false;
    }
    this.nextDelayMinutes = this.nextDelayMinutes === 0 ? 1 : this.nextDelayMinutes * 2;
    if (this.nextDelayMinutes > AOF_REWRITE_LIMITE_MAX_MINUTES)
      this.nextDelayMinutes = AOF_REWRITE_LIMITE_MAX_MINUTES;
    this.nextRewriteTime = now + this.nextDelayMinutes * 60;
    this.aof.server.logger.warning(
      `Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.nextDelayMinutes} minutes`,
    );
    return true;
  }

  /** serverCron's part: a scheduled rewrite, then the automatic one on growth. */
  cron(): void {
    const aof = this.aof;
    const server = aof.server;
    if (this.job !== null || server.snapshots.busy || server.loading) return;
    if (this.scheduled && !this.limited()) {
      this.startBackground();
      return;
    }
    const perc = server.config.num("auto-aof-rewrite-percentage");
    const current = aof.writer.currentSize;
    if (aof.state === "on" && perc > 0 && current > server.config.num("auto-aof-rewrite-min-size")) {
      const base = aof.rewriteBaseSize > 0 ? aof.rewriteBaseSize : 1;
      const growth = Math.floor((current * 100) / base) - 100;
      if (growth >= perc && !this.limited()) {
        server.logger.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
        this.startBackground();
      }
    }
  }
}
