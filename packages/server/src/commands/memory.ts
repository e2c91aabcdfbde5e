/**
 * MEMORY USAGE|STATS|DOCTOR|PURGE|MALLOC-STATS|HELP (object.c memoryCommand), reporting the
 * estimate of keyspace/memory.ts and what V8 says about the real heap.
 */

import { getHeapStatistics } from "node:v8";
import { shared } from "@keyhaven/protocol";
import { LOOKUP_NONOTIFY, LOOKUP_NOSTATS, LOOKUP_NOTOUCH, valueMemory } from "../keyspace/db.js";
import { EXPIRE_OVERHEAD, keyMemory } from "../keyspace/memory.js";
import type { Client } from "../network/client.js";
import { startedFunctionsEngine } from "../scripting/functions.js";
import { intOrReply, is } from "./args.js";
import { helpReply } from "./common.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";

function memoryUsageCommand(c: Client): void {
  const argv = c.argv;
  // memoryCommand's option loop: SAMPLES may repeat; a negative count is a syntax error. The
  // count itself is unused, since our estimate is exact rather than sampled.
  for (let j = 3; j < argv.length; j++) {
    if (is(argv[j], "samples") && j + 1 < argv.length) {
      const samples = intOrReply(c, argv[j + 1]);
      if (samples === null) return;
      if (samples < 0) {
        c.error("ERR syntax error");
        return;
      }
      j++;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  // Redis finds the key in the dict directly: no statistics, no keymiss notification.
  const entry = c.db.lookup(argv[2], LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY);
  if (entry === undefined) {
    c.out.nullBulk();
    return;
  }
  c.out.integer(
    keyMemory(entry.key) + valueMemory(entry.value) + (entry.expireAt >= 0 ? EXPIRE_OVERHEAD : 0),
  );
}

function memoryStatsCommand(c: Client): void {
  const server = c.server;
  const used = server.memory.used();
  const dataset = server.memory.dataset();
  const peak = server.memory.notePeak(used);
  const rss = process.memoryUsage.rss();
  const heap = process.memoryUsage();
  let keys = 0;
  const dbStats: [number, number, number][] = [];
  for (const db of server.dbs) {
    keys += db.size;
    if (db.size > 0) dbStats.push([db.id, db.size * 40, db.expiresCount * EXPIRE_OVERHEAD]);
  }
  const overhead = used - dataset;
  const fields: [string, number | string][] = [
    ["peak.allocated", peak],
    ["total.allocated", used],
    ["startup.allocated", server.memory.startup],
    ["replication.backlog", server.memory.hooks.backlog()],
    ["clients.slaves", server.memory.clients(true)],
    ["clients.normal", server.memory.clients(false)],
    ["cluster.links", 0],
    ["aof.buffer", server.memory.hooks.aofBuffer()],
    ["lua.caches", 0],
    ["functions.caches", startedFunctionsEngine(server)?.overheadMemory ?? 184],
  ];
  // Redis prints the per-db overheads between functions.caches and overhead.total.
  const tail: [string, number | string][] = [
    ["overhead.total", overhead],
    ["keys.count", keys],
    ["keys.bytes-per-key", keys > 0 ? Math.floor((used - server.memory.startup) / keys) : 0],
    ["dataset.bytes", dataset],
    [
      "dataset.percentage",
      used > server.memory.startup ? ((dataset * 100) / (used - server.memory.startup)).toFixed(2) : "0",
    ],
    ["peak.percentage", peak > 0 ? ((used * 100) / peak).toFixed(2) : "0"],
    ["allocator.allocated", heap.heapUsed + heap.external],
    ["allocator.active", heap.heapTotal + heap.external],
    ["allocator.resident", rss],
    ["allocator-fragmentation.ratio", heap.heapUsed > 0 ? (heap.heapTotal / heap.heapUsed).toFixed(3) : "1"],
    ["allocator-fragmentation.bytes", heap.heapTotal - heap.heapUsed],
    ["allocator-rss.ratio", heap.heapTotal > 0 ? (rss / (heap.heapTotal + heap.external)).toFixed(3) : "1"],
    ["allocator-rss.bytes", rss - heap.heapTotal - heap.external],
    ["rss-overhead.ratio", "1"],
    ["rss-overhead.bytes", 0],
    ["fragmentation", used > 0 ? (rss / used).toFixed(3) : "0"],
    ["fragmentation.bytes", rss - used],
  ];
  const out = c.out;
  out.mapHeader(fields.length + dbStats.length + tail.length);
  const write = ([name, value]: [string, number | string]) => {
    out.bulk(name);
    if (typeof value === "number") out.integer(value);
    else out.double(Number(value));
  };
  fields.forEach(write);
  for (const [id, main, expires] of dbStats) {
    out.bulk(`db.${id}`);
    out.mapHeader(2);
    out.bulk("overhead.hashtable.main");
    out.integer(main);
    out.bulk("overhead.hashtable.expires");
    out.integer(expires);
  }
  tail.forEach(write);
}

function memoryDoctorCommand(c: Client): void {
  const server = c.server;
  const used = server.memory.used();
  const text =
    used < 5 * 1024 * 1024
      ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
      : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  c.out.verbatim(text, "txt");
}

/** V8's gc() options (--expose-gc): "last-resort" also shrinks the young generation. */
type GcOptions = { type: "major"; execution: "sync"; flavor: "last-resort" };

/**
 * Replies +OK as Redis does; what was done goes to the log at notice level (visible with the
 * default loglevel), with the V8 heap before and after, since the reply cannot say it.
 */
function memoryPurgeCommand(c: Client): void {
  const gc = (globalThis as { gc?: (options?: GcOptions) => void }).gc;
  if (gc !== undefined) {
    const before = getHeapStatistics();
    // Like jemalloc's purge of dirty pages: besides collecting, give the emptied semispaces of
    // the young generation back (up to 2 x max-semi-space-size stays committed after a burst
    // of allocation otherwise; a plain gc() keeps it).
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
    const after = getHeapStatistics();
    c.server.logger.notice(
      `MEMORY PURGE: ran a full V8 garbage collection; heap used ${mb(before.used_heap_size)} -> ${mb(after.used_heap_size)} MB, committed ${mb(before.total_heap_size)} -> ${mb(after.total_heap_size)} MB`,
    );
  } else {
    c.server.logger.notice(
      "MEMORY PURGE: nothing done, V8's GC is not exposed (Node runs without --expose-gc)",
    );
  }
  c.out.raw(shared.OK);
}

function mb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

function memoryMallocStatsCommand(c: Client): void {
  const h = getHeapStatistics();
  const lines = Object.entries(h).map(([k, v]) => `${k}: ${v}`);
  c.out.verbatim(`V8 heap statistics (the allocator behind Keyhaven):\n${lines.join("\n")}\n`, "txt");
}

export const memoryCommands = [
  container("memory", -2, "server", "A container for memory diagnostics commands.", "4.0.0", [
    spec(
      "usage",
      -3,
      "readonly",
      [2, 2, 1],
      "server",
      "Estimates the memory usage of a key.",
      "4.0.0",
      memoryUsageCommand,
    ),
    spec(
      "stats",
      2,
      "",
      [0, 0, 0],
      "server",
      "Returns details about memory usage.",
      "4.0.0",
      memoryStatsCommand,
    ),
    spec(
      "doctor",
      2,
      "",
      [0, 0, 0],
      "server",
      "Outputs a memory problems report.",
      "4.0.0",
      memoryDoctorCommand,
    ),
    spec(
      "purge",
      2,
      "",
      [0, 0, 0],
      "server",
      "Asks the allocator to release memory.",
      "4.0.0",
      memoryPurgeCommand,
    ),
    spec(
      "malloc-stats",
      2,
      "",
      [0, 0, 0],
      "server",
      "Returns the allocator statistics.",
      "4.0.0",
      memoryMallocStatsCommand,
    ),
    helpSpec("server", "4.0.0", (c) =>
      helpReply(c, [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
      ]),
    ),
  ]),
] satisfies CommandSpec[];
