/**
 * Receiving a full sync's RDB on a replica (readSyncBulkPayload). The master sends, after
 * optional `\n` keepalives, either `$<len>\r\n` and exactly len bytes (from its disk), or
 * `$EOF:<40 chars>\r\n`, the RDB, and the same 40 chars (diskless: the length is not known).
 *
 * The RDB is always parsed as it arrives into fresh databases (RdbKeyspaceLoader), which replace
 * the current ones only once the whole RDB was read and its checksum verified (commitInto): a
 * broken transfer leaves the previous data in place, and the replica keeps serving it during the
 * transfer. repl-diskless-load decides the rest, as useDisklessLoad does in Redis:
 * - disabled (or on-empty-db with data): the bytes also go to `temp-<unixtime>.<pid>.rdb`, which
 *   becomes `dbfilename` once loaded, so the replica restarts from it (and can PSYNC from the
 *   replication id and offset in it);
 * - swapdb: nothing is written to disk;
 * - on-empty-db with no data: nothing is written to disk, and clients get -LOADING meanwhile.
 *
 * Parsing while receiving (rather than Redis's "save, then load" for `disabled`) costs no more
 * memory here, since the old data is kept until the swap anyway, and overlaps the replica's load
 * with the master's snapshot.
 *
 * Bytes after the payload (a disk-based master sends its stream right after the file) are kept
 * and applied once the master client exists.
 */

import { closeSync, fsyncSync, ftruncateSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fsyncDir } from "../config/rewrite.js";
import { safeUnlink } from "../persistence/atomic-file.js";
import { RdbKeyspaceLoader } from "../persistence/rdb-load.js";
import type { ReplicaSide } from "./replica-side.js";

const MARK_LEN = 40;

