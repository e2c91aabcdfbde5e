/**
 * MIGRATE between two servers: the source is the server under test (Keyhaven, or real Redis with
 * KEYHAVEN_TEST_TARGET=redis), the destinations are of the same kind; the interop cases move keys
 * from Keyhaven to a real redis-server and back. Replies and error texts are Redis 7.0.15's.
 * Connection handling (retries, timeouts, the connection cache) is in migrate-connections.test.ts.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  errorText,
  freePort,
  hasRealRedis,
  infoSection,
  type RespClient,
  type ServerProcess,
  startServer,
  startTarget,
  stopTarget,
  waitFor,
} from "../helpers.js";

const HOST = "127.0.0.1";
const SECURED = ["--requirepass", "secret", "--user", "alice", "on", ">alicepw", "~*", "+@all"];

let src: ServerProcess;
let dst: ServerProcess;
let sec: ServerProcess;
let s: RespClient;
let d: RespClient;
let ds: RespClient;

beforeAll(async () => {
  [src, dst, sec] = await Promise.all([startTarget(), startTarget(), startTarget({ args: SECURED })]);
  [s, d, ds] = await Promise.all([src.client(), dst.client(), sec.client()]);
  await ds.call("AUTH", "secret");
});
afterAll(async () => {
  await Promise.all([stopTarget(src, s), stopTarget(dst, d), stopTarget(sec, ds)]);
});
beforeEach(async () => {
  for (const c of [s, d, ds]) {
    await c.call("SELECT", "0");
    await c.call("FLUSHALL");
  }
});

/** MIGRATE from the source to `port` (the plain destination by default). */
function migrate(key: string, db: number | string, ...rest: string[]) {
  return s.call("MIGRATE", HOST, String(dst.port), key, String(db), "5000", ...rest);
}

/** A type-specific rendering of a key's contents, equal on both sides after a move. */
async function view(c: RespClient, key: string): Promise<unknown> {
  const type = await c.call("TYPE", key);
  switch (type) {
    case "string":
      return [type, await c.call("GET", key)];
    case "list":
      return [type, await c.call("LRANGE", key, 0, -1)];
    case "hash": {
      const flat = (await c.call("HGETALL", key)) as string[];
      const pairs = Array.from({ length: flat.length / 2 }, (_, i) => `${flat[2 * i]}=${flat[2 * i + 1]}`);
      return [type, pairs.sort()];
    }
    case "set":
      return [type, ((await c.call("SMEMBERS", key)) as string[]).sort()];
    case "zset":
      return [type, await c.call("ZRANGE", key, 0, -1, "WITHSCORES")];
    case "stream":
      return [
        type,
        await c.call("XRANGE", key, "-", "+"),
        await c.call("XINFO", "GROUPS", key),
        await c.call("XPENDING", key, "g"),
      ];
    default:
      return [type];
  }
}

