/**
 * Conversion between the keyspace's StreamObject and the RDB codec's RdbStream (protocol
 * rdb/stream.ts), for snapshots, loading, DUMP/RESTORE and AOF rewrite. Nodes keep their exact
 * shape both ways (master fields, flags, tombstones, counters), so a stream saved and loaded
 * again, here or in Redis, has the same node boundaries and therefore trims the same way.
 */

import type { RdbStream, RdbStreamGroup, RdbStreamNode } from "@keyhaven/protocol";
import { StreamNode, StreamObject } from "../keyspace/types/stream.js";
import { StreamGroup, StreamNack } from "../keyspace/types/stream-groups.js";
import { big, u64 } from "../keyspace/types/stream-id.js";

/** The RDB form of a stream (shares the entries' field/value arrays; write it before changing the stream). */
export function streamToRdb(s: StreamObject): RdbStream {
  const nodes: RdbStreamNode[] = s.nodes.map((n) => ({
    masterMs: big(n.masterMs),
    masterSeq: big(n.masterSeq),
    masterFields: n.masterFields,
    live: n.live,
    deleted: n.deleted,
    entries: n.ms.map((ms, i) => ({ flags: n.flags[i], ms: big(ms), seq: big(n.seq[i]), items: n.items[i] })),
  }));
  const groups: RdbStreamGroup[] = s.groupsInOrder().map((g) => {
    const index = new Map<StreamNack, number>();
    for (let i = 0; i < g.pel.items.length; i++) index.set(g.pel.items[i], i);
    return {
      name: g.name,
      lastMs: big(g.lastMs),
      lastSeq: big(g.lastSeq),
      entriesRead: g.entriesRead,
      pel: g.pel.items.map((nack) => ({
        ms: big(nack.ms),
        seq: big(nack.seq),
        deliveryTime: nack.deliveryTime,
        deliveryCount: nack.deliveryCount,
        consumer: -1,
      })),
      consumers: g.consumersInOrder().map((c) => ({
        name: c.name,
        seenTime: c.seenTime,
        pel: c.pel.items.map((nack) => index.get(nack)!),
      })),
    };
  });
  return {
    nodes,
    length: s.length,
    lastMs: big(s.lastMs),
    lastSeq: big(s.lastSeq),
    firstMs: big(s.firstMs),
    firstSeq: big(s.firstSeq),
    maxDeletedMs: big(s.maxDeletedMs),
    maxDeletedSeq: big(s.maxDeletedSeq),
    entriesAdded: s.entriesAdded,
    groups,
  };
}

/** A StreamObject from its RDB form (already validated by the parser). */
export function streamFromRdb(r: RdbStream): StreamObject {
  const s = new StreamObject();
  for (const rn of r.nodes) {
    const node = new StreamNode(u64(rn.masterMs), u64(rn.masterSeq), rn.masterFields);
    for (const e of rn.entries) s.mem += node.push(u64(e.ms), u64(e.seq), e.flags, e.items);
    node.live = rn.live;
    node.deleted = rn.deleted;
    s.nodes.push(node);
  }
  s.mem += 240 * r.nodes.length;
  s.length = r.length;
  s.lastMs = u64(r.lastMs);
  s.lastSeq = u64(r.lastSeq);
  s.firstMs = u64(r.firstMs);
  s.firstSeq = u64(r.firstSeq);
  s.maxDeletedMs = u64(r.maxDeletedMs);
  s.maxDeletedSeq = u64(r.maxDeletedSeq);
  s.entriesAdded = r.entriesAdded;
  for (const rg of r.groups) {
    const g = new StreamGroup(rg.name, u64(rg.lastMs), u64(rg.lastSeq), rg.entriesRead);
    const nacks = rg.pel.map((p) => {
      const nack = new StreamNack(u64(p.ms), u64(p.seq), p.deliveryTime, null);
      nack.deliveryCount = p.deliveryCount;
      g.pel.insert(nack);
      return nack;
    });
    for (const rc of rg.consumers) {
      const consumer = g.createConsumer(rc.name, rc.seenTime)!;
      for (const i of rc.pel) {
        nacks[i].consumer = consumer;
        consumer.pel.insert(nacks[i]);
      }
    }
    s.addGroup(g);
  }
  s.recountGroups();
  return s;
}

/**
 * rewriteStreamObject: the commands that rebuild a stream in an AOF written without an RDB
 * preamble. Entries as XADD (an empty stream as `XADD key MAXLEN 0 0-1 x y`), then XSETID with
 * the last ID, entries added and max deleted ID, then per group XGROUP CREATE ... ENTRIESREAD and
 * per consumer its pending entries as XCLAIM ... JUSTID FORCE (XGROUP CREATECONSUMER when it has
 * none).
 */
export function streamRewriteCommands(key: string, s: RdbStream, out: string[][]): void {
  const id = (ms: bigint, seq: bigint) => `${ms}-${seq}`;
  let any = false;
  for (const n of s.nodes) {
    for (const e of n.entries) {
      if ((e.flags & 1) !== 0) continue;
      out.push(["XADD", key, id(e.ms, e.seq), ...e.items]);
      any = true;
    }
  }
  if (!any) out.push(["XADD", key, "MAXLEN", "0", "0-1", "x", "y"]);
  out.push([
    "XSETID",
    key,
    id(s.lastMs, s.lastSeq),
    "ENTRIESADDED",
    String(s.entriesAdded),
    "MAXDELETEDID",
    id(s.maxDeletedMs, s.maxDeletedSeq),
  ]);
  for (const g of s.groups) {
    out.push([
      "XGROUP",
      "CREATE",
      key,
      g.name,
      id(g.lastMs, g.lastSeq),
      "ENTRIESREAD",
      String(g.entriesRead),
    ]);
    for (const c of g.consumers) {
      if (c.pel.length === 0) {
        out.push(["XGROUP", "CREATECONSUMER", key, g.name, c.name]);
        continue;
      }
      for (const i of c.pel) {
        const nack = g.pel[i];
        out.push([
          "XCLAIM",
          key,
          g.name,
          c.name,
          "0",
          id(nack.ms, nack.seq),
          "TIME",
          String(nack.deliveryTime),
          "RETRYCOUNT",
          String(nack.deliveryCount),
          "JUSTID",
          "FORCE",
        ]);
      }
    }
  }
}
