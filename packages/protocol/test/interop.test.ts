/**
 * Interop with a real Redis 7.0 (Debian's redis-server package): our RDB files pass
 * redis-check-rdb and load into redis-server with exactly the same data, our DUMP payloads RESTORE
 * there, the hand-built legacy fixtures load there to their documented content, what a live Redis
 * SAVEs and DUMPs decodes to what was written into it, and its AOF manifests parse and format back
 * identically. Skipped (with a message) when redis-server is not installed; CI installs it.
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDumpPayload,
  formatAofManifest,
  parseAofManifest,
  parseDumpPayload,
  parseScore,
  type RdbValue,
  RdbWriter,
} from "../src/index.js";
import { buildDataset, loadIntoRedis } from "./fixtures/dataset.mjs";
import { legacyFiles } from "./fixtures/legacy-dataset.mjs";
import { entryMap, normalizeValue, readAll } from "./helpers/rdb.js";
import {
  hasBinary,
  makeTempDir,
  type RedisProcess,
  type RespClient,
  redisServerVersion,
  removeDir,
  startRedis,
} from "./helpers/redis.js";

type Entry = { db: number; key: string; value: RdbValue; expireAtMs: number };
const version = redisServerVersion();
if (version === null)
  console.warn("interop tests skipped: redis-server is not installed (apt-get install redis-server)");

const dataset = buildDataset() as Entry[];

function writeOurs(entries: Entry[]): Buffer {
  const w = new RdbWriter();
  w.header({ redisVer: "7.0.15", ctime: Math.floor(Date.now() / 1000), usedMem: 1000000 });
  for (const db of [...new Set(entries.map((e) => e.db))].sort((a, b) => a - b)) {
    const inDb = entries.filter((e) => e.db === db);
    w.selectDb(db, inDb.length, inDb.filter((e) => e.expireAtMs !== -1).length);
    for (const e of inDb) w.entry(e.key, e.value, e.expireAtMs);
  }
  w.end();
  return Buffer.concat(w.take());
}

function checkRdb(path: string): void {
  const r = spawnSync("redis-check-rdb", [path], { encoding: "utf8", timeout: 30000 });
  expect(r.stdout).toContain("RDB looks OK");
  expect(r.status).toBe(0);
}

/** Reads a key back from a server as an RdbValue. */
async function fetchValue(c: RespClient, key: string): Promise<RdbValue | null> {
  const type = await c.call("TYPE", key);
  switch (type) {
    case "string":
      return { type: "string", value: (await c.call("GET", key)) as string };
    case "list":
      return { type: "list", value: (await c.call("LRANGE", key, 0, -1)) as string[] };
    case "set":
      return { type: "set", value: (await c.call("SMEMBERS", key)) as string[] };
    case "hash": {
      const flat = (await c.call("HGETALL", key)) as string[];
      const pairs: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      return { type: "hash", value: pairs };
    }
    case "zset": {
      const flat = (await c.call("ZRANGE", key, 0, -1, "WITHSCORES")) as string[];
      const pairs: [string, number][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], parseScore(flat[i + 1])]);
      return { type: "zset", value: pairs };
    }
    default:
      return null;
  }
}

/** Compares every entry (value, TTL within 10 s) and every database's size. */
async function expectServerHolds(c: RespClient, entries: Entry[]): Promise<void> {
  const now = Date.now();
  for (const db of [...new Set(entries.map((e) => e.db))]) {
    await c.call("SELECT", db);
    expect(await c.call("DBSIZE")).toBe(entries.filter((e) => e.db === db).length);
  }
  for (const e of entries) {
    await c.call("SELECT", e.db);
    const got = await fetchValue(c, e.key);
    expect({ key: e.key, value: got && normalizeValue(got) }).toEqual({
      key: e.key,
      value: normalizeValue(e.value),
    });
    const pttl = (await c.call("PTTL", e.key)) as number;
    if (e.expireAtMs === -1) expect(pttl).toBe(-1);
    else expect(Math.abs(pttl - (e.expireAtMs - now))).toBeLessThan(10000);
  }
  await c.call("SELECT", 0);
}