export class Transfer {
  private readonly side: ReplicaSide;
  private headerDone = false;
  private header: Buffer = Buffer.alloc(0);
  usemark = false;
  private mark: Buffer | null = null;
  /** repl_transfer_size (-1 with an EOF mark) and repl_transfer_read. */
  size = -1;
  read = 0;
  /** True when nothing is written to disk (swapdb, or on-empty-db on an empty replica). */
  readonly diskless: boolean;
  private tmpPath: string | null = null;
  private fd: number | null = null;
  private loader: RdbKeyspaceLoader | null = null;
  /** Bytes of the RDB itself (the payload minus an EOF mark), known once the loader ended. */
  private rdbBytes = 0;
  /** What followed the RDB's EOF opcode and checksum: the mark, then possibly stream bytes. */
  private afterRdb: Buffer[] = [];
  private afterRdbLen = 0;
  /** Stream bytes that followed the payload. */
  private leftover: Buffer[] = [];
  private finished = false;
  private aborted = false;

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
    if (this.aborted) return;
    if (this.finished) {
      this.leftover.push(chunk);
      return;
    }
    if (!this.headerDone) {
      this.header = this.header.length === 0 ? chunk : Buffer.concat([this.header, chunk]);
      const rest = this.readHeader();
      if (rest === null || rest.length === 0) return;
      chunk = rest;
    }
    this.onPayload(chunk);
  }

  /** Reads the `$...` line (skipping keepalive newlines); returns the bytes after it, or null. */
  private readHeader(): Buffer | null {
    const logger = this.side.server.logger;
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
      return this.aborted ? null : rest;
    }
  }

  private begin(): void {
    const server = this.side.server;
    this.loader = new RdbKeyspaceLoader(server, { dropExpired: false });
    if (this.diskless) {
      // on-empty-db loads "for real" (clients wait); swapdb keeps serving the old data.
      if (server.config.str("repl-diskless-load") === "on-empty-db") server.loading = true;
      return;
    }
    this.tmpPath = resolve(`temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`);
    try {
      this.fd = openSync(this.tmpPath, "w", 0o644);
    } catch (err) {
      server.logger.warning(
        `Opening the temp file needed for MASTER <-> REPLICA synchronization: ${(err as Error).message}`,
      );
      this.tmpPath = null;
      this.fail(false);
    }
  }

  /** Payload bytes: to the file (disk mode) and the loader; the end is spotted either way. */
  private onPayload(chunk: Buffer): void {
    let data = chunk;
    if (!this.usemark) {
      const left = this.size - this.read;
      if (chunk.length > left) {
        this.leftover.push(chunk.subarray(left));
        data = chunk.subarray(0, left);
      }
    }
    this.read += data.length;
    if (this.fd !== null) {
      try {
        let off = 0;
        while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
      } catch (err) {
        this.side.server.logger.warning(`Write error saving the DB on disk: ${(err as Error).message}`);
        this.fail(true);
        return;
      }
    }
    const loader = this.loader!;
    if (!loader.done) {
      try {
        loader.feed(data);
      } catch (err) {
        this.side.server.logger.warning(
          { error: (err as Error).message },
          "Failed trying to load the MASTER synchronization DB, check server logs.",
        );
        this.fail(true);
        return;
      }
      if (loader.done) {
        const rest = loader.rest();
        this.rdbBytes = loader.bytesFed - rest.length;
        if (rest.length > 0) {
          this.afterRdb.push(rest);
          this.afterRdbLen += rest.length;
        }
      }
    } else if (data.length > 0) {
      this.afterRdb.push(data);
      this.afterRdbLen += data.length;
    }
    if (!this.usemark) {
      if (this.read < this.size) return;
      // $len form: the RDB must end exactly at len (extra bytes were split off as stream).
      if (!loader.done || this.afterRdbLen !== 0) {
        this.side.server.logger.warning(
          "Failed trying to load the MASTER synchronization DB: the RDB does not end with the transfer",
        );
        this.fail(true);
        return;
      }
      this.complete();
      return;
    }
    if (!loader.done || this.afterRdbLen < MARK_LEN) return;
    const after = Buffer.concat(this.afterRdb);
    if (!after.subarray(0, MARK_LEN).equals(this.mark!)) {
      this.side.server.logger.warning("Replication stream EOF marker is broken");
      this.fail(true);
      return;
    }
    if (after.length > MARK_LEN) this.leftover.push(after.subarray(MARK_LEN));
    this.complete();
  }

  /** The RDB is loaded and verified: keep the file, swap the data in, attach to the master. */
  private complete(): void {
    const side = this.side;
    const server = side.server;
    const loader = this.loader!;
    this.finished = true;
    const socket = side.transferSocket;
    if (socket === null || socket.destroyed) {
      this.fail(true);
      return;
    }
    if (this.fd !== null && !this.closeFile()) return;
    server.loading = false;
    // replicationAttachToNewMaster: our replicas and backlog belong to the old history.
    side.repl.master.disconnectReplicas();
    side.repl.state.freeBacklog();
    server.logger.notice("MASTER <-> REPLICA sync: Flushing old data");
    loader.commitInto(server);
    server.logger.notice(
      `Done loading RDB, keys loaded: ${loader.keysLoaded}, keys expired: ${loader.keysExpired}.`,
    );
    const streamDb = Number(loader.aux.get("repl-stream-db") ?? "0");
    const dbId = Number.isInteger(streamDb) && streamDb >= 0 && streamDb < server.dbs.length ? streamDb : 0;
    this.loader = null;
    side.onFullSyncDone(socket, dbId, this.leftover);
  }

  /**
   * Disk mode: the file is cut to the RDB (without the EOF mark), fsynced, and becomes
   * `dbfilename`, or is removed with rdb-del-sync-files and no persistence. False on an I/O error
   * (the transfer failed).
   */
  private closeFile(): boolean {
    const server = this.side.server;
    const config = server.config;
    const fd = this.fd!;
    const tmp = this.tmpPath!;
    this.fd = null;
    this.tmpPath = null;
    try {
      if (this.usemark) ftruncateSync(fd, this.rdbBytes);
      fsyncSync(fd);
      closeSync(fd);
    } catch (err) {
      server.logger.warning(`Failed trying to sync the temp DB to disk: ${(err as Error).message}`);
      safeUnlink(tmp);
      this.fail(true);
      return false;
    }
    const persistence = config.savePoints().length > 0 || config.bool("appendonly");
    if (config.bool("rdb-del-sync-files") && !persistence) {
      server.logger.notice(
        "Removing the RDB file obtained from the master. This replica has persistence disabled",
      );
      safeUnlink(tmp);
      return true;
    }
    const target = resolve(config.str("dbfilename"));
    try {
      renameSync(tmp, target);
      fsyncDir(dirname(target));
    } catch (err) {
      server.logger.warning(
        `Failed trying to rename the temp DB into ${config.str("dbfilename")} in MASTER <-> REPLICA synchronization: ${(err as Error).message}`,
      );
      safeUnlink(tmp);
    }
    return true;
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

  /** replicationAbortSyncTransfer: drop the temp file and the half-built databases. */
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
    this.side.server.loading = false;
  }

  /** INFO master_sync_last_io_seconds_ago. */
  get lastIoSecondsAgo(): number {
    return Math.floor((Date.now() - this.side.lastIo) / 1000);
  }
}
