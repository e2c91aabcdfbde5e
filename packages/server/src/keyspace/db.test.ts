import { describe, expect, it } from "vitest";
import { Db, type KeyspaceHooks } from "./db.js";
import type { Entry } from "./value.js";

const hooks: KeyspaceHooks = {
  isReplica: () => false,
  executingMasterCommand: () => false,
  writesPaused: () => false,
  onKeyExpired: () => {},
  onReplicaOwnExpire: () => {},
  countLookup: () => {},
  onKeyMiss: () => {},
  onKeyAdded: () => {},
  touchLru: () => 0,
};

function filled(n: number): Db {
  const db = new Db(0, hooks);
  for (let i = 0; i < n; i++) db.add(`k${i}`, "v");
  return db;
}

/** Draws `draws` random entries; returns how often each key came up. */
function histogram(db: Db, draws: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < draws; i++) {
    const e = db.randomEntry() as Entry;
    expect(db.peek(e.key)).toBe(e);
    counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
  }
  return counts;
}

describe("Db.randomEntry", () => {
  it("is uniform over live keys when deletions left one long run of holes", () => {
    // Eviction by age empties the oldest (lowest) slots together: walking to the next live slot
    // would return the key after the run almost every time.
    const db = filled(10_000);
    for (let i = 0; i < 9_900; i++) db.delete(`k${i}`);
    const counts = histogram(db, 20_000);
    expect(counts.size).toBe(100);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(100);
      expect(n).toBeLessThan(340);
    }
  });

  it("is uniform in a table still dense enough for retries", () => {
    const db = filled(1_000);
    for (let i = 0; i < 600; i++) db.delete(`k${i}`);
    const counts = histogram(db, 40_000);
    expect(counts.size).toBe(400);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(40);
      expect(n).toBeLessThan(170);
    }
  });

  it("follows additions and deletions while sparse, and never returns a deleted key", () => {
    const db = filled(1_000);
    for (let i = 0; i < 990; i++) db.delete(`k${i}`);
    db.randomEntry(); // builds the sparse sampler
    for (let i = 990; i < 995; i++) db.delete(`k${i}`);
    db.add("new1", "v");
    db.add("new2", "v");
    const counts = histogram(db, 5_000);
    expect([...counts.keys()].sort()).toEqual(["k995", "k996", "k997", "k998", "k999", "new1", "new2"]);
    // Slots never move: the new keys reused holes, the old ones kept theirs.
    expect(db.peek("k999")!.slot).toBe(999);
    expect(db.peek("new1")!.slot).toBe(994);
    expect(db.slotCount).toBe(1000);
  });

  it("returns undefined when empty, also after a flush", () => {
    const db = filled(10);
    expect(db.randomEntry()).toBeDefined();
    db.clear();
    expect(db.randomEntry()).toBeUndefined();
    db.add("a", "v");
    expect(db.randomEntry()!.key).toBe("a");
  });

  it("swaps its sampling state with SWAPDB", () => {
    const a = filled(100);
    for (let i = 0; i < 99; i++) a.delete(`k${i}`);
    a.randomEntry();
    const b = new Db(1, hooks);
    b.add("only-b", "v");
    a.swapContents(b);
    expect(a.randomEntry()!.key).toBe("only-b");
    expect(b.randomEntry()!.key).toBe("k99");
  });
});

describe("Db.addDeferred", () => {
  it("ends like add() of the first copy of each key, whether finished explicitly or by a lookup", () => {
    for (const finish of ["explicit", "lookup"] as const) {
      const db = filled(50);
      db.delete("k10"); // a hole: deferred keys still go to the tail
      const expected = filled(50);
      expected.delete("k10");
      const later: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const key = i % 500 === 7 ? `k${i % 50}` : `d${i % 1500}`; // repeats of old and batch keys
        const entry = db.addDeferred(key, `v${i}`);
        if (i % 3 === 0) db.setExpire(entry, 1e13 + i);
        if (expected.peek(key) === undefined) {
          const e = expected.add(key, `v${i}`);
          if (i % 3 === 0) expected.setExpire(e, 1e13 + i);
        } else later.push(key);
      }
      // A lookup inserts the batch first; finishDeferred then only reports the repeats.
      if (finish === "lookup") expect(db.peek("d3")!.value).toBe("v3");
      const found = db.finishDeferred();
      expect(found.map((e) => e.key)).toEqual(later);
      expect(db.size).toBe(expected.size);
      expect(db.expiresCount).toBe(expected.expiresCount);
      expect(db.usedMemory).toBe(expected.usedMemory);
      for (const e of expected.entries()) {
        const got = db.peek(e.key) as Entry;
        expect([got.value, got.expireAt]).toEqual([e.value, e.expireAt]);
        expect(db.entryAt(got.slot)).toBe(got);
      }
      expect(db.peek("k10")).toBeUndefined();
      expect(db.finishDeferred()).toEqual([]);
    }
  });

  it("counts deferred keys in size and survives a flush before they are inserted", () => {
    const db = new Db(0, hooks);
    db.addDeferred("a", "1");
    db.addDeferred("b", "2");
    expect(db.size).toBe(2);
    db.clear();
    expect(db.size).toBe(0);
    expect(db.finishDeferred()).toEqual([]);
    db.add("a", "3");
    expect(db.peek("a")!.value).toBe("3");
  });
});
