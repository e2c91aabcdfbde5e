/**
 * The incremental memory estimate (Db.usedMemory, kept up to date by add/overwrite/delete,
 * TTL changes and syncMemory after in-place edits) against a full recount of the dataset from
 * its contents, with the formulas keyspace/memory.ts and each type document, over random
 * mixes of writes and deletes (fast-check). Deleting everything, or a flush, returns it to 0.
 */

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Db, type KeyspaceHooks } from "./db.js";
import { EXPIRE_OVERHEAD, keyMemory, stringMemory } from "./memory.js";
import { HASH_HT_PAIR_OVERHEAD, HASH_OVERHEAD, HashObject, packedPairLength } from "./types/hash.js";
import { typeLimits } from "./types/limits.js";
import { LIST_ENTRY_OVERHEAD, LIST_OVERHEAD, ListObject } from "./types/list.js";
import { SET_HT_ENTRY_OVERHEAD, SET_INTSET_ENTRY_OVERHEAD, SET_OVERHEAD, SetObject } from "./types/set.js";
import type { Entry, Value } from "./value.js";

const hooks: KeyspaceHooks = {
  isReplica: () => false,
  executingMasterCommand: () => false,
  writesPaused: () => false,
  isLoading: () => false,
  onKeyExpired: () => {},
  onReplicaOwnExpire: () => {},
  countLookup: () => {},
  onKeyMiss: () => {},
  onKeyAdded: () => {},
  touchLru: () => 0,
};

const savedLimits = { ...typeLimits };
afterEach(() => {
  Object.assign(typeLimits, savedLimits);
});

/** A value's bytes computed from scratch from what it holds. */
function recountValue(v: Value): number {
  if (typeof v === "string") return stringMemory(v.length);
  let total = 0;
  if (v instanceof HashObject) {
    total = HASH_OVERHEAD;
    let packed = 0;
    for (const [f, x] of v.entries()) {
      if (v.isListpack) packed += packedPairLength(f, x);
      else total += HASH_HT_PAIR_OVERHEAD + stringMemory(f.length) + stringMemory(x.length);
    }
    if (v.isListpack) total += stringMemory(packed);
  } else if (v instanceof ListObject) {
    total = LIST_OVERHEAD;
    for (const x of v.values()) total += LIST_ENTRY_OVERHEAD + stringMemory(x.length);
  } else if (v instanceof SetObject) {
    total = SET_OVERHEAD;
    const per = v.isIntset ? SET_INTSET_ENTRY_OVERHEAD : SET_HT_ENTRY_OVERHEAD;
    for (const m of v.members()) total += per + stringMemory(m.length);
  } else {
    throw new Error(`no recount for ${v.type}`);
  }
  return total;
}

function recount(db: Db): number {
  let total = 0;
  for (const e of db.entries())
    total += keyMemory(e.key) + recountValue(e.value) + (e.expireAt >= 0 ? EXPIRE_OVERHEAD : 0);
  return total;
}

const KEYS = ["a", "b", "c", "key:with-a-longer-name"];
const key = fc.constantFrom(...KEYS);
const str = fc.oneof(
  fc.constantFrom("", "1", "12345", "-7", "x".repeat(9), "y".repeat(70)),
  fc.string({ maxLength: 40 }),
);
/** Few distinct names, so deletes find what earlier writes added. */
const name = fc.constantFrom("", "1", "12345", "-7", "f", "field", "x".repeat(9), "y".repeat(70));

type Op =
  | { op: "set"; key: string; value: string; keepTtl: boolean }
  | { op: "del"; key: string }
  | { op: "expire"; key: string }
  | { op: "persist"; key: string }
  | { op: "hset"; key: string; field: string; value: string }
  | { op: "hdel"; key: string; field: string }
  | { op: "push"; key: string; value: string; head: boolean }
  | { op: "pop"; key: string; head: boolean }
  | { op: "sadd"; key: string; member: string }
  | { op: "srem"; key: string; member: string }
  | { op: "flush" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("set" as const), key, value: str, keepTtl: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("del" as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("expire" as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("persist" as const), key }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("hset" as const), key, field: name, value: str }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("hdel" as const), key, field: name }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("push" as const), key, value: str, head: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("pop" as const), key, head: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("sadd" as const),
      key,
      member: fc.oneof(fc.integer({ min: -3, max: 3 }).map(String), name),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("srem" as const),
      key,
      member: fc.oneof(fc.integer({ min: -3, max: 3 }).map(String), name),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
);

