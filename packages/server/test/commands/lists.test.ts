/**
 * List commands through TCP, with exact replies (rendered with their RESP types, see
 * resp-shapes.ts). Runs against Keyhaven, or real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { describe, expect, it } from "vitest";
import { renderedTarget } from "./resp-shapes.js";

const { server, c2, r, r3 } = renderedTarget();

const WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value";

describe("pushes and pops", () => {
  it("LPUSH/RPUSH create the list and reply its length", async () => {
    expect(await r("RPUSH", "l1", "a", "b")).toBe(":2");
    expect(await r("LPUSH", "l1", "x", "y")).toBe(":4");
    expect(await r("LRANGE", "l1", 0, -1)).toBe("[y,x,a,b]");
    expect(await r("LPUSHX", "nol", "a")).toBe(":0");
    expect(await r("RPUSHX", "nol", "a")).toBe(":0");
    expect(await r("EXISTS", "nol")).toBe(":0");
    expect(await r("RPUSHX", "l1", "z", "w")).toBe(":6");
    expect(await r("LPUSHX", "l1", "q")).toBe(":7");
    expect(await r("LRANGE", "l1", 0, -1)).toBe("[q,y,x,a,b,z,w]");
    expect(await r("LPUSH", "l1")).toBe("-ERR wrong number of arguments for 'lpush' command");
  });

  it("LPOP/RPOP with and without count, deleting the emptied key", async () => {
    await r("RPUSH", "l2", "a", "b", "c", "d", "e");
    expect(await r("LPOP", "l2")).toBe("a");
    expect(await r("RPOP", "l2")).toBe("e");
    expect(await r("LPOP", "l2", 0)).toBe("[]");
    expect(await r("RPOP", "l2", 2)).toBe("[d,c]");
    expect(await r("LPOP", "l2", 10)).toBe("[b]");
    expect(await r("EXISTS", "l2")).toBe(":0");
    expect(await r("LPOP", "l2")).toBe("$-1");
    expect(await r("LPOP", "l2", 1)).toBe("*-1");
    expect(await r("LPOP", "l2", 0)).toBe("*-1");
    expect(await r3("LPOP", "l2")).toBe("_");
    expect(await r3("RPOP", "l2", 3)).toBe("_");
    expect(await r("LPOP", "l2", -1)).toBe("-ERR value is out of range, must be positive");
    expect(await r("LPOP", "l2", "x")).toBe("-ERR value is out of range, must be positive");
    expect(await r("LPOP", "l2", 1, 2)).toBe("-ERR wrong number of arguments for 'lpop' command");
  });

  it("WRONGTYPE on every list command against a string", async () => {
    await r("SET", "str", "v");
    for (const cmd of [
      ["LPUSH", "str", "a"],
      ["RPUSHX", "str", "a"],
      ["LPOP", "str"],
      ["RPOP", "str", 2],
      ["LLEN", "str"],
      ["LINDEX", "str", 0],
      ["LSET", "str", 0, "x"],
      ["LRANGE", "str", 0, 1],
      ["LTRIM", "str", 0, 1],
      ["LREM", "str", 0, "a"],
      ["LINSERT", "str", "BEFORE", "a", "b"],
      ["LPOS", "str", "a"],
      ["LMOVE", "str", "x", "LEFT", "LEFT"],
      ["RPOPLPUSH", "str", "x"],
      ["LMPOP", 1, "str", "LEFT"],
    ]) {
      expect(await r(...cmd)).toBe(WRONGTYPE);
    }
    expect(await r("GET", "str")).toBe("v");
  });
});

describe("index and range access", () => {
  it("LINDEX/LSET with negative and out-of-range indexes", async () => {
    await r("RPUSH", "l3", "a", "b", "c");
    expect(await r("LINDEX", "l3", 0)).toBe("a");
    expect(await r("LINDEX", "l3", -1)).toBe("c");
    expect(await r("LINDEX", "l3", -3)).toBe("a");
    expect(await r("LINDEX", "l3", 3)).toBe("$-1");
    expect(await r("LINDEX", "l3", -4)).toBe("$-1");
    expect(await r("LINDEX", "l3", "x")).toBe("-ERR value is not an integer or out of range");
    expect(await r("LINDEX", "nokey", "x")).toBe("$-1");
    expect(await r("LSET", "l3", -1, "C")).toBe("+OK");
    expect(await r("LSET", "l3", 1, "B")).toBe("+OK");
    expect(await r("LSET", "l3", 3, "D")).toBe("-ERR index out of range");
    expect(await r("LSET", "l3", -4, "D")).toBe("-ERR index out of range");
    expect(await r("LSET", "nokey", 0, "D")).toBe("-ERR no such key");
    expect(await r("LSET", "nokey", "x", "D")).toBe("-ERR no such key");
    expect(await r("LSET", "l3", "x", "D")).toBe("-ERR value is not an integer or out of range");
    expect(await r("LRANGE", "l3", 0, -1)).toBe("[a,B,C]");
    expect(await r("LLEN", "l3")).toBe(":3");
    expect(await r("LLEN", "nokey")).toBe(":0");
  });

  it("LRANGE normalizes like addListRangeReply", async () => {
    await r("RPUSH", "l4", 0, 1, 2, 3, 4, 5);
    expect(await r("LRANGE", "l4", 1, 3)).toBe("[1,2,3]");
    expect(await r("LRANGE", "l4", -2, -1)).toBe("[4,5]");
    expect(await r("LRANGE", "l4", -100, 100)).toBe("[0,1,2,3,4,5]");
    expect(await r("LRANGE", "l4", 4, 2)).toBe("[]");
    expect(await r("LRANGE", "l4", 6, 10)).toBe("[]");
    expect(await r("LRANGE", "l4", -1, -2)).toBe("[]");
    expect(await r("LRANGE", "l4", 0, "-9223372036854775808")).toBe("[]");
    expect(await r("LRANGE", "l4", "9223372036854775807", -1)).toBe("[]");
    expect(await r("LRANGE", "nokey", 0, -1)).toBe("[]");
    expect(await r("LRANGE", "l4", "a", 1)).toBe("-ERR value is not an integer or out of range");
  });

  it("LTRIM keeps a range and deletes an emptied list", async () => {
    await r("RPUSH", "l5", 0, 1, 2, 3, 4, 5, 6);
    expect(await r("LTRIM", "l5", 1, -2)).toBe("+OK");
    expect(await r("LRANGE", "l5", 0, -1)).toBe("[1,2,3,4,5]");
    expect(await r("LTRIM", "l5", -3, 100)).toBe("+OK");
    expect(await r("LRANGE", "l5", 0, -1)).toBe("[3,4,5]");
    expect(await r("LTRIM", "l5", 0, 0)).toBe("+OK");
    expect(await r("LRANGE", "l5", 0, -1)).toBe("[3]");
    expect(await r("LTRIM", "l5", 5, 10)).toBe("+OK");
    expect(await r("EXISTS", "l5")).toBe(":0");
    expect(await r("LTRIM", "nokey", 0, 1)).toBe("+OK");
    expect(await r("LTRIM", "nokey", "x", 1)).toBe("-ERR value is not an integer or out of range");
  });

  it("LREM from the head, from the tail, and all", async () => {
    await r("RPUSH", "l6", "a", "b", "a", "c", "a", "b", "a");
    expect(await r("LREM", "l6", 2, "a")).toBe(":2");
    expect(await r("LRANGE", "l6", 0, -1)).toBe("[b,c,a,b,a]");
    expect(await r("LREM", "l6", -1, "a")).toBe(":1");
    expect(await r("LRANGE", "l6", 0, -1)).toBe("[b,c,a,b]");
    expect(await r("LREM", "l6", 0, "b")).toBe(":2");
    expect(await r("LRANGE", "l6", 0, -1)).toBe("[c,a]");
    expect(await r("LREM", "l6", 0, "zz")).toBe(":0");
    expect(await r("LREM", "l6", 0, "c")).toBe(":1");
    expect(await r("LREM", "l6", 0, "a")).toBe(":1");
    expect(await r("EXISTS", "l6")).toBe(":0");
    expect(await r("LREM", "l6", 0, "a")).toBe(":0");
    expect(await r("LREM", "l6", "x", "a")).toBe("-ERR value is not an integer or out of range");
  });

  it("LINSERT before and after the first pivot", async () => {
    await r("RPUSH", "l7", "a", "b", "a");
    expect(await r("LINSERT", "l7", "BEFORE", "a", "x")).toBe(":4");
    expect(await r("LINSERT", "l7", "after", "a", "y")).toBe(":5");
    expect(await r("LRANGE", "l7", 0, -1)).toBe("[x,a,y,b,a]");
    expect(await r("LINSERT", "l7", "AFTER", "zz", "y")).toBe(":-1");
    expect(await r("LINSERT", "nokey", "AFTER", "a", "y")).toBe(":0");
    expect(await r("LINSERT", "l7", "MIDDLE", "a", "y")).toBe("-ERR syntax error");
    expect(await r("LINSERT", "nokey", "MIDDLE", "a", "y")).toBe("-ERR syntax error");
  });

  it("middle edits of a long list keep order (both shift directions)", async () => {
    const n = 300;
    const values = Array.from({ length: n }, (_, i) => String(i));
    await c2().call("RPUSH", "long", ...values);
    expect(await r("LINSERT", "long", "BEFORE", "10", "A")).toBe(`:${n + 1}`);
    expect(await r("LINSERT", "long", "AFTER", "290", "B")).toBe(`:${n + 2}`);
    values.splice(10, 0, "A");
    values.splice(292, 0, "B");
    expect(await r("LREM", "long", 1, "150")).toBe(":1");
    values.splice(values.indexOf("150"), 1);
    expect(await r("LRANGE", "long", 0, -1)).toBe(`[${values.join(",")}]`);
    expect(await r("LINDEX", "long", 200)).toBe(values[200]);
    expect(await r("LTRIM", "long", 5, -6)).toBe("+OK");
    expect(await r("LRANGE", "long", 0, -1)).toBe(`[${values.slice(5, -5).join(",")}]`);
  });
});

describe("LPOS", () => {
  it("finds matches with RANK, COUNT and MAXLEN", async () => {
    await r("RPUSH", "lp", "a", "b", "c", "1", "2", "3", "c", "c");
    expect(await r("LPOS", "lp", "c")).toBe(":2");
    expect(await r("LPOS", "lp", "c", "RANK", 2)).toBe(":6");
    expect(await r("LPOS", "lp", "c", "RANK", -1)).toBe(":7");
    expect(await r("LPOS", "lp", "c", "RANK", -3)).toBe(":2");
    expect(await r("LPOS", "lp", "c", "RANK", 4)).toBe("$-1");
    expect(await r("LPOS", "lp", "c", "COUNT", 0)).toBe("[:2,:6,:7]");
    expect(await r("LPOS", "lp", "c", "COUNT", 2)).toBe("[:2,:6]");
    expect(await r("LPOS", "lp", "c", "COUNT", 2, "RANK", -1)).toBe("[:7,:6]");
    expect(await r("LPOS", "lp", "c", "COUNT", 0, "MAXLEN", 3)).toBe("[:2]");
    expect(await r("LPOS", "lp", "c", "MAXLEN", 2)).toBe("$-1");
    expect(await r("LPOS", "lp", "zz", "COUNT", 0)).toBe("[]");
    expect(await r("LPOS", "nokey", "c")).toBe("$-1");
    expect(await r("LPOS", "nokey", "c", "COUNT", 1)).toBe("[]");
    expect(await r3("LPOS", "nokey", "c")).toBe("_");
    expect(await r("LPOS", "lp", "c", "RANK", "-9223372036854775808")).toBe(":7");
  });

  it("rejects bad options with Redis's texts, before looking at the key", async () => {
    await r("SET", "lpstr", "v");
    expect(await r("LPOS", "lpstr", "a", "RANK", 0)).toBe(
      "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    );
    expect(await r("LPOS", "lpstr", "a", "COUNT", -1)).toBe("-ERR COUNT can't be negative");
    expect(await r("LPOS", "lpstr", "a", "COUNT", "x")).toBe("-ERR COUNT can't be negative");
    expect(await r("LPOS", "lpstr", "a", "MAXLEN", -1)).toBe("-ERR MAXLEN can't be negative");
    expect(await r("LPOS", "lpstr", "a", "RANK", "x")).toBe("-ERR value is not an integer or out of range");
    expect(await r("LPOS", "lpstr", "a", "RANK")).toBe("-ERR syntax error");
    expect(await r("LPOS", "lpstr", "a", "FOO", 1)).toBe("-ERR syntax error");
    expect(await r("LPOS", "lpstr", "a")).toBe(WRONGTYPE);
  });
});

describe("moves between lists", () => {
  it("LMOVE and RPOPLPUSH, including onto the same list", async () => {
    await r("RPUSH", "m1", "a", "b", "c");
    expect(await r("LMOVE", "m1", "m2", "LEFT", "RIGHT")).toBe("a");
    expect(await r("LMOVE", "m1", "m2", "right", "left")).toBe("c");
    expect(await r("LRANGE", "m2", 0, -1)).toBe("[c,a]");
    expect(await r("RPOPLPUSH", "m2", "m2")).toBe("a");
    expect(await r("LRANGE", "m2", 0, -1)).toBe("[a,c]");
    expect(await r("RPOPLPUSH", "m1", "m2")).toBe("b");
    expect(await r("EXISTS", "m1")).toBe(":0");
    expect(await r("LRANGE", "m2", 0, -1)).toBe("[b,a,c]");
    expect(await r("LMOVE", "m1", "m2", "LEFT", "LEFT")).toBe("$-1");
    expect(await r("LMOVE", "m2", "m2", "UP", "LEFT")).toBe("-ERR syntax error");
    await r("SET", "mstr", "v");
    expect(await r("LMOVE", "m2", "mstr", "LEFT", "LEFT")).toBe(WRONGTYPE);
    expect(await r("LMOVE", "nokey", "mstr", "LEFT", "LEFT")).toBe("$-1");
    expect(await r("LRANGE", "m2", 0, -1)).toBe("[b,a,c]");
  });

  it("LMPOP picks the first non-empty key", async () => {
    await r("RPUSH", "mp2", "a", "b", "c");
    expect(await r("LMPOP", 2, "mp1", "mp2", "LEFT")).toBe("[mp2,[a]]");
    expect(await r("LMPOP", 2, "mp1", "mp2", "RIGHT", "COUNT", 5)).toBe("[mp2,[c,b]]");
    expect(await r("EXISTS", "mp2")).toBe(":0");
    expect(await r("LMPOP", 2, "mp1", "mp2", "RIGHT")).toBe("*-1");
    expect(await r3("LMPOP", 1, "mp1", "RIGHT")).toBe("_");
  });

  it("LMPOP argument errors", async () => {
    expect(await r("LMPOP", 0, "k", "LEFT")).toBe("-ERR numkeys should be greater than 0");
    expect(await r("LMPOP", "x", "k", "LEFT")).toBe("-ERR numkeys should be greater than 0");
    expect(await r("LMPOP", 2, "k", "LEFT")).toBe("-ERR syntax error");
    expect(await r("LMPOP", 1, "k", "MIDDLE")).toBe("-ERR syntax error");
    expect(await r("LMPOP", 1, "k", "LEFT", "COUNT", 0)).toBe("-ERR count should be greater than 0");
    expect(await r("LMPOP", 1, "k", "LEFT", "COUNT", "x")).toBe("-ERR count should be greater than 0");
    expect(await r("LMPOP", 1, "k", "LEFT", "COUNT", 1, "COUNT", 1)).toBe("-ERR syntax error");
    expect(await r("LMPOP", 1, "k", "LEFT", "COUNT")).toBe("-ERR syntax error");
  });
});

describe("encoding", () => {
  it("is quicklist for small and large lists alike (Redis 7.0)", async () => {
    await r("RPUSH", "enc", "a");
    expect(await r("OBJECT", "ENCODING", "enc")).toBe("quicklist");
    await c2().call("RPUSH", "enc", ...Array.from({ length: 600 }, (_, i) => `v${i}`));
    expect(await r("OBJECT", "ENCODING", "enc")).toBe("quicklist");
    expect(await r("LLEN", "enc")).toBe(":601");
  });

  it("keyspace notifications use Redis's event names", async () => {
    const sub = await server().client();
    await r("CONFIG", "SET", "notify-keyspace-events", "KEl");
    try {
      await sub.call("PSUBSCRIBE", "__keyspace@0__:nl*");
      await r("RPUSH", "nl1", "a", "b");
      await r("LPUSH", "nl1", "c");
      await r("LSET", "nl1", 0, "x");
      await r("LINSERT", "nl1", "BEFORE", "x", "y");
      await r("LREM", "nl1", 1, "y");
      await r("LTRIM", "nl1", 0, 1);
      await r("LMOVE", "nl1", "nl2", "LEFT", "RIGHT");
      await r("RPOP", "nl1");
      const msgs = (await sub.waitPushed(9)) as unknown[][];
      expect(msgs.map((m) => `${m[2]}:${m[3]}`)).toEqual([
        "__keyspace@0__:nl1:rpush",
        "__keyspace@0__:nl1:lpush",
        "__keyspace@0__:nl1:lset",
        "__keyspace@0__:nl1:linsert",
        "__keyspace@0__:nl1:lrem",
        "__keyspace@0__:nl1:ltrim",
        "__keyspace@0__:nl2:rpush",
        "__keyspace@0__:nl1:lpop",
        "__keyspace@0__:nl1:rpop",
      ]);
    } finally {
      sub.close();
      await r("CONFIG", "SET", "notify-keyspace-events", "");
    }
  });
});
