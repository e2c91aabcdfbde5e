/**
 * Function libraries outside one server's memory, between Keyhaven and Debian's redis-server
 * 7.0: dump.rdb files with RDB_OPCODE_FUNCTION2 records load in both directions, FUNCTION DUMP
 * payloads RESTORE in both directions (byte-identical for the same library), DEBUG RELOAD keeps
 * the libraries, full syncs carry them (Keyhaven master to Keyhaven and redis-server replicas,
 * redis-server master to a Keyhaven replica) and FUNCTION LOAD/DELETE and FCALL effects reach
 * replicas through the stream; an AOF restart restores them, after a rewrite too (RDB preamble
 * or plain FUNCTION LOAD commands).
 *
 * Every server is on a free port and stopped by the end of its test.
 */

import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RdbWriter } from "@keyhaven/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { hasRealRedis, type RespClient, type ServerProcess, startServer, tempDir } from "../helpers.js";
import { restartAof, startAof, waitRewriteDone } from "./aof-helpers.js";
import { waitLoaded } from "./rdb-helpers.js";
import { NodesPerTest, replicate, sameDigest, waitFor } from "./replication-helpers.js";

const LIB_A = [
  "#!lua name=liba",
  "redis.register_function('incr_by', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)",
  "redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}",
].join("\n");
const LIB_B = [
  "#!lua name=libb",
  "redis.register_function('push_two', function(keys, args) redis.call('RPUSH', keys[1], args[1]) return redis.call('RPUSH', keys[1], args[2]) end)",
].join("\n");

const started: ServerProcess[] = [];
const clients: RespClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of started.splice(0)) await s.stop();
});

async function start(kind: "redis" | "keyhaven", args: string[] = [], dir?: string) {
  const server = await startServer(kind, { dir, args: ["--enable-debug-command", "yes", ...args] });
  started.push(server);
  const c = await server.client();
  clients.push(c);
  await waitLoaded(c);
  return { server, c };
}

/** FUNCTION LIST WITHCODE in a stable order (Redis lists in dict order). */
async function libraries(c: RespClient): Promise<unknown[]> {
  const list = (await c.call("FUNCTION", "LIST", "WITHCODE")) as unknown[][];
  const sorted = list.map((lib) => {
    const copy = [...lib];
    const fns = copy[5] as string[][];
    copy[5] = [...fns].sort((x, y) => (x[1] < y[1] ? -1 : 1));
    return copy;
  });
  return sorted.sort((x, y) => (String(x[1]) < String(y[1]) ? -1 : 1));
}

async function populate(c: RespClient): Promise<void> {
  expect(await c.call("FUNCTION", "LOAD", LIB_A)).toBe("liba");
  expect(await c.call("FUNCTION", "LOAD", LIB_B)).toBe("libb");
  expect(await c.call("FCALL", "incr_by", "1", "counter", "5")).toBe(5);
  expect(await c.call("FCALL", "push_two", "1", "list", "x", "y")).toBe(2);
}

async function expectUsable(c: RespClient): Promise<void> {
  expect(await c.call("FCALL_RO", "peek", "1", "counter")).toBe("5");
  expect(await c.call("FCALL", "incr_by", "1", "counter2", "1")).toBe(1);
}

describe.runIf(hasRealRedis())("function libraries in RDB files and DUMP payloads, across servers", () => {
  for (const [from, to] of [
    ["keyhaven", "redis"],
    ["redis", "keyhaven"],
  ] as const) {
    it(`a dump.rdb with libraries saved by ${from} loads in ${to}`, async () => {
      const src = await start(from);
      await populate(src.c);
      const expected = await libraries(src.c);
      const digest = await src.c.call("DEBUG", "DIGEST");
      expect(await src.c.call("SAVE")).toBe("OK");
      const dir = tempDir();
      copyFileSync(join(src.server.dir, "dump.rdb"), join(dir, "dump.rdb"));
      const dst = await start(to, [], dir);
      expect(await libraries(dst.c)).toEqual(expected);
      expect(await dst.c.call("DEBUG", "DIGEST")).toBe(digest);
      await expectUsable(dst.c);
    });

    it(`FUNCTION DUMP from ${from} restores in ${to}`, async () => {
      const src = await start(from);
      await populate(src.c);
      const payload = (await src.c.call("FUNCTION", "DUMP")) as string;
      const dst = await start(to);
      expect(await dst.c.call("FUNCTION", "RESTORE", payload)).toBe("OK");
      expect(await libraries(dst.c)).toEqual(await libraries(src.c));
      await dst.c.call("SET", "counter", "5");
      await expectUsable(dst.c);
    });
  }

  it("writes the same FUNCTION DUMP bytes as redis-server for the same library", async () => {
    // Uncompressed: our LZF finds different (equally valid) matches than Redis's for some inputs.
    const kh = await start("keyhaven", ["--rdbcompression", "no"]);
    const rs = await start("redis", ["--rdbcompression", "no"]);
    for (const c of [kh.c, rs.c]) await c.call("FUNCTION", "LOAD", LIB_A);
    expect(await kh.c.call("FUNCTION", "DUMP")).toBe(await rs.c.call("FUNCTION", "DUMP"));
  });

  it("DEBUG RELOAD of a file written by redis-server keeps its libraries", async () => {
    const src = await start("redis");
    await src.c.call("FUNCTION", "LOAD", LIB_A);
    expect(await src.c.call("SAVE")).toBe("OK");
    const dir = tempDir();
    copyFileSync(join(src.server.dir, "dump.rdb"), join(dir, "dump.rdb"));
    const dst = await start("keyhaven", [], dir);
    expect(await dst.c.call("DEBUG", "RELOAD")).toBe("OK");
    expect(await libraries(dst.c)).toEqual(await libraries(src.c));
  });
});

