/**
 * The two conversions between Redis replies and Lua values, as Redis 7.0's script_lua.c does
 * them (redisProtocolToLuaType and luaReplyToRedisReply):
 *
 *   command reply bytes ──replyToLua──► Lua value            (what redis.call returns)
 *   Lua value ──writeLuaReply──► the caller's reply stream   (what the script returns)
 *
 * A command run from a script writes its reply into the script client's buffer like any other
 * client; parsing those bytes back is exactly Redis's approach, and keeps every command's reply
 * code unaware of scripting. Replies are produced by us, so the parser trusts their framing.
 */

import { formatNumberG, LuaTable, type LuaValue } from "@keyhaven/lua";
import { bytesToLatin1, type ReplyWriter } from "@keyhaven/protocol";
import type { Client } from "../network/client.js";

/** The error table of redis.pcall / redis.error_reply ({err = "CODE message"}). */
export function errorTable(message: string, ignoreStats = false): LuaTable {
  const t = new LuaTable();
  t.set("err", message);
  if (ignoreStats) t.set("ignore_error_stats_update", true);
  return t;
}

/**
 * luaPushErrorBuff's normalisation: "-CODE message" keeps its code, a bare "message" gets ERR;
 * the leading "-" and trailing CR/LF go.
 */
export function normalizeErrorText(text: string): string {
  let code = "ERR";
  let message = text;
  if (text.startsWith("-")) {
    const space = text.indexOf(" ");
    if (space === -1) {
      message = text.slice(1);
    } else {
      code = text.slice(1, space);
      message = text.slice(space + 1);
    }
  }
  return `${code} ${trimCrLf(message)}`;
}

function trimCrLf(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 13 || s.charCodeAt(start) === 10)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 13 || s.charCodeAt(end - 1) === 10)) end--;
  return s.slice(start, end);
}

/** Reads one reply from `buf` at `pos`, returning the Lua value and the position after it. */
class ReplyReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private line(): string {
    const buf = this.buf;
    const end = buf.indexOf(13, this.pos);
    const s = bytesToLatin1(buf, this.pos, end);
    this.pos = end + 2;
    return s;
  }

  private bulkBody(len: number): string {
    const s = bytesToLatin1(this.buf, this.pos, this.pos + len);
    this.pos += len + 2;
    return s;
  }

  /** One value; `keep` false parses and drops it (attributes are not shown to scripts). */
  read(): LuaValue {
    const type = this.buf[this.pos++];
    switch (type) {
      case 43: // '+'
        return singleField("ok", this.line());
      case 45: {
        // '-': the error text as a table, marked so error stats are not counted twice.
        const text = this.line();
        return errorTable(text.includes(" ") ? text : `ERR ${text}`, true);
      }
      case 58: // ':'
        return Number(this.line());
      case 36: {
        // '$'
        const len = Number(this.line());
        return len < 0 ? false : this.bulkBody(len);
      }
      case 42: {
        // '*'
        const n = Number(this.line());
        if (n < 0) return false;
        const t = new LuaTable();
        for (let i = 1; i <= n; i++) t.setInt(i, this.read());
        return t;
      }
      case 37: {
        // '%'
        const n = Number(this.line());
        const map = new LuaTable();
        for (let i = 0; i < n; i++) {
          const k = this.read();
          const v = this.read();
          if (k !== undefined) map.set(k, v);
        }
        return singleField("map", map);
      }
      case 126: {
        // '~'
        const n = Number(this.line());
        const set = new LuaTable();
        for (let i = 0; i < n; i++) {
          const member = this.read();
          if (member !== undefined) set.set(member, true);
        }
        return singleField("set", set);
      }
      case 95: // '_'
        this.pos += 2;
        return undefined;
      case 35: // '#'
        return this.line() === "t";
      case 44: // ','
        return singleField("double", parseDoubleReply(this.line()));
      case 40: // '('
        return singleField("big_number", this.line());
      case 61: {
        // '=': "fmt:text"
        const body = this.bulkBody(Number(this.line()));
        const verbatim = new LuaTable();
        verbatim.set("string", body.slice(4));
        verbatim.set("format", body.slice(0, 3));
        return singleField("verbatim_string", verbatim);
      }
      case 124: {
        // '|': attributes are skipped, the value they annotate is returned.
        const n = Number(this.line());
        for (let i = 0; i < 2 * n; i++) this.read();
        return this.read();
      }
      default:
        throw new Error(`unexpected reply type byte ${type} from a command run by a script`);
    }
  }
}

function parseDoubleReply(text: string): number {
  if (text === "inf") return Number.POSITIVE_INFINITY;
  if (text === "-inf") return Number.NEGATIVE_INFINITY;
  if (text === "nan" || text === "-nan") return Number.NaN;
  return Number(text);
}

function singleField(field: string, value: LuaValue): LuaTable {
  const t = new LuaTable();
  t.set(field, value);
  return t;
}

/** The Lua value of the first reply in `bytes` (redisProtocolToLuaType). */
export function replyToLua(bytes: Buffer): LuaValue {
  return new ReplyReader(bytes).read();
}

