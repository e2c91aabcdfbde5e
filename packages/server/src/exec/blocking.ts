/**
 * Blocked clients (Redis's blocked.c): clients waiting on keys (BLPOP, BZPOPMIN, BLMOVE...),
 * on replication acks (WAIT), or on anything a subsystem defines.
 *
 * Waiting on keys: each database keeps, per key, the FIFO list of clients blocked on it. A
 * command that adds elements to such a key signals it ready; after the command (and after a
 * whole EXEC) the ready keys are served in order: each waiting client's command is executed
 * again in "reprocessing" mode, in FIFO order. A handler that still finds nothing calls
 * `blockForKeys` again, which in that mode just keeps the client where it was in the queue, so
 * fairness holds. A served command propagates as its non-blocking form (the handler rewrites
 * its argv).
 *
 * Timeouts are checked from the cron tick and at the end of each event-loop turn; there is no
 * timer per client.
 */

import type { Command } from "../commands/spec.js";
import { clock } from "../keyspace/clock.js";
import type { Db } from "../keyspace/db.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { call } from "./dispatch.js";

export type UnblockReason = "served" | "timeout" | "disconnect" | "error" | "aborted";

export interface BlockState {
  kind: "keys" | "generic";
  db: Db | null;
  keys: string[];
  /** Absolute deadline in ms, or 0 for none. */
  deadline: number;
  /** The command and arguments to run again when a key becomes ready. */
  cmd: Command | null;
  argv: string[];
  /** Writes the reply for a timeout (or for CLIENT UNBLOCK ... TIMEOUT). */
  onTimeout: (c: Client) => void;
  /** Generic blocks: returns true when the client can be released (checked each turn). */
  check: ((c: Client) => boolean) | null;
  /** Called when the block ends for any reason (cleanup of subsystem state). */
  onEnd: ((c: Client, reason: UnblockReason) => void) | null;
  /**
   * Re-run the command even when the ready key no longer exists (XREADGROUP answers an error
   * then, as unblockDeletedStreamReadgroupClients does); other waiters skip missing keys.
   */
  wakeOnDelete: boolean;
  /**
   * Waiting for work that goes on whatever the client does (MIGRATE's transfer): CLIENT UNBLOCK
   * does not apply.
   */
  uninterruptible: boolean;
}

export class BlockingManager {
  private readonly server: Server;
  readonly blocked = new Set<Client>();
  private readyKeys: { db: Db; key: string }[] = [];
  private readonly readySet = new Set<string>();
  /** Set while a blocked client's command is re-run. */
  private reprocessing: Client | null = null;
  private reblocked = false;
  /**
   * While a blocked client's command is re-run: the ready key that woke it. Handlers serve that
   * key first, as Redis 7.0 serves a client on the key that became ready rather than on the
   * first of its keys.
   */
  servingKey: string | null = null;
  /** Clients blocked with a `check` function (WAIT and friends). */
  private readonly generic = new Set<Client>();

  constructor(server: Server) {
    this.server = server;
    server.cron.everyTick(() => this.handleTimeouts());
  }

  get count(): number {
    return this.blocked.size;
  }

  /** Number of keys with clients blocked on them, over every database (INFO blocked_keys). */
  get blockedKeysCount(): number {
    let n = 0;
    for (const db of this.server.dbs) n += db.blockingKeys.size;
    return n;
  }

  /**
   * Blocks `c` until one of `keys` is signalled ready or `deadline` passes (0 = forever).
   * Inside MULTI/EXEC a command never blocks: the caller must reply as for a timeout instead;
   * `canBlock` tells it.
   */
  blockForKeys(
    c: Client,
    keys: string[],
    deadline: number,
    onTimeout: (c: Client) => void,
    wakeOnDelete = false,
  ): void {
    if (this.reprocessing === c) {
      this.reblocked = true;
      return;
    }
    const db = c.db;
    const state: BlockState = {
      kind: "keys",
      db,
      keys: [...new Set(keys)],
      deadline,
      cmd: c.cmd,
      argv: c.argv,
      onTimeout,
      check: null,
      onEnd: null,
      wakeOnDelete,
      uninterruptible: false,
    };
    for (const key of state.keys) {
      let list = db.blockingKeys.get(key) as Client[] | undefined;
      if (list === undefined) {
        list = [];
        db.blockingKeys.set(key, list);
      }
      list.push(c);
    }
    this.enter(c, state);
  }

  /** Blocks on a condition evaluated at the end of every turn (WAIT). */
  blockGeneric(
    c: Client,
    deadline: number,
    check: (c: Client) => boolean,
    onTimeout: (c: Client) => void,
    onEnd: ((c: Client, reason: UnblockReason) => void) | null = null,
  ): void {
    const state: BlockState = {
      kind: "generic",
      db: null,
      keys: [],
      deadline,
      cmd: c.cmd,
      argv: c.argv,
      onTimeout,
      check,
      onEnd,
      wakeOnDelete: false,
      uninterruptible: false,
    };
    this.generic.add(c);
    this.enter(c, state);
  }

