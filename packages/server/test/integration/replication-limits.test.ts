/**
 * client-output-buffer-limit replica: the limit applies to the replication stream, not to the
 * RDB of a full sync, so a key larger than the limit neither breaks the sync nor makes the
 * replica loop between full syncs; a replica that falls too far behind on the stream is
 * disconnected, resyncs, and converges. Also SHUTDOWN with replicas attached.
 * Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { describe, expect, it } from "vitest";
import {
  errorText,
  expectOk,
  NodesPerTest,
  RespClient,
  replicate,
  sameDigest,
  sleep,
  stat,
  waitFor,
  waitInSync,
} from "./replication-helpers.js";

const nodes = new NodesPerTest();
const start = nodes.start;

const LIMIT = ["--client-output-buffer-limit", "replica 256kb 128kb 1", "--repl-backlog-size", "16384"];
const BIG = "x".repeat(1024 * 1024);

describe("replica output buffer limits", () => {
  for (const diskless of ["yes", "no"]) {
    it(`a key larger than the limit goes through a ${diskless === "yes" ? "diskless" : "disk"} full sync, once`, async () => {
      const master = await start([...LIMIT, "--repl-diskless-sync", diskless]);
      const replica = await start();
      for (let i = 0; i < 3; i++) expectOk(await master.c.call("SET", `big:${i}`, BIG));
      await replicate(replica, master);
      await sleep(1500);
      await waitInSync(master, replica);
      expect(await stat(master.c, "sync_full")).toBe(1);
      expect(await replica.c.call("STRLEN", "big:2")).toBe(BIG.length);
      await sameDigest(master, [replica]);
    });
  }

  it("a replica behind by more than the hard limit is dropped, full-syncs, and does not loop", async () => {
    const master = await start(LIMIT);
    const replica = await start();
    await replicate(replica, master);
    // Freeze the replica so the stream piles up on the master, beyond the hard limit.
    const sleeper = await RespClient.connect(replica.port);
    const frozen = sleeper.call("DEBUG", "SLEEP", "1.5");
    await sleep(100);
    const writer = await RespClient.connect(master.port);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) writes.push(writer.call("SET", `k:${i}`, BIG));
    for (const w of await Promise.all(writes)) expect(errorText(w)).toBeNull();
    writer.close();
    await frozen;
    sleeper.close();
    await waitFor(async () => (await stat(master.c, "sync_full")) >= 2, "a full resync after the drop");
    await waitInSync(master, replica);
    const fulls = await stat(master.c, "sync_full");
    await sleep(2000);
    await waitInSync(master, replica);
    expect(await stat(master.c, "sync_full")).toBe(fulls);
    await sameDigest(master, [replica]);
  });
});

describe("SHUTDOWN with replicas", () => {
  it("completes, and the replica keeps everything the master acknowledged", async () => {
    const master = await start(["--shutdown-timeout", "5"]);
    const replica = await start();
    await replicate(replica, master);
    for (let i = 0; i < 100; i++) expectOk(await master.c.call("SET", `s:${i}`, String(i)));
    const reply = await master.c.call("SHUTDOWN", "NOSAVE");
    expect(errorText(reply)).toBe("CONNECTION CLOSED");
    await master.proc.exited;
    await waitFor(async () => (await replica.c.call("GET", "s:99")) === "99", "last write on the replica");
    expect(await replica.c.call("DBSIZE")).toBe(100);
  });
});
