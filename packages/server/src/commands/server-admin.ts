/**
 * Server administration: INFO, TIME, LASTSAVE, ROLE, SHUTDOWN, MONITOR, SLOWLOG, MEMORY, DEBUG.
 * DEBUG keeps a registry of subcommands so subsystems add theirs (RELOAD, LOADAOF,
 * CHANGE-REPL-ID) next to their own code.
 */

import { getHeapStatistics } from "node:v8";
import { shared } from "@keyhaven/protocol";
import { datasetDigest, keyValueDigest } from "../debug/digest.js";
import { gates } from "../exec/dispatch.js";
import { genInfoString } from "../info/info.js";
import { clock } from "../keyspace/clock.js";
import { LOOKUP_NOTOUCH, valueMemory } from "../keyspace/db.js";
import { setActiveExpireEnabled } from "../keyspace/expire.js";
import { EXPIRE_OVERHEAD, keyMemory } from "../keyspace/memory.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { intOrReply, is, parseInteger } from "./args.js";
import { entryStringEncoding } from "./object.js";
import { type CommandSpec, container, spec } from "./spec.js";

function infoCommand(c: Client): void {
  const text = genInfoString(c.server, c.argv.slice(1));
  c.out.verbatim(text, "txt");
}

function timeCommand(c: Client): void {
  const now = Date.now();
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1_000_000;
  c.out.arrayHeader(2);
  c.out.bulk(String(Math.floor(now / 1000)));
  c.out.bulk(String(micros));
}

function lastsaveCommand(c: Client): void {
  c.out.integer(c.server.lastSaveTime);
}

/** ROLE for a master (replication replaces this handler's data through `roleReply`). */
function roleCommand(c: Client): void {
  c.server.roleReply(c);
}

function shutdownCommand(c: Client): void {
  const argv = c.argv;
  let save: boolean | null = null;
  let now = false;
  let force = false;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (is(a, "nosave")) save = false;
    else if (is(a, "save")) save = true;
    else if (is(a, "now")) now = true;
    else if (is(a, "force")) force = true;
    else if (is(a, "abort")) abort = true;
    else {
      c.error("ERR syntax error");
      return;
    }
  }
  if (abort) {
    if (argv.length !== 2) {
      c.error("ERR syntax error");
      return;
    }
    c.error("ERR No shutdown in progress.");
    return;
  }
  const server = c.server;
  // The reply (if the shutdown fails) must wait for the async shutdown; block the client meanwhile.
  c.flags |= ClientFlag.Blocked;
  void server.shutdown({ save, now, force }).then((ok) => {
    c.flags &= ~ClientFlag.Blocked;
    if (!ok) {
      c.error("ERR Errors trying to SHUTDOWN. Check logs.");
      server.queueUnblocked(c);
    }
  });
}

// ---- MONITOR ---------------------------------------------------------------------------------

const monitors = new Set<Client>();

/** sdscatrepr: a quoted, escaped representation of one argument. */
export function reprArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    switch (ch) {
      case 92:
        out += "\\\\";
        break;
      case 34:
        out += '\\"';
        break;
      case 10:
        out += "\\n";
        break;
      case 13:
        out += "\\r";
        break;
      case 9:
        out += "\\t";
        break;
      case 7:
        out += "\\a";
        break;
      case 8:
        out += "\\b";
        break;
      default:
        out += ch >= 32 && ch < 127 ? s[i] : `\\x${ch.toString(16).padStart(2, "0")}`;
    }
  }
  return `${out}"`;
}

function feedMonitors(c: Client, argv: string[]): void {
  if (monitors.size === 0) return;
  const now = performance.timeOrigin + performance.now();
  const sec = Math.floor(now / 1000);
  const usec = String(Math.floor((now % 1000) * 1000)).padStart(6, "0");
  const source = c.has(ClientFlag.UnixSocket)
    ? `unix:${c.server.config.str("unixsocket")}`
    : c.has(ClientFlag.Master)
      ? "master"
      : c.addr;
  const line = `${sec}.${usec} [${c.db.id} ${source}] ${argv.map(reprArg).join(" ")}`;
  for (const m of monitors) {
    if (m === c) continue;
    m.out.simple(line);
    c.server.scheduleFlush(m);
  }
}