/** LLONG_MIN: what the C cast (long long) gives on x86-64 for NaN and out-of-range doubles. */
const LLONG_MIN = -(2n ** 63n);
const TWO_63 = 2 ** 63;

/**
 * Writes a Lua value as a Redis reply (luaReplyToRedisReply). `scriptResp` is the protocol the
 * script chose with redis.setresp, which decides how booleans come out; the caller's own
 * protocol (in `out`) decides the shapes of nulls, maps and sets.
 */
export function writeLuaReply(c: Client, value: LuaValue, scriptResp: 2 | 3, depth = 0): void {
  const out = c.out;
  switch (typeof value) {
    case "string":
      out.bulk(value);
      return;
    case "boolean":
      if (scriptResp === 2) {
        if (value) out.integer(1);
        else out.nullBulk();
      } else {
        out.boolean(value);
      }
      return;
    case "number":
      writeInteger(out, value);
      return;
    default:
      if (value instanceof LuaTable) {
        writeTable(c, value, scriptResp, depth);
        return;
      }
      out.nullBulk();
  }
}

function writeInteger(out: ReplyWriter, n: number): void {
  const t = Math.trunc(n);
  if (Number.isSafeInteger(t)) out.integer(t);
  else if (Number.isNaN(t) || t >= TWO_63 || t < -TWO_63) out.bigInteger(LLONG_MIN);
  else out.bigInteger(BigInt(t));
}

/**
 * Redis stops descending into nested tables when the Lua stack is full (about 8000 levels), and
 * answers "reached lua stack limit" there. Here each level is two JavaScript frames, and Node's
 * stack held about 2000 levels inside EVAL (a reply of 3000 overflowed it, an internal error
 * that closed the connection): 1000 levels, with the same answer at the bottom.
 */
const MAX_REPLY_DEPTH = 1000;

function writeTable(c: Client, t: LuaTable, scriptResp: 2 | 3, depth: number): void {
  const out = c.out;
  if (depth > MAX_REPLY_DEPTH) {
    c.error("ERR reached lua stack limit");
    return;
  }
  const err = t.get("err");
  if (typeof err === "string") {
    // An error a command already counted in errorstats (redis.pcall's) is not counted again.
    if (t.get("ignore_error_stats_update") === true) c.errorCountedBefore(mapCrLf(err));
    else c.error(mapCrLf(err));
    return;
  }
  const ok = t.get("ok");
  if (typeof ok === "string") {
    out.simple(mapCrLf(ok));
    return;
  }
  const dbl = t.get("double");
  if (typeof dbl === "number") {
    out.double(dbl);
    return;
  }
  const big = t.get("big_number");
  if (typeof big === "string") {
    out.bigNumber(mapCrLf(big));
    return;
  }
  const verbatim = t.get("verbatim_string");
  if (verbatim instanceof LuaTable) {
    const format = verbatim.get("format");
    const text = verbatim.get("string");
    if (typeof format === "string" && typeof text === "string") {
      out.verbatim(text, format);
      return;
    }
  }
  const map = t.get("map");
  if (map instanceof LuaTable) {
    const entries = tableEntries(map);
    out.mapHeader(entries.length / 2);
    for (let i = 0; i < entries.length; i++) writeLuaReply(c, entries[i], scriptResp, depth + 1);
    return;
  }
  const set = t.get("set");
  if (set instanceof LuaTable) {
    const entries = tableEntries(set);
    out.setHeader(entries.length / 2);
    for (let i = 0; i < entries.length; i += 2) writeLuaReply(c, entries[i], scriptResp, depth + 1);
    return;
  }
  // An array: elements 1, 2, ... up to the first nil. Every field is read raw (lua_rawget, as
  // Redis 7.0 does): a metatable, like the strict one of _G, is never consulted.
  const items: LuaValue[] = [];
  for (let i = 1; ; i++) {
    const v = t.get(i);
    if (v === undefined) break;
    items.push(v);
  }
  out.arrayHeader(items.length);
  for (const item of items) writeLuaReply(c, item, scriptResp, depth + 1);
}

/** Keys and values in lua_next order, flattened. */
function tableEntries(t: LuaTable): LuaValue[] {
  const out: LuaValue[] = [];
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) out.push(e[0], e[1]);
  return out;
}

/** sdsmapchars(s, "\r\n", "  "): status and error texts stay on one line. */
function mapCrLf(s: string): string {
  return s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]/g, " ") : s;
}

/**
 * luaArgsToRedisArgv: the arguments of redis.call as a command argv. Numbers are printed with
 * "%.17g" (not Lua's lossy "%.14g"); anything but strings and numbers is refused.
 */
export function luaArgsToArgv(args: readonly LuaValue[]): string[] | string {
  if (args.length === 0) return "Please specify at least one argument for this redis lib call";
  const argv = new Array<string>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === "string") argv[i] = a;
    else if (typeof a === "number") argv[i] = formatArgNumber(a);
    else return "Lua redis lib command arguments must be strings or integers";
  }
  return argv;
}

function formatArgNumber(n: number): string {
  if (Number.isSafeInteger(n)) return Object.is(n, -0) ? "-0" : String(n);
  return formatNumberG(n, 17);
}
