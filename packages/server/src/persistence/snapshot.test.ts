/**
 * The point-in-time property of Snapshot, as a model-based property test: random datasets over
 * several databases, a snapshot started at a random moment, then random mutations interleaved with
 * the walk's slices (SET, DEL, EXPIRE/PERSIST, in-place changes of a collection, RENAME, MOVE,
 * FLUSHDB, SWAPDB, a loader swapping fresh databases in). The RDB produced must decode to exactly
 * the dataset as it was when the snapshot started: same databases, keys, values and expiries.
 */

import { type RdbEntry, RdbReader, type RdbValue } from "@keyhaven/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Config } from "../config/config.js";
import { Db, LOOKUP_NOTOUCH, LOOKUP_WRITE } from "../keyspace/db.js";
import type { ListValue, Value } from "../keyspace/value.js";
import { Server } from "../server.js";
import type { SnapshotSink } from "./snapshot.js";

/** A minimal list type (the real one lives in the types branch): enough to mutate in place. */
class TestList implements ListValue {
  readonly type = "list" as const;
  mem = 0;
  accountedMem = 0;
  constructor(readonly items: string[]) {
    this.mem = items.length * 16;
  }
  values(): IterableIterator<string> {
    return this.items.values();
  }
  encoding(): string {
    return "quicklist";
  }
  size(): number {
    return this.items.length;
  }
  clone(): TestList {
    return new TestList([...this.items]);
  }
}

type ModelValue = { type: "string"; value: string } | { type: "list"; value: string[] };
type Model = Map<string, { value: ModelValue; expireAt: number }>[];

function modelOf(server: Server): Model {
  return server.dbs.map((db) => {
    const m = new Map<string, { value: ModelValue; expireAt: number }>();
    for (const e of db.entries()) {
      const v = e.value;
      m.set(e.key, {
        value:
          typeof v === "string"
            ? { type: "string", value: v }
            : { type: "list", value: [...(v as TestList).items] },
        expireAt: e.expireAt,
      });
    }
    return m;
  });
}

function decode(bytes: Buffer, dbCount: number): Model {
  const model: Model = Array.from({ length: dbCount }, () => new Map());
  const reader = new RdbReader();
  reader.feed(bytes);
  for (let ev = reader.next(); ev !== null; ev = reader.next()) {
    if (ev.kind !== "entry") continue;
    const e: RdbEntry = ev.entry;
    const v: RdbValue = e.value;
    if (v.type !== "string" && v.type !== "list") throw new Error(`unexpected type ${v.type}`);
    if (model[e.db].has(e.key)) throw new Error(`key ${e.key} saved twice in db ${e.db}`);
    model[e.db].set(e.key, { value: v as ModelValue, expireAt: e.expireAtMs });
  }
  reader.end();
  return model;
}

class CollectingSink implements SnapshotSink {
  chunks: Buffer[] = [];
  ended = false;
  error: Error | null = null;
  write(chunks: Buffer[]): void {
    this.chunks.push(...chunks);
  }
  end(): void {
    this.ended = true;
  }
  fail(err: Error): void {
    this.error = err;
  }
  backlogBytes(): number {
    return 0;
  }
}

const KEYS = Array.from({ length: 60 }, (_, i) => `k${i}`);
const key = fc.constantFrom(...KEYS);
const dbIndex = fc.integer({ min: 0, max: 2 });
const FUTURE = Date.now() + 3_600_000;

type Op =
  | { op: "set"; db: number; key: string; value: string }
  | { op: "del"; db: number; key: string }
  | { op: "expire"; db: number; key: string }
  | { op: "persist"; db: number; key: string }
  | { op: "push"; db: number; key: string; value: string }
  | { op: "rename"; db: number; key: string; to: string }
  | { op: "move"; db: number; key: string; to: number }
  | { op: "flushdb"; db: number }
  | { op: "swapdb"; db: number; to: number }
  | { op: "reload"; db: number }
  | { op: "wait"; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("set" as const),
      db: dbIndex,
      key,
      value: fc.string({ unit: "binary-ascii" }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("del" as const), db: dbIndex, key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("expire" as const), db: dbIndex, key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("persist" as const), db: dbIndex, key }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("push" as const),
      db: dbIndex,
      key,
      value: fc.string({ unit: "binary-ascii" }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("rename" as const), db: dbIndex, key, to: key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("move" as const), db: dbIndex, key, to: dbIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("flushdb" as const), db: dbIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("swapdb" as const), db: dbIndex, to: dbIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reload" as const), db: dbIndex }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 4 }) }),
  },
);

const W = LOOKUP_WRITE | LOOKUP_NOTOUCH;

