/**
 * XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS and XINFO HELP (t_stream.c
 * xinfoCommand), with Redis 7.0's field names and order. Maps are RESP3 maps (flat arrays in
 * RESP2). `radix-tree-nodes` is the node count Redis's rax would have for the stream's node
 * keys (see StreamObject.radixTreeNodes).
 */

import { clock } from "../keyspace/clock.js";
import type { StreamObject } from "../keyspace/types/stream.js";
import { StreamCursor } from "../keyspace/types/stream-cursor.js";
import { formatId, StreamId, U64_MAX } from "../keyspace/types/stream-id.js";
import type { Client } from "../network/client.js";
import { intOrReply, is } from "./args.js";
import { helpReply, subcommandSyntaxError } from "./common.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";
import { replyEntry, streamOrReply } from "./stream-common.js";
import { replyRange } from "./streams.js";

const cursor = new StreamCursor();
const all0 = new StreamId();
const allMax = new StreamId().set(U64_MAX, U64_MAX);

/** The stream for XINFO: null after replying (missing key: "no such key"). */
function infoStream(c: Client): StreamObject | null {
  const s = streamOrReply(c, c.argv[2], false);
  if (s === undefined) return null;
  if (s === null) {
    c.error("ERR no such key");
    return null;
  }
  return s;
}

function replyLag(c: Client, lag: number | null): void {
  if (lag === null) c.out.nullBulk();
  else c.out.integer(lag);
}

function xinfoStreamCommand(c: Client): void {
  const argv = c.argv;
  // As every XINFO subcommand, the key is looked up before the options are read.
  const s = infoStream(c);
  if (s === null) return;
  const optc = argv.length - 3;
  let full = false;
  let count = 10;
  if (optc !== 0) {
    if ((optc !== 1 && optc !== 3) || !is(argv[3], "full")) {
      subcommandSyntaxError(c);
      return;
    }
    if (optc === 3) {
      if (!is(argv[4], "count")) {
        subcommandSyntaxError(c);
        return;
      }
      const n = intOrReply(c, argv[5]);
      if (n === null) return;
      count = n < 0 ? 10 : n;
    }
    full = true;
  }
  const out = c.out;
  out.mapHeader(full ? 9 : 10);
  out.bulk("length");
  out.integer(s.length);
  out.bulk("radix-tree-keys");
  out.integer(s.nodes.length);
  out.bulk("radix-tree-nodes");
  out.integer(s.radixTreeNodes());
  out.bulk("last-generated-id");
  out.bulk(formatId(s.lastMs, s.lastSeq));
  out.bulk("max-deleted-entry-id");
  out.bulk(formatId(s.maxDeletedMs, s.maxDeletedSeq));
  out.bulk("entries-added");
  out.integer(s.entriesAdded);
  out.bulk("recorded-first-entry-id");
  out.bulk(formatId(s.firstMs, s.firstSeq));
  if (!full) {
    out.bulk("groups");
    out.integer(s.groupCount);
    out.bulk("first-entry");
    cursor.seek(s, 0, 0, U64_MAX, U64_MAX, false);
    if (cursor.next()) replyEntry(c, cursor);
    else out.nullBulk();
    out.bulk("last-entry");
    cursor.seek(s, 0, 0, U64_MAX, U64_MAX, true);
    if (cursor.next()) replyEntry(c, cursor);
    else out.nullBulk();
    return;
  }
  out.bulk("entries");
  replyRange(c, s, all0, allMax, count, false);
  out.bulk("groups");
  const groups = s.groupsInOrder();
  out.arrayHeader(groups.length);
  for (const g of groups) {
    out.mapHeader(7);
    out.bulk("name");
    out.bulk(g.name);
    out.bulk("last-delivered-id");
    out.bulk(formatId(g.lastMs, g.lastSeq));
    out.bulk("entries-read");
    if (g.entriesRead !== -1) out.integer(g.entriesRead);
    else out.nullBulk();
    out.bulk("lag");
    replyLag(c, s.groupLag(g));
    out.bulk("pel-count");
    out.integer(g.pel.size);
    out.bulk("pending");
    const pel = g.pel.items;
    const np = count === 0 ? pel.length : Math.min(count, pel.length);
    out.arrayHeader(np);
    for (let i = 0; i < np; i++) {
      const nack = pel[i];
      out.arrayHeader(4);
      out.bulk(formatId(nack.ms, nack.seq));
      out.bulk(nack.consumer!.name);
      out.integer(nack.deliveryTime);
      out.integer(nack.deliveryCount);
    }
    out.bulk("consumers");
    const consumers = g.consumersInOrder();
    out.arrayHeader(consumers.length);
    for (const k of consumers) {
      out.mapHeader(4);
      out.bulk("name");
      out.bulk(k.name);
      out.bulk("seen-time");
      out.integer(k.seenTime);
      out.bulk("pel-count");
      out.integer(k.pel.size);
      out.bulk("pending");
      const kp = k.pel.items;
      const nk = count === 0 ? kp.length : Math.min(count, kp.length);
      out.arrayHeader(nk);
      for (let i = 0; i < nk; i++) {
        out.arrayHeader(3);
        out.bulk(formatId(kp[i].ms, kp[i].seq));
        out.integer(kp[i].deliveryTime);
        out.integer(kp[i].deliveryCount);
      }
    }
  }
}