function monitorCommand(c: Client): void {
  if (c.has(ClientFlag.Monitor)) return;
  if (c.has(ClientFlag.InExec)) {
    c.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  c.flags |= ClientFlag.Monitor;
  monitors.add(c);
  gates.feedMonitors = feedMonitors;
  c.out.raw(shared.OK);
}

/** Leaves MONITOR mode (RESET, like clearClientConnectionState). */
export function stopMonitoring(c: Client): void {
  if (!c.has(ClientFlag.Monitor)) return;
  c.flags &= ~ClientFlag.Monitor;
  monitors.delete(c);
  if (monitors.size === 0) gates.feedMonitors = null;
}

export function registerMonitorCleanup(server: Server): void {
  server.clientCloseHooks.push((c) => {
    monitors.delete(c);
    if (monitors.size === 0) gates.feedMonitors = null;
  });
}

// ---- SLOWLOG ---------------------------------------------------------------------------------

interface SlowlogEntry {
  id: number;
  time: number;
  micros: number;
  argv: string[];
  addr: string;
  name: string;
}

const SLOWLOG_MAX_ARGC = 32;
const SLOWLOG_MAX_STRING = 128;
let slowlog: SlowlogEntry[] = [];
let slowlogNextId = 0;

export function registerSlowlog(server: Server): void {
  gates.slowlog = (c, argv, micros) => {
    const threshold = server.config.num("slowlog-log-slower-than");
    if (threshold < 0 || micros < threshold) return;
    const args: string[] = [];
    const n = Math.min(argv.length, SLOWLOG_MAX_ARGC);
    for (let i = 0; i < n; i++) {
      if (n !== argv.length && i === n - 1) {
        args.push(`... (${argv.length - SLOWLOG_MAX_ARGC + 1} more arguments)`);
        break;
      }
      const a = argv[i];
      args.push(
        a.length > SLOWLOG_MAX_STRING
          ? `${a.slice(0, SLOWLOG_MAX_STRING)}... (${a.length - SLOWLOG_MAX_STRING} more bytes)`
          : a,
      );
    }
    slowlog.unshift({
      id: slowlogNextId++,
      time: Math.floor(clock.ms / 1000),
      micros: Math.round(micros),
      argv: args,
      addr: c.addr,
      name: c.name,
    });
    const max = server.config.num("slowlog-max-len");
    if (slowlog.length > max) slowlog.length = max;
  };
}

function slowlogGetCommand(c: Client): void {
  let count = 10;
  if (c.argv.length === 3) {
    const n = parseInteger(c.argv[2]);
    if (n === null || n < -1) {
      c.error("ERR count should be greater than or equal to -1");
      return;
    }
    count = n === -1 ? slowlog.length : n;
  }
  const entries = slowlog.slice(0, count);
  c.out.arrayHeader(entries.length);
  for (const e of entries) {
    c.out.arrayHeader(6);
    c.out.integer(e.id);
    c.out.integer(e.time);
    c.out.integer(e.micros);
    c.out.arrayHeader(e.argv.length);
    for (const a of e.argv) c.out.bulk(a);
    c.out.bulk(e.addr);
    c.out.bulk(e.name);
  }
}

function helpReply(c: Client, lines: string[]): void {
  c.out.arrayHeader(lines.length);
  for (const l of lines) c.out.simple(l);
}

// ---- MEMORY ----------------------------------------------------------------------------------

function memoryUsageCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length !== 3 && !(argv.length === 5 && is(argv[3], "samples"))) {
    c.error("ERR syntax error");
    return;
  }
  if (argv.length === 5 && intOrReply(c, argv[4]) === null) return;
  const entry = c.db.lookup(argv[2], LOOKUP_NOTOUCH);
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
  const used = server.usedMemory();
  const dataset = server.datasetMemory();
  const peak = server.noteMemoryPeak(used);
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
    ["startup.allocated", server.startupMemory],
    ["replication.backlog", server.replicationBacklogMemory()],
    ["clients.slaves", server.clientsMemory(true)],
    ["clients.normal", server.clientsMemory(false)],
    ["cluster.links", 0],
    ["aof.buffer", server.aofBufferMemory()],
    ["lua.caches", 0],
    ["functions.caches", 184],
  ];
  // Redis prints the per-db overheads between functions.caches and overhead.total.
  const tail: [string, number | string][] = [
    ["overhead.total", overhead],
    ["keys.count", keys],
    ["keys.bytes-per-key", keys > 0 ? Math.floor((used - server.startupMemory) / keys) : 0],
    ["dataset.bytes", dataset],
    [
      "dataset.percentage",
      used > server.startupMemory ? ((dataset * 100) / (used - server.startupMemory)).toFixed(2) : "0",
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
  const used = server.usedMemory();
  const text =
    used < 5 * 1024 * 1024
      ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
      : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  c.out.verbatim(text, "txt");
}

/** V8's gc() options (--expose-gc): "last-resort" also shrinks the young generation. */
type GcOptions = { type: "major"; execution: "sync"; flavor: "last-resort" };

function memoryPurgeCommand(c: Client): void {
  const gc = (globalThis as { gc?: (options?: GcOptions) => void }).gc;
  if (gc !== undefined) {
    // Like jemalloc's purge of dirty pages: besides collecting, give the emptied semispaces of
    // the young generation back (up to 2 x max-semi-space-size stays committed after a burst
    // of allocation otherwise; a plain gc() keeps it).
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
    c.server.logger.verbose("MEMORY PURGE ran a full V8 garbage collection");
  } else {
    c.server.logger.verbose("MEMORY PURGE: V8 GC not exposed (start Node with --expose-gc); nothing to do");
  }
  c.out.raw(shared.OK);
}

function memoryMallocStatsCommand(c: Client): void {
  const h = getHeapStatistics();
  const lines = Object.entries(h).map(([k, v]) => `${k}: ${v}`);
  c.out.verbatim(`V8 heap statistics (the allocator behind Keyhaven):\n${lines.join("\n")}\n`, "txt");
}

// ---- DEBUG -----------------------------------------------------------------------------------

export type DebugHandler = (c: Client) => void;

/** DEBUG subcommands by lower-case name; subsystems add theirs. */
export const debugSubcommands = new Map<string, DebugHandler>();

function debugCommand(c: Client): void {
  const sub = c.argv[1].toLowerCase();
  const handler = debugSubcommands.get(sub);
  if (handler === undefined) {
    c.error(`ERR unknown subcommand or wrong number of arguments for '${c.argv[1]}'. Try DEBUG HELP.`);
    return;
  }
  handler(c);
}

debugSubcommands.set("help", (c) =>
  helpReply(c, [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about the `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not accessed.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
  ]),
);
debugSubcommands.set("digest", (c) => {
  if (c.argv.length !== 2) return void c.error("ERR wrong number of arguments for 'debug|digest' command");
  c.out.simple(datasetDigest(c.server.dbs));
});
debugSubcommands.set("digest-value", (c) => {
  const keys = c.argv.slice(2);
  c.out.arrayHeader(keys.length);
  for (const k of keys) c.out.simple(keyValueDigest(c.db.peek(k)));
});
debugSubcommands.set("sleep", (c) => {
  // strtod: a leading number is used, anything unparsable is 0 (Redis replies OK at once).
  const parsed = Number.parseFloat(c.argv[2] ?? "0");
  const seconds = Number.isFinite(parsed) && parsed > 0 ? parsed : 0;
  // Blocks the event loop on purpose: this is how Redis's test suite simulates a busy server.
  const until = performance.now() + seconds * 1000;
  const shared32 = new Int32Array(new SharedArrayBuffer(4));
  while (performance.now() < until) Atomics.wait(shared32, 0, 0, Math.max(1, until - performance.now()));
  c.out.raw(shared.OK);
});
debugSubcommands.set("set-active-expire", (c) => {
  if (c.argv.length !== 3)
    return void c.error("ERR wrong number of arguments for 'debug|set-active-expire' command");
  setActiveExpireEnabled(c.argv[2] !== "0");
  c.out.raw(shared.OK);
});
debugSubcommands.set("log", (c) => {
  if (c.argv.length !== 3) return void c.error("ERR wrong number of arguments for 'debug|log' command");
  c.server.logger.warning(`DEBUG LOG: ${c.argv[2]}`);
  c.out.raw(shared.OK);
});
debugSubcommands.set("object", (c) => {
  if (c.argv.length !== 3) return void c.error("ERR wrong number of arguments for 'debug|object' command");
  const entry = c.db.peek(c.argv[2]);
  if (entry === undefined) return void c.error("ERR no such key");
  const v = entry.value;
  const encoding = typeof v === "string" ? entryStringEncoding(entry, v) : v.encoding();
  const serializedLength = typeof v === "string" ? v.length : valueMemory(v);
  c.out.simple(
    `Value at:0x0 refcount:1 encoding:${encoding} serializedlength:${serializedLength} lru:${entry.lru & 0xffffff} lru_seconds_idle:${Math.max(0, clock.lruSeconds - entry.lru)}`,
  );
});
/** getPositiveLongFromObjectOrReply: one message for non-numbers and negatives alike. */
function populateArg(c: Client, text: string): number | null {
  const n = parseInteger(text);
  if (n === null || n < 0) {
    c.error("ERR value is out of range, must be positive");
    return null;
  }
  return n;
}

debugSubcommands.set("populate", (c) => {
  const argv = c.argv;
  if (argv.length < 3 || argv.length > 5)
    return void c.error("ERR wrong number of arguments for 'debug|populate' command");
  const count = populateArg(c, argv[2]);
  if (count === null) return;
  const prefix = argv.length >= 4 ? argv[3] : "key";
  let size = 0;
  if (argv.length === 5) {
    const n = populateArg(c, argv[4]);
    if (n === null) return;
    size = n;
  }
  const db = c.db;
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`;
    if (db.peek(key) !== undefined) continue;
    let value = `value:${i}`;
    // A size of 0 means "no size": the plain `value:<n>` text.
    if (size > 0)
      value = value.length >= size ? value.slice(0, size) : value + "\0".repeat(size - value.length);
    db.add(key, value);
  }
  c.out.raw(shared.OK);
});
debugSubcommands.set("quicklist-packed-threshold", (c) => {
  c.error("ERR DEBUG QUICKLIST-PACKED-THRESHOLD is not supported by Keyhaven");
});

export const adminCommands = [
  spec(
    "info",
    -1,
    "loading stale sentinel",
    [0, 0, 0],
    "server",
    "Returns information and statistics about the server.",
    "1.0.0",
    infoCommand,
  ),
  spec(
    "time",
    1,
    "loading stale fast",
    [0, 0, 0],
    "server",
    "Returns the server time.",
    "2.6.0",
    timeCommand,
  ),
  spec(
    "lastsave",
    1,
    "loading stale fast",
    [0, 0, 0],
    "server",
    "Returns the Unix timestamp of the last successful save to disk.",
    "1.0.0",
    lastsaveCommand,
  ),
  spec(
    "role",
    1,
    "noscript loading stale fast sentinel",
    [0, 0, 0],
    "server",
    "Returns the replication role.",
    "2.8.12",
    roleCommand,
  ),
  spec(
    "shutdown",
    -1,
    "admin noscript loading stale no_multi sentinel allow_busy",
    [0, 0, 0],
    "server",
    "Synchronously saves the database(s) to disk and shuts down the Redis server.",
    "1.0.0",
    shutdownCommand,
  ),
  spec(
    "monitor",
    1,
    "admin noscript loading stale",
    [0, 0, 0],
    "server",
    "Listens for all requests received by the server in real-time.",
    "1.0.0",
    monitorCommand,
  ),
  container("slowlog", -2, "server", "A container for slow log commands.", "2.2.12", [
    spec(
      "get",
      -2,
      "admin loading stale",
      [0, 0, 0],
      "server",
      "Returns the slow log's entries.",
      "2.2.12",
      slowlogGetCommand,
    ),
    spec(
      "len",
      2,
      "admin loading stale",
      [0, 0, 0],
      "server",
      "Returns the number of entries in the slow log.",
      "2.2.12",
      (c) => c.out.integer(slowlog.length),
    ),
    spec(
      "reset",
      2,
      "admin loading stale",
      [0, 0, 0],
      "server",
      "Clears all entries from the slow log.",
      "2.2.12",
      (c) => {
        slowlog = [];
        c.out.raw(shared.OK);
      },
    ),
    spec(
      "help",
      2,
      "loading stale",
      [0, 0, 0],
      "server",
      "Show helpful text about the different subcommands",
      "6.2.0",
      (c) =>
        helpReply(c, [
          "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "GET [<count>]",
          "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
          "    Entries are made of:",
          "    id, timestamp, time in microseconds, arguments array, client IP and port,",
          "    client name",
          "LEN",
          "    Return the length of the slowlog.",
          "RESET",
          "    Reset the slowlog.",
          "HELP",
          "    Prints this help.",
        ]),
    ),
  ]),
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
    spec(
      "help",
      2,
      "loading stale",
      [0, 0, 0],
      "server",
      "Returns helpful text about the different subcommands.",
      "4.0.0",
      (c) =>
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
  spec(
    "debug",
    -2,
    "admin noscript loading stale protected",
    [0, 0, 0],
    "server",
    "A container for debugging commands.",
    "1.0.0",
    debugCommand,
  ),
] satisfies CommandSpec[];
