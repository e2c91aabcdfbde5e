/**
 * AOF rewrite: BGREWRITEAOF under write load gives exactly the dataset, the manifest switches to
 * the new base and incr file and history files go away; kill -9 during a rewrite loses nothing;
 * automatic rewrites follow auto-aof-rewrite-percentage/min-size; a rewrite requested inside a
 * transaction is scheduled; a failed rewrite keeps every write. Runs against Keyhaven, or real Redis
 * with KEYHAVEN_TEST_TARGET=redis (the failure injection is Keyhaven-only).
 */

import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorText, RespClient, sleep, startServer, tempDir, waitFor } from "../helpers.js";
import {
  AOF_DIR,
  aofFiles,
  dataset,
  digest,
  expectDataset,
  info,
  MANIFEST,
  populate,
  populateBig,
  readManifest,
  restartAof,
  startAof,
  TARGET,
  waitRewriteDone,
} from "./aof-helpers.js";

/** Writers running INCR/SET/DEL on old and new keys until stopped. */
function writeLoad(port: number, writers = 4): { stop: () => Promise<number> } {
  let running = true;
  let count = 0;
  const loops = Array.from({ length: writers }, async (_, w) => {
    const c = await RespClient.connect(port);
    for (let i = 0; running; i++) {
      await c.call("INCR", `key:${(i * 7 + w) % 500}`);
      await c.call("SET", `new:${w}:${i}`, i);
      if (i % 5 === 0) await c.call("DEL", `key:${(i * 13 + w) % 500}`);
      if (i % 7 === 0) await c.call("PEXPIRE", `new:${w}:${i}`, 100_000 + i);
      count += 4;
    }
    c.close();
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return count;
    },
  };
}

