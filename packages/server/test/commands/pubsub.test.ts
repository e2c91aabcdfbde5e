import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorText, infoSection, RespClient, type ServerProcess, startTarget } from "../helpers.js";

let server: ServerProcess;

beforeAll(async () => {
  server = await startTarget();
});
afterAll(async () => {
  await server?.stop();
});

describe("pub/sub", () => {
  it("SUBSCRIBE/PUBLISH/UNSUBSCRIBE in RESP2", async () => {
    const sub = await server.client();
    const pub = await server.client();
    expect(await sub.call("SUBSCRIBE", "ch1", "ch2")).toEqual(["subscribe", "ch1", 1]);
    expect(await sub.waitPushed(1)).toEqual([["subscribe", "ch2", 2]]);
    expect(await pub.call("PUBLISH", "ch1", "hello")).toBe(1);
    expect(await pub.call("PUBLISH", "nobody", "x")).toBe(0);
    expect(await sub.waitPushed(1)).toEqual([["message", "ch1", "hello"]]);
    expect(await pub.call("PUBSUB", "NUMSUB", "ch1", "ch3")).toEqual(["ch1", 1, "ch3", 0]);
    expect(((await pub.call("PUBSUB", "CHANNELS")) as string[]).sort()).toEqual(["ch1", "ch2"]);
    expect(await pub.call("PUBSUB", "CHANNELS", "*2")).toEqual(["ch2"]);
    // RESP2 subscribed clients may only use the subscribe family, PING, QUIT and RESET.
    expect(errorText(await sub.call("GET", "x"))).toBe(
      "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    );
    expect(await sub.call("PING")).toEqual(["pong", ""]);
    expect(await sub.call("PING", "hi")).toEqual(["pong", "hi"]);
    expect(await sub.call("UNSUBSCRIBE", "ch1")).toEqual(["unsubscribe", "ch1", 1]);
    expect(await sub.call("UNSUBSCRIBE")).toEqual(["unsubscribe", "ch2", 0]);
    expect(await sub.call("GET", "x")).toBeNull();
    expect(await sub.call("UNSUBSCRIBE")).toEqual(["unsubscribe", null, 0]);
    sub.close();
    pub.close();
  });

  it("PSUBSCRIBE delivers pmessage and counts patterns", async () => {
    const sub = await server.client();
    const pub = await server.client();
    expect(await sub.call("PSUBSCRIBE", "news.*")).toEqual(["psubscribe", "news.*", 1]);
    expect(await sub.call("SUBSCRIBE", "news.tech")).toEqual(["subscribe", "news.tech", 2]);
    expect(await pub.call("PUBSUB", "NUMPAT")).toBe(1);
    expect(await pub.call("PUBLISH", "news.tech", "m1")).toBe(2);
    const got = await sub.waitPushed(2);
    expect(got).toContainEqual(["message", "news.tech", "m1"]);
    expect(got).toContainEqual(["pmessage", "news.*", "news.tech", "m1"]);
    expect(await sub.call("PUNSUBSCRIBE")).toEqual(["punsubscribe", "news.*", 1]);
    expect(await sub.call("PUNSUBSCRIBE")).toEqual(["punsubscribe", null, 1]);
    expect(await sub.call("RESET")).toBe("RESET");
    expect(await pub.call("PUBSUB", "NUMSUB", "news.tech")).toEqual(["news.tech", 0]);
    sub.close();
    pub.close();
  });

  it("RESP3 clients get push messages and may run any command while subscribed", async () => {
    const sub = await RespClient.connect(server.port, { typed: true });
    const pub = await server.client();
    await sub.call("HELLO", "3");
    expect(await sub.call("SUBSCRIBE", "r3")).toEqual({
      type: "push",
      value: [
        { type: "bulk", value: Buffer.from("subscribe") },
        { type: "bulk", value: Buffer.from("r3") },
        { type: "integer", value: 1n },
      ],
    });
    expect(await sub.call("SET", "k", "v")).toEqual({ type: "simple", value: "OK" });
    // NUMSUB stays a flat array in RESP3.
    expect(await sub.call("PUBSUB", "NUMSUB", "r3")).toEqual({
      type: "array",
      value: [
        { type: "bulk", value: Buffer.from("r3") },
        { type: "integer", value: 1n },
      ],
    });
    expect(await pub.call("PUBLISH", "r3", "hi")).toBe(1);
    expect(await sub.waitPushed(1)).toEqual([
      {
        type: "push",
        value: [
          { type: "bulk", value: Buffer.from("message") },
          { type: "bulk", value: Buffer.from("r3") },
          { type: "bulk", value: Buffer.from("hi") },
        ],
      },
    ]);
    sub.close();
    pub.close();
  });

  it("shard channels: SSUBSCRIBE/SPUBLISH/SUNSUBSCRIBE, a namespace and a count of their own", async () => {
    const sub = await server.client();
    const pub = await server.client();
    expect(await sub.call("SUBSCRIBE", "a")).toEqual(["subscribe", "a", 1]);
    expect(await sub.call("SSUBSCRIBE", "x", "y")).toEqual(["ssubscribe", "x", 1]);
    expect(await sub.waitPushed(1)).toEqual([["ssubscribe", "y", 2]]);
    expect(await sub.call("SSUBSCRIBE", "x")).toEqual(["ssubscribe", "x", 2]);
    // Plain subscription replies count channels and patterns, shard ones only shard channels.
    expect(await sub.call("PSUBSCRIBE", "p*")).toEqual(["psubscribe", "p*", 2]);
    expect(await pub.call("PUBSUB", "SHARDCHANNELS")).toEqual(expect.arrayContaining(["x", "y"]));
    expect(await pub.call("PUBSUB", "SHARDCHANNELS", "x*")).toEqual(["x"]);
    expect(await pub.call("PUBSUB", "SHARDNUMSUB", "x", "a")).toEqual(["x", 1, "a", 0]);
    expect(await pub.call("PUBSUB", "NUMSUB", "x")).toEqual(["x", 0]);
    expect(Number((await infoSection(pub, "stats")).get("pubsubshard_channels")) >= 2).toBe(true);
    expect(((await pub.call("CLIENT", "LIST")) as string).includes(" sub=1 psub=1 ssub=2 ")).toBe(true);
    // SPUBLISH reaches shard subscribers only, PUBLISH only the others.
    expect(await pub.call("SPUBLISH", "x", "hello")).toBe(1);
    expect(await pub.call("PUBLISH", "x", "not for shards")).toBe(0);
    expect(await pub.call("SPUBLISH", "a", "not for channels")).toBe(0);
    expect(await sub.waitPushed(1)).toEqual([["smessage", "x", "hello"]]);
    expect(await sub.call("SUNSUBSCRIBE", "x")).toEqual(["sunsubscribe", "x", 1]);
    expect(await sub.call("SUNSUBSCRIBE", "q")).toEqual(["sunsubscribe", "q", 1]);
    expect(await sub.call("SUNSUBSCRIBE")).toEqual(["sunsubscribe", "y", 0]);
    expect(await sub.call("SUNSUBSCRIBE")).toEqual(["sunsubscribe", null, 0]);
    // A shard subscription alone keeps a RESP2 client in the subscribed state.
    await sub.call("UNSUBSCRIBE");
    await sub.call("PUNSUBSCRIBE");
    expect(await sub.call("SSUBSCRIBE", "z")).toEqual(["ssubscribe", "z", 1]);
    expect(errorText(await sub.call("GET", "k"))).toBe(
      "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    );
    expect(await sub.call("RESET")).toBe("RESET");
    expect(await pub.call("PUBSUB", "SHARDNUMSUB", "z")).toEqual(["z", 0]);
    expect(await sub.call("GET", "no-such-key")).toBeNull();
    sub.close();
    pub.close();
  });

  it("PUBSUB errors and HELP", async () => {
    const c = await server.client();
    expect(errorText(await c.call("PUBSUB", "FOO"))).toBe("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.");
    // At most one pattern: the check is inside pubsubCommand, hence this text and not an arity error.
    expect(errorText(await c.call("PUBSUB", "CHANNELS", "a", "b"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.",
    );
    expect(errorText(await c.call("pubsub", "channels", "a", "b"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.",
    );
    expect(await c.call("PUBSUB", "CHANNELS", "nothing-matches-*")).toEqual([]);
    expect(errorText(await c.call("PUBLISH", "a"))).toBe(
      "ERR wrong number of arguments for 'publish' command",
    );
    expect(errorText(await c.call("SUBSCRIBE"))).toBe(
      "ERR wrong number of arguments for 'subscribe' command",
    );
    expect(errorText(await c.call("PUBSUB", "SHARDCHANNELS", "a", "b"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP.",
    );
    expect(errorText(await c.call("SPUBLISH", "a"))).toBe(
      "ERR wrong number of arguments for 'spublish' command",
    );
    expect(await c.call("PUBSUB", "SHARDNUMSUB")).toEqual([]);
    const help = (await c.call("PUBSUB", "HELP")) as string[];
    expect(help[0]).toBe("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help).toContain("SHARDNUMSUB [<shardchannel> ...]");
    c.close();
  });
});
