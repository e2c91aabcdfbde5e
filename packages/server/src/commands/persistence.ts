/**
 * Persistence commands (rdb.c saveCommand / bgsaveCommand, cluster.c dumpCommand /
 * restoreCommand, debug.c DEBUG RELOAD). The work is done by persistence/rdb-persistence.ts; these
 * handlers parse, check the same conditions in the same order as Redis, and reply with its texts.
 *
 * RESTORE is propagated deterministically: a relative TTL is rewritten to an absolute one with
 * ABSTTL (and a payload whose TTL already passed becomes a DEL of the replaced key, or nothing).
 */

import {
  createDumpPayload,
  DumpPayloadVersionError,
  parseDumpPayload,
  type RdbValue,
  shared,
} from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { Db, LOOKUP_NOSTATS, LOOKUP_NOTOUCH, LOOKUP_WRITE } from "../keyspace/db.js";
import { lruFromIdle } from "../keyspace/lru.js";
import type { Value } from "../keyspace/value.js";
import { type Client, ClientFlag } from "../network/client.js";
import { fromRdbValue, toRdbValue } from "../persistence/rdb-convert.js";
import { loadRdbFileSync } from "../persistence/rdb-file-load.js";
import { commitLoadedFunctions } from "../persistence/rdb-load.js";
import { type RdbPersistence, rdbPersistence } from "../persistence/rdb-persistence.js";
import { rdbEncodingOptions } from "../persistence/rdb-save.js";
import { functionsEngine } from "../scripting/functions.js";
import type { Server } from "../server.js";
import { intOrReply, is } from "./args.js";
import { modified } from "./common.js";
import type { DebugHandler } from "./debug.js";
import { type CommandSpec, spec } from "./spec.js";

function persistenceOf(c: Client): RdbPersistence | null {
  const p = rdbPersistence(c.server);
  if (p === undefined) c.error("ERR persistence is not available on this server");
  return p ?? null;
}

function saveCommand(c: Client): void {
  const p = persistenceOf(c);
  if (p === null) return;
  if (p.rdbChildActive()) {
    c.error("ERR Background save already in progress");
    return;
  }
  p.saves++;
  if (p.saveSync()) c.out.raw(shared.OK);
  else c.error("ERR");
}

/** BGSAVE [SCHEDULE] */
function bgsaveCommand(c: Client): void {
  const argv = c.argv;
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && is(argv[1], "schedule")) schedule = true;
    else {
      c.error("ERR syntax error");
      return;
    }
  }
  const p = persistenceOf(c);
  if (p === null) return;
  const inExec = c.has(ClientFlag.InExec);
  if (p.rdbChildActive()) {
    c.error("ERR Background save already in progress");
  } else if (p.anyChildActive() || inExec) {
    if (schedule || inExec) {
      p.bgsaveScheduled = true;
      c.out.simple("Background saving scheduled");
    } else {
      c.error(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
      );
    }
  } else if (p.bgsave().kind === "started") {
    c.out.simple("Background saving started");
  } else {
    c.error("ERR");
  }
}

// ---- DUMP / RESTORE --------------------------------------------------------------------------