describe("MIGRATE", () => {
  it("moves a key: +OK, the key is on the destination and gone here", async () => {
    await s.call("SET", "k", "v");
    expect(await migrate("k", 0)).toBe("OK");
    expect(await s.call("EXISTS", "k")).toBe(0);
    expect(await d.call("GET", "k")).toBe("v");
  });

  it("answers +NOKEY when none of the keys exists, and moves the existing ones of KEYS", async () => {
    expect(await migrate("nokey", 0)).toBe("NOKEY");
    expect(await migrate("", 0, "KEYS", "x", "y")).toBe("NOKEY");
    expect(await migrate("", 0, "KEYS")).toBe("NOKEY");
    await s.call("MSET", "a", "1", "c", "3");
    expect(await migrate("", 0, "COPY", "KEYS", "a", "b", "c")).toBe("OK");
    expect(await s.call("EXISTS", "a", "c")).toBe(2);
    expect(await migrate("", 0, "REPLACE", "KEYS", "a", "b", "c")).toBe("OK");
    expect(await s.call("EXISTS", "a", "b", "c")).toBe(0);
    expect(await d.call("MGET", "a", "b", "c")).toEqual(["1", null, "3"]);
  });

  it("COPY keeps the key; without REPLACE an existing key is BUSYKEY, with REPLACE it is overwritten", async () => {
    await s.call("SET", "k", "new");
    await d.call("SET", "k", "old");
    expect(errorText(await migrate("k", 0))).toBe(
      "ERR Target instance replied with error: BUSYKEY Target key name already exists.",
    );
    expect(await s.call("GET", "k")).toBe("new");
    expect(await migrate("k", 0, "COPY", "REPLACE")).toBe("OK");
    expect(await s.call("GET", "k")).toBe("new");
    expect(await d.call("GET", "k")).toBe("new");
    // One failed RESTORE among several: the acknowledged keys still move, the error is replied.
    await s.call("MSET", "a", "1", "b", "2");
    await d.call("SET", "b", "taken");
    expect(errorText(await migrate("", 0, "KEYS", "a", "b"))).toBe(
      "ERR Target instance replied with error: BUSYKEY Target key name already exists.",
    );
    expect(await s.call("MGET", "a", "b")).toEqual([null, "2"]);
    expect(await d.call("MGET", "a", "b")).toEqual(["1", "taken"]);
  });

  it("keeps the TTL (as the time left) and no TTL for persistent keys", async () => {
    await s.call("SET", "t", "v", "PX", "60000");
    await s.call("SET", "p", "v");
    expect(await migrate("", 0, "KEYS", "t", "p")).toBe("OK");
    const pttl = (await d.call("PTTL", "t")) as number;
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await d.call("PTTL", "p")).toBe(-1);
  });

  it("moves every data type, small and large encodings", async () => {
    const many = (n: number, f: (i: number) => string[]) => Array.from({ length: n }, (_, i) => f(i)).flat();
    await s.call("SET", "str", "hello");
    await s.call("SET", "int", "12345");
    await s.call("SET", "big", "x".repeat(20_000));
    await s.call("RPUSH", "list", "a", "b", "c");
    await s.call("RPUSH", "biglist", ...many(300, (i) => [`item-${i}`]));
    await s.call("HSET", "hash", "f1", "v1", "f2", "v2");
    await s.call("HSET", "bighash", ...many(200, (i) => [`f${i}`, `v${i}`]));
    await s.call("SADD", "intset", "1", "2", "3");
    await s.call("SADD", "set", "x", "y", "z");
    await s.call("SADD", "bigset", ...many(300, (i) => [`m${i}`]));
    await s.call("ZADD", "zset", "1", "a", "2.5", "b");
    await s.call("ZADD", "bigzset", ...many(200, (i) => [String(i / 3), `m${i}`]));
    await s.call("XADD", "stream", "1-1", "f", "v");
    await s.call("XADD", "stream", "2-1", "f", "w", "g", "h");
    await s.call("XGROUP", "CREATE", "stream", "g", "0");
    await s.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">");
    const keys = (await s.call("KEYS", "*")) as string[];
    expect(keys.length).toBe(13);
    const before = await Promise.all(keys.map((k) => view(s, k)));
    expect(await migrate("", 2, "KEYS", ...keys)).toBe("OK");
    expect(await s.call("DBSIZE")).toBe(0);
    await d.call("SELECT", "2");
    expect(await Promise.all(keys.map((k) => view(d, k)))).toEqual(before);
  });

  it("selects the destination db, sending SELECT only when the connection is on another one", async () => {
    await s.call("SET", "k", "v");
    // Leave the cached connection on db 9, then count SELECTs from a known state.
    expect(await migrate("k", 9, "COPY")).toBe("OK");
    await d.call("CONFIG", "RESETSTAT");
    for (const db of [3, 3, 4, 3]) expect(await migrate("k", db, "COPY", "REPLACE")).toBe("OK");
    const stats = await infoSection(d, "commandstats");
    expect(stats.get("cmdstat_select")).toMatch(/^calls=3,/);
    expect(stats.get("cmdstat_restore")).toMatch(/^calls=4,/);
    for (const db of [3, 4, 9]) {
      await d.call("SELECT", String(db));
      expect(await d.call("GET", "k")).toBe("v");
    }
    expect(errorText(await migrate("k", 99))).toBe(
      "ERR Target instance replied with error: ERR DB index is out of range",
    );
    // A failed exchange forgets the connection's db: the next one selects again.
    expect(await migrate("k", 3, "REPLACE")).toBe("OK");
    expect(await d.call("GET", "k")).toBe("v");
  });

  it("authenticates with AUTH and AUTH2, and replies the target's errors", async () => {
    const to = (...rest: string[]) => s.call("MIGRATE", HOST, String(sec.port), "k", "0", "5000", ...rest);
    await s.call("SET", "k", "v");
    expect(errorText(await to())).toBe(
      "ERR Target instance replied with error: NOAUTH Authentication required.",
    );
    expect(errorText(await to("AUTH", "wrong"))).toBe(
      "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect(errorText(await to("AUTH2", "alice", "nope"))).toBe(
      "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect(await s.call("EXISTS", "k")).toBe(1);
    expect(await to("COPY", "AUTH", "secret")).toBe("OK");
    expect(await to("REPLACE", "AUTH2", "alice", "alicepw")).toBe("OK");
    expect(await s.call("EXISTS", "k")).toBe(0);
    expect(await ds.call("GET", "k")).toBe("v");
    // AUTH to a target without a password fails, so nothing is deleted even though it restored.
    await s.call("SET", "k2", "v");
    expect(errorText(await migrate("k2", 0, "AUTH", "foo"))).toBe(
      "ERR Target instance replied with error: ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    expect(await s.call("EXISTS", "k2")).toBe(1);
    expect(await d.call("EXISTS", "k2")).toBe(1);
  });

  it("answers IOERR when the destination cannot be reached", async () => {
    await s.call("CONFIG", "RESETSTAT");
    await s.call("SET", "k", "v");
    const port = String(await freePort());
    expect(errorText(await s.call("MIGRATE", HOST, port, "k", "0", "200"))).toBe(
      "IOERR error or timeout writing to target instance",
    );
    // getaddrinfo() refuses these before connecting.
    expect(errorText(await s.call("MIGRATE", "", port, "k", "0", "200"))).toBe(
      "IOERR error or timeout connecting to the client",
    );
    expect(errorText(await s.call("MIGRATE", HOST, "-5", "k", "0", "200"))).toBe(
      "IOERR error or timeout connecting to the client",
    );
    expect(await s.call("GET", "k")).toBe("v");
    const errors = await infoSection(s, "errorstats");
    expect(errors.get("errorstat_IOERR")).toBe("count=3");
  });

  it("checks its arguments as Redis does", async () => {
    await s.call("SET", "k", "v");
    expect(errorText(await migrate("k", 0, "KEYS", "a"))).toBe(
      "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
    );
    for (const bad of [["AUTH"], ["AUTH2", "u"], ["FOO"], ["COPY", "NOPE", "KEYS"]])
      expect(errorText(await migrate("k", 0, ...bad))).toBe("ERR syntax error");
    expect(errorText(await migrate("k", "x"))).toBe("ERR value is not an integer or out of range");
    expect(errorText(await s.call("MIGRATE", HOST, String(dst.port), "k", "0", "1.5"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorText(await s.call("MIGRATE", HOST, String(dst.port), "k", "0"))).toBe(
      "ERR wrong number of arguments for 'migrate' command",
    );
    // Options are parsed before the numbers, and a timeout of 0 or less means one second.
    expect(errorText(await migrate("k", "x", "FOO"))).toBe("ERR syntax error");
    expect(await s.call("MIGRATE", HOST, String(dst.port), "k", "0", "-1")).toBe("OK");
  });

  it("runs inside MULTI/EXEC and scripts, to the end", async () => {
    await s.call("MSET", "a", "1", "b", "2");
    await s.call("MULTI");
    await migrate("a", 0);
    await s.call("GET", "a");
    expect(await s.call("EXEC")).toEqual(["OK", null]);
    expect(
      await s.call(
        "EVAL",
        "local r = redis.call('migrate', ARGV[1], ARGV[2], KEYS[1], '0', '5000'); return {r['ok'], redis.call('exists', KEYS[1])}",
        "1",
        "b",
        HOST,
        String(dst.port),
      ),
    ).toEqual(["OK", 0]);
    expect(await d.call("MGET", "a", "b")).toEqual(["1", "2"]);
  });

  it("replicas see the moved keys deleted (one DEL), and nothing for COPY", async () => {
    const replica = await startTarget({ args: ["--replicaof", HOST, String(src.port)] });
    const r = await replica.client();
    try {
      await waitFor(
        async () => (await infoSection(r, "replication")).get("master_link_status") === "up",
        "link",
      );
      await s.call("MSET", "a", "1", "b", "2", "c", "3");
      expect(await s.call("WAIT", "1", "5000")).toBe(1);
      await r.call("CONFIG", "RESETSTAT");
      expect(await migrate("", 0, "COPY", "KEYS", "c")).toBe("OK");
      expect(await migrate("", 0, "KEYS", "a", "b", "nokey")).toBe("OK");
      expect(await s.call("WAIT", "1", "5000")).toBe(1);
      expect(await r.call("MGET", "a", "b", "c")).toEqual([null, null, "3"]);
      const stats = await infoSection(r, "commandstats");
      expect(stats.get("cmdstat_del")).toMatch(/^calls=1,/);
      expect(stats.has("cmdstat_migrate")).toBe(false);
      expect(stats.has("cmdstat_restore")).toBe(false);
    } finally {
      await stopTarget(replica, r);
    }
  });

  it("shows AUTH values redacted to MONITOR", async () => {
    const m = await src.client();
    try {
      expect(await m.call("MONITOR")).toBe("OK");
      await s.call("SET", "k", "v");
      await s.call("MIGRATE", HOST, String(sec.port), "k", "0", "5000", "AUTH2", "alice", "alicepw");
      const lines = (await m.waitPushed(2)) as string[];
      expect(lines[1]).toMatch(
        new RegExp(
          `"migrate" "${HOST}" "${sec.port}" "k" "0" "5000" "AUTH2" "\\(redacted\\)" "\\(redacted\\)"$`,
          "i",
        ),
      );
    } finally {
      m.close();
    }
  });

  it("is subject to ACL key permissions on every key of KEYS", async () => {
    await s.call("ACL", "SETUSER", "bob", "on", ">pw", "~a*", "+@all");
    const b = await src.client();
    try {
      await b.call("AUTH", "bob", "pw");
      await s.call("MSET", "a1", "1", "b1", "2");
      expect(
        errorText(await b.call("MIGRATE", HOST, String(dst.port), "", "0", "5000", "KEYS", "a1", "b1")),
      ).toBe("NOPERM this user has no permissions to access one of the keys used as arguments");
      expect(await b.call("MIGRATE", HOST, String(dst.port), "", "0", "5000", "KEYS", "a1")).toBe("OK");
    } finally {
      b.close();
      await s.call("ACL", "DELUSER", "bob");
    }
  });
});

describe("COMMAND on MIGRATE", () => {
  it("INFO, GETKEYS and DOCS as Redis 7.0", async () => {
    const spec = (flags: string[], begin: unknown[], lastkey: number) => [
      "flags",
      flags,
      "begin_search",
      begin,
      "find_keys",
      ["type", "range", "spec", ["lastkey", lastkey, "keystep", 1, "limit", 0]],
    ];
    expect(await s.call("COMMAND", "INFO", "migrate")).toEqual([
      [
        "migrate",
        -6,
        ["write", "movablekeys"],
        3,
        3,
        1,
        ["@keyspace", "@write", "@slow", "@dangerous"],
        ["nondeterministic_output"],
        [
          spec(["RW", "access", "delete"], ["type", "index", "spec", ["index", 3]], 0),
          spec(
            ["RW", "access", "delete", "incomplete"],
            ["type", "keyword", "spec", ["keyword", "KEYS", "startfrom", -2]],
            -1,
          ),
        ],
        [],
      ],
    ]);
    const keys = (...args: string[]) => s.call("COMMAND", "GETKEYS", "MIGRATE", "h", "1", ...args);
    expect(await keys("k", "0", "5")).toEqual(["k"]);
    expect(await keys("", "0", "5")).toEqual([""]);
    expect(await keys("", "0", "5", "COPY", "KEYS", "a", "b")).toEqual(["a", "b"]);
    expect(await keys("", "0", "5", "KEYS")).toEqual([""]);
    expect(await keys("", "0", "5", "AUTH", "KEYS", "a")).toEqual([""]);
    expect(await keys("", "0", "5", "KEYS", "a", "KEYS", "b")).toEqual(["a", "KEYS", "b"]);
    expect(await keys("k", "0", "5", "COPY", "KEYS")).toEqual(["k"]);
    expect(errorText(await keys("k", "0", "5", "KEYS", "a"))).toBe(
      "ERR Invalid arguments specified for command",
    );
    expect(
      await s.call("COMMAND", "GETKEYSANDFLAGS", "MIGRATE", "h", "1", "", "0", "5", "KEYS", "a"),
    ).toEqual([["a", ["RW", "access", "delete"]]]);
    const [, docs] = (await s.call("COMMAND", "DOCS", "migrate")) as [string, string[]];
    expect(docs.slice(0, 6)).toEqual([
      "summary",
      "Atomically transfer a key from a Redis instance to another one.",
      "since",
      "2.6.0",
      "group",
      "generic",
    ]);
  });
});

describe.skipIf(!hasRealRedis())("MIGRATE between Keyhaven and redis-server", () => {
  it("moves keys of every type from Keyhaven to redis-server and back", async () => {
    const [kh, rd] = await Promise.all([
      startServer("keyhaven"),
      startServer("redis", { args: ["--requirepass", "secret"] }),
    ]);
    const [k, r] = await Promise.all([kh.client(), rd.client()]);
    try {
      await r.call("AUTH", "secret");
      await k.call("SET", "str", "v", "PX", "60000");
      await k.call("RPUSH", "list", "a", "b");
      await k.call("HSET", "hash", "f", "v");
      await k.call("SADD", "set", "1", "2");
      await k.call("ZADD", "zset", "1", "m");
      await k.call("XADD", "stream", "1-1", "f", "v");
      const keys = ["str", "list", "hash", "set", "zset", "stream"];
      const before = await Promise.all(keys.map((key) => view(k, key)));
      const args = ["0", "5000", "AUTH", "secret", "KEYS", ...keys];
      expect(await k.call("MIGRATE", HOST, String(rd.port), "", ...args)).toBe("OK");
      expect(await k.call("DBSIZE")).toBe(0);
      expect(await Promise.all(keys.map((key) => view(r, key)))).toEqual(before);
      expect(await r.call("PTTL", "str")).toBeGreaterThan(55_000);
      // And back, from redis-server to Keyhaven's db 1.
      expect(await r.call("MIGRATE", HOST, String(kh.port), "", "1", "5000", "KEYS", ...keys)).toBe("OK");
      expect(await r.call("DBSIZE")).toBe(0);
      await k.call("SELECT", "1");
      expect(await Promise.all(keys.map((key) => view(k, key)))).toEqual(before);
      expect(await k.call("PTTL", "str")).toBeGreaterThan(50_000);
    } finally {
      await Promise.all([stopTarget(kh, k), stopTarget(rd, r)]);
    }
  });
});