describe.skipIf(version === null)(`interop with redis-server ${version}`, () => {
  let dir = "";
  const servers: RedisProcess[] = [];
  const start = async (config: Record<string, string>) => {
    const s = await startRedis(dir, config);
    servers.push(s);
    return s;
  };

  beforeAll(() => {
    dir = makeTempDir("kh-rdb-interop-");
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    removeDir(dir);
  });

  it("our RDB passes redis-check-rdb and loads into redis-server with the same data", async () => {
    const path = join(dir, "ours.rdb");
    writeFileSync(path, writeOurs(dataset));
    if (hasBinary("redis-check-rdb")) checkRdb(path);
    const s = await start({ dbfilename: "ours.rdb" });
    await expectServerHolds(s.client, dataset);
    await s.stop();
  });

  it("our RDB with PLAIN quicklist nodes and small thresholds loads too", async () => {
    const opts = {
      compression: false,
      listPackedThreshold: 100,
      listMaxListpackSize: 5,
      setMaxIntsetEntries: 4,
      zsetMaxListpackEntries: 2,
      hashMaxListpackEntries: 2,
      hashMaxListpackValue: 8,
    };
    const w = new RdbWriter(opts);
    w.header({ redisVer: "7.0.15", ctime: 1, usedMem: 1 });
    const inDb0 = dataset.filter((e) => e.db === 0);
    w.selectDb(0, inDb0.length, 0);
    for (const e of inDb0) w.entry(e.key, e.value, e.expireAtMs);
    w.end();
    writeFileSync(join(dir, "small-thresholds.rdb"), Buffer.concat(w.take()));
    if (hasBinary("redis-check-rdb")) checkRdb(join(dir, "small-thresholds.rdb"));
    const s = await start({ dbfilename: "small-thresholds.rdb" });
    await expectServerHolds(s.client, inDb0);
    await s.stop();
  });

  it("redis-server RESTOREs our DUMP payloads", async () => {
    const s = await start({ dbfilename: "empty.rdb" });
    const c = s.client;
    for (const e of dataset) {
      const key = `restored:${e.db}:${e.key}`;
      expect(await c.call("RESTORE", key, 0, createDumpPayload(e.value))).toBe("OK");
      expect(normalizeValue((await fetchValue(c, key)) as RdbValue)).toEqual(normalizeValue(e.value));
    }
    await s.stop();
  });

  for (const name of ["legacy-v6.rdb", "legacy-v7.rdb", "legacy-v9.rdb"]) {
    it(`the hand-built ${name} loads into redis-server to its documented content`, async () => {
      const path = join(import.meta.dirname, "fixtures", name);
      if (hasBinary("redis-check-rdb")) checkRdb(path);
      writeFileSync(join(dir, name), readFileSync(path));
      const s = await start({ dbfilename: name });
      await expectServerHolds(s.client, legacyFiles[name as keyof typeof legacyFiles] as Entry[]);
      await s.stop();
    });
  }

  it("what redis-server SAVEs and DUMPs decodes to what was written into it", async () => {
    const s = await start({ dbfilename: "saved.rdb" });
    const c = s.client;
    await loadIntoRedis((...args: string[]) => c.call(...args), dataset);
    await c.call("SAVE");
    const { entries } = readAll(readFileSync(join(dir, "saved.rdb")));
    expect(entryMap(entries)).toEqual(entryMap(dataset));
    for (const e of dataset) {
      await c.call("SELECT", e.db);
      const payload = Buffer.from((await c.call("DUMP", e.key)) as string, "latin1");
      expect(normalizeValue(parseDumpPayload(payload))).toEqual(normalizeValue(e.value));
    }
    await s.stop();
  });

  it("redis-server's AOF manifests parse and format back identically", async () => {
    const s = await start({ dbfilename: "aof.rdb", appendonly: "yes", appenddirname: "aofdir" });
    const manifestPath = join(dir, "aofdir", "appendonly.aof.manifest");
    const read = () => readFileSync(manifestPath, "latin1");
    expect(existsSync(manifestPath)).toBe(true);
    let text = read();
    let am = parseAofManifest(text);
    expect(am.base?.fileName).toBe("appendonly.aof.1.base.rdb");
    expect(am.incr.map((i) => i.fileName)).toEqual(["appendonly.aof.1.incr.aof"]);
    expect(formatAofManifest(am)).toBe(text);
    await s.client.call("SET", "k", "v");
    await s.client.call("CONFIG", "SET", "aof-disable-auto-gc", "yes");
    await s.client.call("BGREWRITEAOF");
    const deadline = Date.now() + 15000;
    while (parseAofManifest(read()).currBaseFileSeq < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    text = read();
    am = parseAofManifest(text);
    expect(am.base?.fileSeq).toBe(2);
    expect(am.history.length).toBeGreaterThan(0);
    expect(formatAofManifest(am)).toBe(text);
    await s.stop();
  });
});
