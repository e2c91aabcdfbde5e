import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunksOf, splitAt } from "../../test/helpers/chunks.js";
import { entryMap, normalizeValue, readAll } from "../../test/helpers/rdb.js";
import { createDumpPayload, parseDumpPayload } from "./dump.js";
import type { RdbEncodingOptions, RdbValue } from "./types.js";
import { RdbWriter } from "./writer.js";

const bytesStr = (max: number) =>
  fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b).toString("latin1"));
const intText = fc.oneof(
  fc.integer({ min: -70000, max: 70000 }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom(
    "0",
    "-0",
    "007",
    "9223372036854775808",
    "-9223372036854775809",
    "2147483647",
    "2147483648",
    "-2147483648",
  ),
);
/** Lengths around every threshold: 11/20/21 (integer and LZF), 63/64/65 (listpack values). */
const repeated = fc
  .tuple(
    fc.constantFrom("a", "ab", "xyz", "\u0000\u00ff"),
    fc.constantFrom(1, 10, 11, 20, 21, 32, 63, 64, 65, 200, 3000),
  )
  .map(([unit, n]) => unit.repeat(n).slice(0, n));
const member = fc.oneof(bytesStr(12), intText, repeated);
const score = fc
  .oneof(
    fc.double(),
    fc.constantFrom(
      -0,
      0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      5e-324,
      1.7976931348623157e308,
      2 ** 52,
      2 ** 53 + 2,
      0.1,
    ),
    fc.integer().map(Number),
  )
  .filter((d) => !Number.isNaN(d));

const value: fc.Arbitrary<RdbValue> = fc.oneof(
  fc.oneof(bytesStr(100), intText, repeated).map((v) => ({ type: "string" as const, value: v })),
  fc.array(member, { minLength: 1, maxLength: 40 }).map((v) => ({ type: "list" as const, value: v })),
  fc.tuple(fc.integer({ min: 1, max: 1500 }), fc.nat(50)).map(([n, pad]) => ({
    type: "list" as const,
    value: Array.from({ length: n }, (_, i) => `${i}-${"p".repeat((i * pad) % 97)}`),
  })),
  fc.uniqueArray(member, { minLength: 1, maxLength: 40 }).map((v) => ({ type: "set" as const, value: v })),
  fc
    .integer({ min: 500, max: 530 })
    .map((n) => ({ type: "set" as const, value: Array.from({ length: n }, (_, i) => String(i * 7 - 100)) })),
  fc
    .uniqueArray(fc.tuple(member, score), { minLength: 1, maxLength: 140, selector: (p) => p[0] })
    .map((v) => ({ type: "zset" as const, value: v })),
  fc
    .uniqueArray(fc.tuple(member, fc.oneof(bytesStr(20), intText, repeated)), {
      minLength: 1,
      maxLength: 140,
      selector: (p) => p[0],
    })
    .map((v) => ({ type: "hash" as const, value: v })),
);

const entryArb = fc.record({
  db: fc.constantFrom(0, 0, 1, 7, 15, 300),
  key: fc.oneof(bytesStr(30), intText, repeated),
  value,
  expireAtMs: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 47 })),
  lruIdleSeconds: fc.oneof(fc.constant(-1), fc.nat()),
  lfuFreq: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 255 })),
});

const options: fc.Arbitrary<RdbEncodingOptions & { checksum: boolean }> = fc.record({
  compression: fc.boolean(),
  checksum: fc.boolean(),
  listMaxListpackSize: fc.constantFrom(-5, -2, -1, 0, 1, 4, 128),
  listPackedThreshold: fc.constantFrom(1 << 30, 50),
  setMaxIntsetEntries: fc.constantFrom(512, 4),
  zsetMaxListpackEntries: fc.constantFrom(128, 2),
  zsetMaxListpackValue: fc.constantFrom(64, 3),
  hashMaxListpackEntries: fc.constantFrom(128, 2),
  hashMaxListpackValue: fc.constantFrom(64, 3),
});

type Entry = {
  db: number;
  key: string;
  value: RdbValue;
  expireAtMs: number;
  lruIdleSeconds: number;
  lfuFreq: number;
};

function write(entries: Entry[], opts: RdbEncodingOptions & { checksum?: boolean }): Buffer {
  const w = new RdbWriter(opts);
  w.header({
    redisVer: "7.0.15",
    ctime: 1700000000,
    usedMem: 3000000000,
    repl: { streamDb: 0, id: "a".repeat(40), offset: 12345 },
  });
  const dbs = [...new Set(entries.map((e) => e.db))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  for (const db of dbs) {
    const inDb = entries.filter((e) => e.db === db);
    w.selectDb(db, inDb.length, inDb.filter((e) => e.expireAtMs !== -1).length);
    for (const e of inDb) {
      w.entry(e.key, e.value, e.expireAtMs, { lruIdleSeconds: e.lruIdleSeconds, lfuFreq: e.lfuFreq });
      parts.push(...w.take());
    }
  }
  w.end();
  parts.push(...w.take());
  return Buffer.concat(parts);
}

/** What Redis holds after the write: a listpack-encoded sorted set turns -0 scores into 0. */
function expectedAfterWrite(entries: Entry[], opts: RdbEncodingOptions): Entry[] {
  return entries.map((e) => ({ ...e, value: expectedValue(e.value, opts) }));
}

function expectedValue(v: RdbValue, opts: RdbEncodingOptions): RdbValue {
  if (v.type !== "zset") return v;
  const listpack =
    v.value.length <= (opts.zsetMaxListpackEntries ?? 128) &&
    v.value.every(([m]) => m.length <= (opts.zsetMaxListpackValue ?? 64));
  return listpack ? { type: "zset", value: v.value.map(([m, s]) => [m, s === 0 ? 0 : s]) } : v;
}

function uniqueKeys(entries: Entry[]): Entry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const id = `${e.db}:${e.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

describe("RDB round trip (writer then reader)", () => {
  it("reads back every entry, in any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 12 }).map(uniqueKeys),
        options,
        fc.array(fc.nat(), { maxLength: 8 }),
        (entries, opts, cuts) => {
          const file = write(entries, opts);
          const expected = entryMap(expectedAfterWrite(entries, opts));
          for (const chunks of [[file], splitAt(file, cuts), chunksOf(file, 97)]) {
            const { entries: got, events } = readAll(chunks);
            expect(entryMap(got)).toEqual(expected);
            const byKey = new Map(got.map((e) => [`${e.db}:${e.key}`, e]));
            for (const e of entries) {
              const g = byKey.get(`${e.db}:${e.key}`);
              expect(g?.lruIdleSeconds).toBe(e.lruIdleSeconds);
              expect(g?.lfuFreq).toBe(e.lfuFreq);
            }
            const end = events[events.length - 1];
            expect(end.kind).toBe("end");
            if (end.kind === "end") expect(end.verified).toBe(opts.checksum);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("feeds byte by byte without changing the result", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 3 }).map(uniqueKeys), (entries) => {
        const file = write(entries, {});
        if (file.length > 20000) return;
        expect(entryMap(readAll(chunksOf(file, 1)).entries)).toEqual(
          entryMap(expectedAfterWrite(entries, {})),
        );
      }),
      { numRuns: 30 },
    );
  });
});

describe("DUMP payload round trip", () => {
  it("parses what it creates, under any thresholds", () => {
    fc.assert(
      fc.property(value, options, (v, opts) => {
        expect(normalizeValue(parseDumpPayload(createDumpPayload(v, opts)))).toEqual(
          normalizeValue(expectedValue(v, opts)),
        );
      }),
      { numRuns: 150 },
    );
  });
});
