/**
 * ioredis 6 against the target server: its default handshake (HELLO 3 when the server offers
 * RESP3), pipelines, MULTI, pub/sub, SCAN streams and Buffer values, unchanged.
 */
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startTarget } from "../helpers.js";

let server: ServerProcess;
const opened: Redis[] = [];

function connect(options: Record<string, unknown> = {}): Redis {
  const r = new Redis({ port: server.port, host: "127.0.0.1", lazyConnect: false, ...options });
  opened.push(r);
  return r;
}

beforeAll(async () => {
  server = await startTarget();
});
afterAll(async () => {
  for (const r of opened) r.disconnect();
  await server?.stop();
});

describe("ioredis 6", () => {
  it("connects with its default handshake and runs commands", async () => {
    const r = connect();
    expect(await r.ping()).toBe("PONG");
    const info = await r.client("INFO");
    // ioredis 6 negotiates RESP3 with HELLO 3 by default.
    expect(String(info)).toMatch(/ resp=3/);
    expect(await r.set("io:a", "1", "EX", 100)).toBe("OK");
    expect(await r.get("io:a")).toBe("1");
    expect(await r.incrby("io:a", 5)).toBe(6);
    expect(await r.ttl("io:a")).toBe(100);
    expect(await r.mget("io:a", "io:none")).toEqual(["6", null]);
    await expect(
      r
        .incr("io:none-int")
        .then(() => r.set("io:s", "x"))
        .then(() => r.incr("io:s")),
    ).rejects.toThrow("ERR value is not an integer or out of range");
  });

  it("pipelines and MULTI", async () => {
    const r = connect();
    const results = await r.pipeline().set("io:p1", "a").get("io:p1").del("io:p1").exists("io:p1").exec();
    expect(results).toEqual([
      [null, "OK"],
      [null, "a"],
      [null, 1],
      [null, 0],
    ]);
    const tx = await r.multi().set("io:t", "1").incr("io:t").get("io:t").exec();
    expect(tx).toEqual([
      [null, "OK"],
      [null, 2],
      [null, "2"],
    ]);
    const many = r.pipeline();
    for (let i = 0; i < 1000; i++) many.set(`io:many:${i}`, String(i));
    const out = await many.exec();
    expect(out!.every(([err, v]) => err === null && v === "OK")).toBe(true);
    expect(await r.get("io:many:999")).toBe("999");
  });

  it("WATCH aborts a transaction when another client writes", async () => {
    const r = connect();
    const other = connect();
    await r.set("io:w", "1");
    await r.watch("io:w");
    await other.set("io:w", "2");
    expect(await r.multi().set("io:w", "3").exec()).toBeNull();
    expect(await r.get("io:w")).toBe("2");
  });

  it("pub/sub", async () => {
    const sub = connect();
    const pub = connect();
    const got: [string, string][] = [];
    sub.on("message", (ch: string, msg: string) => got.push([ch, msg]));
    const pgot: [string, string, string][] = [];
    sub.on("pmessage", (p: string, ch: string, msg: string) => pgot.push([p, ch, msg]));
    expect(await sub.subscribe("io:ch")).toBe(1);
    expect(await sub.psubscribe("io:*")).toBe(2);
    expect(await pub.publish("io:ch", "hello")).toBe(2);
    for (let i = 0; i < 100 && (got.length < 1 || pgot.length < 1); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([["io:ch", "hello"]]);
    expect(pgot).toEqual([["io:*", "io:ch", "hello"]]);
    await sub.unsubscribe("io:ch");
    await sub.punsubscribe();
  });

  it("SCAN streams return every key", async () => {
    const r = connect();
    const keys = Array.from({ length: 250 }, (_, i) => `io:scan:${i}`);
    await r.mset(...keys.flatMap((k) => [k, "v"]));
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const stream = r.scanStream({ match: "io:scan:*", count: 17 });
      stream.on("data", (batch: string[]) => {
        for (const k of batch) seen.add(k);
      });
      stream.on("end", () => resolve());
      stream.on("error", reject);
    });
    expect([...seen].sort()).toEqual([...keys].sort());
  });

  it("binary Buffer values round-trip", async () => {
    const r = connect();
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 0x80]);
    expect(await r.set(Buffer.from("io:bin\xff", "latin1"), bytes)).toBe("OK");
    expect(await r.getBuffer(Buffer.from("io:bin\xff", "latin1"))).toEqual(bytes);
    expect(await r.strlen(Buffer.from("io:bin\xff", "latin1"))).toBe(8);
  });
});