describe("AOF rewrite", () => {
  it("BGREWRITEAOF under write load: the result equals the dataset, the manifest switches, history goes", async () => {
    const dir = tempDir();
    let s = await startAof(TARGET, dir, ["--appendfsync", "always"]);
    let c = await s.client();
    try {
      await populate(c);
      await populateBig(c);
      for (let i = 0; i < 500; i++) await c.call("SET", `key:${i}`, i);
      // One key per 200 µs: the rewrite lasts a while, with writes going on.
      await c.call("CONFIG", "SET", "rdb-key-save-delay", 200);
      const load = writeLoad(s.port);
      await sleep(100);
      expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      expect(errorText(await c.call("BGREWRITEAOF"))).toBe(
        "ERR Background append only file rewriting already in progress",
      );
      expect((await info(c)).get("aof_rewrite_in_progress")).toBe("1");
      await sleep(200);
      await waitRewriteDone(c, 60_000);
      await sleep(100);
      const writes = await load.stop();
      expect(writes).toBeGreaterThan(0);
      await c.call("CONFIG", "SET", "rdb-key-save-delay", 0);
      const i = await info(c);
      expect(i.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(i.get("aof_rewrites")).toBe("1");
      const am = readManifest(dir);
      expect(am.base?.fileName).toBe("appendonly.aof.2.base.rdb");
      expect(am.incr.map((x) => x.fileName)).toEqual(["appendonly.aof.2.incr.aof"]);
      expect(am.history).toEqual([]);
      await waitFor(
        () =>
          JSON.stringify(aofFiles(dir)) ===
          JSON.stringify(["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", MANIFEST]),
        "history files to be deleted",
      );
      const before = await dataset(c);
      ({ s, c } = await restartAof(TARGET, dir, s, c));
      await expectDataset(c, before);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("kill -9 during a rewrite loses nothing: writes made meanwhile are in the new incr file", async () => {
    const dir = tempDir();
    let s = await startAof(TARGET, dir, ["--appendfsync", "always"]);
    let c = await s.client();
    try {
      await populate(c);
      for (let i = 0; i < 2000; i++) await c.call("SET", `key:${i}`, i);
      await c.call("CONFIG", "SET", "rdb-key-save-delay", 2000);
      expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      const load = writeLoad(s.port, 2);
      await sleep(500);
      await load.stop();
      expect((await info(c)).get("aof_rewrite_in_progress")).toBe("1");
      const am = readManifest(dir);
      // The new incr file is in the manifest from the start of the rewrite.
      expect(am.incr.map((x) => x.fileName)).toEqual([
        "appendonly.aof.1.incr.aof",
        "appendonly.aof.2.incr.aof",
      ]);
      const before = await dataset(c);
      ({ s, c } = await restartAof(TARGET, dir, s, c));
      await expectDataset(c, before);
      // And the next rewrite folds everything into one base again.
      expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      await waitRewriteDone(c);
      const after = readManifest(dir);
      expect(after.base?.fileSeq).toBe(2);
      expect(after.incr.map((x) => x.fileName)).toEqual(["appendonly.aof.3.incr.aof"]);
      expect(await digest(c)).toBe(before.digest);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("rewrites automatically on growth (auto-aof-rewrite-percentage / min-size)", async () => {
    const dir = tempDir();
    const s = await startAof(TARGET, dir, [
      "--auto-aof-rewrite-percentage",
      "100",
      "--auto-aof-rewrite-min-size",
      "65536",
    ]);
    const c = await s.client();
    try {
      // Incompressible values, so the RDB base is as big as the data.
      const value = () => randomBytes(1000).toString("latin1");
      // Below the minimum size: no rewrite.
      for (let i = 0; i < 30; i++) await c.call("SET", `small:${i}`, value());
      await sleep(300);
      expect((await info(c)).get("aof_rewrites")).toBe("0");
      // Past 64 KB (and 100% over the empty base): a rewrite starts by itself.
      for (let i = 0; i < 80; i++) await c.call("SET", `big:${i}`, value());
      await waitFor(async () => (await info(c)).get("aof_rewrites") === "1", "an automatic rewrite", 10_000);
      await waitRewriteDone(c);
      const i = await info(c);
      expect(i.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(Number(i.get("aof_base_size"))).toBeGreaterThan(65_536);
      expect(readManifest(dir).base?.fileSeq).toBe(2);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("BGREWRITEAOF inside MULTI/EXEC is scheduled, then runs", async () => {
    const dir = tempDir();
    const s = await startAof(TARGET, dir);
    const c = await s.client();
    try {
      await c.call("SET", "a", "1");
      expect(await c.call("MULTI")).toBe("OK");
      expect(await c.call("BGREWRITEAOF")).toBe("QUEUED");
      expect(await c.call("EXEC")).toEqual(["Background append only file rewriting scheduled"]);
      await waitRewriteDone(c);
      const i = await info(c);
      expect(i.get("aof_rewrites")).toBe("1");
      expect(readManifest(dir).base?.fileSeq).toBe(2);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("BGREWRITEAOF with appendonly no writes a directory holding just a base", async () => {
    const dir = tempDir();
    const s = await startServer(TARGET, { dir, args: ["--enable-debug-command", "yes"] });
    const c = await s.client();
    try {
      await populate(c);
      const d = await digest(c);
      expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      await waitRewriteDone(c);
      const am = readManifest(dir);
      expect(am.base?.fileName).toBe("appendonly.aof.1.base.rdb");
      expect(am.incr).toEqual([]);
      expect((await info(c)).get("aof_enabled")).toBe("0");
      c.close();
      await s.kill();
      const again = await startAof(TARGET, dir);
      const c2 = await again.client();
      expect(await digest(c2)).toBe(d);
      c2.close();
      await again.kill();
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("SHUTDOWN is refused while the first AOF is being written, unless FORCE", async () => {
    const dir = tempDir();
    const s = await startServer(TARGET, { dir, args: ["--enable-debug-command", "yes"] });
    const c = await s.client();
    try {
      for (let i = 0; i < 1000; i++) await c.call("SET", `k${i}`, i);
      await c.call("CONFIG", "SET", "rdb-key-save-delay", 5000);
      expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      expect((await info(c)).get("aof_rewrite_in_progress")).toBe("1");
      expect(errorText(await c.call("SHUTDOWN", "NOSAVE"))).toBe(
        "ERR Errors trying to SHUTDOWN. Check logs.",
      );
      expect(await c.call("PING")).toBe("PONG");
      await waitFor(() => s.output().includes("Writing initial AOF, can't exit."), "the refusal in the log");
      expect(errorText(await c.call("SHUTDOWN", "NOSAVE", "FORCE"))).toBe("CONNECTION CLOSED");
      expect(await s.exited).toBe(0);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it.skipIf(TARGET === "redis")("a failed rewrite keeps every write; the next one succeeds", async () => {
    const dir = tempDir();
    let s = await startAof("keyhaven", dir, ["--appendfsync", "always"]);
    let c = await s.client();
    try {
      await populate(c);
      // Block the temporary base file's name with a directory: the rewrite cannot write it.
      const blocker = join(dir, AOF_DIR, `temp-rewriteaof-bg-${s.pid}-appendonly.aof.2.base.rdb`);
      mkdirSync(blocker);
      expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      await c.call("SET", "during", "1");
      await waitRewriteDone(c);
      let i = await info(c);
      expect(i.get("aof_last_bgrewrite_status")).toBe("err");
      expect(i.get("aof_rewrites_consecutive_failures")).toBe("1");
      let am = readManifest(dir);
      expect(am.base?.fileSeq).toBe(1);
      expect(am.incr.map((x) => x.fileSeq)).toEqual([1, 2]);
      await c.call("SET", "after", "1");
      const d = await digest(c);
      ({ s, c } = await restartAof("keyhaven", dir, s, c));
      expect(await digest(c)).toBe(d);
      rmSync(blocker, { recursive: true });
      expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      await waitRewriteDone(c);
      i = await info(c);
      expect(i.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(i.get("aof_rewrites_consecutive_failures")).toBe("0");
      am = readManifest(dir);
      expect(am.incr.map((x) => x.fileSeq)).toEqual([3]);
      expect(await digest(c)).toBe(d);
    } finally {
      c.close();
      await s.kill();
    }
  });
});
