/**
 * Replication meeting persistence: a disk-based full sync is a BGSAVE (INFO persistence shows it,
 * SAVE/BGSAVE are refused until its file is in place, it counts as a save), replicas arriving
 * during a BGSAVE a user started wait for the next one (as Redis's syncCommand decides), a
 * replica stopped with SHUTDOWN resumes with PSYNC from the RDB its shutdown saved, and a
 * replica's AOF records its master's stream (restarted alone from it, it has the master's data).
 * Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  capabilities,
  errorText,
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
const start = nodes.start;

async function persistence(n: Node): Promise<Map<string, string>> {
  return info(n.c, "persistence");
}

/** Fills db 0 with `n` small strings (pipelined), so rdb-key-save-delay makes the snapshot slow. */
async function fill(n: Node, count: number, prefix = "k"): Promise<void> {
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) batch.push(n.c.call("SET", `${prefix}:${i}`, `v${i}`));
  await Promise.all(batch);
}

describe("disk-based full sync through BGSAVE", () => {
  it("shows in INFO persistence, refuses SAVE and BGSAVE until the file is in place, counts as a save", async () => {
    const master = await start(["--repl-diskless-sync", "no"]);
    const replica = await start();
    await fill(master, 800);
    const before = await persistence(master);
    expect(before.get("rdb_bgsave_in_progress")).toBe("0");
    expect(Number(before.get("rdb_changes_since_last_save"))).toBeGreaterThanOrEqual(800);
    // About one key per millisecond (a Redis test hook too), so the save is seen running.
    expectOk(await master.c.call("CONFIG", "SET", "rdb-key-save-delay", "1000"));
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(
      async () => (await persistence(master)).get("rdb_bgsave_in_progress") === "1",
      "the replication BGSAVE to show in INFO persistence",
    );
    expect(errorText(await master.c.call("SAVE"))).toBe("ERR Background save already in progress");
    expect(errorText(await master.c.call("BGSAVE"))).toBe("ERR Background save already in progress");
    expect(Number((await persistence(master)).get("rdb_current_bgsave_time_sec"))).toBeGreaterThanOrEqual(0);
    await master.c.call("SET", "during", "the-save");
    expectOk(await master.c.call("CONFIG", "SET", "rdb-key-save-delay", "0"));
    await waitInSync(master, replica);
    const after = await persistence(master);
    expect(after.get("rdb_bgsave_in_progress")).toBe("0");
    expect(after.get("rdb_last_bgsave_status")).toBe("ok");
    expect(Number(after.get("rdb_saves"))).toBe(Number(before.get("rdb_saves")) + 1);
    expect(Number(after.get("rdb_last_bgsave_time_sec"))).toBeGreaterThanOrEqual(0);
    expect(after.get("rdb_current_bgsave_time_sec")).toBe("-1");
    // Changes made during the snapshot are still unsaved; the ones before it are saved.
    expect(Number(after.get("rdb_changes_since_last_save"))).toBeLessThan(10);
    expect(Number(after.get("rdb_last_save_time"))).toBeGreaterThanOrEqual(
      Number(before.get("rdb_last_save_time")),
    );
    expect(existsSync(join(master.proc.dir, "dump.rdb"))).toBe(true);
    expect(await replica.c.call("GET", "during")).toBe("the-save");
    await sameDigest(master, [replica]);
  });

  it("a replica arriving during a BGSAVE a user started waits for the next one", async () => {
    const master = await start(["--repl-diskless-sync", "no"]);
    const replica = await start();
    await fill(master, 600);
    expectOk(await master.c.call("CONFIG", "SET", "rdb-key-save-delay", "1000"));
    const forks = await stat(master.c, "total_forks");
    expect(await master.c.call("BGSAVE")).toBe("Background saving started");
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(
      () => master.proc.output().includes("Waiting for next BGSAVE for SYNC"),
      "the master to log that the replica waits for the next BGSAVE",
    );
    expect(master.proc.output()).toContain("Can't attach the replica to the current BGSAVE");
    await master.c.call("SET", "after", "the-user-bgsave");
    expectOk(await master.c.call("CONFIG", "SET", "rdb-key-save-delay", "0"));
    await waitInSync(master, replica);
    // The user's BGSAVE, then the replication one.
    expect(await stat(master.c, "total_forks")).toBe(forks + 2);
    expect(await replica.c.call("GET", "after")).toBe("the-user-bgsave");
    await sameDigest(master, [replica]);
  });
});

describe("a replica's persistence", () => {
  it("a replica stopped by SHUTDOWN saves its replication id and offset and resumes with PSYNC", async () => {
    const master = await start();
    const replica = await start(["--save", "3600 1"]);
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 400, seed: 41 });
    await replicate(replica, master);
    await randomLoad(master.c, caps, { ops: 200, seed: 42 });
    await waitInSync(master, replica);
    const full = await stat(master.c, "sync_full");
    const partial = await stat(master.c, "sync_partial_ok");
    const { port, proc } = replica;
    await replica.c.call("SHUTDOWN");
    expect(await proc.exited).toBe(0);
    replica.c.close();
    nodes.forget(replica);
    await randomLoad(master.c, caps, { ops: 200, seed: 43 });
    const restarted = await nodes.start(
      ["--save", "3600 1", "--replicaof", "127.0.0.1", String(master.port)],
      undefined,
      { port, dir: proc.dir },
    );
    await waitInSync(master, restarted);
    expect(await stat(master.c, "sync_partial_ok")).toBe(partial + 1);
    expect(await stat(master.c, "sync_full")).toBe(full);
    await sameDigest(master, [restarted]);
  });

  it("a replica's AOF records its master's stream: restarted alone from it, it has the master's data", async () => {
    const master = await start();
    const replica = await start(["--appendonly", "yes", "--appendfsync", "always"]);
    const caps = await capabilities(master.c);
    await randomLoad(master.c, caps, { ops: 600, seed: 51 });
    // The full sync loads the RDB, then the replica's AOF starts over from that dataset.
    await replicate(replica, master);
    await waitFor(
      async () => (await persistence(replica)).get("aof_rewrite_in_progress") === "0",
      "the replica's AOF rewrite after the sync",
    );
    await randomLoad(master.c, caps, { ops: 600, seed: 52 });
    await sameDigest(master, [replica]);
    const { port, proc } = replica;
    replica.c.close();
    await proc.kill();
    nodes.forget(replica);
    const alone = await nodes.start(["--appendonly", "yes"], undefined, { port, dir: proc.dir });
    expect((await info(alone.c, "replication")).get("role")).toBe("master");
    const masterDump = await dumpAll(master);
    const aloneDump = await dumpAll(alone);
    expect(aloneDump).toEqual(masterDump);
  });
});

/**
 * Every key without a TTL (keys with one may expire in between), with its DEBUG DIGEST-VALUE
 * (independent of the encoding, which a reload may change), in db 0 and db 1.
 */
async function dumpAll(n: Node): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const db of ["0", "1"]) {
    await n.c.call("SELECT", db);
    const keys = (await n.c.call("KEYS", "*")) as string[];
    for (const k of keys.sort()) {
      if ((await n.c.call("PTTL", k)) !== -1) continue;
      out[`${db}/${k}`] = String(await n.c.call("DEBUG", "DIGEST-VALUE", k));
    }
  }
  await n.c.call("SELECT", "0");
  return out;
}
