/**
 * Point-in-time snapshots without fork (see ARCHITECTURE.md "Snapshots without fork"). Redis
 * forks and lets copy-on-write pages freeze the dataset; Node cannot, so the snapshot freezes it
 * in the application:
 *
 * - At start (synchronously, in one event-loop turn) it records each database's size and slot
 *   range and becomes every Db's KeyspaceObserver. That instant is the snapshot's point in time.
 * - The walk then serializes keys slot by slot in small time-bounded slices between event-loop
 *   turns, while the server keeps serving.
 * - Write-before-mutate: a key about to change (or be deleted, or expire, or be evicted) that the
 *   walk has not reached is captured first, in its state at the snapshot instant. Keys of the
 *   database being walked are written into the RDB right away; keys of later databases are kept
 *   as RdbValue copies until their section is written.
 * - Keys created after the start are remembered and skipped; FLUSHDB/FLUSHALL/SWAPDB (and a
 *   loader swapping fresh databases in) capture whatever of the affected database was not yet
 *   written and close its walk: from then on nothing found in that Db object belongs to the
 *   snapshot (its entries are either already handled or newer than the start).
 * - Invariant: an entry present at the start is serialized exactly once; an entry created later
 *   never is. Entries handled ahead of the walk are marked (`alreadyWritten`); the ones the walk
 *   writes itself are recognized by position (see writeEntry), which spares a mark per key.
 *
 * So the RDB is exactly the dataset at the start instant. One snapshot feeds any number of sinks
 * (a BGSAVE file, replicas' full syncs); they all receive the same bytes. Only one snapshot runs
 * at a time (Db.observer is single, as Redis has a single child).
 *
 *   start ─► header ─► [db0: SELECTDB, pre-images, walk slots] ─► [db1 ...] ─► EOF+CRC ─► sinks.end
 *                  writes ─► beforeKeyWrite ─► capture if not yet walked
 */

import { type RdbValue, RdbWriter } from "@keyhaven/protocol";
import type { Db, KeyspaceObserver } from "../keyspace/db.js";
import type { Entry } from "../keyspace/value.js";
import { libraryCodes } from "../scripting/functions.js";
import type { Server } from "../server.js";
import { REDIS_VERSION } from "../version.js";
import { toRdbValue } from "./rdb-convert.js";
import { EntryMeta, rdbWriterOptions } from "./rdb-save.js";
import { RdbValueSource } from "./rdb-source.js";

/** A consumer of the RDB stream. */
export interface SnapshotSink {
  /** The next bytes of the RDB, in order. */
  write(chunks: Buffer[]): void;
  /** The RDB is complete (EOF and checksum were written). */
  end(): void;
  /** The snapshot was aborted. */
  fail(err: Error): void;
  /** Bytes written to this sink and not yet consumed; the walk pauses while a sink is far behind. */
  backlogBytes(): number;
}

export interface SnapshotOptions {
  /** Replication info stored as AUX fields (rdbPopulateSaveInfo). */
  repl?: { streamDb: number; id: string; offset: number };
  /** The RDB is the base of an AOF (aof-base AUX). */
  aofBase?: boolean;
  /** What started it, for logs and INFO ("bgsave", "replication", "aof-rewrite"). */
  purpose: string;
  /**
   * The databases to walk: the server's unless given (the start-up warm-up walks its own; a
   * replica that filtered the keys out gets none).
   */
  dbs?: Db[];
  /** The function libraries go first (rdbSaveFunctions) unless false (rdb-filter-only). */
  functions?: boolean;
  /** rdb-key-save-delay (Redis's test hook) paces the walk; the warm-up is not a save, so false. */
  keySaveDelay?: boolean;
}

/**
 * Time budget of one walk slice: small enough that a client's command waits at most this long.
 * When commands were served since the previous slice, a client is likely to send its next one
 * right after its reply (which the slice has just flushed), so the slice is shorter: as long as
 * the event-loop turn in between took (a fair share of the CPU under load, as a forked child
 * would get), at least SLICE_BUDGET_ACTIVE_MS. A lone client's next command then waits a fraction
 * of a millisecond instead of a whole slice, every time, while many clients' turns do not starve
 * the walk.
 */
