/**
 * AOF restarts: what was acknowledged comes back after a restart (clean or kill -9), the files
 * hold the deterministic propagation forms Redis writes (same commands as a real Redis given the
 * same writes), INFO's aof_* fields, -LOADING while loading, appendonly switched at runtime, plain
 * bases, timestamps and DEBUG LOADAOF. Runs against Keyhaven, or real Redis with
 * KEYHAVEN_TEST_TARGET=redis.
 */

import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { AOF_ANNOTATION, AOF_COMMAND, AofCommandReader } from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { errorText, RespClient, sleep, startServer, tempDir, waitFor } from "../helpers.js";
import {
  AOF_DIR,
  aofFiles,
  dataset,
  digest,
  expectDataset,
  info,
  populate,
  readManifest,
  restartAof,
  startAof,
  TARGET,
  unsupported,
  waitRewriteDone,
} from "./aof-helpers.js";

/** The commands of an AOF file (a plain one, or the tail after an RDB preamble is not handled). */
function commandsOf(path: string): { argv: string[]; annotations: string[] } {
  const r = new AofCommandReader();
  r.feed(readFileSync(path));
  const argv: string[] = [];
  const annotations: string[] = [];
  for (;;) {
    const st = r.next();
    if (st === AOF_COMMAND) argv.push(r.argv.join(" "));
    else if (st === AOF_ANNOTATION) annotations.push(r.annotation);
    else break;
  }
  expect(r.end()).toBe("complete");
  return { argv, annotations };
}

function incrPath(dir: string): string {
  const am = readManifest(dir);
  return join(dir, AOF_DIR, am.incr[am.incr.length - 1].fileName);
}

