import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasRepeat } from "./repeats.js";

describe("hasRepeat", () => {
  it("tells whether the members picked by start and step repeat, pairwise or with a Set", () => {
    fc.assert(
      fc.property(
        // Up to 40 picks: past 12 the search uses a Set.
        fc.array(fc.constantFrom("a", "b", "c", "", "d", "e", "f", "g"), { maxLength: 160 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        (items, start, step) => {
          const picked = items.filter((_, i) => i >= start && (i - start) % step === 0);
          expect(hasRepeat(items, start, step)).toBe(new Set(picked).size !== picked.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("finds a repeat among many distinct members", () => {
    const many = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    expect(hasRepeat(many)).toBe(false);
    expect(hasRepeat([...many, "m999"])).toBe(true);
    // Only every other member counts: values may repeat, fields may not.
    expect(hasRepeat(["f", "v", "g", "v"], 0, 2)).toBe(false);
    expect(hasRepeat(["f", "v", "f", "w"], 0, 2)).toBe(true);
  });
});
