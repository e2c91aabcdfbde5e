/**
 * What a command does besides its reply, against redis-server: every data command, with the
 * argument shapes and key setups of the argument-shapes sweep, plus chosen calls of the commands
 * that sweep leaves out (SET options, expiries, renames and moves, blocking pops, streams,
 * scripts...), must
 * - publish the same keyspace notifications in the same order, with every class on (`KEA` plus
 *   `m` keymiss and `n` new); a marker message on a channel of its own ends each call's events;
 * - leave the same INFO statistics: keyspace hits and misses, expired keys, the command's calls,
 *   rejected and failed calls, and the error replies counted by prefix (errorstats).
 */

import { describe, expect, it } from "vitest";
import { hasRealRedis, RespClient } from "../helpers.js";
import { commandNames, LEFT_OUT, SETUPS, SHAPES, text, UNORDERED } from "./command-sweep.js";
import { redisPair } from "./redis-pair.js";

const MARKER = "zz-marker";

/** Calls of left-out commands whose events are deterministic. */
const CHOSEN_CALLS: string[][] = [
  ["SET", "k", "v"],
  ["SET", "k", "v", "GET"],
  ["SET", "k", "v", "NX", "GET"],
  ["SET", "k", "v", "XX"],
  ["SET", "k", "v", "EX", "100"],
  ["SET", "k", "v", "KEEPTTL"],
  ["SETEX", "k", "100", "v"],
  ["PSETEX", "k", "100000", "v"],
  ["GETEX", "k"],
  ["GETEX", "k", "EX", "100"],
  ["GETEX", "k", "PERSIST"],
  ["EXPIRE", "k", "100"],
  ["EXPIRE", "k", "-1"],
  ["PEXPIRE", "k", "100000"],
  ["EXPIREAT", "k", "1"],
  ["EXPIREAT", "k", "99999999999"],
  ["PERSIST", "k"],
  ["TTL", "k"],
  ["PTTL", "k"],
  ["EXPIRETIME", "k"],
  ["OBJECT", "ENCODING", "k"],
  ["OBJECT", "FREQ", "k"],
  ["MEMORY", "USAGE", "k"],
  ["MOVE", "k", "1"],
  ["SWAPDB", "0", "1"],
  ["RENAME", "k", "k2"],
  ["RENAMENX", "k", "k2"],
  ["COPY", "k", "k2"],
  ["COPY", "k", "k2", "REPLACE"],
  ["DUMP", "k"],
  ["SPOP", "k"],
  ["SPOP", "k", "5"],
  ["RANDOMKEY"],
  ["KEYS", "*"],
  ["SCAN", "0"],
  ["XADD", "k", "*", "f", "v"],
  ["XADD", "k", "MAXLEN", "0", "*", "f", "v"],
  ["XADD", "k", "NOMKSTREAM", "*", "f", "v"],
  ["XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"],
  ["XINFO", "STREAM", "k"],
  ["XREAD", "STREAMS", "k", "0"],
  ["XSETID", "k", "1-1"],
  ["XPENDING", "k", "g"],
  ["LMPOP", "1", "k", "LEFT"],
  ["ZMPOP", "1", "k", "MIN"],
  ["BLPOP", "k", "0.01"],
  ["BZPOPMIN", "k", "0.01"],
  ["BLMOVE", "k", "k2", "LEFT", "RIGHT", "0.01"],
  ["SORT", "k", "STORE", "k3"],
  ["DEL", "k"],
  ["UNLINK", "k"],
  ["FLUSHDB"],
  ["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
  ["EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "k"],
];

/** The INFO fields compared (cmdstat lines without their timings). */
const STAT =
  /^(keyspace_hits|keyspace_misses|expired_keys|total_error_replies|unexpected_error_replies|cmdstat_[^:]+|errorstat_[^:]+):(.*)$/;

/** The compared fields as sorted "name:value" lines (INFO's section order is not compared). */
function statistics(info: string): string[] {
  const stats: string[] = [];
  for (const line of info.split("\r\n")) {
    const m = STAT.exec(line);
    if (m !== null) stats.push(`${m[1]}:${m[2].replace(/,usec=\d+,usec_per_call=[\d.]+/, "")}`);
  }
  return stats.sort();
}

/** The notifications published before the next marker, as "channel message" lines. */
async function eventsUntilMarker(sub: RespClient): Promise<string[]> {
  const events: string[] = [];
  for (let i = 0; i < 500; i++) {
    const [m] = (await sub.waitPushed(1)) as string[][];
    if (m[2] === MARKER) return events;
    events.push(`${m[2]} ${m[3]}`);
  }
  throw new Error("no marker after 500 notifications");
}

describe.skipIf(!hasRealRedis())("side effects of every data command, against redis-server", () => {
  const pair = redisPair({ args: ["--notify-keyspace-events", "KEAmn"] });

  it("publishes Redis's notifications in Redis's order, and counts what Redis counts", {
    timeout: 120_000,
  }, async () => {
    const clients = pair.clients();
    const subscribers = await Promise.all(pair.ports().map((port) => RespClient.connect(port)));
    try {
      for (const sub of subscribers) await sub.call("PSUBSCRIBE", "__key*@*__:*", MARKER);
      /** What `call` publishes and counts on each server after `setup`: [redis, keyhaven]. */
      const effectsOf = (setup: string[][], call: string[]) =>
        Promise.all(
          clients.map(async (c, i) => {
            await c.call("SELECT", "0");
            await c.call("FLUSHALL");
            for (const cmd of setup) await c.call(...cmd);
            await c.call("PUBLISH", MARKER, "");
            await eventsUntilMarker(subscribers[i]);
            await c.call("CONFIG", "RESETSTAT");
            await c.call(...call);
            const stats = statistics(String(await c.call("INFO", "everything")));
            await c.call("PUBLISH", MARKER, "");
            return { events: await eventsUntilMarker(subscribers[i]), stats };
          }),
        );
      const names = async (c: RespClient) => new Set(commandNames(await c.call("COMMAND"), false));
      const [theirs, ours] = await Promise.all(clients.map(names));
      // Commands whose replies come in hash-table order may also touch keys in that order.
      const commands = [...ours].filter((n) => theirs.has(n) && !LEFT_OUT.has(n) && !UNORDERED.has(n)).sort();
      expect(commands.length).toBeGreaterThan(120);
      const calls = [...CHOSEN_CALLS, ...commands.flatMap((name) => SHAPES.map((shape) => [name, ...shape]))];
      const differing: unknown[] = [];
      for (const [setupName, setup] of Object.entries(SETUPS)) {
        for (const call of calls) {
          const [redis, keyhaven] = await effectsOf(setup, call);
          if (text(redis) !== text(keyhaven)) differing.push({ call, keys: setupName, redis, keyhaven });
        }
      }
      expect(differing).toEqual([]);
    } finally {
      for (const sub of subscribers) sub.close();
    }
  });
});
