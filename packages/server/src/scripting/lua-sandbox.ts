/**
 * The Lua state scripts run in, built as Redis 7.0's scriptingInit / luaRegisterRedisAPI build
 * theirs: the libraries Redis loads (base, table, string, math, debug only for the error
 * handler, cjson, struct, cmsgpack, bit), only the globals on Redis's allow lists, the `redis`
 * API table, Redis's math.random (openMath's; one sequence for the whole process, never reseeded
 * between scripts, as in 7.0), the pcall that unwraps error tables, and finally every table
 * reachable from the globals made read-only, with reads of unknown globals raising an error.
 */

import { createHash } from "node:crypto";
import {
  LuaError,
  LuaFunction,
  LuaState,
  LuaTable,
  type LuaValue,
  openBit,
  openCjson,
  openCmsgpack,
  openMath,
  openString,
  openStruct,
  openTable,
  rawToString,
  toNumber,
  toStringCoerce,
} from "@keyhaven/lua";
import { PROPAGATE_AOF, PROPAGATE_REPL } from "../exec/propagate.js";
import type { LogLevel } from "../util/logger.js";
import { REDIS_VERSION } from "../version.js";
import { errorTable, luaArgsToArgv, normalizeErrorText } from "./lua-reply.js";

/** The SHA1 scripts are named by, in hex (also redis.sha1hex). */
export function sha1hex(text: string): string {
  return createHash("sha1").update(text, "latin1").digest("hex");
}

/** What the `redis` table needs from the engine. */
export interface RedisApi {
  call(args: LuaValue[]): LuaValue[];
  pcall(args: LuaValue[]): LuaValue[];
  setResp(resp: 2 | 3): void;
  setRepl(targets: number): void;
  /** True while a script runs (the API refuses to work from anywhere else). */
  inRun(): boolean;
  /** redis.acl_check_cmd: whether the script's user may run argv; null for no such command. */
  aclCheckCommand(argv: string[]): boolean | null;
  log(level: LogLevel, message: string): void;
  logEnabled(level: LogLevel): boolean;
}

/** Globals a script may see (libraries_allow_list, redis_api_allow_list, lua_builtins_*). */
const ALLOWED_GLOBALS = new Set([
  "string",
  "cjson",
  "bit",
  "cmsgpack",
  "math",
  "table",
  "struct",
  "redis",
  "__redis__err__handler",
  "xpcall",
  "tostring",
  "getfenv",
  "setmetatable",
  "next",
  "assert",
  "tonumber",
  "rawequal",
  "collectgarbage",
  "getmetatable",
  "rawset",
  "pcall",
  "coroutine",
  "type",
  "_G",
  "select",
  "unpack",
  "gcinfo",
  "pairs",
  "rawget",
  "loadstring",
  "ipairs",
  "_VERSION",
  "setfenv",
  "load",
  "error",
  "newproxy",
]);

const LOG_LEVELS: LogLevel[] = ["debug", "verbose", "notice", "warning"];

/** REDIS_VERSION_NUM: 0x00MMmmpp. */
function versionNumber(version: string): number {
  const [major, minor, patch] = version.split(".").map(Number);
  return (major << 16) | (minor << 8) | patch;
}

/** luaPushError + lua_error: the API's errors are raised as {err = "ERR ..."} tables. */
function raiseApiError(message: string): never {
  throw new LuaError(errorTable(normalizeErrorText(message)));
}

function native(name: string, fn: (args: LuaValue[]) => LuaValue[]): LuaFunction {
  return new LuaFunction(name, fn);
}

