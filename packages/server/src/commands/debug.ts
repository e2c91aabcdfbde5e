/**
 * DEBUG (debug.c): a registry of subcommands, so subsystems add theirs (RELOAD, LOADAOF,
 * CHANGE-REPL-ID) next to their own code. DIGEST and DIGEST-VALUE use Redis's exact algorithm.
 */

import { shared } from "@keyhaven/protocol";
import { datasetDigest, keyValueDigest } from "../debug/digest.js";
import { valueMemory } from "../keyspace/db.js";
import { setActiveExpireEnabled } from "../keyspace/expire.js";
import { lruIdleSeconds } from "../keyspace/lru.js";
import type { Client } from "../network/client.js";
import { parseInteger } from "./args.js";
import { helpReply } from "./common.js";
import { entryStringEncoding } from "./object.js";
import { type CommandSpec, spec } from "./spec.js";

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
    `Value at:0x0 refcount:1 encoding:${encoding} serializedlength:${serializedLength} lru:${entry.lru & 0xffffff} lru_seconds_idle:${lruIdleSeconds(entry.lru)}`,
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
