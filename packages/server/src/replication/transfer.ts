/**
 * Receiving a full sync's RDB on a replica (readSyncBulkPayload). The master sends, after
 * optional `\n` keepalives, either `$<len>\r\n` and exactly len bytes (from its disk), or
 * `$EOF:<40 chars>\r\n`, the RDB, and the same 40 chars (diskless: the length is not known).
 *
 * Where the bytes go depends on repl-diskless-load (useDisklessLoad):
 * - disabled, or on-empty-db with data: into a temp file `temp-<unixtime>.<pid>.rdb`, loaded once
 *   complete (clients get -LOADING meanwhile), then renamed to `dbfilename` as Redis does;
 * - swapdb, or on-empty-db with no data: parsed as it arrives into fresh databases, while the
 *   current data keeps being served (swapdb) or -LOADING is answered (on-empty-db).
 * Either way the new data replaces the old only once the whole RDB was read and verified
 * (RdbKeyspaceLoader + commitInto): a broken transfer leaves the previous data in place.
 *
 * Bytes after the payload (a disk-based master sends its stream right after the file) are kept
 * and applied once the master client exists.
 */

import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { fsyncDir } from "../config/rewrite.js";
import { safeUnlink } from "../persistence/atomic-file.js";
import { RdbKeyspaceLoader } from "../persistence/rdb-load.js";
import type { ReplicaSide } from "./replica-side.js";

const MARK_LEN = 40;
/** Bytes parsed per event-loop turn when loading the received file (bounds client latency). */
const LOAD_SLICE = 256 * 1024;

export class Transfer {
  private readonly side: ReplicaSide;
  private headerDone = false;
  private header: Buffer = Buffer.alloc(0);
  usemark = false;
  private mark: Buffer | null = null;
  /** repl_transfer_size (-1 with an EOF mark) and repl_transfer_read. */
  size = -1;
  read = 0;
  readonly diskless: boolean;
  /** Disk mode: the temp file and the last bytes written (to spot the EOF mark). */
  private tmpPath: string | null = null;
  private fd: number | null = null;
  private tail: Buffer = Buffer.alloc(0);
  /** Diskless mode: the loader, and what followed the RDB's EOF opcode. */
  private loader: RdbKeyspaceLoader | null = null;
  private afterRdb: Buffer[] = [];
  private afterRdbLen = 0;
  /** Stream bytes that followed the payload. */
  private leftover: Buffer[] = [];
  private finished = false;
  private aborted = false;
  /** Set while the received file is being loaded. */
  private loadingFile = false;

  constructor(side: ReplicaSide) {
    this.side = side;
    const server = side.server;
    const mode = server.config.str("repl-diskless-load");
    let keys = 0;
    for (const db of server.dbs) keys += db.size;
    this.diskless = mode === "swapdb" || (mode === "on-empty-db" && keys === 0);
  }

  /** Bytes from the master while in transfer state. */
  onData(chunk: Buffer): void {
    if (this.finished || this.aborted) {
      if (this.finished) this.leftover.push(chunk);
      return;
    }
    if (!this.headerDone) {
      this.header = this.header.length === 0 ? chunk : Buffer.concat([this.header, chunk]);
      const rest = this.readHeader();
      if (rest === null) return;
      chunk = rest;
      if (chunk.length === 0) return;
    }
    if (this.diskless) this.feedLoader(chunk);
    else this.writeFile(chunk);
  }

