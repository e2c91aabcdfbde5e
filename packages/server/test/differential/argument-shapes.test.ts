/**
 * Every data command and subcommand both servers have, called with assorted argument shapes (too few, too
 * many, numbers where words belong, words where numbers belong, one key or two) against keys of
 * every type, must answer what redis-server answers: which check comes first (the key's type,
 * the arity, the options) decides the error a client sees, and differential tests built around
 * valid calls do not exercise that. Set members and hash fields come in hash-table order in
 * Redis, so those replies are compared as sets. Both protocols: in RESP3 the reply types (map,
 * set, double, null) are compared too.
 */

import { describe, expect, it } from "vitest";
import { hasRealRedis, RespClient } from "../helpers.js";
import { redisPair } from "./redis-pair.js";

/**
 * Left out: connection state, blocking, replication and persistence, server-wide or
 * nondeterministic replies (time, random picks, idle times, memory), commands with keys and
 * expiries whose replies depend on the clock, and SSCAN/HSCAN (a cursor names a position in
 * Redis's hash table).
 */
const LEFT_OUT = new Set(
  `shutdown monitor subscribe psubscribe ssubscribe unsubscribe punsubscribe sunsubscribe sync
  psync debug quit reset hello auth multi exec discard watch unwatch replicaof slaveof failover
  client save bgsave bgrewriteaof wait migrate command info lastsave time randomkey spop
  srandmember hrandfield zrandmember memory object latency slowlog config acl script function
  eval evalsha eval_ro evalsha_ro fcall fcall_ro lolwut pfselftest pfdebug blpop brpop brpoplpush
  blmove blmpop bzpopmin bzpopmax bzmpop xread xreadgroup role keys scan dbsize swapdb select
  move flushall flushdb restore dump psetex setex expire pexpire expireat pexpireat ttl pttl
  expiretime pexpiretime persist getex set xadd xautoclaim xclaim xinfo xpending xsetid xgroup
  publish spublish pubsub sscan hscan`.split(/\s+/),
);

/** Replies in hash-table order in Redis. */
const UNORDERED = new Set([
  "sdiff",
  "sinter",
  "sunion",
  "smembers",
  "sscan",
  "hscan",
  "hgetall",
  "hkeys",
  "hvals",
]);

const SETUPS: Record<string, string[][]> = {
  none: [],
  string: [
    ["SET", "k", "abc"],
    ["SET", "k2", "abd"],
  ],
  list: [
    ["RPUSH", "k", "a", "b", "c"],
    ["RPUSH", "k2", "x"],
  ],
  hash: [["HSET", "k", "f", "v"]],
  set: [
    ["SADD", "k", "a", "b"],
    ["SADD", "k2", "b", "c"],
  ],
  zset: [
    ["ZADD", "k", "1", "a", "2", "b"],
    ["ZADD", "k2", "3", "b"],
  ],
  mixed: [
    ["SET", "k", "1"],
    ["SADD", "k2", "x"],
  ],
};

const SHAPES = [
  ["k"],
  ["k", "1"],
  ["k", "1", "2"],
  ["k", "x", "y"],
  ["k", "-1", "x"],
  ["k", "0", "-1", "withscores"],
  ["k", "a", "1", "b"],
  ["k", "1", "2", "3", "4", "5"],
  ["k", "k2"],
  ["k", "k2", "0", "1"],
  ["k", "k2", "left", "right"],
  ["2", "k", "k2"],
  ["k", "2", "k", "k2"],
  ["k", "k2", "1", "weights", "1", "2"],
];

/** Subcommands whose replies are the connection's, the server's or the clock's, or change state. */
const SUBCOMMANDS_LEFT_OUT = new Set(
  `client|list client|info client|id client|kill client|pause client|unpause client|reply
  client|tracking client|caching client|getredir client|trackinginfo client|no-evict client|unblock
  client|setname client|getname config|set config|rewrite config|resetstat config|get memory|usage
  memory|stats memory|doctor memory|malloc-stats memory|purge object|freq object|idletime
  latency|doctor latency|graph latency|history latency|latest latency|reset latency|histogram
  slowlog|get slowlog|len slowlog|reset acl|log acl|genpass acl|setuser acl|deluser acl|load
  acl|save acl|list acl|users acl|getuser acl|dryrun script|flush script|kill script|load
  script|exists function|load function|delete function|flush function|kill function|list
  function|dump function|restore function|stats pubsub|channels pubsub|numsub pubsub|numpat
  pubsub|shardchannels pubsub|shardnumsub command|docs command|info command|list command|count
  command|getkeys command|getkeysandflags`.split(/\s+/),
);

const SUBCOMMAND_SETUPS: Record<string, string[][]> = {
  none: [],
  string: [["SET", "k", "abc"]],
  list: [["RPUSH", "k", "a", "b"]],
  stream: [
    ["XADD", "k", "1-1", "f", "v"],
    ["XGROUP", "CREATE", "k", "g", "0"],
  ],
};

const SUBCOMMAND_SHAPES = [
  [],
  ["k"],
  ["k", "g"],
  ["k", "g", "c"],
  ["k", "x", "y", "z"],
  ["k", "g", "$"],
  ["k", "g", "0", "MKSTREAM"],
  ["k", "g", "0-0", "ENTRIESREAD", "1"],
];

