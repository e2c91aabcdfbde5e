/**
 * MIGRATE's connections, against stand-in targets in the test process (migrate-fake-target.ts):
 * what is sent (AUTH, SELECT once per db change, RESTORE key ttl payload [REPLACE]), the cached
 * connection (reused, closed after 10 s idle, at most 64), the retry after a lost connection,
 * timeouts, and how the calling client waits. The source is the server under test (Keyhaven, or
 * real Redis with KEYHAVEN_TEST_TARGET=redis), except for the cases only Keyhaven can show: a
 * MIGRATE at the top level waits without holding the other clients up.
 */

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  errorText,
  infoSection,
  type RespClient,
  type ServerProcess,
  sleep,
  waitFor,
  withTarget,
} from "../helpers.js";
import { FakeTarget } from "./migrate-fake-target.js";

const HOST = "127.0.0.1";
const onRedis = process.env.KEYHAVEN_TEST_TARGET === "redis";

let s: RespClient;
let server: ServerProcess;
let fake: FakeTarget;
const more: FakeTarget[] = [];

withTarget({}, (t) => ({ c: s, server } = t));
beforeAll(async () => {
  fake = await FakeTarget.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  await s.call("FLUSHALL");
  // Each test starts with no cached connection to the stand-in.
  for (const socket of fake.open) socket.destroy();
  await waitFor(() => fake.open.size === 0, "old connections closed");
  fake.mode = "ok";
  fake.commands.length = 0;
  fake.accepted = 0;
});
afterEach(async () => {
  await Promise.all(more.splice(0).map((f) => f.close()));
});

function migrate(port: number, key: string, ...rest: string[]) {
  return s.call("MIGRATE", HOST, String(port), key, "0", "1000", ...rest);
}

describe("MIGRATE's connection cache", () => {
  // First in the file: Redis notices a cached connection the target closed only when it uses it
  // again, so later tests would leave such connections in its cache.
  it("keeps at most 64 connections", async () => {
    for (let i = 0; i < 65; i++) more.push(await FakeTarget.start());
    await s.call("SET", "k", "v");
    for (const f of more) expect(await migrate(f.port, "k", "COPY")).toBe("OK");
    const open = () => more.reduce((n, f) => n + f.open.size, 0);
    await waitFor(
      () => open() === 64,
      () => `64 open connections, not ${open()}`,
    );
    expect(more.reduce((n, f) => n + f.accepted, 0)).toBe(65);
    expect((await infoSection(s, "stats")).get("migrate_cached_sockets")).toBe("64");
  });

  it("replaces a connection the target closed, and closes one idle for more than 10 seconds", async () => {
    await s.call("SET", "k", "v");
    expect(await migrate(fake.port, "k", "COPY")).toBe("OK");
    for (const socket of fake.open) socket.destroy();
    await sleep(50);
    expect(await migrate(fake.port, "k")).toBe("OK");
    expect(fake.accepted).toBe(2);
    const start = Date.now();
    await waitFor(() => fake.open.size === 0, "idle connection closed", 15_000);
    const idle = Date.now() - start;
    expect(idle).toBeGreaterThan(9_500);
    expect(idle).toBeLessThan(13_500);
    const cached = async () => (await infoSection(s, "stats")).get("migrate_cached_sockets");
    await waitFor(async () => (await cached()) === "0", "no cached connection left", 3000);
  }, 20_000);
});

