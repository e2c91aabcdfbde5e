/**
 * The AOF write pipeline (aof.c feedAppendOnlyFile + flushAppendOnlyFile): a PropagationSink that
 * appends every propagated command (preceded by SELECT when the database changes, and by a
 * `#TS:` annotation each new second when aof-timestamp-enabled) to the AOF buffer (encoded into it
 * straight from the argv when the AOF is the only sink, feedArgv); the buffer is
 * written to the current incr file once per event-loop turn, in the server's beforeSleep, before
 * any reply of that turn is sent:
 *
 *   command ─► feed ─► buffer ─► beforeSleep: write(2) ─► fsync per appendfsync ─► replies flushed
 *     always:   fdatasync in the same turn (group commit: one write+fsync for every write of the turn),
 *               the write landing in bytes reserved ahead of it (aof-reserve.ts)
 *     everysec: fdatasync on the libuv thread pool at most once a second; a write that finds the
 *               previous fsync still running is postponed up to 2 s, then forced (aof_delayed_fsync)
 *     no:       the OS decides
 *
 * Write errors follow flushAppendOnlyFile: a short write is undone with ftruncate (or the written
 * part dropped from the buffer), aof_last_write_status turns to err and writes are refused with
 * MISCONF until a retry succeeds (the cron retries every second); with `always` the process exits,
 * since a reply may already have acknowledged the write.
 *
 * Callers: aof.ts owns the instance (state, config), aof-rewrite.ts switches its file descriptor.
 */

import {
  closeSync,
  constants,
  fdatasync,
  fdatasyncSync,
  close as fsClose,
  ftruncateSync,
  openSync,
  writeSync,
} from "node:fs";
import { commandBound, encodeCommand, writeCommandInto } from "@keyhaven/protocol";
import type { PropagationSink } from "../exec/propagate.js";
import { clock } from "../keyspace/clock.js";
import { blockingSleep } from "../util/blocking-sleep.js";
import type { Logger } from "../util/logger.js";
import { strerror } from "../util/strerror.js";
import { extendReservation, RESERVE_MARK, RESERVE_MIN_AHEAD } from "./aof-reserve.js";

export type FsyncPolicy = "always" | "everysec" | "no";

/** Minimum seconds between two logs of the same write error (AOF_WRITE_LOG_ERROR_RATE). */
const AOF_WRITE_LOG_ERROR_RATE = 30;
/** The buffer is kept between turns while this small; a larger one is released (as Redis's 4k rule). */
const BUFFER_KEEP_BYTES = 64 * 1024;
/** A new incr file. No O_APPEND: every write is positional, at the end of the commands written
 * (lastIncrSize), since with `always` a reservation lies past it (aof-reserve.ts). That also keeps
 * writes at the end after a short write was truncated away (Redis would leave a hole). */
const OPEN_NEW_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC;
const OPEN_APPEND_FLAGS = constants.O_WRONLY | constants.O_CREAT;

const selectCache: Buffer[] = [];
function selectCommand(db: number): Buffer {
  let b = selectCache[db];
  if (b === undefined) {
    b = encodeCommand(["SELECT", String(db)]);
    if (db < 1024) selectCache[db] = b;
  }
  return b;
}

/** What the writer needs from its owner. */
export interface AofWriterHost {
  logger: Logger;
  /** A background snapshot runs (no-appendfsync-on-rewrite skips fsync meanwhile). */
  snapshotActive(): boolean;
  /** Asks for a beforeSleep pass (a write fed outside a client's turn, e.g. by active expiry). */
  scheduleFlush(): void;
  /** Exits the process (a write error with appendfsync always). */
  fatal(message: string): never;
}

