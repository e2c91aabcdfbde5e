/**
 * XREAD and XREADGROUP (t_stream.c xreadCommand, blocked.c serveClientsBlockedOnStreamKey), and
 * the group delivery they share with nothing else (streamReplyWithRange with a group,
 * streamReplyWithRangeFromConsumerPEL).
 *
 * Serving: each stream with something to give contributes [key, entries] (a map entry in RESP3).
 * A group read of `>` delivers entries after the group's last-delivered ID, moves that ID, and
 * (unless NOACK) creates or reassigns a pending entry per delivered ID; a read of any other ID
 * replays the consumer's own pending entries (history), refreshing their delivery time and count.
 *
 * Blocking: with BLOCK and nothing to serve, the client blocks on the keys through
 * exec/blocking.ts, with `$` resolved to the stream's last ID in the argv it keeps (so the wait is
 * for entries after the ID current at block time). When a key is signalled ready (XADD, XGROUP
 * DESTROY, deletion or type change), this handler runs again in reprocessing mode and, like
 * serveClientsBlockedOnStreamKey, looks at that one key only: it serves it when its last ID is
 * past the wanted one, answers `-NOGROUP ...` if the group is gone and, for XREADGROUP,
 * `-UNBLOCKED the stream key no longer exists` when the key was deleted or is no longer a
 * stream; otherwise it keeps waiting. A blocked read without COUNT is served at most 1000
 * entries (XREAD_BLOCKED_DEFAULT_COUNT). Timeouts reply a null array.
 *
 * Propagation (the command itself never is): every NACK created or moved by XREADGROUP goes out
 * as `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last`
 * (streamPropagateXCLAIM); with NOACK the group's new last ID goes out as
 * `XGROUP SETID key group last ENTRIESREAD n` and a consumer it created as
 * `XGROUP CREATECONSUMER key group consumer`.
 */

import { ReplyWriter } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import type { StreamObject } from "../keyspace/types/stream.js";
import { StreamCursor } from "../keyspace/types/stream-cursor.js";
import { type StreamConsumer, type StreamGroup, StreamNack } from "../keyspace/types/stream-groups.js";
import {
  compareIds,
  formatId,
  ID_INVALID,
  PARSE_FAIL,
  parseId,
  StreamId,
  U64_MAX,
} from "../keyspace/types/stream-id.js";
import { type Client, ClientFlag } from "../network/client.js";
import { intOrReply, is, parseInteger } from "./args.js";
import { WRONGTYPE } from "./common.js";
import { type CommandSpec, spec } from "./spec.js";
import { replyEntry } from "./stream-common.js";

/** XREAD_BLOCKED_DEFAULT_COUNT. */
const BLOCKED_DEFAULT_COUNT = 1000;

const cursor = new StreamCursor();
const scratch = new StreamId();
/** Where the parts of a multi-stream reply are built before their count is known. */
const partOut = new ReplyWriter(1024);

function replyNullArray(c: Client): void {
  c.out.nullArray();
}

/** streamPropagateXCLAIM. */
export function propagateXclaim(
  c: Client,
  key: string,
  group: StreamGroup,
  groupName: string,
  id: string,
  nack: StreamNack,
): void {
  c.server.propagator.alsoPropagate(c.db.id, [
    "XCLAIM",
    key,
    groupName,
    nack.consumer!.name,
    "0",
    id,
    "TIME",
    String(nack.deliveryTime),
    "RETRYCOUNT",
    String(nack.deliveryCount),
    "FORCE",
    "JUSTID",
    "LASTID",
    formatId(group.lastMs, group.lastSeq),
  ]);
}

/** streamPropagateGroupID. */
export function propagateGroupId(c: Client, key: string, group: StreamGroup, groupName: string): void {
  c.server.propagator.alsoPropagate(c.db.id, [
    "XGROUP",
    "SETID",
    key,
    groupName,
    formatId(group.lastMs, group.lastSeq),
    "ENTRIESREAD",
    String(group.entriesRead),
  ]);
}