/**
 * Applies one operation the way the command handlers do: collections are created with
 * Db.add, edited in place, re-accounted with syncMemory, and deleted when emptied; a key of
 * another type is left alone (WRONGTYPE).
 */
function apply(db: Db, o: Op): void {
  if (o.op === "flush") {
    db.clear();
    return;
  }
  const entry = db.peek(o.key);
  const collection = <T>(make: () => T, is: (v: Value) => boolean): [Entry, T] | null => {
    if (entry === undefined) {
      const v = make();
      return [db.add(o.key, v as Value), v];
    }
    return is(entry.value) ? [entry, entry.value as T] : null;
  };
  const done = (e: Entry, size: number) => {
    if (size === 0) db.delete(e.key);
    else db.syncMemory(e);
  };
  switch (o.op) {
    case "set":
      db.set(o.key, o.value, o.keepTtl);
      return;
    case "del":
      db.delete(o.key);
      return;
    case "expire":
      if (entry !== undefined) db.setExpire(entry, Date.now() + 1e9 + Math.floor(Math.random() * 1000));
      return;
    case "persist":
      if (entry !== undefined) db.removeExpire(entry);
      return;
    case "hset": {
      const got = collection(
        () => new HashObject(),
        (v) => v instanceof HashObject,
      );
      if (got === null) return;
      got[1].set(o.field, o.value);
      done(got[0], got[1].size());
      return;
    }
    case "hdel":
      if (entry !== undefined && entry.value instanceof HashObject) {
        entry.value.delete(o.field);
        done(entry, entry.value.size());
      }
      return;
    case "push": {
      const got = collection(
        () => new ListObject(),
        (v) => v instanceof ListObject,
      );
      if (got === null) return;
      if (o.head) got[1].pushHead(o.value);
      else got[1].pushTail(o.value);
      done(got[0], got[1].size());
      return;
    }
    case "pop":
      if (entry !== undefined && entry.value instanceof ListObject) {
        if (o.head) entry.value.popHead();
        else entry.value.popTail();
        done(entry, entry.value.size());
      }
      return;
    case "sadd": {
      const got = collection(
        () => SetObject.forMember(o.member),
        (v) => v instanceof SetObject,
      );
      if (got === null) return;
      got[1].add(o.member);
      done(got[0], got[1].size());
      return;
    }
    case "srem":
      if (entry !== undefined && entry.value instanceof SetObject) {
        entry.value.remove(o.member);
        done(entry, entry.value.size());
      }
      return;
  }
}

describe("incremental used memory", () => {
  it("equals a full recount after every write or delete of a random mix", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 150, size: "max" }),
        fc.constantFrom(2, 4, 512),
        fc.constantFrom(8, 64),
        (ops, entries, valueLimit) => {
          // Low limits make listpack -> hashtable and intset -> hashtable conversions common.
          typeLimits.hashMaxListpackEntries = entries;
          typeLimits.hashMaxListpackValue = valueLimit;
          typeLimits.setMaxIntsetEntries = entries;
          const db = new Db(0, hooks);
          for (let i = 0; i < ops.length; i++) {
            apply(db, ops[i]);
            expect(db.usedMemory, `after ${JSON.stringify(ops.slice(0, i + 1))}`).toBe(recount(db));
          }
          // Deleting every key one by one returns to the empty baseline, as does a flush.
          const fresh = new Db(1, hooks).usedMemory;
          const copy = [...db.entries()].map((e) => e.key);
          for (const k of copy) db.delete(k);
          expect(db.usedMemory).toBe(fresh);
          for (let i = 0; i < ops.length; i++) apply(db, ops[i]);
          db.clear();
          expect(db.usedMemory).toBe(fresh);
        },
      ),
      { numRuns: 300 },
    );
  });
});