export class AofWriter implements PropagationSink {
  readonly kind = "aof" as const;
  private readonly host: AofWriterHost;
  /** The incr file being appended to, or -1. */
  fd = -1;
  /** Fed commands are buffered only while this is set (AOF on, or turning on with a rewrite running). */
  accepting = false;
  /** Database of the last SELECT written (-1: the next command writes one). */
  selectedDb = -1;
  fsyncPolicy: FsyncPolicy = "everysec";
  noFsyncOnRewrite = false;
  timestamps = false;
  /** DEBUG AOF-FLUSH-SLEEP (server.aof_flush_sleep): µs to block before each write of the buffer. */
  flushSleepUs = 0;
  private curTimestamp = 0;

  private buf: Buffer = Buffer.allocUnsafe(BUFFER_KEEP_BYTES);
  private len = 0;

  /** aof_current_size: bytes of base + incr files (as written). */
  currentSize = 0;
  /** aof_last_incr_size: bytes of commands in the current incr file, where the next write goes. */
  lastIncrSize = 0;
  /** End of the current file's reservation (its size), 0 when it has none (aof-reserve.ts). */
  private reservedEnd = 0;
  /** A reservation could not be written (the disk is full): none for this file. */
  private reserveFailed = false;
  /** aof_fsync_offset: currentSize as of the last fsync started. */
  fsyncOffset = 0;
  /** aof_last_fsync: unix seconds of the last fsync started. */
  lastFsyncSec = 0;
  private flushPostponedStart = 0;
  /** aof_delayed_fsync. */
  delayedFsync = 0;
  lastWriteStatus: "ok" | "err" = "ok";
  lastWriteErrno: unknown = null;
  private lastWriteErrorLog = 0;
  /** Outcome of the last background fsync (aof_bio_fsync_status / errno). */
  bioFsyncStatus: "ok" | "err" = "ok";
  bioFsyncErrno: unknown = null;
  /** Background fsyncs of the current file not finished yet (aof_pending_bio_fsync). */
  pendingFsyncs = 0;
  private fsyncJob: Promise<void> | null = null;
  /** Bumped whenever `fd` changes, so a late fsync completion is not counted against a new file. */
  private fileGen = 0;

  constructor(host: AofWriterHost) {
    this.host = host;
  }

  /** aof_buffer_length. */
  get bufferLength(): number {
    return this.len;
  }

  // ---- feeding (hot path) ------------------------------------------------------------------

  feed(dbId: number, command: Buffer): void {
    if (!this.accepting) return;
    this.appendPrefix(dbId);
    this.append(command);
    this.host.scheduleFlush();
  }

  /**
   * feed's twin for the propagator's argv form: the multibulk is encoded straight into the
   * buffer, byte for byte what encodeCommand(argv) gives (strings one byte per char).
   */
  feedArgv(dbId: number, argv: readonly string[]): void {
    if (!this.accepting) return;
    this.appendPrefix(dbId);
    const need = this.len + commandBound(argv);
    if (need > this.buf.length) this.grow(need);
    this.len = writeCommandInto(this.buf, this.len, argv);
    this.host.scheduleFlush();
  }

  /** What goes before a command: `#TS:` in a new second (aof-timestamp-enabled), SELECT. */
  private appendPrefix(dbId: number): void {
    if (this.timestamps) {
      const now = Math.floor(clock.ms / 1000);
      if (this.curTimestamp < now) {
        this.curTimestamp = now;
        this.append(Buffer.from(`#TS:${now}\r\n`, "latin1"));
      }
    }
    if (dbId !== this.selectedDb) {
      this.append(selectCommand(dbId));
      this.selectedDb = dbId;
    }
  }

  private append(b: Buffer): void {
    const need = this.len + b.length;
    if (need > this.buf.length) this.grow(need);
    b.copy(this.buf, this.len);
    this.len = need;
  }