/** streamPropagateConsumerCreation. */
function propagateConsumerCreation(c: Client, key: string, groupName: string, consumer: string): void {
  c.server.propagator.alsoPropagate(c.db.id, ["XGROUP", "CREATECONSUMER", key, groupName, consumer]);
}

/**
 * streamLookupConsumer (refreshing seen-time) or streamCreateConsumer (which notifies
 * xgroup-createconsumer and counts as a change).
 */
export function lookupOrCreateConsumer(
  c: Client,
  s: StreamObject,
  group: StreamGroup,
  name: string,
  key: string,
): { consumer: StreamConsumer; created: boolean } {
  const now = clock.ms;
  const existing = group.consumer(name);
  if (existing !== undefined) {
    existing.seenTime = now;
    return { consumer: existing, created: false };
  }
  const consumer = group.createConsumer(name, now)!;
  c.server.dirty++;
  c.server.notify("t", "xgroup-createconsumer", key, c.db.id);
  s.recountGroups();
  return { consumer, created: true };
}

/**
 * streamReplyWithRange for a group reading new entries (from `start`, at most `count`, 0 = all):
 * writes the entries array, updates the group and PELs, propagates. Returns the entries served.
 */
function deliverNew(
  c: Client,
  s: StreamObject,
  start: StreamId,
  count: number,
  group: StreamGroup,
  consumer: StreamConsumer,
  noack: boolean,
  key: string,
  groupName: string,
): number {
  const cur = cursor;
  cur.seek(s, start.ms, start.seq, U64_MAX, U64_MAX, false);
  let n = 0;
  while ((count === 0 || n < count) && cur.next()) n++;
  c.out.arrayHeader(n);
  if (n === 0) return 0;
  cur.seek(s, start.ms, start.seq, U64_MAX, U64_MAX, false);
  const now = clock.ms;
  let propagateLastId = false;
  for (let i = 0; i < n && cur.next(); i++) {
    const ms = cur.ms;
    const seq = cur.seq;
    if (s.advanceGroup(group, ms, seq) && noack) propagateLastId = true;
    replyEntry(c, cur);
    if (noack) continue;
    let nack = group.pel.find(ms, seq);
    if (nack === undefined) {
      nack = new StreamNack(ms, seq, now, consumer);
      group.pel.insert(nack);
      consumer.pel.insert(nack);
    } else {
      nack.consumer?.pel.remove(ms, seq);
      nack.consumer = consumer;
      nack.deliveryTime = now;
      nack.deliveryCount = 1;
      consumer.pel.insert(nack);
    }
    propagateXclaim(c, key, group, groupName, formatId(ms, seq), nack);
  }
  if (propagateLastId) propagateGroupId(c, key, group, groupName);
  if (!noack) s.recountGroups();
  return n;
}

/** streamReplyWithRangeFromConsumerPEL: the consumer's pending entries from `start`. */
function deliverHistory(
  c: Client,
  s: StreamObject,
  start: StreamId,
  count: number,
  consumer: StreamConsumer,
): void {
  const pel = consumer.pel.items;
  const from = consumer.pel.lowerBound(start.ms, start.seq);
  const n = count === 0 ? pel.length - from : Math.min(count, pel.length - from);
  const out = c.out;
  out.arrayHeader(n);
  const now = clock.ms;
  for (let i = from; i < from + n; i++) {
    const nack = pel[i];
    if (s.findEntry(nack.ms, nack.seq, cursor)) {
      replyEntry(c, cursor);
      nack.deliveryTime = now;
      nack.deliveryCount++;
    } else {
      out.arrayHeader(2);
      out.bulk(formatId(nack.ms, nack.seq));
      out.nullArray();
    }
  }
}

interface ReadArgs {
  count: number;
  /** -1: no BLOCK; 0: forever; else the absolute deadline. */
  deadline: number;
  streamsArg: number;
  streamsCount: number;
  noack: boolean;
  groupName: string | null;
  consumerName: string;
}

