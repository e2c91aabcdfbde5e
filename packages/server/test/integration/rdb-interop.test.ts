/**
 * Files and payloads move between Keyhaven and Debian's Redis 7.0 in both directions:
 * redis-check-rdb accepts our dump.rdb (with and without compression and checksum, with LRU/LFU
 * metadata); a real redis-server loads it and holds the same data (DEBUG DIGEST, which Keyhaven
 * computes with Redis's algorithm, and key by key); we load a dump.rdb written by real Redis; and
 * DUMP payloads RESTORE across the two (byte-identical for the same value).
 */

import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasRealRedis, type RespClient, type ServerProcess, startServer, tempDir } from "../helpers.js";
import {
  buildModel,
  COLLECTIONS_SKIP_REASON,
  canonicalModel,
  collectionsAvailable,
  loadModel,
  type Model,
  pipeline,
  readRdbFile,
  waitLoaded,
} from "./rdb-helpers.js";

const collections = collectionsAvailable();
const hasCheckRdb = spawnSync("redis-check-rdb", ["--help"]).error === undefined;
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function start(kind: "redis" | "keyhaven", args: string[] = [], dir?: string) {
  const server = await startServer(kind, { dir, args: ["--enable-debug-command", "yes", ...args] });
  started.push(server);
  const c = await server.client();
  await waitLoaded(c);
  return { server, c };
}

/** Every key of every database, read through commands (type, value, absolute expiry). */
async function readServer(c: RespClient, databases = 16): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let db = 0; db < databases; db++) {
    await c.call("SELECT", String(db));
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = (await c.call("SCAN", cursor, "COUNT", "1000")) as [string, string[]];
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    if (keys.length === 0) continue;
    const types = (await pipeline(
      c,
      keys.map((k) => ["TYPE", k]),
    )) as string[];
    const reads = keys.map((k, i) => {
      switch (types[i]) {
        case "string":
          return ["GET", k];
        case "list":
          return ["LRANGE", k, "0", "-1"];
        case "set":
          return ["SMEMBERS", k];
        case "zset":
          return ["ZRANGE", k, "0", "-1", "WITHSCORES"];
        default:
          return ["HGETALL", k];
      }
    });
    const values = await pipeline(c, reads);
    const expiries = await pipeline(
      c,
      keys.map((k) => ["PEXPIRETIME", k]),
    );
    const d: Record<string, unknown> = {};
    keys.forEach((k, i) => {
      const v = values[i];
      const sorted =
        types[i] === "set"
          ? [...(v as string[])].sort()
          : types[i] === "hash"
            ? pairs(v as string[]).sort()
            : v;
      d[k] = { type: types[i], value: sorted, expireAt: expiries[i] };
    });
    out[`db${db}`] = sortKeys(d);
  }
  await c.call("SELECT", "0");
  return out;
}

