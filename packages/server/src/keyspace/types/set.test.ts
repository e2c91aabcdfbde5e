/**
 * SetObject against a Set model (fast-check): membership, intset order and conversion, the
 * int64 recognizer, random positions, and the memory estimate.
 */

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { stringMemory } from "../memory.js";
import { typeLimits } from "./limits.js";
import {
  compareInt64Strings,
  isInt64String,
  SET_HT_ENTRY_OVERHEAD,
  SET_INTSET_ENTRY_OVERHEAD,
  SET_OVERHEAD,
  SetObject,
} from "./set.js";

const saved = { ...typeLimits };
afterEach(() => Object.assign(typeLimits, saved));

describe("int64 strings", () => {
  it("recognizes exactly the canonical int64 decimals", () => {
    for (const s of ["0", "1", "-1", "123", "9223372036854775807", "-9223372036854775808"])
      expect(isInt64String(s)).toBe(true);
    for (const s of [
      "",
      "-",
      "-0",
      "01",
      "+1",
      " 1",
      "1 ",
      "1.0",
      "9223372036854775808",
      "-9223372036854775809",
      "1e3",
      "abc",
    ])
      expect(isInt64String(s)).toBe(false);
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        (a, b) => {
          const sa = String(a);
          const sb = String(b);
          expect(isInt64String(sa)).toBe(true);
          expect(Math.sign(compareInt64Strings(sa, sb)) + 0).toBe(a < b ? -1 : a > b ? 1 : 0);
        },
      ),
    );
  });
});

const member = fc.oneof(
  fc.integer({ min: -20, max: 20 }).map(String),
  fc.constantFrom("9223372036854775807", "-9223372036854775808", "a", "b", "01"),
);

describe("SetObject", () => {
  it("matches a Set model and converts like setTypeAdd", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), member), { maxLength: 150 }),
        fc.integer({ min: 1, max: 30 }),
        (ops, maxIntset) => {
          typeLimits.setMaxIntsetEntries = maxIntset;
          let set: SetObject | null = null;
          const model = new Set<string>();
          let converted = false;
          for (const [add, m] of ops) {
            if (set === null) {
              if (!add) continue;
              set = SetObject.forMember(m);
              converted = !isInt64String(m);
            }
            if (add) {
              expect(set.add(m)).toBe(!model.has(m));
              model.add(m);
              if (!isInt64String(m) || model.size > maxIntset) converted = true;
            } else {
              expect(set.remove(m)).toBe(model.delete(m));
            }
            expect(set.size()).toBe(model.size);
            expect(set.encoding()).toBe(converted ? "hashtable" : "intset");
            let mem = SET_OVERHEAD;
            for (const x of model)
              mem += (converted ? SET_HT_ENTRY_OVERHEAD : SET_INTSET_ENTRY_OVERHEAD) + stringMemory(x.length);
            expect(set.mem).toBe(mem);
          }
          if (set === null) return;
          const members = [...set.members()];
          expect(new Set(members)).toEqual(model);
          if (!converted) expect(members).toEqual([...model].sort(compareInt64Strings));
          for (const m of model) expect(set.has(m)).toBe(true);
          expect(set.has("nope")).toBe(false);
          const copy = set.clone();
          expect([...copy.members()]).toEqual(members);
          while (copy.size() > 0) {
            const m = copy.removeAt(copy.randomPosition());
            expect(model.has(m)).toBe(true);
          }
          expect(set.size()).toBe(model.size);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("SetObject.fromMembers", () => {
  it("builds what adding the members one by one to forMember(first) builds, or null for a repeat", () => {
    typeLimits.setMaxIntsetEntries = 6;
    const member = fc.oneof(
      fc.integer({ min: -20, max: 20 }).map(String),
      fc.constantFrom("a", "01", "-0", "9223372036854775807", "9223372036854775808"),
    );
    const members = fc.oneof(
      fc.array(member, { maxLength: 9 }),
      // Mostly the RDB intset case: distinct integers, ascending.
      fc
        .uniqueArray(fc.integer({ min: -1000, max: 1000 }), { maxLength: 9 })
        .map((xs) => xs.sort((a, b) => a - b).map(String)),
    );
    fc.assert(
      fc.property(members, (ms) => {
        const expected = ms.length > 0 ? SetObject.forMember(ms[0]) : new SetObject();
        let repeats = false;
        for (const m of ms) repeats = !expected.add(m) || repeats;
        const built = SetObject.fromMembers(ms.slice());
        if (repeats) {
          expect(built).toBeNull();
          return;
        }
        expect(built).not.toBeNull();
        const got = built!;
        expect(got.encoding()).toBe(expected.encoding());
        expect([...got.members()]).toEqual([...expected.members()]);
        expect(got.mem).toBe(expected.mem);
        // Both keep working alike: a removal from the middle, then an addition.
        if (got.size() > 1 && !got.isIntset) {
          const victim = [...got.members()][0];
          expect(got.remove(victim)).toBe(expected.remove(victim));
          expect(got.add("zz")).toBe(expected.add("zz"));
          expect(new Set(got.members())).toEqual(new Set(expected.members()));
          expect(got.has(victim)).toBe(false);
        }
        if (got.isIntset && got.size() > 0) {
          expect(got.add(String(-5000))).toBe(true);
          expect([...got.members()][0]).toBe("-5000");
        }
      }),
      { numRuns: 500 },
    );
  });
});
