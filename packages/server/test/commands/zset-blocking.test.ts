/**
 * Blocking sorted set pops (BZPOPMIN, BZPOPMAX, BZMPOP): immediate service, blocking until a
 * ZADD from another client or an EXEC, FIFO order between waiters, fractional timeouts, no
 * blocking inside MULTI, RESP3 shapes. The wire tests run against Keyhaven or real Redis
 * (KEYHAVEN_TEST_TARGET=redis); the propagation forms are checked on an embedded Keyhaven,
 * since Redis only shows them to a replica.
 */

import { encodeCommand, REPLY_VALUE, ReplyParser } from "@keyhaven/protocol";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Config, createServer } from "../../src/index.js";
import type { Server } from "../../src/server.js";
import {
  errorText,
  infoSection,
  RespClient,
  type ServerProcess,
  sleep,
  waitFor,
  withTarget,
} from "../helpers.js";

let server: ServerProcess;
let c: RespClient;
const extra: RespClient[] = [];

async function client(resp3 = false): Promise<RespClient> {
  const cl = await server.client();
  if (resp3) await cl.call("HELLO", "3");
  extra.push(cl);
  return cl;
}

async function blockedClients(): Promise<number> {
  return Number((await infoSection(c, "clients")).get("blocked_clients") ?? -1);
}

withTarget({}, (t) => ({ server, c } = t));
afterAll(() => {
  for (const cl of extra) cl.close();
});
beforeEach(async () => {
  await c.call("FLUSHALL");
});

