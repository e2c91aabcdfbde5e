/**
 * Generic keyspace commands (db.c, object.c): DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY,
 * RENAME(NX), MOVE, COPY, TOUCH, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, OBJECT.
 */

import { shared } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { type Db, LOOKUP_NOSTATS, LOOKUP_NOTOUCH, LOOKUP_WRITE } from "../keyspace/db.js";
import { lfuDecayedCounter, lruIdleSeconds } from "../keyspace/lru.js";
import { type Entry, STR_ENC_NO_INT, STR_ENC_RAW, typeOf, type Value } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { intOrReply, is, parseInteger } from "./args.js";
import { type CommandSpec, container, spec } from "./spec.js";

/** Deletes keys given as arguments from 1; returns how many existed. */
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

/** Parses a SCAN cursor (parseScanCursorOrReply): an unsigned 64-bit decimal. */
export function parseCursorOrReply(c: Client, text: string): number | null {
  // strtoul: an optional sign, then digits; "-1" wraps to 2^64-1 (past every slot here).
  const m = /^([+-]?)(\d+)$/.exec(text);
  const value = m === null ? -1n : BigInt(m[2]);
  if (m === null || value > 18446744073709551615n) {
    c.error("ERR invalid cursor");
    return null;
  }
  if (m[1] === "-" && value !== 0n) return Number.MAX_SAFE_INTEGER;
  return Number(value);
}

export interface ScanOptions {
  count: number;
  pattern: string | null;
  type: string | null;
}

/** Parses `[MATCH pattern] [COUNT count] [TYPE type]` from argv[start]; null after replying. */
export function parseScanOptions(c: Client, start: number, allowType: boolean): ScanOptions | null {
  const argv = c.argv;
  const opts: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = start; i < argv.length; i += 2) {
    const a = argv[i];
    if (i + 1 >= argv.length) {
      c.error("ERR syntax error");
      return null;
    }
    if (is(a, "count")) {
      const n = intOrReply(c, argv[i + 1]);
      if (n === null) return null;
      if (n < 1) {
        c.error("ERR syntax error");
        return null;
      }
      opts.count = n;
    } else if (is(a, "match")) {
      opts.pattern = argv[i + 1] === "*" ? null : argv[i + 1];
    } else if (is(a, "type") && allowType) {
      opts.type = argv[i + 1].toLowerCase();
    } else {
      c.error("ERR syntax error");
      return null;
    }
  }
  return opts;
}

/** Writes the `[cursor, [items...]]` reply of every SCAN family command. */
export function replyScan(c: Client, cursor: number, items: readonly string[]): void {
  c.out.arrayHeader(2);
  c.out.bulk(String(cursor));
  c.out.arrayHeader(items.length);
  for (const item of items) c.out.bulk(item);
}

/**
 * SCAN over the db's slot array: a cursor is a slot index, and entries never move while they
 * live, so every key present during the whole iteration is returned exactly once.
 */
