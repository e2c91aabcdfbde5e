/** Keyspace notifications (notify-keyspace-events) on __keyspace@N__ and __keyevent@N__. */
import { afterAll, describe, expect, it } from "vitest";
import { type RespClient, withTarget } from "../helpers.js";

let c: RespClient;
let sub: RespClient;

withTarget({ args: ["--notify-keyspace-events", "KEA"] }, async (t) => {
  c = t.c;
  sub = await t.server.client();
  await sub.call("PSUBSCRIBE", "__key*@0__:*");
});
afterAll(() => sub?.close());

/** The next `n` notifications as [channel, message] pairs. */
async function next(n: number): Promise<[string, string][]> {
  const msgs = (await sub.waitPushed(n)) as string[][];
  return msgs.map((m) => [m[2], m[3]]);
}

describe("keyspace notifications", () => {
  it("string and generic commands", async () => {
    await c.call("SET", "n1", "v");
    expect(await next(2)).toEqual([
      ["__keyspace@0__:n1", "set"],
      ["__keyevent@0__:set", "n1"],
    ]);
    await c.call("INCRBY", "n2", "3");
    expect(await next(2)).toEqual([
      ["__keyspace@0__:n2", "incrby"],
      ["__keyevent@0__:incrby", "n2"],
    ]);
    await c.call("APPEND", "n1", "x");
    expect((await next(2))[0]).toEqual(["__keyspace@0__:n1", "append"]);
    await c.call("EXPIRE", "n1", "100");
    expect((await next(2))[0]).toEqual(["__keyspace@0__:n1", "expire"]);
    await c.call("RENAME", "n1", "n3");
    expect(await next(4)).toEqual([
      ["__keyspace@0__:n1", "rename_from"],
      ["__keyevent@0__:rename_from", "n1"],
      ["__keyspace@0__:n3", "rename_to"],
      ["__keyevent@0__:rename_to", "n3"],
    ]);
    await c.call("PERSIST", "n3");
    expect((await next(2))[0]).toEqual(["__keyspace@0__:n3", "persist"]);
    await c.call("DEL", "n3", "n2");
    expect(await next(4)).toEqual([
      ["__keyspace@0__:n3", "del"],
      ["__keyevent@0__:del", "n3"],
      ["__keyspace@0__:n2", "del"],
      ["__keyevent@0__:del", "n2"],
    ]);
    await c.call("SET", "n4", "v", "EX", "100");
    expect(await next(4)).toEqual([
      ["__keyspace@0__:n4", "set"],
      ["__keyevent@0__:set", "n4"],
      ["__keyspace@0__:n4", "expire"],
      ["__keyevent@0__:expire", "n4"],
    ]);
    await c.call("SETBIT", "n5", "1", "1");
    expect((await next(2))[0]).toEqual(["__keyspace@0__:n5", "setbit"]);
    // Nothing for commands that change nothing.
    await c.call("DEL", "nokey");
    await c.call("SETBIT", "n5", "1", "1");
    await c.call("SETNX", "n5", "x");
    await c.call("PERSIST", "n5");
    await c.call("BITFIELD", "n6", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000");
    await c.call("SET", "marker", "1");
    expect((await next(2))[0]).toEqual(["__keyspace@0__:marker", "set"]);
  });

  it("expired keys notify 'expired'", async () => {
    await c.call("SET", "short", "v", "PX", "30");
    expect((await next(4)).map((m) => m[1])).toEqual(["set", "short", "expire", "short"]);
    expect(await next(2)).toEqual([
      ["__keyspace@0__:short", "expired"],
      ["__keyevent@0__:expired", "short"],
    ]);
  });

  it("only the configured classes are delivered", async () => {
    await c.call("CONFIG", "SET", "notify-keyspace-events", "Kg");
    await c.call("SET", "cls", "v"); // string class: not enabled
    await c.call("DEL", "cls"); // generic: enabled, keyspace only
    expect(await next(1)).toEqual([["__keyspace@0__:cls", "del"]]);
    await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
  });
});
