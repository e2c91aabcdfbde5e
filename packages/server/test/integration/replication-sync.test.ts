/**
 * A master and two replicas under a random write load (every data type the server has,
 * expiries, MULTI/EXEC, two databases, blocking pops once lists exist): once the writes stop,
 * every node has the same DEBUG DIGEST. Repeated with diskless and disk-based full syncs, with
 * replicas attached before and during the load, with a chained replica, and with AOF on.
 * Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { describe, expect, it } from "vitest";
import {
  capabilities,
  expectOk,
  info,
  type Node,
  NodesPerTest,
  randomLoad,
  replicate,
  sameDigest,
  stat,
  waitFor,
  waitInSync,
} from "./replication-helpers.js";

const nodes = new NodesPerTest();
async function topology(masterArgs: string[], replicaArgs: string[] = []): Promise<[Node, Node, Node]> {
  const master = await nodes.start(masterArgs);
  const r1 = await nodes.start(replicaArgs);
  const r2 = await nodes.start(replicaArgs);
  return [master, r1, r2];
}

async function loadAndCompare(master: Node, replicas: Node[], seed: number, ops = 3000): Promise<void> {
  const caps = await capabilities(master.c);
  const popper = await master.proc.client();
  try {
    await randomLoad(master.c, caps, { ops, seed, popper });
  } finally {
    popper.close();
  }
  const digest = await sameDigest(master, replicas);
  expect(digest).not.toBe("0000000000000000000000000000000000000000");
}

describe("master with two replicas", () => {
  it("diskless full sync, then the stream: same dataset everywhere", async () => {
    const [master, r1, r2] = await topology(["--repl-diskless-sync", "yes"]);
    const caps = await capabilities(master.c);
    // Data before the replicas attach goes through the RDB, data after through the stream.
    await randomLoad(master.c, caps, { ops: 1500, seed: 1 });
    await replicate(r1, master);
    await replicate(r2, master);
    expect(await stat(master.c, "sync_full")).toBe(2);
    await loadAndCompare(master, [r1, r2], 2);
    const role = (await master.c.call("ROLE")) as unknown[];
    expect(role[0]).toBe("master");
    expect((role[2] as unknown[]).length).toBe(2);
  });

  it("disk-based full sync while writes continue", async () => {
    const [master, r1, r2] = await topology(["--repl-diskless-sync", "no"]);
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 1500, seed: 3 });
    // Attach both replicas while the load runs: their syncs overlap the writes.
    const load = randomLoad(master.c, caps, { ops: 2000, seed: 4 });
    expectOk(await r1.c.call("REPLICAOF", "127.0.0.1", master.port));
    expectOk(await r2.c.call("REPLICAOF", "127.0.0.1", master.port));
    await load;
    await waitInSync(master, r1);
    await waitInSync(master, r2);
    await loadAndCompare(master, [r1, r2], 5);
  });

  it("diskless replicas sharing one transfer (delay, then max-replicas)", async () => {
    const [master, r1, r2] = await topology([
      "--repl-diskless-sync",
      "yes",
      "--repl-diskless-sync-delay",
      "30",
      "--repl-diskless-sync-max-replicas",
      "2",
    ]);
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 1000, seed: 6 });
    expectOk(await r1.c.call("REPLICAOF", "127.0.0.1", master.port));
    expectOk(await r2.c.call("REPLICAOF", "127.0.0.1", master.port));
    // The second replica reaching max-replicas starts the transfer long before the 30 s delay.
    await waitInSync(master, r1, 20_000);
    await waitInSync(master, r2, 20_000);
    expect(await stat(master.c, "total_forks")).toBe(1);
    await loadAndCompare(master, [r1, r2], 7, 1000);
  });

  it("a replica arriving during a disk-based sync joins it (one snapshot for both)", async () => {
    const [master, r1, r2] = await topology(["--repl-diskless-sync", "no"]);
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 1500, seed: 14, keys: 600 });
    // Slow the snapshot down (a Redis test hook too): about one key per millisecond.
    expectOk(await master.c.call("CONFIG", "SET", "rdb-key-save-delay", "1000"));
    const forks = await stat(master.c, "total_forks");
    expectOk(await r1.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(
      async () => (await info(master.c, "replication")).get("slave0")?.includes("wait_bgsave") === true,
      "first replica waiting for the save",
    );
    await randomLoad(master.c, caps, { ops: 300, seed: 15, keys: 600 });
    expectOk(await r2.c.call("REPLICAOF", "127.0.0.1", master.port));
    await randomLoad(master.c, caps, { ops: 300, seed: 16, keys: 600 });
    expectOk(await master.c.call("CONFIG", "SET", "rdb-key-save-delay", "0"));
    await waitInSync(master, r1);
    await waitInSync(master, r2);
    expect(await stat(master.c, "total_forks")).toBe(forks + 1);
    await sameDigest(master, [r1, r2]);
  });

  it("a chained replica gets the same bytes: offsets and data match down the chain", async () => {
    const [master, r1, r2] = await topology([]);
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 1000, seed: 8 });
    await replicate(r1, master);
    await replicate(r2, r1);
    await loadAndCompare(master, [r1, r2], 9);
    // Keys still expiring on the master move its offset: poll until a quiet moment.
    let offsets: (string | undefined)[] = [];
    await waitFor(async () => {
      offsets = await Promise.all(
        [master, r1, r2].map(async (n) => (await info(n.c, "replication")).get("master_repl_offset")),
      );
      return new Set(offsets).size === 1;
    }, "the same offset on the whole chain");
    const ids = await Promise.all(
      [master, r1, r2].map(async (n) => (await info(n.c, "replication")).get("master_replid")),
    );
    expect(new Set(ids).size).toBe(1);
    expect((await r1.c.call("ROLE")) as unknown[]).toEqual([
      "slave",
      "127.0.0.1",
      master.port,
      "connected",
      expect.any(Number),
    ]);
  });

  it("with evictions on the master: the DELs it propagates evict on the replicas too", async () => {
    const [master, r1, r2] = await topology(["--maxmemory-policy", "allkeys-random"]);
    await replicate(r1, master);
    await replicate(r2, master);
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 1500, seed: 12, keys: 2000 });
    const used = Number((await info(master.c, "memory")).get("used_memory"));
    expectOk(await master.c.call("CONFIG", "SET", "maxmemory", String(Math.floor(used * 0.97))));
    await randomLoad(master.c, caps, { ops: 1500, seed: 13, keys: 2000 });
    expect(await stat(master.c, "evicted_keys")).toBeGreaterThan(0);
    // Replicas ignore maxmemory for the master's data (replica-ignore-maxmemory yes).
    expect(await stat(r1.c, "evicted_keys")).toBe(0);
    // Evicted keys were deleted on the replicas by the DELs the master propagated.
    await sameDigest(master, [r1, r2]);
  });

  it("with AOF on everywhere", async () => {
    const [master, r1, r2] = await topology(["--appendonly", "yes"], ["--appendonly", "yes"]);
    await replicate(r1, master);
    await replicate(r2, master);
    await loadAndCompare(master, [r1, r2], 10);
  });
});