/** Applies one operation the way command handlers do: write lookup first, then mutate. */
function apply(server: Server, o: Exclude<Op, { op: "wait" }>): void {
  const db = server.dbs[o.db];
  switch (o.op) {
    case "set": {
      db.lookup(o.key, W);
      db.set(o.key, o.value);
      break;
    }
    case "del":
      if (db.lookup(o.key, W) !== undefined) db.delete(o.key);
      break;
    case "expire": {
      const e = db.lookup(o.key, W);
      if (e !== undefined) db.setExpire(e, FUTURE + o.key.length);
      break;
    }
    case "persist": {
      const e = db.lookup(o.key, W);
      if (e !== undefined) db.removeExpire(e);
      break;
    }
    case "push": {
      const e = db.lookup(o.key, W);
      if (e === undefined) db.add(o.key, new TestList([o.value]));
      else if (typeof e.value !== "string") (e.value as TestList).items.push(o.value);
      break;
    }
    case "rename": {
      const e = db.lookup(o.key, W);
      if (e === undefined || o.to === o.key) break;
      if (db.lookup(o.to, W) !== undefined) db.delete(o.to);
      const { value, expireAt } = e;
      db.delete(o.key);
      const moved = db.add(o.to, value);
      if (expireAt >= 0) db.setExpire(moved, expireAt);
      break;
    }
    case "move": {
      const dst = server.dbs[o.to];
      if (dst === db) break;
      const e = db.lookup(o.key, W);
      if (e === undefined || dst.lookup(o.key, W) !== undefined) break;
      const { value, expireAt } = e;
      db.delete(o.key);
      const moved = dst.add(o.key, value);
      if (expireAt >= 0) dst.setExpire(moved, expireAt);
      break;
    }
    case "flushdb":
      db.clear();
      break;
    case "swapdb":
      if (o.to !== o.db) db.swapContents(server.dbs[o.to]);
      break;
    case "reload": {
      // What a loader's commitInto does: fresh databases swapped in, then written to.
      const fresh = new Db(o.db, server);
      fresh.add("reloaded", "r");
      fresh.add(KEYS[0], new TestList(["x"]));
      db.swapContents(fresh);
      fresh.clear();
      const e = db.lookup(KEYS[0], W);
      if (e !== undefined && typeof e.value !== "string") (e.value as TestList).items.push("y");
      db.lookup("reloaded", W);
      db.set("reloaded", "r2");
      break;
    }
  }
}

function initialValue(i: number): Value {
  return i % 3 === 0 ? new TestList([`a${i}`, `b${i}`]) : `v${i}`;
}

async function runScenario(
  initial: { db: number; key: string; i: number; ttl: number }[],
  before: Exclude<Op, { op: "wait" }>[],
  during: Op[],
  delayMicros: number,
): Promise<void> {
  const config = new Config();
  config.loadText('databases 3\nsave ""\nloglevel warning', "(test)");
  config.setInternal("rdb-key-save-delay", delayMicros);
  const server = new Server(config);
  for (const { db, key: k, i, ttl } of initial) {
    const d = server.dbs[db];
    if (d.peek(k) !== undefined) continue;
    const e = d.add(k, initialValue(i));
    // Some keys are already expired: the snapshot saves them (loaders drop them), as Redis does.
    if (ttl === 1) d.setExpire(e, FUTURE);
    else if (ttl === 2) d.setExpire(e, Date.now() - 1000);
  }
  for (const o of before) apply(server, o);
  const expected = modelOf(server);
  const sink = new CollectingSink();
  const snapshot = server.snapshots.start({ purpose: "test" }, [sink]);
  for (const o of during) {
    if (!snapshot.inProgress) break;
    if (o.op === "wait") await new Promise((r) => setTimeout(r, o.ms));
    else apply(server, o);
  }
  await snapshot.whenDone;
  expect(sink.error).toBeNull();
  expect(sink.ended).toBe(true);
  const got = decode(Buffer.concat(sink.chunks), 3);
  expect(got).toEqual(expected);
  for (const db of server.dbs) expect(db.observer).toBeNull();
}

describe("Snapshot point-in-time property", () => {
  it("saves exactly the dataset of its start instant, whatever happens during the walk", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            db: dbIndex,
            key,
            i: fc.integer({ min: 0, max: 1000 }),
            ttl: fc.integer({ min: 0, max: 2 }),
          }),
          { maxLength: 120, size: "max" },
        ),
        fc.array(
          opArb.filter((o): o is Exclude<Op, { op: "wait" }> => o.op !== "wait"),
          { maxLength: 10 },
        ),
        fc.array(opArb, { maxLength: 100, size: "max" }),
        fc.constantFrom(0, 200, 1000),
        runScenario,
      ),
      // Shrinking a failure re-runs slow scenarios: bound it (an interrupted run still fails).
      { numRuns: 80, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
    );
  }, 120_000);

  it("keys written ahead of the walk are not written again when the walk reaches them", async () => {
    const initial = Array.from({ length: 60 }, (_, i) => ({ db: 0, key: KEYS[i % 40], i, ttl: 0 }));
    const during: Op[] = [
      { op: "wait", ms: 12 },
      { op: "set", db: 0, key: "k39", value: "changed" },
      { op: "push", db: 0, key: "k36", value: "more" },
      { op: "del", db: 0, key: "k38" },
      { op: "wait", ms: 6 },
      { op: "set", db: 0, key: "k37", value: "changed" },
    ];
    await runScenario(initial, [], during, 1000);
  });

  it("a writer refusal during capture aborts the snapshot, not the command", async () => {
    const config = new Config();
    config.loadText('save ""\nloglevel warning', "(test)");
    config.setInternal("rdb-key-save-delay", 100_000);
    const server = new Server(config);
    const db = server.dbs[0];
    db.add("a", "1");
    const empty = new TestList([]);
    db.add("bad", empty);
    const sink = new CollectingSink();
    const snapshot = server.snapshots.start({ purpose: "test" }, [sink]);
    // Capturing an empty collection makes the writer throw: the lookup itself must not.
    expect(() => db.lookup("bad", W)).not.toThrow();
    await expect(snapshot.whenDone).rejects.toThrow(/empty/);
    expect(sink.error).not.toBeNull();
    expect(db.observer).toBeNull();
  });
});
