/**
 * Command dispatch, in the order of Redis 7.0's processCommand: lookup, arity, protected
 * commands, auth, MULTI restrictions, OOM, disk errors, min-replicas, read-only replica, RESP2
 * pub/sub context, stale replica, loading, client pause, then MULTI queueing or `call`.
 *
 * `call` runs one handler inside an execution unit of the propagation stream, measures it
 * (commandstats, slowlog) and propagates its argv when it changed the dataset.
 */

import { ReplyWriter } from "@keyhaven/protocol";
import { nopermText } from "../acl/acl.js";
import { AclResult, checkCommand } from "../acl/check.js";
import type { Command } from "../commands/spec.js";
import { newLatencyHistogram, recordLatency } from "../info/latency.js";
import { clock } from "../keyspace/clock.js";
import { type Client, ClientFlag } from "../network/client.js";
import { isLocalPeer } from "../network/protected-mode.js";
import type { Server } from "../server.js";
import { Tracking } from "./tracking.js";
import { unwatchAllKeys } from "./watch.js";

/** Where replies of CLIENT REPLY OFF/SKIP commands go. */
const discardedReplies = new ReplyWriter(64);

/** Hooks the persistence, replication and eviction subsystems install into dispatch. */
export interface DispatchGates {
  /** performEvictions: returns false when memory is still above maxmemory (OOM). */
  evictIfNeeded: (() => boolean) | null;
  /** MISCONF text when writes are denied by a failed save or AOF write, else null. */
  writeDeniedReason: (() => string | null) | null;
  /** checkGoodReplicasStatus: false when min-replicas-to-write is not met. */
  enoughGoodReplicas: (() => boolean) | null;
  /** True when a replica's link to its master is down (for replica-serve-stale-data). */
  masterLinkDown: (() => boolean) | null;
  /** MONITOR: sees each command before it runs. */
  feedMonitors: ((c: Client, argv: string[]) => void) | null;
  /** SLOWLOG: offered each command with its duration. */
  slowlog: ((c: Client, argv: string[], micros: number) => void) | null;
  /**
   * pre_command_oom_state: whether memory was over maxmemory when the running command was
   * dispatched (scripts refuse their first deny-oom write then).
   */
  preCommandOom: boolean;
  /** While a script runs past busy-reply-threshold: the -BUSY text for what is not allow_busy. */
  busyScriptError: string | null;
}

export const gates: DispatchGates = {
  evictIfNeeded: null,
  writeDeniedReason: null,
  enoughGoodReplicas: null,
  masterLinkDown: null,
  feedMonitors: null,
  slowlog: null,
  preCommandOom: false,
  busyScriptError: null,
};

/** Commands allowed to a RESP2 client in subscribed state. */
const PUBSUB_CONTEXT_ALLOWED = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);
/** Commands that run immediately inside MULTI instead of being queued. */
const MULTI_IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

/**
 * rejectCommand / rejectCommandFormat: flags the transaction, counts the rejection, replies. A
 * rejected EXEC aborts with the reason (execCommandAbort), where Redis's formatted rejections
 * lose their "ERR " prefix; Redis does this inside MULTI or not, so `EXEC x` outside a
 * transaction also answers EXECABORT (and forgets WATCHed keys).
 */
function reject(_server: Server, c: Client, text: string, cmd: Command | null): void {
  if (cmd !== null) cmd.rejectedCalls++;
  if (cmd !== null && cmd.name === "exec" && cmd.parent === null) {
    abortTransaction(c);
    c.error(`EXECABORT Transaction discarded because of: ${text.startsWith("ERR ") ? text.slice(4) : text}`);
    return;
  }
  if ((c.flags & ClientFlag.Multi) !== 0) c.flags |= ClientFlag.DirtyExec;
  c.error(text);
}

/** discardTransaction: leaves MULTI state and forgets WATCHed keys. */
export function abortTransaction(c: Client): void {
  c.multiQueue = [];
  c.flags &= ~(ClientFlag.Multi | ClientFlag.DirtyCas | ClientFlag.DirtyExec);
  unwatchAllKeys(c);
}