describe("MIGRATE's exchange with the target", () => {
  it("sends AUTH, SELECT once per db, and RESTORE key ttl payload [REPLACE] over one connection", async () => {
    await s.call("SET", "k", "v", "PX", "60000");
    await s.call("SET", "p", "w");
    expect(await migrate(fake.port, "", "AUTH2", "u", "pw", "KEYS", "k", "p")).toBe("OK");
    await s.call("SET", "k", "v");
    expect(await s.call("MIGRATE", HOST, String(fake.port), "k", "0", "1000", "REPLACE", "AUTH", "pw")).toBe(
      "OK",
    );
    await s.call("SET", "k", "v");
    expect(await s.call("MIGRATE", HOST, String(fake.port), "k", "5", "1000", "COPY")).toBe("OK");
    expect(fake.accepted).toBe(1);
    const shape = fake.commands.map((argv) =>
      argv[0] === "RESTORE" ? [...argv.slice(0, 2), ...argv.slice(4)] : argv,
    );
    expect(shape).toEqual([
      ["AUTH", "u", "pw"],
      ["SELECT", "0"],
      ["RESTORE", "k"],
      ["RESTORE", "p"],
      ["AUTH", "pw"],
      ["RESTORE", "k", "REPLACE"],
      ["SELECT", "5"],
      ["RESTORE", "k"],
    ]);
    const ttl = Number(fake.commands[2][2]);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(fake.commands[3][2]).toBe("0");
    // The payload is what DUMP replies.
    await s.call("SET", "p", "w");
    expect(fake.commands[3][3]).toBe(await s.call("DUMP", "p"));
  });

  it("retries once on a new connection when the target drops it, then answers IOERR", async () => {
    const dropping = await FakeTarget.start("close");
    more.push(dropping);
    await s.call("SET", "k", "v");
    expect(errorText(await migrate(dropping.port, "k"))).toBe(
      "IOERR error or timeout reading to target instance",
    );
    expect(dropping.accepted).toBe(2);
    expect(await s.call("EXISTS", "k")).toBe(1);
  });

  it("gives up after `timeout` ms without a reply, without retrying", async () => {
    fake.mode = "silent";
    await s.call("SET", "k", "v");
    const start = Date.now();
    expect(errorText(await s.call("MIGRATE", HOST, String(fake.port), "k", "0", "300"))).toBe(
      "IOERR error or timeout reading to target instance",
    );
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
    expect(fake.accepted).toBe(1);
    expect(await s.call("EXISTS", "k")).toBe(1);
    // The timed-out connection was closed: the next MIGRATE opens another.
    fake.mode = "ok";
    expect(await migrate(fake.port, "k")).toBe("OK");
    expect(fake.accepted).toBe(2);
  });

  it("replies the first error the target answered", async () => {
    fake.mode = "hold";
    await s.call("SET", "k", "v");
    const reply = migrate(fake.port, "k");
    await waitFor(() => fake.held === 2, "SELECT and RESTORE received");
    fake.release("-ERR boom");
    expect(errorText(await reply)).toBe("ERR Target instance replied with error: ERR boom");
    expect(await s.call("EXISTS", "k")).toBe(1);
  });

  it("holds the client's pipelined commands until its reply, and finishes if it disconnects", async () => {
    fake.mode = "hold";
    await s.call("MSET", "k", "v", "j", "w");
    const c = await server.client();
    const replies = c.raw(
      "*6\r\n$7\r\nMIGRATE\r\n$9\r\n127.0.0.1\r\n$" +
        `${String(fake.port).length}\r\n${fake.port}\r\n$1\r\nk\r\n$1\r\n0\r\n$4\r\n5000\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`,
      2,
    );
    await waitFor(() => fake.held === 2, "SELECT and RESTORE received");
    await sleep(100);
    fake.release();
    expect(await replies).toEqual(["OK", null]);
    // A client that goes away during the transfer: the transfer completes, the key is moved.
    fake.mode = "hold";
    c.raw(
      `*6\r\n$7\r\nMIGRATE\r\n$9\r\n127.0.0.1\r\n$${String(fake.port).length}\r\n${fake.port}\r\n$1\r\nj\r\n$1\r\n0\r\n$4\r\n5000\r\n`,
      0,
    );
    await waitFor(() => fake.held === 1, "RESTORE received");
    c.close();
    await sleep(100);
    fake.release();
    await waitFor(async () => (await s.call("EXISTS", "j")) === 0, "j moved");
  });

  it("inside MULTI/EXEC waits for the target with the whole server, as Redis does", async () => {
    fake.mode = "hold";
    await s.call("SET", "k", "v");
    const other = await server.client();
    try {
      await s.call("MULTI");
      await migrate(fake.port, "k");
      const exec = s.call("EXEC");
      await waitFor(() => fake.held === 2, "SELECT and RESTORE received");
      let ponged = false;
      const ping = other.call("PING").then(() => {
        ponged = true;
      });
      await sleep(300);
      expect(ponged).toBe(false);
      fake.release();
      expect(await exec).toEqual(["OK"]);
      await ping;
      expect(await s.call("EXISTS", "k")).toBe(0);
    } finally {
      other.close();
    }
  });
});

describe.skipIf(onRedis)("Keyhaven: a MIGRATE waits without holding up the server", () => {
  it("serves other clients meanwhile; a key written meanwhile is not deleted", async () => {
    fake.mode = "hold";
    await s.call("MSET", "same", "1", "changed", "2", "gone", "3");
    const other = await server.client();
    try {
      const id = await s.call("CLIENT", "ID");
      const reply = migrate(fake.port, "", "KEYS", "same", "changed", "gone");
      await waitFor(() => fake.held === 4, "SELECT and 3 RESTOREs received");
      expect(await other.call("PING")).toBe("PONG");
      expect(await other.call("CLIENT", "UNBLOCK", String(id))).toBe(0);
      await other.call("APPEND", "changed", "x");
      await other.call("DEL", "gone");
      fake.release();
      expect(await reply).toBe("OK");
      expect(await s.call("MGET", "same", "changed", "gone")).toEqual([null, "2x", null]);
    } finally {
      other.close();
    }
  });
});
