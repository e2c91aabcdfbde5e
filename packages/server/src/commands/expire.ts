/**
 * Expiry commands (expire.c): EXPIRE family with NX/XX/GT/LT, TTL/PTTL, EXPIRETIME/PEXPIRETIME,
 * PERSIST. Relative expiries are propagated as PEXPIREAT with the absolute time, and an expiry
 * already in the past deletes the key and propagates DEL (or UNLINK with lazyfree-lazy-expire).
 */

import { shared } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { LOOKUP_NOSTATS, LOOKUP_NOTOUCH, LOOKUP_WRITE } from "../keyspace/db.js";
import type { Client } from "../network/client.js";
import { INT64_MAX, INT64_MIN, is, parseInt64 } from "./args.js";
import { type CommandSpec, spec } from "./spec.js";

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

function parseExpireFlags(c: Client): number | null {
  const argv = c.argv;
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i];
    if (is(a, "nx")) flags |= NX;
    else if (is(a, "xx")) flags |= XX;
    else if (is(a, "gt")) flags |= GT;
    else if (is(a, "lt")) flags |= LT;
    else {
      c.error(`ERR Unsupported option ${a}`);
      return null;
    }
  }
  if ((flags & NX) !== 0 && (flags & (XX | GT | LT)) !== 0) {
    c.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return null;
  }
  if ((flags & GT) !== 0 && (flags & LT) !== 0) {
    c.error("ERR GT and LT options at the same time are not compatible");
    return null;
  }
  return flags;
}

/** expireGenericCommand: `relative` adds the current time; `seconds` scales by 1000. */
function expireGeneric(c: Client, relative: boolean, seconds: boolean): void {
  const key = c.argv[1];
  const flags = parseExpireFlags(c);
  if (flags === null) return;
  let when = parseInt64(c.argv[2]);
  if (when === null) {
    c.error("ERR value is not an integer or out of range");
    return;
  }
  const invalid = `ERR invalid expire time in '${c.cmd!.fullName}' command`;
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) {
      c.error(invalid);
      return;
    }
    when *= 1000n;
  }
  const base = relative ? BigInt(clock.ms) : 0n;
  if (when > INT64_MAX - base) {
    c.error(invalid);
    return;
  }
  when += base;
  const db = c.db;
  const entry = db.lookup(key, LOOKUP_WRITE | LOOKUP_NOSTATS);
  if (entry === undefined) {
    c.out.raw(shared.ZERO);
    return;
  }
  const whenMs = Number(when);
  if (flags !== 0) {
    const current = entry.expireAt;
    if ((flags & NX) !== 0 && current !== -1) return void c.out.raw(shared.ZERO);
    if ((flags & XX) !== 0 && current === -1) return void c.out.raw(shared.ZERO);
    if ((flags & GT) !== 0 && (current === -1 || whenMs <= current)) return void c.out.raw(shared.ZERO);
    if ((flags & LT) !== 0 && current !== -1 && whenMs >= current) return void c.out.raw(shared.ZERO);
  }
  const server = c.server;
  if (whenMs <= clock.ms && !server.loading && !server.isReplica()) {
    db.delete(key);
    server.dirty++;
    c.argv = [server.config.bool("lazyfree-lazy-expire") ? "UNLINK" : "DEL", key];
    server.signalDeletedKey(db, key);
    server.notify("g", "del", key, db.id);
    c.out.raw(shared.ONE);
    return;
  }
  db.setExpire(entry, whenMs);
  c.argv = ["PEXPIREAT", key, String(when), ...c.argv.slice(3)];
  server.signalModifiedKey(db, key);
  server.notify("g", "expire", key, db.id);
  server.dirty++;
  c.out.raw(shared.ONE);
}

/** ttlGenericCommand: `ms` for milliseconds, `absolute` for EXPIRETIME. */
function ttlGeneric(c: Client, ms: boolean, absolute: boolean): void {
  const entry = c.db.lookup(c.argv[1], LOOKUP_NOTOUCH);
  if (entry === undefined) {
    c.out.raw(shared.MINUS_TWO);
    return;
  }
  if (entry.expireAt === -1) {
    c.out.raw(shared.MINUS_ONE);
    return;
  }
  let ttl = absolute ? entry.expireAt : entry.expireAt - clock.ms;
  if (ttl < 0) ttl = 0;
  c.out.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function persistCommand(c: Client): void {
  const key = c.argv[1];
  const db = c.db;
  const entry = db.lookup(key, LOOKUP_WRITE | LOOKUP_NOSTATS);
  if (entry === undefined || !db.removeExpire(entry)) {
    c.out.raw(shared.ZERO);
    return;
  }
  c.server.signalModifiedKey(db, key);
  c.server.notify("g", "persist", key, db.id);
  c.server.dirty++;
  c.out.raw(shared.ONE);
}

export const expireCommands = [
  spec(
    "expire",
    -3,
    "write fast",
    [1, 1, 1],
    "generic",
    "Sets the expiration time of a key in seconds.",
    "1.0.0",
    (c) => expireGeneric(c, true, true),
  ),
  spec(
    "pexpire",
    -3,
    "write fast",
    [1, 1, 1],
    "generic",
    "Sets the expiration time of a key in milliseconds.",
    "2.6.0",
    (c) => expireGeneric(c, true, false),
  ),
  spec(
    "expireat",
    -3,
    "write fast",
    [1, 1, 1],
    "generic",
    "Sets the expiration time of a key to a Unix timestamp.",
    "1.2.0",
    (c) => expireGeneric(c, false, true),
  ),
  spec(
    "pexpireat",
    -3,
    "write fast",
    [1, 1, 1],
    "generic",
    "Sets the expiration time of a key to a Unix milliseconds timestamp.",
    "2.6.0",
    (c) => expireGeneric(c, false, false),
  ),
  spec(
    "ttl",
    2,
    "readonly fast",
    [1, 1, 1],
    "generic",
    "Returns the expiration time in seconds of a key.",
    "1.0.0",
    (c) => ttlGeneric(c, false, false),
  ),
  spec(
    "pttl",
    2,
    "readonly fast",
    [1, 1, 1],
    "generic",
    "Returns the expiration time in milliseconds of a key.",
    "2.6.0",
    (c) => ttlGeneric(c, true, false),
  ),
  spec(
    "expiretime",
    2,
    "readonly fast",
    [1, 1, 1],
    "generic",
    "Returns the expiration time of a key as a Unix timestamp.",
    "7.0.0",
    (c) => ttlGeneric(c, false, true),
  ),
  spec(
    "pexpiretime",
    2,
    "readonly fast",
    [1, 1, 1],
    "generic",
    "Returns the expiration time of a key as a Unix milliseconds timestamp.",
    "7.0.0",
    (c) => ttlGeneric(c, true, true),
  ),
  spec(
    "persist",
    2,
    "write fast",
    [1, 1, 1],
    "generic",
    "Removes the expiration time of a key.",
    "2.2.0",
    persistCommand,
  ),
] satisfies CommandSpec[];
