import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildDataset } from "../../test/fixtures/dataset.mjs";
import { splitAt } from "../../test/helpers/chunks.js";
import { normalizeValue } from "../../test/helpers/rdb.js";
import { DumpPayloadDataError, DumpPayloadVersionError, RdbFormatError } from "../errors.js";
import { createDumpPayload, parseDumpPayload } from "./dump.js";
import { RdbReader } from "./reader.js";
import type { RdbEntry, RdbValue } from "./types.js";
import { RdbWriter } from "./writer.js";

const fixtures = join(import.meta.dirname, "../../test/fixtures");

function writerFile(): Buffer {
  const w = new RdbWriter();
  w.header({ redisVer: "7.0.15", ctime: 1, usedMem: 1 });
  const data = buildDataset() as { db: number; key: string; value: RdbValue; expireAtMs: number }[];
  const dbs = [...new Set(data.map((e) => e.db))];
  for (const db of dbs) {
    const inDb = data.filter((e) => e.db === db);
    w.selectDb(db, inDb.length, 0);
    for (const e of inDb) w.entry(e.key, e.value, e.expireAtMs);
  }
  w.end();
  return Buffer.concat(w.take());
}

const bases: [string, Buffer][] = [
  ["writer", writerFile()],
  ["redis-7.0-dataset.rdb", readFileSync(join(fixtures, "redis-7.0-dataset.rdb"))],
  ["redis-7.0-quicklist.rdb", readFileSync(join(fixtures, "redis-7.0-quicklist.rdb"))],
  ["legacy-v6.rdb", readFileSync(join(fixtures, "legacy-v6.rdb"))],
  ["legacy-v7.rdb", readFileSync(join(fixtures, "legacy-v7.rdb"))],
];

type Mutation =
  | { kind: "flip"; at: number; xor: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; n: number }
  | { kind: "hugeLength"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant("hugeLength" as const), at: fc.nat() }),
);

function mutate(buf: Buffer, m: Mutation): Buffer {
  const at = m.at % buf.length;
  switch (m.kind) {
    case "flip": {
      const b = Buffer.from(buf);
      b[at] ^= m.xor;
      return b;
    }
    case "truncate":
      return buf.subarray(0, at);
    case "insert":
      return Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
    case "delete":
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.n)]);
    case "hugeLength":
      // A 32-bit length of 4 GB, or a 64-bit one of 2^50, where any length may be.
      return Buffer.concat([
        buf.subarray(0, at),
        Buffer.from([0x80, 0xff, 0xff, 0xff, 0xf0]),
        buf.subarray(at + 1),
      ]);
  }
}

/** Loads `file` in the given chunks: the entries, or the error (which must be an RdbFormatError). */
function load(chunks: Buffer[], verifyChecksum: boolean): { entries: RdbEntry[] } | { error: unknown } {
  const r = new RdbReader({ verifyChecksum });
  const entries: RdbEntry[] = [];
  try {
    for (const c of chunks) {
      r.feed(c);
      for (let ev = r.next(); ev !== null; ev = r.next()) if (ev.kind === "entry") entries.push(ev.entry);
    }
    r.end();
    return { entries };
  } catch (error) {
    return { error };
  }
}

describe("hostile RDB input", () => {
  for (const [name, base] of bases) {
    it(`${name}: any mutation is an RdbFormatError or a complete load`, () => {
      const clean = load([base], true);
      expect("entries" in clean).toBe(true);
      const cleanCount = "entries" in clean ? clean.entries.length : 0;
      fc.assert(
        fc.property(
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          fc.array(fc.nat(), { maxLength: 4 }),
          (ms, cuts) => {
            let bad = base;
            for (const m of ms) bad = mutate(bad, m);
            if (bad.length === 0) bad = Buffer.from([0]);
            for (const verify of [true, false]) {
              const result = load(splitAt(bad, cuts), verify);
              if ("error" in result) {
                expect(result.error).toBeInstanceOf(RdbFormatError);
              } else if (verify && !bad.equals(base)) {
                // With the checksum on, only a change the CRC cannot see may load: e.g. a change
                // after the trailer. It must then be the whole dataset.
                expect(result.entries.length).toBe(cleanCount);
              }
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it("a truncated file never loads as a smaller dataset", () => {
    const base = bases[0][1];
    for (let cut = 0; cut < base.length; cut += 7) {
      const result = load([base.subarray(0, cut)], false);
      expect("error" in result).toBe(true);
    }
  });
});

describe("hostile DUMP payloads", () => {
  const payloads = (buildDataset() as { value: RdbValue }[]).map((e) => createDumpPayload(e.value));
  it("any mutation is refused with RESTORE's errors or parses to some value", () => {
    fc.assert(
      fc.property(fc.nat(payloads.length - 1), mutation, fc.boolean(), (i, m, skipChecksum) => {
        const bad = mutate(payloads[i], m);
        try {
          const v = parseDumpPayload(bad, { skipChecksum });
          if (!skipChecksum && !bad.equals(payloads[i])) {
            // The CRC64 catches every change of up to 64 bits in practice.
            expect(normalizeValue(v)).toEqual(normalizeValue(parseDumpPayload(payloads[i])));
          }
        } catch (e) {
          expect(e instanceof DumpPayloadVersionError || e instanceof DumpPayloadDataError).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
