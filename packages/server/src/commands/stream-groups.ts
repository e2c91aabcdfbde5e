/**
 * Consumer-group commands (t_stream.c): XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER/
 * HELP, XACK and XPENDING (XCLAIM and XAUTOCLAIM are in stream-claim.ts).
 *
 * XGROUP and XACK propagate as sent. XCLAIM and XAUTOCLAIM never propagate themselves: each NACK
 * they move (or drop because its entry is gone) goes out as the idempotent XCLAIM ... FORCE
 * JUSTID LASTID form, and an XCLAIM LASTID that only moved the group's ID as XGROUP SETID
 * (streamPropagateXCLAIM / streamPropagateGroupID), exactly as Redis 7.0 does.
 *
 * Like Redis, these commands do not signal the key as modified (no WATCH invalidation), except
 * XGROUP CREATE ... MKSTREAM creating the stream; XGROUP DESTROY wakes blocked XREADGROUP clients
 * so that they learn their group is gone.
 */

import { shared } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { StreamObject } from "../keyspace/types/stream.js";
import { ENTRIES_READ_INVALID, StreamGroup, type StreamNack } from "../keyspace/types/stream-groups.js";
import { compareIds, formatId, StreamId } from "../keyspace/types/stream-id.js";
import type { Client } from "../network/client.js";
import { intOrReply, is } from "./args.js";
import { helpReply, subcommandSyntaxError } from "./common.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";
import { idOrReply, rangeEndOrReply, rangeStartOrReply, streamOrReply, syncMemory } from "./stream-common.js";

const scratch = new StreamId();

// ---- XGROUP -------------------------------------------------------------------------------

interface GroupArgs {
  stream: StreamObject | null;
  group: StreamGroup | undefined;
  mkstream: boolean;
  entriesRead: number;
}

/** The common front of xgroupCommand for every subcommand but HELP; null after replying. */
function xgroupFront(c: Client): GroupArgs | null {
  const argv = c.argv;
  const sub = argv[1].toLowerCase();
  const create = sub === "create";
  const setid = sub === "setid";
  const a: GroupArgs = { stream: null, group: undefined, mkstream: false, entriesRead: ENTRIES_READ_INVALID };
  for (let i = 5; i < argv.length; ) {
    if (create && is(argv[i], "mkstream")) {
      a.mkstream = true;
      i++;
    } else if ((create || setid) && is(argv[i], "entriesread") && i + 1 < argv.length) {
      const n = intOrReply(c, argv[i + 1]);
      if (n === null) return null;
      if (n < 0 && n !== ENTRIES_READ_INVALID) {
        c.error("ERR value for ENTRIESREAD must be positive or -1");
        return null;
      }
      a.entriesRead = n;
      i += 2;
    } else {
      subcommandSyntaxError(c);
      return null;
    }
  }
  const s = streamOrReply(c, argv[2], true);
  if (s === undefined) return null;
  a.stream = s;
  if (!a.mkstream) {
    if (s === null) {
      c.error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
      return null;
    }
    a.group = s.group(argv[3]);
    if (a.group === undefined && (setid || sub === "createconsumer" || sub === "delconsumer")) {
      c.error(`NOGROUP No such consumer group '${argv[3]}' for key name '${argv[2]}'`);
      return null;
    }
  }
  return a;
}

function xgroupCreateCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 8) {
    subcommandSyntaxError(c);
    return;
  }
  const a = xgroupFront(c);
  if (a === null) return;
  const key = argv[2];
  let s = a.stream;
  const id = scratch;
  if (argv[4] === "$") {
    if (s !== null) id.set(s.lastMs, s.lastSeq);
    else id.set(0, 0);
  } else if (!idOrReply(c, argv[4], id, 0, true)) {
    return;
  }
  if (s === null) {
    s = new StreamObject();
    c.db.add(key, s);
    c.server.signalModifiedKey(c.db, key);
  }
  if (!s.addGroup(new StreamGroup(argv[3], id.ms, id.seq, a.entriesRead))) {
    c.error("BUSYGROUP Consumer Group name already exists");
    return;
  }
  c.out.raw(shared.OK);
  c.server.dirty++;
  c.server.notify("t", "xgroup-create", key, c.db.id);
  syncMemory(c, key);
}

function xgroupSetidCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length !== 5 && argv.length !== 7) {
    subcommandSyntaxError(c);
    return;
  }
  const a = xgroupFront(c);
  if (a === null) return;
  const s = a.stream!;
  const group = a.group!;
  const id = scratch;
  if (argv[4] === "$") id.set(s.lastMs, s.lastSeq);
  else if (!idOrReply(c, argv[4], id, 0, false)) return;
  group.lastMs = id.ms;
  group.lastSeq = id.seq;
  group.entriesRead = a.entriesRead;
  c.out.raw(shared.OK);
  c.server.dirty++;
  c.server.notify("t", "xgroup-setid", argv[2], c.db.id);
}

function xgroupDestroyCommand(c: Client): void {
  const a = xgroupFront(c);
  if (a === null) return;
  const key = c.argv[2];
  if (a.group === undefined) {
    c.out.raw(shared.ZERO);
    return;
  }
  a.stream!.deleteGroup(a.group.name);
  c.out.raw(shared.ONE);
  const server = c.server;
  server.dirty++;
  server.notify("t", "xgroup-destroy", key, c.db.id);
  syncMemory(c, key);
  const db = c.db;
  if (db.blockingKeys.size !== 0 && db.blockingKeys.has(key)) server.blocking.signalKeyAsReady(db, key);
}

function xgroupCreateConsumerCommand(c: Client): void {
  const a = xgroupFront(c);
  if (a === null) return;
  const argv = c.argv;
  const group = a.group!;
  const consumer = group.createConsumer(argv[4], clock.ms);
  if (consumer !== null) {
    c.server.dirty++;
    c.server.notify("t", "xgroup-createconsumer", argv[2], c.db.id);
    a.stream!.recountGroups();
    syncMemory(c, argv[2]);
  }
  c.out.integer(consumer !== null ? 1 : 0);
}

function xgroupDelConsumerCommand(c: Client): void {
  const a = xgroupFront(c);
  if (a === null) return;
  const argv = c.argv;
  const group = a.group!;
  const consumer = group.consumer(argv[4]);
  let pending = 0;
  if (consumer !== undefined) {
    pending = consumer.pel.size;
    group.deleteConsumer(consumer);
    a.stream!.recountGroups();
    c.server.dirty++;
    c.server.notify("t", "xgroup-delconsumer", argv[2], c.db.id);
    syncMemory(c, argv[2]);
  }
  c.out.integer(pending);
}

function xgroupHelpCommand(c: Client): void {
  helpReply(c, [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
  ]);
}

// ---- XACK ---------------------------------------------------------------------------------

function xackCommand(c: Client): void {
  const argv = c.argv;
  const key = argv[1];
  const s = streamOrReply(c, key, false);
  if (s === undefined) return;
  const group = s?.group(argv[2]);
  if (s === null || group === undefined) {
    c.out.raw(shared.ZERO);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = new StreamId();
    if (!idOrReply(c, argv[j], id, 0, true)) return;
    ids.push(id);
  }
  let acked = 0;
  for (const id of ids) {
    if (group.ack(id.ms, id.seq)) {
      acked++;
      c.server.dirty++;
    }
  }
  if (acked > 0) {
    s.recountGroups();
    syncMemory(c, key);
  }
  c.out.integer(acked);
}

// ---- XPENDING -----------------------------------------------------------------------------

const pendStart = new StreamId();
const pendEnd = new StreamId();

