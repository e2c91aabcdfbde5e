/**
 * SlotDict's SCAN guarantee: an element present for a whole iteration is returned, however the
 * dict changes between steps (random adds and swap-removes), checked with fast-check.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlotDict } from "./slot-dict.js";

describe("SlotDict", () => {
  it("a full scan returns every element present throughout", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { maxLength: 400 }),
        fc.integer({ min: 1, max: 20 }),
        (initial, churn, count) => {
          const d = new SlotDict(true);
          for (let i = 0; i < initial; i++) d.insert(`k${i}`, `v${i}`);
          const removedEver = new Set<string>();
          const seen = new Set<string>();
          let cursor = 0;
          let step = 0;
          do {
            const pos: number[] = [];
            cursor = d.scan(cursor, count, pos);
            for (const p of pos) {
              expect(d.vals![p]).toBe(`v${d.keys[p].slice(1)}`);
              seen.add(d.keys[p]);
            }
            // A few random changes between steps.
            for (let j = 0; j < 3 && step < churn.length; j++, step++) {
              const [add, n] = churn[step];
              const key = `k${n}`;
              if (add && !d.has(key)) d.insert(key, `v${n}`);
              else if (!add && d.has(key)) {
                d.removeAt(d.position(key)!);
                removedEver.add(key);
              }
            }
          } while (cursor !== 0);
          for (let i = 0; i < initial; i++) {
            const key = `k${i}`;
            if (!removedEver.has(key)) expect(seen.has(key)).toBe(true);
          }
          // Lookups find every element at its dense position, and nothing removed.
          for (let p = 0; p < d.keys.length; p++) expect(d.position(d.keys[p])).toBe(p);
          for (const key of removedEver) expect(d.has(key)).toBe(d.keys.includes(key));
        },
      ),
      { numRuns: 300 },
    );
  });
});
