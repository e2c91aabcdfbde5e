/**
 * Streams in files, both ways with Debian's redis-server 7.0: a dump.rdb saved by Keyhaven
 * (RDB_TYPE_STREAM_LISTPACKS_2, with and without compression) passes redis-check-rdb and loads
 * in redis-server with the same entries, node layout, tombstones, IDs, counters, consumer groups,
 * PELs (delivery times and counts) and consumers (seen times); a dump.rdb saved by redis-server
 * loads in Keyhaven the same way; and an AOF rewritten without an RDB preamble
 * (rewriteStreamObject's XADD / XSETID / XGROUP CREATE / XCLAIM form) rebuilds the same streams.
 * Compared with DEBUG DIGEST and XINFO STREAM FULL, which shows everything above.
 */

import { spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  hasRealRedis,
  type RespClient,
  type ServerProcess,
  startServer,
  tempDir,
  waitFor,
} from "../helpers.js";

const hasCheckRdb = spawnSync("redis-check-rdb", ["--help"]).error === undefined;
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function start(kind: "redis" | "keyhaven", args: string[] = [], dir?: string) {
  const server = await startServer(kind, { dir, args: ["--enable-debug-command", "yes", ...args] });
  started.push(server);
  const c = await server.client();
  return { server, c };
}

/** Streams with small nodes, tombstones, huge IDs, an empty stream, groups, PELs and consumers. */
async function build(c: RespClient): Promise<void> {
  await c.call("CONFIG", "SET", "stream-node-max-entries", "6");
  for (let i = 1; i <= 50; i++) {
    const fields =
      i % 4 === 0 ? ["a", String(i), "other", "x".repeat(i * 3)] : ["a", String(i), "b", "12345"];
    await c.call("XADD", "s", `${1000 + i}-${i % 3}`, ...fields);
  }
  await c.call("XDEL", "s", "1005-2", "1011-2", "1030-0");
  await c.call("XTRIM", "s", "MINID", "=", "1003-0");
  await c.call("XGROUP", "CREATE", "s", "g1", "0");
  await c.call("XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "7");
  await c.call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "s", ">");
  await c.call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "s", ">");
  await c.call("XCLAIM", "s", "g1", "carol", "0", "1004-1", "TIME", "1700000000000", "RETRYCOUNT", "9");
  await c.call("XGROUP", "CREATECONSUMER", "s", "g2", "idle");
  await c.call("XADD", "big", "18446744073709551614-18446744073709551615", "f", "v");
  await c.call("XADD", "big", "18446744073709551615-0", "f", "w");
  await c.call("XADD", "empty", "5-5", "f", "v");
  await c.call("XDEL", "empty", "5-5");
  await c.call("XGROUP", "CREATE", "empty", "g", "$");
}

async function snapshot(c: RespClient): Promise<unknown> {
  const out: unknown[] = [await c.call("DEBUG", "DIGEST")];
  for (const k of ["s", "big", "empty"]) {
    out.push(await c.call("XINFO", "STREAM", k, "FULL", "COUNT", "0"));
    out.push(await c.call("XRANGE", k, "-", "+"));
  }
  return out;
}

async function loaded(c: RespClient): Promise<void> {
  await waitFor(async () => !String(await c.call("PING")).startsWith("LOADING"), "loaded");
}

describe.runIf(hasRealRedis())("streams in files, with redis-server 7.0", () => {
  for (const compression of ["yes", "no"]) {
    it(`Keyhaven's dump.rdb (rdbcompression ${compression}) passes redis-check-rdb and loads in redis-server`, async () => {
      const args = ["--rdbcompression", compression];
      const { server, c } = await start("keyhaven", args);
      await build(c);
      const want = await snapshot(c);
      expect(await c.call("SAVE")).toBe("OK");
      const file = join(server.dir, "dump.rdb");
      if (hasCheckRdb) {
        const report = spawnSync("redis-check-rdb", [file], { encoding: "utf8" }).stdout;
        expect(report).toContain("\\o/ RDB looks OK! \\o/");
      }
      const dir = tempDir();
      copyFileSync(file, join(dir, "dump.rdb"));
      const { c: r } = await start("redis", args, dir);
      await loaded(r);
      expect(await snapshot(r)).toEqual(want);
      // The loaded nodes behave alike: the same approximate trim on both.
      expect(await r.call("XTRIM", "s", "MAXLEN", "~", "20")).toBe(
        await c.call("XTRIM", "s", "MAXLEN", "~", "20"),
      );
      expect(await r.call("XINFO", "STREAM", "s")).toEqual(await c.call("XINFO", "STREAM", "s"));
      c.close();
      r.close();
    });
  }

  it("redis-server's dump.rdb loads in Keyhaven with the same streams, and DEBUG RELOAD keeps them", async () => {
    const { server, c: r } = await start("redis");
    await build(r);
    const want = await snapshot(r);
    expect(await r.call("SAVE")).toBe("OK");
    const dir = tempDir();
    copyFileSync(join(server.dir, "dump.rdb"), join(dir, "dump.rdb"));
    const { c: k } = await start("keyhaven", [], dir);
    await loaded(k);
    expect(await snapshot(k)).toEqual(want);
    expect(await k.call("DEBUG", "RELOAD")).toBe("OK");
    expect(await snapshot(k)).toEqual(want);
    r.close();
    k.close();
  });

  it("an AOF without RDB preamble rebuilds the streams as redis-server's rewrite does", async () => {
    const args = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
    const { server, c: k } = await start("keyhaven", args);
    const { c: r } = await start("redis", args);
    await build(k);
    await build(r);
    for (const c of [k, r]) {
      expect(await c.call("BGREWRITEAOF")).toMatch(/rewriting started/);
      await waitFor(
        async () => /aof_rewrite_in_progress:0/.test(String(await c.call("INFO", "persistence"))),
        "rewrite done",
      );
    }
    // The digest covers entries; groups, PELs and counters come back through XSETID, XGROUP
    // CREATE ... ENTRIESREAD and XCLAIM ... TIME RETRYCOUNT (seen times are not kept by the AOF).
    const dir = server.dir;
    await server.stop();
    const { c: again } = await start("keyhaven", args, dir);
    await loaded(again);
    expect(await again.call("DEBUG", "DIGEST")).toBe(await r.call("DEBUG", "DIGEST"));
    for (const key of ["s", "big", "empty"]) {
      expect(await again.call("XINFO", "GROUPS", key)).toEqual(await r.call("XINFO", "GROUPS", key));
      expect(await again.call("XRANGE", key, "-", "+")).toEqual(await r.call("XRANGE", key, "-", "+"));
    }
    expect(await again.call("XPENDING", "s", "g1")).toEqual(await r.call("XPENDING", "s", "g1"));
    again.close();
    r.close();
  });
});
