/**
 * XCLAIM and XAUTOCLAIM (t_stream.c xclaimCommand, xautoclaimCommand): moving pending entries
 * between consumers of a group. Neither propagates itself: each NACK moved, or dropped because
 * its entry was deleted, goes out as the idempotent `XCLAIM key group consumer 0 id TIME t
 * RETRYCOUNT n FORCE JUSTID LASTID last` (with the NACK's owner: for a dropped one, the old
 * owner, so that the replica drops it too), and an XCLAIM LASTID that only moved the group's ID
 * as `XGROUP SETID key group id ENTRIESREAD n`, exactly as Redis 7.0 propagates them.
 */

import { ReplyWriter } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { StreamCursor } from "../keyspace/types/stream-cursor.js";
import { StreamNack } from "../keyspace/types/stream-groups.js";
import { compareIds, formatId, PARSE_FAIL, parseId, StreamId } from "../keyspace/types/stream-id.js";
import type { Client } from "../network/client.js";
import { intOrReply, is, parseInteger } from "./args.js";
import { type CommandSpec, spec } from "./spec.js";
import {
  deferredArray,
  groupOrReply,
  idOrReply,
  rangeStartOrReply,
  replyEntry,
  syncMemory,
} from "./stream-common.js";
import { lookupOrCreateConsumer, propagateGroupId, propagateXclaim } from "./stream-read.js";

const cursor = new StreamCursor();
const partOut = new ReplyWriter(1024);

function xclaimCommand(c: Client): void {
  const argv = c.argv;
  const key = argv[1];
  const groupName = argv[2];
  const found = groupOrReply(c, key, groupName, false);
  if (found === null) return;
  const { stream: s, group } = found;
  let minIdle = intOrReply(c, argv[4], "ERR Invalid min-idle-time argument for XCLAIM");
  if (minIdle === null) return;
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = new StreamId();
    if (parseId(argv[j], id, 0, true) === PARSE_FAIL) break;
    ids.push(id);
  }
  const now = clock.ms;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  const lastId = new StreamId();
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j];
    if (is(opt, "force")) force = true;
    else if (is(opt, "justid")) justId = true;
    else if (is(opt, "idle") && more > 0) {
      const n = intOrReply(c, argv[++j], "ERR Invalid IDLE option argument for XCLAIM");
      if (n === null) return;
      deliveryTime = now - n;
    } else if (is(opt, "time") && more > 0) {
      const n = intOrReply(c, argv[++j], "ERR Invalid TIME option argument for XCLAIM");
      if (n === null) return;
      deliveryTime = n;
    } else if (is(opt, "retrycount") && more > 0) {
      const n = intOrReply(c, argv[++j], "ERR Invalid RETRYCOUNT option argument for XCLAIM");
      if (n === null) return;
      retryCount = n;
    } else if (is(opt, "lastid") && more > 0) {
      if (!idOrReply(c, argv[++j], lastId, 0, true)) return;
    } else {
      c.error(`ERR Unrecognized XCLAIM option '${opt}'`);
      return;
    }
  }
  c.preventPropagation = true;
  const server = c.server;
  let propagateLastId = false;
  if (compareIds(lastId.ms, lastId.seq, group.lastMs, group.lastSeq) > 0) {
    group.lastMs = lastId.ms;
    group.lastSeq = lastId.seq;
    propagateLastId = true;
  }
  if (deliveryTime !== -1) {
    // A bogus time (negative, or in the future) becomes now rather than an error.
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else {
    deliveryTime = now;
  }
  deferredArray(c, () => {
    let claimed = 0;
    let consumer = null as ReturnType<typeof lookupOrCreateConsumer>["consumer"] | null;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const idArg = argv[5 + k];
      let nack = group.pel.find(id.ms, id.seq);
      if (!s.findEntry(id.ms, id.seq, cursor)) {
        if (nack !== undefined) {
          propagateXclaim(c, key, group, groupName, idArg, nack);
          propagateLastId = false;
          server.dirty++;
          group.ack(id.ms, id.seq);
        }
        continue;
      }
      if (force && nack === undefined) {
        nack = new StreamNack(id.ms, id.seq, now, null);
        group.pel.insert(nack);
      }
      if (nack === undefined) continue;
      if (nack.consumer !== null && minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
      if (consumer === null) consumer = lookupOrCreateConsumer(c, s, group, argv[3], key).consumer;
      if (nack.consumer !== consumer) nack.consumer?.pel.remove(id.ms, id.seq);
      nack.deliveryTime = deliveryTime;
      if (retryCount >= 0) nack.deliveryCount = retryCount;
      else if (!justId) nack.deliveryCount++;
      if (nack.consumer !== consumer) {
        consumer.pel.insert(nack);
        nack.consumer = consumer;
      }
      if (justId) c.out.bulk(formatId(id.ms, id.seq));
      else replyEntry(c, cursor);
      claimed++;
      propagateXclaim(c, key, group, groupName, idArg, nack);
      propagateLastId = false;
      server.dirty++;
    }
    return claimed;
  });
  if (propagateLastId) {
    propagateGroupId(c, key, group, groupName);
    server.dirty++;
  }
  s.recountGroups();
  syncMemory(c, key);
}

