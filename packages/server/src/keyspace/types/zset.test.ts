/**
 * Model-based property test of the sorted set structure (both encodings and the conversion
 * between them) against a naive sorted array: ranks, score and lex ranges with exclusive and
 * infinite bounds, removal, pops, cursors in both directions, random access and clones. The
 * tree's own invariants (order, counts, fill) are verified after every step.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LexRange,
  ScoreRange,
  ZADD_IN_GT,
  ZADD_IN_INCR,
  ZADD_IN_LT,
  ZADD_IN_NX,
  ZADD_IN_XX,
  ZADD_OUT_ADDED,
  ZADD_OUT_NAN,
  ZADD_OUT_NOP,
  ZADD_OUT_UPDATED,
  ZSet,
  zaddCounts,
  zaddResult,
} from "./zset.js";
import { verifyTree } from "./zset-tree-check.js";

type Pair = [string, number];

/** The model: pairs kept sorted by (score, member), members compared by char codes. */
class Model {
  pairs: Pair[] = [];
  private sort(): void {
    this.pairs.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  index(m: string): number {
    return this.pairs.findIndex((p) => p[0] === m);
  }
  add(m: string, s: number, flags: number): { out: number; score?: number } {
    if (Number.isNaN(s)) return { out: ZADD_OUT_NAN };
    const i = this.index(m);
    if (i >= 0) {
      if (flags & ZADD_IN_NX) return { out: ZADD_OUT_NOP };
      const cur = this.pairs[i][1];
      if (flags & ZADD_IN_INCR) {
        s += cur;
        if (Number.isNaN(s)) return { out: ZADD_OUT_NAN };
      }
      if ((flags & ZADD_IN_LT && s >= cur) || (flags & ZADD_IN_GT && s <= cur)) return { out: ZADD_OUT_NOP };
      if (s === cur) return { out: 0, score: s };
      this.pairs[i][1] = s;
      this.sort();
      return { out: ZADD_OUT_UPDATED, score: s };
    }
    if (flags & ZADD_IN_XX) return { out: ZADD_OUT_NOP };
    this.pairs.push([m, s]);
    this.sort();
    return { out: ZADD_OUT_ADDED, score: s };
  }
  /** Members ordered monotonically along the order (lex ranges are then well defined). */
  lexMonotonic(): boolean {
    for (let i = 1; i < this.pairs.length; i++) if (this.pairs[i - 1][0] >= this.pairs[i][0]) return false;
    return true;
  }
}

const memberArb = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-e]{0,3}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-e\xff\x00]{7,12}$/) },
);
const scoreArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 2, arbitrary: fc.constantFrom(-0, 0.5, -1.25, 1e300, 2 ** 40, -(2 ** 31), 2 ** 31) },
  { weight: 1, arbitrary: fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN) },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
);
const boundArb = fc.record({
  v: fc.oneof(
    fc.integer({ min: -6, max: 6 }),
    fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  ),
  ex: fc.boolean(),
});
const lexBoundArb = fc.record({
  v: fc.stringMatching(/^[a-e]{0,3}$/),
  ex: fc.boolean(),
  inf: fc.constantFrom(0, 0, 0, -1, 1),
});
const flagsArb = fc.constantFrom(
  0,
  0,
  0,
  ZADD_IN_NX,
  ZADD_IN_XX,
  ZADD_IN_GT,
  ZADD_IN_LT,
  ZADD_IN_INCR,
  ZADD_IN_XX | ZADD_IN_GT,
);

