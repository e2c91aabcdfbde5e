/**
 * Interop with Debian's redis-server 7.0 on the wire, in both directions:
 * (a) a Keyhaven replica of a real Redis master: full sync from disk and diskless, then a partial
 *     resync after the link drops;
 * (b) a real Redis replica of a Keyhaven master: the same;
 * (c) a chain real -> Keyhaven -> real.
 * Data are compared with DEBUG DIGEST (Keyhaven implements Redis's algorithm), stream consumer
 * groups with XINFO GROUPS / XINFO STREAM / XPENDING. Also checks that
 * INFO replication prints the same fields in the same order as Redis in each role and state.
 */

import { describe, expect, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import {
  capabilities,
  expectOk,
  freePortFor,
  info,
  infoFields,
  type Kind,
  type Node,
  NodesPerTest,
  randomLoad,
  replicate,
  sameDigest,
  sameStreamGroups,
  stat,
  waitFor,
  waitInSync,
} from "./replication-helpers.js";

const nodes = new NodesPerTest();
const start = (kind: Kind, args: string[] = []): Promise<Node> => nodes.start(args, kind);

/** Common data both servers can hold (the load uses only what the Keyhaven side implements). */
async function load(writer: Node, capsFrom: Node, ops: number, seed: number): Promise<void> {
  await randomLoad(writer.c, await capabilities(capsFrom.c), { ops, seed });
}

async function linkDropAndPartial(master: Node, replica: Node, seed: number): Promise<void> {
  const full = await stat(master.c, "sync_full");
  const partial = await stat(master.c, "sync_partial_ok");
  expect(await replica.c.call("CLIENT", "KILL", "TYPE", "master")).toBe(1);
  await load(master, replica.kind === "keyhaven" ? replica : master, 800, seed);
  await waitFor(async () => (await stat(master.c, "sync_partial_ok")) === partial + 1, "partial resync");
  await waitInSync(master, replica);
  expect(await stat(master.c, "sync_full")).toBe(full);
}

describe.runIf(hasRealRedis())("interop with redis-server 7.0", () => {
  for (const diskless of [false, true]) {
    const mode = diskless ? "diskless" : "disk";

    it(`(a) Keyhaven replica of a real Redis master, ${mode} full sync, then PSYNC`, async () => {
      const master = await start("redis", ["--repl-diskless-sync", diskless ? "yes" : "no"]);
      const replica = await start("keyhaven");
      await load(master, replica, 1500, 101);
      await replicate(replica, master);
      await load(master, replica, 1500, 102);
      await sameDigest(master, [replica]);
      await linkDropAndPartial(master, replica, 103);
      await sameDigest(master, [replica]);
      await sameStreamGroups(master, [replica]);
    });

    it(`(b) real Redis replica of a Keyhaven master, ${mode} full sync, then PSYNC`, async () => {
      const master = await start("keyhaven", ["--repl-diskless-sync", diskless ? "yes" : "no"]);
      const replica = await start("redis");
      await load(master, master, 1500, 201);
      await replicate(replica, master);
      await load(master, master, 1500, 202);
      await sameDigest(master, [replica]);
      await linkDropAndPartial(master, replica, 203);
      await sameDigest(master, [replica]);
      await sameStreamGroups(master, [replica]);
    });
  }

  it("(a') Keyhaven replica loading a real Redis RDB with repl-diskless-load swapdb and on-empty-db", async () => {
    const master = await start("redis", ["--repl-diskless-sync", "yes"]);
    const swap = await start("keyhaven", ["--repl-diskless-load", "swapdb"]);
    const empty = await start("keyhaven", ["--repl-diskless-load", "on-empty-db"]);
    await load(master, swap, 2000, 301);
    await replicate(swap, master);
    await replicate(empty, master);
    await load(master, swap, 500, 302);
    await sameDigest(master, [swap, empty]);
  });

  it("(c) a chain real -> Keyhaven -> real", async () => {
    const top = await start("redis");
    const middle = await start("keyhaven");
    const bottom = await start("redis");
    await load(top, middle, 1000, 401);
    await replicate(middle, top);
    await replicate(bottom, middle);
    await load(top, middle, 1500, 402);
    await sameDigest(top, [middle, bottom]);
    // One history down the chain: same id, same offsets.
    const ids = await Promise.all(
      [top, middle, bottom].map(async (n) => (await info(n.c, "replication")).get("master_replid")),
    );
    expect(new Set(ids).size).toBe(1);
    // The middle loses its master link and continues; the bottom never notices.
    await linkDropAndPartial(top, middle, 403);
    await sameDigest(top, [middle, bottom]);
    await sameStreamGroups(top, [middle, bottom]);
  });

  it("(c') promotion in a mixed group: a real replica continues with a promoted Keyhaven replica", async () => {
    const master = await start("redis");
    const kh = await start("keyhaven");
    const other = await start("redis");
    await load(master, kh, 1000, 501);
    await replicate(kh, master);
    await replicate(other, master);
    await waitInSync(master, kh);
    await waitInSync(master, other);
    expectOk(await master.c.call("REPLICAOF", "127.0.0.1", String(await freePortFor())));
    expectOk(await kh.c.call("REPLICAOF", "NO", "ONE"));
    expectOk(await other.c.call("REPLICAOF", "127.0.0.1", kh.port));
    await waitInSync(kh, other);
    expect(await stat(kh.c, "sync_partial_ok")).toBe(1);
    expect(await stat(kh.c, "sync_full")).toBe(0);
    await load(kh, kh, 800, 502);
    await sameDigest(kh, [other]);
  });

  it("INFO replication has Redis's fields in Redis's order, in every role and state", async () => {
    const rMaster = await start("redis", ["--min-replicas-to-write", "1"]);
    const rReplica = await start("redis");
    const kMaster = await start("keyhaven", ["--min-replicas-to-write", "1"]);
    const kReplica = await start("keyhaven");
    await replicate(rReplica, rMaster);
    await replicate(kReplica, kMaster);
    // Redis marks a diskless replica online (and lists it in ROLE) a little after it loaded.
    for (const m of [rMaster, kMaster]) {
      await waitFor(
        async () => (await info(m.c, "replication")).get("slave0")?.includes("state=online") === true,
        "replica online",
      );
    }
    expect(await infoFields(kMaster.c, "replication")).toEqual(await infoFields(rMaster.c, "replication"));
    expect(await infoFields(kReplica.c, "replication")).toEqual(await infoFields(rReplica.c, "replication"));
    const kRole = (await kReplica.c.call("ROLE")) as unknown[];
    const rRole = (await rReplica.c.call("ROLE")) as unknown[];
    expect(kRole.map((x) => typeof x)).toEqual(rRole.map((x) => typeof x));
    const kmRole = (await kMaster.c.call("ROLE")) as unknown[];
    const rmRole = (await rMaster.c.call("ROLE")) as unknown[];
    expect(JSON.stringify(kmRole).replace(/\d+/g, "0")).toBe(JSON.stringify(rmRole).replace(/\d+/g, "0"));
    // Link down: the replicas point at a port nobody listens on.
    const nowhere = String(await freePortFor());
    expectOk(await rReplica.c.call("REPLICAOF", "127.0.0.1", nowhere));
    expectOk(await kReplica.c.call("REPLICAOF", "127.0.0.1", nowhere));
    await waitFor(
      async () => (await info(kReplica.c, "replication")).get("master_link_down_since_seconds") !== undefined,
      "link down",
    );
    expect(await infoFields(kReplica.c, "replication")).toEqual(await infoFields(rReplica.c, "replication"));
    expect((await info(kReplica.c, "replication")).get("master_link_status")).toBe("down");
    // Same stats fields (sync_full, sync_partial_ok, sync_partial_err) too.
    const kStats = await infoFields(kMaster.c, "stats");
    for (const f of ["sync_full", "sync_partial_ok", "sync_partial_err"]) expect(kStats).toContain(f);
  });
});
