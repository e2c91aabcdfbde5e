/**
 * Generic keyspace commands (db.c): DEL, UNLINK, EXISTS, TYPE, KEYS, RANDOMKEY, RENAME(NX), MOVE,
 * COPY, TOUCH, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB. SCAN is in scan.ts, OBJECT in object.ts.
 */

import { shared } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { type Db, LOOKUP_NONOTIFY, LOOKUP_NOSTATS, LOOKUP_NOTOUCH, LOOKUP_WRITE } from "../keyspace/db.js";
import { typeOf, type Value } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { is, parseInteger } from "./args.js";
import { type CommandSpec, spec } from "./spec.js";

function delGeneric(c: Client): void {
  const argv = c.argv;
  const db = c.db;
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i];
    // Expire first so an expired key counts as absent (and its DEL is propagated).
    if (db.lookup(key, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS) === undefined) continue;
    db.delete(key);
    c.server.signalDeletedKey(db, key);
    c.server.notify("g", "del", key, db.id);
    c.server.dirty++;
    deleted++;
  }
  c.out.integer(deleted);
}

function existsCommand(c: Client): void {
  const argv = c.argv;
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.lookup(argv[i], LOOKUP_NOTOUCH) !== undefined) n++;
  c.out.integer(n);
}

function typeCommand(c: Client): void {
  const entry = c.db.lookup(c.argv[1], LOOKUP_NOTOUCH);
  c.out.simple(entry === undefined ? "none" : typeOf(entry.value));
}

function keysCommand(c: Client): void {
  const pattern = c.argv[1];
  const all = pattern === "*";
  const keys: string[] = [];
  const now = clock.ms;
  for (const entry of c.db.entries()) {
    if (entry.expireAt >= 0 && entry.expireAt < now) continue;
    if (all || globMatch(pattern, entry.key)) keys.push(entry.key);
  }
  c.out.arrayHeader(keys.length);
  for (const k of keys) c.out.bulk(k);
}

function randomkeyCommand(c: Client): void {
  const db = c.db;
  // Like dbRandomKey: skip expired keys, deleting them on a master, with a bounded number of tries.
  for (let tries = 0; tries < 100; tries++) {
    const entry = db.randomEntry();
    if (entry === undefined) break;
    if (entry.expireAt >= 0 && entry.expireAt < clock.ms) {
      if (!c.server.isReplica()) {
        db.lookup(entry.key, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY);
        continue;
      }
      if (tries < 99) continue;
    }
    c.out.bulk(entry.key);
    return;
  }
  c.out.nullBulk();
}