/** processCommand: runs or queues the command in `c.argv`, or replies with why it cannot. */
export function processCommand(server: Server, c: Client): void {
  // The clock was refreshed when the input arrived (and before resumed input): every command
  // of one read sees one instant, as commands of one MULTI or pipeline batch do in Redis.
  const argv = c.argv;
  const cmd = server.commands.lookup(argv);
  if (cmd === null || cmd === undefined) {
    rejectUnknown(server, c, cmd === null);
    return;
  }
  // Like processCommand's c->lastcmd: CLIENT LIST shows the command being run (or refused).
  c.cmd = cmd;
  c.lastCmd = cmd;
  const argc = argv.length;
  if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity) {
    reject(server, c, `ERR wrong number of arguments for '${cmd.fullName}' command`, cmd);
    return;
  }
  if (cmd.isProtected && !debugAllowed(server, c)) {
    reject(
      server,
      c,
      `ERR ${cmd.parent?.name.toUpperCase() ?? cmd.name.toUpperCase()} command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`,
      cmd,
    );
    return;
  }
  if (!c.authenticated && !cmd.noAuth && server.acl.authRequired()) {
    reject(server, c, "NOAUTH Authentication required.", cmd);
    return;
  }
  const inMulti = (c.flags & ClientFlag.Multi) !== 0;
  if (inMulti && cmd.noMulti) {
    reject(server, c, "ERR Command not allowed inside a transaction", cmd);
    return;
  }
  const user = c.user;
  if (user !== null && !user.unrestricted) {
    const verdict = checkCommand(user, cmd, argv);
    if (verdict.result !== AclResult.Ok) {
      server.acl.logDenial(c, verdict, inMulti ? "multi" : "toplevel", cmd, argv);
      reject(server, c, nopermText(verdict.result, cmd), cmd);
      return;
    }
  }
  const fromMaster = (c.flags & ClientFlag.Master) !== 0;
  const isExec = cmd.name === "exec" && cmd.parent === null;
  const declared = cmd.declaredFlags === undefined ? null : cmd.declaredFlags(c);
  // What EXEC's queue needs, computed once for the checks below.
  const queued = isExec ? queuedFlags(c) : null;
  const isWrite = declared !== null ? declared.write : cmd.isWrite || (queued?.write ?? false);
  const denyOom = declared !== null ? declared.denyOom : cmd.denyOom || (queued?.denyOom ?? false);
  // A stale replica refuses EXEC when a queued command may not run stale, even if the link broke
  // after it was queued.
  const allowStale = declared !== null ? declared.stale : cmd.allowStale && (queued?.stale ?? true);
  gates.preCommandOom = false;
  if (gates.evictIfNeeded !== null && !fromMaster) {
    const outOfMemory = !gates.evictIfNeeded();
    gates.preCommandOom = outOfMemory;
    const rejectOnOom =
      denyOom ||
      (inMulti && !isExec && cmd.name !== "discard" && cmd.name !== "quit" && cmd.name !== "reset");
    if (outOfMemory && rejectOnOom && !c.has(ClientFlag.Fake)) {
      reject(server, c, "OOM command not allowed when used memory > 'maxmemory'.", cmd);
      return;
    }
  }
  if (
    !server.replicaMode &&
    !fromMaster &&
    gates.writeDeniedReason !== null &&
    (isWrite || cmd.name === "ping")
  ) {
    const reason = gates.writeDeniedReason();
    if (reason !== null) {
      reject(server, c, reason, cmd);
      return;
    }
  }
  if (isWrite && !server.replicaMode && gates.enoughGoodReplicas !== null && !gates.enoughGoodReplicas()) {
    reject(server, c, "NOREPLICAS Not enough good replicas to write.", cmd);
    return;
  }
  if (server.replicaMode && isWrite && !fromMaster && server.config.bool("replica-read-only")) {
    reject(server, c, "READONLY You can't write against a read only replica.", cmd);
    return;
  }
  if ((c.flags & ClientFlag.PubSub) !== 0 && c.resp === 2 && !PUBSUB_CONTEXT_ALLOWED.has(cmd.name)) {
    reject(
      server,
      c,
      `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      cmd,
    );
    return;
  }
  if (
    server.replicaMode &&
    !allowStale &&
    !fromMaster &&
    gates.masterLinkDown?.() === true &&
    !server.config.bool("replica-serve-stale-data")
  ) {
    reject(
      server,
      c,
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
      cmd,
    );
    return;
  }
  if (server.loading && !cmd.allowLoading) {
    reject(server, c, "LOADING Redis is loading the dataset in memory", cmd);
    return;
  }
  if (gates.busyScriptError !== null && !cmd.allowBusy) {
    reject(server, c, gates.busyScriptError, cmd);
    return;
  }
  if (server.pauseKind !== null && !fromMaster && !c.has(ClientFlag.Replica)) {
    const mayReplicate =
      isWrite || (declared === null && cmd.mayReplicate) || (queued?.mayReplicate ?? false);
    if (server.pauseKind === "all" || mayReplicate) {
      // Keep the command; it runs first when the pause ends (blockPostponeClient).
      c.postponedArgv = argv;
      server.postpone(c);
      return;
    }
  }
  if (inMulti && !MULTI_IMMEDIATE.has(cmd.name)) {
    c.multiQueue.push({ cmd, argv });
    c.out.raw(QUEUED);
    return;
  }
  if (server.tracking.clients !== 0)
    server.tracking.limitUsedSlots(server.config.num("tracking-table-max-keys"));
  call(server, c, cmd);
  // Not while a slow script serves clients from inside (isInsideYieldingLongCommand): a client
  // blocked on a key the script pushed to would see the script's writes half done.
  if (server.blocking.count !== 0 && gates.busyScriptError === null)
    server.blocking.handleClientsBlockedOnKeys();
}

const QUEUED = Buffer.from("+QUEUED\r\n");

/**
 * Client-side caching after a command of a tracking client: the keys a read-only command served
 * are remembered (also inside EXEC); after a top-level command, its own invalidations follow its
 * reply, and CLIENT CACHING's effect ends unless a transaction is still open (resetClient).
 */
function trackingAfterCall(server: Server, c: Client, cmd: Command, topLevel: boolean): void {
  if (cmd.isReadonly && (c.tracking & Tracking.On) !== 0 && (c.tracking & Tracking.Bcast) === 0)
    server.tracking.rememberKeys(c, cmd, c.argv);
  if (!topLevel) return;
  server.tracking.flushPendingSelf(c);
  if ((c.flags & ClientFlag.Multi) === 0 && cmd.fullName !== "client|caching")
    c.tracking &= ~Tracking.Caching;
}

/** What EXEC's queued commands need, for EXEC's own checks (Redis's mstate.cmd_flags/cmd_inv_flags). */
function queuedFlags(c: Client): { write: boolean; denyOom: boolean; mayReplicate: boolean; stale: boolean } {
  let write = false;
  let denyOom = false;
  let mayReplicate = false;
  let stale = true;
  for (const q of c.multiQueue) {
    write ||= q.cmd.isWrite;
    denyOom ||= q.cmd.denyOom;
    mayReplicate ||= q.cmd.mayReplicate || q.cmd.isWrite;
    stale &&= q.cmd.allowStale;
  }
  return { write, denyOom, mayReplicate, stale };
}

function rejectUnknown(server: Server, c: Client, unknownSubcommand: boolean): void {
  // processCommand's lookup found nothing: CLIENT LIST shows cmd=NULL, a master link's error log
  // '<unknown>'.
  c.cmd = null;
  c.lastCmd = null;
  const argv = c.argv;
  if (unknownSubcommand) {
    const container = argv[0];
    reject(
      server,
      c,
      `ERR unknown subcommand '${truncate(argv[1], 128)}'. Try ${container.toUpperCase()} HELP.`,
      null,
    );
    return;
  }
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${truncate(argv[i], 128 - args.length)}' `;
  }
  reject(
    server,
    c,
    `ERR unknown command '${truncate(argv[0], 128)}', with args beginning with: ${args}`,
    null,
  );
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

function debugAllowed(server: Server, c: Client): boolean {
  return allowedByEnableOption(server.config.str("enable-debug-command"), c);
}

/**
 * allowProtectedAction for enable-debug-command / enable-protected-configs: "yes", or "local"
 * and the client is on a Unix socket or the loopback interface.
 */
export function allowedByEnableOption(mode: string, c: Client): boolean {
  if (mode === "yes") return true;
  if (mode === "local")
    return isLocalPeer(c.addr.slice(0, c.addr.lastIndexOf(":")), c.has(ClientFlag.UnixSocket));
  return false;
}

/** The latency monitor's event for a command: "fast-command" for `fast` ones, as Redis's call(). */
export function commandLatencyEvent(cmd: Command): string {
  return cmd.flags.includes("fast") ? "fast-command" : "command";
}

function recordCommandLatency(server: Server, cmd: Command, micros: number): void {
  const ms = Math.floor(micros / 1000);
  server.latencyMonitor.addSampleIfNeeded(commandLatencyEvent(cmd), ms, Math.floor(clock.ms / 1000));
}

/**
 * call(): runs `cmd` for `c` as one execution unit. Commandstats and slowlog are updated; the
 * command is propagated as `c.argv` (which the handler may have rewritten) when it incremented
 * `server.dirty`, unless it propagated itself (preventPropagation).
 */
export function call(server: Server, c: Client, cmd: Command): void {
  const prevClient = server.currentClient;
  server.currentClient = c;
  const propagator = server.propagator;
  propagator.beginUnit();
  const dirtyBefore = server.dirty;
  c.cmd = cmd;
  c.preventPropagation = false;
  c.forcePropagation = false;
  c.failed = false;
  // The argv as received: handlers may rewrite c.argv into its propagation form, but MONITOR and
  // SLOWLOG show what the client sent (Redis's original_argv). A blocked client's command re-run
  // when its key is ready was already fed to MONITOR when it arrived (Redis counts it once).
  const originalArgv = c.argv;
  const reprocessing = (c.flags & ClientFlag.Blocked) !== 0;
  const monitors = gates.feedMonitors;
  // Administrative commands are too dangerous to be shown (Redis 7.0's call() skips CMD_ADMIN).
  if (monitors !== null && !reprocessing && !cmd.skipMonitor && !cmd.isAdmin)
    monitors(c, cmd.redactedArgv === undefined ? originalArgv : cmd.redactedArgv(originalArgv));
  // CLIENT REPLY itself is exempt, so that CLIENT REPLY ON can answer +OK.
  const replyOff =
    (c.flags & (ClientFlag.ReplyOff | ClientFlag.ReplySkip)) !== 0 && cmd.fullName !== "client|reply";
  const realOut = c.out;
  if (replyOff) {
    discardedReplies.resp = realOut.resp;
    c.replyOffOut = realOut;
    c.out = discardedReplies;
  }
  const start = performance.now();
  try {
    cmd.handler!(c);
  } catch (err) {
    // A handler bug must not take the server down with it. The reply stream of this client may
    // hold half a reply, so the connection is closed after an error; every other client goes on.
    server.logger.warning(
      { client: c.describe(), command: cmd.fullName, error: (err as Error).stack ?? String(err) },
      "Internal error while executing a command",
    );
    server.stats.unexpectedErrorReplies++;
    c.error(`ERR internal error executing '${cmd.fullName}': ${(err as Error).message}`);
    c.flags |= ClientFlag.CloseAfterReply;
  } finally {
    if (replyOff) {
      discardedReplies.discard();
      c.out = realOut;
      c.replyOffOut = null;
    }
    const micros = (performance.now() - start) * 1000;
    if (!reprocessing) cmd.calls++;
    cmd.usec += micros;
    if (server.latencyTracking) {
      if (cmd.latency === null) cmd.latency = newLatencyHistogram();
      recordLatency(cmd.latency, micros);
    }
    // An error counts against the command that replied it, once: EXEC whose queued AUTH failed
    // is not failed itself (Redis's incrCommandStatsOnError counts only errors since the last
    // command's stats update, nested calls included).
    if (c.failed) {
      cmd.failedCalls++;
      c.failed = false;
    }
    // call()'s latencyAddSampleIfNeeded, skipped (like the slow log) for a command that blocked
    // or is being re-run after blocking.
    if (server.latencyMonitorOn && !reprocessing && (c.flags & ClientFlag.Blocked) === 0)
      recordCommandLatency(server, cmd, micros);
    if (
      gates.slowlog !== null &&
      !reprocessing &&
      !cmd.skipSlowlog &&
      micros >= server.slowlogThreshold &&
      server.slowlogThreshold >= 0
    )
      gates.slowlog(
        c,
        cmd.redactedArgv === undefined ? originalArgv : cmd.redactedArgv(originalArgv),
        micros,
      );
    // Our master's commands propagate too (the AOF of a replica records them); the replication
    // sink ignores them on a replica, which proxies its master's bytes instead. A command that
    // reset the dirty counter (DEBUG LOADAOF, which loads the AOF rather than writing) is not
    // propagated: Redis's call() clamps the difference at 0. Propagated, DEBUG LOADAOF would
    // land in the AOF and run again, recursively, at the next load.
    if ((server.dirty > dirtyBefore && !c.preventPropagation) || c.forcePropagation) {
      propagator.alsoPropagate(c.db.id, c.argv);
    }
    propagator.endUnit(!cmd.touchesArbitraryKeys);
    server.currentClient = prevClient;
    if (c.tracking !== 0) trackingAfterCall(server, c, cmd, prevClient === null);
    if (!reprocessing) server.stats.totalCommandsProcessed++;
    // CLIENT REPLY SKIP silences exactly the next command.
    if ((c.flags & ClientFlag.ReplySkip) !== 0) c.flags &= ~ClientFlag.ReplySkip;
    if ((c.flags & ClientFlag.ReplySkipNext) !== 0) {
      c.flags &= ~ClientFlag.ReplySkipNext;
      c.flags |= ClientFlag.ReplySkip;
    }
  }
}
