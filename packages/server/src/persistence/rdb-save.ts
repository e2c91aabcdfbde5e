/**
 * Writing RDB files (rdb.c rdbSave / rdbSaveRio): the synchronous save used by SAVE, SHUTDOWN,
 * FLUSHALL and DEBUG RELOAD, the file sink a background snapshot (BGSAVE) streams into, and the
 * writer settings every RDB producer shares (snapshots, DUMP, AOF rewrite bases).
 *
 * Invariant: dump.rdb is only ever replaced by rename of a complete, fsynced temporary file in the
 * same directory (then the directory is fsynced), so a crash or an I/O error at any moment leaves
 * the previous file intact. A failed save removes its temporary file.
 */

import { writevSync } from "node:fs";
import type { RdbEncodingOptions, RdbEntryOptions, RdbWriterOptions } from "@keyhaven/protocol";
import { RdbWriter } from "@keyhaven/protocol";
import type { Config } from "../config/config.js";
import { lfuDecayedCounter, lruIdleSeconds } from "../keyspace/lru.js";
import { libraryCodes } from "../scripting/functions.js";
import type { Server } from "../server.js";
import { REDIS_VERSION } from "../version.js";
import { AtomicFileWriter, writeFileAtomicWith } from "./atomic-file.js";
import { RdbValueSource } from "./rdb-source.js";
import type { SnapshotSink } from "./snapshot.js";

/** The encoding thresholds Redis would have used for values built under this config. */
export function rdbEncodingOptions(config: Config): RdbEncodingOptions {
  return {
    compression: config.bool("rdbcompression"),
    listMaxListpackSize: config.num("list-max-listpack-size"),
    setMaxIntsetEntries: config.num("set-max-intset-entries"),
    zsetMaxListpackEntries: config.num("zset-max-listpack-entries"),
    zsetMaxListpackValue: config.num("zset-max-listpack-value"),
    hashMaxListpackEntries: config.num("hash-max-listpack-entries"),
    hashMaxListpackValue: config.num("hash-max-listpack-value"),
  };
}

export function rdbWriterOptions(config: Config): RdbWriterOptions {
  return { ...rdbEncodingOptions(config), checksum: config.bool("rdbchecksum") };
}

/**
 * The IDLE / FREQ opcodes of a key (rdbSaveKeyValuePair): written only under an LRU or LFU
 * maxmemory policy, as Redis does. One instance per save; `options` reuses one object.
 */
export class EntryMeta {
  private readonly saveLru: boolean;
  private readonly saveLfu: boolean;
  private readonly server: Server;
  private readonly scratch: RdbEntryOptions = {};

  constructor(server: Server) {
    const policy = server.config.str("maxmemory-policy");
    this.server = server;
    this.saveLru = policy.endsWith("-lru");
    this.saveLfu = policy.endsWith("-lfu");
  }

  options(lru: number): RdbEntryOptions | undefined {
    if (this.saveLru) {
      this.scratch.lruIdleSeconds = lruIdleSeconds(lru);
      return this.scratch;
    }
    if (this.saveLfu) {
      this.scratch.lfuFreq = lfuDecayedCounter(lru, this.server.lfuSettings);
      return this.scratch;
    }
    return undefined;
  }
}

/** Replication info stored in AUX fields (rdbPopulateSaveInfo); the replication subsystem sets it. */
export type ReplSaveInfo = { streamDb: number; id: string; offset: number } | undefined;

/** Bytes buffered before a synchronous save hands them to the kernel. */
const SYNC_WRITE_THRESHOLD = 1 << 20;

/** What a completed save wrote. */
export interface SaveResult {
  keys: number;
  bytes: number;
}

/**
 * rdbSave: serializes every database into `path` synchronously (the event loop is blocked, as
 * Redis's SAVE blocks). Throws the I/O error on failure, after removing the temporary file; the
 * previous `path` is then untouched. Does not touch server.dirty / lastSaveTime: callers do.
 */
export function rdbSaveSync(server: Server, path: string, repl?: ReplSaveInfo): SaveResult {
  return writeFileAtomicWith(path, "save", (fd) => {
    let keys = 0;
    let bytes = 0;
    const writer = new RdbWriter(rdbWriterOptions(server.config));
    const meta = new EntryMeta(server);
    // The writer encodes each entry before the next call: values are lent, not copied.
    const source = new RdbValueSource();
    writer.header({
      redisVer: REDIS_VERSION,
      ctime: Math.floor(Date.now() / 1000),
      usedMem: server.memory.used(),
      repl,
      aofBase: false,
    });
    // rdbSaveFunctions: the libraries go before the databases.
    for (const code of libraryCodes(server)) writer.functionLibrary(code);
    const flush = (): void => {
      const chunks = writer.take();
      if (chunks.length === 0) return;
      bytes += writeAllSync(fd, chunks);
    };
    for (const db of server.dbs) {
      if (db.size === 0) continue;
      writer.selectDb(db.id, db.size, db.expiresCount);
      for (const entry of db.entries()) {
        writer.entry(entry.key, source.of(entry.value), entry.expireAt, meta.options(entry.lru));
        keys++;
        if ((keys & 1023) === 0 && writer.pendingBytes >= SYNC_WRITE_THRESHOLD) flush();
      }
    }
    writer.end();
    flush();
    return { keys, bytes };
  });
}

/** writev until every byte of `chunks` is written; returns the byte count. */
function writeAllSync(fd: number, chunks: Buffer[]): number {
  let total = 0;
  for (const c of chunks) total += c.length;
  let written = writevSync(fd, chunks);
  if (written === total) return total;
  // A short write (rare on files): finish chunk by chunk from where it stopped.
  let skip = written;
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    let off = skip;
    skip = 0;
    while (off < c.length) {
      const n = writevSync(fd, [c.subarray(off)]);
      off += n;
      written += n;
    }
  }
  return total;
}

/**
 * The BGSAVE consumer of a snapshot: streams the RDB into a temporary file and renames it over
 * `path` when the snapshot ends (backgroundSaveDoneHandlerDisk's success path). `done` settles
 * once the file is committed (or the save failed); `cancel()` is killRDBChild: the temporary
 * file is removed and the target is left alone.
 */
export class RdbFileSink implements SnapshotSink {
  readonly path: string;
  private readonly file: AtomicFileWriter;
  private settled = false;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;
  readonly done: Promise<void>;
  /** Called when the file reports a write error, so the owner can detach this sink early. */
  onWriteError: ((err: Error) => void) | null = null;

  constructor(path: string) {
    this.path = path;
    this.file = new AtomicFileWriter(path, "bgsave");
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  get bytesWritten(): number {
    return this.file.bytesWritten;
  }

  get tempPath(): string {
    return this.file.tempPath;
  }

  write(chunks: Buffer[]): void {
    if (this.settled) return;
    const err = this.file.error;
    if (err !== null) {
      this.onWriteError?.(err);
      return;
    }
    this.file.write(chunks);
  }

  end(): void {
    if (this.settled) return;
    this.settled = true;
    this.file.commit().then(this.resolveDone, this.rejectDone);
  }

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    void this.file.abort().then(() => this.rejectDone(err));
  }

  backlogBytes(): number {
    return this.file.pendingBytes;
  }
}