describe("function libraries across restarts and reloads (Keyhaven)", () => {
  it("refuses to start from an RDB whose library does not compile, naming the error", async () => {
    const dir = tempDir();
    const w = new RdbWriter({});
    w.header({ redisVer: "7.0.15", ctime: Math.floor(Date.now() / 1000), usedMem: 0 });
    w.functionLibrary("#!lua name=bad\nthis is not lua");
    w.end();
    writeFileSync(join(dir, "dump.rdb"), Buffer.concat(w.take()));
    const s = await startServer("keyhaven", { dir, waitReady: false });
    started.push(s);
    expect(await s.exited).not.toBe(0);
    expect(s.output()).toContain("Failed loading library, Error compiling function: user_function:2:");
  });

  it("DEBUG RELOAD keeps libraries; FLUSHALL does not delete them", async () => {
    const { c } = await start("keyhaven");
    await populate(c);
    const before = await libraries(c);
    expect(await c.call("DEBUG", "RELOAD")).toBe("OK");
    expect(await libraries(c)).toEqual(before);
    await expectUsable(c);
    expect(await c.call("FLUSHALL")).toBe("OK");
    expect(await libraries(c)).toEqual(before);
  });

  for (const preamble of ["yes", "no"]) {
    it(`an AOF restart restores libraries, before and after a rewrite (aof-use-rdb-preamble ${preamble})`, async () => {
      const dir = tempDir();
      let s = await startAof("keyhaven", dir, ["--aof-use-rdb-preamble", preamble]);
      let c = await s.client();
      await populate(c);
      const before = await libraries(c);
      const digest = await c.call("DEBUG", "DIGEST");
      ({ s, c } = await restartAof("keyhaven", dir, s, c));
      expect(await libraries(c)).toEqual(before);
      expect(await c.call("DEBUG", "DIGEST")).toBe(digest);
      await c.call("CONFIG", "SET", "aof-use-rdb-preamble", preamble);
      expect(await c.call("BGREWRITEAOF")).toMatch(/rewriting/);
      await waitRewriteDone(c);
      // A library deleted after the rewrite stays deleted: the DELETE is in the new incr file.
      expect(await c.call("FUNCTION", "DELETE", "libb")).toBe("OK");
      const after = await libraries(c);
      ({ s, c } = await restartAof("keyhaven", dir, s, c));
      expect(await libraries(c)).toEqual(after);
      c.close();
      await s.stop();
    });
  }
});

describe("function libraries and replication", () => {
  const nodes = new NodesPerTest();

  it("a Keyhaven replica gets libraries by full sync and FUNCTION LOAD/DELETE/FCALL by the stream", async () => {
    const master = await nodes.start([], "keyhaven");
    const replica = await nodes.start([], "keyhaven");
    await master.c.call("FUNCTION", "LOAD", LIB_A);
    await master.c.call("FCALL", "incr_by", "1", "counter", "5");
    // A library the replica had before the sync is replaced by the master's set.
    await replica.c.call("FUNCTION", "LOAD", LIB_B);
    await replicate(replica, master);
    expect(await libraries(replica.c)).toEqual(await libraries(master.c));
    await master.c.call("FUNCTION", "LOAD", LIB_B);
    await master.c.call("FCALL", "push_two", "1", "list", "x", "y");
    await sameDigest(master, [replica]);
    expect(await libraries(replica.c)).toEqual(await libraries(master.c));
    await master.c.call("FUNCTION", "DELETE", "liba");
    await waitFor(
      async () => ((await replica.c.call("FUNCTION", "LIST")) as unknown[]).length === 1,
      "DELETE",
    );
    await master.c.call("FUNCTION", "FLUSH");
    await waitFor(
      async () => ((await replica.c.call("FUNCTION", "LIST")) as unknown[]).length === 0,
      "FLUSH",
    );
  });

  it.runIf(hasRealRedis())(
    "a redis-server replica of a Keyhaven master gets the libraries and FCALL effects",
    async () => {
      const master = await nodes.start([], "keyhaven");
      const replica = await nodes.start([], "redis");
      await master.c.call("FUNCTION", "LOAD", LIB_A);
      await master.c.call("FCALL", "incr_by", "1", "counter", "5");
      await replicate(replica, master);
      await master.c.call("FUNCTION", "LOAD", LIB_B);
      await master.c.call("FCALL", "push_two", "1", "list", "x", "y");
      await sameDigest(master, [replica]);
      expect(await libraries(replica.c)).toEqual(await libraries(master.c));
    },
  );

  it.runIf(hasRealRedis())("a Keyhaven replica of a redis-server master gets its libraries", async () => {
    const master = await nodes.start([], "redis");
    const replica = await nodes.start([], "keyhaven");
    await master.c.call("FUNCTION", "LOAD", LIB_A);
    await master.c.call("FCALL", "incr_by", "1", "counter", "5");
    await replicate(replica, master);
    await master.c.call("FUNCTION", "LOAD", LIB_B);
    await master.c.call("FCALL", "push_two", "1", "list", "x", "y");
    await sameDigest(master, [replica]);
    expect(await libraries(replica.c)).toEqual(await libraries(master.c));
    expect(await replica.c.call("FCALL_RO", "peek", "1", "counter")).toBe("5");
  });
});
