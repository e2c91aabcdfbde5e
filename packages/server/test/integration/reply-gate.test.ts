/**
 * appendfsync always holds replies until the fsync covering their turn has ended (the AOF's
 * ReplyGate). Here the gate is driven by hand on an embedded server, so the test decides when
 * "the fsync" ends: nothing may leave before, everything held must leave after, and a client
 * served again in a later turn waits for that turn's fsync too (its output then carries the later
 * reply as well).
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Config, createServer } from "../../src/index.js";
import type { Server } from "../../src/server.js";
import { RespClient, sleep } from "../helpers.js";

describe.skipIf(process.env.KEYHAVEN_TEST_TARGET === "redis")("replies held for the AOF fsync", () => {
  let embedded: Server;
  let port: number;
  const gate = { fedSeq: 0, durableSeq: 0 };

  beforeAll(async () => {
    const config = new Config();
    config.loadText('port 0\nbind 127.0.0.1\nsave ""\nloglevel warning\n', "(test)");
    embedded = createServer(config);
    await embedded.start();
    embedded.replyGate = gate;
    port = embedded.boundPort;
  });
  afterAll(() => embedded?.stop());

  /** Resolves with the reply, or with "pending" if none came within `ms`. */
  async function replyWithin<T>(reply: Promise<T>, ms: number): Promise<T | "pending"> {
    return Promise.race([reply, sleep(ms).then(() => "pending" as const)]);
  }

  it("sends nothing while the turn's writes are not durable, everything once they are", async () => {
    const a = await RespClient.connect(port);
    const b = await RespClient.connect(port);
    try {
      gate.fedSeq = 1;
      const set = a.call("SET", "k", "v");
      // A read after the write must not reveal it before the write is durable either.
      const get = b.call("GET", "k");
      expect(await replyWithin(set, 150)).toBe("pending");
      expect(await replyWithin(get, 1)).toBe("pending");
      gate.durableSeq = 1;
      embedded.releaseHeldReplies();
      expect(await set).toBe("OK");
      expect(await get).toBe("v");
      // Nothing pending: replies leave in their own turn again.
      expect(await replyWithin(a.call("PING"), 2000)).toBe("PONG");
    } finally {
      a.close();
      b.close();
    }
  });

  it("a client served again before the first fsync ends waits for the second", async () => {
    const a = await RespClient.connect(port);
    try {
      gate.fedSeq = 2;
      const first = a.call("INCR", "n");
      await sleep(100);
      gate.fedSeq = 3;
      const second = a.call("INCR", "n");
      await sleep(100);
      gate.durableSeq = 2;
      embedded.releaseHeldReplies();
      expect(await replyWithin(first, 150)).toBe("pending");
      gate.durableSeq = 3;
      embedded.releaseHeldReplies();
      expect(await first).toBe(1);
      expect(await second).toBe(2);
    } finally {
      a.close();
    }
  });
});