const SLICE_BUDGET_MS = 1;
const SLICE_BUDGET_ACTIVE_MS = 0.25;
/**
 * With rdb-key-save-delay, the walk sleeps between slices instead of per key (a timer per key
 * would be ~1 ms each): a slice writes the keys whose delay has accrued since the previous one.
 */
const DELAY_TICK_MS = 5;
/**
 * The walk hands its output to the sinks in pieces of about this size (one RdbWriter chunk), and
 * the first this many bytes slice by slice: a replica loads while it receives, and sits idle until
 * its first bytes come. In a fresh master (a cold walk of bench/replication.mjs's 100k-key mix)
 * they came 17-42 ms after the start with 128 KB pieces, 16-26 ms with 64 KB, 2-4 ms slice by slice.
 */
const SINK_WRITE_BYTES = 64 * 1024;
/** Pause the walk while any sink has this much unconsumed output. */
const SINK_BACKLOG_LIMIT = 32 * 1024 * 1024;

interface CapturedEntry {
  key: string;
  value: RdbValue;
  expireAt: number;
  lru: number;
}

interface DbWalk {
  db: Db;
  size: number;
  expires: number;
  /** Slots at or beyond this were appended after the start. */
  slotEnd: number;
  /** Pre-images captured before this database's section began. */
  captured: CapturedEntry[];
  /**
   * Every entry this database held at the start has been written or captured (it was flushed
   * or swapped): whatever the Db object holds now is newer than the snapshot.
   */
  closed: boolean;
}

export class Snapshot implements KeyspaceObserver {
  readonly server: Server;
  readonly options: SnapshotOptions;
  readonly startedAt = Date.now();
  /** Microseconds the synchronous start took (INFO latest_fork_usec). */
  readonly startMicros: number;
  private readonly sinks = new Set<SnapshotSink>();
  private readonly dbs: Db[];
  private readonly writer: RdbWriter;
  private readonly walks: DbWalk[] = [];
  /** Index in `walks` of the database being written, and the next slot to visit there. */
  private current = 0;
  private cursor = 0;
  private sectionOpen = false;
  private readonly createdAfterStart = new WeakSet<Entry>();
  private readonly alreadyWritten = new WeakSet<Entry>();
  /** Either set above ever received an entry (until then the walk skips their lookups). */
  private marked = false;
  /** Hands the writer each walked value without copying it (the writer encodes it at once). */
  private readonly source = new RdbValueSource();
  private readonly meta: EntryMeta;
  private done = false;
  /** rdb-key-save-delay bookkeeping: when the delayed walk last ran (performance.now()). */
  private lastDelayedRun = 0;
  private scheduled = false;
  /** Bytes given to the sinks so far. */
  private bytesHanded = 0;
  /** The current slice's time budget, and server.stats.totalCommandsProcessed at its start. */
  private budgetMs = SLICE_BUDGET_MS;
  private commandsSeen = 0;
  /** When the previous slice ended (performance.now()). */
  private lastSliceEnd = 0;
  keysWritten = 0;
  readonly keysTotal: number;
  private readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private rejectFinished!: (err: Error) => void;