/** The options part of xreadCommand; null after replying. */
function parseReadArgs(c: Client, xreadgroup: boolean): ReadArgs | null {
  const argv = c.argv;
  const argc = argv.length;
  const a: ReadArgs = {
    count: 0,
    deadline: -1,
    streamsArg: 0,
    streamsCount: 0,
    noack: false,
    groupName: null,
    consumerName: "",
  };
  for (let i = 1; i < argc; i++) {
    const more = argc - i - 1;
    const o = argv[i];
    if (is(o, "block") && more > 0) {
      // A script may not block; Redis refuses the option itself there, before its value.
      if ((c.flags & ClientFlag.Script) !== 0) {
        c.error(`ERR ${argv[0]} command is not allowed with BLOCK option from scripts`);
        return null;
      }
      i++;
      const ms = parseInteger(argv[i]);
      if (ms === null) {
        c.error("ERR timeout is not an integer or out of range");
        return null;
      }
      if (ms < 0) {
        c.error("ERR timeout is negative");
        return null;
      }
      a.deadline = ms === 0 ? 0 : clock.ms + ms;
      if (a.deadline > Number.MAX_SAFE_INTEGER) {
        c.error("ERR timeout is out of range");
        return null;
      }
    } else if (is(o, "count") && more > 0) {
      i++;
      const n = intOrReply(c, argv[i]);
      if (n === null) return null;
      a.count = Math.max(0, n);
    } else if (is(o, "streams") && more > 0) {
      a.streamsArg = i + 1;
      const n = argc - a.streamsArg;
      if (n % 2 !== 0) {
        c.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
        return null;
      }
      a.streamsCount = n / 2;
      break;
    } else if (is(o, "group") && more >= 2) {
      if (!xreadgroup) {
        c.error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return null;
      }
      a.groupName = argv[i + 1];
      a.consumerName = argv[i + 2];
      i += 2;
    } else if (is(o, "noack")) {
      if (!xreadgroup) {
        c.error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return null;
      }
      a.noack = true;
    } else {
      c.error("ERR syntax error");
      return null;
    }
  }
  if (a.streamsArg === 0) {
    c.error("ERR syntax error");
    return null;
  }
  if (xreadgroup && a.groupName === null) {
    c.error("ERR Missing GROUP option for XREADGROUP");
    return null;
  }
  return a;
}

/** The stream for a read: the stream, null when missing, undefined after WRONGTYPE. */
function readStream(c: Client, key: string): StreamObject | null | undefined {
  const v = c.db.read(key);
  if (v === undefined) return null;
  if (typeof v === "string" || v.type !== "stream") {
    c.error(WRONGTYPE);
    return undefined;
  }
  return v as StreamObject;
}