  /**
   * Blocks `c` until `done` returns true (checked at the end of every turn), with no timeout of
   * its own and out of CLIENT UNBLOCK's reach: for a command whose reply comes from work in
   * progress elsewhere (MIGRATE), which writes its reply itself.
   */
  blockUntilDone(c: Client, done: (c: Client) => boolean): void {
    this.blockGeneric(c, 0, done, () => {});
    (c.blockState as BlockState).uninterruptible = true;
  }

  private enter(c: Client, state: BlockState): void {
    c.blockState = state;
    c.flags |= ClientFlag.Blocked;
    this.blocked.add(c);
  }

  /** True when a blocking command may block now (not inside MULTI/EXEC, not from a script). */
  canBlock(c: Client): boolean {
    return (c.flags & (ClientFlag.InExec | ClientFlag.Multi)) === 0 || this.reprocessing === c;
  }

  /** signalKeyAsReady: a key with blocked clients received data. */
  signalKeyAsReady(db: Db, key: string): void {
    const id = `${db.id}\0${key}`;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.readyKeys.push({ db, key });
  }

  /**
   * handleClientsBlockedOnKeys: serves clients blocked on keys signalled ready. Serving may
   * make other keys ready (BLMOVE pushes onto its destination), so it loops until none is left.
   */
  handleClientsBlockedOnKeys(): void {
    while (this.readyKeys.length !== 0) {
      const ready = this.readyKeys;
      this.readyKeys = [];
      this.readySet.clear();
      for (const { db, key } of ready) {
        const list = db.blockingKeys.get(key) as Client[] | undefined;
        if (list === undefined) continue;
        // Serve in FIFO order; a missing key has nothing for anyone but XREADGROUP waiters.
        for (const c of [...list]) {
          if (!c.has(ClientFlag.Blocked) || c.blockState === null) continue;
          if (db.peek(key) === undefined && !(c.blockState as BlockState).wakeOnDelete) continue;
          this.servingKey = key;
          this.reprocess(c);
          this.servingKey = null;
        }
      }
    }
  }

  private reprocess(c: Client): void {
    const state = c.blockState as BlockState;
    if (state.cmd === null) return;
    const prevDb = c.db;
    c.db = state.db ?? c.db;
    c.argv = state.argv;
    this.reprocessing = c;
    this.reblocked = false;
    try {
      call(this.server, c, state.cmd);
    } finally {
      this.reprocessing = null;
    }
    if (!this.reblocked) {
      this.unblock(c, "served");
      this.server.queueUnblocked(c);
    }
    if (c.has(ClientFlag.Blocked)) c.db = prevDb;
  }

  /** Ends a block without serving: removes the client from every wait list. */
  unblock(c: Client, reason: UnblockReason): void {
    const state = c.blockState as BlockState | null;
    if (state === null) return;
    if (state.kind === "keys" && state.db !== null) {
      for (const key of state.keys) {
        const list = state.db.blockingKeys.get(key) as Client[] | undefined;
        if (list === undefined) continue;
        const i = list.indexOf(c);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) state.db.blockingKeys.delete(key);
      }
    }
    this.generic.delete(c);
    this.blocked.delete(c);
    c.blockState = null;
    c.flags &= ~ClientFlag.Blocked;
    state.onEnd?.(c, reason);
  }

  /** CLIENT UNBLOCK: ends the block as a timeout, or with `-UNBLOCKED`. Returns false if not blocked. */
  unblockByRequest(c: Client, asError: boolean): boolean {
    const state = c.blockState as BlockState | null;
    if (state === null || !c.has(ClientFlag.Blocked) || state.uninterruptible) return false;
    if (asError) {
      c.out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
      this.server.stats.countError("UNBLOCKED");
      // The blocked command failed (updateStatsOnUnblock's had_errors).
      if (c.lastCmd !== null) c.lastCmd.failedCalls++;
    } else {
      state.onTimeout(c);
    }
    this.unblock(c, asError ? "error" : "timeout");
    this.server.queueUnblocked(c);
    return true;
  }

  private handleTimeouts(): void {
    if (this.blocked.size === 0) return;
    const now = clock.ms;
    for (const c of this.blocked) {
      const state = c.blockState as BlockState | null;
      if (state === null || state.deadline === 0 || state.deadline > now) continue;
      state.onTimeout(c);
      this.unblock(c, "timeout");
      this.server.queueUnblocked(c);
    }
  }

  /** End of turn: generic conditions, ready keys left over, timeouts. */
  beforeSleep(): void {
    if (this.readyKeys.length !== 0) this.handleClientsBlockedOnKeys();
    for (const c of this.generic) {
      const state = c.blockState as BlockState | null;
      if (state?.check?.(c)) {
        this.unblock(c, "served");
        this.server.queueUnblocked(c);
      }
    }
    this.handleTimeouts();
  }
}
