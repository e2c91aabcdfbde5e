/**
 * Fixtures written by a real Redis 7.0 (make-fixtures.mjs) decode to exactly the data that was put
 * into it, and our writer reproduces Redis's SAVE output byte for byte; hand-built legacy files
 * (encodings Redis 7.0 only reads) decode to their documented content.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RdbValue } from "../src/index.js";
import { createDumpPayload, parseDumpPayload, RdbUnsupportedError, RdbWriter } from "../src/index.js";
import {
  buildDataset,
  FUNCTION_CODE,
  quicklistCompressed,
  quicklistPlain,
  smallSubset,
} from "./fixtures/dataset.mjs";
import { legacyFiles } from "./fixtures/legacy-dataset.mjs";
import { entryMap, normalizeValue, readAll } from "./helpers/rdb.js";

const dir = join(import.meta.dirname, "fixtures");
const fixture = (name: string) => readFileSync(join(dir, name));
type DatasetEntry = { db: number; key: string; value: RdbValue; expireAtMs: number };
const dataset = buildDataset() as DatasetEntry[];

/** Rewrites a file's events with our writer, in the file's own key order. */
function rewrite(file: Buffer, options: { compression?: boolean; checksum?: boolean } = {}): Buffer {
  const { events } = readAll(file);
  const aux = new Map(events.flatMap((e) => (e.kind === "aux" ? [[e.name, e.value] as const] : [])));
  const w = new RdbWriter(options);
  w.header({
    redisVer: aux.get("redis-ver") ?? "",
    ctime: Number(aux.get("ctime")),
    usedMem: Number(aux.get("used-mem")),
    aofBase: aux.get("aof-base") === "1",
  });
  let db = 0;
  for (const e of events) {
    if (e.kind === "selectdb") db = e.db;
    else if (e.kind === "resizedb") w.selectDb(db, e.dbSize, e.expiresSize);
    else if (e.kind === "entry") w.entry(e.entry.key, e.entry.value, e.entry.expireAtMs);
  }
  w.end();
  return Buffer.concat(w.take());
}

describe("fixtures written by Redis 7.0", () => {
  it("redis-7.0-dataset.rdb holds exactly the dataset", () => {
    const { entries, events } = readAll(fixture("redis-7.0-dataset.rdb"));
    expect(entryMap(entries)).toEqual(entryMap(dataset));
    expect(events.find((e) => e.kind === "aux" && e.name === "redis-ver")).toMatchObject({
      value: expect.stringMatching(/^7\.0\./),
    });
    expect(events.at(-1)).toMatchObject({ kind: "end", verified: true });
  });

  it("our writer reproduces Redis's SAVE output byte for byte (same key order)", () => {
    const redis = fixture("redis-7.0-dataset.rdb");
    expect(rewrite(redis).equals(redis)).toBe(true);
    const plain = fixture("redis-7.0-nocompress-nochecksum.rdb");
    expect(rewrite(plain, { compression: false, checksum: false }).equals(plain)).toBe(true);
  });

  it("rdbcompression no / rdbchecksum no", () => {
    const { entries, events } = readAll(fixture("redis-7.0-nocompress-nochecksum.rdb"));
    expect(entryMap(entries)).toEqual(entryMap(smallSubset(dataset)));
    expect(events.at(-1)).toEqual({ kind: "end", checksum: 0n, verified: false });
  });

  it("compressed quicklist nodes and PLAIN nodes", () => {
    const { entries } = readAll(fixture("redis-7.0-quicklist.rdb"));
    const byKey = new Map(entries.map((e) => [e.key, e.value]));
    expect(byKey.get("list:compressed")).toEqual({ type: "list", value: quicklistCompressed() });
    expect(byKey.get("list:plain")).toEqual({ type: "list", value: quicklistPlain() });
  });

  it("LFU and LRU metadata", () => {
    const lfu = readAll(fixture("redis-7.0-lfu.rdb")).entries;
    expect(lfu.map((e) => e.key).sort()).toEqual(["a", "b"]);
    for (const e of lfu) expect(e.lfuFreq).toBeGreaterThanOrEqual(0);
    for (const e of readAll(fixture("redis-7.0-lru.rdb")).entries)
      expect(e.lruIdleSeconds).toBeGreaterThanOrEqual(0);
  });

  it("function libraries: refused by default, emitted on request", () => {
    expect(() => readAll(fixture("redis-7.0-function.rdb"))).toThrow(RdbUnsupportedError);
    const { events, entries } = readAll(fixture("redis-7.0-function.rdb"), { functions: "emit" });
    expect(events.find((e) => e.kind === "function")).toEqual({ kind: "function", code: FUNCTION_CODE });
    expect(entries.map((e) => e.key)).toEqual(["with-function"]);
  });

  it("DUMP payloads parse to the values, and ours are byte-identical", () => {
    const payloads = JSON.parse(readFileSync(join(dir, "redis-7.0-dump-payloads.json"), "utf8")) as Record<
      string,
      string
    >;
    const expected = new Map(
      dataset.map((e) => [`${e.db}:${Buffer.from(e.key, "latin1").toString("hex")}`, e.value]),
    );
    expect(Object.keys(payloads).length).toBe(dataset.length);
    for (const [id, b64] of Object.entries(payloads)) {
      const payload = Buffer.from(b64, "base64");
      const value = expected.get(id) as RdbValue;
      expect(normalizeValue(parseDumpPayload(payload))).toEqual(normalizeValue(value));
      const ours = createDumpPayload(value);
      // Same encoding choice always; the same bytes except where Redis's order is its hash
      // table's (RDB_TYPE_SET and RDB_TYPE_HASH).
      expect(ours[0]).toBe(payload[0]);
      if (payload[0] !== 2 && payload[0] !== 4) expect(ours.equals(payload)).toBe(true);
    }
  });
});

describe("hand-built legacy fixtures", () => {
  for (const [name, expected] of Object.entries(legacyFiles)) {
    it(`${name} decodes to its documented content`, () => {
      const { entries, reader } = readAll(fixture(name));
      expect(reader.version).toBe(Number(name.slice(8, -4)));
      expect(entries).toEqual(
        (expected as (DatasetEntry & { lruIdleSeconds?: number; lfuFreq?: number })[]).map((e) => ({
          lruIdleSeconds: -1,
          lfuFreq: -1,
          ...e,
        })),
      );
    });
  }
});