function xreadGeneric(c: Client, xreadgroup: boolean): void {
  const a = parseReadArgs(c, xreadgroup);
  if (a === null) return;
  if (c.has(ClientFlag.Blocked)) {
    serveBlocked(c, a);
    return;
  }
  // The command reaches replicas and the AOF only through what it propagates itself.
  c.preventPropagation = true;
  const argv = c.argv;
  const n = a.streamsCount;
  const first = a.streamsArg;
  const ids: StreamId[] = new Array(n);
  const groups: (StreamGroup | null)[] = new Array(n);
  let dollar = false;
  for (let i = 0; i < n; i++) {
    const key = argv[first + i];
    const idArg = argv[first + n + i];
    const s = readStream(c, key);
    if (s === undefined) return;
    groups[i] = null;
    if (a.groupName !== null) {
      const g = s?.group(a.groupName);
      if (s === null || g === undefined) {
        c.error(
          `NOGROUP No such key '${key}' or consumer group '${a.groupName}' in XREADGROUP with GROUP option`,
        );
        return;
      }
      groups[i] = g;
    }
    const id = new StreamId();
    ids[i] = id;
    if (idArg === "$") {
      if (xreadgroup) {
        c.error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
        return;
      }
      if (s !== null) id.set(s.lastMs, s.lastSeq);
      dollar = true;
      continue;
    }
    if (idArg === ">") {
      if (!xreadgroup) {
        c.error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
        return;
      }
      id.set(U64_MAX, U64_MAX);
      continue;
    }
    if (parseId(idArg, id, 0, true) === PARSE_FAIL) {
      c.error(ID_INVALID);
      return;
    }
  }
  // Which streams have something: decided up front so the reply's length comes first. A key
  // named twice is decided after the first one was served, through a separate buffer.
  let repeated = false;
  for (let i = 1; i < n && !repeated; i++) {
    for (let j = 0; j < i; j++) {
      if (argv[first + i] === argv[first + j]) {
        repeated = true;
        break;
      }
    }
  }
  const realOut = c.out;
  let served = 0;
  if (repeated) {
    partOut.resp = realOut.resp;
    c.out = partOut;
    try {
      for (let i = 0; i < n; i++) if (serveOne(c, a, i, ids[i], groups[i], true)) served++;
    } finally {
      c.out = realOut;
    }
    if (served > 0) {
      if (realOut.resp === 2) realOut.arrayHeader(served);
      else realOut.mapHeader(served);
      const parts = partOut.take();
      if (Array.isArray(parts)) for (const p of parts) realOut.raw(p);
      else if (parts !== null) realOut.raw(parts);
    }
  } else {
    for (let i = 0; i < n; i++) if (serveOne(c, a, i, ids[i], groups[i], false)) served++;
    if (served > 0) {
      if (realOut.resp === 2) realOut.arrayHeader(served);
      else realOut.mapHeader(served);
      for (let i = 0; i < n; i++) serveOne(c, a, i, ids[i], groups[i], true);
    }
  }
  if (served > 0) return;
  if (a.deadline === -1) {
    c.out.nullArray();
    return;
  }
  const blocking = c.server.blocking;
  if (!blocking.canBlock(c)) {
    c.out.nullArray();
    return;
  }
  let blockArgv = argv;
  if (dollar) {
    // The wait is for entries after the last ID as it is now.
    blockArgv = argv.slice();
    for (let i = 0; i < n; i++) if (argv[first + n + i] === "$") blockArgv[first + n + i] = ids[i].toString();
  }
  c.argv = blockArgv;
  blocking.blockForKeys(
    c,
    argv.slice(first, first + n),
    a.deadline === 0 ? 0 : a.deadline,
    replyNullArray,
    xreadgroup,
  );
}

/**
 * One stream of a synchronous read. With `write` false, only says whether it would be served;
 * with `write` true, serves it (when it has something) and says whether it did.
 */
function serveOne(
  c: Client,
  a: ReadArgs,
  i: number,
  gt: StreamId,
  group: StreamGroup | null,
  write: boolean,
): boolean {
  const argv = c.argv;
  const key = argv[a.streamsArg + i];
  const v = c.db.read(key);
  if (v === undefined || typeof v === "string" || v.type !== "stream") return false;
  const s = v as StreamObject;
  let history = false;
  const start = scratch;
  if (group !== null) {
    if (!gt.isMax()) {
      history = true;
      start.set(gt.ms, gt.seq);
    } else {
      if (s.length === 0) return false;
      s.lastValidId(start);
      if (compareIds(start.ms, start.seq, group.lastMs, group.lastSeq) <= 0) return false;
      start.set(group.lastMs, group.lastSeq);
    }
  } else {
    if (s.length === 0) return false;
    s.lastValidId(start);
    if (compareIds(start.ms, start.seq, gt.ms, gt.seq) <= 0) return false;
    start.set(gt.ms, gt.seq);
  }
  if (!write) return true;
  start.incr();
  const out = c.out;
  if (out.resp === 2) out.arrayHeader(2);
  out.bulk(key);
  if (group === null) {
    replyNew(c, s, start, a.count);
    return true;
  }
  const groupName = a.groupName!;
  const { consumer, created } = lookupOrCreateConsumer(c, s, group, a.consumerName, key);
  if (created && a.noack) propagateConsumerCreation(c, key, groupName, consumer.name);
  if (history) deliverHistory(c, s, start, a.count, consumer);
  else deliverNew(c, s, start, a.count, group, consumer, a.noack, key, groupName);
  c.server.dirty++;
  return true;
}

