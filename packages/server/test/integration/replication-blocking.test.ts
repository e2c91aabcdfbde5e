/**
 * A client blocked on a replica is woken by the master's writes as they arrive over the
 * replication stream. BLPOP is a write command, so it needs replica-read-only no; the pop it
 * then serves is the replica's own (not propagated, not applied on the master), as in Redis.
 * Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { describe, expect, it } from "vitest";
import {
  errorText,
  expectOk,
  info,
  NodesPerTest,
  RespClient,
  replicate,
  waitFor,
  waitInSync,
} from "./replication-helpers.js";

const nodes = new NodesPerTest();

describe("blocking commands on a replica", () => {
  it("BLPOP on a writable replica is served by an RPUSH on the master", async () => {
    const master = await nodes.start();
    const replica = await nodes.start();
    await replicate(replica, master);
    expect(errorText(await replica.c.call("BLPOP", "q", "0.1"))).toBe(
      "READONLY You can't write against a read only replica.",
    );
    expectOk(await replica.c.call("CONFIG", "SET", "replica-read-only", "no"));

    const blocked = await RespClient.connect(replica.port);
    try {
      const reply = blocked.call("BLPOP", "q", "other", "10");
      await waitFor(
        async () => (await info(replica.c, "clients")).get("blocked_clients") === "1",
        "the BLPOP client blocked on the replica",
      );
      expect(await master.c.call("RPUSH", "q", "a", "b")).toBe(2);
      expect(await reply).toEqual(["q", "a"]);
      await waitInSync(master, replica);
      // The replica popped from its own copy; the master's list is whole.
      expect(await replica.c.call("LRANGE", "q", "0", "-1")).toEqual(["b"]);
      expect(await master.c.call("LRANGE", "q", "0", "-1")).toEqual(["a", "b"]);
      expect((await info(replica.c, "clients")).get("blocked_clients")).toBe("0");
    } finally {
      blocked.close();
    }
  });
});
