/**
 * RdbValueSource lends keyspace values to the RDB writer without copying them: the bytes must be
 * exactly those of the copying path (toRdbValue), and one reused flat value must not leak a
 * previous key's elements into the next, whatever the order of types and sizes.
 */

import { RdbReader, type RdbValue, RdbWriter, type RdbWriterOptions } from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { HashObject } from "../keyspace/types/hash.js";
import { ListObject } from "../keyspace/types/list.js";
import { SetObject } from "../keyspace/types/set.js";
import { ZSet } from "../keyspace/types/zset.js";
import type { Value } from "../keyspace/value.js";
import { toRdbValue } from "./rdb-convert.js";
import { RdbValueSource } from "./rdb-source.js";

function range(n: number, f: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

/** Every encoding, large before small of each type so leftovers of a bigger value would show. */
function dataset(): Value[] {
  const bigHash = new HashObject();
  for (const f of range(600, (i) => `field:${i}`)) bigHash.set(f, `v${f}`);
  const smallHash = new HashObject();
  smallHash.set("a", "1");
  const numericHash = new HashObject();
  for (const f of ["-5", "0", "007", "9007199254740993", "99999999999999999999", "x".repeat(60)]) {
    numericHash.set(f, f === "0" ? "y".repeat(60) : `${f.length}`);
  }
  const longValueHash = new HashObject();
  longValueHash.set("f", "x".repeat(100));
  const intset = SetObject.forMember("1");
  for (const m of range(300, (i) => String(i * 7919 - 100000))) intset.add(m);
  const int64set = SetObject.forMember("1");
  for (const m of ["9007199254740993", "-5", "4294967296"]) int64set.add(m);
  const strSet = SetObject.forMember("a");
  for (const m of range(50, (i) => `m${i}`)) strSet.add(m);
  const members = range(200, (i) => `member:${i}`);
  const scores = range(200, (i) => String(i % 5 === 0 ? i : i / 3)).map(Number);
  const skiplist = ZSet.fromUnsorted(members, scores, 128, 64)!;
  const single = SetObject.forMember("7");
  single.add("7");
  const ties = ZSet.fromUnsorted(["b", "a", "ab", "", "12", "-3"], [1, 1, 1, 1, 1, 0.5], 128, 64)!;
  const packed = ZSet.fromUnsorted(
    ["z", "a", "m", "n"],
    [-0, 2.5, Number.POSITIVE_INFINITY, 2 ** 53],
    128,
    64,
  )!;
  return [
    "plain",
    "12345",
    "y".repeat(3000),
    ListObject.from(range(5000, (i) => (i % 3 === 0 ? String(i) : `item-${i}-${"q".repeat(i % 40)}`))),
    ListObject.from(["one"]),
    bigHash,
    longValueHash,
    numericHash,
    smallHash,
    intset,
    int64set,
    strSet,
    single,
    skiplist,
    ties,
    packed,
  ];
}

function save(values: Value[], lend: boolean, options: RdbWriterOptions = {}): Buffer {
  const w = new RdbWriter({ chunkSize: 4096, ...options });
  w.header({ redisVer: "7.0.15", ctime: 1, usedMem: 0 });
  w.selectDb(0, values.length, 0);
  const source = new RdbValueSource();
  values.forEach((v, i) => {
    w.entry(`k${i}`, lend ? source.of(v) : toRdbValue(v), i % 2 === 0 ? 1_700_000_000_000 + i : -1);
  });
  w.end();
  return Buffer.concat(w.take());
}

describe("RdbValueSource", () => {
  it("writes the same bytes as the copying path, and they load back as the same values", () => {
    const values = dataset();
    const lent = save(values, true);
    expect(lent.equals(save(values, false))).toBe(true);

    const r = new RdbReader();
    r.feed(lent);
    const loaded: RdbValue[] = [];
    for (let ev = r.next(); ev !== null; ev = r.next()) if (ev.kind === "entry") loaded.push(ev.entry.value);
    r.end();
    // Sets and sorted sets compare as sets (a skiplist is saved from its highest score down).
    const normal = (v: RdbValue): RdbValue => {
      if (v.type === "set") return { ...v, value: [...v.value].sort() };
      if (v.type === "zset")
        return { ...v, value: [...v.value].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)) };
      return v;
    };
    expect(loaded.map(normal)).toEqual(values.map((v) => normal(toRdbValue(v))));
  });

  it("writes the same bytes when thresholds lowered since the values were built change their encoding", () => {
    const values = dataset();
    const options = { hashMaxListpackValue: 2, zsetMaxListpackEntries: 2, setMaxIntsetEntries: 2 };
    expect(save(values, true, options).equals(save(values, false, options))).toBe(true);
  });
});