  /** Makes room for `need` bytes, keeping the buffered ones (at least doubling). */
  private grow(need: number): void {
    const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  /** The last `#TS:` written was for `unixSeconds` (the next one is due in a later second). */
  noteTimestamp(unixSeconds: number): void {
    this.curTimestamp = unixSeconds;
  }

  /** Drops the buffered bytes (stopAppendOnly, a failed initial rewrite). */
  clearBuffer(): void {
    this.len = 0;
    if (this.buf.length > BUFFER_KEEP_BYTES) this.buf = Buffer.allocUnsafe(BUFFER_KEEP_BYTES);
  }

  // ---- files -------------------------------------------------------------------------------

  /** Opens an incr file for appending (start-up: the last incr file, created if missing). */
  static openAppend(path: string): number {
    return openSync(path, OPEN_APPEND_FLAGS, 0o644);
  }

  /** Creates (or truncates) a new incr file. */
  static openNew(path: string): number {
    return openSync(path, OPEN_NEW_FLAGS, 0o644);
  }

  /**
   * Switches to a new incr file (openNewIncrAofForAppend): the old one is fsynced and closed in
   * the background, after any fsync still running on it.
   */
  switchFile(newFd: number): void {
    const old = this.fd;
    if (old !== -1) {
      this.cutReservation();
      this.closeInBackground(old);
      this.fsyncOffset = this.currentSize;
      this.lastFsyncSec = Math.floor(clock.ms / 1000);
    }
    this.fd = newFd;
    this.fileGen++;
    this.lastIncrSize = 0;
    this.reserveFailed = false;
  }

  /** aof_background_fsync_and_close. */
  private closeInBackground(fd: number): void {
    const previous = this.fsyncJob ?? Promise.resolve();
    this.fsyncJob = null;
    this.pendingFsyncs = 0;
    void previous.then(() => {
      fdatasync(fd, () => fsClose(fd, () => {}));
    });
  }

  /** stopAppendOnly's part: flush, fsync and close the current file. */
  closeFile(): void {
    if (this.fd === -1) return;
    this.flush(true);
    this.cutReservation();
    try {
      fdatasyncSync(this.fd);
      this.fsyncOffset = this.currentSize;
      this.lastFsyncSec = Math.floor(clock.ms / 1000);
    } catch (err) {
      this.host.logger.warning(`Fail to fsync the AOF file: ${strerror(err)}`);
    }
    try {
      closeSync(this.fd);
    } catch {
      // Already unusable: nothing more to release.
    }
    this.fd = -1;
    this.fileGen++;
    this.fsyncJob = null;
    this.pendingFsyncs = 0;
    this.selectedDb = -1;
    this.lastIncrSize = 0;
    this.clearBuffer();
  }

  // ---- flushAppendOnlyFile -----------------------------------------------------------------

  /** True while a background fsync of the current file runs (aofFsyncInProgress). */
  get fsyncInProgress(): boolean {
    return this.pendingFsyncs !== 0;
  }

  /**
   * flushAppendOnlyFile: writes the buffer and fsyncs as `appendfsync` says. `force` writes even
   * when an everysec fsync is still running. Returns false when bytes remain unwritten.
   */
  flush(force: boolean): boolean {
    if (this.fd === -1) return this.len === 0;
    const nowSec = Math.floor(clock.ms / 1000);
    const everysec = this.fsyncPolicy === "everysec";
    let syncInProgress = false;
    if (this.len === 0) {
      // An everysec fsync is still owed for data written less than a second ago.
      if (
        everysec &&
        this.fsyncOffset !== this.currentSize &&
        nowSec > this.lastFsyncSec &&
        !this.fsyncInProgress
      ) {
        this.tryFsync(nowSec, false);
      }
      return true;
    }
    if (everysec) syncInProgress = this.fsyncInProgress;
    if (everysec && !force && syncInProgress) {
      // write(2) would wait for the fsync anyway: postpone for up to two seconds.
      if (this.flushPostponedStart === 0) {
        this.flushPostponedStart = nowSec;
        return false;
      }
      if (nowSec - this.flushPostponedStart < 2) return false;
      this.delayedFsync++;
      this.host.logger.notice(
        "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.",
      );
    }
    // A test hook: a slow disk, seen by the clients whose replies wait for this write.
    if (this.flushSleepUs > 0) blockingSleep(this.flushSleepUs / 1000);
    const total = this.len;
    const start = this.lastIncrSize;
    // Into a reservation, one '#' more (aof-reserve.ts).
    let toWrite = total;
    if (this.fsyncPolicy === "always" && this.reserveAhead(start + total)) {
      toWrite = total + 1;
      if (this.buf.length < toWrite) this.grow(toWrite);
      this.buf[total] = RESERVE_MARK;
    }
    let written = 0;
    let error: unknown = null;
    while (written < toWrite) {
      try {
        const n = writeSync(this.fd, this.buf, written, toWrite - written, start + written);
        if (n === 0) {
          error = Object.assign(new Error("short write"), { code: "ENOSPC" });
          break;
        }
        written += n;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EINTR" || code === "EAGAIN") continue;
        error = err;
        break;
      }
    }
    this.flushPostponedStart = 0;
    if (written >= total) {
      // Every command is in the file, whatever became of the '#' after them.
      written = total;
      error = null;
    }
    if (written !== total) {
      this.writeFailed(written, error, nowSec);
      return false;
    }
    if (this.lastWriteStatus === "err") {
      this.host.logger.warning("AOF write error looks solved, Redis can write again.");
      this.lastWriteStatus = "ok";
    }
    this.currentSize += written;
    this.lastIncrSize += written;
    this.len = 0;
    if (this.buf.length > BUFFER_KEEP_BYTES) this.buf = Buffer.allocUnsafe(BUFFER_KEEP_BYTES);
    this.tryFsync(nowSec, syncInProgress);
    return true;
  }

  /**
   * With `always`, before a write that will end at `end`: renews the reservation when fewer than
   * RESERVE_MIN_AHEAD bytes of it would be left; its bytes reach the disk with this turn's
   * fdatasync. True when the write lands in a reservation. A failure (a full disk) is not a
   * write error: this file goes on without a reservation, and the write itself tells.
   */
  private reserveAhead(end: number): boolean {
    if (this.reserveFailed) return false;
    if (end + RESERVE_MIN_AHEAD <= this.reservedEnd) return true;
    const from = this.reservedEnd !== 0 ? this.reservedEnd : this.lastIncrSize;
    try {
      this.reservedEnd = extendReservation(this.fd, from, end);
      return true;
    } catch (err) {
      this.reserveFailed = true;
      this.truncateToCommands();
      this.host.logger.verbose(`Could not reserve space ahead of the AOF: ${strerror(err)}`);
      return false;
    }
  }

  /**
   * Cuts the current file's reservation off (leaving `always`, leaving the file, DEBUG LOADAOF),
   * so that files at rest hold commands only. Unflushed commands stay in the buffer.
   */
  cutReservation(): void {
    if (this.reservedEnd !== 0) this.truncateToCommands();
  }

  private truncateToCommands(): void {
    this.reservedEnd = 0;
    try {
      ftruncateSync(this.fd, this.lastIncrSize);
    } catch (err) {
      // Annotations only are left: every loader skips them, and the next load cuts them off.
      this.host.logger.verbose(`Could not cut the space reserved ahead of the AOF: ${strerror(err)}`);
    }
  }

  /** appendfsync changed: a reservation is only kept while it is `always`. */
  setFsyncPolicy(policy: FsyncPolicy): void {
    this.fsyncPolicy = policy;
    if (policy !== "always") this.cutReservation();
  }

  private writeFailed(written: number, error: unknown, nowSec: number): void {
    const canLog = nowSec - this.lastWriteErrorLog > AOF_WRITE_LOG_ERROR_RATE;
    if (canLog) this.lastWriteErrorLog = nowSec;
    const logger = this.host.logger;
    let kept = written;
    if (written === 0) {
      if (canLog) logger.warning(`Error writing to the AOF file: ${strerror(error)}`);
      this.lastWriteErrno = error;
    } else {
      if (canLog) {
        logger.warning(
          `Short write while writing to the AOF file: (nwritten=${written}, expected=${this.len})`,
        );
      }
      try {
        ftruncateSync(this.fd, this.lastIncrSize);
        kept = 0;
      } catch (err) {
        if (canLog) {
          logger.warning(
            `Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: ${strerror(err)}`,
          );
        }
      }
      this.lastWriteErrno = Object.assign(new Error("No space left on device"), { code: "ENOSPC" });
    }
    if (this.fsyncPolicy === "always") {
      this.host.fatal("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
    }
    this.lastWriteStatus = "err";
    if (kept > 0) {
      // Those bytes are in the file for good: drop them from the buffer.
      this.currentSize += kept;
      this.lastIncrSize += kept;
      this.buf.copy(this.buf, 0, kept, this.len);
      this.len -= kept;
    }
  }

  private tryFsync(nowSec: number, syncInProgress: boolean): void {
    if (this.noFsyncOnRewrite && this.host.snapshotActive()) return;
    if (this.fsyncPolicy === "always") {
      try {
        fdatasyncSync(this.fd);
      } catch (err) {
        this.host.fatal(
          `Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${strerror(err)}. Exiting...`,
        );
      }
      this.fsyncOffset = this.currentSize;
      this.lastFsyncSec = nowSec;
    } else if (this.fsyncPolicy === "everysec" && nowSec > this.lastFsyncSec) {
      if (!syncInProgress) {
        this.backgroundFsync(this.fd);
        this.fsyncOffset = this.currentSize;
      }
      this.lastFsyncSec = nowSec;
    }
  }

  /** aof_background_fsync: fdatasync on the thread pool (Redis's bio thread). */
  private backgroundFsync(fd: number): void {
    this.pendingFsyncs++;
    const gen = this.fileGen;
    const job = new Promise<void>((resolve) => {
      fdatasync(fd, (err) => {
        if (this.fileGen === gen) this.pendingFsyncs--;
        const code = (err as NodeJS.ErrnoException | null)?.code;
        // A descriptor closed meanwhile is not an fsync failure (bioProcessBackgroundJobs).
        if (err !== null && code !== "EBADF" && code !== "EINVAL") {
          if (this.bioFsyncStatus === "ok")
            this.host.logger.warning(`Fail to fsync the AOF file: ${strerror(err)}`);
          this.bioFsyncStatus = "err";
          this.bioFsyncErrno = err;
        } else {
          this.bioFsyncStatus = "ok";
        }
        if (this.fsyncJob === job) this.fsyncJob = null;
        resolve();
      });
    });
    this.fsyncJob = job;
  }

  /** A full fsync now, from the main thread (switching to appendfsync always, shutdown). */
  fsyncNow(): void {
    if (this.fd === -1) return;
    try {
      fdatasyncSync(this.fd);
      this.fsyncOffset = this.currentSize;
      this.lastFsyncSec = Math.floor(clock.ms / 1000);
    } catch (err) {
      this.host.logger.warning(`Fail to fsync the AOF file: ${strerror(err)}.`);
    }
  }

  /** The MISCONF reason when writes must be refused (writeCommandsDeniedByDiskError), or null. */
  deniedReason(): string | null {
    if (this.lastWriteStatus === "err")
      return `MISCONF Errors writing to the AOF file: ${strerror(this.lastWriteErrno)}`;
    if (this.bioFsyncStatus === "err") {
      this.lastWriteErrno = this.bioFsyncErrno;
      return `MISCONF Errors writing to the AOF file: ${strerror(this.bioFsyncErrno)}`;
    }
    return null;
  }

  /** Forgets the error state (startAppendOnly: "AOF reopen, just ignore the last error"). */
  resetErrors(): void {
    if (this.bioFsyncStatus === "err") {
      this.host.logger.warning("AOF reopen, just ignore the AOF fsync error in bio job");
      this.bioFsyncStatus = "ok";
    }
    if (this.lastWriteStatus === "err") {
      this.host.logger.warning("AOF reopen, just ignore the last error.");
      this.lastWriteStatus = "ok";
    }
  }
}
