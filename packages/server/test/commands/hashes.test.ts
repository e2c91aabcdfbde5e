/**
 * Hash commands through TCP, with exact replies in RESP2 and RESP3 (rendered with their types,
 * see resp-shapes.ts). Runs against Keyhaven, or real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import type { RespValue } from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { RespClient } from "../helpers.js";
import { render, renderedTarget } from "./resp-shapes.js";

const { server, c2, c3, r, r3 } = renderedTarget({ args: ["--enable-debug-command", "yes"] });

const WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value";

describe("setting and reading fields", () => {
  it("HSET/HMSET/HSETNX/HGET/HMGET/HLEN/HSTRLEN/HEXISTS", async () => {
    expect(await r("HSET", "h1", "a", "1", "b", "22")).toBe(":2");
    expect(await r("HSET", "h1", "a", "111", "c", "3")).toBe(":1");
    expect(await r("HMSET", "h1", "d", "4")).toBe("+OK");
    expect(await r("HSETNX", "h1", "a", "x")).toBe(":0");
    expect(await r("HSETNX", "h1", "e", "5")).toBe(":1");
    expect(await r("HSETNX", "newh", "f", "v")).toBe(":1");
    expect(await r("HGET", "h1", "a")).toBe("111");
    expect(await r("HGET", "h1", "zz")).toBe("$-1");
    expect(await r("HGET", "nokey", "zz")).toBe("$-1");
    expect(await r3("HGET", "h1", "zz")).toBe("_");
    expect(await r("HMGET", "h1", "a", "zz", "b")).toBe("[111,$-1,22]");
    expect(await r("HMGET", "nokey", "a", "b")).toBe("[$-1,$-1]");
    expect(await r3("HMGET", "h1", "zz")).toBe("[_]");
    expect(await r("HLEN", "h1")).toBe(":5");
    expect(await r("HLEN", "nokey")).toBe(":0");
    expect(await r("HSTRLEN", "h1", "a")).toBe(":3");
    expect(await r("HSTRLEN", "h1", "zz")).toBe(":0");
    expect(await r("HEXISTS", "h1", "b")).toBe(":1");
    expect(await r("HEXISTS", "h1", "zz")).toBe(":0");
    expect(await r("HEXISTS", "nokey", "zz")).toBe(":0");
  });

  it("arity errors of HSET/HMSET", async () => {
    expect(await r("HSET", "h2", "a")).toBe("-ERR wrong number of arguments for 'hset' command");
    expect(await r("HSET", "h2", "a", "b", "c")).toBe("-ERR wrong number of arguments for 'hset' command");
    expect(await r("HMSET", "h2", "a", "b", "c")).toBe("-ERR wrong number of arguments for 'hmset' command");
    expect(await r("EXISTS", "h2")).toBe(":0");
  });

  it("HGETALL/HKEYS/HVALS keep listpack insertion order; HGETALL is a RESP3 map", async () => {
    await r("HSET", "h3", "z", "1", "y", "2", "x", "3");
    await r("HDEL", "h3", "y");
    await r("HSET", "h3", "w", "4", "z", "9");
    expect(await r("HGETALL", "h3")).toBe("[z,9,x,3,w,4]");
    expect(await r3("HGETALL", "h3")).toBe("%{z:9,x:3,w:4}");
    expect(await r("HKEYS", "h3")).toBe("[z,x,w]");
    expect(await r("HVALS", "h3")).toBe("[9,3,4]");
    expect(await r("HGETALL", "nokey")).toBe("[]");
    expect(await r3("HGETALL", "nokey")).toBe("%{}");
    expect(await r("HKEYS", "nokey")).toBe("[]");
    expect(await r3("HVALS", "nokey")).toBe("[]");
  });

  it("HDEL counts removed fields and deletes the emptied hash", async () => {
    await r("HSET", "h4", "a", "1", "b", "2");
    expect(await r("HDEL", "h4", "a", "zz", "a")).toBe(":1");
    expect(await r("HDEL", "h4", "b", "c")).toBe(":1");
    expect(await r("EXISTS", "h4")).toBe(":0");
    expect(await r("HDEL", "h4", "b")).toBe(":0");
  });

  it("WRONGTYPE on every hash command against a list", async () => {
    await r("RPUSH", "hl", "a");
    for (const cmd of [
      ["HSET", "hl", "a", "1"],
      ["HMSET", "hl", "a", "1"],
      ["HSETNX", "hl", "a", "1"],
      ["HGET", "hl", "a"],
      ["HMGET", "hl", "a"],
      ["HDEL", "hl", "a"],
      ["HLEN", "hl"],
      ["HSTRLEN", "hl", "a"],
      ["HEXISTS", "hl", "a"],
      ["HKEYS", "hl"],
      ["HVALS", "hl"],
      ["HGETALL", "hl"],
      ["HINCRBY", "hl", "a", 1],
      ["HINCRBYFLOAT", "hl", "a", 1],
      ["HRANDFIELD", "hl"],
      ["HRANDFIELD", "hl", 2],
      ["HSCAN", "hl", 0],
    ]) {
      expect(await r(...cmd)).toBe(WRONGTYPE);
    }
  });
});

describe("counters", () => {
  it("HINCRBY with int64 limits and errors", async () => {
    expect(await r("HINCRBY", "hc", "n", 5)).toBe(":5");
    expect(await r("HINCRBY", "hc", "n", -7)).toBe(":-2");
    expect(await r("HSET", "hc", "big", "9223372036854775806")).toBe(":1");
    expect(await r("HINCRBY", "hc", "big", 1)).toBe(":9223372036854775807");
    expect(await r("HINCRBY", "hc", "big", 1)).toBe("-ERR increment or decrement would overflow");
    expect(await r("HINCRBY", "hc", "n", "x")).toBe("-ERR value is not an integer or out of range");
    expect(await r("HINCRBY", "hc", "n", "1.5")).toBe("-ERR value is not an integer or out of range");
    await r("HSET", "hc", "s", "abc", "f", "1.5");
    expect(await r("HINCRBY", "hc", "s", 1)).toBe("-ERR hash value is not an integer");
    expect(await r("HINCRBY", "hc", "f", 1)).toBe("-ERR hash value is not an integer");
    expect(await r("HINCRBY", "hc", "n", "-9223372036854775806")).toBe(":-9223372036854775808");
    expect(await r("HINCRBY", "hc", "n", -1)).toBe("-ERR increment or decrement would overflow");
    expect(await r("HGET", "hc", "n")).toBe("-9223372036854775808");
  });

  it("HINCRBYFLOAT uses long-double formatting", async () => {
    expect(await r("HINCRBYFLOAT", "hf", "x", "10.5")).toBe("10.5");
    expect(await r("HINCRBYFLOAT", "hf", "x", "0.1")).toBe("10.6");
    expect(await r("HINCRBYFLOAT", "hf", "x", "-5.0e3")).toBe("-4989.39999999999999991");
    expect(await r("HINCRBYFLOAT", "hf", "y", "3.0e3")).toBe("3000");
    expect(await r3("HINCRBYFLOAT", "hf", "y", "1")).toBe("3001");
    expect(await r("HINCRBYFLOAT", "hf", "x", "abc")).toBe("-ERR value is not a valid float");
    expect(await r("HINCRBYFLOAT", "hf", "x", "inf")).toBe("-ERR value is NaN or Infinity");
    await r("HSET", "hf", "s", "abc");
    expect(await r("HINCRBYFLOAT", "hf", "s", "1")).toBe("-ERR hash value is not a float");
    expect(await r("HINCRBYFLOAT", "nohf", "x", "abc")).toBe("-ERR value is not a valid float");
    expect(await r("EXISTS", "nohf")).toBe(":0");
  });
});

describe("HRANDFIELD", () => {
  it("without count, and with positive and negative counts", async () => {
    await r("HSET", "hr", "a", "1", "b", "2", "c", "3");
    expect(["a", "b", "c"]).toContain(await r("HRANDFIELD", "hr"));
    expect(await r("HRANDFIELD", "nokey")).toBe("$-1");
    expect(await r3("HRANDFIELD", "nokey")).toBe("_");
    expect(await r("HRANDFIELD", "nokey", 3)).toBe("[]");
    expect(await r("HRANDFIELD", "hr", 0)).toBe("[]");
    expect(await r("HRANDFIELD", "hr", 3)).toBe("[a,b,c]");
    expect(await r("HRANDFIELD", "hr", 10, "WITHVALUES")).toBe("[a,1,b,2,c,3]");
    expect(await r3("HRANDFIELD", "hr", 10, "WITHVALUES")).toBe("[[a,1],[b,2],[c,3]]");
    const two = (await c2().call("HRANDFIELD", "hr", 2)) as RespValue;
    expect(two.type).toBe("array");
    const fields = (two as { value: RespValue[] }).value.map(render);
    expect(new Set(fields).size).toBe(2);
    for (const f of fields) expect(["a", "b", "c"]).toContain(f);
    const neg = (await c2().call("HRANDFIELD", "hr", -20, "WITHVALUES")) as { value: RespValue[] };
    expect(neg.value.length).toBe(40);
    for (let i = 0; i < 40; i += 2) {
      const f = render(neg.value[i]);
      expect(render(neg.value[i + 1])).toBe({ a: "1", b: "2", c: "3" }[f]);
    }
    const neg3 = (await c3().call("HRANDFIELD", "hr", -5, "WITHVALUES")) as { value: RespValue[] };
    expect(neg3.value.length).toBe(5);
    for (const pair of neg3.value) expect(pair.type).toBe("array");
    expect(await r3("HRANDFIELD", "hr", 1)).toMatch(/^\[[abc]\]$/);
  });

  it("argument errors", async () => {
    expect(await r("HRANDFIELD", "hr", "x")).toBe("-ERR value is not an integer or out of range");
    expect(await r("HRANDFIELD", "hr", 1, "WITHVALUE")).toBe("-ERR syntax error");
    expect(await r("HRANDFIELD", "hr", 1, "WITHVALUES", "x")).toBe("-ERR syntax error");
    expect(await r("HRANDFIELD", "hr", "-9223372036854775808")).toBe(
      "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    expect(await r("HRANDFIELD", "hr", "-9223372036854775807", "WITHVALUES")).toBe(
      "-ERR value is out of range",
    );
  });

  it("is roughly uniform", async () => {
    await r("HSET", "hu", "a", "1", "b", "2", "c", "3", "d", "4");
    const counts = new Map<string, number>();
    const picks = (await c2().call("HRANDFIELD", "hu", -4000)) as { value: RespValue[] };
    for (const v of picks.value) counts.set(render(v), (counts.get(render(v)) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(["a", "b", "c", "d"]);
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
  });
});

describe("encodings", () => {
  it("listpack until hash-max-listpack-entries fields or a 64-byte string, then hashtable for good", async () => {
    // Redis 7.0's compiled-in defaults (redis.conf ships 128 entries, the binary defaults to 512).
    expect(await r("CONFIG", "GET", "hash-max-listpack-entries")).toBe("[hash-max-listpack-entries,512]");
    expect(await r("CONFIG", "GET", "hash-max-listpack-value")).toBe("[hash-max-listpack-value,64]");
    await r("CONFIG", "SET", "hash-max-listpack-entries", 128);
    await r("HSET", "he1", "a", "1");
    expect(await r("OBJECT", "ENCODING", "he1")).toBe("listpack");
    const args: string[] = [];
    for (let i = 0; i < 127; i++) args.push(`f${i}`, `v${i}`);
    await c2().call("HSET", "he1", ...args);
    expect(await r("HLEN", "he1")).toBe(":128");
    expect(await r("OBJECT", "ENCODING", "he1")).toBe("listpack");
    await r("HSET", "he1", "one-more", "x");
    expect(await r("OBJECT", "ENCODING", "he1")).toBe("hashtable");
    await c2().call("HDEL", "he1", ...args.filter((_, i) => i % 2 === 0));
    expect(await r("HLEN", "he1")).toBe(":2");
    expect(await r("OBJECT", "ENCODING", "he1")).toBe("hashtable");

    await r("HSET", "he2", "a", "x".repeat(64));
    expect(await r("OBJECT", "ENCODING", "he2")).toBe("listpack");
    await r("HSET", "he2", "b", "x".repeat(65));
    expect(await r("OBJECT", "ENCODING", "he2")).toBe("hashtable");
    await r("HSET", "he3", "f".repeat(65), "1");
    expect(await r("OBJECT", "ENCODING", "he3")).toBe("hashtable");
    await r("HINCRBY", "he4", "f".repeat(70), 1);
    expect(await r("OBJECT", "ENCODING", "he4")).toBe("hashtable");
    await r("HSET", "he5", "a", "1");
    expect(await r("HSETNX", "he5", "a", "y".repeat(100))).toBe(":0");
    expect(await r("OBJECT", "ENCODING", "he5")).toBe("listpack");
    await r("CONFIG", "SET", "hash-max-listpack-entries", 512);
  });

  it("CONFIG SET of the thresholds affects later conversions", async () => {
    try {
      expect(await r("CONFIG", "SET", "hash-max-listpack-entries", 2)).toBe("+OK");
      await r("HSET", "hc1", "a", "1", "b", "2");
      expect(await r("OBJECT", "ENCODING", "hc1")).toBe("listpack");
      await r("HSET", "hc1", "c", "3");
      expect(await r("OBJECT", "ENCODING", "hc1")).toBe("hashtable");
      expect(await r("CONFIG", "SET", "hash-max-listpack-value", 3)).toBe("+OK");
      await r("HSET", "hc2", "a", "1234");
      expect(await r("OBJECT", "ENCODING", "hc2")).toBe("hashtable");
      expect(await r("CONFIG", "SET", "hash-max-ziplist-entries", 0)).toBe("+OK");
      expect(await r("CONFIG", "GET", "hash-max-listpack-entries")).toBe("[hash-max-listpack-entries,0]");
      await r("HSET", "hc3", "a", "1");
      expect(await r("OBJECT", "ENCODING", "hc3")).toBe("hashtable");
    } finally {
      await r("CONFIG", "SET", "hash-max-listpack-entries", 512);
      await r("CONFIG", "SET", "hash-max-listpack-value", 64);
    }
  });
});

describe("HSCAN", () => {
  it("returns a listpack whole with cursor 0, with MATCH", async () => {
    await r("HSET", "hs1", "a1", "1", "b1", "2", "a2", "3");
    expect(await r("HSCAN", "hs1", 0)).toBe("[0,[a1,1,b1,2,a2,3]]");
    expect(await r("HSCAN", "hs1", 0, "MATCH", "a*")).toBe("[0,[a1,1,a2,3]]");
    expect(await r("HSCAN", "hs1", 0, "COUNT", 1)).toBe("[0,[a1,1,b1,2,a2,3]]");
    expect(await r("HSCAN", "nokey", 0)).toBe("[0,[]]");
    expect(await r("HSCAN", "hs1", "x")).toBe("-ERR invalid cursor");
    expect(await r("HSCAN", "hs1", 0, "COUNT", 0)).toBe("-ERR syntax error");
    expect(await r("HSCAN", "hs1", 0, "TYPE", "hash")).toBe("-ERR syntax error");
    expect(await r("HSCAN", "hs1", 0, "MATCH")).toBe("-ERR syntax error");
  });

  it("a full iteration of a hashtable returns every field present throughout, despite changes", async () => {
    const args: string[] = [];
    for (let i = 0; i < 1000; i++) args.push(`f${i}`, `v${i}`);
    await c2().call("HSET", "hs2", ...args);
    const seen = new Map<string, string>();
    let cursor = "0";
    let round = 0;
    do {
      const reply = (await c2().call("HSCAN", "hs2", cursor, "COUNT", 50)) as { value: RespValue[] };
      cursor = render(reply.value[0]);
      const items = (reply.value[1] as { value: RespValue[] }).value.map(render);
      for (let i = 0; i < items.length; i += 2) seen.set(items[i], items[i + 1]);
      // Churn while iterating: delete fields >= 900 and add new ones; fields < 900 stay put.
      round++;
      await c2().call("HDEL", "hs2", `f${900 + (round % 100)}`);
      await c2().call("HSET", "hs2", `new${round}`, "x");
    } while (cursor !== "0" && round < 10_000);
    expect(cursor).toBe("0");
    for (let i = 0; i < 900; i++) expect(seen.get(`f${i}`)).toBe(`v${i}`);
  });
});

describe("keyspace integration", () => {
  it("notifications use Redis's event names for hashes", async () => {
    const sub = await server().client();
    await r("CONFIG", "SET", "notify-keyspace-events", "Khg");
    try {
      await sub.call("PSUBSCRIBE", "__keyspace@0__:nh*");
      await r("HSET", "nh1", "a", "1", "b", "2");
      await r("HSETNX", "nh1", "c", "3");
      await r("HSETNX", "nh1", "c", "3");
      await r("HINCRBY", "nh1", "a", 1);
      await r("HINCRBYFLOAT", "nh1", "a", "0.5");
      await r("HDEL", "nh1", "zz");
      await r("HDEL", "nh1", "a", "b", "c");
      const msgs = (await sub.waitPushed(6)) as unknown[][];
      expect(msgs.map((m) => `${m[2]}:${m[3]}`)).toEqual([
        "__keyspace@0__:nh1:hset",
        "__keyspace@0__:nh1:hset",
        "__keyspace@0__:nh1:hincrby",
        "__keyspace@0__:nh1:hincrbyfloat",
        "__keyspace@0__:nh1:hdel",
        "__keyspace@0__:nh1:del",
      ]);
    } finally {
      sub.close();
      await r("CONFIG", "SET", "notify-keyspace-events", "");
    }
  });

  it("COPY, RENAME and MOVE carry collections; copies are independent", async () => {
    await r("RPUSH", "cl", "a", "b");
    await r("HSET", "ch", "f", "v");
    await r("SADD", "cs", "1", "x");
    for (const k of ["cl", "ch", "cs"]) expect(await r("COPY", k, `${k}2`)).toBe(":1");
    await r("RPUSH", "cl2", "c");
    await r("HSET", "ch2", "g", "w");
    await r("SADD", "cs2", "y");
    expect(await r("LRANGE", "cl", 0, -1)).toBe("[a,b]");
    expect(await r("HGETALL", "ch")).toBe("[f,v]");
    expect(await r("SCARD", "cs")).toBe(":2");
    expect(await r("DEBUG", "DIGEST-VALUE", "cl")).not.toBe(await r("DEBUG", "DIGEST-VALUE", "cl2"));
    expect(await r("COPY", "cs", "cs3")).toBe(":1");
    expect(await r("DEBUG", "DIGEST-VALUE", "cs")).toBe(await r("DEBUG", "DIGEST-VALUE", "cs3"));
    expect(await r("OBJECT", "ENCODING", "cs3")).toBe("hashtable");
    expect(await r("RENAME", "ch2", "ch4")).toBe("+OK");
    expect(await r("HGETALL", "ch4")).toBe("[f,v,g,w]");
    expect(await r("MOVE", "cl2", 1)).toBe(":1");
    expect(await r("EXISTS", "cl2")).toBe(":0");
  });

  it("a write to a collection invalidates WATCH", async () => {
    const other = await RespClient.connect(server().port, { typed: true });
    try {
      for (const [setup, write] of [
        [
          ["RPUSH", "w1", "a"],
          ["LPOP", "w1"],
        ],
        [
          ["HSET", "w2", "f", "1"],
          ["HINCRBY", "w2", "f", 1],
        ],
        [
          ["SADD", "w3", "a"],
          ["SREM", "w3", "a"],
        ],
      ]) {
        await r(...setup);
        expect(await r("WATCH", setup[1])).toBe("+OK");
        await other.call(...write);
        await r("MULTI");
        await r("PING");
        expect(await r("EXEC")).toBe("*-1");
      }
      await r("SADD", "w4", "a");
      expect(await r("WATCH", "w4")).toBe("+OK");
      await other.call("SADD", "w4", "a");
      await r("MULTI");
      await r("PING");
      expect(await r("EXEC")).toBe("[+PONG]");
    } finally {
      other.close();
    }
  });
});
