#!/usr/bin/env node
/**
 * Heap bytes the RDB save path allocates per key: keyspace values (as the server holds them) are
 * serialized through toRdbValue + RdbWriter, the way a snapshot slice does, in batches of 10k
 * keys; the young-generation growth of each batch that saw no GC is the allocation, and the
 * median over batches is printed with the total write time. Garbage per key is what makes the
 * server pause for GC during BGSAVE. Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node --max-semi-space-size=64 bench/rdb-alloc.mjs [keys]
 */

import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { RdbWriter } from "../packages/protocol/dist/index.js";
import { HashObject } from "../packages/server/dist/keyspace/types/hash.js";
import { ListObject } from "../packages/server/dist/keyspace/types/list.js";
import { SetObject } from "../packages/server/dist/keyspace/types/set.js";
import { ZSet } from "../packages/server/dist/keyspace/types/zset.js";
import * as convert from "../packages/server/dist/persistence/rdb-convert.js";

// Absent before the RdbValueSource change (for measuring the old path).
const { RdbValueSource } = await import("../packages/server/dist/persistence/rdb-source.js").catch(
  () => ({}),
);
const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 10_000;
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

function makeValue(i) {
  switch (i % 8) {
    case 0:
    case 1:
      return `value:${i}:${"x".repeat(i % 20)}`;
    case 2:
      return String(i * 13);
    case 3:
      return HashObject.fromPairs([
        ["name", `user${i}`],
        ["age", String(i % 90)],
        ["city", "Paris"],
      ]);
    case 4: {
      const s = SetObject.forMember(String(i));
      for (const m of [String(i), String(i + 1), String(i + 2)]) s.add(m);
      return s;
    }
    case 5: {
      const s = SetObject.forMember("a");
      for (const m of ["a", "b", `m${i}`]) s.add(m);
      return s;
    }
    case 6:
      return ZSet.fromUnsorted(["one", "two", `m${i}`], [1, 2.5, i], 128, 64);
    default:
      return ListObject.from(["l1", "l2", String(i)]);
  }
}

const keys = Array.from({ length: N }, (_, i) => `key:${i}`);
const values = keys.map((_, i) => makeValue(i));
const expireAt = Date.now() + 3_600_000;

function run(measure) {
  const w = new RdbWriter();
  // Before RdbValueSource existed, snapshots boxed strings and materialized collections.
  const box = { type: "string", value: "" };
  const source = RdbValueSource
    ? new RdbValueSource()
    : {
        of(v) {
          if (typeof v !== "string") return convert.toRdbValue(v);
          box.value = v;
          return box;
        },
      };
  w.header({ redisVer: "7.0.15", ctime: Math.floor(Date.now() / 1000), usedMem: 0 });
  w.selectDb(0, N, Math.floor(N / 10));
  const perKey = [];
  let bytes = 0;
  const t0 = performance.now();
  for (let b = 0; b < N; b += BATCH) {
    const before = measure ? getHeapStatistics().used_heap_size : 0;
    const end = Math.min(N, b + BATCH);
    for (let i = b; i < end; i++) {
      w.entry(keys[i], source.of(values[i]), i % 10 === 0 ? expireAt : -1);
      if (w.pendingBytes > 1 << 20) for (const c of w.take()) bytes += c.length;
    }
    if (measure) {
      const delta = getHeapStatistics().used_heap_size - before;
      if (delta > 0) perKey.push(delta / (end - b));
    }
  }
  w.end();
  for (const c of w.take()) bytes += c.length;
  return { ms: performance.now() - t0, bytes, perKey };
}

run(false); // warm up the JIT
gc();
const measured = run(true);
let best = Number.POSITIVE_INFINITY;
for (let i = 0; i < 3; i++) {
  gc();
  best = Math.min(best, run(false).ms);
}
const sorted = measured.perKey.sort((a, b) => a - b);
const median = sorted.length > 0 ? sorted[sorted.length >> 1] : Number.NaN;
console.log(
  `RDB save path, ${N} mixed keys (${(measured.bytes / 1e6).toFixed(1)} MB): ` +
    `${median.toFixed(0)} heap bytes allocated per key (median of ${sorted.length} GC-free batches), ` +
    `write ${best.toFixed(0)} ms (best of 3)`,
);
