/**
 * Small helpers shared by command families: typed lookups that reply WRONGTYPE, and the
 * notify+signal+dirty sequence every write performs (Redis repeats it in each command; here it
 * is one call so no write can forget a part).
 */

import { constants } from "node:buffer";
import type { Db } from "../keyspace/db.js";
import { type CollectionValue, type Entry, STR_ENC_RAW, type Value } from "../keyspace/value.js";
import { type Client, ClientFlag } from "../network/client.js";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

/**
 * The string at `key` for reading: the string, null when missing, or undefined after replying
 * WRONGTYPE.
 */
export function readStringOrReply(c: Client, key: string): string | null | undefined {
  const v = c.db.read(key);
  if (v === undefined) return null;
  if (typeof v !== "string") {
    c.error(WRONGTYPE);
    return undefined;
  }
  return v;
}

/** Same as readStringOrReply with write-lookup semantics (no hit/miss stats). */
export function writeStringOrReply(c: Client, key: string): string | null | undefined {
  const v = c.db.write(key);
  if (v === undefined) return null;
  if (typeof v !== "string") {
    c.error(WRONGTYPE);
    return undefined;
  }
  return v;
}

/**
 * The collection of `type` at `key`: the value, null when missing, or undefined after replying
 * WRONGTYPE. `write` selects lookupKeyWrite semantics.
 */
export function collectionOrReply<T extends CollectionValue>(
  c: Client,
  key: string,
  type: T["type"],
  write: boolean,
): T | null | undefined {
  const v: Value | undefined = write ? c.db.write(key) : c.db.read(key);
  if (v === undefined) return null;
  if (typeof v === "string" || v.type !== type) {
    c.error(WRONGTYPE);
    return undefined;
  }
  return v as T;
}

/**
 * lookupKeyWriteOrReply/lookupKeyReadOrReply + checkType: the collection of `type` at `key`, or
 * null after replying either `missing` (a pre-encoded reply such as shared.ZERO) when the key
 * does not exist, or WRONGTYPE.
 */
export function existingOrReply<T extends CollectionValue>(
  c: Client,
  key: string,
  type: T["type"],
  write: boolean,
  missing: Buffer,
): T | null {
  const v: Value | undefined = write ? c.db.write(key) : c.db.read(key);
  if (v === undefined) {
    c.out.raw(missing);
    return null;
  }
  if (typeof v === "string" || v.type !== type) {
    c.error(WRONGTYPE);
    return null;
  }
  return v as T;
}

/**
 * After a write to `key`: keyspace notification (`type` class char, `event`), WATCH/blocking
 * signal and memory re-accounting, and the dirty counter that makes call() propagate.
 */
export function modified(c: Client, db: Db, key: string, type: string, event: string, dirty = 1): void {
  const server = c.server;
  server.signalModifiedKey(db, key);
  server.notify(type, event, key, db.id);
  server.dirty += dirty;
}

/**
 * Stores a string built by a command that edits values in place in Redis (SETBIT, BITFIELD,
 * PFADD...): such values are "raw" sds strings there, whatever their length.
 */
export function storeRawString(db: Db, key: string, value: string, existed: boolean): void {
  const entry = existed ? db.peek(key)! : db.add(key, value);
  if (existed) db.overwrite(entry, value);
  entry.strEncoding = STR_ENC_RAW;
}

/** modified() for a caller that holds the key's entry (SET, MSET: no second lookup). */
export function modifiedEntry(c: Client, db: Db, entry: Entry, type: string, event: string): void {
  const server = c.server;
  server.signalModifiedEntry(db, entry);
  server.notify(type, event, entry.key, db.id);
  server.dirty++;
}

/** Deletes `key` because a write emptied its collection (Redis never keeps empty ones). */
export function deleteIfEmpty(c: Client, db: Db, key: string, value: CollectionValue): boolean {
  if (value.size() !== 0) return false;
  db.delete(key);
  c.server.notify("g", "del", key, db.id);
  return true;
}

/**
 * The longest string value we can hold: proto-max-bulk-len, like Redis, but never more than V8's
 * string limit (2^29 - 24 chars on 64-bit), which is just under Redis's 512 MB default.
 */
export function maxStringLength(c: Client): number {
  return Math.min(c.server.config.num("proto-max-bulk-len"), constants.MAX_STRING_LENGTH);
}

/** checkStringLength: replies the error and returns false when `size` is too long. */
export function checkStringLength(c: Client, size: number): boolean {
  // Our master's stream is trusted as Redis's mustObeyClient is, up to what V8 can hold.
  const limit = c.has(ClientFlag.Master) ? constants.MAX_STRING_LENGTH : maxStringLength(c);
  if (size <= limit) return true;
  c.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  return false;
}

/**
 * addReplySubcommandSyntaxError: a container's own argument check failed (Redis 7.0 keeps some
 * subcommand argument counts inside the handler, so the table's arity does not catch them).
 * The subcommand is quoted as sent, the command upper-cased.
 */
export function subcommandSyntaxError(c: Client): void {
  c.error(
    `ERR unknown subcommand or wrong number of arguments for '${c.argv[1].slice(0, 128)}'. Try ${c.argv[0].toUpperCase()} HELP.`,
  );
}

/** A HELP subcommand's reply: one status line per line of text, as addReplyHelp. */
export function helpReply(c: Client, lines: string[]): void {
  c.out.arrayHeader(lines.length);
  for (const l of lines) c.out.simple(l);
}

/** What MONITOR and SLOWLOG show in place of a secret argument (redactClientCommandArgument). */
export const REDACTED = "(redacted)";
