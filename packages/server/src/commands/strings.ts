/**
 * String commands (t_string.c), the GET/SET family: SET with its options, SETNX/SETEX/PSETEX,
 * GET, GETDEL, GETEX, GETSET, MGET/MSET/MSETNX, APPEND, STRLEN. Values are one-byte-per-char JS
 * strings. Relative expiries are propagated as absolute ones (SET ... PXAT, PEXPIREAT), GETEX as
 * PEXPIREAT/PERSIST/DEL. Counters are in string-counters.ts, ranges and LCS in string-ranges.ts.
 */

import { shared } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { STR_ENC_RAW } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { INT64_MAX, is, parseInt64 } from "./args.js";
import {
  checkStringLength,
  modified,
  modifiedEntry,
  readStringOrReply,
  WRONGTYPE,
  writeStringOrReply,
} from "./common.js";
import { OW_UPDATE, RW_ACCESS_UPDATE } from "./key-specs.js";
import { type CommandSpec, spec } from "./spec.js";

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;
const SET_EX = 16;
const SET_PX = 32;
const SET_EXAT = 64;
const SET_PXAT = 128;
const EXPIRE_FLAGS = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/**
 * Parses the expiry argument of SET/GETEX/SETEX/PSETEX into an absolute ms time; null after
 * replying. Mirrors getExpireMillisecondsOrReply: a non-positive value, a seconds value that
 * would overflow when scaled, or a relative time that overflows int64 is invalid. Times beyond
 * 2^53 ms (year 285616) are accepted and kept as the nearest double.
 */
export function expireArgToAbsMs(c: Client, arg: string, flag: number, commandName: string): number | null {
  const n = parseInt64(arg);
  if (n === null) {
    c.error("ERR value is not an integer or out of range");
    return null;
  }
  const seconds = flag === SET_EX || flag === SET_EXAT;
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n)) {
    c.error(`ERR invalid expire time in '${commandName}' command`);
    return null;
  }
  let ms = seconds ? n * 1000n : n;
  if (flag === SET_EX || flag === SET_PX) ms += BigInt(clock.ms);
  if (ms > INT64_MAX) {
    c.error(`ERR invalid expire time in '${commandName}' command`);
    return null;
  }
  return Number(ms);
}

interface SetOptions {
  flags: number;
  expireArg: string | null;
  expireFlag: number;
}

const SET_PERSIST = 256;

/**
 * parseExtendedStringArgumentsOrReply for SET (`forSet`) and GETEX, from argv[start]. As in
 * Redis, an option may repeat (the last expiry wins) but may not be combined with a conflicting
 * one: NX/XX, the four expiry forms, KEEPTTL (SET) and PERSIST (GETEX).
 */
function parseSetOptions(c: Client, start: number, forSet: boolean): SetOptions | null {
  const argv = c.argv;
  let flags = 0;
  let expireArg: string | null = null;
  let expireFlag = 0;
  for (let i = start; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    const hasNext = i + 1 < argv.length;
    if (a === "nx" && forSet && (flags & SET_XX) === 0) flags |= SET_NX;
    else if (a === "xx" && forSet && (flags & SET_NX) === 0) flags |= SET_XX;
    else if (a === "get" && forSet) flags |= SET_GET;
    else if (a === "keepttl" && forSet && (flags & (EXPIRE_FLAGS | SET_PERSIST)) === 0) flags |= SET_KEEPTTL;
    else if (a === "persist" && !forSet && (flags & (EXPIRE_FLAGS | SET_KEEPTTL)) === 0) flags |= SET_PERSIST;
    else if ((a === "ex" || a === "px" || a === "exat" || a === "pxat") && hasNext) {
      const flag = a === "ex" ? SET_EX : a === "px" ? SET_PX : a === "exat" ? SET_EXAT : SET_PXAT;
      if ((flags & (SET_KEEPTTL | SET_PERSIST | (EXPIRE_FLAGS & ~flag))) !== 0) {
        c.error("ERR syntax error");
        return null;
      }
      expireFlag = flag;
      flags |= flag;
      expireArg = argv[++i];
    } else {
      c.error("ERR syntax error");
      return null;
    }
  }
  return { flags, expireArg, expireFlag };
}

/**
 * setGenericCommand: shared by SET, SETNX, SETEX, PSETEX. `expireAt` is absolute ms or -1.
 * Replies per the flags; returns nothing.
 */
