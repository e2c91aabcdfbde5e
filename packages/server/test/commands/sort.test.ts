/**
 * SORT and SORT_RO through TCP, with exact replies. Runs against Keyhaven, or real Redis with
 * KEYHAVEN_TEST_TARGET=redis. The sorted-set case runs where ZADD exists (skipped otherwise);
 * SORT over the ZSetValue interface is also covered in-process by propagation-forms.test.ts.
 */

import type { RespValue } from "@keyhaven/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { render, renderedTarget } from "./resp-shapes.js";

const { c2, r, r3 } = renderedTarget();

// Runs after renderedTarget's beforeAll (before hooks run in the order they are registered).
beforeAll(async () => {
  await r("RPUSH", "l", 3, 1, 2, 10, -5, "1.5");
  await r("MSET", "w_3", 30, "w_1", 10, "w_2", 20, "w_10", 1, "w_-5", 0, "w_1.5", 15);
  await r("HSET", "h_1", "f", "b", "n", "name1");
  await r("HSET", "h_2", "f", "a", "n", "name2");
  await r("HSET", "h_3", "f", "c");
});

describe("SORT", () => {
  it("numeric and ALPHA, ASC and DESC", async () => {
    expect(await r("SORT", "l")).toBe("[-5,1,1.5,2,3,10]");
    expect(await r("SORT", "l", "DESC")).toBe("[10,3,2,1.5,1,-5]");
    expect(await r("SORT", "l", "ALPHA")).toBe("[-5,1,1.5,10,2,3]");
    expect(await r("SORT", "l", "ALPHA", "DESC")).toBe("[3,2,10,1.5,1,-5]");
    expect(await r("SORT", "l", "asc", "alpha", "desc")).toBe("[3,2,10,1.5,1,-5]");
  });

  it("equal scores are ordered by the elements' bytes", async () => {
    await r("RPUSH", "ties", "b", "a", "c");
    expect(await r("SORT", "ties", "BY", "nosuchkey_*")).toBe("[a,b,c]");
    expect(await r("SORT", "ties", "BY", "nosuchkey_*", "DESC")).toBe("[c,b,a]");
  });

  it("LIMIT, clamped like Redis", async () => {
    expect(await r("SORT", "l", "LIMIT", 1, 2)).toBe("[1,1.5]");
    expect(await r("SORT", "l", "LIMIT", -5, 2)).toBe("[-5,1]");
    expect(await r("SORT", "l", "LIMIT", 4, -1)).toBe("[3,10]");
    expect(await r("SORT", "l", "LIMIT", 4, 100)).toBe("[3,10]");
    expect(await r("SORT", "l", "LIMIT", 6, 1)).toBe("[]");
    expect(await r("SORT", "l", "LIMIT", 0, 0)).toBe("[]");
    expect(await r("SORT", "l", "LIMIT", "x", 1)).toBe("-ERR value is not an integer or out of range");
    expect(await r("SORT", "l", "LIMIT", 1)).toBe("-ERR syntax error");
  });

  it("BY a constant pattern keeps the native order (DESC reverses, LIMIT applies)", async () => {
    expect(await r("SORT", "l", "BY", "nosort")).toBe("[3,1,2,10,-5,1.5]");
    expect(await r("SORT", "l", "BY", "nosort", "DESC")).toBe("[1.5,-5,10,2,1,3]");
    expect(await r("SORT", "l", "BY", "nosort", "LIMIT", 1, 2)).toBe("[1,2]");
    expect(await r("SORT", "l", "BY", "nosort", "LIMIT", 1, 2, "DESC")).toBe("[-5,10]");
  });

  it("BY weight keys and hash fields, GET with # and ->", async () => {
    expect(await r("SORT", "l", "BY", "w_*")).toBe("[-5,10,1,1.5,2,3]");
    expect(await r("SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*")).toBe(
      "[-5,0,10,1,1,10,1.5,15,2,20,3,30]",
    );
    expect(await r("SORT", "l", "BY", "h_*->f", "ALPHA", "GET", "h_*->n", "LIMIT", 0, 4)).toBe(
      "[$-1,$-1,$-1,name2]",
    );
    expect(await r("SORT", "l", "BY", "h_*->f", "ALPHA", "LIMIT", 3, 3)).toBe("[2,1,3]");
    expect(await r3("SORT", "l", "GET", "nokey_*", "LIMIT", 0, 1)).toBe("[_]");
    expect(await r("SORT", "l", "GET", "h_*->", "LIMIT", 0, 1)).toBe("[$-1]");
    expect(await r("SORT", "l", "GET", "fixed", "LIMIT", 0, 1)).toBe("[$-1]");
  });

  it("refuses weights that are not numbers", async () => {
    await r("RPUSH", "bad", "a", "1");
    expect(await r("SORT", "bad")).toBe("-ERR One or more scores can't be converted into double");
    expect(await r("SORT", "bad", "ALPHA")).toBe("[1,a]");
    await r("SET", "bw_x", "3 ");
    await r("RPUSH", "bad2", "x");
    expect(await r("SORT", "bad2", "BY", "bw_*")).toBe(
      "-ERR One or more scores can't be converted into double",
    );
    await r("RPUSH", "okw", "+4", " 3", ".5", "2e0", "0x10", "-inf", "");
    expect(await r("SORT", "okw")).toBe("[-inf,,.5,2e0, 3,+4,0x10]");
  });

  it("sets sort by member; missing keys are empty; other types are refused", async () => {
    await r("SADD", "s", 3, 1, 2);
    expect(await r("SORT", "s")).toBe("[1,2,3]");
    expect(await r("SORT", "s", "DESC", "LIMIT", 0, 2)).toBe("[3,2]");
    await r("SADD", "sa", "b", "c", "a");
    expect(await r("SORT", "sa", "ALPHA")).toBe("[a,b,c]");
    expect(await r("SORT", "nokey")).toBe("[]");
    await r("SET", "str", "v");
    expect(await r("SORT", "str")).toBe("-WRONGTYPE Operation against a key holding the wrong kind of value");
    expect(await r("SORT", "h_1")).toBe("-WRONGTYPE Operation against a key holding the wrong kind of value");
    expect(await r("SORT", "l", "FOO")).toBe("-ERR syntax error");
  });

  it("STORE writes a list (a set with BY constant is stored sorted ALPHA) and deletes when empty", async () => {
    expect(await r("SORT", "l", "STORE", "dst")).toBe(":6");
    expect(await r("LRANGE", "dst", 0, -1)).toBe("[-5,1,1.5,2,3,10]");
    expect(
      await r("SORT", "l", "BY", "w_*", "GET", "nope_*", "GET", "#", "STORE", "dst", "LIMIT", 0, 2),
    ).toBe(":4");
    expect(await r("LRANGE", "dst", 0, -1)).toBe("[,-5,,10]");
    await r("SADD", "sb", "b", "c", "a");
    expect(await r("SORT", "sb", "BY", "nosort", "STORE", "dst2")).toBe(":3");
    expect(await r("LRANGE", "dst2", 0, -1)).toBe("[a,b,c]");
    await r("EXPIRE", "dst2", 100);
    expect(await r("SORT", "s", "STORE", "dst2")).toBe(":3");
    expect(await r("TTL", "dst2")).toBe(":-1");
    expect(await r("SORT", "nokey", "STORE", "dst2")).toBe(":0");
    expect(await r("EXISTS", "dst2")).toBe(":0");
    expect(await r("SORT_RO", "l", "STORE", "dst3")).toBe("-ERR syntax error");
    expect(await r("SORT_RO", "l", "LIMIT", 0, 2)).toBe("[-5,1]");
  });

  it("key positions for COMMAND GETKEYS", async () => {
    expect(
      await r("COMMAND", "GETKEYS", "SORT", "l", "BY", "x", "STORE", "a", "GET", "y", "STORE", "b"),
    ).toBe("[l,b]");
    expect(await r("COMMAND", "GETKEYS", "SORT", "l", "LIMIT", 0, 1)).toBe("[l]");
    expect(await r("COMMAND", "GETKEYS", "SORT_RO", "l")).toBe("[l]");
  });

  it("sorted sets: native order with BY constant, else by member", async (ctx) => {
    if (
      render((await c2().call("ZADD", "z", 3, "a", 1, "c", 2, "b")) as RespValue).startsWith("-ERR unknown")
    )
      ctx.skip();
    expect(await r("SORT", "z", "BY", "nosort")).toBe("[c,b,a]");
    expect(await r("SORT", "z", "BY", "nosort", "DESC", "LIMIT", 0, 2)).toBe("[a,b]");
    expect(await r("SORT", "z", "ALPHA")).toBe("[a,b,c]");
  });
});
