/**
 * DEBUG (debug.c): a registry of subcommands, so subsystems add theirs (RELOAD, LOADAOF,
 * AOF-FLUSH-SLEEP, CHANGE-REPL-ID, REPLICATE, CONFIG-REWRITE-FORCE-ALL) next to their own code;
 * the crashes and test hooks are in debug-hooks.ts. DIGEST and DIGEST-VALUE use Redis's exact
 * algorithm.
 */

import { shared } from "@keyhaven/protocol";
import { datasetDigest, keyValueDigest } from "../debug/digest.js";
import { valueMemory } from "../keyspace/db.js";
import { setActiveExpireEnabled } from "../keyspace/expire.js";
import { lruIdleSeconds } from "../keyspace/lru.js";
import type { Client } from "../network/client.js";
import { blockingSleep } from "../util/blocking-sleep.js";
import { atoi, parseInteger } from "./args.js";
import { helpReply, subcommandSyntaxError } from "./common.js";
import { debugHookSubcommands } from "./debug-hooks.js";
import { entryStringEncoding } from "./object.js";
import { type CommandSpec, spec } from "./spec.js";

export type DebugHandler = (c: Client) => void;

/** DEBUG subcommands by lower-case name; subsystems add theirs. */
export const debugSubcommands = new Map<string, DebugHandler>();

/**
 * debugCommand's argument-count conditions, as Redis 7.0 writes them (`c->argc == 3` ...):
 * positive is exact, negative a minimum. A subcommand whose count does not match falls through
 * to addReplySubcommandSyntaxError, as in Redis. Subcommands absent here (RELOAD, LOADAOF,
 * POPULATE) check their own arguments, or ignore extra ones as Redis does.
 */
const DEBUG_ARITY = new Map<string, number>([
  ["help", 2],
  ["change-repl-id", 2],
  ["digest", 2],
  ["digest-value", -2],
  ["log", 3],
  ["leak", 3],
  ["error", 3],
  ["replicate", -3],
  ["stringmatch-test", 2],
  ["config-rewrite-force-all", 2],
  ["set-skip-checksum-validation", 3],
  ["aof-flush-sleep", 3],
  ["object", 3],
  ["protocol", 3],
  ["set-active-expire", 3],
  ["set-disable-deny-scripts", 3],
  ["quicklist-packed-threshold", 3],
  ["sleep", 3],
]);

function debugCommand(c: Client): void {
  const sub = c.argv[1].toLowerCase();
  const handler = debugSubcommands.get(sub);
  const arity = DEBUG_ARITY.get(sub);
  const argc = c.argv.length;
  if (handler === undefined || (arity !== undefined && (arity > 0 ? argc !== arity : argc < -arity))) {
    subcommandSyntaxError(c);
    return;
  }
  handler(c);
}

/**
 * DEBUG HELP's entries, Redis 7.0's text and order; HELP lists those registered in this server
 * (a subsystem that is absent, or a subcommand Keyhaven refuses, is not offered).
 */