// ---- XAUTOCLAIM ---------------------------------------------------------------------------

/**
 * XAUTOCLAIM's COUNT limit: Redis scans up to COUNT*10 entries and allocates COUNT ids, so it
 * refuses counts whose product would overflow a long (LONG_MAX / max(sizeof(streamID), 10)).
 */
const XAUTOCLAIM_MAX_COUNT = Number((2n ** 63n - 1n) / 16n);

function xautoclaimCommand(c: Client): void {
  const argv = c.argv;
  let minIdle = intOrReply(c, argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM");
  if (minIdle === null) return;
  if (minIdle < 0) minIdle = 0;
  const start = new StreamId();
  if (!rangeStartOrReply(c, argv[5], start)) return;
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (is(argv[j], "count") && more > 0) {
      const n = parseInteger(argv[j + 1]);
      if (n === null || n < 1 || n > XAUTOCLAIM_MAX_COUNT) {
        c.error("ERR COUNT must be > 0");
        return;
      }
      count = n;
      j++;
    } else if (is(argv[j], "justid")) {
      justId = true;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  const key = argv[1];
  const groupName = argv[2];
  const found = groupOrReply(c, key, groupName, false);
  if (found === null) return;
  const { stream: s, group } = found;
  c.preventPropagation = true;
  const server = c.server;
  const now = clock.ms;
  let attempts = count * 10;
  const pel = group.pel;
  let pos = pel.lowerBound(start.ms, start.seq);
  const deleted: string[] = [];
  const out = c.out;
  out.arrayHeader(3);
  let nextId = "0-0";
  // The cursor goes first in the reply but is known last: the claimed entries go to a side
  // buffer meanwhile.
  const real = out;
  partOut.resp = real.resp;
  c.out = partOut;
  let claimed = 0;
  try {
    let consumer = null as ReturnType<typeof lookupOrCreateConsumer>["consumer"] | null;
    while (attempts-- > 0 && count > 0 && pos < pel.items.length) {
      const nack = pel.items[pos];
      const ms = nack.ms;
      const seq = nack.seq;
      if (!s.findEntry(ms, seq, cursor)) {
        propagateXclaim(c, key, group, groupName, formatId(ms, seq), nack);
        server.dirty++;
        group.ack(ms, seq);
        deleted.push(formatId(ms, seq));
        count--;
        continue;
      }
      pos++;
      if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
      if (consumer === null) consumer = lookupOrCreateConsumer(c, s, group, argv[3], key).consumer;
      if (nack.consumer !== consumer) nack.consumer?.pel.remove(ms, seq);
      nack.deliveryTime = now;
      if (!justId) nack.deliveryCount++;
      if (nack.consumer !== consumer) {
        consumer.pel.insert(nack);
        nack.consumer = consumer;
      }
      if (justId) c.out.bulk(formatId(ms, seq));
      else replyEntry(c, cursor);
      claimed++;
      count--;
      propagateXclaim(c, key, group, groupName, formatId(ms, seq), nack);
      server.dirty++;
    }
    if (pos < pel.items.length) nextId = formatId(pel.items[pos].ms, pel.items[pos].seq);
  } finally {
    c.out = real;
  }
  real.bulk(nextId);
  real.arrayHeader(claimed);
  const parts = partOut.take();
  if (Array.isArray(parts)) for (const p of parts) real.raw(p);
  else if (parts !== null) real.raw(parts);
  real.arrayHeader(deleted.length);
  for (const id of deleted) real.bulk(id);
  s.recountGroups();
  syncMemory(c, key);
}

export const streamClaimCommands = [
  spec(
    "xclaim",
    -6,
    "write fast",
    [1, 1, 1],
    "stream",
    "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.",
    "5.0.0",
    xclaimCommand,
  ),
  spec(
    "xautoclaim",
    -6,
    "write fast",
    [1, 1, 1],
    "stream",
    "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.",
    "6.2.0",
    xautoclaimCommand,
  ),
] satisfies CommandSpec[];