const opArb = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.constant("add" as const), memberArb, scoreArb, flagsArb) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constant("bulk" as const), fc.integer({ min: 1, max: 400 }), fc.integer()),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constant("addmany" as const),
      fc.array(
        fc.tuple(
          memberArb,
          scoreArb.filter((s) => !Number.isNaN(s)),
        ),
        { minLength: 1, maxLength: 12 },
      ),
      fc.constantFrom(0, 0, ZADD_IN_NX, ZADD_IN_XX, ZADD_IN_GT, ZADD_IN_LT, ZADD_IN_XX | ZADD_IN_LT),
    ),
  },
  { weight: 4, arbitrary: fc.tuple(fc.constant("remove" as const), memberArb) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constant("delrange" as const),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 1000 }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constant("pop" as const), fc.boolean(), fc.integer({ min: 1, max: 300 })),
  },
  { weight: 3, arbitrary: fc.tuple(fc.constant("score" as const), boundArb, boundArb) },
  { weight: 3, arbitrary: fc.tuple(fc.constant("lex" as const), lexBoundArb, lexBoundArb) },
  { weight: 2, arbitrary: fc.tuple(fc.constant("walk" as const), fc.nat(), fc.boolean()) },
);

function check(zs: ZSet, model: Model): void {
  expect(zs.size()).toBe(model.pairs.length);
  const got = [...zs.entries()];
  expect(got.map((p) => p[0])).toEqual(model.pairs.map((p) => p[0]));
  for (let i = 0; i < got.length; i++) expect(got[i][1] === model.pairs[i][1]).toBe(true);
  if (zs.tree) verifyTree(zs.tree);
}