function pairs(flat: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}\0${flat[i + 1]}`);
  return out;
}

function sortKeys(d: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function checkRdb(path: string): string {
  return execFileSync("redis-check-rdb", [path], { encoding: "utf8" });
}

async function keyhavenFile(model: Model, args: string[] = []): Promise<{ file: string; digest: unknown }> {
  const { server, c } = await start("keyhaven", args);
  await loadModel(c, model);
  const digest = await c.call("DEBUG", "DIGEST");
  expect(await c.call("SAVE")).toBe("OK");
  c.close();
  return { file: join(server.dir, "dump.rdb"), digest };
}

const interop = describe.skipIf(!hasRealRedis());

interop("Keyhaven's dump.rdb in real Redis", () => {
  const variants: [string, string[]][] = [
    ["defaults", []],
    ["rdbcompression no", ["--rdbcompression", "no"]],
    ["rdbchecksum no", ["--rdbchecksum", "no"]],
    ["allkeys-lru (IDLE opcodes)", ["--maxmemory-policy", "allkeys-lru"]],
    ["allkeys-lfu (FREQ opcodes)", ["--maxmemory-policy", "allkeys-lfu"]],
  ];
  for (const [name, args] of variants) {
    it(`${name}: redis-check-rdb accepts it and redis-server loads the same data`, async () => {
      const model = buildModel(3000, false, 3);
      const { file, digest } = await keyhavenFile(model, args);
      if (hasCheckRdb) {
        const report = checkRdb(file);
        expect(report).toContain("\\o/ RDB looks OK! \\o/");
        expect(report).toContain("[info] 3000 keys read");
      }
      const dir = tempDir();
      copyFileSync(file, join(dir, "dump.rdb"));
      const { c: r } = await start("redis", args, dir);
      expect(await r.call("DEBUG", "DIGEST")).toBe(digest);
      expect(await readServer(r)).toEqual(await readServer((await start("keyhaven", args, dir)).c));
      r.close();
    });
  }

  it.skipIf(!collections)(
    `with every type${collections ? "" : ` (skipped until: ${COLLECTIONS_SKIP_REASON})`}`,
    async () => {
      const model = buildModel(6000, true, 5);
      const { file, digest } = await keyhavenFile(model);
      if (hasCheckRdb) expect(checkRdb(file)).toContain("\\o/ RDB looks OK! \\o/");
      const dir = tempDir();
      copyFileSync(file, join(dir, "dump.rdb"));
      const { c: r } = await start("redis", [], dir);
      expect(await r.call("DEBUG", "DIGEST")).toBe(digest);
      expect(canonicalModel(readRdbFile(file).model)).toEqual(canonicalModel(model));
      r.close();
    },
    120_000,
  );
});

interop("real Redis's dump.rdb in Keyhaven", () => {
  it("loads at start-up and by DEBUG RELOAD with the same data", async () => {
    const model = buildModel(3000, false, 7);
    const { server, c: r } = await start("redis");
    await loadModel(r, model);
    await r.call("SET", "short-lived", "x", "PX", "150");
    const digest = await r.call("DEBUG", "DIGEST");
    expect(await r.call("SAVE")).toBe("OK");
    await new Promise((res) => setTimeout(res, 300));
    await r.call("DEL", "short-lived");
    const expected = await readServer(r);
    const dir = tempDir();
    copyFileSync(join(server.dir, "dump.rdb"), join(dir, "dump.rdb"));
    const { c: k } = await start("keyhaven", [], dir);
    // The key that expired since the save is dropped at load, as Redis does.
    expect(await k.call("EXISTS", "short-lived")).toBe(0);
    expect((await k.call("INFO", "persistence")) as string).toContain("rdb_last_load_keys_expired:1");
    expect(await readServer(k)).toEqual(expected);
    await r.call("DEL", "short-lived");
    expect(await k.call("DEBUG", "DIGEST")).toBe(await r.call("DEBUG", "DIGEST"));
    expect(await k.call("DEBUG", "RELOAD", "NOSAVE")).toBe("OK");
    expect(await readServer(k)).toEqual(expected);
    expect(digest).not.toBe("0000000000000000000000000000000000000000");
    r.close();
    k.close();
  });

  it.skipIf(!collections)(
    `with every type${collections ? "" : ` (skipped until: ${COLLECTIONS_SKIP_REASON})`}`,
    async () => {
      const model = buildModel(6000, true, 9);
      const { server, c: r } = await start("redis");
      await loadModel(r, model);
      const digest = await r.call("DEBUG", "DIGEST");
      expect(await r.call("SAVE")).toBe("OK");
      const dir = tempDir();
      copyFileSync(join(server.dir, "dump.rdb"), join(dir, "dump.rdb"));
      const { c: k } = await start("keyhaven", [], dir);
      expect(await k.call("DEBUG", "DIGEST")).toBe(digest);
      expect(await readServer(k)).toEqual(await readServer(r));
      r.close();
      k.close();
    },
    120_000,
  );
});

interop("DUMP payloads across servers", () => {
  it("are byte-identical for strings and RESTORE in the other server", async () => {
    const { c: r } = await start("redis");
    const { c: k } = await start("keyhaven");
    const values = ["1", "-12345678", "123456789012", "plain", "y".repeat(300), "\x00\x01\xfe\xff", ""];
    for (const [i, v] of values.entries()) {
      for (const c of [r, k]) await c.call("SET", `s${i}`, v);
      const fromRedis = await r.call("DUMP", `s${i}`);
      const fromKeyhaven = await k.call("DUMP", `s${i}`);
      expect(fromKeyhaven).toBe(fromRedis);
      expect(await k.call("RESTORE", `from-redis-${i}`, "0", fromRedis as string)).toBe("OK");
      expect(await r.call("RESTORE", `from-keyhaven-${i}`, "0", fromKeyhaven as string)).toBe("OK");
      expect(await k.call("GET", `from-redis-${i}`)).toBe(v);
      expect(await r.call("GET", `from-keyhaven-${i}`)).toBe(v);
    }
    r.close();
    k.close();
  });

  it.skipIf(!collections)(
    `RESTORE every type across servers${collections ? "" : ` (skipped until: ${COLLECTIONS_SKIP_REASON})`}`,
    async () => {
      const { c: r } = await start("redis");
      const { c: k } = await start("keyhaven");
      const setup = [
        ["RPUSH", "l", "a", "1", "b"],
        ["SADD", "si", "1", "2", "3"],
        ["SADD", "ss", "x", "y"],
        ["ZADD", "z", "1.5", "a", "-2", "b"],
        ["HSET", "h", "f", "v", "n", "1"],
      ];
      for (const c of [r, k]) await pipeline(c, setup);
      for (const key of ["l", "si", "ss", "z", "h"]) {
        const fromRedis = (await r.call("DUMP", key)) as string;
        const fromKeyhaven = (await k.call("DUMP", key)) as string;
        expect(await k.call("RESTORE", `${key}-r`, "0", fromRedis)).toBe("OK");
        expect(await r.call("RESTORE", `${key}-k`, "0", fromKeyhaven)).toBe("OK");
        expect(await k.call("DEBUG", "DIGEST-VALUE", `${key}-r`)).toEqual(
          await r.call("DEBUG", "DIGEST-VALUE", key),
        );
        expect(await r.call("DEBUG", "DIGEST-VALUE", `${key}-k`)).toEqual(
          await r.call("DEBUG", "DIGEST-VALUE", key),
        );
      }
      r.close();
      k.close();
    },
  );
});