type CommandInfo = [string, number, ...unknown[]];

/** Runs argv on both servers after the same setup; the replies, Redis's first. */
async function bothAfter(clients: unknown[], setup: string[][], argv: string[]): Promise<[unknown, unknown]> {
  const replies = await Promise.all(
    (clients as { call(...a: string[]): Promise<unknown> }[]).map(async (c) => {
      await c.call("FLUSHALL");
      for (const cmd of setup) await c.call(...cmd);
      return c.call(...argv);
    }),
  );
  return [replies[0], replies[1]];
}

/** A reply as comparable text (typed RESP3 replies hold bigints and Buffers). */
const text = (reply: unknown): string =>
  JSON.stringify(reply, (_key, v) => (typeof v === "bigint" ? `${v}n` : v));

/** A reply in hash-table order made comparable: its elements sorted (RESP2 plain, RESP3 typed). */
function sorted(reply: unknown): unknown {
  if (Array.isArray(reply)) return [...reply].map(String).sort();
  const typed = reply as { type?: string; value?: unknown } | null;
  if (typed !== null && typeof typed === "object" && Array.isArray(typed.value)) {
    return { ...typed, value: [...typed.value].sort((a, b) => (text(a) < text(b) ? -1 : 1)) };
  }
  return reply;
}

/** Command names from a COMMAND reply, plain or typed; `sub`: the subcommands' instead. */
function commandNames(reply: unknown, sub: boolean): string[] {
  const plain = (v: unknown): unknown => {
    const t = v as { type?: string; value?: unknown };
    if (t !== null && typeof t === "object" && "type" in t) {
      if (Buffer.isBuffer(t.value)) return t.value.toString("latin1");
      return Array.isArray(t.value) ? t.value.map(plain) : t.value;
    }
    return v;
  };
  const infos = plain(reply) as CommandInfo[];
  if (!sub)
    return infos.filter((info) => ((info[9] as unknown[] | undefined) ?? []).length === 0).map((i) => i[0]);
  return infos.flatMap((info) => ((info[9] as CommandInfo[] | undefined) ?? []).map((s) => s[0]));
}

describe.skipIf(!hasRealRedis())("argument shapes of every data command, against redis-server", () => {
  const pair = redisPair();

  /** Clients to [redis, keyhaven] speaking RESP `protocol` (RESP3 ones decode typed replies). */
  async function clients(protocol: 2 | 3): Promise<[RespClient, RespClient]> {
    if (protocol === 2) return pair.clients();
    const [rp, kp] = pair.ports();
    const both = await Promise.all([rp, kp].map((port) => RespClient.connect(port, { typed: true })));
    for (const c of both) await c.call("HELLO", "3");
    return [both[0], both[1]];
  }

  for (const protocol of [2, 3] as const) {
    it(`answers every shape with Redis's reply or error (RESP${protocol})`, async () => {
      const [rc, kc] = await clients(protocol);
      try {
        const names = async (c: RespClient) => new Set(commandNames(await c.call("COMMAND"), false));
        const [theirs, ours] = await Promise.all([names(rc), names(kc)]);
        const commands = [...ours].filter((n) => theirs.has(n) && !LEFT_OUT.has(n)).sort();
        expect(commands.length).toBeGreaterThan(120);
        const differing: unknown[] = [];
        for (const name of commands) {
          for (const [setupName, setup] of Object.entries(SETUPS)) {
            for (const shape of SHAPES) {
              const replies = (await bothAfter([rc, kc], setup, [name, ...shape])).map((reply) =>
                UNORDERED.has(name) ? sorted(reply) : reply,
              );
              if (text(replies[0]) !== text(replies[1])) {
                differing.push({
                  call: [name, ...shape],
                  keys: setupName,
                  redis: text(replies[0]),
                  keyhaven: text(replies[1]),
                });
              }
            }
          }
        }
        expect(differing).toEqual([]);
      } finally {
        if (protocol === 3) for (const c of [rc, kc]) c.close();
      }
    });

    it(`answers every shape of every subcommand with Redis's reply or error (RESP${protocol})`, async () => {
      const [rc, kc] = await clients(protocol);
      try {
        const subcommands = async (c: RespClient) => new Set(commandNames(await c.call("COMMAND"), true));
        const [theirs, ours] = await Promise.all([subcommands(rc), subcommands(kc)]);
        const names = [...ours]
          .filter((n) => theirs.has(n) && !SUBCOMMANDS_LEFT_OUT.has(n) && !n.endsWith("|help"))
          .sort();
        expect(names.length).toBeGreaterThan(10);
        const differing: unknown[] = [];
        for (const name of names) {
          for (const [setupName, setup] of Object.entries(SUBCOMMAND_SETUPS)) {
            for (const shape of SUBCOMMAND_SHAPES) {
              const [redis, keyhaven] = await bothAfter([rc, kc], setup, [...name.split("|"), ...shape]);
              if (text(redis) !== text(keyhaven)) {
                differing.push({
                  call: [name, ...shape],
                  keys: setupName,
                  redis: text(redis),
                  keyhaven: text(keyhaven),
                });
              }
            }
          }
        }
        expect(differing).toEqual([]);
      } finally {
        if (protocol === 3) for (const c of [rc, kc]) c.close();
      }
    });
  }
});