function xinfoGroupsCommand(c: Client): void {
  const s = infoStream(c);
  if (s === null) return;
  const out = c.out;
  const groups = s.groupsInOrder();
  out.arrayHeader(groups.length);
  for (const g of groups) {
    out.mapHeader(6);
    out.bulk("name");
    out.bulk(g.name);
    out.bulk("consumers");
    out.integer(g.consumerCount);
    out.bulk("pending");
    out.integer(g.pel.size);
    out.bulk("last-delivered-id");
    out.bulk(formatId(g.lastMs, g.lastSeq));
    out.bulk("entries-read");
    if (g.entriesRead !== -1) out.integer(g.entriesRead);
    else out.nullBulk();
    out.bulk("lag");
    replyLag(c, s.groupLag(g));
  }
}

function xinfoConsumersCommand(c: Client): void {
  const s = infoStream(c);
  if (s === null) return;
  const argv = c.argv;
  const g = s.group(argv[3]);
  if (g === undefined) {
    c.error(`NOGROUP No such consumer group '${argv[3]}' for key name '${argv[2]}'`);
    return;
  }
  const out = c.out;
  const now = clock.ms;
  const consumers = g.consumersInOrder();
  out.arrayHeader(consumers.length);
  for (const k of consumers) {
    const idle = now - k.seenTime;
    out.mapHeader(3);
    out.bulk("name");
    out.bulk(k.name);
    out.bulk("pending");
    out.integer(k.pel.size);
    out.bulk("idle");
    out.integer(Math.max(0, idle));
  }
}

function xinfoHelpCommand(c: Client): void {
  helpReply(c, [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
  ]);
}

export const streamInfoCommands = [
  container("xinfo", -2, "stream", "A container for stream introspection commands.", "5.0.0", [
    spec(
      "consumers",
      4,
      "readonly",
      [2, 2, 1],
      "stream",
      "Returns a list of the consumers in a consumer group.",
      "5.0.0",
      xinfoConsumersCommand,
    ),
    spec(
      "groups",
      3,
      "readonly",
      [2, 2, 1],
      "stream",
      "Returns a list of the consumer groups of a stream.",
      "5.0.0",
      xinfoGroupsCommand,
    ),
    helpSpec("stream", "5.0.0", xinfoHelpCommand),
    spec(
      "stream",
      -3,
      "readonly",
      [2, 2, 1],
      "stream",
      "Returns information about a stream.",
      "5.0.0",
      xinfoStreamCommand,
    ),
  ]),
] satisfies CommandSpec[];