  /** Reads the `$...` line (skipping keepalive newlines); returns the bytes after it, or null. */
  private readHeader(): Buffer | null {
    const side = this.side;
    const logger = side.server.logger;
    for (;;) {
      const nl = this.header.indexOf(10);
      if (nl === -1) return null;
      const end = nl > 0 && this.header[nl - 1] === 13 ? nl - 1 : nl;
      const line = this.header.toString("latin1", 0, end);
      const rest = this.header.subarray(nl + 1);
      this.header = rest;
      if (line === "") continue;
      if (line.startsWith("-")) {
        logger.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
        this.fail(false);
        return null;
      }
      if (line[0] !== "$") {
        logger.warning(
          `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`,
        );
        this.fail(false);
        return null;
      }
      const target = this.diskless ? "to parser" : "to disk";
      if (line.startsWith("$EOF:") && line.length === 5 + MARK_LEN) {
        this.usemark = true;
        this.mark = Buffer.from(line.slice(5), "latin1");
        logger.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${target}`);
      } else {
        this.size = Number(line.slice(1));
        if (!Number.isSafeInteger(this.size) || this.size < 0) {
          logger.warning(`Bad protocol from MASTER, invalid bulk length '${line}'`);
          this.fail(false);
          return null;
        }
        logger.notice(`MASTER <-> REPLICA sync: receiving ${this.size} bytes from master ${target}`);
      }
      this.headerDone = true;
      this.header = Buffer.alloc(0);
      this.begin();
      return rest;
    }
  }

  private begin(): void {
    const server = this.side.server;
    if (this.diskless) {
      this.loader = new RdbKeyspaceLoader(server, { dropExpired: false });
      // on-empty-db loads "for real" (clients wait); swapdb keeps serving the old data.
      if (server.config.str("repl-diskless-load") === "on-empty-db") server.loading = true;
      return;
    }
    this.tmpPath = resolve(`temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`);
    this.fd = openSync(this.tmpPath, "w", 0o644);
  }

  /** The payload part of `chunk` (the rest, if any, is stream data for later). */
  private takePayload(chunk: Buffer): Buffer {
    if (this.usemark) return chunk;
    const left = this.size - this.read;
    if (chunk.length <= left) return chunk;
    this.leftover.push(chunk.subarray(left));
    return chunk.subarray(0, left);
  }

  private writeFile(chunk: Buffer): void {
    const data = this.takePayload(chunk);
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd!, data, off, data.length - off);
    } catch (err) {
      this.side.server.logger.warning(`Write error saving the DB on disk: ${(err as Error).message}`);
      this.fail(true);
      return;
    }
    this.read += data.length;
    if (this.usemark) {
      // The mark is the last thing the master sends before waiting for our ACK.
      this.tail = Buffer.concat([this.tail, data.subarray(Math.max(0, data.length - MARK_LEN))]);
      if (this.tail.length > MARK_LEN) this.tail = this.tail.subarray(this.tail.length - MARK_LEN);
      if (this.tail.length === MARK_LEN && this.tail.equals(this.mark!)) {
        ftruncateSync(this.fd!, this.read - MARK_LEN);
        this.read -= MARK_LEN;
        this.fileComplete();
      }
    } else if (this.read === this.size) {
      this.fileComplete();
    }
  }

  /** The whole file is on disk: fsync it, then load it in slices. */
  private fileComplete(): void {
    const side = this.side;
    const server = side.server;
    this.finished = true;
    fsyncSync(this.fd!);
    closeSync(this.fd!);
    this.fd = null;
    side.transferSocket?.pause();
    server.loading = true;
    server.logger.notice("MASTER <-> REPLICA sync: Loading DB in memory");
    const loader = new RdbKeyspaceLoader(server, { dropExpired: false });
    this.loader = loader;
    this.loadingFile = true;
    const fd = openSync(this.tmpPath!, "r");
    const step = () => {
      if (this.aborted) {
        closeSync(fd);
        return;
      }
      try {
        const buf = Buffer.allocUnsafe(LOAD_SLICE);
        const n = readSync(fd, buf, 0, LOAD_SLICE, null);
        side.lastIo = Date.now();
        if (n > 0) {
          loader.feed(n === LOAD_SLICE ? buf : buf.subarray(0, n));
          if (!loader.done) {
            setImmediate(step);
            return;
          }
        }
        closeSync(fd);
        loader.finish();
      } catch (err) {
        closeSync(fd);
        this.loadingFile = false;
        server.loading = false;
        server.logger.warning(
          { error: (err as Error).message },
          "Failed trying to load the MASTER synchronization DB from disk, check server logs.",
        );
        this.fail(true);
        return;
      }
      this.loadingFile = false;
      this.complete(loader);
      if (!this.aborted) this.keepFile();
    };
    setImmediate(step);
  }

  /** The received file becomes our RDB (or is removed with rdb-del-sync-files and no persistence). */
  private keepFile(): void {
    const config = this.side.server.config;
    const tmp = this.tmpPath!;
    this.tmpPath = null;
    const persistence = config.savePoints().length > 0 || config.bool("appendonly");
    if (config.bool("rdb-del-sync-files") && !persistence) {
      this.side.server.logger.notice(
        "Removing the RDB file obtained from the master. This replica has persistence disabled",
      );
      safeUnlink(tmp);
      return;
    }
    try {
      const target = resolve(config.str("dbfilename"));
      renameSync(tmp, target);
      fsyncDir(resolve(target, ".."));
    } catch (err) {
      this.side.server.logger.warning(
        `Failed trying to rename the temp DB into ${config.str("dbfilename")} in MASTER <-> REPLICA synchronization: ${(err as Error).message}`,
      );
      safeUnlink(tmp);
    }
  }

  private feedLoader(chunk: Buffer): void {
    const loader = this.loader!;
    const data = this.takePayload(chunk);
    this.read += data.length;
    if (!loader.done) {
      try {
        loader.feed(data);
      } catch (err) {
        this.side.server.logger.warning(
          { error: (err as Error).message },
          "Failed trying to load the MASTER synchronization DB from socket, check server logs.",
        );
        this.fail(true);
        return;
      }
      if (!loader.done) {
        if (!this.usemark && this.read === this.size) this.loaderTruncated();
        return;
      }
      const rest = loader.rest();
      if (rest.length > 0) {
        this.afterRdb.push(rest);
        this.afterRdbLen += rest.length;
      }
    } else if (data.length > 0) {
      this.afterRdb.push(data);
      this.afterRdbLen += data.length;
    }
    if (!this.usemark) {
      // $len form: the RDB must end exactly at len (extra bytes were split off as stream).
      if (this.read === this.size) {
        if (this.afterRdbLen !== 0) {
          this.side.server.logger.warning("Replication stream has garbage after the RDB payload");
          this.fail(true);
          return;
        }
        this.finished = true;
        this.complete(loader);
      }
      return;
    }
    if (this.afterRdbLen < MARK_LEN) return;
    const after = Buffer.concat(this.afterRdb);
    if (!after.subarray(0, MARK_LEN).equals(this.mark!)) {
      this.side.server.logger.warning("Replication stream EOF marker is broken");
      this.fail(true);
      return;
    }
    if (after.length > MARK_LEN) this.leftover.push(after.subarray(MARK_LEN));
    this.finished = true;
    this.complete(loader);
  }

  private loaderTruncated(): void {
    this.side.server.logger.warning(
      "Failed trying to load the MASTER synchronization DB from socket, check server logs. (truncated RDB)",
    );
    this.fail(true);
  }

  /** The RDB is loaded and verified: swap it in and attach to the master. */
  private complete(loader: RdbKeyspaceLoader): void {
    const side = this.side;
    const server = side.server;
    const socket = side.transferSocket;
    if (socket === null || socket.destroyed) {
      server.loading = false;
      this.fail(true);
      return;
    }
    try {
      loader.finish();
    } catch (err) {
      server.loading = false;
      server.logger.warning({ error: (err as Error).message }, "MASTER <-> REPLICA sync: truncated RDB");
      this.fail(true);
      return;
    }
    // replicationAttachToNewMaster: our replicas and backlog belong to the old history.
    side.repl.master.disconnectReplicas();
    side.repl.state.freeBacklog();
    server.logger.notice("MASTER <-> REPLICA sync: Flushing old data");
    loader.commitInto(server);
    server.loading = false;
    server.logger.notice(
      `Done loading RDB, keys loaded: ${loader.keysLoaded}, keys expired: ${loader.keysExpired}.`,
    );
    const streamDb = Number(loader.aux.get("repl-stream-db") ?? "0");
    const dbId = Number.isInteger(streamDb) && streamDb >= 0 && streamDb < server.dbs.length ? streamDb : 0;
    side.onFullSyncDone(socket, dbId, this.leftover);
  }

  /** Gives up on this transfer; `reconnect` retries at once (cancelReplicationHandshake(1)). */
  private fail(reconnect: boolean): void {
    if (this.aborted) return;
    const side = this.side;
    this.abort();
    side.transfer = null;
    if (reconnect) side.cancelHandshake(true);
    else side.handshakeFailed();
  }

  /** replicationAbortSyncTransfer: drop the temp file or the half-built databases. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // Already closed.
      }
      this.fd = null;
    }
    if (this.tmpPath !== null) {
      safeUnlink(this.tmpPath);
      this.tmpPath = null;
    }
    this.loader = null;
    if (this.loadingFile || this.diskless) this.side.server.loading = false;
  }

  /** INFO master_sync_*: the transfer's progress. */
  get lastIoSecondsAgo(): number {
    return Math.floor((Date.now() - this.side.lastIo) / 1000);
  }
}
