/**
 * EVAL against a real redis-server 7.0: the same scripts go to both servers and every reply must
 * be the same, byte for byte as our RESP client sees it, error texts included (with their
 * "script: <sha>, on @user_script:<line>." tails). The scripts cover what scripts written for
 * Redis do: the conversions both ways between Lua and Redis replies, redis.call/pcall and their
 * errors, the sandbox (locked globals, the allowed libraries), Lua's own error messages, number
 * formatting, and the libraries Redis embeds (string, table, math with Redis's random, cjson,
 * cmsgpack, bit, struct).
 *
 * Bounded: a fixed list of scripts; both servers on free ports, stopped by the helpers.
 */

import { beforeEach, describe, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import { redisPair } from "./redis-pair.js";
import {
  type Case,
  LIBRARIES,
  LUA_ERRORS,
  REDIS_CALLS,
  RETURN_VALUES,
  SANDBOX,
  SYNTAX,
} from "./scripting-cases.js";

describe.runIf(hasRealRedis())("differential: EVAL against real Redis", () => {
  const pair = redisPair();

  beforeEach(async () => {
    await pair.both("FLUSHALL");
    await pair.both("SCRIPT", "FLUSH");
    await pair.both("SET", "s", "text");
    await pair.both("HSET", "h", "f1", "v1", "f2", "v2");
    await pair.both("RPUSH", "l", "a", "b", "c");
    await pair.both("SADD", "oneset", "m");
    await pair.both("ZADD", "z", "1.5", "a", "2", "b");
  });

  async function runAll(cases: Case[]): Promise<void> {
    for (const [script, ...rest] of cases) await pair.both("EVAL", script, ...rest);
  }

  it("converts return values the way Redis does", () => runAll(RETURN_VALUES));
  it("runs redis.call and redis.pcall with Redis's replies, conversions and errors", () =>
    runAll(REDIS_CALLS));
  it("keeps the same sandbox: locked globals and the same set of globals", () => runAll(SANDBOX));
  it("reports Lua runtime errors with Redis's texts and positions", () => runAll(LUA_ERRORS));
  it("reports compile errors and shebang errors the same way", () => runAll(SYNTAX));
  it("gives the same results from Lua's and Redis's libraries", () => runAll(LIBRARIES));

  it("caches scripts by SHA1: SCRIPT LOAD, EXISTS, EVALSHA, FLUSH, NOSCRIPT", async () => {
    const sha = (await pair.both("SCRIPT", "LOAD", "return ARGV[1] .. '!'")) as string;
    await pair.both("SCRIPT", "EXISTS", sha, sha.toUpperCase(), "0".repeat(40), "short");
    await pair.both("EVALSHA", sha, "0", "hi");
    await pair.both("EVALSHA", sha.toUpperCase(), "0", "hi");
    await pair.both("EVALSHA_RO", sha, "0", "ro");
    await pair.both("EVALSHA", "0".repeat(40), "0");
    await pair.both("EVALSHA", "abc", "0");
    await pair.both("SCRIPT", "LOAD", "return +");
    await pair.both("SCRIPT", "FLUSH", "ASYNC");
    await pair.both("SCRIPT", "EXISTS", sha);
    await pair.both("EVALSHA", sha, "0", "hi");
    await pair.both("SCRIPT", "FLUSH", "BAD");
    await pair.both("SCRIPT", "KILL");
    await pair.both("SCRIPT", "NOSUCH");
  });

  it("checks numkeys and read-only variants like Redis", async () => {
    await pair.both("EVAL", "return 1", "x");
    await pair.both("EVAL", "return 1", "-1");
    await pair.both("EVAL", "return 1", "2", "onlyone");
    await pair.both("EVAL", "return 1");
    await pair.both("EVAL_RO", "return redis.call('GET', 's')", "0");
    await pair.both("EVAL_RO", "return redis.call('SET', 's', 'x')", "0");
    await pair.both("EVAL_RO", "return redis.call('PUBLISH', 'ch', 'x')", "0");
    await pair.both("EVAL_RO", "#!lua\nreturn 1", "0");
    await pair.both("EVAL", "#!lua flags=no-writes\nreturn redis.call('GET', 's')", "0");
    await pair.both("GET", "s");
  });
});