function dumpCommand(c: Client): void {
  const value = c.db.read(c.argv[1]);
  if (value === undefined) {
    c.out.nullBulk();
    return;
  }
  const payload = createDumpPayload(toRdbValue(value), rdbEncodingOptions(c.server.config));
  c.out.bulk(payload.toString("latin1"));
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
function restoreCommand(c: Client): void {
  const argv = c.argv;
  const server = c.server;
  let replace = false;
  let absttl = false;
  let lruIdle = -1;
  let lfuFreq = -1;
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    const a = argv[j];
    if (is(a, "replace")) replace = true;
    else if (is(a, "absttl")) absttl = true;
    else if (is(a, "idletime") && more >= 1 && lfuFreq === -1) {
      const n = intOrReply(c, argv[++j]);
      if (n === null) return;
      if (n < 0) {
        c.error("ERR Invalid IDLETIME value, must be >= 0");
        return;
      }
      lruIdle = n;
    } else if (is(a, "freq") && more >= 1 && lruIdle === -1) {
      const n = intOrReply(c, argv[++j]);
      if (n === null) return;
      if (n < 0 || n > 255) {
        c.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return;
      }
      lfuFreq = n;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  const key = argv[1];
  const db = c.db;
  // Write lookup first: an existing key's pre-image is captured by a running snapshot.
  const exists = db.lookup(key, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS) !== undefined;
  if (!replace && exists) {
    c.error("BUSYKEY Target key name already exists.");
    return;
  }
  let ttl = intOrReply(c, argv[2]);
  if (ttl === null) return;
  if (ttl < 0) {
    c.error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  let rdbValue: RdbValue;
  let value: Value;
  try {
    // fromRdbValue's builders find repeated members (see valueFactories).
    // verifyDumpPayload: DEBUG SET-SKIP-CHECKSUM-VALIDATION skips the CRC, never the version.
    rdbValue = parseDumpPayload(Buffer.from(argv[3], "latin1"), {
      checkDuplicates: false,
      skipChecksum: server.skipChecksumValidation,
    });
    value = fromRdbValue(rdbValue);
  } catch (err) {
    // A type this build cannot hold (no factory registered) is as unloadable as bad data.
    if (err instanceof DumpPayloadVersionError) c.error("ERR DUMP payload version or checksum are wrong");
    else c.error("ERR Bad data format");
    return;
  }
  const deleted = replace && exists && db.delete(key);
  if (ttl !== 0 && !absttl) ttl += clock.ms;
  // checkAlreadyExpired: a master drops a key restored with a past TTL (a replica keeps it).
  if (ttl !== 0 && ttl <= clock.ms && !server.loading && !server.replicaMode) {
    if (deleted) {
      c.argv = [server.config.bool("lazyfree-lazy-server-del") ? "UNLINK" : "DEL", key];
      modified(c, db, key, "g", "del");
    }
    c.out.raw(shared.OK);
    return;
  }
  const entry = db.add(key, value);
  if (ttl !== 0) {
    db.setExpire(entry, ttl);
    // Propagate the TTL as an absolute time, so replicas and the AOF expire it at the same instant.
    if (!absttl) c.argv = [...argv.slice(0, 2), String(ttl), ...argv.slice(3), "ABSTTL"];
  }
  if (server.lfuMode) {
    if (lfuFreq >= 0) entry.lru = (Math.floor(Date.now() / 60000) & 0xffff) * 256 + lfuFreq;
  } else if (lruIdle >= 0) {
    entry.lru = lruFromIdle(lruIdle);
  }
  modified(c, db, key, "g", "restore");
  c.out.raw(shared.OK);
}

// ---- DEBUG RELOAD ----------------------------------------------------------------------------

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), then load dump.rdb back. The file
 * is loaded into fresh databases that replace the live ones only when it loaded completely, so an
 * unreadable file leaves the dataset as it was (Redis would have exited).
 */
const debugReload: DebugHandler = (c) => {
  const p = persistenceOf(c);
  if (p === null) return;
  // DEBUG may run while loading; a reload inside a start-up load would interleave the two (Redis
  // then dies of a "duplicated key"): refuse it until the load is over.
  if (c.server.loading) {
    c.error("LOADING Redis is loading the dataset in memory");
    return;
  }
  let flush = true;
  let save = true;
  let merge = false;
  for (let j = 2; j < c.argv.length; j++) {
    const opt = c.argv[j];
    if (is(opt, "merge")) merge = true;
    else if (is(opt, "noflush")) flush = false;
    else if (is(opt, "nosave")) save = false;
    else {
      c.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
      return;
    }
  }
  if (save && !p.saveSync()) {
    c.error("ERR");
    return;
  }
  const server = c.server;
  const fresh = server.dbs.map((d) => new Db(d.id, server));
  let loaded: ReturnType<typeof loadRdbFileSync>;
  try {
    loaded = loadRdbFileSync(server, p.rdbPath(), { target: fresh, allowDuplicates: merge });
  } catch (err) {
    server.logger.warning({ error: (err as Error).message }, (err as Error).message);
    c.error("ERR Error trying to load the RDB dump");
    return;
  }
  if (loaded === null) {
    c.error("ERR Error trying to load the RDB dump");
    return;
  }
  if (!mergeLoaded(c, server, fresh, flush, merge)) return;
  // emptyData flushed the libraries too; NOFLUSH loads them over the current ones.
  if (flush) commitLoadedFunctions(server, loaded.functions);
  else if (loaded.functions.libraries.size > 0) functionsEngine(server).current.join(loaded.functions, true);
  server.logger.warning("DB reloaded by DEBUG RELOAD");
  c.out.raw(shared.OK);
};

/** Moves freshly loaded databases into the live ones (replacing them, or merged with NOFLUSH). */
function mergeLoaded(c: Client, server: Server, fresh: Db[], flush: boolean, merge: boolean): boolean {
  if (flush) {
    for (let i = 0; i < fresh.length; i++) {
      const live = server.dbs[i];
      server.signalFlushedDb(live);
      live.swapContents(fresh[i]);
      fresh[i].clear();
    }
    server.signalFlushed();
    return true;
  }
  if (!merge) {
    for (let i = 0; i < fresh.length; i++) {
      for (const e of fresh[i].entries()) {
        if (server.dbs[i].peek(e.key) !== undefined) {
          server.logger.warning(`RDB has duplicated key '${e.key}' in DB ${i}`);
          c.error("ERR Error trying to load the RDB dump");
          return false;
        }
      }
    }
  }
  for (let i = 0; i < fresh.length; i++) {
    const live = server.dbs[i];
    for (const e of fresh[i].entries()) {
      if (live.lookup(e.key, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS) !== undefined)
        live.delete(e.key);
      const added = live.add(e.key, e.value);
      if (e.expireAt >= 0) live.setExpire(added, e.expireAt);
      added.lru = e.lru;
      server.signalModifiedKey(live, e.key);
    }
  }
  return true;
}

/** DEBUG subcommands owned by persistence. */
export const persistenceDebugSubcommands: [string, DebugHandler][] = [["reload", debugReload]];

export const persistenceCommands = [
  spec(
    "save",
    1,
    "admin noscript no_async_loading no_multi",
    [0, 0, 0],
    "server",
    "Synchronously save the dataset to disk",
    "1.0.0",
    saveCommand,
    { acl: ["admin", "slow", "dangerous"] },
  ),
  spec(
    "bgsave",
    -1,
    "admin noscript no_async_loading",
    [0, 0, 0],
    "server",
    "Asynchronously save the dataset to disk",
    "1.0.0",
    bgsaveCommand,
    { acl: ["admin", "slow", "dangerous"] },
  ),
  spec(
    "dump",
    2,
    "readonly",
    [1, 1, 1],
    "generic",
    "Return a serialized version of the value stored at the specified key.",
    "2.6.0",
    dumpCommand,
    { acl: ["keyspace", "read", "slow"] },
  ),
  spec(
    "restore",
    -4,
    "write denyoom",
    [1, 1, 1],
    "generic",
    "Create a key using the provided serialized value, previously obtained using DUMP.",
    "2.6.0",
    restoreCommand,
    { acl: ["keyspace", "write", "slow", "dangerous"] },
  ),
] satisfies CommandSpec[];