describe("BZPOPMIN / BZPOPMAX", () => {
  it("serves at once from the first non-empty key", async () => {
    await c.call("ZADD", "k2", 1, "a", 2, "b");
    expect(await c.call("BZPOPMIN", "k1", "k2", 0)).toEqual(["k2", "a", "1"]);
    expect(await c.call("BZPOPMAX", "k1", "k2", "0.5")).toEqual(["k2", "b", "2"]);
    expect(await c.call("EXISTS", "k2")).toBe(0);
    await c.call("ZADD", "k1", "1.5", "x");
    const c3 = await client(true);
    expect(await c3.call("BZPOPMIN", "k1", 0)).toEqual(["k1", "x", 1.5]);
  });

  it("errors: wrong type, bad timeouts", async () => {
    await c.call("SET", "s", "v");
    expect(errorText(await c.call("BZPOPMIN", "nokey", "s", 0))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    expect(errorText(await c.call("BZPOPMIN", "k", "-1"))).toBe("ERR timeout is negative");
    expect(errorText(await c.call("BZPOPMIN", "k", "abc"))).toBe(
      "ERR timeout is not a float or out of range",
    );
    expect(errorText(await c.call("BZPOPMAX", "k"))).toBe(
      "ERR wrong number of arguments for 'bzpopmax' command",
    );
  });

  it("blocks until another client adds, then replies", async () => {
    const b = await client();
    const reply = b.call("BZPOPMIN", "k", 0);
    await waitFor(async () => (await blockedClients()) === 1, "the client to block");
    expect(await c.call("ZADD", "k", 3, "c", 1, "a", 2, "b")).toBe(3);
    expect(await reply).toEqual(["k", "a", "1"]);
    expect(await c.call("ZRANGE", "k", 0, -1)).toEqual(["b", "c"]);
    expect(await blockedClients()).toBe(0);
  });

  it("times out after a fractional timeout with a null reply (RESP2 and RESP3)", async () => {
    const b = await client();
    const start = Date.now();
    expect(await b.call("BZPOPMIN", "k", "0.2")).toBeNull();
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(5000);
    const t = await RespClient.connect(server.port, { typed: true });
    extra.push(t);
    await t.call("HELLO", "3");
    expect(await t.call("BZPOPMAX", "k", "0.05")).toEqual({ type: "null" });
    const t2 = await RespClient.connect(server.port, { typed: true });
    extra.push(t2);
    expect(await t2.call("BZPOPMAX", "k", "0.05")).toEqual({ type: "nullArray" });
  });

  it("serves waiters in FIFO order, one element each", async () => {
    const first = await client();
    const second = await client();
    const r1 = first.call("BZPOPMIN", "k", 0);
    await waitFor(async () => (await blockedClients()) === 1, "first to block");
    const r2 = second.call("BZPOPMIN", "other", "k", 0);
    await waitFor(async () => (await blockedClients()) === 2, "second to block");
    await c.call("ZADD", "k", 1, "x");
    expect(await r1).toEqual(["k", "x", "1"]);
    await sleep(50);
    expect(await blockedClients()).toBe(1);
    await c.call("ZADD", "k", 2, "y");
    expect(await r2).toEqual(["k", "y", "2"]);
  });

  it("is woken by an EXEC, after the whole transaction", async () => {
    const b = await client();
    const reply = b.call("BZPOPMAX", "k", 0);
    await waitFor(async () => (await blockedClients()) === 1, "the client to block");
    await c.call("MULTI");
    await c.call("ZADD", "k", 1, "a");
    await c.call("ZADD", "k", 2, "b");
    expect(await c.call("EXEC")).toEqual([1, 1]);
    expect(await reply).toEqual(["k", "b", "2"]);
    expect(await c.call("ZRANGE", "k", 0, -1)).toEqual(["a"]);
  });

  it("stays blocked while the key is gone again or of another type", async () => {
    const b = await client();
    const reply = b.call("BZPOPMIN", "k", 0);
    await waitFor(async () => (await blockedClients()) === 1, "the client to block");
    await c.call("MULTI");
    await c.call("ZADD", "k", 1, "a");
    await c.call("DEL", "k");
    await c.call("EXEC");
    await c.call("SET", "k", "string");
    await sleep(50);
    expect(await blockedClients()).toBe(1);
    await c.call("DEL", "k");
    await c.call("ZADD", "k", 5, "z");
    expect(await reply).toEqual(["k", "z", "5"]);
  });

  it("CLIENT UNBLOCK ends the wait as a timeout or with an error", async () => {
    const b = await client();
    const id = await b.call("CLIENT", "ID");
    const reply = b.call("BZPOPMIN", "k", 0);
    await waitFor(async () => (await blockedClients()) === 1, "the client to block");
    expect(await c.call("CLIENT", "UNBLOCK", id)).toBe(1);
    expect(await reply).toBeNull();
    const again = b.call("BZMPOP", 0, 1, "k", "MAX");
    await waitFor(async () => (await blockedClients()) === 1, "the client to block again");
    expect(await c.call("CLIENT", "UNBLOCK", id, "ERROR")).toBe(1);
    expect(errorText(await again)).toBe("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    expect(await c.call("CLIENT", "UNBLOCK", id)).toBe(0);
  });

  it("never blocks inside MULTI: replies null at once", async () => {
    await c.call("MULTI");
    await c.call("BZPOPMIN", "k", 0);
    await c.call("BZMPOP", 0, 1, "k", "MIN");
    await c.call("ZADD", "k", 1, "a");
    await c.call("BZPOPMIN", "k", 0);
    expect(await c.call("EXEC")).toEqual([null, null, 1, ["k", "a", "1"]]);
  });
});

describe("BZMPOP", () => {
  it("serves at once with the nested reply and COUNT", async () => {
    await c.call("ZADD", "k", 1, "a", 2, "b", 3, "c");
    expect(await c.call("BZMPOP", 0, 2, "none", "k", "MAX", "COUNT", 2)).toEqual([
      "k",
      [
        ["c", "3"],
        ["b", "2"],
      ],
    ]);
    expect(await c.call("BZMPOP", "0.1", 1, "k", "MIN", "COUNT", 5)).toEqual(["k", [["a", "1"]]]);
    expect(await c.call("BZMPOP", "0.05", 1, "k", "MIN")).toBeNull();
  });

  it("blocks and is woken by ZADD; errors are checked before the timeout", async () => {
    const b = await client(true);
    const reply = b.call("BZMPOP", 0, 2, "k1", "k2", "MIN", "COUNT", 10);
    await waitFor(async () => (await blockedClients()) === 1, "the client to block");
    await c.call("ZADD", "k2", 2, "y", 1, "x");
    expect(await reply).toEqual([
      "k2",
      [
        ["x", 1],
        ["y", 2],
      ],
    ]);
    expect(errorText(await c.call("BZMPOP", 0, 0, "k", "MIN"))).toBe("ERR numkeys should be greater than 0");
    expect(errorText(await c.call("BZMPOP", "x", 1, "k", "MIN"))).toBe(
      "ERR timeout is not a float or out of range",
    );
    expect(errorText(await c.call("BZMPOP", "x", 1, "k", "MAXI"))).toBe("ERR syntax error");
    expect(errorText(await c.call("BZMPOP", -1, 1, "k", "MIN"))).toBe("ERR timeout is negative");
  });
});

/** Decodes the RESP multibulk commands a propagation sink received. */
function decodeAll(chunks: Buffer[]): string[][] {
  const parser = new ReplyParser({ strings: "latin1" });
  parser.feed(Buffer.concat(chunks));
  const out: string[][] = [];
  while (parser.next() === REPLY_VALUE) out.push(parser.value as string[]);
  return out;
}

describe.skipIf(process.env.KEYHAVEN_TEST_TARGET === "redis")("propagation forms (embedded Keyhaven)", () => {
  let embedded: Server;
  let port: number;
  const fed: Buffer[] = [];

  beforeAll(async () => {
    const config = new Config();
    config.loadText('port 0\nbind 127.0.0.1\nsave ""\nloglevel warning\n', "(test)");
    embedded = createServer(config);
    embedded.propagator.addSink({ kind: "repl", feed: (_db, bytes) => fed.push(Buffer.from(bytes)) });
    await embedded.start();
    port = embedded.boundPort;
  });
  afterAll(() => embedded?.stop());

  it("pops propagate as ZPOPMIN/ZPOPMAX with the count that applied", async () => {
    const a = await RespClient.connect(port);
    const b = await RespClient.connect(port);
    try {
      const blocked = b.call("BZPOPMIN", "q", 0);
      await waitFor(() => embedded.blocking.count === 1, "the client to block");
      await a.call("ZADD", "q", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e");
      expect(await blocked).toEqual(["q", "a", "1"]);
      expect(await a.call("BZPOPMAX", "q", 0)).toEqual(["q", "e", "5"]);
      expect(await a.call("BZMPOP", 0, 1, "q", "MIN", "COUNT", 10)).toEqual([
        "q",
        [
          ["b", "2"],
          ["c", "3"],
          ["d", "4"],
        ],
      ]);
      await a.call("ZADD", "q", 1, "x", 2, "y");
      expect(await a.call("ZMPOP", 1, "q", "MAX", "COUNT", 1)).toEqual(["q", [["y", "2"]]]);
      expect(await a.call("ZMPOP", 1, "none", "MAX")).toBeNull();
      expect(await a.call("ZPOPMIN", "q", 7)).toEqual(["x", "1"]);
      await waitFor(() => decodeAll(fed).length >= 7, "the propagated commands");
      const cmds = decodeAll(fed).filter((argv) => argv[0] !== "SELECT");
      expect(cmds).toEqual([
        ["ZADD", "q", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
        ["ZPOPMIN", "q"],
        ["ZPOPMAX", "q"],
        ["ZPOPMIN", "q", "3"],
        ["ZADD", "q", "1", "x", "2", "y"],
        ["ZPOPMAX", "q", "1"],
        ["ZPOPMIN", "q", "7"],
      ]);
    } finally {
      a.close();
      b.close();
    }
    expect(encodeCommand(["ZPOPMIN", "q"]).toString()).toBe("*2\r\n$7\r\nZPOPMIN\r\n$1\r\nq\r\n");
  });
});