function run(ops: readonly unknown[][], maxEntries: number, maxValue: number): void {
  const zs = new ZSet();
  const model = new Model();
  let sawSkiplist = false;
  for (const op of ops) {
    switch (op[0]) {
      case "add": {
        const [, m, s, flags] = op as [string, string, number, number];
        const before = zs.size();
        const out = zs.add(m, s, flags, maxEntries, maxValue);
        const want = model.add(m, s, flags);
        expect(out).toBe(want.out);
        if (want.score !== undefined) expect(zaddResult.score === want.score).toBe(true);
        if (out === ZADD_OUT_ADDED && zs.encoding() === "skiplist" && !sawSkiplist) {
          // Conversion happens exactly when a new member would break a listpack limit.
          expect(before + 1 > maxEntries || m.length > maxValue).toBe(true);
        }
        expect(zs.rank(m)).toBe(model.index(m));
        const sc = zs.score(m);
        const i = model.index(m);
        expect(sc === undefined ? undefined : sc === model.pairs[i][1]).toBe(i < 0 ? undefined : true);
        break;
      }
      case "addmany": {
        const [, pairs, flags] = op as [string, [string, number][], number];
        const argv = ["ZADD", "k", ...pairs.flatMap(([m, sc]) => [String(sc), m])];
        zs.addMany(
          argv,
          3,
          pairs.map((p) => p[1]),
          flags,
          maxEntries,
          maxValue,
        );
        let added = 0;
        let updated = 0;
        let processed = 0;
        for (const [m, sc] of pairs) {
          const out = model.add(m, sc, flags).out;
          if (out & ZADD_OUT_ADDED) added++;
          if (out & ZADD_OUT_UPDATED) updated++;
          if (!(out & ZADD_OUT_NOP)) processed++;
        }
        expect([zaddCounts.added, zaddCounts.updated, zaddCounts.processed]).toEqual([
          added,
          updated,
          processed,
        ]);
        break;
      }
      case "bulk": {
        const [, n, seed] = op as [string, number, number];
        for (let k = 0; k < n; k++) {
          const m = `m${(seed + k * 7919) % 2000}`;
          const s = ((seed + k) % 50) - 25;
          expect(zs.add(m, s, 0, maxEntries, maxValue)).toBe(model.add(m, s, 0).out);
        }
        break;
      }
      case "remove": {
        const m = op[1] as string;
        const i = model.index(m);
        expect(zs.remove(m)).toBe(i >= 0);
        if (i >= 0) model.pairs.splice(i, 1);
        break;
      }
      case "delrange": {
        const n = model.pairs.length;
        if (n === 0) break;
        const a = (op[1] as number) % n;
        const b = (op[2] as number) % n;
        const start = Math.min(a, b);
        const end = Math.max(a, b);
        zs.deleteRange(start, end);
        model.pairs.splice(start, end - start + 1);
        break;
      }
      case "pop": {
        const [, max, count] = op as [string, boolean, number];
        const n = model.pairs.length;
        const k = Math.min(n, count);
        if (k === 0) break;
        const c = zs.cursor();
        const popped: Pair[] = [];
        for (let ok = c.seek(max ? n - 1 : 0); ok && popped.length < k; ok = c.step(max))
          popped.push([c.member, c.score]);
        const want = max ? model.pairs.slice(n - k).reverse() : model.pairs.slice(0, k);
        expect(popped.map((p) => p[0])).toEqual(want.map((p) => p[0]));
        if (max) zs.deleteRange(n - k, n - 1);
        else zs.deleteRange(0, k - 1);
        if (max) model.pairs.splice(n - k, k);
        else model.pairs.splice(0, k);
        break;
      }
      case "score": {
        const [, lo, hi] = op as [string, { v: number; ex: boolean }, { v: number; ex: boolean }];
        const r = new ScoreRange(lo.v, lo.ex, hi.v, hi.ex);
        const inRange = model.pairs
          .map((p, i) => (r.gteMin(p[1]) && r.lteMax(p[1]) ? i : -1))
          .filter((i) => i >= 0);
        expect(zs.firstInScoreRange(r)).toBe(inRange.length ? inRange[0] : -1);
        expect(zs.lastInScoreRange(r)).toBe(inRange.length ? inRange[inRange.length - 1] : -1);
        expect(zs.countInScoreRange(r)).toBe(inRange.length);
        break;
      }
      case "lex": {
        if (!model.lexMonotonic()) break;
        const [, lo, hi] = op as [
          string,
          { v: string; ex: boolean; inf: number },
          { v: string; ex: boolean; inf: number },
        ];
        const r = new LexRange(lo.v, lo.inf !== 0 || lo.ex, lo.inf, hi.v, hi.inf !== 0 || hi.ex, hi.inf);
        const inRange = r.isEmpty()
          ? []
          : model.pairs.map((p, i) => (r.gteMin(p[0]) && r.lteMax(p[0]) ? i : -1)).filter((i) => i >= 0);
        expect(zs.firstInLexRange(r)).toBe(inRange.length ? inRange[0] : -1);
        expect(zs.lastInLexRange(r)).toBe(inRange.length ? inRange[inRange.length - 1] : -1);
        expect(zs.countInLexRange(r)).toBe(inRange.length);
        break;
      }
      case "walk": {
        const n = model.pairs.length;
        if (n === 0) break;
        const start = (op[1] as number) % n;
        const reverse = op[2] as boolean;
        const c = zs.cursor();
        const seen: string[] = [];
        for (let ok = c.seek(start); ok && seen.length < 300; ok = c.step(reverse)) {
          expect(c.rank).toBe(reverse ? start - seen.length : start + seen.length);
          seen.push(c.member);
        }
        const want = reverse
          ? model.pairs.slice(Math.max(0, start - 299), start + 1).reverse()
          : model.pairs.slice(start, start + 300);
        expect(seen).toEqual(want.map((p) => p[0]));
        break;
      }
    }
    if (zs.encoding() === "skiplist") sawSkiplist = true;
    if (zs.tree) verifyTree(zs.tree);
    expect(zs.size()).toBe(model.pairs.length);
  }
  check(zs, model);
  check(zs.clone(), model);
  // Encodings never go back on their own.
  if (sawSkiplist) expect(zs.encoding()).toBe("skiplist");
}