const DEBUG_HELP: [string, string[]][] = [
  [
    "aof-flush-sleep",
    [
      "AOF-FLUSH-SLEEP <microsec>",
      "    Server will sleep before flushing the AOF, this is used for testing.",
    ],
  ],
  ["assert", ["ASSERT", "    Crash by assertion failed."]],
  [
    "change-repl-id",
    [
      "CHANGE-REPL-ID",
      "    Change the replication IDs of the instance.",
      "    Dangerous: should be used only for testing the replication subsystem.",
    ],
  ],
  [
    "config-rewrite-force-all",
    [
      "CONFIG-REWRITE-FORCE-ALL",
      "    Like CONFIG REWRITE but writes all configuration options, including",
      "    keywords not listed in original configuration file or default values.",
    ],
  ],
  ["digest", ["DIGEST", "    Output a hex signature representing the current DB content."]],
  [
    "digest-value",
    ["DIGEST-VALUE <key> [<key> ...]", "    Output a hex signature of the values of all the specified keys."],
  ],
  [
    "error",
    [
      "ERROR <string>",
      "    Return a Redis protocol error with <string> as message. Useful for clients",
      "    unit tests to simulate Redis errors.",
    ],
  ],
  ["leak", ["LEAK <string>", "    Create a memory leak of the input string."]],
  ["log", ["LOG <message>", "    Write <message> to the server log."]],
  ["loadaof", ["LOADAOF", "    Flush the AOF buffers on disk and reload the AOF in memory."]],
  [
    "replicate",
    ["REPLICATE <string>", "    Replicates the provided string to replicas, allowing data divergence."],
  ],
  ["object", ["OBJECT <key>", "    Show low level info about `key` and associated value."]],
  ["oom", ["OOM", "    Crash the server simulating an out-of-memory error."]],
  ["panic", ["PANIC", "    Crash the server simulating a panic."]],
  [
    "populate",
    [
      "POPULATE <count> [<prefix>] [<size>]",
      "    Create <count> string keys named key:<num>. If <prefix> is specified then",
      "    it is used instead of the 'key' prefix. These are not propagated to",
      "    replicas. Cluster slots are not respected so keys not belonging to the",
      "    current node can be created in cluster mode.",
    ],
  ],
  [
    "protocol",
    [
      "PROTOCOL <type>",
      "    Reply with a test value of the specified type. <type> can be: string,",
      "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
      "    true, false.",
    ],
  ],
  [
    "reload",
    [
      "RELOAD [option ...]",
      "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
      "    * MERGE: conflicting keys will be loaded from RDB.",
      "    * NOFLUSH: the existing database will not be removed before load, but",
      "      conflicting keys will generate an exception and kill the server.",
      "    * NOSAVE: the database will be loaded from an existing RDB file.",
      "    Examples:",
      "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
      "      the database.",
      "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
      "      existing RDB file.",
      "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
      "      file to the database.",
    ],
  ],
  ["segfault", ["SEGFAULT", "    Crash the server with sigsegv."]],
  [
    "set-active-expire",
    [
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Setting it to 0 disables expiring keys in background when they are not",
      "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
      "    default.",
    ],
  ],
  [
    "set-skip-checksum-validation",
    [
      "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
      "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    ],
  ],
  ["sleep", ["SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed."]],
  ["stringmatch-test", ["STRINGMATCH-TEST", "    Run a fuzz tester against the stringmatchlen() function."]],
  ["help", ["HELP", "    Prints this help."]],
];

for (const [name, handler] of debugHookSubcommands) debugSubcommands.set(name, handler);
debugSubcommands.set("help", (c) => {
  const lines = ["DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"];
  for (const [name, text] of DEBUG_HELP) if (debugSubcommands.has(name)) lines.push(...text);
  helpReply(c, lines);
});
debugSubcommands.set("digest", (c) => {
  c.out.simple(datasetDigest(c.server.dbs));
});
debugSubcommands.set("digest-value", (c) => {
  const keys = c.argv.slice(2);
  c.out.arrayHeader(keys.length);
  for (const k of keys) c.out.simple(keyValueDigest(c.db.peek(k)));
});
/** DEBUG PROTOCOL <type>: one reply of each RESP type, for client libraries' tests. */
debugSubcommands.set("protocol", (c) => {
  const out = c.out;
  const name = c.argv[2].toLowerCase();
  const ints = (n: number) => {
    for (let j = 0; j < n; j++) out.integer(j);
  };
  switch (name) {
    case "string":
      return out.bulk("Hello World");
    case "integer":
      return out.integer(12345);
    case "double":
      // biome-ignore lint/suspicious/noApproximativeNumericConstant: Redis's test value, not pi.
      return out.double(3.141);
    case "bignum":
      return out.bigNumber("1234567999999999999999999999999999999");
    case "null":
      return out.nullBulk();
    case "array":
      out.arrayHeader(3);
      return ints(3);
    case "set":
      out.setHeader(3);
      return ints(3);
    case "map":
      out.mapHeader(3);
      for (let j = 0; j < 3; j++) {
        out.integer(j);
        out.boolean(j === 1);
      }
      return;
    case "attrib":
      // An attribute is no reply of its own: a real one follows (RESP2 gets only that).
      if (out.attributeHeader(1)) {
        out.bulk("key-popularity");
        out.arrayHeader(2);
        out.bulk("key:123");
        out.integer(90);
      }
      return out.bulk("Some real reply following the attribute");
    case "push":
      if (out.resp < 3) return c.error("ERR RESP2 is not supported by this command");
      out.pushHeader(2);
      out.bulk("server-cpu-usage");
      out.integer(42);
      return out.bulk("Some real reply following the push reply");
    case "verbatim":
      return out.verbatim("This is a verbatim\nstring", "txt");
    case "true":
      return out.boolean(true);
    case "false":
      return out.boolean(false);
    default:
      c.error(
        "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
      );
  }
});
debugSubcommands.set("sleep", (c) => {
  // strtod: a leading number is used, anything unparsable is 0 (Redis replies OK at once).
  const parsed = Number.parseFloat(c.argv[2]);
  const seconds = Number.isFinite(parsed) && parsed > 0 ? parsed : 0;
  // Blocks the event loop on purpose: this is how Redis's test suite simulates a busy server.
  blockingSleep(seconds * 1000);
  c.out.raw(shared.OK);
});
debugSubcommands.set("set-active-expire", (c) => {
  setActiveExpireEnabled(atoi(c.argv[2]) !== 0);
  c.out.raw(shared.OK);
});
debugSubcommands.set("log", (c) => {
  c.server.logger.warning(`DEBUG LOG: ${c.argv[2]}`);
  c.out.raw(shared.OK);
});
debugSubcommands.set("object", (c) => {
  const entry = c.db.peek(c.argv[2]);
  if (entry === undefined) return void c.error("ERR no such key");
  const v = entry.value;
  const encoding = typeof v === "string" ? entryStringEncoding(entry, v) : v.encoding();
  const serializedLength = typeof v === "string" ? v.length : valueMemory(v);
  c.out.simple(
    `Value at:0x0 refcount:1 encoding:${encoding} serializedlength:${serializedLength} lru:${entry.lru} lru_seconds_idle:${lruIdleSeconds(entry.lru)}`,
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
  if (argv.length < 3 || argv.length > 5) return void subcommandSyntaxError(c);
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

export const debugCommands = [
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
