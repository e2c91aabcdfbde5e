/**
 * SCAN and the cursor/option/reply helpers the whole SCAN family shares (HSCAN, SSCAN, ZSCAN).
 * A cursor is a slot index in the iterated structure, whose entries never move while they live
 * (keyspace/db.ts), so a full iteration returns every element present throughout, exactly once:
 * Redis's guarantee, obtained here without its reverse-binary cursor.
 */

import { clock } from "../keyspace/clock.js";
import { LOOKUP_NONOTIFY, LOOKUP_NOSTATS, LOOKUP_NOTOUCH } from "../keyspace/db.js";
import { type Entry, typeOf } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { intOrReply, is } from "./args.js";
import { type CommandSpec, spec } from "./spec.js";

/** Parses a SCAN cursor (parseScanCursorOrReply): an unsigned 64-bit decimal. */
export function parseCursorOrReply(c: Client, text: string): number | null {
  // strtoul: an optional sign, then digits; "-1" wraps to 2^64-1 (past every slot here).
  const m = /^([+-]?)(\d+)$/.exec(text);
  const value = m === null ? -1n : BigInt(m[2]);
  if (m === null || value > 18446744073709551615n) {
    c.error("ERR invalid cursor");
    return null;
  }
  if (m[1] === "-" && value !== 0n) return Number.MAX_SAFE_INTEGER;
  return Number(value);
}

export interface ScanOptions {
  count: number;
  pattern: string | null;
  type: string | null;
}

/** Parses `[MATCH pattern] [COUNT count] [TYPE type]` from argv[start]; null after replying. */
export function parseScanOptions(c: Client, start: number, allowType: boolean): ScanOptions | null {
  const argv = c.argv;
  const opts: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = start; i < argv.length; i += 2) {
    const a = argv[i];
    if (i + 1 >= argv.length) {
      c.error("ERR syntax error");
      return null;
    }
    if (is(a, "count")) {
      const n = intOrReply(c, argv[i + 1]);
      if (n === null) return null;
      if (n < 1) {
        c.error("ERR syntax error");
        return null;
      }
      opts.count = n;
    } else if (is(a, "match")) {
      opts.pattern = argv[i + 1] === "*" ? null : argv[i + 1];
    } else if (is(a, "type") && allowType) {
      opts.type = argv[i + 1].toLowerCase();
    } else {
      c.error("ERR syntax error");
      return null;
    }
  }
  return opts;
}

/** Writes the `[cursor, [items...]]` reply of every SCAN family command. */
export function replyScan(c: Client, cursor: number, items: readonly string[]): void {
  c.out.arrayHeader(2);
  c.out.bulk(String(cursor));
  c.out.arrayHeader(items.length);
  for (const item of items) c.out.bulk(item);
}

/**
 * SCAN over the db's slot array: a cursor is a slot index, and entries never move while they
 * live, so every key present during the whole iteration is returned exactly once.
 */
function scanCommand(c: Client): void {
  const cursor = parseCursorOrReply(c, c.argv[1]);
  if (cursor === null) return;
  const opts = parseScanOptions(c, 2, true);
  if (opts === null) return;
  const db = c.db;
  const found: Entry[] = [];
  let slot = cursor;
  const end = db.slotCount;
  const maxVisits = opts.count * 10;
  let visits = 0;
  while (slot < end && found.length < opts.count && visits < maxVisits) {
    const entry = db.entryAt(slot);
    if (entry) found.push(entry);
    slot++;
    visits++;
  }
  const next = slot >= end ? 0 : slot;
  const keys: string[] = [];
  for (const entry of found) {
    if (opts.pattern !== null && !globMatch(opts.pattern, entry.key)) continue;
    if (opts.type !== null && typeOf(entry.value) !== opts.type) continue;
    // Expired keys are filtered (and deleted on a master) like expireIfNeeded in scanGenericCommand.
    if (entry.expireAt >= 0 && entry.expireAt < clock.ms) {
      db.lookup(entry.key, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY);
      continue;
    }
    keys.push(entry.key);
  }
  replyScan(c, next, keys);
}

export const scanCommands = [
  spec(
    "scan",
    -2,
    "readonly",
    [0, 0, 0],
    "generic",
    "Iterates over the key names in the database.",
    "2.8.0",
    scanCommand,
  ),
] satisfies CommandSpec[];