function redisTable(api: RedisApi): LuaTable {
  const redis = new LuaTable();
  redis.set(
    "call",
    native("call", (args) => api.call(args)),
  );
  redis.set(
    "pcall",
    native("pcall", (args) => api.pcall(args)),
  );
  redis.set(
    "log",
    native("log", (args) => {
      if (args.length < 2) raiseApiError("redis.log() requires two arguments or more.");
      const level = toNumber(args[0]);
      if (level === undefined) raiseApiError("First argument must be a number (log level).");
      const lvl = Math.trunc(level);
      if (!(lvl >= 0 && lvl <= 3)) raiseApiError("Invalid debug level.");
      const name = LOG_LEVELS[lvl];
      if (!api.logEnabled(name)) return [];
      let message = "";
      for (let j = 1; j < args.length; j++) {
        const s = toStringCoerce(args[j]);
        if (s === undefined) continue;
        if (j !== 1) message += " ";
        message += s;
      }
      api.log(name, message);
      return [];
    }),
  );
  redis.set("LOG_DEBUG", 0);
  redis.set("LOG_VERBOSE", 1);
  redis.set("LOG_NOTICE", 2);
  redis.set("LOG_WARNING", 3);
  redis.set("REDIS_VERSION_NUM", versionNumber(REDIS_VERSION));
  redis.set("REDIS_VERSION", REDIS_VERSION);
  redis.set(
    "setresp",
    native("setresp", (args) => {
      if (!api.inRun()) raiseApiError("redis.setresp can only be called inside a script invocation");
      if (args.length !== 1) raiseApiError("redis.setresp() requires one argument.");
      const resp = Math.trunc(toNumber(args[0]) ?? 0);
      if (resp !== 2 && resp !== 3) raiseApiError("RESP version must be 2 or 3.");
      api.setResp(resp);
      return [];
    }),
  );
  redis.set(
    "sha1hex",
    native("sha1hex", (args) => {
      if (args.length !== 1) raiseApiError("wrong number of arguments");
      return [sha1hex(toStringCoerce(args[0]) ?? "")];
    }),
  );
  redis.set(
    "error_reply",
    native("error_reply", (args) => {
      if (args.length !== 1 || typeof args[0] !== "string")
        return [errorTable(normalizeErrorText("wrong number or type of arguments"))];
      const text = args[0];
      return [errorTable(normalizeErrorText(text.startsWith("-") ? text : `-${text}`))];
    }),
  );
  redis.set(
    "status_reply",
    native("status_reply", (args) => {
      if (args.length !== 1 || typeof args[0] !== "string")
        return [errorTable(normalizeErrorText("wrong number or type of arguments"))];
      const t = new LuaTable();
      t.set("ok", args[0]);
      return [t];
    }),
  );
  redis.set(
    "set_repl",
    native("set_repl", (args) => {
      if (!api.inRun()) raiseApiError("redis.set_repl can only be called inside a script invocation");
      if (args.length !== 1) raiseApiError("redis.set_repl() requires two arguments.");
      const flags = Math.trunc(toNumber(args[0]) ?? 0);
      if ((flags & ~(PROPAGATE_AOF | PROPAGATE_REPL)) !== 0)
        raiseApiError("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
      api.setRepl(flags);
      return [];
    }),
  );
  redis.set("REPL_NONE", 0);
  redis.set("REPL_AOF", PROPAGATE_AOF);
  redis.set("REPL_SLAVE", PROPAGATE_REPL);
  redis.set("REPL_REPLICA", PROPAGATE_REPL);
  redis.set("REPL_ALL", PROPAGATE_AOF | PROPAGATE_REPL);
  redis.set(
    "acl_check_cmd",
    native("acl_check_cmd", (args) => {
      if (!api.inRun()) raiseApiError("redis.acl_check_cmd can only be called inside a script invocation");
      const argv = luaArgsToArgv(args);
      if (typeof argv === "string") raiseApiError(argv);
      const allowed = api.aclCheckCommand(argv);
      if (allowed === null) raiseApiError("Invalid command passed to redis.acl_check_cmd()");
      return [allowed];
    }),
  );
  // No debugger (SCRIPT DEBUG is not implemented): breakpoints never stop, debug logs nowhere.
  redis.set(
    "breakpoint",
    native("breakpoint", () => [false]),
  );
  redis.set(
    "debug",
    native("debug", () => []),
  );
  redis.set(
    "replicate_commands",
    native("replicate_commands", () => [true]),
  );
  return redis;
}

/**
 * luaRedisPcall: Lua's pcall, except that an error raised as a Redis error table comes back as
 * its message string (what scripts written for Redis 6 expect).
 */
function redisPcall(basePcall: LuaFunction): LuaFunction {
  return native("pcall", (args) => {
    const results = basePcall.call(args);
    if (results[0] === false && results[1] instanceof LuaTable) {
      const err = results[1].get("err");
      if (typeof err === "string") results[1] = err;
    }
    return results;
  });
}

/** __redis__err__handler, for scripts that call it: the error as a Redis error table. */
function errorHandler(): LuaFunction {
  return native("__redis__err__handler", (args) => {
    const err = args[0];
    if (err instanceof LuaTable) return [err];
    return [errorTable(`ERR ${rawToString(err)}`)];
  });
}

/** luaProtectedTableError: reading a global that does not exist. */
function nonexistentGlobal(): LuaFunction {
  return native("__index", (args) => {
    if (args.length !== 2) throw new LuaError("Wrong number of arguments to luaProtectedTableError", 1);
    const name = toStringCoerce(args[1]);
    if (name === undefined)
      throw new LuaError("Second argument to luaProtectedTableError must be a string or number", 1);
    throw new LuaError(`Script attempted to access nonexistent global variable '${name}'`, 1);
  });
}

/** luaSetTableProtectionRecursively: the table, everything reachable from it, and metatables. */
function protectRecursively(t: LuaTable): void {
  if (t.readonly) return;
  t.readonly = true;
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
    if (e[1] instanceof LuaTable) protectRecursively(e[1]);
  }
  if (t.metatable !== undefined) protectRecursively(t.metatable);
}

export function createScriptingState(api: RedisApi): LuaState {
  const lua = new LuaState();
  const g = lua.globals;
  openTable(g);
  openString(g);
  openMath(g);
  openCjson(g);
  openStruct(g);
  openCmsgpack(g);
  openBit(g);
  for (const [key] of [...g.hash]) {
    if (typeof key !== "string" || !ALLOWED_GLOBALS.has(key)) g.set(key, undefined);
  }
  const basePcall = g.get("pcall");
  if (basePcall instanceof LuaFunction) g.set("pcall", redisPcall(basePcall));
  g.set("redis", redisTable(api));
  g.set("__redis__err__handler", errorHandler());
  const mt = new LuaTable();
  mt.set("__index", nonexistentGlobal());
  g.metatable = mt;
  protectRecursively(g);
  return lua;
}
