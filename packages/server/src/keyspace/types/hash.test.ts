/**
 * HashObject against a Map model (fast-check): contents, listpack insertion order, conversion
 * to hashtable by entry count or string length (and never back), and the memory estimate.
 */

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { stringMemory } from "../memory.js";
import { HASH_HT_PAIR_OVERHEAD, HASH_OVERHEAD, HashObject, packedPairLength } from "./hash.js";
import { typeLimits } from "./limits.js";

const saved = { ...typeLimits };
afterEach(() => Object.assign(typeLimits, saved));

const field = fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "x".repeat(10));
const value = fc.oneof(fc.constantFrom("1", "v", ""), fc.constant("y".repeat(12)));

describe("HashObject", () => {
  it("matches a Map model and converts like hashTypeSet", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.tuple(fc.constant("set"), field, value), fc.tuple(fc.constant("del"), field, value)),
          {
            maxLength: 120,
          },
        ),
        fc.integer({ min: 0, max: 6 }),
        (ops, maxEntries) => {
          typeLimits.hashMaxListpackEntries = maxEntries;
          typeLimits.hashMaxListpackValue = 11;
          const hash = new HashObject();
          const model = new Map<string, string>();
          let converted = false;
          for (const [op, f, v] of ops) {
            if (op === "set") {
              expect(hash.set(f, v)).toBe(!model.has(f));
              model.set(f, v);
              if (f.length > 11 || v.length > 11 || model.size > maxEntries) converted = true;
            } else {
              expect(hash.delete(f)).toBe(model.delete(f));
            }
            expect(hash.size()).toBe(model.size);
            expect(hash.encoding()).toBe(converted ? "hashtable" : "listpack");
            let mem = HASH_OVERHEAD;
            let packed = 0;
            for (const [k, val] of model) {
              if (converted) mem += HASH_HT_PAIR_OVERHEAD + stringMemory(k.length) + stringMemory(val.length);
              else packed += packedPairLength(k, val);
            }
            if (!converted) mem += stringMemory(packed);
            expect(hash.mem).toBe(mem);
          }
          const entries = [...hash.entries()];
          if (!converted) expect(entries).toEqual([...model.entries()]);
          else expect(new Map(entries)).toEqual(model);
          for (const [k, v] of model) {
            expect(hash.get(k)).toBe(v);
            expect(hash.has(k)).toBe(true);
          }
          expect(hash.get("missing")).toBeUndefined();
          const copy = hash.clone();
          expect([...copy.entries()]).toEqual(entries);
          expect(copy.encoding()).toBe(hash.encoding());
          copy.set("only-copy", "1");
          expect(hash.has("only-copy")).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("scans a listpack whole and a hashtable by cursor", () => {
    const small = new HashObject();
    small.set("a", "1");
    small.set("b", "2");
    const out: number[] = [];
    expect(small.scan(0, 1, out)).toBe(0);
    expect(out).toEqual([0, 1]);
    typeLimits.hashMaxListpackEntries = 4;
    const big = new HashObject();
    for (let i = 0; i < 100; i++) big.set(`f${i}`, String(i));
    const seen = new Set<string>();
    let cursor = 0;
    let calls = 0;
    do {
      const pos: number[] = [];
      cursor = big.scan(cursor, 10, pos);
      for (const p of pos) seen.add(big.fieldAt(p));
      calls++;
    } while (cursor !== 0);
    expect(seen.size).toBe(100);
    expect(calls).toBe(10);
  });

  it("packs strings of any length and content into a listpack", () => {
    typeLimits.hashMaxListpackValue = 100_000;
    const hash = new HashObject();
    const pairs: [string, string][] = [
      ["", ""],
      ["\xff", "\x00\xff\xff"],
      ["f".repeat(254), "v".repeat(255)],
      ["g".repeat(300), "w".repeat(70_000)],
      ["\xff".repeat(256), "1"],
    ];
    for (const [f, v] of pairs) expect(hash.set(f, v)).toBe(true);
    expect(hash.encoding()).toBe("listpack");
    expect([...hash.entries()]).toEqual(pairs);
    for (const [f, v] of pairs) expect(hash.get(f)).toBe(v);
    // Replacing a value in the middle and deleting keep the others intact.
    expect(hash.set("g".repeat(300), "short")).toBe(false);
    expect(hash.delete("\xff")).toBe(true);
    expect(hash.get("g".repeat(300))).toBe("short");
    expect(hash.fieldAt(3)).toBe("\xff".repeat(256));
    expect(hash.valueAt(1)).toBe("v".repeat(255));
    expect(hash.fieldAt(0)).toBe("");
    expect(hash.size()).toBe(4);
  });

  it("fromPairs builds what set() one by one builds, or null when a field repeats", () => {
    fc.assert(
      fc.property(
        // Past 12 pairs fromPairs looks for repeats with a Set rather than pairwise: cover both.
        fc.array(
          fc.tuple(
            fc.oneof(
              field,
              fc.integer({ min: 0, max: 40 }).map((i) => `f${i}`),
            ),
            value,
          ),
          { maxLength: 30 },
        ),
        fc.integer({ min: 0, max: 24 }),
        (pairs, maxEntries) => {
          typeLimits.hashMaxListpackEntries = maxEntries;
          typeLimits.hashMaxListpackValue = 11;
          const one = new HashObject();
          let repeats = false;
          for (const [f, v] of pairs) repeats = !one.set(f, v) || repeats;
          const bulk = HashObject.fromPairs(pairs);
          if (repeats) {
            expect(bulk).toBeNull();
            return;
          }
          expect(bulk).not.toBeNull();
          expect(bulk!.encoding()).toBe(one.encoding());
          expect([...bulk!.entries()]).toEqual([...one.entries()]);
          expect(bulk!.size()).toBe(one.size());
          expect(bulk!.mem).toBe(one.mem);
        },
      ),
      { numRuns: 300 },
    );
  });
});