  constructor(server: Server, options: SnapshotOptions, sinks: SnapshotSink[]) {
    const t0 = performance.now();
    this.server = server;
    this.options = options;
    this.dbs = options.dbs ?? server.dbs;
    for (const s of sinks) this.sinks.add(s);
    this.meta = new EntryMeta(server);
    this.writer = new RdbWriter(rdbWriterOptions(server.config));
    this.finished = new Promise((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    this.finished.catch(() => {});
    let total = 0;
    for (const db of this.dbs) {
      if (db.observer !== null) throw new Error("a snapshot is already running");
      if (db.size === 0) continue;
      this.walks.push({
        db,
        size: db.size,
        expires: db.expiresCount,
        slotEnd: db.slotCount,
        captured: [],
        closed: false,
      });
      total += db.size;
    }
    this.keysTotal = total;
    for (const db of this.dbs) db.observer = this;
    this.writer.header({
      redisVer: REDIS_VERSION,
      ctime: Math.floor(Date.now() / 1000),
      usedMem: server.memory.used(),
      repl: options.repl,
      aofBase: options.aofBase ?? false,
    });
    // rdbSaveFunctions: the libraries at this instant, before the databases (codes are immutable).
    if (options.functions ?? true) {
      for (const code of libraryCodes(server)) this.writer.functionLibrary(code);
    }
    this.flushOutput();
    this.startMicros = Math.round((performance.now() - t0) * 1000);
    this.schedule();
  }

  /** Resolves when every key was written and the sinks were ended; rejects if aborted. */
  get whenDone(): Promise<void> {
    return this.finished;
  }

  get inProgress(): boolean {
    return !this.done;
  }

  addSink(sink: SnapshotSink): void {
    this.sinks.add(sink);
  }

  /** Detaches a sink (e.g. a replica that disconnected); the snapshot stops when none is left. */
  removeSink(sink: SnapshotSink): void {
    this.sinks.delete(sink);
    if (this.sinks.size === 0 && !this.done) this.abort(new Error("no consumer left"));
  }

  // ---- KeyspaceObserver ----------------------------------------------------------------------

  keyAdded(_db: Db, entry: Entry): void {
    this.createdAfterStart.add(entry);
    this.marked = true;
  }

  beforeKeyWrite(db: Db, entry: Entry): void {
    if (this.done || this.isMarked(entry)) return;
    const index = this.walkIndexOf(db);
    // Empty at start, already written, or flushed/swapped: nothing in it is ours to save.
    if (index < 0 || index < this.current) return;
    const walk = this.walks[index];
    if (walk.closed) return;
    try {
      this.capture(index, walk, entry);
    } catch (err) {
      // A value the writer refuses must not fail the user's command: the snapshot fails instead.
      this.abort(err as Error);
    }
  }

  /** Saves the pre-image of an entry the walk has not reached (written now, or kept as a copy). */
  private capture(index: number, walk: DbWalk, entry: Entry): void {
    if (index === this.current && this.sectionOpen) {
      if (entry.slot < this.cursor) return;
      // Written ahead of the walk: mark it so the walk skips it when it gets there.
      this.alreadyWritten.add(entry);
      this.marked = true;
      this.writeEntry(entry);
      return;
    }
    this.alreadyWritten.add(entry);
    this.marked = true;
    walk.captured.push({
      key: entry.key,
      value: toRdbValue(entry.value),
      expireAt: entry.expireAt,
      lru: entry.lru,
    });
  }

  beforeDbFlush(db: Db): void {
    if (this.done) return;
    const index = this.walkIndexOf(db);
    if (index < 0 || index < this.current) return;
    const walk = this.walks[index];
    if (walk.closed) return;
    const open = index === this.current && this.sectionOpen;
    try {
      for (let slot = open ? this.cursor : 0; slot < walk.slotEnd; slot++) {
        const entry = db.entryAt(slot);
        if (!entry || this.isMarked(entry)) continue;
        this.capture(index, walk, entry);
      }
    } catch (err) {
      this.abort(err as Error);
      return;
    }
    // Everything left is written or captured: nothing of this db remains to walk.
    walk.closed = true;
    if (open) this.cursor = walk.slotEnd;
    else walk.slotEnd = 0;
  }

  /** Created after the start, or already written/captured ahead of the walk. */
  private isMarked(entry: Entry): boolean {
    if (!this.marked) return false;
    return this.createdAfterStart.has(entry) || this.alreadyWritten.has(entry);
  }

  private walkIndexOf(db: Db): number {
    const walks = this.walks;
    for (let i = 0; i < walks.length; i++) if (walks[i].db === db) return i;
    return -1;
  }

  // ---- The walk ------------------------------------------------------------------------------

  /**
   * Serializes an entry now. The walk does not mark what it writes: a later write to such an
   * entry is recognized by its slot (behind the cursor), its database (already written), or its
   * database's walk being closed (when SWAPDB moved it elsewhere).
   */
  private writeEntry(entry: Entry): void {
    this.writer.entry(entry.key, this.source.of(entry.value), entry.expireAt, this.meta.options(entry.lru));
    this.keysWritten++;
  }

  private schedule(delayMs = 0): void {
    if (this.scheduled || this.done) return;
    this.scheduled = true;
    if (delayMs > 0) setTimeout(this.runSlice, delayMs);
    else setImmediate(this.runSlice);
  }

  /**
   * Slices run in the check phase (setImmediate), one per event-loop turn: the pending immediate
   * makes the poll phase in between non-blocking, so socket input is read between any two slices
   * and nothing idles when no client is waiting. A slice first flushes the replies of the commands
   * served since the previous one (the server's beforeSleep, which would otherwise run after the
   * slice when queued behind it), so a client's command waits at most for the rest of one slice.
   */
  private readonly runSlice = (): void => {
    this.scheduled = false;
    this.server.flushBeforeSleep();
    const served = this.server.stats.totalCommandsProcessed;
    const now = performance.now();
    this.budgetMs =
      served === this.commandsSeen
        ? SLICE_BUDGET_MS
        : Math.min(SLICE_BUDGET_MS, Math.max(SLICE_BUDGET_ACTIVE_MS, now - this.lastSliceEnd));
    this.commandsSeen = served;
    this.slice();
    this.lastSliceEnd = performance.now();
  };

  private sinksBehind(): boolean {
    for (const s of this.sinks) if (s.backlogBytes() > SINK_BACKLOG_LIMIT) return true;
    return false;
  }

  /**
   * How many keys this slice may write: unbounded (time-boxed) normally; with rdb-key-save-delay
   * (microseconds per key, Redis's test hook) the keys whose delay accrued since the last slice.
   */
  private keyAllowance(): number {
    const delayMicros =
      this.options.keySaveDelay === false ? 0 : this.server.config.num("rdb-key-save-delay");
    if (delayMicros <= 0) {
      this.lastDelayedRun = 0;
      return Number.POSITIVE_INFINITY;
    }
    const now = performance.now();
    if (this.lastDelayedRun === 0) this.lastDelayedRun = now;
    const allowed = Math.floor(((now - this.lastDelayedRun) * 1000) / delayMicros);
    if (allowed > 0) this.lastDelayedRun += (allowed * delayMicros) / 1000;
    return allowed;
  }

  /** One time-bounded piece of the walk. */
  private slice(): void {
    if (this.done) return;
    if (this.sinksBehind()) {
      this.schedule(5);
      return;
    }
    let allowance = this.keyAllowance();
    if (allowance === 0) {
      this.schedule(DELAY_TICK_MS);
      return;
    }
    const start = performance.now();
    let keysThisSlice = 0;
    try {
      while (this.current < this.walks.length) {
        const walk = this.walks[this.current];
        if (!this.sectionOpen) {
          this.writer.selectDb(walk.db.id, walk.size, walk.expires);
          for (const c of walk.captured) {
            this.writer.entry(c.key, c.value, c.expireAt, this.meta.options(c.lru));
            this.keysWritten++;
          }
          walk.captured = [];
          this.sectionOpen = true;
          this.cursor = 0;
        }
        const db = walk.db;
        while (this.cursor < walk.slotEnd) {
          const entry = db.entryAt(this.cursor++);
          if (!entry || this.isMarked(entry)) continue;
          this.writeEntry(entry);
          keysThisSlice++;
          if (--allowance === 0) {
            this.flushOutput();
            this.schedule(DELAY_TICK_MS);
            return;
          }
          if ((keysThisSlice & 15) === 0 && performance.now() - start > this.budgetMs) {
            // Short slices would otherwise hand the sinks a small write each (a file write on
            // the thread pool, a socket write): batch them, except for the first bytes, which
            // a replica waits for to start loading.
            if (this.bytesHanded < SINK_WRITE_BYTES || this.writer.pendingBytes >= SINK_WRITE_BYTES)
              this.flushOutput();
            this.schedule();
            return;
          }
        }
        this.current++;
        this.sectionOpen = false;
      }
      this.writer.end();
      this.flushOutput();
    } catch (err) {
      this.abort(err as Error);
      return;
    }
    this.finish();
  }

  private flushOutput(): void {
    const chunks = this.writer.take();
    if (chunks.length === 0) return;
    for (let i = 0; i < chunks.length; i++) this.bytesHanded += chunks[i].length;
    for (const s of this.sinks) s.write(chunks);
  }

  private detach(): void {
    this.done = true;
    for (const db of this.dbs) if (db.observer === this) db.observer = null;
  }

  private finish(): void {
    // A sink failing during the last flush may have aborted the snapshot already.
    if (this.done) return;
    this.detach();
    for (const s of this.sinks) s.end();
    this.resolveFinished();
  }

  /** Stops the snapshot; every sink is told it failed. */
  abort(err: Error): void {
    if (this.done) return;
    this.detach();
    for (const s of this.sinks) s.fail(err);
    this.sinks.clear();
    this.rejectFinished(err);
  }
}
