/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
 *         [AUTH2 username password] [KEYS key [key ...]]  (cluster.c migrateCommand)
 *
 * The keys are serialized when the command runs (DUMP payloads, with their remaining TTL), sent
 * to the target as RESTORE key ttl payload [REPLACE], after AUTH and a SELECT when the cached
 * connection is not on that db yet, and each key the target acknowledged is deleted here unless
 * COPY. The deletions propagate as one `DEL key...` (Redis rewrites MIGRATE into it); with COPY,
 * or when nothing was acknowledged, nothing propagates. Replies: +OK, +NOKEY when none of the
 * keys exists, "-IOERR ..." on connection failures, "-ERR Target instance replied with error:
 * ..." with the first error the target replied.
 *
 * Redis blocks its whole server for the transfer. Here the network side runs in a worker
 * (migrate-connections.ts) and:
 * - a client's MIGRATE waits as a blocked client does (its pipelined commands after it wait
 *   too) while the server serves the others. When the result comes, an acknowledged key is
 *   deleted only if it still holds exactly what was sent (same DUMP payload, same expiry time):
 *   a key written in the meantime is kept, the target having an older copy of it. The deletion
 *   waits for the end of a CLIENT PAUSE, as any write would. The waiting client is not subject
 *   to CLIENT UNBLOCK (Redis's MIGRATE cannot be interrupted either); if it disconnects, the
 *   transfer still completes and the moved keys are still deleted.
 * - inside MULTI/EXEC, a script or a function, which must run in one piece, MIGRATE is
 *   synchronous as in Redis: the server waits for the worker (the timeout bounds every step).
 * What follows from the top-level form: checking a moved key serializes it a second time; a
 * MIGRATE to this very server works (Redis's can only time out); the command's duration in
 * commandstats and the slow log covers the serialization, not the transfer.
 */

import { createDumpPayload, encodeCommand } from "@keyhaven/protocol";
import { clock, refreshClock } from "../keyspace/clock.js";
import { type Db, LOOKUP_NONE, LOOKUP_NOSTATS, LOOKUP_NOTOUCH, LOOKUP_WRITE } from "../keyspace/db.js";
import type { Value } from "../keyspace/value.js";
import { type Client, ClientFlag } from "../network/client.js";
import { toRdbValue } from "../persistence/rdb-convert.js";
import { rdbEncodingOptions } from "../persistence/rdb-save.js";
import type { Server } from "../server.js";
import { is, parseInt64 } from "./args.js";
import { REDACTED } from "./common.js";
import { type MigrateResult, migrateConnections } from "./migrate-connections.js";
import { type CommandSpec, spec } from "./spec.js";

interface MigrateOptions {
  copy: boolean;
  replace: boolean;
  /** AUTH's arguments: [password] or [username, password]. */
  auth: string[] | null;
  /** argv index of the first key, and how many. */
  firstKey: number;
  numKeys: number;
  timeout: number;
  db: string;
}

/** A key as it was sent: what its deletion is checked against. */
interface SentKey {
  key: string;
  payload: Buffer;
  expireAt: number;
}

/** Node's timers take at most 2^31-1 ms; a longer MIGRATE timeout is as good as that. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Parses the options in Redis's order; replies and returns null on an error. */
function parseOptions(c: Client): MigrateOptions | null {
  const argv = c.argv;
  const o: MigrateOptions = {
    copy: false,
    replace: false,
    auth: null,
    firstKey: 3,
    numKeys: 1,
    timeout: 0,
    db: "",
  };
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const a = argv[j];
    if (is(a, "copy")) o.copy = true;
    else if (is(a, "replace")) o.replace = true;
    else if (is(a, "auth") && more >= 1) o.auth = [argv[++j]];
    else if (is(a, "auth2") && more >= 2) {
      o.auth = [argv[j + 1], argv[j + 2]];
      j += 2;
    } else if (is(a, "keys")) {
      if (argv[3].length !== 0) {
        c.error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
        return null;
      }
      o.firstKey = j + 1;
      o.numKeys = argv.length - j - 1;
      break;
    } else {
      c.error("ERR syntax error");
      return null;
    }
  }
  const timeout = parseInt64(argv[5]);
  const db = parseInt64(argv[4]);
  if (timeout === null || db === null) {
    c.error("ERR value is not an integer or out of range");
    return null;
  }
  o.timeout = timeout <= 0n ? 1000 : Number(timeout > BigInt(MAX_TIMER_MS) ? MAX_TIMER_MS : timeout);
  o.db = String(db);
  return o;
}

function dumpPayload(server: Server, value: Value): Buffer {
  return createDumpPayload(toRdbValue(value), rdbEncodingOptions(server.config));
}

function migrateCommand(c: Client): void {
  const o = parseOptions(c);
  if (o === null) return;
  const argv = c.argv;
  const db = c.db;
  const server = c.server;
  // The keys as they are now: missing ones are skipped, and none at all is +NOKEY.
  const sent: SentKey[] = [];
  const restores: Buffer[] = [];
  for (let j = o.firstKey; j < o.firstKey + o.numKeys; j++) {
    const key = argv[j];
    const entry = db.lookup(key, LOOKUP_NONE);
    if (entry === undefined) continue;
    let ttl = 0;
    if (entry.expireAt >= 0) ttl = Math.max(1, entry.expireAt - clock.ms);
    const payload = dumpPayload(server, entry.value);
    sent.push({ key, payload, expireAt: entry.expireAt });
    const restore: (string | Buffer)[] = ["RESTORE", key, String(ttl), payload];
    if (o.replace) restore.push("REPLACE");
    restores.push(encodeCommand(restore));
  }
  if (sent.length === 0) {
    c.out.simple("NOKEY");
    return;
  }
  const job = {
    host: argv[1],
    port: argv[2],
    timeout: o.timeout,
    db: o.db,
    auth: o.auth,
    restores: Buffer.concat(restores),
    restoreCount: sent.length,
  };
  const connections = migrateConnections();
  if (!server.blocking.canBlock(c) || c.has(ClientFlag.Master) || c.has(ClientFlag.Fake)) {
    // Every step waits at most `timeout` (one retry may double them); the bound is a safety net.
    const maxWait = Math.min(2 * (sent.length + 4) * o.timeout + 1000, MAX_TIMER_MS);
    const result = connections.runSync(job, maxWait);
    const deleted = o.copy ? [] : deleteMoved(server, db, sent, result, false);
    if (deleted.length > 0) c.argv = ["DEL", ...deleted];
    reply(c, result);
    return;
  }
  waitForTransfer(c, db, o.copy, sent, (done) => connections.submit(job, done));
}

/**
 * Blocks `c` until the transfer started by `start` ends, then deletes the moved keys (as their
 * own propagated `DEL`) and replies.
 */
function waitForTransfer(
  c: Client,
  db: Db,
  copy: boolean,
  sent: SentKey[],
  start: (done: (result: MigrateResult) => void) => void,
): void {
  const server = c.server;
  // CLIENT REPLY OFF/SKIP covered this command when it ran; it covers its late reply too.
  const silent = (c.flags & (ClientFlag.ReplyOff | ClientFlag.ReplySkip)) !== 0;
  // A master that became a replica meanwhile keeps its dataset as its new master has it.
  const wasReplica = server.replicaMode;
  let finished = false;
  const finish = (result: MigrateResult) => {
    // A write waits for CLIENT PAUSE to end, as a new write command would.
    if (server.pauseKind !== null) {
      setTimeout(() => finish(result), 10);
      return;
    }
    refreshClock();
    const prevClient = server.currentClient;
    server.currentClient = c;
    server.propagator.beginUnit();
    try {
      const demoted = server.replicaMode && !wasReplica;
      const deleted = copy || demoted ? [] : deleteMoved(server, db, sent, result, true);
      if (deleted.length > 0) server.propagator.alsoPropagate(db.id, ["DEL", ...deleted]);
    } finally {
      server.propagator.endUnit();
      server.currentClient = prevClient;
    }
    if (server.blocking.count !== 0) server.blocking.handleClientsBlockedOnKeys();
    finished = true;
    if (!c.has(ClientFlag.CloseAsap) && c.has(ClientFlag.Blocked)) {
      const error = replyError(result);
      if (!silent) reply(c, result);
      else if (error !== null) server.stats.countError(error);
      // failed_calls, which call() could not know of when the command returned.
      if (error !== null) server.commands.get("migrate")!.failedCalls++;
    }
    server.scheduleBeforeSleep();
  };
  server.blocking.blockUntilDone(c, () => finished);
  start(finish);
}

/**
 * Deletes the keys the target acknowledged, in that order, and returns them. `verify`: only a
 * key that still holds what was sent (same payload, same expiry time) is deleted.
 */
function deleteMoved(
  server: Server,
  db: Db,
  sent: SentKey[],
  result: MigrateResult,
  verify: boolean,
): string[] {
  const deleted: string[] = [];
  for (const i of result.acked) {
    const { key, payload, expireAt } = sent[i];
    const entry = db.lookup(key, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
    if (entry === undefined) continue;
    if (verify && (entry.expireAt !== expireAt || !dumpPayload(server, entry.value).equals(payload)))
      continue;
    db.delete(key);
    server.signalDeletedKey(db, key);
    server.notify("g", "del", key, db.id);
    server.dirty++;
    deleted.push(key);
  }
  return deleted;
}

/** The error MIGRATE replies for `result`, or null for +OK. */
function replyError(result: MigrateResult): string | null {
  if (result.targetError !== null) return `ERR Target instance replied with error: ${result.targetError}`;
  if (result.ioError === "connecting") return "IOERR error or timeout connecting to the client";
  if (result.ioError !== null) return `IOERR error or timeout ${result.ioError} to target instance`;
  return null;
}

function reply(c: Client, result: MigrateResult): void {
  const error = replyError(result);
  if (error === null) c.out.simple("OK");
  else c.error(error);
}

/**
 * The keys of a MIGRATE argv, as Redis 7.0's key specs and migrateGetKeys find them: the key
 * argument, unless the KEYS keyword appears at argc-2 or before, where migrateGetKeys looks for it
 * past the options (skipping AUTH's and AUTH2's values): the keys after it, none when the key
 * argument is not empty.
 */
export function migrateKeys(argv: readonly string[]): number[] {
  let keyword = false;
  for (let i = argv.length - 2; i >= 2 && !keyword; i--) keyword = is(argv[i], "keys");
  if (!keyword) return [3];
  for (let i = 6; i < argv.length; i++) {
    const a = argv[i];
    if (is(a, "keys")) {
      if (argv[3].length > 0) return [];
      const out: number[] = [];
      for (let k = i + 1; k < argv.length; k++) out.push(k);
      return out;
    }
    if (is(a, "auth")) i += 1;
    else if (is(a, "auth2")) i += 2;
  }
  return [3];
}

/** MONITOR and SLOWLOG show AUTH's and AUTH2's values as "(redacted)", as Redis's parser leaves them. */
export function migrateRedacted(argv: readonly string[]): string[] {
  const out = [...argv];
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const a = argv[j];
    if (is(a, "copy") || is(a, "replace")) continue;
    if (is(a, "auth") && more >= 1) out[++j] = REDACTED;
    else if (is(a, "auth2") && more >= 2) {
      out[j + 1] = REDACTED;
      out[j + 2] = REDACTED;
      j += 2;
    } else break;
  }
  return out;
}

const MIGRATED_KEY_FLAGS: readonly string[] = ["RW", "access", "delete"];

export const migrateCommands = [
  spec(
    "migrate",
    -6,
    "write",
    [3, 3, 1],
    "generic",
    "Atomically transfer a key from a Redis instance to another one.",
    "2.6.0",
    migrateCommand,
    {
      acl: ["keyspace", "write", "slow", "dangerous"],
      getKeys: migrateKeys,
      // migrateGetKeys: every key moved away.
      foundKeyFlags: () => MIGRATED_KEY_FLAGS,
      redactedArgv: migrateRedacted,
    },
  ),
] satisfies CommandSpec[];
