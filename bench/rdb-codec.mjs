#!/usr/bin/env node
/**
 * RDB codec micro-benchmark: writes and reads 1M mixed small keys in memory (strings, int strings,
 * small hashes, sets, sorted sets and lists, some with expiries), and prints keys/s and MB/s for
 * both directions; the read side is fed in 64 KB chunks, as a replica receives an RDB. When
 * redis-server is installed, it also times a real Redis loading the same file (DEBUG RELOAD
 * NOSAVE) for a ratio. Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node bench/rdb-codec.mjs [keys]
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { RdbReader, RdbWriter } from "../packages/protocol/dist/index.js";
import { Conn, start, stop } from "./lib.mjs";

const N = Number(process.argv[2] ?? 1_000_000);

function makeValue(i) {
  switch (i % 8) {
    case 0:
    case 1:
      return { type: "string", value: `value:${i}:${"x".repeat(i % 20)}` };
    case 2:
      return { type: "string", value: String(i * 13) };
    case 3:
      return {
        type: "hash",
        value: [
          ["name", `user${i}`],
          ["age", String(i % 90)],
          ["city", "Paris"],
        ],
      };
    case 4:
      return { type: "set", value: [String(i), String(i + 1), String(i + 2)] };
    case 5:
      return { type: "set", value: ["a", "b", `m${i}`] };
    case 6:
      return {
        type: "zset",
        value: [
          ["one", 1],
          ["two", 2.5],
          [`m${i}`, i],
        ],
      };
    default:
      return { type: "list", value: ["l1", "l2", String(i)] };
  }
}

/**
 * Runs `fn` once to warm up the JIT, then REPS times; reports the best time (the others mostly
 * measure when V8 chose to collect the previous runs' garbage).
 */
const REPS = 3;
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");
function bench(label, fn) {
  fn();
  let best = Number.POSITIVE_INFINITY;
  let result;
  for (let i = 0; i < REPS; i++) {
    result = undefined;
    gc();
    const t0 = process.hrtime.bigint();
    result = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { label, ms: best, result };
}

const keys = Array.from({ length: N }, (_, i) => `key:${i}`);
const values = keys.map((_, i) => makeValue(i));
const expireAt = Date.now() + 3_600_000;

const write = bench("write", () => {
  const w = new RdbWriter();
  w.header({ redisVer: "7.0.15", ctime: Math.floor(Date.now() / 1000), usedMem: 0 });
  w.selectDb(0, N, Math.floor(N / 10));
  const parts = [];
  for (let i = 0; i < N; i++) {
    w.entry(keys[i], values[i], i % 10 === 0 ? expireAt : -1);
    if (w.pendingBytes > 1 << 20) parts.push(...w.take());
  }
  w.end();
  parts.push(...w.take());
  return Buffer.concat(parts);
});
const file = write.result;
const mb = file.length / 1e6;

const read = bench("read", () => {
  const r = new RdbReader();
  let n = 0;
  for (let off = 0; off < file.length; off += 65536) {
    r.feed(file.subarray(off, off + 65536));
    for (let ev = r.next(); ev !== null; ev = r.next()) if (ev.kind === "entry") n++;
  }
  r.end();
  return n;
});
if (read.result !== N) throw new Error(`read ${read.result} keys, expected ${N}`);

const fmt = (r) =>
  `${r.label.padEnd(6)} ${r.ms.toFixed(0).padStart(6)} ms  ${((N / r.ms) * 1000).toFixed(0).padStart(9)} keys/s  ${(mb / (r.ms / 1000)).toFixed(1).padStart(7)} MB/s`;
console.log(`RDB codec, ${N} mixed keys, file ${mb.toFixed(1)} MB`);
console.log(fmt(write));
console.log(fmt(read));

/** One big key written, then read back in 64 KB chunks: the work must stay linear in its size. */
function bigKey(label, value, readerOptions = {}) {
  const w = new RdbWriter({ compression: false });
  w.header({ redisVer: "7.0.15", ctime: 0, usedMem: 0 });
  w.selectDb(0, 1, 0);
  w.entry("big", value);
  w.end();
  const bytes = Buffer.concat(w.take());
  const r = bench(label, () => {
    const reader = new RdbReader(readerOptions);
    let got = null;
    for (let off = 0; off < bytes.length; off += 65536) {
      reader.feed(bytes.subarray(off, off + 65536));
      for (let ev = reader.next(); ev !== null; ev = reader.next()) if (ev.kind === "entry") got = ev.entry;
    }
    reader.end();
    return got;
  });
  const size = bytes.length / 1e6;
  console.log(
    `${label}: ${size.toFixed(1)} MB in ${r.ms.toFixed(0)} ms (${(size / (r.ms / 1000)).toFixed(0)} MB/s, 64 KB chunks)`,
  );
}

bigKey("one 100 MB string", { type: "string", value: "0123456789abcdefghij".repeat(5_000_000) });
const members = Array.from({ length: 1_000_000 }, (_, i) => `member:${i}`);
bigKey("one 1M-member set", { type: "set", value: members });
bigKey("same, checkDuplicates: false", { type: "set", value: members }, { checkDuplicates: false });

async function redisReload() {
  if (spawnSync("redis-server", ["--version"]).status !== 0) {
    console.log("redis-server not installed: no comparison with Redis");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "kh-bench-"));
  writeFileSync(join(dir, "bench.rdb"), file);
  // Written before the start: Redis loads it, then DEBUG RELOAD NOSAVE (timed) empties that
  // dataset and loads the file again.
  const srv = await start("redis", ["--dbfilename", "bench.rdb", "--enable-debug-command", "yes"], { dir });
  const c = await Conn.connect(srv.port);
  try {
    const t0 = process.hrtime.bigint();
    await c.command("DEBUG", "RELOAD", "NOSAVE");
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // An integer reply: ":<n>".
    const dbsize = (await c.command("DBSIZE")).slice(1);
    console.log(
      `redis  ${ms.toFixed(0).padStart(6)} ms  ${((N / ms) * 1000).toFixed(0).padStart(9)} keys/s  ${(mb / (ms / 1000)).toFixed(1).padStart(7)} MB/s  (DEBUG RELOAD NOSAVE, ${dbsize} keys)`,
    );
    console.log(`read speed vs Redis load: ${(ms / read.ms).toFixed(2)}x`);
  } finally {
    c.close();
    await stop(srv);
  }
}

await redisReload();
