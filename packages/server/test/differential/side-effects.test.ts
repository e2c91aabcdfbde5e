/**
 * What a command does besides its reply, against redis-server: every data command, with the
 * argument shapes and key setups of the argument-shapes sweep, plus chosen calls of the commands
 * that sweep leaves out (SET options, expiries, renames and moves, blocking pops, streams,
 * scripts...), must
 * - publish the same keyspace notifications in the same order, with every class on (`KEA` plus
 *   `m` keymiss and `n` new); a marker message on a channel of its own ends each call's events;
 * - leave the same INFO statistics: keyspace hits and misses, expired keys, the command's calls,
 *   rejected and failed calls, and the error replies counted by prefix (errorstats);
 * - propagate the same commands, read back from the AOF (`appendfsync no`: both servers write
 *   the turn's commands before its replies), with times near now masked.
 */

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { AOF_COMMAND, AOF_NEED_MORE, AofCommandReader } from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { hasRealRedis, infoSection, RespClient } from "../helpers.js";
import { AOF_DIR, readManifest } from "../integration/aof-helpers.js";
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
  // Propagation forms.
  ["SET", "k", "v", "PX", "100000"],
  ["GETEX", "k", "PXAT", "99999999999999"],
  ["EXPIRE", "k", "100", "NX"],
  ["INCRBYFLOAT", "k", "1.5"],
  ["HINCRBYFLOAT", "k", "f", "1.5"],
  ["RESTORE", "k", "0", "x"],
  ["FLUSHDB", "ASYNC"],
  ["BLMPOP", "0.01", "1", "k", "LEFT"],
  ["SETRANGE", "k", "0", ""],
  ["LTRIM", "k", "5", "1"],
  ["EVAL", "redis.call('set', KEYS[1], 'x'); return redis.call('incr', 'n')", "1", "k"],
];

/** The INFO fields compared (cmdstat lines without their timings). */
const STAT =
  /^(keyspace_hits|keyspace_misses|expired_keys|total_error_replies|unexpected_error_replies|cmdstat_.+|errorstat_.+)$/;

/** The compared fields as sorted "name:value" lines (INFO's section order is not compared). */
function statistics(info: Map<string, string>): string[] {
  const stats: string[] = [];
  for (const [name, value] of info) {
    if (STAT.test(name)) stats.push(`${name}:${value.replace(/,usec=\d+,usec_per_call=[\d.]+/, "")}`);
  }
  return stats.sort();
}

/** argv with the numbers that are times within a day of now masked (PXAT, stream IDs...). */
function maskTimes(argv: string[]): string {
  const now = Date.now();
  return argv
    .map((a) => {
      const m = /^(\d+)(-\d+)?$/.exec(a);
      if (m === null) return a;
      if (Math.abs(Number(m[1]) - now) < 86_400_000) return `<ms>${m[2] ?? ""}`;
      if (Math.abs(Number(m[1]) - now / 1000) < 86_400) return "<s>";
      return a;
    })
    .join(" ");
}

/** The commands a server appends to its AOF, read as they come (from its newest incr file). */
class AofFollower {
  private path = "";
  private offset = 0;

  constructor(private readonly dir: string) {}

  /** The commands written since the last call, times masked. */
  next(): string[] {
    const path = join(this.dir, AOF_DIR, readManifest(this.dir).incr.at(-1)!.fileName);
    if (path !== this.path) {
      this.path = path;
      this.offset = 0;
    }
    const fd = openSync(path, "r");
    let bytes: Buffer;
    try {
      bytes = Buffer.alloc(Math.max(0, fstatSync(fd).size - this.offset));
      readSync(fd, bytes, 0, bytes.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const reader = new AofCommandReader();
    reader.feed(bytes);
    const commands: string[] = [];
    let end = 0;
    for (let s = reader.next(); s !== AOF_NEED_MORE; s = reader.next()) {
      if (s === AOF_COMMAND) {
        commands.push(maskTimes(reader.argv));
        end = reader.itemEnd;
      }
    }
    this.offset += end;
    return commands;
  }
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
  const pair = redisPair({
    args: ["--notify-keyspace-events", "KEAmn", "--appendonly", "yes", "--appendfsync", "no"],
  });

  it("publishes Redis's notifications, counts what Redis counts, propagates what Redis propagates", {
    timeout: 180_000,
  }, async () => {
    const clients = pair.clients();
    const aofs = pair.dirs().map((dir) => new AofFollower(dir));
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
            aofs[i].next();
            await c.call(...call);
            const propagated = aofs[i].next();
            const stats = statistics(await infoSection(c, "everything"));
            await c.call("PUBLISH", MARKER, "");
            return { events: await eventsUntilMarker(subscribers[i]), stats, propagated };
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