describe("ZSet structure against a sorted-array model", () => {
  it("listpack limits of 8 entries / 6 bytes (conversions happen often)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => run(ops, 8, 6)),
      { numRuns: 300 },
    );
  });

  it("Redis's default limits (128 / 64) with large bulk loads (tree splits and merges)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => run(ops, 128, 64)),
      { numRuns: 150 },
    );
  });

  it("skiplist from the start", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => run(ops, 0, 0)),
      { numRuns: 150 },
    );
  });

  it("a large tree: ranks, ranges and bulk deletes stay consistent", () => {
    const zs = new ZSet();
    const model = new Model();
    for (let i = 0; i < 20000; i++) {
      const m = `k${(i * 7919) % 20000}`;
      const s = (i * 31) % 1000;
      zs.add(m, s, 0, 128, 64);
      model.pairs.push([m, s]);
    }
    model.pairs.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    check(zs, model);
    for (const i of [0, 1, 127, 128, 5000, 19999]) expect(zs.rank(model.pairs[i][0])).toBe(i);
    // Random single deletes force leaf merges and redistributions, then a big range rebuilds.
    for (let i = 0; i < 15000; i += 1) {
      const j = (i * 7) % model.pairs.length;
      expect(zs.remove(model.pairs[j][0])).toBe(true);
      model.pairs.splice(j, 1);
      if (i % 1000 === 0) if (zs.tree) verifyTree(zs.tree);
    }
    check(zs, model);
    zs.deleteRange(100, 4000);
    model.pairs.splice(100, 3901);
    check(zs, model);
    const r = new ScoreRange(100, true, 500, false);
    const inRange = model.pairs.filter((p) => p[1] > 100 && p[1] <= 500).length;
    expect(zs.countInScoreRange(r)).toBe(inRange);
  });

  it("-0 is stored as 0 in the listpack encoding and kept in the skiplist one", () => {
    const small = new ZSet();
    small.add("a", -0, 0, 128, 64);
    expect(Object.is(small.score("a"), 0)).toBe(true);
    const big = new ZSet();
    big.add("a", -0, 0, 0, 0);
    expect(Object.is(big.score("a"), -0)).toBe(true);
    // 0 and -0 are the same score: no update either way.
    expect(big.add("a", 0, 0, 0, 0)).toBe(0);
    expect(Object.is(big.score("a"), -0)).toBe(true);
  });

  it("fromUnsorted sorts by score, then member bytes", () => {
    const zs = ZSet.fromUnsorted(
      ["b", "a", "\xff", "c", "x"],
      [2, 2, 1, Number.NEGATIVE_INFINITY, 2],
      128,
      64,
    );
    expect([...zs.entries()].map((e) => e[0])).toEqual(["c", "\xff", "a", "b", "x"]);
    expect(ZSet.fromUnsorted(["b", "a"], [1, 0], 1, 64).encoding()).toBe("skiplist");
  });

  it("fromSorted picks the encoding a result of that size calls for", () => {
    expect(ZSet.fromSorted(["a", "b"], [1, 2], 2, 128, 64).encoding()).toBe("listpack");
    expect(ZSet.fromSorted(["a", "b"], [1, 2], 2, 1, 64).encoding()).toBe("skiplist");
    expect(ZSet.fromSorted(["a", "bbbb"], [1, 2], 2, 128, 3).encoding()).toBe("skiplist");
    const zs = ZSet.fromSorted(["x", "y", "z"], [1, 1.5, Number.POSITIVE_INFINITY], 3, 128, 64);
    expect([...zs.entries()]).toEqual([
      ["x", 1],
      ["y", 1.5],
      ["z", Number.POSITIVE_INFINITY],
    ]);
  });
});

describe("ZSet.fromUnsorted", () => {
  it("builds what adding the pairs one by one builds, or null when a member repeats", () => {
    const pairs = fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: 30 }).map((i) => `m${i}`),
        fc.integer({ min: -5, max: 5 }),
      ),
      { maxLength: 24 },
    );
    // Listpack (up to 16 entries), and the skiplist encoding past that.
    fc.assert(
      fc.property(pairs, (ps) => {
        const one = new ZSet();
        let repeats = false;
        for (const [m, s] of ps) {
          repeats = repeats || one.score(m) !== undefined;
          one.add(m, s, 0, 16, 64);
        }
        const built = ZSet.fromUnsorted(
          ps.map((p) => p[0]),
          ps.map((p) => p[1]),
          16,
          64,
        );
        if (repeats) {
          expect(built).toBeNull();
          return;
        }
        expect(built).not.toBeNull();
        expect(built!.encoding()).toBe(one.encoding());
        expect([...built!.entries()]).toEqual([...one.entries()]);
      }),
      { numRuns: 300 },
    );
  });
});