function setGeneric(
  c: Client,
  key: string,
  value: string,
  flags: number,
  expireAt: number,
  okReply: boolean,
): void {
  const db = c.db;
  let old: string | null = null;
  if ((flags & SET_GET) !== 0) {
    // getGenericCommand's read lookup: statistics and keymiss, as Redis.
    const v = readStringOrReply(c, key);
    if (v === undefined) return;
    old = v;
  }
  const exists = (flags & SET_GET) !== 0 ? old !== null : db.write(key) !== undefined;
  if (((flags & SET_NX) !== 0 && exists) || ((flags & SET_XX) !== 0 && !exists)) {
    if ((flags & SET_GET) !== 0) {
      if (old === null) c.out.nullBulk();
      else c.out.bulk(old);
    } else if (okReply) {
      c.out.nullBulk();
    } else {
      c.out.raw(shared.ZERO);
    }
    return;
  }
  const entry = db.set(key, value, (flags & SET_KEEPTTL) !== 0);
  modifiedEntry(c, db, entry, "$", "set");
  if (expireAt >= 0) {
    db.setExpire(entry, expireAt);
    c.server.notify("g", "expire", key, db.id);
    // Propagated as an absolute PXAT so replicas and the AOF agree, in Redis's exact form
    // (options such as NX or GET dropped) even when the client sent PXAT itself.
    c.argv = ["SET", key, value, "PXAT", String(expireAt)];
  } else if ((flags & SET_GET) !== 0) {
    c.argv = c.argv.filter((a, i) => i < 3 || !is(a, "get"));
  }
  if ((flags & SET_GET) !== 0) {
    if (old === null) c.out.nullBulk();
    else c.out.bulk(old);
  } else if (okReply) {
    c.out.raw(shared.OK);
  } else {
    c.out.raw(shared.ONE);
  }
}

function setCommand(c: Client): void {
  // Plain SET key value: no options object to build.
  if (c.argv.length === 3) {
    setGeneric(c, c.argv[1], c.argv[2], 0, -1, true);
    return;
  }
  const opts = parseSetOptions(c, 3, true);
  if (opts === null) return;
  let expireAt = -1;
  if (opts.expireArg !== null) {
    const at = expireArgToAbsMs(c, opts.expireArg, opts.expireFlag, "set");
    if (at === null) return;
    expireAt = at;
  }
  setGeneric(c, c.argv[1], c.argv[2], opts.flags, expireAt, true);
}

function setnxCommand(c: Client): void {
  setGeneric(c, c.argv[1], c.argv[2], SET_NX, -1, false);
}

function setexCommand(c: Client): void {
  const at = expireArgToAbsMs(c, c.argv[2], SET_EX, "setex");
  if (at === null) return;
  setGeneric(c, c.argv[1], c.argv[3], 0, at, true);
}

function psetexCommand(c: Client): void {
  const at = expireArgToAbsMs(c, c.argv[2], SET_PX, "psetex");
  if (at === null) return;
  setGeneric(c, c.argv[1], c.argv[3], 0, at, true);
}

function getCommand(c: Client): void {
  const v = c.db.read(c.argv[1]);
  if (v === undefined) c.out.nullBulk();
  else if (typeof v === "string") c.out.bulk(v);
  else c.error(WRONGTYPE);
}

function getdelCommand(c: Client): void {
  const key = c.argv[1];
  // getGenericCommand's read lookup: statistics and keymiss, as Redis.
  const v = readStringOrReply(c, key);
  if (v === undefined) return;
  if (v === null) {
    c.out.nullBulk();
    return;
  }
  c.db.delete(key);
  c.server.signalDeletedKey(c.db, key);
  c.server.notify("g", "del", key, c.db.id);
  c.server.dirty++;
  c.out.bulk(v);
  c.argv = ["DEL", key];
}

function getexCommand(c: Client): void {
  const opts = parseSetOptions(c, 2, false);
  if (opts === null) return;
  const key = c.argv[1];
  const db = c.db;
  // Like getexCommand: the key is looked up (and type-checked) before the expiry is validated.
  const entry = db.lookup(key, 0);
  if (entry === undefined) {
    c.out.nullBulk();
    return;
  }
  if (typeof entry.value !== "string") {
    c.error(WRONGTYPE);
    return;
  }
  let at = -1;
  if (opts.expireArg !== null) {
    const parsed = expireArgToAbsMs(c, opts.expireArg, opts.expireFlag, "getex");
    if (parsed === null) return;
    at = parsed;
  }
  const value = entry.value;
  const server = c.server;
  if (at >= 0 && at <= clock.ms && !server.loading && !server.isReplica()) {
    // An absolute expiry in the past deletes the key (checkAlreadyExpired), propagated as DEL.
    db.delete(key);
    server.signalDeletedKey(db, key);
    server.notify("g", "del", key, db.id);
    server.dirty++;
    c.argv = [server.config.bool("lazyfree-lazy-expire") ? "UNLINK" : "DEL", key];
  } else if (at >= 0) {
    db.setExpire(entry, at);
    server.signalModifiedKey(db, key);
    server.notify("g", "expire", key, db.id);
    server.dirty++;
    c.argv = ["PEXPIREAT", key, String(at)];
  } else if ((opts.flags & SET_PERSIST) !== 0 && db.removeExpire(entry)) {
    server.signalModifiedKey(db, key);
    server.notify("g", "persist", key, db.id);
    server.dirty++;
    c.argv = ["PERSIST", key];
  }
  c.out.bulk(value);
}

