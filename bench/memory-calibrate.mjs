#!/usr/bin/env node
/**
 * Checks the used_memory estimate (packages/server/src/keyspace/memory.ts) against what the
 * process really allocates: for several key/value shapes it loads N keys into one
 * keyhaven-server and compares the growth of used_memory with the growth of the V8 heap
 * (allocator_allocated = heapUsed + external, after MEMORY PURGE, i.e. a full compacting GC) and
 * of the RSS. used/heap near 1.00 means the estimate tracks the heap; the RSS column adds V8's
 * page-level overhead (free space in pages, the young generation), which used_memory does not
 * count (it shows as mem_fragmentation_ratio, as allocator overhead does in Redis).
 *
 *   node bench/memory-calibrate.mjs [--keys 200000] [--keyhaven-args "..."]
 *
 * Needs a built Keyhaven (`pnpm -s run build`). The server is killed by PID at the end.
 */

import { parseArgs } from "node:util";
import { Conn, cleanup, memory, start, stop } from "./lib.mjs";

const { values: opts } = parseArgs({
  options: {
    keys: { type: "string", default: "200000" },
    "keyhaven-args": { type: "string", default: "" },
  },
});
const MAX_KEYS = Number(opts.keys);
/** Cap on the bytes loaded per shape, so large values stay quick. */
const MAX_BYTES = 256 * 1024 * 1024;

const SHAPES = [
  { name: "key:N -> 8 B", keyPrefix: "key:", valueSize: 8, ttl: false },
  { name: "key:N -> 8 B, with TTL", keyPrefix: "key:", valueSize: 8, ttl: true },
  { name: "40 B keys -> 8 B", keyPrefix: "user:session:0123456789abcdef:", valueSize: 8, ttl: false },
  { name: "key:N -> 50 B", keyPrefix: "key:", valueSize: 50, ttl: false },
  { name: "key:N -> 200 B", keyPrefix: "key:", valueSize: 200, ttl: false },
  { name: "key:N -> 1 KB", keyPrefix: "key:", valueSize: 1024, ttl: false },
  { name: "key:N -> 16 KB", keyPrefix: "key:", valueSize: 16 * 1024, ttl: false },
  { name: "key:N -> 2 MB", keyPrefix: "key:", valueSize: 2 * 1024 * 1024, ttl: false },
];

async function load(conn, shape, n) {
  const fill = "x".repeat(shape.valueSize);
  const batch = Math.max(1, Math.min(1000, Math.floor((4 * 1024 * 1024) / (shape.valueSize + 64))));
  for (let base = 0; base < n; base += batch) {
    const m = Math.min(batch, n - base);
    const parts = [];
    for (let i = base; i < base + m; i++) {
      const k = `${shape.keyPrefix}${i}`;
      const v = `${i}${fill}`.slice(0, shape.valueSize);
      if (shape.ttl) {
        parts.push(
          `*5\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n$2\r\nEX\r\n$6\r\n100000\r\n`,
        );
      } else {
        parts.push(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`);
      }
    }
    await conn.sendOks(parts.join(""), m);
  }
}

function pad(s, n) {
  return String(s).padStart(n);
}

async function main() {
  const srv = await start(
    "keyhaven",
    opts["keyhaven-args"].split(" ").filter((a) => a !== ""),
  );
  const conn = await Conn.connect(srv.port);
  console.log("shape                          keys   used/key   heap/key   rss/key   used/heap  used/rss");
  for (const shape of SHAPES) {
    const n = Math.max(1, Math.min(MAX_KEYS, Math.floor(MAX_BYTES / (shape.valueSize + 100))));
    await conn.command("FLUSHALL");
    const before = await memory(conn);
    await load(conn, shape, n);
    const after = await memory(conn);
    const used = (after.used - before.used) / n;
    const heap = (after.heap - before.heap) / n;
    const rss = (after.rss - before.rss) / n;
    console.log(
      `${shape.name.padEnd(28)} ${pad(n, 7)} ${pad(used.toFixed(1), 10)} ${pad(heap.toFixed(1), 10)} ` +
        `${pad(rss.toFixed(1), 9)} ${pad((used / heap).toFixed(3), 11)} ${pad((used / rss).toFixed(3), 9)}`,
    );
  }
  conn.close();
  stop(srv);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
