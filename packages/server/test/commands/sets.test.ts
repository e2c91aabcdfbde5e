/**
 * Set commands through TCP, with exact replies in RESP2 and RESP3 (rendered with their types,
 * see resp-shapes.ts). Runs against Keyhaven, or real Redis with KEYHAVEN_TEST_TARGET=redis.
 * Where Redis's order is unspecified (hashtable sets) replies are sorted before comparing.
 */

import type { RespValue } from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { render, renderedTarget } from "./resp-shapes.js";

const { server, c2, c3, r, r3 } = renderedTarget();

const WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value";

/** The items of an aggregate reply, rendered and sorted (for unspecified orders). */
async function sorted(...args: (string | number)[]): Promise<string[]> {
  const v = (await c2().call(...args)) as { value: RespValue[] };
  return v.value.map(render).sort();
}

describe("members", () => {
  it("SADD/SREM/SCARD/SISMEMBER/SMISMEMBER and key deletion", async () => {
    expect(await r("SADD", "s1", "a", "b", "a")).toBe(":2");
    expect(await r("SADD", "s1", "b", "c")).toBe(":1");
    expect(await r("SCARD", "s1")).toBe(":3");
    expect(await r("SCARD", "nokey")).toBe(":0");
    expect(await r("SISMEMBER", "s1", "a")).toBe(":1");
    expect(await r("SISMEMBER", "s1", "z")).toBe(":0");
    expect(await r("SISMEMBER", "nokey", "z")).toBe(":0");
    expect(await r("SMISMEMBER", "s1", "a", "z", "c")).toBe("[:1,:0,:1]");
    expect(await r("SMISMEMBER", "nokey", "a")).toBe("[:0]");
    expect(await r("SREM", "s1", "a", "z")).toBe(":1");
    expect(await r("SREM", "s1", "b", "c", "d")).toBe(":2");
    expect(await r("EXISTS", "s1")).toBe(":0");
    expect(await r("SREM", "s1", "b")).toBe(":0");
  });

  it("SMEMBERS is a RESP3 set; intsets reply in ascending order", async () => {
    await r("SADD", "si", 10, -3, 7, 0, "9223372036854775807", "-9223372036854775808");
    expect(await r("SMEMBERS", "si")).toBe("[-9223372036854775808,-3,0,7,10,9223372036854775807]");
    expect(await r3("SMEMBERS", "si")).toBe("~[-9223372036854775808,-3,0,7,10,9223372036854775807]");
    expect(await r("SMEMBERS", "nokey")).toBe("[]");
    expect(await r3("SMEMBERS", "nokey")).toBe("~[]");
    await r("SADD", "sh", "b", "a", "c");
    expect(await sorted("SMEMBERS", "sh")).toEqual(["a", "b", "c"]);
  });

  it("SMOVE", async () => {
    await r("SADD", "mv1", "a", "b");
    expect(await r("SMOVE", "mv1", "mv2", "a")).toBe(":1");
    expect(await r("SMOVE", "mv1", "mv2", "a")).toBe(":0");
    expect(await r("SMOVE", "mv1", "mv1", "b")).toBe(":1");
    expect(await r("SMOVE", "mv1", "mv1", "z")).toBe(":0");
    expect(await r("SADD", "mv2", "b")).toBe(":1");
    expect(await r("SMOVE", "mv1", "mv2", "b")).toBe(":1");
    expect(await r("EXISTS", "mv1")).toBe(":0");
    expect(await sorted("SMEMBERS", "mv2")).toEqual(["a", "b"]);
    expect(await r("SMOVE", "nokey", "mv2", "a")).toBe(":0");
    await r("SET", "mvs", "v");
    expect(await r("SMOVE", "nokey", "mvs", "a")).toBe(":0");
    expect(await r("SMOVE", "mv2", "mvs", "a")).toBe(WRONGTYPE);
    expect(await r("SMOVE", "mvs", "mv2", "a")).toBe(WRONGTYPE);
  });

  it("WRONGTYPE on every set command against a hash", async () => {
    await r("HSET", "sw", "a", "1");
    for (const cmd of [
      ["SADD", "sw", "a"],
      ["SREM", "sw", "a"],
      ["SCARD", "sw"],
      ["SISMEMBER", "sw", "a"],
      ["SMISMEMBER", "sw", "a"],
      ["SMEMBERS", "sw"],
      ["SRANDMEMBER", "sw"],
      ["SRANDMEMBER", "sw", 2],
      ["SPOP", "sw"],
      ["SPOP", "sw", 2],
      ["SINTER", "sw"],
      ["SINTERCARD", 1, "sw"],
      ["SUNION", "sw"],
      ["SDIFF", "sw"],
      ["SINTERSTORE", "d", "sw"],
      ["SUNIONSTORE", "d", "sw"],
      ["SDIFFSTORE", "d", "sw"],
      ["SSCAN", "sw", 0],
    ]) {
      expect(await r(...cmd)).toBe(WRONGTYPE);
    }
  });
});

