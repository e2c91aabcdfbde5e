/**
 * MULTI/EXEC/DISCARD/WATCH/UNWATCH (multi.c). Queued commands were already checked for
 * existence and arity by dispatch; a rejected one marks the transaction (EXECABORT). WATCH is
 * optimistic locking: any change to a watched key (writes, expiry, eviction, FLUSH, SWAPDB)
 * marks the watcher dirty and its EXEC returns a null array. The whole EXEC is one execution
 * unit, so it propagates as MULTI ... EXEC when it wrote more than once.
 */

import { shared } from "@keyhaven/protocol";
import { AclResult, checkCommand } from "../acl/check.js";
import { call } from "../exec/dispatch.js";
import { expiredAtWatch, unwatchAllKeys } from "../exec/watch.js";
import { clock } from "../keyspace/clock.js";
import { type Client, ClientFlag } from "../network/client.js";
import { type CommandSpec, spec } from "./spec.js";

function multiCommand(c: Client): void {
  if (c.has(ClientFlag.Multi)) {
    c.error("ERR MULTI calls can not be nested");
    return;
  }
  c.flags |= ClientFlag.Multi;
  c.multiQueue = [];
  c.out.raw(shared.OK);
}

function discardTransaction(c: Client): void {
  c.multiQueue = [];
  c.flags &= ~(ClientFlag.Multi | ClientFlag.DirtyCas | ClientFlag.DirtyExec);
  unwatchAllKeys(c);
  expiredAtWatch.delete(c);
}

function discardCommand(c: Client): void {
  if (!c.has(ClientFlag.Multi)) {
    c.error("ERR DISCARD without MULTI");
    return;
  }
  discardTransaction(c);
  c.out.raw(shared.OK);
}

function isWatchedKeyExpired(c: Client): boolean {
  const wasExpired = expiredAtWatch.get(c);
  for (const [id, [db, key]] of c.watched) {
    const entry = db.peek(key);
    if (entry === undefined || entry.expireAt < 0 || entry.expireAt >= clock.ms) continue;
    if (wasExpired?.has(id)) continue;
    return true;
  }
  return false;
}

/** Why EXEC refuses a queued command the user may no longer run. */
const EXEC_DENIAL_REASONS: Record<number, string> = {
  [AclResult.DeniedCommand]: "no permission to execute the command or subcommand",
  [AclResult.DeniedKey]: "no permission to touch the specified keys",
  [AclResult.DeniedChannel]: "no permission to access one of the channels used as arguments",
};

function execCommand(c: Client): void {
  if (!c.has(ClientFlag.Multi)) {
    c.error("ERR EXEC without MULTI");
    return;
  }
  if (isWatchedKeyExpired(c)) c.flags |= ClientFlag.DirtyCas;
  if ((c.flags & (ClientFlag.DirtyCas | ClientFlag.DirtyExec)) !== 0) {
    if (c.has(ClientFlag.DirtyExec)) c.error("EXECABORT Transaction discarded because of previous errors.");
    else c.out.nullArray();
    discardTransaction(c);
    return;
  }
  // The queue stays the client's until EXEC ends: CLIENT INFO shows it (multi=, multi-mem=), as
  // Redis keeps mstate while execCommand runs.
  const queue = c.multiQueue;
  unwatchAllKeys(c);
  expiredAtWatch.delete(c);
  c.flags &= ~ClientFlag.Multi;
  const origArgv = c.argv;
  const origCmd = c.cmd!;
  c.out.arrayHeader(queue.length);
  c.flags |= ClientFlag.InExec;
  try {
    for (const q of queue) {
      c.argv = q.argv;
      // ACL rules may have changed since the command was queued.
      const verdict = checkCommand(c.user, q.cmd, q.argv);
      if (verdict.result !== AclResult.Ok) {
        c.cmd = q.cmd;
        c.server.acl.logDenial(c, verdict, "multi", q.cmd, q.argv);
        c.error(
          `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${EXEC_DENIAL_REASONS[verdict.result]}`,
        );
        continue;
      }
      call(c.server, c, q.cmd);
    }
  } finally {
    c.flags &= ~ClientFlag.InExec;
    c.multiQueue = [];
    c.argv = origArgv;
    c.cmd = origCmd;
    // EXEC itself is never propagated: its writes were (wrapped by the execution unit).
    c.preventPropagation = true;
    c.forcePropagation = false;
  }
}

function watchCommand(c: Client): void {
  if (c.has(ClientFlag.Multi)) {
    c.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  const argv = c.argv;
  let expired = expiredAtWatch.get(c);
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i];
    const id = `${c.db.id}\0${key}`;
    if (c.watched.has(id)) continue;
    c.watched.set(id, [c.db, key]);
    let set = c.db.watchedKeys.get(key);
    if (set === undefined) {
      set = new Set();
      c.db.watchedKeys.set(key, set);
    }
    set.add(c);
    const entry = c.db.peek(key);
    if (entry !== undefined && entry.expireAt >= 0 && entry.expireAt < clock.ms) {
      if (expired === undefined) {
        expired = new Set();
        expiredAtWatch.set(c, expired);
      }
      expired.add(id);
    }
  }
  c.out.raw(shared.OK);
}

function unwatchCommand(c: Client): void {
  unwatchAllKeys(c);
  expiredAtWatch.delete(c);
  c.flags &= ~ClientFlag.DirtyCas;
  c.out.raw(shared.OK);
}

export const transactionCommands = [
  spec(
    "multi",
    1,
    "noscript loading stale fast allow_busy",
    [0, 0, 0],
    "transactions",
    "Starts a transaction.",
    "1.2.0",
    multiCommand,
  ),
  spec(
    "exec",
    1,
    "noscript loading stale skip_slowlog",
    [0, 0, 0],
    "transactions",
    "Executes all commands in a transaction.",
    "1.2.0",
    execCommand,
  ),
  spec(
    "discard",
    1,
    "noscript loading stale fast allow_busy",
    [0, 0, 0],
    "transactions",
    "Discards a transaction.",
    "2.0.0",
    discardCommand,
  ),
  spec(
    "watch",
    -2,
    "noscript loading stale fast allow_busy",
    [1, -1, 1],
    "transactions",
    "Monitors changes to keys to determine the execution of a transaction.",
    "2.2.0",
    watchCommand,
  ),
  spec(
    "unwatch",
    1,
    "noscript loading stale fast allow_busy",
    [0, 0, 0],
    "transactions",
    "Forgets about watched keys of a transaction.",
    "2.2.0",
    unwatchCommand,
  ),
] satisfies CommandSpec[];
