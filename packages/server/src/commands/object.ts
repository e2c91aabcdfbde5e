/**
 * OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT|HELP (object.c), and the string encodings Redis would
 * report (int/embstr/raw) for values that are all JS strings here.
 */

import { LOOKUP_NONOTIFY, LOOKUP_NOTOUCH } from "../keyspace/db.js";
import { lfuDecayedCounter, lruIdleSeconds } from "../keyspace/lru.js";
import { type Entry, STR_ENC_NO_INT, STR_ENC_RAW } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { helpReply } from "./common.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";

/** OBJECT ENCODING of a string value (see Entry.strEncoding). */
export function entryStringEncoding(entry: Entry, value: string): string {
  if (entry.strEncoding === STR_ENC_RAW) return "raw";
  if (entry.strEncoding === STR_ENC_NO_INT) return value.length <= 44 ? "embstr" : "raw";
  return stringEncoding(value);
}

/** OBJECT ENCODING of a string, as tryObjectEncoding would leave a value set by SET. */
export function stringEncoding(value: string): string {
  if (value.length <= 20 && /^-?(0|[1-9]\d*)$/.test(value) && value !== "-0") {
    const n = BigInt(value);
    if (n >= -9223372036854775808n && n <= 9223372036854775807n) return "int";
  }
  return value.length <= 44 ? "embstr" : "raw";
}

function objectEntry(c: Client): Entry | undefined {
  // objectCommandLookup: no keymiss notification.
  const entry = c.db.lookup(c.argv[2], LOOKUP_NOTOUCH | LOOKUP_NONOTIFY);
  if (entry === undefined) c.out.nullBulk();
  return entry;
}

function objectEncodingCommand(c: Client): void {
  const entry = objectEntry(c);
  if (entry === undefined) return;
  const v = entry.value;
  c.out.bulk(typeof v === "string" ? entryStringEncoding(entry, v) : v.encoding());
}

function objectFreqCommand(c: Client): void {
  const entry = objectEntry(c);
  if (entry === undefined) return;
  if (!c.server.lfuMode) {
    c.error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  c.out.integer(lfuDecayedCounter(entry.lru, c.server.lfuSettings));
}

function objectIdletimeCommand(c: Client): void {
  const entry = objectEntry(c);
  if (entry === undefined) return;
  if (c.server.lfuMode) {
    c.error(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  c.out.integer(lruIdleSeconds(entry.lru));
}

function objectRefcountCommand(c: Client): void {
  const entry = objectEntry(c);
  if (entry === undefined) return;
  const v = entry.value;
  // Redis shares the integers 0..9999 (OBJ_SHARED_REFCOUNT) unless an LRU/LFU policy needs per-key fields.
  const policy = c.server.config.str("maxmemory-policy");
  const shared =
    typeof v === "string" &&
    entryStringEncoding(entry, v) === "int" &&
    Number(v) >= 0 &&
    Number(v) < 10000 &&
    (c.server.config.num("maxmemory") === 0 || !/lru|lfu/.test(policy));
  c.out.integer(shared ? 2147483647 : 1);
}

function objectHelpCommand(c: Client): void {
  const lines = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
  ];
  helpReply(c, lines);
}

export const objectCommands = [
  container("object", -2, "generic", "A container for object introspection commands.", "2.2.3", [
    spec(
      "encoding",
      3,
      "readonly",
      [2, 2, 1],
      "generic",
      "Returns the internal encoding of a Redis object.",
      "2.2.3",
      objectEncodingCommand,
    ),
    spec(
      "freq",
      3,
      "readonly",
      [2, 2, 1],
      "generic",
      "Returns the logarithmic access frequency counter of a Redis object.",
      "4.0.0",
      objectFreqCommand,
    ),
    spec(
      "idletime",
      3,
      "readonly",
      [2, 2, 1],
      "generic",
      "Returns the time since the last access to a Redis object.",
      "2.2.3",
      objectIdletimeCommand,
    ),
    spec(
      "refcount",
      3,
      "readonly",
      [2, 2, 1],
      "generic",
      "Returns the reference count of a value of a key.",
      "2.2.3",
      objectRefcountCommand,
    ),
    helpSpec("generic", "6.2.0", objectHelpCommand),
  ]),
] satisfies CommandSpec[];
