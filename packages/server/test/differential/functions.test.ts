/**
 * Functions against a real redis-server 7.0: the same libraries and calls go to both servers
 * and every reply must be the same as our RESP client sees it, error texts included (load
 * errors, "script: <function>, on @user_function:<line>." tails). Libraries hold one function
 * each where FUNCTION LIST is compared, since Redis lists in dict order.
 *
 * Bounded: fixed lists of libraries and calls; both servers on free ports, stopped by the helpers.
 */

import { beforeEach, describe, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import { redisPair } from "./redis-pair.js";

const lib = (name: string, ...lines: string[]): string => [`#!lua name=${name}`, ...lines].join("\n");
const fn = (name: string, body: string, flags = ""): string =>
  `redis.register_function{function_name='${name}', callback=function(keys, args) ${body} end${flags ? `, flags={${flags}}` : ""}}`;

/** Libraries whose load must answer the same (name or error) on both servers. */
const LOADS: string[] = [
  lib("l1", fn("ret_int", "return 42")),
  lib("l2", fn("ret_table", "return {1, 'two', {3, 'four'}, nil, 5}")),
  lib("l3", fn("ret_status", "return redis.status_reply('FINE')")),
  lib("l4", fn("ret_error", "return redis.error_reply('MY custom')")),
  lib("l5", fn("ret_float", "return 3.99")),
  lib("l6", fn("ret_bool", "return {true, false}")),
  lib("l7", fn("echo_args", "return {keys, args}")),
  lib("l8", fn("set_get", "redis.call('SET', keys[1], args[1]) return redis.call('GET', keys[1])")),
  lib("l9", fn("ro_get", "return redis.call('GET', keys[1])", "'no-writes'")),
  lib("l10", fn("ro_write", "return redis.call('SET', keys[1], 'x')", "'no-writes'")),
  lib("l11", fn("pcall_err", "local r = redis.pcall('INCR', keys[1]) return r")),
  lib("l12", fn("call_err", "return redis.call('INCR', keys[1])")),
  lib("l13", fn("lua_err", "local t = nil return t.x")),
  lib("l14", fn("unknown_cmd", "return redis.call('NOSUCH')")),
  lib("l15", fn("wrong_arity", "return redis.call('GET')")),
  lib("l16", fn("no_script_cmd", "return redis.call('FUNCTION', 'LIST')")),
  lib("l17", fn("json", "return cjson.encode({a = 1})")),
  lib("l18", fn("resp3", "redis.setresp(3) return redis.call('HGETALL', keys[1])")),
  lib("l19", fn("global_read", "return undefined_global")),
  lib("l20", fn("sha", "return redis.sha1hex('abc')")),
  lib(
    "l21",
    "local helper = function(x) return x * 2 end",
    fn("uses_local", "return helper(tonumber(args[1]))"),
  ),
  lib("l22", fn("big_int", "return 2^53")),
  lib("l23", fn("ret_nil", "return nil")),
  lib("l24", fn("ret_empty", "return {}")),
  // Load-time errors.
  lib("e1", "redis.call('GET', 'x')"),
  lib("e2", "local t = {} t.x.y = 1"),
  lib("e3", fn("bad name", "return 1")),
  lib("e4", fn("dup", "return 1"), fn("dup", "return 2")),
  lib("e5", "redis.register_function{function_name='f', callback=function() end, description=5}"),
  lib("e6", "redis.register_function{function_name='f', callback='x'}"),
  lib("e7", "redis.register_function{function_name='f', callback=function() end, flags='no-writes'}"),
  lib("e8", "redis.register_function{function_name={}, callback=function() end}"),
  lib("e9", "return"),
  lib("e10", "redis.log(redis.LOG_WARNING, 'loading') return"),
  lib("e11", "local x = redis.REDIS_VERSION_NUM > 0 and redis.REDIS_VERSION", "redis.setresp(3)"),
  lib("e12", "end"),
  lib("e13", "error({err='CUSTOM table error'})"),
  lib("e14", "error('plain')"),
  lib("e15", "redis.register_function('ret_int', function() return 1 end)"),
  "#!lua name=e16 description=x\nreturn",
  "#!lua name=\nreturn",
  '#!lua name="quoted\nreturn',
];

const CALLS: string[][] = [
  ["FCALL", "ret_int", "0"],
  ["FCALL", "ret_table", "0"],
  ["FCALL", "ret_status", "0"],
  ["FCALL", "ret_error", "0"],
  ["FCALL", "ret_float", "0"],
  ["FCALL", "ret_bool", "0"],
  ["FCALL", "echo_args", "2", "k1", "k2", "a1", "a2", "a3"],
  ["FCALL", "echo_args", "0"],
  ["FCALL", "set_get", "1", "str", "value"],
  ["FCALL_RO", "set_get", "1", "str", "value"],
  ["FCALL", "ro_get", "1", "str"],
  ["FCALL_RO", "ro_get", "1", "str"],
  ["FCALL", "ro_write", "1", "str"],
  ["FCALL", "pcall_err", "1", "h"],
  ["FCALL", "call_err", "1", "h"],
  ["FCALL", "lua_err", "0"],
  ["FCALL", "unknown_cmd", "0"],
  ["FCALL", "wrong_arity", "0"],
  ["FCALL", "no_script_cmd", "0"],
  ["FCALL", "json", "0"],
  ["FCALL", "resp3", "1", "h"],
  ["FCALL", "global_read", "0"],
  ["FCALL", "sha", "0"],
  ["FCALL", "uses_local", "0", "21"],
  ["FCALL", "big_int", "0"],
  ["FCALL", "ret_nil", "0"],
  ["FCALL", "ret_empty", "0"],
  ["FCALL", "RET_INT", "0"],
  ["FCALL", "missing", "0"],
  ["FCALL", "ret_int", "1.5"],
  ["FCALL", "ret_int", "9"],
  ["FCALL_RO", "missing", "0"],
  ["GET", "str"],
];

describe.runIf(hasRealRedis())("differential: functions against real Redis", () => {
  const pair = redisPair();

  beforeEach(async () => {
    await pair.both("FLUSHALL");
    await pair.both("FUNCTION", "FLUSH");
    await pair.both("HSET", "h", "f", "v");
  });

  it("loads the same libraries and refuses the same ones with the same errors", async () => {
    for (const code of LOADS) await pair.both("FUNCTION", "LOAD", code);
    await pair.both("FUNCTION", "STATS");
  });

  it("answers the same FCALL replies and errors", async () => {
    for (const code of LOADS) await pair.both("FUNCTION", "LOAD", code);
    for (const call of CALLS) await pair.both(...call);
  });

  it("lists, replaces, deletes, dumps and restores the same way", async () => {
    for (const code of LOADS.slice(0, 6)) await pair.both("FUNCTION", "LOAD", code);
    for (let i = 1; i <= 6; i++) await pair.both("FUNCTION", "LIST", "LIBRARYNAME", `l${i}`, "WITHCODE");
    await pair.both("FUNCTION", "LIST", "LIBRARYNAME", "nomatch");
    await pair.both("FUNCTION", "LOAD", "REPLACE", lib("l1", fn("ret_int", "return 43")));
    await pair.both("FCALL", "ret_int", "0");
    await pair.both("FUNCTION", "LOAD", "REPLACE", lib("l1", fn("ret_table", "return 1")));
    await pair.both("FCALL", "ret_int", "0");
    await pair.both("FUNCTION", "DELETE", "l2");
    await pair.both("FUNCTION", "DELETE", "l2");
    await pair.both("FUNCTION", "STATS");
    await pair.both("FUNCTION", "RESTORE", "\x00\x01");
    await pair.both("FUNCTION", "FLUSH", "SYNC");
    await pair.both("FUNCTION", "LIST");
  });
});