function xpendingCommand(c: Client): void {
  const argv = c.argv;
  const argc = argv.length;
  const justInfo = argc === 3;
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    c.error("ERR syntax error");
    return;
  }
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (argc >= 6) {
    let startIdx = 3;
    if (is(argv[3], "idle")) {
      const n = intOrReply(c, argv[4]);
      if (n === null) return;
      minIdle = n;
      if (argc < 8) {
        c.error("ERR syntax error");
        return;
      }
      startIdx += 2;
    }
    const n = intOrReply(c, argv[startIdx + 2]);
    if (n === null) return;
    count = Math.max(0, n);
    if (!rangeStartOrReply(c, argv[startIdx], pendStart)) return;
    if (!rangeEndOrReply(c, argv[startIdx + 1], pendEnd)) return;
    if (startIdx + 3 < argc) consumerName = argv[startIdx + 3];
  }
  const key = argv[1];
  const s = streamOrReply(c, key, false);
  if (s === undefined) return;
  const group = s?.group(argv[2]);
  if (s === null || group === undefined) {
    c.error(`NOGROUP No such key '${key}' or consumer group '${argv[2]}'`);
    return;
  }
  const out = c.out;
  if (justInfo) {
    const pel = group.pel.items;
    out.arrayHeader(4);
    out.integer(pel.length);
    if (pel.length === 0) {
      out.nullBulk();
      out.nullBulk();
      out.nullArray();
      return;
    }
    out.bulk(formatId(pel[0].ms, pel[0].seq));
    out.bulk(formatId(pel[pel.length - 1].ms, pel[pel.length - 1].seq));
    const consumers = group.consumersInOrder().filter((k) => k.pel.size > 0);
    out.arrayHeader(consumers.length);
    for (const k of consumers) {
      out.arrayHeader(2);
      out.bulk(k.name);
      out.bulk(String(k.pel.size));
    }
    return;
  }
  let pel = group.pel;
  if (consumerName !== null) {
    const consumer = group.consumer(consumerName);
    if (consumer === undefined) {
      out.raw(shared.EMPTY_ARRAY);
      return;
    }
    pel = consumer.pel;
  }
  const items = pel.items;
  const now = clock.ms;
  const picked: StreamNack[] = [];
  for (let i = pel.lowerBound(pendStart.ms, pendStart.seq); count > 0 && i < items.length; i++) {
    const nack = items[i];
    if (compareIds(nack.ms, nack.seq, pendEnd.ms, pendEnd.seq) > 0) break;
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    picked.push(nack);
    count--;
  }
  out.arrayHeader(picked.length);
  for (const nack of picked) {
    out.arrayHeader(4);
    out.bulk(formatId(nack.ms, nack.seq));
    out.bulk(nack.consumer!.name);
    const elapsed = now - nack.deliveryTime;
    out.integer(Math.max(0, elapsed));
    out.integer(nack.deliveryCount);
  }
}

export const streamGroupCommands = [
  container("xgroup", -2, "stream", "A container for consumer groups commands.", "5.0.0", [
    spec(
      "create",
      -5,
      "write denyoom",
      [2, 2, 1],
      "stream",
      "Creates a consumer group.",
      "5.0.0",
      xgroupCreateCommand,
    ),
    spec(
      "createconsumer",
      5,
      "write denyoom",
      [2, 2, 1],
      "stream",
      "Creates a consumer in a consumer group.",
      "6.2.0",
      xgroupCreateConsumerCommand,
    ),
    spec(
      "delconsumer",
      5,
      "write",
      [2, 2, 1],
      "stream",
      "Deletes a consumer from a consumer group.",
      "5.0.0",
      xgroupDelConsumerCommand,
    ),
    spec(
      "destroy",
      4,
      "write",
      [2, 2, 1],
      "stream",
      "Destroys a consumer group.",
      "5.0.0",
      xgroupDestroyCommand,
    ),
    helpSpec("stream", "5.0.0", xgroupHelpCommand),
    spec(
      "setid",
      -5,
      "write",
      [2, 2, 1],
      "stream",
      "Sets the last-delivered ID of a consumer group.",
      "5.0.0",
      xgroupSetidCommand,
    ),
  ]),
  spec(
    "xack",
    -4,
    "write fast",
    [1, 1, 1],
    "stream",
    "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.",
    "5.0.0",
    xackCommand,
  ),
  spec(
    "xpending",
    -3,
    "readonly",
    [1, 1, 1],
    "stream",
    "Returns the information and entries from a stream consumer group's pending entries list.",
    "5.0.0",
    xpendingCommand,
  ),
] satisfies CommandSpec[];
