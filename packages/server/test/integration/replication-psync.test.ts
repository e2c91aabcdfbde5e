/**
 * Partial resynchronization (PSYNC2): after the link drops (CLIENT KILL TYPE master), after a
 * replica restart (its replication id and offset come back from its RDB), and after one replica
 * is promoted and the other re-pointed at it; each time sync_partial_ok grows and sync_full does
 * not. A backlog too small for the gap falls back to a full sync, and the data converge anyway.
 * Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { describe, expect, it } from "vitest";
import {
  capabilities,
  expectOk,
  freePortFor,
  info,
  NodesPerTest,
  randomLoad,
  replicate,
  sameDigest,
  stat,
  waitFor,
  waitInSync,
} from "./replication-helpers.js";

const nodes = new NodesPerTest();
const start = nodes.start;

describe("partial resynchronization", () => {
  it("after CLIENT KILL TYPE master on the replica", async () => {
    const master = await start();
    const replica = await start();
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 500, seed: 11 });
    await replicate(replica, master);
    const full = await stat(master.c, "sync_full");
    const partial = await stat(master.c, "sync_partial_ok");
    for (let round = 0; round < 3; round++) {
      const load = randomLoad(master.c, caps, { ops: 500, seed: 12 + round });
      expect(await replica.c.call("CLIENT", "KILL", "TYPE", "master")).toBe(1);
      await load;
      await waitFor(
        async () => (await stat(master.c, "sync_partial_ok")) === partial + round + 1,
        "partial resync",
      );
      await waitInSync(master, replica);
    }
    expect(await stat(master.c, "sync_full")).toBe(full);
    await sameDigest(master, [replica]);
  });

  it("after a replica restart, from the replication id and offset in its RDB", async () => {
    const master = await start();
    const replica = await start();
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 500, seed: 21 });
    await replicate(replica, master);
    await randomLoad(master.c, caps, { ops: 300, seed: 22 });
    await waitInSync(master, replica);
    expectOk(await replica.c.call("SAVE"));
    const full = await stat(master.c, "sync_full");
    const partial = await stat(master.c, "sync_partial_ok");
    const { port, proc } = replica;
    replica.c.close();
    await proc.kill();
    nodes.forget(replica);
    await randomLoad(master.c, caps, { ops: 300, seed: 23 });
    const restarted = await nodes.start(["--replicaof", "127.0.0.1", String(master.port)], undefined, {
      port,
      dir: proc.dir,
    });
    await waitInSync(master, restarted);
    expect(await stat(master.c, "sync_partial_ok")).toBe(partial + 1);
    expect(await stat(master.c, "sync_full")).toBe(full);
    await sameDigest(master, [restarted]);
  });

  it("after a promotion, the other replica and the old master continue with the new master", async () => {
    const master = await start();
    const a = await start();
    const b = await start();
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 800, seed: 31 });
    await replicate(a, master);
    await replicate(b, master);
    await randomLoad(master.c, caps, { ops: 800, seed: 32 });
    await waitInSync(master, a);
    await waitInSync(master, b);
    const oldId = (await info(master.c, "replication")).get("master_replid");
    const offset = Number((await info(master.c, "replication")).get("master_repl_offset"));

    // The master goes away (as in a failover); A is promoted and keeps the dataset.
    expectOk(await master.c.call("REPLICAOF", "127.0.0.1", String(await freePortFor())));
    expectOk(await a.c.call("REPLICAOF", "NO", "ONE"));
    const aInfo = await info(a.c, "replication");
    expect(aInfo.get("role")).toBe("master");
    expect(aInfo.get("master_replid2")).toBe(oldId);
    expect(aInfo.get("second_repl_offset")).toBe(String(offset + 1));
    expect(aInfo.get("master_replid")).not.toBe(oldId);

    const fullBefore = await stat(a.c, "sync_full");
    expectOk(await b.c.call("REPLICAOF", "127.0.0.1", a.port));
    expectOk(await master.c.call("REPLICAOF", "127.0.0.1", a.port));
    await waitInSync(a, b);
    await waitInSync(a, master);
    expect(await stat(a.c, "sync_partial_ok")).toBe(2);
    expect(await stat(a.c, "sync_full")).toBe(fullBefore);
    // The new history flows to both.
    await randomLoad(a.c, caps, { ops: 800, seed: 33 });
    await sameDigest(a, [b, master]);
    expect((await info(b.c, "replication")).get("master_replid")).toBe(
      (await info(a.c, "replication")).get("master_replid"),
    );
  });

  it("a backlog too small for the gap falls back to a full sync and converges", async () => {
    const master = await start(["--repl-backlog-size", "16384"]);
    const replica = await start();
    const caps = await capabilities(master.c);
    await replicate(replica, master);
    const full = await stat(master.c, "sync_full");
    const partialErr = await stat(master.c, "sync_partial_err");
    // Point the replica elsewhere (it keeps its cached master), write far more than 16 KB, come back.
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", String(await freePortFor())));
    const replicaOffset = Number((await info(replica.c, "replication")).get("slave_repl_offset"));
    await randomLoad(master.c, caps, { ops: 3000, seed: 41 });
    const m = await info(master.c, "replication");
    // The gap no longer fits (Redis 7 trims whole blocks, so its histlen may exceed the size).
    expect(Number(m.get("repl_backlog_first_byte_offset"))).toBeGreaterThan(replicaOffset + 1);
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitInSync(master, replica);
    expect(await stat(master.c, "sync_full")).toBe(full + 1);
    expect(await stat(master.c, "sync_partial_err")).toBe(partialErr + 1);
    await sameDigest(master, [replica]);
  });

  it("a backlog that covers the gap continues, even across a re-pointing", async () => {
    const master = await start(["--repl-backlog-size", "10mb"]);
    const replica = await start();
    const caps = await capabilities(master.c);
    await replicate(replica, master);
    const full = await stat(master.c, "sync_full");
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", String(await freePortFor())));
    await randomLoad(master.c, caps, { ops: 2000, seed: 51 });
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitInSync(master, replica);
    expect(await stat(master.c, "sync_full")).toBe(full);
    expect(await stat(master.c, "sync_partial_ok")).toBe(1);
    await sameDigest(master, [replica]);
  });
});
