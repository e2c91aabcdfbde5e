/**
 * The replication history of this server (PSYNC2): `replId`, `replId2`, `masterReplOffset`,
 * `secondReplOffset`, and the backlog. Redis keeps these as server.replid, server.replid2,
 * server.master_repl_offset, server.second_replid_offset and server.repl_backlog.
 *
 * Invariants:
 * - `masterReplOffset` only moves through `feed` (bytes that went into the backlog), or is set
 *   when a full sync adopts the master's offset; without a backlog it does not move (Redis:
 *   "we avoid incrementing the master_repl_offset if no backlog exists nor slaves are attached").
 * - `replId2` is valid for offsets up to `secondReplOffset` only (-1: no second history).
 * - The backlog always ends at `masterReplOffset`.
 *
 * The same state is written into RDB aux fields (repl-stream-db, repl-id, repl-offset) so a
 * restarted replica can PSYNC (rdbPopulateSaveInfo / loadDataFromDisk).
 *
 * Callers: master-side.ts (feeding and PSYNC), replica-side.ts (adopting a master's history,
 * promotion), INFO/ROLE, DEBUG CHANGE-REPL-ID.
 */

import { randomBytes } from "node:crypto";
import { ReplBacklog } from "./backlog.js";

export const ZERO_REPL_ID = "0000000000000000000000000000000000000000";

/** A fresh 40-hex-char replication id (changeReplicationId). */
export function newReplId(): string {
  return randomBytes(20).toString("hex");
}

export class ReplState {
  replId = newReplId();
  replId2 = ZERO_REPL_ID;
  masterReplOffset = 0;
  secondReplOffset = -1;
  backlog: ReplBacklog | null = null;
  /** repl-backlog-size, kept so a backlog created later uses the current value. */
  backlogSize: number;

  constructor(backlogSize: number) {
    this.backlogSize = backlogSize;
  }

  /** changeReplicationId: a new history starts here (a new id for the same offsets). */
  changeReplicationId(): void {
    this.replId = newReplId();
  }

  /** clearReplicationId2: forget the previous history. */
  clearReplicationId2(): void {
    this.replId2 = ZERO_REPL_ID;
    this.secondReplOffset = -1;
  }

  /**
   * shiftReplicationId (promotion): the inherited id stays valid as replId2 up to the current
   * offset + 1, so replicas of our old master can PSYNC with us; a new id starts our history.
   */
  shiftReplicationId(): void {
    this.replId2 = this.replId;
    this.secondReplOffset = this.masterReplOffset + 1;
    this.changeReplicationId();
  }

  /** createReplicationBacklog: empty, its first byte will be the next stream byte. */
  createBacklog(): void {
    this.backlog = new ReplBacklog(this.backlogSize, this.masterReplOffset);
  }

  freeBacklog(): void {
    this.backlog = null;
  }

  resizeBacklog(size: number): void {
    this.backlogSize = size;
    this.backlog?.resize(size);
  }

  /** Appends stream bytes to the backlog and advances master_repl_offset. */
  feed(data: Buffer): void {
    this.feedRange(data, 0, data.length);
  }

  /** `feed` for the bytes data[from, to). */
  feedRange(data: Buffer, from: number, to: number): void {
    const backlog = this.backlog;
    if (backlog === null) return;
    backlog.appendRange(data, from, to);
    this.masterReplOffset = backlog.endOffset;
  }

  /**
   * Adopts a new stream position (after a full sync, or from an RDB at start-up): the backlog,
   * if any, restarts empty at that offset.
   */
  setOffset(offset: number): void {
    this.masterReplOffset = offset;
    if (this.backlog !== null) this.createBacklog();
  }

  /**
   * Can a replica continue from `offset` (the first byte it is missing) under `replId`?
   * Mirrors the checks of masterTryPartialResynchronization; returns the reason when not.
   */
  canContinue(replId: string, offset: number): { ok: true } | { ok: false; reason: string } {
    const idMatches =
      replId.toLowerCase() === this.replId ||
      (replId.toLowerCase() === this.replId2 && offset <= this.secondReplOffset);
    if (!idMatches) {
      if (replId === "?") return { ok: false, reason: "full resync requested" };
      if (replId.toLowerCase() !== this.replId && replId.toLowerCase() !== this.replId2) {
        return {
          ok: false,
          reason: `Replication ID mismatch (Replica asked for '${replId}', my replication IDs are '${this.replId}' and '${this.replId2}')`,
        };
      }
      return {
        ok: false,
        reason: `Requested offset for second ID was ${offset}, but I can reply up to ${this.secondReplOffset}`,
      };
    }
    const backlog = this.backlog;
    if (backlog === null || !backlog.covers(offset)) {
      return { ok: false, reason: "lack of backlog" };
    }
    return { ok: true };
  }
}