describe("AOF restart", () => {
  it("reloads every acknowledged write after a clean restart and after kill -9", async () => {
    const dir = tempDir();
    let s = await startAof(TARGET, dir, ["--appendfsync", "always"]);
    let c = await s.client();
    try {
      await populate(c);
      const before = await dataset(c);
      expect(before.ttls.get("0:short")).toBeUndefined();
      expect(before.ttls.get("0:ex")).toBeGreaterThan(Date.now());
      ({ s, c } = await restartAof(TARGET, dir, s, c, "stop"));
      await expectDataset(c, before);
      // More writes, then a crash: still everything.
      await populate(c, "second:");
      const before2 = await dataset(c);
      ({ s, c } = await restartAof(TARGET, dir, s, c));
      await expectDataset(c, before2);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("writes the same commands as real Redis for the same writes (SELECT, PXAT, KEEPTTL, MULTI/EXEC, DEL of expired keys)", async () => {
    const normalize = (cmds: string[]) => cmds.map((a) => a.replace(/\b\d{12,}\b/g, "<ms>"));
    // Only what the target implements (collections arrive with their branches).
    const probe = await startServer(TARGET);
    const pc = await probe.client();
    const skip = await unsupported(pc);
    pc.close();
    await probe.kill();
    const run = async (kind: "keyhaven" | "redis") => {
      const dir = tempDir();
      const s = await startAof(kind, dir);
      const c = await s.client();
      try {
        // The expired key's DEL must come from the lazy expiry at a known point, on both servers.
        expect(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", 0)).toBe("OK");
        await populate(c, "", skip);
        await c.call("SET", "after", "x");
      } finally {
        c.close();
        // A clean stop flushes what everysec may still hold (a write postponed behind an fsync).
        await s.stop();
      }
      return normalize(commandsOf(incrPath(dir)).argv);
    };
    const [ours, theirs] = await Promise.all([run(TARGET), run("redis")]);
    expect(ours).toEqual(theirs);
    expect(theirs).toContain("DEL short");
    expect(theirs).toContain("SET float 1.1 KEEPTTL");
    expect(theirs.filter((x) => x === "MULTI").length).toBe(1);
  });

  it("reports aof_* fields as Redis does, sizes matching the files", async () => {
    const dir = tempDir();
    let s = await startAof(TARGET, dir);
    let c = await s.client();
    try {
      let i = await info(c);
      expect(i.get("aof_enabled")).toBe("1");
      expect(i.get("aof_last_write_status")).toBe("ok");
      expect(i.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(i.get("aof_rewrite_in_progress")).toBe("0");
      expect(i.get("aof_rewrites")).toBe("0");
      expect(i.get("aof_current_size")).toBe("0");
      expect(i.get("aof_base_size")).toBe("0");
      expect(i.get("aof_buffer_length")).toBe("0");
      expect(i.get("aof_pending_bio_fsync")).toBe("0");
      expect(i.get("aof_delayed_fsync")).toBe("0");
      await c.call("SET", "k", "v");
      i = await info(c);
      // SELECT 0 (23 bytes) + SET k v (27 bytes).
      expect(i.get("aof_current_size")).toBe("50");
      ({ s, c } = await restartAof(TARGET, dir, s, c, "stop"));
      i = await info(c);
      const am = readManifest(dir);
      const size = (n: string) => statSync(join(dir, AOF_DIR, n)).size;
      expect(Number(i.get("aof_base_size"))).toBe(size(am.base!.fileName));
      expect(Number(i.get("aof_current_size"))).toBe(size(am.base!.fileName) + size(am.incr[0].fileName));
      const off = await startServer(TARGET, { args: [] });
      const oc = await off.client();
      const j = await info(oc);
      expect(j.get("aof_enabled")).toBe("0");
      expect(j.has("aof_current_size")).toBe(false);
      oc.close();
      await off.kill();
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("answers -LOADING while the AOF loads, and serves once it is loaded", async () => {
    const dir = tempDir();
    let s = await startAof(TARGET, dir);
    let c = await s.client();
    // Redis serves clients every 1024 commands while loading: enough commands for a few times.
    await c.raw(Array.from({ length: 3000 }, (_, i) => `SET k${i} ${i}\r\n`).join(""), 3000);
    c.close();
    await s.stop();
    // key-load-delay (microseconds per command) makes the load last about 1.5 s.
    s = await startAof(TARGET, dir, ["--key-load-delay", "500"], { waitReady: false });
    try {
      await waitFor(async () => {
        try {
          c = await RespClient.connect(s.port);
          return true;
        } catch {
          return false;
        }
      }, "the listener");
      const reply = await c.call("GET", "k1");
      expect(errorText(reply)).toBe("LOADING Redis is loading the dataset in memory");
      expect((await info(c)).get("loading")).toBe("1");
      await waitFor(async () => (await info(c)).get("loading") === "0", "the load to end", 30_000);
      expect(await c.call("GET", "k2999")).toBe("2999");
      expect(await c.call("DBSIZE")).toBe(3000);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("CONFIG SET appendonly yes writes the dataset as the first base; no stops; yes again rewrites", async () => {
    const dir = tempDir();
    let s = await startServer(TARGET, { dir, args: ["--enable-debug-command", "yes"] });
    let c = await s.client();
    try {
      await populate(c);
      expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await waitRewriteDone(c);
      let am = readManifest(dir);
      expect(am.base?.fileName).toBe("appendonly.aof.1.base.rdb");
      expect(am.incr.map((x) => x.fileName)).toEqual(["appendonly.aof.1.incr.aof"]);
      await c.call("SET", "later", "1");
      const d1 = await digest(c);
      expect(await c.call("CONFIG", "SET", "appendonly", "no")).toBe("OK");
      expect((await info(c)).get("aof_enabled")).toBe("0");
      await c.call("SET", "not-in-aof", "1");
      expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await waitRewriteDone(c);
      am = readManifest(dir);
      expect(am.base?.fileName).toBe("appendonly.aof.2.base.rdb");
      expect(am.incr.map((x) => x.fileName)).toEqual(["appendonly.aof.2.incr.aof"]);
      await waitFor(() => aofFiles(dir).length === 3, "history files to be removed");
      const d2 = await digest(c);
      expect(d2).not.toBe(d1);
      ({ s, c } = await restartAof(TARGET, dir, s, c));
      expect(await digest(c)).toBe(d2);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("aof-use-rdb-preamble no makes a plain base; aof-timestamp-enabled annotates the files", async () => {
    const dir = tempDir();
    let s = await startAof(TARGET, dir, ["--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes"]);
    let c = await s.client();
    try {
      // A new second, so the first write gets its annotation whatever the start-up wrote.
      await sleep(1100);
      await populate(c);
      // A `#TS:` line precedes the first command of each new second.
      const first = commandsOf(incrPath(dir));
      expect(first.annotations.length).toBeGreaterThan(0);
      for (const a of first.annotations) expect(a).toMatch(/^TS:\d+$/);
      expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      await waitRewriteDone(c);
      await c.call("SET", "after-rewrite", "1");
      const am = readManifest(dir);
      expect(am.base?.fileName).toMatch(/^appendonly\.aof\.2\.base\.aof$/);
      const base = commandsOf(join(dir, AOF_DIR, am.base!.fileName));
      expect(base.annotations.length).toBe(1);
      expect(base.annotations[0]).toMatch(/^TS:\d+$/);
      expect(base.argv).toContain("SET str hello\r\n\0world\xff!");
      expect(base.argv.some((a) => /^PEXPIREAT ex \d+$/.test(a))).toBe(true);
      const incr = commandsOf(incrPath(dir));
      expect(incr.argv).toEqual(["SELECT 0", "SET after-rewrite 1"]);
      const before = await dataset(c);
      ({ s, c } = await restartAof(TARGET, dir, s, c));
      await expectDataset(c, before);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("DEBUG LOADAOF reloads the AOF into an emptied dataset", async () => {
    const dir = tempDir();
    const s = await startAof(TARGET, dir);
    const c = await s.client();
    try {
      await populate(c);
      const d = await digest(c);
      expect(await c.call("DEBUG", "LOADAOF")).toBe("OK");
      expect(await digest(c)).toBe(d);
      expect((await info(c)).get("rdb_changes_since_last_save")).toBe("0");
      await sleep(10);
    } finally {
      c.close();
      await s.kill();
    }
  });
});
