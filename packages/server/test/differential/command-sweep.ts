/**
 * The calls of the differential sweeps over every data command (argument-shapes.test.ts,
 * side-effects.test.ts): which commands are left out and why, the key setups, the argument
 * shapes, and how replies are made comparable.
 */

/**
 * Left out: connection state, blocking, replication and persistence, server-wide or
 * nondeterministic replies (time, random picks, idle times, memory), commands with keys and
 * expiries whose replies depend on the clock, and SSCAN/HSCAN (a cursor names a position in
 * Redis's hash table).
 */
export const LEFT_OUT = new Set(
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
export const UNORDERED = new Set([
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

export const SETUPS: Record<string, string[][]> = {
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

export const SHAPES = [
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
export const SUBCOMMANDS_LEFT_OUT = new Set(
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

export const SUBCOMMAND_SETUPS: Record<string, string[][]> = {
  none: [],
  string: [["SET", "k", "abc"]],
  list: [["RPUSH", "k", "a", "b"]],
  stream: [
    ["XADD", "k", "1-1", "f", "v"],
    ["XGROUP", "CREATE", "k", "g", "0"],
  ],
};

export const SUBCOMMAND_SHAPES = [
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

/** A reply as comparable text (typed RESP3 replies hold bigints and Buffers). */
export const text = (reply: unknown): string =>
  JSON.stringify(reply, (_key, v) => (typeof v === "bigint" ? `${v}n` : v));

/** A reply in hash-table order made comparable: its elements sorted (RESP2 plain, RESP3 typed). */
export function sorted(reply: unknown): unknown {
  if (Array.isArray(reply)) return [...reply].map(String).sort();
  const typed = reply as { type?: string; value?: unknown } | null;
  if (typed !== null && typeof typed === "object" && Array.isArray(typed.value)) {
    return { ...typed, value: [...typed.value].sort((a, b) => (text(a) < text(b) ? -1 : 1)) };
  }
  return reply;
}

/** Command names from a COMMAND reply, plain or typed; `sub`: the subcommands' instead. */
export function commandNames(reply: unknown, sub: boolean): string[] {
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
