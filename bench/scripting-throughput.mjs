#!/usr/bin/env node
/**
 * EVAL throughput, Keyhaven against real Redis in the same run: redis-benchmark with custom
 * commands against each server, alternating which goes first every round (FLUSHALL and a
 * SCRIPT LOAD before each run), median requests per second and the ratio keyhaven/redis:
 *
 *   EVAL return 1    the smallest script (SHA1 of the body, cache lookup, call, reply)
 *   EVALSHA set+get  a cached script that writes and reads one random key through redis.call
 *   EVALSHA incr x3  three redis.call writes (propagated as MULTI ... EXEC when a sink listens)
 *   EVALSHA loop     pure Lua work: a 200-iteration loop with string and table operations
 *   EVALSHA cjson    cjson.decode of an argument, a field changed, cjson.encode back
 *   FCALL set+get    the set+get script as a library function (FUNCTION LOAD REPLACE first)
 *   FCALL_RO get     a no-writes function reading one random key
 *
 * Every server is killed by PID at the end. Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node bench/scripting-throughput.mjs [rounds=3] [requests=100000]
 */

import { createHash } from "node:crypto";
import { Conn, compareCommands } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const REQUESTS = Number(process.argv[3] ?? 100_000);

const SCRIPTS = {
  setGet: "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])",
  incr3: "redis.call('INCR', KEYS[1]) redis.call('INCR', KEYS[1]) return redis.call('INCR', KEYS[1])",
  loop: "local t = {} for i = 1, 200 do t[#t + 1] = tostring(i) .. ':' .. string.rep('x', i % 5) end return #table.concat(t, ',')",
  cjson: "local v = cjson.decode(ARGV[1]) v.count = v.count + 1 return cjson.encode(v)",
};
const LIBRARY = [
  "#!lua name=benchlib",
  "redis.register_function('setget', function(keys, args) redis.call('SET', keys[1], args[1]) return redis.call('GET', keys[1]) end)",
  "redis.register_function{function_name='getro', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
].join("\n");
const sha = (body) => createHash("sha1").update(body).digest("hex");

const JSON_ARG = JSON.stringify({ count: 1, name: "item" });

/** Name, extra redis-benchmark options, the command; the slow ones get a tenth of the requests. */
const TESTS = [
  ["EVAL return 1", [], ["EVAL", "return 1", "0"], 1],
  ["EVALSHA set+get", ["-r", "10000"], ["EVALSHA", sha(SCRIPTS.setGet), "1", "k:__rand_int__", "v"], 1],
  ["EVALSHA incr x3", ["-r", "10000"], ["EVALSHA", sha(SCRIPTS.incr3), "1", "n:__rand_int__"], 1],
  ["EVALSHA loop", [], ["EVALSHA", sha(SCRIPTS.loop), "0"], 10],
  ["EVALSHA cjson", [], ["EVALSHA", sha(SCRIPTS.cjson), "0", JSON_ARG], 1],
  ["FCALL set+get", ["-r", "10000"], ["FCALL", "setget", "1", "k:__rand_int__", "v"], 1],
  ["FCALL_RO get", ["-r", "10000"], ["FCALL_RO", "getro", "1", "k:__rand_int__"], 1],
];

async function prepare(server) {
  const conn = await Conn.connect(server.port);
  await conn.command("FLUSHALL");
  for (const body of Object.values(SCRIPTS)) await conn.command("SCRIPT", "LOAD", body);
  await conn.command("FUNCTION", "LOAD", "REPLACE", LIBRARY);
  conn.close();
}

await compareCommands({
  title: "Scripting throughput",
  tests: TESTS,
  rounds: ROUNDS,
  requests: REQUESTS,
  prepare,
});