function scanCommand(c: Client): void {
  const cursor = parseCursorOrReply(c, c.argv[1]);
  if (cursor === null) return;
  const opts = parseScanOptions(c, 2, true);
  if (opts === null) return;
  const db = c.db;
  const found: Entry[] = [];
  let slot = cursor;
  const end = db.slotCount;
  const maxVisits = opts.count * 10;
  let visits = 0;
  while (slot < end && found.length < opts.count && visits < maxVisits) {
    const entry = db.entryAt(slot);
    if (entry) found.push(entry);
    slot++;
    visits++;
  }
  const next = slot >= end ? 0 : slot;
  const keys: string[] = [];
  for (const entry of found) {
    if (opts.pattern !== null && !globMatch(opts.pattern, entry.key)) continue;
    if (opts.type !== null && typeOf(entry.value) !== opts.type) continue;
    // Expired keys are filtered (and deleted on a master) like expireIfNeeded in scanGenericCommand.
    if (entry.expireAt >= 0 && entry.expireAt < clock.ms) {
      db.lookup(entry.key, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
      continue;
    }
    keys.push(entry.key);
  }
  replyScan(c, next, keys);
}

function randomkeyCommand(c: Client): void {
  const db = c.db;
  // Like dbRandomKey: skip expired keys, deleting them on a master, with a bounded number of tries.
  for (let tries = 0; tries < 100; tries++) {
    const entry = db.randomEntry();
    if (entry === undefined) break;
    if (entry.expireAt >= 0 && entry.expireAt < clock.ms) {
      if (!c.server.isReplica()) {
        db.lookup(entry.key, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
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
  c.server.dirty += Math.max(1, removed);
  c.out.raw(shared.OK);
}

function flushallCommand(c: Client): void {
  if (flushMode(c) === null) return;
  let removed = 0;
  for (const db of c.server.dbs) removed += flushDb(c, db);
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

/** OBJECT ENCODING of a string value (see Entry.strEncoding). */
export function entryStringEncoding(entry: Entry, value: string): string {
  if (entry.strEncoding === STR_ENC_RAW) return "raw";
  if (entry.strEncoding === STR_ENC_NO_INT) return value.length <= 44 ? "embstr" : "raw";
  return stringEncoding(value);
}

/** OBJECT ENCODING of a string, as tryObjectEncoding would leave a value set by SET. */
export function stringEncoding(value: string): string {
  if (value.length <= 20 && /^-?(0|[1-9]\d*)$/.test(value) && value !== "-0") {
    const n = BigInt(value);
    if (n >= -9223372036854775808n && n <= 9223372036854775807n) return "int";
  }
  return value.length <= 44 ? "embstr" : "raw";
}

function objectEntry(c: Client): Entry | undefined {
  const entry = c.db.lookup(c.argv[2], LOOKUP_NOTOUCH);
  if (entry === undefined) c.out.nullBulk();
  return entry;
}

function objectEncodingCommand(c: Client): void {
  const entry = objectEntry(c);
  if (entry === undefined) return;
  const v = entry.value;
  c.out.bulk(typeof v === "string" ? entryStringEncoding(entry, v) : v.encoding());
}

function objectFreqCommand(c: Client): void {
  const entry = objectEntry(c);
  if (entry === undefined) return;
  if (!c.server.lfuMode) {
    c.error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  c.out.integer(lfuDecayedCounter(entry.lru, c.server.lfuSettings));
}

function objectIdletimeCommand(c: Client): void {
  const entry = objectEntry(c);
  if (entry === undefined) return;
  if (c.server.lfuMode) {
    c.error(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  c.out.integer(lruIdleSeconds(entry.lru));
}

function objectRefcountCommand(c: Client): void {
  const entry = objectEntry(c);
  if (entry === undefined) return;
  const v = entry.value;
  // Redis shares the integers 0..9999 (OBJ_SHARED_REFCOUNT) unless an LRU/LFU policy needs per-key fields.
  const policy = c.server.config.str("maxmemory-policy");
  const shared =
    typeof v === "string" &&
    entryStringEncoding(entry, v) === "int" &&
    Number(v) >= 0 &&
    Number(v) < 10000 &&
    (c.server.config.num("maxmemory") === 0 || !/lru|lfu/.test(policy));
  c.out.integer(shared ? 2147483647 : 1);
}

function objectHelpCommand(c: Client): void {
  const lines = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
  ];
  c.out.arrayHeader(lines.length);
  for (const l of lines) c.out.simple(l);
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
    "scan",
    -2,
    "readonly",
    [0, 0, 0],
    "generic",
    "Iterates over the key names in the database.",
    "2.8.0",
    scanCommand,
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
  container("object", -2, "generic", "A container for object introspection commands.", "2.2.3", [
    spec(
      "encoding",
      3,
      "readonly",
      [2, 2, 1],
      "generic",
      "Returns the internal encoding of a Redis object.",
      "2.2.3",
      objectEncodingCommand,
    ),
    spec(
      "freq",
      3,
      "readonly",
      [2, 2, 1],
      "generic",
      "Returns the logarithmic access frequency counter of a Redis object.",
      "4.0.0",
      objectFreqCommand,
    ),
    spec(
      "idletime",
      3,
      "readonly",
      [2, 2, 1],
      "generic",
      "Returns the time since the last access to a Redis object.",
      "2.2.3",
      objectIdletimeCommand,
    ),
    spec(
      "refcount",
      3,
      "readonly",
      [2, 2, 1],
      "generic",
      "Returns the reference count of a value of a key.",
      "2.2.3",
      objectRefcountCommand,
    ),
    spec(
      "help",
      2,
      "loading stale",
      [0, 0, 0],
      "generic",
      "Returns helpful text about the different subcommands.",
      "6.2.0",
      objectHelpCommand,
    ),
  ]),
] satisfies CommandSpec[];
