/**
 * String commands (t_string.c): GET/SET and their variants, counters, ranges, LCS. Values are
 * one-byte-per-char JS strings. Commands whose effect depends on the clock or on randomness are
 * propagated in a deterministic form: relative expiries as SET ... PXAT / PEXPIREAT, INCRBYFLOAT
 * as SET ... KEEPTTL, GETEX as PEXPIREAT/PERSIST/DEL.
 */

import { shared } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { STR_ENC_NO_INT, STR_ENC_RAW } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from "../util/long-double.js";
import { INT64_MAX, INT64_MIN, intOrReply, is, parseInt64 } from "./args.js";
import { checkStringLength, modified, readStringOrReply, WRONGTYPE, writeStringOrReply } from "./common.js";
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
    const v = writeStringOrReply(c, key);
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
  modified(c, db, key, "$", "set");
  if (expireAt >= 0) {
    db.setExpire(entry, expireAt);
    c.server.notify("g", "expire", key, db.id);
    // Propagate relative expiries as an absolute PXAT so replicas and the AOF agree.
    if ((flags & SET_PXAT) === 0) c.argv = ["SET", key, value, "PXAT", String(expireAt)];
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
  const v = writeStringOrReply(c, key);
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
  const old = writeStringOrReply(c, key);
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
  for (let i = 1; i < argv.length; i += 2) {
    db.set(argv[i], argv[i + 1]);
    modified(c, db, argv[i], "$", "set");
  }
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

/**
 * INCR/DECR/INCRBY/DECRBY (incrDecrCommand): exact int64 arithmetic. The fast path stays in JS
 * numbers while both sides are far from 2^53; otherwise BigInt decides overflow exactly.
 */
function incrDecr(c: Client, incr: bigint | number): void {
  const key = c.argv[1];
  const db = c.db;
  const old = writeStringOrReply(c, key);
  if (old === undefined) return;
  let current: bigint | number = 0;
  if (old !== null) {
    if (old.length <= 15 && /^-?(0|[1-9]\d*)$/.test(old) && old !== "-0") {
      current = Number(old);
    } else {
      const big = parseInt64(old);
      if (big === null) {
        c.error("ERR value is not an integer or out of range");
        return;
      }
      current = big;
    }
  }
  let result: string;
  if (
    typeof current === "number" &&
    typeof incr === "number" &&
    Math.abs(current) < 2 ** 52 &&
    Math.abs(incr) < 2 ** 52
  ) {
    result = String(current + incr);
  } else {
    const sum = BigInt(current) + BigInt(incr);
    if (sum > INT64_MAX || sum < INT64_MIN) {
      c.error("ERR increment or decrement would overflow");
      return;
    }
    result = sum.toString();
  }
  if (old === null) db.add(key, result);
  else db.overwrite(db.peek(key)!, result);
  modified(c, db, key, "$", "incrby");
  c.out.rawLatin1(`:${result}\r\n`);
}

function incrCommand(c: Client): void {
  incrDecr(c, 1);
}
function decrCommand(c: Client): void {
  incrDecr(c, -1);
}
function incrbyCommand(c: Client): void {
  const n = parseInt64(c.argv[2]);
  if (n === null) {
    c.error("ERR value is not an integer or out of range");
    return;
  }
  incrDecr(c, n >= -(2n ** 52n) && n <= 2n ** 52n ? Number(n) : n);
}
function decrbyCommand(c: Client): void {
  const n = parseInt64(c.argv[2]);
  if (n === null) {
    c.error("ERR value is not an integer or out of range");
    return;
  }
  if (n === INT64_MIN) {
    c.error("ERR decrement would overflow");
    return;
  }
  incrDecr(c, n >= -(2n ** 52n) && n <= 2n ** 52n ? -Number(n) : -n);
}

/**
 * The sum of a stored float and an increment as Redis computes it (long double, "%.17Lf"
 * trimmed). Returns the text, or an error text to reply. Shared with HINCRBYFLOAT.
 */
export function incrByFloatText(
  current: string | null,
  increment: string,
  storedName: "value" | "hash value",
): { ok: string } | { err: string } {
  const incr = parseLongDouble(increment);
  if (incr === null) return { err: "ERR value is not a valid float" };
  let base = current === null ? { mantissa: 0n, exponent: 0 } : parseLongDouble(current);
  if (base === null || (current !== null && /\s/.test(current))) {
    return {
      err: storedName === "value" ? "ERR value is not a valid float" : "ERR hash value is not a float",
    };
  }
  if (base === "inf" || base === "-inf" || incr === "inf" || incr === "-inf") {
    return { err: "ERR increment would produce NaN or Infinity" };
  }
  base = base as Exclude<typeof base, string>;
  const sum = addLongDouble(base, incr);
  if (sum === null) return { err: "ERR increment would produce NaN or Infinity" };
  return { ok: formatLongDoubleHuman(sum) };
}

function incrbyfloatCommand(c: Client): void {
  const key = c.argv[1];
  const db = c.db;
  const old = writeStringOrReply(c, key);
  if (old === undefined) return;
  const result = incrByFloatText(old, c.argv[2], "value");
  if ("err" in result) {
    c.error(result.err);
    return;
  }
  const text = result.ok;
  const entry = old === null ? db.add(key, text) : db.peek(key)!;
  if (old !== null) db.overwrite(entry, text);
  entry.strEncoding = STR_ENC_NO_INT;
  modified(c, db, key, "$", "incrbyfloat");
  c.out.bulk(text);
  // Float formatting may differ between platforms: propagate the result, keeping the TTL.
  c.argv = ["SET", key, text, "KEEPTTL"];
}

/** GETRANGE/SUBSTR index normalization (getrangeCommand). */
function getrangeCommand(c: Client): void {
  let start = intOrReply(c, c.argv[2]);
  if (start === null) return;
  let end = intOrReply(c, c.argv[3]);
  if (end === null) return;
  const v = readStringOrReply(c, c.argv[1]);
  if (v === undefined) return;
  if (v === null) {
    c.out.raw(shared.EMPTY_BULK);
    return;
  }
  const len = v.length;
  if (start < 0 && end < 0 && start > end) {
    c.out.raw(shared.EMPTY_BULK);
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) {
    c.out.raw(shared.EMPTY_BULK);
    return;
  }
  c.out.bulk(v.slice(start, end + 1));
}

function setrangeCommand(c: Client): void {
  const key = c.argv[1];
  const offset = intOrReply(c, c.argv[2]);
  if (offset === null) return;
  if (offset < 0) {
    c.error("ERR offset is out of range");
    return;
  }
  const value = c.argv[3];
  const db = c.db;
  const old = writeStringOrReply(c, key);
  if (old === undefined) return;
  if (old === null && value.length === 0) {
    c.out.raw(shared.ZERO);
    return;
  }
  if (value.length === 0) {
    c.out.integer(old!.length);
    return;
  }
  if (!checkStringLength(c, offset + value.length)) return;
  const base = old ?? "";
  const padded = base.length < offset ? base + "\0".repeat(offset - base.length) : base;
  const next = padded.slice(0, offset) + value + padded.slice(offset + value.length);
  const entry = old === null ? db.add(key, next) : db.peek(key)!;
  if (old !== null) db.overwrite(entry, next);
  entry.strEncoding = STR_ENC_RAW;
  modified(c, db, key, "$", "setrange");
  c.out.integer(next.length);
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] (lcsCommand). */
function lcsCommand(c: Client): void {
  const argv = c.argv;
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (a === "idx") getIdx = true;
    else if (a === "len") getLen = true;
    else if (a === "withmatchlen") withMatchLen = true;
    else if (a === "minmatchlen" && i + 1 < argv.length) {
      const n = intOrReply(c, argv[++i]);
      if (n === null) return;
      minMatchLen = Math.max(0, n);
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  const a = readStringOrReply(c, argv[1]);
  if (a === undefined) return;
  const b = readStringOrReply(c, argv[2]);
  if (b === undefined) return;
  if (getIdx && getLen) {
    c.error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  const sa = a ?? "";
  const sb = b ?? "";
  const alen = sa.length;
  const blen = sb.length;
  if ((alen + 1) * (blen + 1) * 4 > c.server.config.num("proto-max-bulk-len")) {
    c.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  // Dynamic programming table of LCS lengths of suffixes, as Redis builds it.
  const width = blen + 1;
  const dp = new Uint32Array((alen + 1) * width);
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      dp[i * width + j] =
        sa.charCodeAt(i - 1) === sb.charCodeAt(j - 1)
          ? dp[(i - 1) * width + j - 1] + 1
          : Math.max(dp[(i - 1) * width + j], dp[i * width + j - 1]);
    }
  }
  const lcsLen = dp[alen * width + blen];
  if (getLen) {
    c.out.integer(lcsLen);
    return;
  }
  // Walk back from the end collecting the LCS and, for IDX, the matching ranges (as lcsCommand).
  const chars: number[] = new Array(lcsLen);
  let idx = lcsLen;
  let i = alen;
  let j = blen;
  const matches: [number, number, number, number][] = [];
  let arangeStart = alen; // alen: no range open
  let arangeEnd = 0;
  let brangeStart = 0;
  let brangeEnd = 0;
  while (i > 0 && j > 0) {
    let emitRange = false;
    if (sa.charCodeAt(i - 1) === sb.charCodeAt(j - 1)) {
      chars[idx - 1] = sa.charCodeAt(i - 1);
      if (arangeStart === alen) {
        arangeStart = i - 1;
        arangeEnd = i - 1;
        brangeStart = j - 1;
        brangeEnd = j - 1;
      } else if (arangeStart === i && brangeStart === j) {
        arangeStart--;
        brangeStart--;
      } else {
        emitRange = true;
      }
      if (arangeStart === 0 || brangeStart === 0) emitRange = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * width + j] > dp[i * width + j - 1]) i--;
      else j--;
      if (arangeStart !== alen) emitRange = true;
    }
    if (emitRange) {
      const matchLen = arangeEnd - arangeStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen)
        matches.push([arangeStart, arangeEnd, brangeStart, brangeEnd]);
      arangeStart = alen;
    }
  }
  if (!getIdx) {
    let text = "";
    for (let k = 0; k < chars.length; k += 4096) text += String.fromCharCode(...chars.slice(k, k + 4096));
    c.out.bulk(text);
    return;
  }
  const out = c.out;
  out.mapHeader(2);
  out.bulk("matches");
  out.arrayHeader(matches.length);
  for (const [as, ae, bs, be] of matches) {
    out.arrayHeader(withMatchLen ? 3 : 2);
    out.arrayHeader(2);
    out.integer(as);
    out.integer(ae);
    out.arrayHeader(2);
    out.integer(bs);
    out.integer(be);
    if (withMatchLen) out.integer(ae - as + 1);
  }
  out.bulk("len");
  out.integer(lcsLen);
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
  spec(
    "incr",
    2,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Increments the integer value of a key by one.",
    "1.0.0",
    incrCommand,
  ),
  spec(
    "decr",
    2,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Decrements the integer value of a key by one.",
    "1.0.0",
    decrCommand,
  ),
  spec(
    "incrby",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Increments the integer value of a key by a number.",
    "1.0.0",
    incrbyCommand,
  ),
  spec(
    "decrby",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Decrements a number from the integer value of a key.",
    "1.0.0",
    decrbyCommand,
  ),
  spec(
    "incrbyfloat",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Increment the floating point value of a key by a number.",
    "2.6.0",
    incrbyfloatCommand,
  ),
  spec(
    "getrange",
    4,
    "readonly",
    [1, 1, 1],
    "string",
    "Returns a substring of the string stored at a key.",
    "2.4.0",
    getrangeCommand,
  ),
  spec(
    "substr",
    4,
    "readonly",
    [1, 1, 1],
    "string",
    "Returns a substring from a string value.",
    "1.0.0",
    getrangeCommand,
  ),
  spec(
    "setrange",
    4,
    "write denyoom",
    [1, 1, 1],
    "string",
    "Overwrites a part of a string value with another by an offset.",
    "2.2.0",
    setrangeCommand,
  ),
  spec(
    "lcs",
    -3,
    "readonly",
    [1, 2, 1],
    "string",
    "Finds the longest common substring.",
    "7.0.0",
    lcsCommand,
  ),
] satisfies CommandSpec[];