/** Entries from `start` to the end, at most `count` (0 = all), without a group. */
function replyNew(c: Client, s: StreamObject, start: StreamId, count: number): void {
  const cur = cursor;
  cur.seek(s, start.ms, start.seq, U64_MAX, U64_MAX, false);
  let n = 0;
  while ((count === 0 || n < count) && cur.next()) n++;
  c.out.arrayHeader(n);
  cur.seek(s, start.ms, start.seq, U64_MAX, U64_MAX, false);
  for (let k = 0; k < n && cur.next(); k++) replyEntry(c, cur);
}

/** serveClientsBlockedOnStreamKey for this client and the key that became ready. */
function serveBlocked(c: Client, a: ReadArgs): void {
  c.preventPropagation = true;
  const blocking = c.server.blocking;
  const argv = c.argv;
  const n = a.streamsCount;
  const first = a.streamsArg;
  const key = blocking.servingKey;
  let i = -1;
  for (let k = 0; k < n; k++) {
    if (argv[first + k] === key) {
      i = k;
      break;
    }
  }
  const keep = () => blocking.blockForKeys(c, [], 0, replyNullArray);
  if (i < 0 || key === null) {
    keep();
    return;
  }
  const v = c.db.read(key);
  const isStream = v !== undefined && typeof v !== "string" && v.type === "stream";
  if (!isStream) {
    if (a.groupName !== null) c.error("UNBLOCKED the stream key no longer exists");
    else keep();
    return;
  }
  const s = v as StreamObject;
  const gt = scratch;
  let group: StreamGroup | undefined;
  if (a.groupName !== null) {
    group = s.group(a.groupName);
    if (group === undefined) {
      c.error("NOGROUP the consumer group this client was blocked on no longer exists");
      return;
    }
    gt.set(group.lastMs, group.lastSeq);
  } else if (parseId(argv[first + n + i], gt, 0, true) === PARSE_FAIL) {
    keep();
    return;
  }
  if (compareIds(s.lastMs, s.lastSeq, gt.ms, gt.seq) <= 0) {
    keep();
    return;
  }
  const start = new StreamId().set(gt.ms, gt.seq);
  start.incr();
  const count = a.count === 0 ? BLOCKED_DEFAULT_COUNT : a.count;
  const out = c.out;
  if (out.resp === 2) {
    out.arrayHeader(1);
    out.arrayHeader(2);
  } else {
    out.mapHeader(1);
  }
  out.bulk(key);
  if (group === undefined) {
    replyNew(c, s, start, count);
    return;
  }
  const { consumer, created } = lookupOrCreateConsumer(c, s, group, a.consumerName, key);
  if (created && a.noack) propagateConsumerCreation(c, key, a.groupName!, consumer.name);
  deliverNew(c, s, start, count, group, consumer, a.noack, key, a.groupName!);
}

/** The keys of XREAD/XREADGROUP: the first half of what follows STREAMS (xreadGetKeys). */
function xreadKeys(argv: readonly string[]): number[] {
  for (let i = 1; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === "streams") {
      const n = argv.length - i - 1;
      if (n % 2 !== 0) return [];
      const keys: number[] = [];
      for (let k = i + 1; k < i + 1 + n / 2; k++) keys.push(k);
      return keys;
    }
    if (o === "block" || o === "count") i++;
    else if (o === "group") i += 2;
  }
  return [];
}

export const streamReadCommands = [
  spec(
    "xread",
    -4,
    "readonly blocking",
    [0, 0, 0],
    "stream",
    "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.",
    "5.0.0",
    (c) => xreadGeneric(c, false),
    { getKeys: xreadKeys },
  ),
  spec(
    "xreadgroup",
    -7,
    "write blocking",
    [0, 0, 0],
    "stream",
    "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.",
    "5.0.0",
    (c) => xreadGeneric(c, true),
    { getKeys: xreadKeys },
  ),
] satisfies CommandSpec[];
