#!/usr/bin/env node
/**
 * Collection memory (sorted sets and hashes), Keyhaven against real Redis (Debian's
 * redis-server 7.0) on this machine:
 *
 *   small: 100,000 sorted sets of 10 members each (listpack encoding), RSS per key
 *   big:   one sorted set of 1,000,000 members (skiplist encoding), RSS per member
 *   hash:  100,000 hashes of 10 fields each (listpack encoding), RSS per key
 *
 * Method, identical for both servers: a fresh server per scenario; a warm-up that sends the
 * very same pipelined traffic with ZADD's XX flag (so nothing is stored; for hashes the same
 * arguments as HDEL, which finds nothing to delete), which lets the fixed
 * start-up growth (V8's young generation, buffers, allocator arenas) happen before the baseline
 * without leaving freed data pages behind for the real load to reuse; then RSS (INFO
 * used_memory_rss) after MEMORY PURGE (jemalloc purge in Redis, a full GC in Keyhaven) and a
 * short settle, before and after loading the data with pipelined ZADDs. Prints the deltas per
 * key / per member and the ratio keyhaven/redis (target: <= 2.5).
 *
 * Usage: node bench/zset-memory.mjs [--small-keys N] [--big-members N] [--hash-keys N] [--only small,big,hash]
 * (build first: pnpm run build)
 */

import { infoField, prng, sleep, startServer } from "./zset-lib.mjs";

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const SMALL_KEYS = opt("--small-keys", 100_000);
const SMALL_MEMBERS = 10;
const BIG_MEMBERS = opt("--big-members", 1_000_000);
const HASH_KEYS = opt("--hash-keys", 100_000);
const HASH_FIELDS = 10;
const BATCH = 100;
const onlyAt = argv.indexOf("--only");
const SCENARIOS = onlyAt >= 0 ? argv[onlyAt + 1].split(",") : ["small", "big", "hash"];

async function settledRss(conn) {
  await conn.call("MEMORY", "PURGE");
  await sleep(500);
  await conn.call("MEMORY", "PURGE");
  await sleep(500);
  return {
    rss: await infoField(conn, "memory", "used_memory_rss"),
    used: await infoField(conn, "memory", "used_memory"),
  };
}

function loadSmall(conn, prefix, keys, flags = []) {
  return conn.pipeline(keys, (k) => {
    const args = ["ZADD", `${prefix}:${k}`, ...flags];
    for (let j = 0; j < SMALL_MEMBERS; j++) args.push(j * 10 + (k % 7), `member:${j}`);
    return args;
  });
}

/** HSET hs:k field:j value... (10 short fields); `command` HDEL sends the same bytes, storing nothing. */
function loadHashes(conn, keys, command = "HSET") {
  return conn.pipeline(keys, (k) => {
    const args = [command, `hs:${k}`];
    for (let j = 0; j < HASH_FIELDS; j++) args.push(`field:${j}`, `value:${(k * 7 + j) % 1000}`);
    return args;
  });
}

function loadBig(conn, key, members, flags = []) {
  const rnd = prng(42);
  return conn.pipeline(
    Math.ceil(members / BATCH),
    (b) => {
      const args = ["ZADD", key, ...flags];
      for (let j = 0; j < BATCH && b * BATCH + j < members; j++)
        args.push(Math.floor(rnd() * 1e9), `member:${b * BATCH + j}`);
      return args;
    },
    200,
  );
}

async function scenario(kind, name) {
  const s = await startServer(kind);
  try {
    const c = s.conn;
    if (name === "small") await loadSmall(c, "zs", SMALL_KEYS, ["XX"]);
    else if (name === "hash") await loadHashes(c, HASH_KEYS, "HDEL");
    else await loadBig(c, "bigz", BIG_MEMBERS, ["XX"]);
    if ((await c.call("DBSIZE")) !== ":0") throw new Error("the warm-up stored data");
    const before = await settledRss(c);
    const t0 = performance.now();
    if (name === "small") await loadSmall(c, "zs", SMALL_KEYS);
    else if (name === "hash") await loadHashes(c, HASH_KEYS);
    else await loadBig(c, "bigz", BIG_MEMBERS);
    const loadMs = performance.now() - t0;
    const after = await settledRss(c);
    const probe = { small: ["ZCARD", "zs:7"], big: ["ZCARD", "bigz"], hash: ["HLEN", "hs:7"] }[name];
    const check = await c.call(...probe);
    const encoding = await c.call("OBJECT", "ENCODING", probe[1]);
    const units = { small: SMALL_KEYS, big: BIG_MEMBERS, hash: HASH_KEYS }[name];
    return {
      rss: (after.rss - before.rss) / units,
      used: (after.used - before.used) / units,
      loadMs,
      check: `${check} ${encoding}`,
    };
  } finally {
    s.stop();
  }
}

const rows = [];
for (const name of SCENARIOS) {
  const redis = await scenario("redis", name);
  const keyhaven = await scenario("keyhaven", name);
  rows.push({ name, redis, keyhaven });
}

const unit = {
  small: `per key (${SMALL_KEYS} sets x ${SMALL_MEMBERS})`,
  big: `per member (1 set x ${BIG_MEMBERS})`,
  hash: `per key (${HASH_KEYS} hashes x ${HASH_FIELDS} fields)`,
};
for (const { name, redis, keyhaven } of rows) {
  console.log(`${name}: RSS bytes ${unit[name]}`);
  console.log(
    `  redis    rss ${redis.rss.toFixed(1).padStart(8)}  used_memory ${redis.used.toFixed(1).padStart(8)}  load ${redis.loadMs.toFixed(0)} ms  [${redis.check}]`,
  );
  console.log(
    `  keyhaven rss ${keyhaven.rss.toFixed(1).padStart(8)}  used_memory ${keyhaven.used.toFixed(1).padStart(8)}  load ${keyhaven.loadMs.toFixed(0)} ms  [${keyhaven.check}]`,
  );
  console.log(`  ratio keyhaven/redis (RSS): ${(keyhaven.rss / redis.rss).toFixed(2)}x (target <= 2.5x)`);
}
process.exit(0);