function renameGeneric(c: Client, nx: boolean): void {
  const [, src, dst] = c.argv;
  const db = c.db;
  const entry = db.lookup(src, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
  if (entry === undefined) {
    c.error("ERR no such key");
    return;
  }
  if (src === dst) {
    c.out.raw(nx ? shared.ZERO : shared.OK);
    return;
  }
  const existing = db.lookup(dst, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
  if (existing !== undefined) {
    if (nx) {
      c.out.raw(shared.ZERO);
      return;
    }
    db.delete(dst);
  }
  const value = entry.value;
  const expireAt = entry.expireAt;
  db.delete(src);
  const moved = db.add(dst, value);
  moved.strEncoding = entry.strEncoding;
  if (expireAt >= 0) db.setExpire(moved, expireAt);
  const server = c.server;
  server.signalDeletedKey(db, src);
  server.signalModifiedKey(db, dst);
  server.notify("g", "rename_from", src, db.id);
  server.notify("g", "rename_to", dst, db.id);
  server.dirty++;
  c.out.raw(nx ? shared.ONE : shared.OK);
}

function dbIndexOrReply(c: Client, text: string, message = "ERR DB index is out of range"): Db | null {
  const id = parseInteger(text);
  if (id === null) {
    c.error("ERR value is not an integer or out of range");
    return null;
  }
  if (id < 0 || id >= c.server.dbs.length) {
    c.error(message);
    return null;
  }
  return c.server.dbs[id];
}

function moveCommand(c: Client): void {
  const key = c.argv[1];
  const dst = dbIndexOrReply(c, c.argv[2]);
  if (dst === null) return;
  const src = c.db;
  if (src === dst) {
    c.error("ERR source and destination objects are the same");
    return;
  }
  const entry = src.lookup(key, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
  if (entry === undefined || dst.lookup(key, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS) !== undefined) {
    c.out.raw(shared.ZERO);
    return;
  }
  const { value, expireAt } = entry;
  src.delete(key);
  const moved = dst.add(key, value);
  moved.strEncoding = entry.strEncoding;
  if (expireAt >= 0) dst.setExpire(moved, expireAt);
  c.server.signalDeletedKey(src, key);
  c.server.signalModifiedKey(dst, key);
  c.server.notify("g", "move_from", key, src.id);
  c.server.notify("g", "move_to", key, dst.id);
  c.server.dirty++;
  c.out.raw(shared.ONE);
}

/** A deep copy of a value (strings are immutable and shared). */
export function copyValue(value: Value): Value {
  return typeof value === "string" ? value : value.clone();
}

function copyCommand(c: Client): void {
  const argv = c.argv;
  const [, src, dstKey] = argv;
  let dstDb = c.db;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    if (is(argv[i], "replace")) replace = true;
    else if (is(argv[i], "db") && i + 1 < argv.length) {
      const db = dbIndexOrReply(c, argv[++i]);
      if (db === null) return;
      dstDb = db;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  if (c.db === dstDb && src === dstKey) {
    c.error("ERR source and destination objects are the same");
    return;
  }
  const entry = c.db.lookup(src, LOOKUP_NOTOUCH);
  if (entry === undefined) {
    c.out.raw(shared.ZERO);
    return;
  }
  if (dstDb.lookup(dstKey, LOOKUP_WRITE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS) !== undefined) {
    if (!replace) {
      c.out.raw(shared.ZERO);
      return;
    }
    dstDb.delete(dstKey);
  }
  const created = dstDb.add(dstKey, copyValue(entry.value));
  created.strEncoding = entry.strEncoding;
  if (entry.expireAt >= 0) dstDb.setExpire(created, entry.expireAt);
  c.server.signalModifiedKey(dstDb, dstKey);
  c.server.notify("g", "copy_to", dstKey, dstDb.id);
  c.server.dirty++;
  c.out.raw(shared.ONE);
}

function touchCommand(c: Client): void {
  const argv = c.argv;
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.lookup(argv[i], 0) !== undefined) n++;
  c.out.integer(n);
}

function dbsizeCommand(c: Client): void {
  c.out.integer(c.db.size);
}

/** FLUSHDB/FLUSHALL's optional ASYNC|SYNC; null after replying a syntax error. */
function flushMode(c: Client): boolean | null {
  const argv = c.argv;
  if (argv.length > 2) {
    c.error("ERR syntax error");
    return null;
  }
  if (argv.length === 2) {
    if (is(argv[1], "async")) return true;
    if (is(argv[1], "sync")) return false;
    c.error("ERR syntax error");
    return null;
  }
  return c.server.config.bool("lazyfree-lazy-user-flush");
}

/** Hooks run after FLUSHALL (persistence saves when save points are set, as Redis does). */
export const flushAllHooks: ((c: Client) => void)[] = [];

export function flushDb(c: Client, db: Db): number {
  c.server.signalFlushedDb(db);
  const removed = db.clear();
  c.server.blocking.handleClientsBlockedOnKeys();
  return removed;
}

function flushdbCommand(c: Client): void {
  if (flushMode(c) === null) return;
  const removed = flushDb(c, c.db);
  c.server.signalFlushed();
  c.server.dirty += Math.max(1, removed);
  c.out.raw(shared.OK);
}

function flushallCommand(c: Client): void {
  if (flushMode(c) === null) return;
  let removed = 0;
  for (const db of c.server.dbs) removed += flushDb(c, db);
  c.server.signalFlushed();
  c.server.dirty += Math.max(1, removed);
  for (const hook of flushAllHooks) hook(c);
  c.out.raw(shared.OK);
}

function swapdbCommand(c: Client): void {
  const ia = parseInteger(c.argv[1]);
  if (ia === null) return void c.error("ERR invalid first DB index");
  const ib = parseInteger(c.argv[2]);
  if (ib === null) return void c.error("ERR invalid second DB index");
  const dbs = c.server.dbs;
  if (ia < 0 || ia >= dbs.length || ib < 0 || ib >= dbs.length) {
    return void c.error("ERR DB index is out of range");
  }
  const a = dbs[ia];
  const b = dbs[ib];
  if (a !== b) {
    c.server.signalFlushedDb(a, b);
    c.server.signalFlushedDb(b, a);
    a.swapContents(b);
    // Clients blocked on keys that now exist in the swapped-in data may be served.
    for (const db of [a, b]) {
      for (const key of db.blockingKeys.keys())
        if (db.peek(key) !== undefined) c.server.blocking.signalKeyAsReady(db, key);
    }
  }
  c.server.dirty++;
  c.out.raw(shared.OK);
}

export const keyCommands = [
  spec("del", -2, "write", [1, -1, 1], "generic", "Deletes one or more keys.", "1.0.0", delGeneric),
  spec(
    "unlink",
    -2,
    "write fast",
    [1, -1, 1],
    "generic",
    "Asynchronously deletes one or more keys.",
    "4.0.0",
    delGeneric,
  ),
  spec(
    "exists",
    -2,
    "readonly fast",
    [1, -1, 1],
    "generic",
    "Determines whether one or more keys exist.",
    "1.0.0",
    existsCommand,
  ),
  spec(
    "type",
    2,
    "readonly fast",
    [1, 1, 1],
    "generic",
    "Determines the type of value stored at a key.",
    "1.0.0",
    typeCommand,
  ),
  spec(
    "keys",
    2,
    "readonly",
    [0, 0, 0],
    "generic",
    "Returns all key names that match a pattern.",
    "1.0.0",
    keysCommand,
  ),
  spec(
    "randomkey",
    1,
    "readonly",
    [0, 0, 0],
    "generic",
    "Returns a random key name from the database.",
    "1.0.0",
    randomkeyCommand,
  ),
  spec(
    "rename",
    3,
    "write",
    [1, 2, 1],
    "generic",
    "Renames a key and overwrites the destination.",
    "1.0.0",
    (c) => renameGeneric(c, false),
  ),
  spec(
    "renamenx",
    3,
    "write fast",
    [1, 2, 1],
    "generic",
    "Renames a key only when the target key name doesn't exist.",
    "1.0.0",
    (c) => renameGeneric(c, true),
  ),
  spec(
    "move",
    3,
    "write fast",
    [1, 1, 1],
    "generic",
    "Moves a key to another database.",
    "1.0.0",
    moveCommand,
  ),
  spec(
    "copy",
    -3,
    "write denyoom",
    [1, 2, 1],
    "generic",
    "Copies the value of a key to a new key.",
    "6.2.0",
    copyCommand,
  ),
  spec(
    "touch",
    -2,
    "readonly fast",
    [1, -1, 1],
    "generic",
    "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
    "3.2.1",
    touchCommand,
  ),
  spec(
    "dbsize",
    1,
    "readonly fast",
    [0, 0, 0],
    "server",
    "Returns the number of keys in the database.",
    "1.0.0",
    dbsizeCommand,
  ),
  spec(
    "flushdb",
    -1,
    "write",
    [0, 0, 0],
    "server",
    "Remove all keys from the current database.",
    "1.0.0",
    flushdbCommand,
  ),
  spec(
    "flushall",
    -1,
    "write",
    [0, 0, 0],
    "server",
    "Removes all keys from all databases.",
    "1.0.0",
    flushallCommand,
  ),
  spec("swapdb", 3, "write fast", [0, 0, 0], "server", "Swaps two Redis databases.", "4.0.0", swapdbCommand),
] satisfies CommandSpec[];
