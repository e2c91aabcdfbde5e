/**
 * KeyTable against a Map as the model: random inserts, deletes (including the backward shifts
 * and shrinks they cause) and bulk inserts with repeated keys, checked with fast-check. Keys are
 * drawn from a small pool so that repeats, long probe runs and deletes inside runs are common.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashKey, KeyTable } from "./key-table.js";
import { Entry } from "./value.js";

const op = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), key: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 300 }) }),
  fc.record({
    kind: fc.constant("bulk" as const),
    keys: fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 120 }),
  }),
);

describe("KeyTable", () => {
  it("finds exactly what a Map holds after any mix of adds, deletes and bulk adds", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const table = new KeyTable();
        const model = new Map<string, Entry>();
        let serial = 0;
        for (const o of ops) {
          if (o.kind === "add") {
            const e = new Entry(`k${o.key}`, String(serial++), 0);
            const previous = table.addIfAbsent(e);
            expect(previous).toBe(model.get(e.key));
            if (previous === undefined) model.set(e.key, e);
          } else if (o.kind === "delete") {
            const key = `k${o.key}`;
            expect(table.delete(key)).toBe(model.get(key));
            model.delete(key);
          } else {
            const batch = o.keys.map((k, i) => {
              const e = new Entry(`k${k}`, String(serial++), 0);
              e.slot = i;
              return e;
            });
            const hashes = Int32Array.from(batch, (e) => hashKey(e.key));
            const expected: Entry[] = [];
            for (const e of batch) {
              if (model.has(e.key)) expected.push(e);
              else model.set(e.key, e);
            }
            expect(table.addBulk(batch, 0, batch.length, hashes)).toEqual(expected);
          }
          expect(table.size).toBe(model.size);
        }
        for (let k = 0; k <= 300; k++) expect(table.get(`k${k}`)).toBe(model.get(`k${k}`));
        expect(table.capacity).toBeGreaterThanOrEqual(2 * table.size);
      }),
      { numRuns: 300 },
    );
  });

  it("bulk-inserts a range of a larger array, and grows and shrinks with its size", () => {
    const table = new KeyTable();
    const entries = Array.from({ length: 5000 }, (_, i) => new Entry(`key:${i}`, "v", 0));
    const hashes = Int32Array.from(entries.slice(1000, 4000), (e) => hashKey(e.key));
    expect(table.addBulk(entries, 1000, 3000, hashes)).toEqual([]);
    expect(table.size).toBe(3000);
    expect(table.get("key:999")).toBeUndefined();
    expect(table.get("key:1000")).toBe(entries[1000]);
    expect(table.get("key:3999")).toBe(entries[3999]);
    expect(table.get("key:4000")).toBeUndefined();
    const grown = table.capacity;
    expect(grown).toBeGreaterThanOrEqual(6000);
    for (let i = 1000; i < 3990; i++) expect(table.delete(`key:${i}`)).toBe(entries[i]);
    expect(table.capacity).toBeLessThan(grown / 8);
    for (let i = 3990; i < 4000; i++) expect(table.get(`key:${i}`)).toBe(entries[i]);
  });
});
