/**
 * Pieces every stream command family shares (t_stream.c): typed lookups, ID arguments with
 * Redis's error texts, and the reply of one entry ([id, [field, value, ...]]).
 *
 * Callers: commands/streams.ts, stream-read.ts, stream-groups.ts, stream-info.ts.
 */

import { ReplyWriter } from "@keyhaven/protocol";
import { StreamObject } from "../keyspace/types/stream.js";
import type { StreamCursor } from "../keyspace/types/stream-cursor.js";
import type { StreamGroup } from "../keyspace/types/stream-groups.js";
import {
  formatId,
  ID_INVALID,
  PARSE_FAIL,
  PARSE_SEQ_STAR,
  parseId,
  type StreamId,
  type U64,
  U64_MAX,
} from "../keyspace/types/stream-id.js";
import { type Client, ClientFlag } from "../network/client.js";
import { WRONGTYPE } from "./common.js";

/**
 * The stream at `key`: the stream, null when missing, or undefined after replying WRONGTYPE.
 * `write` selects lookupKeyWrite semantics.
 */
export function streamOrReply(c: Client, key: string, write: boolean): StreamObject | null | undefined {
  const v = write ? c.db.write(key) : c.db.read(key);
  if (v === undefined) return null;
  if (!(v instanceof StreamObject)) {
    c.error(WRONGTYPE);
    return undefined;
  }
  return v;
}

/** streamParseIDOrReply / streamParseStrictIDOrReply: false after replying the error. */
export function idOrReply(c: Client, arg: string, out: StreamId, missingSeq: U64, strict: boolean): boolean {
  if (parseId(arg, out, missingSeq, strict) === PARSE_FAIL) {
    c.error(ID_INVALID);
    return false;
  }
  return true;
}

/** XADD's ID: strict, with the `ms-*` form. Returns PARSE_* (PARSE_FAIL after replying). */
export function addIdOrReply(c: Client, arg: string, out: StreamId): number {
  const r = parseId(arg, out, 0, true, true);
  if (r === PARSE_FAIL) c.error(ID_INVALID);
  return r;
}

export { PARSE_SEQ_STAR };

/**
 * streamParseIntervalIDOrReply: a range bound where `(` makes it exclusive (then strict). Returns
 * 0 for an inclusive bound, 1 for an exclusive one, -1 after replying.
 */
export function intervalIdOrReply(c: Client, arg: string, out: StreamId, missingSeq: U64): number {
  const exclusive = arg.length > 1 && arg.charCodeAt(0) === 40;
  const text = exclusive ? arg.slice(1) : arg;
  if (parseId(text, out, missingSeq, exclusive) === PARSE_FAIL) {
    c.error(ID_INVALID);
    return -1;
  }
  return exclusive ? 1 : 0;
}

/** The start of a range, `(` handled: false after replying. */
export function rangeStartOrReply(c: Client, arg: string, out: StreamId): boolean {
  const ex = intervalIdOrReply(c, arg, out, 0);
  if (ex < 0) return false;
  if (ex === 1 && !out.incr()) {
    c.error("ERR invalid start ID for the interval");
    return false;
  }
  return true;
}

/** The end of a range, `(` handled (a missing seq means the whole millisecond): false after replying. */
export function rangeEndOrReply(c: Client, arg: string, out: StreamId): boolean {
  const ex = intervalIdOrReply(c, arg, out, U64_MAX);
  if (ex < 0) return false;
  if (ex === 1 && !out.decr()) {
    c.error("ERR invalid end ID for the interval");
    return false;
  }
  return true;
}

/** Writes the entry under the cursor: [id, [field, value, ...]]. */
export function replyEntry(c: Client, cur: StreamCursor): void {
  const out = c.out;
  const items = cur.items;
  out.arrayHeader(2);
  out.bulk(formatId(cur.ms, cur.seq));
  out.arrayHeader(items.length);
  for (let i = 0; i < items.length; i++) out.bulk(items[i]);
}

/** mustObeyClient: our master and the AOF loader are obeyed without limits. */
export function mustObey(c: Client): boolean {
  return (c.flags & (ClientFlag.Master | ClientFlag.Fake)) !== 0;
}

/** The `-NOGROUP No such key '<key>' or consumer group '<group>'` family of errors. */
export function noGroupError(c: Client, key: string, group: string, suffix = ""): void {
  c.error(`NOGROUP No such key '${key}' or consumer group '${group}'${suffix}`);
}

/** The group at `name` of the stream at `key` for group commands, or null after replying NOGROUP. */
export function groupOrReply(
  c: Client,
  key: string,
  name: string,
  write: boolean,
): { stream: StreamObject; group: StreamGroup } | null {
  const s = streamOrReply(c, key, write);
  if (s === undefined) return null;
  const group = s?.group(name);
  if (s === null || group === undefined) {
    noGroupError(c, key, name);
    return null;
  }
  return { stream: s, group };
}

const partOut = new ReplyWriter(1024);

/**
 * Replies an array whose length is known only after its elements are written (Redis's deferred
 * length): `body` writes into a side buffer and returns the element count.
 */
export function deferredArray(c: Client, body: () => number): void {
  const real = c.out;
  partOut.resp = real.resp;
  c.out = partOut;
  let n: number;
  try {
    n = body();
  } finally {
    c.out = real;
  }
  real.arrayHeader(n);
  const parts = partOut.take();
  if (Array.isArray(parts)) for (const p of parts) real.raw(p);
  else if (parts !== null) real.raw(parts);
}

/** Keeps used_memory in step after a change Redis does not signal as a key modification. */
export function syncMemory(c: Client, key: string): void {
  const entry = c.db.peek(key);
  if (entry !== undefined) c.db.syncMemory(entry);
}