function getsetCommand(c: Client): void {
  const key = c.argv[1];
  const old = readStringOrReply(c, key);
  if (old === undefined) return;
  c.db.set(key, c.argv[2]);
  modified(c, c.db, key, "$", "set");
  if (old === null) c.out.nullBulk();
  else c.out.bulk(old);
  // Propagate as SET (GETSET's reply is not needed downstream).
  c.argv = ["SET", key, c.argv[2]];
}

function mgetCommand(c: Client): void {
  const argv = c.argv;
  const out = c.out;
  out.arrayHeader(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = c.db.read(argv[i]);
    if (typeof v === "string") out.bulk(v);
    else out.nullBulk();
  }
}

function msetGeneric(c: Client, nx: boolean): void {
  const argv = c.argv;
  if (argv.length % 2 === 0) {
    c.error(`ERR wrong number of arguments for '${nx ? "msetnx" : "mset"}' command`);
    return;
  }
  const db = c.db;
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) {
      if (db.write(argv[i]) !== undefined) {
        c.out.raw(shared.ZERO);
        return;
      }
    }
  }
  for (let i = 1; i < argv.length; i += 2) modifiedEntry(c, db, db.set(argv[i], argv[i + 1]), "$", "set");
  c.out.raw(nx ? shared.ONE : shared.OK);
}

function appendCommand(c: Client): void {
  const key = c.argv[1];
  const db = c.db;
  const old = writeStringOrReply(c, key);
  if (old === undefined) return;
  const add = c.argv[2];
  const total = (old?.length ?? 0) + add.length;
  if (old !== null && !checkStringLength(c, total)) return;
  const next = old === null ? add : old + add;
  if (old === null) db.add(key, next);
  else {
    const entry = db.peek(key)!;
    db.overwrite(entry, next);
    entry.strEncoding = STR_ENC_RAW;
  }
  modified(c, db, key, "$", "append");
  c.out.integer(next.length);
}

function strlenCommand(c: Client): void {
  const v = readStringOrReply(c, c.argv[1]);
  if (v === undefined) return;
  c.out.integer(v === null ? 0 : v.length);
}

export const stringCommands = [
  spec(
    "get",
    2,
    "readonly fast",
    [1, 1, 1],
    "string",
    "Returns the string value of a key.",
    "1.0.0",
    getCommand,
  ),
  spec(
    "set",
    -3,
    "write denyoom",
    [1, 1, 1],
    "string",
    "Sets the string value of a key.",
    "1.0.0",
    setCommand,
    // setGetKeys: the old value is read only when GET asks for it.
    { foundKeyFlags: (argv) => (argv.slice(3).some((a) => is(a, "get")) ? RW_ACCESS_UPDATE : OW_UPDATE) },
  ),
  spec(
    "setnx",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Set the string value of a key only when the key doesn't exist.",
    "1.0.0",
    setnxCommand,
  ),
  spec(
    "setex",
    4,
    "write denyoom",
    [1, 1, 1],
    "string",
    "Sets the string value and expiration time of a key.",
    "2.0.0",
    setexCommand,
  ),
  spec(
    "psetex",
    4,
    "write denyoom",
    [1, 1, 1],
    "string",
    "Sets both string value and expiration time in milliseconds of a key.",
    "2.6.0",
    psetexCommand,
  ),
  spec(
    "getdel",
    2,
    "write fast",
    [1, 1, 1],
    "string",
    "Returns the string value of a key after deleting the key.",
    "6.2.0",
    getdelCommand,
  ),
  spec(
    "getex",
    -2,
    "write fast",
    [1, 1, 1],
    "string",
    "Returns the string value of a key after setting its expiration time.",
    "6.2.0",
    getexCommand,
  ),
  spec(
    "getset",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Returns the previous string value of a key after setting it to a new value.",
    "1.0.0",
    getsetCommand,
  ),
  spec(
    "mget",
    -2,
    "readonly fast",
    [1, -1, 1],
    "string",
    "Atomically returns the string values of one or more keys.",
    "1.0.0",
    mgetCommand,
  ),
  spec(
    "mset",
    -3,
    "write denyoom",
    [1, -1, 2],
    "string",
    "Atomically creates or modifies the string values of one or more keys.",
    "1.0.1",
    (c) => msetGeneric(c, false),
  ),
  spec(
    "msetnx",
    -3,
    "write denyoom",
    [1, -1, 2],
    "string",
    "Atomically modifies the string values of one or more keys only when all keys don't exist.",
    "1.0.1",
    (c) => msetGeneric(c, true),
  ),
  spec(
    "append",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Appends a string to the value of a key. Creates the key if it doesn't exist.",
    "2.0.0",
    appendCommand,
  ),
  spec(
    "strlen",
    2,
    "readonly fast",
    [1, 1, 1],
    "string",
    "Returns the length of a string value.",
    "2.2.0",
    strlenCommand,
  ),
] satisfies CommandSpec[];