describe("random members", () => {
  it("SRANDMEMBER shapes and counts", async () => {
    await r("SADD", "sr", 1, 2, 3, 4, 5);
    expect(["1", "2", "3", "4", "5"]).toContain(await r("SRANDMEMBER", "sr"));
    expect(await r("SRANDMEMBER", "nokey")).toBe("$-1");
    expect(await r3("SRANDMEMBER", "nokey")).toBe("_");
    expect(await r("SRANDMEMBER", "nokey", 3)).toBe("[]");
    expect(await r("SRANDMEMBER", "sr", 0)).toBe("[]");
    expect(await r("SRANDMEMBER", "sr", 10)).toBe("[1,2,3,4,5]");
    expect(await r3("SRANDMEMBER", "sr", 10)).toBe("[1,2,3,4,5]");
    const three = await sorted("SRANDMEMBER", "sr", 3);
    expect(new Set(three).size).toBe(3);
    const many = await sorted("SRANDMEMBER", "sr", -50);
    expect(many.length).toBe(50);
    for (const m of many) expect(["1", "2", "3", "4", "5"]).toContain(m);
    expect(await r("SRANDMEMBER", "sr", "x")).toBe("-ERR value is not an integer or out of range");
    expect(await r("SRANDMEMBER", "sr", 1, 2)).toBe("-ERR syntax error");
    expect(await r("SRANDMEMBER", "sr", "-9223372036854775808")).toBe(
      "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  });

  it("SRANDMEMBER is roughly uniform over a hashtable set", async () => {
    await r("SADD", "su", "a", "b", "c", "d");
    const picks = await sorted("SRANDMEMBER", "su", -4000);
    const counts = new Map<string, number>();
    for (const p of picks) counts.set(p, (counts.get(p) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(["a", "b", "c", "d"]);
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
  });

  /**
   * SPOP's pick is uniform: TRIALS fresh 5-member sets, one pop each (and a pop of 2), on both
   * encodings. Chi-square over the 5 members (4 degrees of freedom) stays under 30, which a
   * uniform pick exceeds with probability below 1e-5; a pick stuck on one end of the set (the
   * first or last inserted member, the lowest integer) gives thousands.
   */
  it("SPOP picks uniformly (single and with a count), intset and hashtable", async () => {
    const TRIALS = 2000;
    const chiSquare = (counts: Map<string, number>, members: string[], expected: number) =>
      members.reduce((sum, m) => sum + ((counts.get(m) ?? 0) - expected) ** 2 / expected, 0);
    for (const members of [
      ["1", "2", "3", "4", "5"],
      ["a", "b", "c", "d", "e"],
    ]) {
      for (const count of [null, 2]) {
        const pops: Promise<unknown>[] = [];
        for (let i = 0; i < TRIALS; i++) {
          const k = `spd:${i}`;
          void c2().call("SADD", k, ...members);
          pops.push(count === null ? c2().call("SPOP", k) : c2().call("SPOP", k, count));
        }
        const counts = new Map<string, number>();
        for (const reply of (await Promise.all(pops)) as RespValue[]) {
          const picked = reply.type === "array" ? reply.value.map(render) : [render(reply)];
          expect(new Set(picked).size).toBe(count ?? 1);
          for (const p of picked) counts.set(p, (counts.get(p) ?? 0) + 1);
        }
        expect([...counts.keys()].sort()).toEqual(members);
        const expected = (TRIALS * (count ?? 1)) / members.length;
        expect(chiSquare(counts, members, expected), `${members} count ${count}`).toBeLessThan(30);
        expect(await r("OBJECT", "ENCODING", "spd:0")).toBe(members[0] === "1" ? "intset" : "hashtable");
        await c2().call("FLUSHALL");
      }
    }
  });

  it("SPOP without and with count", async () => {
    await r("SADD", "sp", "a", "b", "c", "d", "e");
    const one = await r("SPOP", "sp");
    expect(["a", "b", "c", "d", "e"]).toContain(one);
    expect(await r("SCARD", "sp")).toBe(":4");
    const two = (await c3().call("SPOP", "sp", 2)) as { type: string; value: RespValue[] };
    expect(two.type).toBe("set");
    expect(two.value.length).toBe(2);
    expect(await r("SCARD", "sp")).toBe(":2");
    expect(await r("SPOP", "sp", 0)).toBe("[]");
    expect(await r3("SPOP", "sp", 0)).toBe("~[]");
    const rest = await sorted("SPOP", "sp", 10);
    expect(rest.length).toBe(2);
    const all = [one, ...two.value.map(render), ...rest].sort();
    expect(all).toEqual(["a", "b", "c", "d", "e"]);
    expect(await r("EXISTS", "sp")).toBe(":0");
    expect(await r("SPOP", "sp")).toBe("$-1");
    expect(await r("SPOP", "sp", 3)).toBe("[]");
    expect(await r3("SPOP", "sp", 3)).toBe("~[]");
    expect(await r("SPOP", "sp", -1)).toBe("-ERR value is out of range, must be positive");
    expect(await r("SPOP", "sp", "x")).toBe("-ERR value is out of range, must be positive");
    expect(await r("SPOP", "sp", 1, 2)).toBe("-ERR syntax error");
  });

  it("SPOP of most of a hashtable set rebuilds it (intset again when all integers)", async () => {
    await r("SADD", "sb", "x", 1, 2, 3, 4, 5, 6, 7, 8, 9);
    expect(await r("OBJECT", "ENCODING", "sb")).toBe("hashtable");
    await r("SREM", "sb", "x");
    const popped = await sorted("SPOP", "sb", 8);
    expect(popped.length).toBe(8);
    expect(await r("SCARD", "sb")).toBe(":1");
    expect(await r("OBJECT", "ENCODING", "sb")).toBe("intset");
  });
});

describe("set algebra", () => {
  it("SINTER/SUNION/SDIFF, with missing keys as empty sets", async () => {
    await r("SADD", "a1", 1, 2, 3, 4);
    await r("SADD", "a2", 3, 4, 5);
    await r("SADD", "a3", "x", 4, 3);
    expect(await r("SINTER", "a1", "a2")).toBe("[3,4]");
    expect(await r3("SINTER", "a1", "a2")).toBe("~[3,4]");
    expect(await sorted("SINTER", "a1", "a2", "a3")).toEqual(["3", "4"]);
    expect(await r("SINTER", "a1", "nokey")).toBe("[]");
    expect(await r3("SINTER", "a1", "nokey")).toBe("~[]");
    expect(await r("SINTER", "a1", "a1")).toBe("[1,2,3,4]");
    expect(await r("SUNION", "a1", "a2", "nokey")).toBe("[1,2,3,4,5]");
    expect(await sorted("SUNION", "a2", "a3")).toEqual(["3", "4", "5", "x"]);
    expect(await r("SDIFF", "a1", "a2")).toBe("[1,2]");
    expect(await r("SDIFF", "a1", "nokey")).toBe("[1,2,3,4]");
    expect(await r("SDIFF", "a1", "a1")).toBe("[]");
    expect(await r("SDIFF", "nokey", "a1")).toBe("[]");
    expect(await sorted("SDIFF", "a3", "a1")).toEqual(["x"]);
    await r("SET", "astr", "v");
    expect(await r("SINTER", "nokey", "astr")).toBe(WRONGTYPE);
    expect(await r("SUNION", "a1", "astr")).toBe(WRONGTYPE);
    expect(await r("SDIFF", "nokey", "astr")).toBe(WRONGTYPE);
  });

  it("SINTERCARD with LIMIT and its errors", async () => {
    expect(await r("SINTERCARD", 2, "a1", "a2")).toBe(":2");
    expect(await r("SINTERCARD", 2, "a1", "a2", "LIMIT", 1)).toBe(":1");
    expect(await r("SINTERCARD", 2, "a1", "a2", "LIMIT", 0)).toBe(":2");
    expect(await r("SINTERCARD", 1, "a1")).toBe(":4");
    expect(await r("SINTERCARD", 2, "a1", "nokey")).toBe(":0");
    expect(await r("SINTERCARD", 0, "a1")).toBe("-ERR numkeys should be greater than 0");
    expect(await r("SINTERCARD", "x", "a1")).toBe("-ERR numkeys should be greater than 0");
    expect(await r("SINTERCARD", 3, "a1", "a2")).toBe(
      "-ERR Number of keys can't be greater than number of args",
    );
    expect(await r("SINTERCARD", 1, "a1", "LIMIT", -1)).toBe("-ERR LIMIT can't be negative");
    expect(await r("SINTERCARD", 1, "a1", "LIMIT", "x")).toBe("-ERR LIMIT can't be negative");
    expect(await r("SINTERCARD", 1, "a1", "FOO", 1)).toBe("-ERR syntax error");
    expect(await r("SINTERCARD", 1, "a1", "LIMIT")).toBe("-ERR syntax error");
  });

  it("STORE forms replace the destination (dropping its TTL) or delete it when empty", async () => {
    await r("SET", "dst", "string");
    await r("EXPIRE", "dst", 100);
    expect(await r("SINTERSTORE", "dst", "a1", "a2")).toBe(":2");
    expect(await r("TYPE", "dst")).toBe("+set");
    expect(await r("TTL", "dst")).toBe(":-1");
    expect(await r("OBJECT", "ENCODING", "dst")).toBe("intset");
    expect(await r("SUNIONSTORE", "dst", "a2", "a3")).toBe(":4");
    expect(await r("OBJECT", "ENCODING", "dst")).toBe("hashtable");
    expect(await r("SDIFFSTORE", "dst", "a1", "a2")).toBe(":2");
    expect(await r("SMEMBERS", "dst")).toBe("[1,2]");
    expect(await r("SINTERSTORE", "dst", "a1", "nokey")).toBe(":0");
    expect(await r("EXISTS", "dst")).toBe(":0");
    expect(await r("SUNIONSTORE", "dst", "nokey")).toBe(":0");
    expect(await r("SINTERSTORE", "a1", "a1", "a2")).toBe(":2");
    expect(await r("SMEMBERS", "a1")).toBe("[3,4]");
  });
});

describe("encodings", () => {
  it("intset for integers up to set-max-intset-entries, hashtable otherwise", async () => {
    expect(await r("CONFIG", "GET", "set-max-intset-entries")).toBe("[set-max-intset-entries,512]");
    await r("SADD", "e1", 1, 2, 3);
    expect(await r("OBJECT", "ENCODING", "e1")).toBe("intset");
    await r("SADD", "e1", "a");
    expect(await r("OBJECT", "ENCODING", "e1")).toBe("hashtable");
    await r("SREM", "e1", "a");
    expect(await r("OBJECT", "ENCODING", "e1")).toBe("hashtable");
    for (const [key, member] of [
      ["e2", "01"],
      ["e3", "-0"],
      ["e4", "+1"],
      ["e5", "9223372036854775808"],
      ["e6", " 1"],
    ]) {
      await r("SADD", key, member);
      expect(await r("OBJECT", "ENCODING", key)).toBe("hashtable");
    }
    await c2().call("SADD", "e7", ...Array.from({ length: 512 }, (_, i) => String(i)));
    expect(await r("OBJECT", "ENCODING", "e7")).toBe("intset");
    await r("SADD", "e7", 512);
    expect(await r("OBJECT", "ENCODING", "e7")).toBe("hashtable");
    try {
      expect(await r("CONFIG", "SET", "set-max-intset-entries", 2)).toBe("+OK");
      await r("SADD", "e8", 1, 2);
      expect(await r("OBJECT", "ENCODING", "e8")).toBe("intset");
      await r("SADD", "e8", 3);
      expect(await r("OBJECT", "ENCODING", "e8")).toBe("hashtable");
    } finally {
      await r("CONFIG", "SET", "set-max-intset-entries", 512);
    }
  });
});

describe("SSCAN", () => {
  it("returns an intset whole with cursor 0", async () => {
    await r("SADD", "ss1", 3, 1, 2, 10);
    expect(await r("SSCAN", "ss1", 0)).toBe("[0,[1,2,3,10]]");
    expect(await r("SSCAN", "ss1", 0, "MATCH", "1*")).toBe("[0,[1,10]]");
    expect(await r("SSCAN", "nokey", 0)).toBe("[0,[]]");
    expect(await r("SSCAN", "ss1", "1x")).toBe("-ERR invalid cursor");
    expect(await r("SSCAN", "ss1", 0, "TYPE", "set")).toBe("-ERR syntax error");
  });

  it("a full iteration of a hashtable returns every member present throughout, despite changes", async () => {
    await c2().call("SADD", "ss2", ...Array.from({ length: 1000 }, (_, i) => `m${i}`));
    const seen = new Set<string>();
    let cursor = "0";
    let round = 0;
    do {
      const reply = (await c2().call("SSCAN", "ss2", cursor, "COUNT", 40)) as { value: RespValue[] };
      cursor = render(reply.value[0]);
      for (const m of (reply.value[1] as { value: RespValue[] }).value) seen.add(render(m));
      round++;
      await c2().call("SREM", "ss2", `m${900 + (round % 100)}`);
      await c2().call("SPOP", "ss2", 0);
      await c2().call("SADD", "ss2", `new${round}`, `new${round}b`);
    } while (cursor !== "0" && round < 10_000);
    expect(cursor).toBe("0");
    for (let i = 0; i < 900; i++) expect(seen.has(`m${i}`)).toBe(true);
  });
});

describe("notifications", () => {
  it("uses Redis's event names for sets", async () => {
    const sub = await server().client();
    await r("CONFIG", "SET", "notify-keyspace-events", "Ksg");
    try {
      await sub.call("PSUBSCRIBE", "__keyspace@0__:ns*");
      await r("SADD", "ns1", "a", "b", "c");
      await r("SREM", "ns1", "a");
      await r("SMOVE", "ns1", "ns2", "b");
      await r("SPOP", "ns1");
      await r("SINTERSTORE", "ns3", "ns2");
      await r("SUNIONSTORE", "ns3", "ns2");
      await r("SDIFFSTORE", "ns3", "ns2", "ns2");
      const msgs = (await sub.waitPushed(9)) as unknown[][];
      expect(msgs.map((m) => `${m[2]}:${m[3]}`)).toEqual([
        "__keyspace@0__:ns1:sadd",
        "__keyspace@0__:ns1:srem",
        "__keyspace@0__:ns1:srem",
        "__keyspace@0__:ns2:sadd",
        "__keyspace@0__:ns1:spop",
        "__keyspace@0__:ns1:del",
        "__keyspace@0__:ns3:sinterstore",
        "__keyspace@0__:ns3:sunionstore",
        "__keyspace@0__:ns3:del",
      ]);
    } finally {
      sub.close();
      await r("CONFIG", "SET", "notify-keyspace-events", "");
    }
  });
});
