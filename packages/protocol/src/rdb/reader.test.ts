import { describe, expect, it } from "vitest";
import { chunksOf } from "../../test/helpers/chunks.js";
import { readAll } from "../../test/helpers/rdb.js";
import {
  RdbChecksumError,
  RdbFormatError,
  RdbTruncatedError,
  RdbUnsupportedError,
  RdbValueError,
  RdbVersionError,
} from "../errors.js";
import { Crc64 } from "./crc64.js";
import { RdbReader } from "./reader.js";
import type { RdbValue } from "./types.js";
import { RdbWriter } from "./writer.js";

function file(build: (w: RdbWriter) => void, checksum = true): Buffer {
  const w = new RdbWriter({ checksum });
  w.header({ redisVer: "7.0.15", ctime: 1, usedMem: 2 });
  build(w);
  w.end();
  return Buffer.concat(w.take());
}

/** An RDB 10 file around raw body bytes (after the header), with a valid checksum. */
function rawFile(body: number[] | Buffer, version = 10): Buffer {
  const head = Buffer.from(`REDIS${String(version).padStart(4, "0")}`);
  const all = Buffer.concat([head, Buffer.from(body), Buffer.from([0xff])]);
  const crc = Buffer.alloc(8);
  new Crc64().update(all).writeLE(crc, 0);
  return Buffer.concat([all, crc]);
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

const small = file((w) => {
  w.selectDb(0, 1, 0);
  w.entry("k", { type: "string", value: "v" });
});

describe("RdbReader", () => {
  it("reports aux, selectdb, resizedb, entries and a verified end", () => {
    const { events } = readAll(small);
    expect(events.map((e) => e.kind)).toEqual([
      "aux",
      "aux",
      "aux",
      "aux",
      "aux",
      "selectdb",
      "resizedb",
      "entry",
      "end",
    ]);
    expect(events[7]).toEqual({
      kind: "entry",
      entry: {
        db: 0,
        key: "k",
        value: { type: "string", value: "v" },
        expireAtMs: -1,
        lruIdleSeconds: -1,
        lfuFreq: -1,
      },
    });
    expect(events[8]).toMatchObject({ kind: "end", verified: true });
  });

  it("accepts a zero checksum without checking it, and can skip verification", () => {
    const nochecksum = file((w) => w.selectDb(0, 0, 0), false);
    expect(nochecksum.subarray(-8).equals(Buffer.alloc(8))).toBe(true);
    expect(readAll(nochecksum).events.at(-1)).toEqual({ kind: "end", checksum: 0n, verified: false });
    const corrupt = Buffer.from(small);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect(readAll(corrupt, { verifyChecksum: false }).entries).toHaveLength(1);
  });

  it("rejects a bad checksum, magic or version", () => {
    const corrupt = Buffer.from(small);
    corrupt[corrupt.length - 3] ^= 1;
    const e = errorOf(() => readAll(corrupt));
    expect(e).toBeInstanceOf(RdbChecksumError);
    expect((e as RdbChecksumError).code).toBe("KH_ERR_RDB_CHECKSUM");
    expect((e as RdbChecksumError).offset).toBe(small.length - 8);
    expect(errorOf(() => readAll(Buffer.from("RADIS0010\xff")))).toBeInstanceOf(RdbVersionError);
    expect(errorOf(() => readAll(rawFile([], 12)))).toBeInstanceOf(RdbVersionError);
    expect(errorOf(() => readAll(Buffer.from("REDIS00x0\xff")))).toBeInstanceOf(RdbVersionError);
  });

  it("reports truncation at end(), never a silently smaller dataset", () => {
    for (let cut = 0; cut < small.length; cut++) {
      const e = errorOf(() => readAll(small.subarray(0, cut)));
      expect(e).toBeInstanceOf(RdbTruncatedError);
      expect((e as RdbTruncatedError).code).toBe("KH_ERR_RDB_TRUNCATED");
    }
  });

  it("refuses 7.2 streams, modules and (by default) functions, naming the type and offset", () => {
    const stream = errorOf(() => readAll(rawFile([21, 1, 0x6b, 0])));
    expect(stream).toBeInstanceOf(RdbUnsupportedError);
    expect((stream as RdbUnsupportedError).rdbType).toBe(21);
    expect((stream as RdbUnsupportedError).offset).toBe(9);
    expect(stream.message).toContain("RDB_TYPE_STREAM_LISTPACKS_3");
    expect(errorOf(() => readAll(rawFile([7, 1, 0x6b])))).toBeInstanceOf(RdbUnsupportedError);
    expect(errorOf(() => readAll(rawFile([247, 1, 2, 3])))).toBeInstanceOf(RdbUnsupportedError);
    const fn = rawFile([245, 3, 0x61, 0x62, 0x63]);
    expect(errorOf(() => readAll(fn))).toBeInstanceOf(RdbUnsupportedError);
    expect(readAll(fn, { functions: "emit" }).events[0]).toEqual({ kind: "function", code: "abc" });
  });

  it("rejects unknown types and opcodes, bad lengths and bad string encodings", () => {
    for (const body of [
      [8, 1, 0x6b, 0],
      [22, 1, 0x6b, 0],
      [240],
      [0, 0xc4],
      [0, 0x82, 0],
      [0, 1, 0x6b, 0xc5],
    ]) {
      const e = errorOf(() => readAll(rawFile(body)));
      expect(e).toBeInstanceOf(RdbFormatError);
      expect(e).not.toBeInstanceOf(RdbTruncatedError);
    }
  });

  it("rejects duplicates where Redis does, and NaN scores", () => {
    const dupSet = [2, 1, 0x73, 2, 1, 0x61, 1, 0x61];
    expect(errorOf(() => readAll(rawFile(dupSet))).message).toContain("Duplicate set members");
    const dupHash = [4, 1, 0x68, 2, 1, 0x61, 1, 0x31, 1, 0x61, 1, 0x32];
    expect(errorOf(() => readAll(rawFile(dupHash))).message).toContain("Duplicate hash fields");
    // Small collections are searched linearly, bigger ones through a Set: a repeat late in a
    // 20-member set, zset (binary scores) and hash is found by both, and only repeats are refused.
    const strings = (xs: string[]) => xs.flatMap((x) => [x.length, ...Buffer.from(x, "latin1")]);
    const score = (x: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(x);
      return [...b];
    };
    for (const n of [3, 20]) {
      const members = Array.from({ length: n }, (_, i) => `m${i}`);
      const repeated = [...members.slice(0, -1), members[1]];
      const setOf = (xs: string[]) => [2, 1, 0x73, n, ...strings(xs)];
      const zsetOf = (xs: string[]) => [
        5,
        1,
        0x7a,
        n,
        ...xs.flatMap((x, i) => [...strings([x]), ...score(i)]),
      ];
      const hashOf = (xs: string[]) => [4, 1, 0x68, n, ...xs.flatMap((x) => strings([x, "v"]))];
      expect(errorOf(() => readAll(rawFile(setOf(repeated)))).message).toContain("Duplicate set members");
      expect(errorOf(() => readAll(rawFile(zsetOf(repeated)))).message).toContain("Duplicate zset fields");
      expect(errorOf(() => readAll(rawFile(hashOf(repeated)))).message).toContain("Duplicate hash fields");
      for (const body of [setOf(members), zsetOf(members), hashOf(members)]) {
        const entries = readAll(rawFile(body)).events.filter((e) => e.kind === "entry");
        expect(entries).toHaveLength(1);
      }
    }
    const nan = Buffer.alloc(8);
    nan.writeDoubleLE(Number.NaN);
    expect(errorOf(() => readAll(rawFile([5, 1, 0x7a, 1, 1, 0x61, ...nan]))).message).toContain("NAN");
    expect(errorOf(() => readAll(rawFile([3, 1, 0x7a, 1, 1, 0x61, 253]))).message).toContain("NAN");
    // A loader that checks sizes itself may skip the duplicate checks.
    expect(readAll(rawFile(dupSet), { checkDuplicates: false }).entries[0].value).toEqual({
      type: "set",
      value: ["a", "a"],
    });
  });

  it("skips empty collections as Redis 7.0 does, and counts them", () => {
    const { entries, reader } = readAll(rawFile([2, 1, 0x73, 0, 4, 1, 0x68, 0, 0, 1, 0x6b, 1, 0x76]));
    expect(entries.map((e) => e.key)).toEqual(["k"]);
    expect(reader.emptyKeysSkipped).toBe(2);
  });

  it("reads EXPIRETIME (seconds), IDLE and FREQ opcodes", () => {
    const secs = Buffer.alloc(4);
    secs.writeInt32LE(2000000000);
    const { entries } = readAll(rawFile([253, ...secs, 248, 0x40, 0x80, 249, 7, 0, 1, 0x6b, 1, 0x76]));
    expect(entries[0]).toMatchObject({ expireAtMs: 2000000000000, lruIdleSeconds: 128, lfuFreq: 7 });
  });

  it("reads old versions without a checksum trailer (RDB < 5)", () => {
    const v4 = Buffer.from([...Buffer.from("REDIS0004"), 254, 0, 0, 1, 0x6b, 1, 0x76, 255]);
    const { entries, events } = readAll(v4);
    expect(entries.map((e) => e.key)).toEqual(["k"]);
    expect(events.at(-1)).toEqual({ kind: "end", checksum: 0n, verified: false });
  });

  it("enforces the number of databases when asked", () => {
    const f = file((w) => w.selectDb(16, 0, 0));
    expect(readAll(f).events.find((e) => e.kind === "selectdb")).toEqual({ kind: "selectdb", db: 16 });
    expect(() => readAll(f, { databases: 16 })).toThrow(RdbFormatError);
  });

  it("returns what follows the RDB (the AOF tail of a preamble file)", () => {
    const tail = Buffer.from("*1\r\n$4\r\nPING\r\n");
    const r = new RdbReader();
    r.feed(Buffer.concat([small, tail]));
    while (r.next() !== null);
    r.end();
    expect(r.done).toBe(true);
    expect(r.rest().equals(tail)).toBe(true);
  });

  it("stays dead after an error", () => {
    const r = new RdbReader();
    r.feed(Buffer.from("NOTREDIS!"));
    expect(() => r.next()).toThrow(RdbVersionError);
    expect(() => r.next()).toThrow(RdbVersionError);
    expect(() => r.end()).toThrow(RdbVersionError);
  });

  it("parses a big string and a big set fed in small chunks", () => {
    const big = `${"x".repeat(3_000_000)}y`;
    const members = Array.from({ length: 200_000 }, (_, i) => `member:${i}`);
    const f = file((w) => {
      w.selectDb(0, 2, 0);
      w.entry("big", { type: "string", value: big });
      w.entry("set", { type: "set", value: members });
    });
    const { entries } = readAll(chunksOf(f, 4096));
    expect((entries[0].value as { value: string }).value === big).toBe(true);
    expect((entries[1].value as { value: string[] }).value).toEqual(members);
  });

  it("with reuseEntryEvents, yields the same entries in one recycled event object", () => {
    const f = file((w) => {
      w.selectDb(0, 4, 1);
      w.entry("s1", { type: "string", value: "one" });
      w.entry("h", { type: "hash", value: [["f", "v"]] }, 1_700_000_000_000);
      w.entry("s2", { type: "string", value: "12345" }, -1, { lruIdleSeconds: 7 });
      w.entry("l", { type: "list", value: ["a", "b"] });
    });
    const expected = readAll(f).entries;
    const r = new RdbReader({ reuseEntryEvents: true });
    // Fed in small chunks, so entries also complete after a NEED_MORE rewind.
    const seen: unknown[] = [];
    const events = new Set<unknown>();
    for (const chunk of chunksOf(f, 3)) {
      r.feed(chunk);
      for (let ev = r.next(); ev !== null; ev = r.next()) {
        if (ev.kind !== "entry") continue;
        events.add(ev);
        seen.push(structuredClone(ev.entry));
      }
    }
    r.end();
    expect(seen).toEqual(expected);
    expect(events.size).toBe(1);
  });

  it("the writer refuses values Redis cannot hold", () => {
    const w = new RdbWriter();
    expect(() => w.entry("k", { type: "string", value: "" })).toThrow(RdbValueError);
    w.header({ redisVer: "7.0.15", ctime: 1, usedMem: 1 });
    for (const v of [
      { type: "list", value: [] },
      { type: "set", value: [] },
      { type: "zset", value: [["a", Number.NaN]] },
    ] as RdbValue[]) {
      expect(() => w.entry("k", v)).toThrow(RdbValueError);
    }
  });
});
