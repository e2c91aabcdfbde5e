/**
 * The stream type (t_stream.c's stream: a radix tree of listpack nodes, plus consumer groups).
 *
 * Entries live in nodes shaped exactly like Redis's listpack nodes, because several visible
 * behaviours depend on where Redis draws node boundaries: `~` trimming removes whole nodes only,
 * XINFO reports the node count, an entry deleted by XDEL or trimmed from inside a node stays as
 * a tombstone until its whole node goes, and the RDB payload is those listpacks. A node keeps:
 *
 *   master ID (the radix-tree key), master fields, live count, deleted count,
 *   and per entry: ID, flags (DELETED, SAMEFIELDS), its field/value pairs.
 *
 * The listpack's byte size is modelled exactly (lpBytes: the sizes listpack.c gives every
 * integer and string entry), so XADD closes a node when Redis would: when the tail node's bytes
 * plus the new entry's field and value lengths reach stream-node-max-bytes, or its entries
 * (live + deleted) reach stream-node-max-entries (streamAppendItem).
 *
 * Invariants: nodes are in ascending master-ID order, entries inside a node in ascending ID
 * order, every entry ID > its node's master ID's predecessor, `length` = sum of live counts.
 * A node whose every entry was marked deleted by exact trimming stays (as in Redis, which only
 * frees a node when XDEL removes its last live entry or trimming removes it whole).
 *
 * Memory estimate (`mem`): STREAM_OVERHEAD + per node NODE_OVERHEAD + per entry ENTRY_OVERHEAD
 * + the strings an entry does not share with its node's master fields; groups add
 * GROUP_OVERHEAD, consumers CONSUMER_OVERHEAD and NACKs NACK_OVERHEAD (they are recounted by
 * `recountGroups` after group commands).
 *
 * Callers: commands/streams*.ts, persistence/stream-rdb.ts, debug/digest.ts.
 */

import { stringMemory } from "../memory.js";
import type { CollectionValue } from "../value.js";
import { typeLimits } from "./limits.js";
import type { StreamCursor } from "./stream-cursor.js";
import { type StreamGroup, StreamNack } from "./stream-groups.js";
import { big, compareIds, type StreamId, type U64, U64_MAX, u64 } from "./stream-id.js";
import { deltaSize, LP_FIXED, lpIntSize, lpStringSize } from "./stream-lp-size.js";

export const STREAM_ITEM_FLAG_DELETED = 1;
export const STREAM_ITEM_FLAG_SAMEFIELDS = 2;

/** STREAM_LISTPACK_MAX_SIZE: a node (and an entry) never goes beyond 1 GB. */
export const STREAM_LISTPACK_MAX_SIZE = 1 << 30;

const STREAM_OVERHEAD = 160;
const NODE_OVERHEAD = 240;
const ENTRY_OVERHEAD = 72;
const GROUP_OVERHEAD = 200;
const CONSUMER_OVERHEAD = 120;
const NACK_OVERHEAD = 80;

/** One listpack node of a stream. */
export class StreamNode {
  readonly masterMs: U64;
  readonly masterSeq: U64;
  readonly masterFields: string[];
  readonly ms: U64[] = [];
  readonly seq: U64[] = [];
  readonly flags: number[] = [];
  /** Field/value pairs of each entry (SAMEFIELDS entries share the master field strings). */
  readonly items: string[][] = [];
  live = 0;
  deleted = 0;
  /** The listpack's bytes without the live/deleted counters (see lpBytes). */
  bytes: number;

  constructor(masterMs: U64, masterSeq: U64, masterFields: string[]) {
    this.masterMs = masterMs;
    this.masterSeq = masterSeq;
    this.masterFields = masterFields;
    let bytes = LP_FIXED + lpIntSize(masterFields.length) + lpIntSize(0);
    for (const f of masterFields) bytes += lpStringSize(f);
    this.bytes = bytes;
  }

  /** lpBytes of the listpack Redis would hold for this node. */
  lpBytes(): number {
    return this.bytes + lpIntSize(this.live) + lpIntSize(this.deleted);
  }

  get total(): number {
    return this.ms.length;
  }

  /** Index of the first entry (deleted or not) with ID >= (ms, seq). */
  lowerBound(ms: U64, seq: U64): number {
    const ids = this.ms;
    const seqs = this.seq;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(ids[mid], seqs[mid], ms, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Appends an entry, keeping `bytes` what listpack.c would make it. */
  push(ms: U64, seq: U64, flags: number, items: string[]): number {
    const numFields = items.length >>> 1;
    let size = lpIntSize(flags) + deltaSize(ms, this.masterMs) + deltaSize(seq, this.masterSeq);
    let lpCount = numFields + 3;
    let mem = ENTRY_OVERHEAD + 8 * items.length;
    if ((flags & STREAM_ITEM_FLAG_SAMEFIELDS) === 0) {
      size += lpIntSize(numFields);
      lpCount += numFields + 1;
      for (let i = 0; i < items.length; i += 2) {
        size += lpStringSize(items[i]);
        mem += stringMemory(items[i].length);
      }
    }
    for (let i = 1; i < items.length; i += 2) {
      size += lpStringSize(items[i]);
      mem += stringMemory(items[i].length);
    }
    size += lpIntSize(lpCount);
    this.ms.push(ms);
    this.seq.push(seq);
    this.flags.push(flags);
    this.items.push(items);
    this.bytes += size;
    return mem;
  }

  clone(): StreamNode {
    const copy = new StreamNode(this.masterMs, this.masterSeq, this.masterFields);
    for (let i = 0; i < this.ms.length; i++) {
      copy.ms.push(this.ms[i]);
      copy.seq.push(this.seq[i]);
      copy.flags.push(this.flags[i]);
      copy.items.push(this.items[i]);
    }
    copy.live = this.live;
    copy.deleted = this.deleted;
    copy.bytes = this.bytes;
    return copy;
  }
}

export const TRIM_NONE = 0;
export const TRIM_MAXLEN = 1;
export const TRIM_MINID = 2;

/** streamAddTrimArgs' trimming part. */
export interface TrimArgs {
  strategy: number;
  approx: boolean;
  /** Entries trimming may remove at most (0: no limit). */
  limit: number;
  maxlen: number;
  minMs: U64;
  minSeq: U64;
}

export class StreamObject implements CollectionValue {
  readonly type = "stream" as const;
  mem = STREAM_OVERHEAD;
  accountedMem = 0;
  readonly nodes: StreamNode[] = [];
  length = 0;
  lastMs: U64 = 0;
  lastSeq: U64 = 0;
  firstMs: U64 = 0;
  firstSeq: U64 = 0;
  maxDeletedMs: U64 = 0;
  maxDeletedSeq: U64 = 0;
  entriesAdded = 0;
  private readonly groupMap = new Map<string, StreamGroup>();
  private sortedGroups: StreamGroup[] | null = [];
  /** Memory of the groups, recomputed by recountGroups. */
  private groupsMem = 0;

  encoding(): string {
    return "stream";
  }

  /** Entries (live). An empty stream is a valid key: nothing deletes it for being empty. */
  size(): number {
    return this.length;
  }

  // ---- groups ---------------------------------------------------------------------------

  get groupCount(): number {
    return this.groupMap.size;
  }

  group(name: string): StreamGroup | undefined {
    return this.groupMap.get(name);
  }

  /** streamCreateCG: false when the name exists. */
  addGroup(group: StreamGroup): boolean {
    if (this.groupMap.has(group.name)) return false;
    this.groupMap.set(group.name, group);
    this.sortedGroups = null;
    this.mem += GROUP_OVERHEAD + stringMemory(group.name.length);
    this.groupsMem += GROUP_OVERHEAD + stringMemory(group.name.length);
    return true;
  }

  deleteGroup(name: string): boolean {
    if (!this.groupMap.delete(name)) return false;
    this.sortedGroups = null;
    this.recountGroups();
    return true;
  }

  groupsInOrder(): readonly StreamGroup[] {
    if (this.sortedGroups === null) {
      this.sortedGroups = [...this.groupMap.values()].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    }
    return this.sortedGroups;
  }

  /** Brings the groups' share of `mem` up to date (after PEL and consumer changes). */
  recountGroups(): void {
    let m = 0;
    for (const g of this.groupMap.values()) {
      m += GROUP_OVERHEAD + stringMemory(g.name.length) + NACK_OVERHEAD * g.pel.size;
      for (const c of g.consumersInOrder()) m += CONSUMER_OVERHEAD + stringMemory(c.name.length);
    }
    this.mem += m - this.groupsMem;
    this.groupsMem = m;
  }

  // ---- entries --------------------------------------------------------------------------

  /**
   * streamAppendItem's storage part: appends an entry whose ID the caller has checked to be
   * greater than the last ID. `argv[from, from + 2 * numFields)` are the fields and values.
   */
  append(argv: readonly string[], from: number, numFields: number, ms: U64, seq: U64): void {
    const nodes = this.nodes;
    let node: StreamNode | null = nodes.length === 0 ? null : nodes[nodes.length - 1];
    if (node !== null) {
      let maxBytes = typeLimits.streamNodeMaxBytes;
      if (maxBytes === 0 || maxBytes > STREAM_LISTPACK_MAX_SIZE) maxBytes = STREAM_LISTPACK_MAX_SIZE;
      let totalLen = 0;
      for (let i = from; i < from + 2 * numFields; i++) totalLen += argv[i].length;
      const maxEntries = typeLimits.streamNodeMaxEntries;
      if (node.lpBytes() + totalLen >= maxBytes) node = null;
      else if (maxEntries !== 0 && node.live + node.deleted >= maxEntries) node = null;
    }
    const items: string[] = new Array(2 * numFields);
    let flags = 0;
    if (node === null) {
      const fields: string[] = new Array(numFields);
      for (let i = 0; i < numFields; i++) fields[i] = argv[from + 2 * i];
      node = new StreamNode(ms, seq, fields);
      nodes.push(node);
      this.mem += NODE_OVERHEAD;
      for (const f of fields) this.mem += stringMemory(f.length);
      flags = STREAM_ITEM_FLAG_SAMEFIELDS;
    } else {
      const master = node.masterFields;
      if (master.length === numFields) {
        let same = true;
        for (let i = 0; i < numFields; i++) {
          if (master[i] !== argv[from + 2 * i]) {
            same = false;
            break;
          }
        }
        if (same) flags = STREAM_ITEM_FLAG_SAMEFIELDS;
      }
    }
    if (flags === STREAM_ITEM_FLAG_SAMEFIELDS) {
      const master = node.masterFields;
      for (let i = 0; i < numFields; i++) {
        items[2 * i] = master[i];
        items[2 * i + 1] = argv[from + 2 * i + 1];
      }
    } else {
      for (let i = 0; i < 2 * numFields; i++) items[i] = argv[from + i];
    }
    this.mem += node.push(ms, seq, flags, items);
    node.live++;
    this.length++;
    this.entriesAdded++;
    this.lastMs = ms;
    this.lastSeq = seq;
    if (this.length === 1) {
      this.firstMs = ms;
      this.firstSeq = seq;
    }
  }

  /** Index of the last node whose master ID is <= (ms, seq), or -1. */
  nodeIndexFor(ms: U64, seq: U64): number {
    const nodes = this.nodes;
    let lo = 0;
    let hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(nodes[mid].masterMs, nodes[mid].masterSeq, ms, seq) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The live entry with this ID as [node, index], or null (streamEntryExists). */
  findEntry(ms: U64, seq: U64, out: StreamCursor): boolean {
    const ni = this.nodeIndexFor(ms, seq);
    if (ni < 0) return false;
    const node = this.nodes[ni];
    const i = node.lowerBound(ms, seq);
    if (i >= node.total || compareIds(node.ms[i], node.seq[i], ms, seq) !== 0) return false;
    if ((node.flags[i] & STREAM_ITEM_FLAG_DELETED) !== 0) return false;
    out.node = node;
    out.index = i;
    out.nodeIndex = ni;
    return true;
  }

  /**
   * streamDeleteItem: marks the live entry deleted (or frees its node when it was the node's last
   * live entry, as streamIteratorRemoveEntry does). Returns false when there is no such entry.
   */
  deleteEntry(ms: U64, seq: U64, scratch: StreamCursor): boolean {
    if (!this.findEntry(ms, seq, scratch)) return false;
    const node = scratch.node!;
    if (node.live === 1) {
      this.nodes.splice(scratch.nodeIndex, 1);
      this.mem -= nodeMemory(node);
    } else {
      node.flags[scratch.index] |= STREAM_ITEM_FLAG_DELETED;
      node.live--;
      node.deleted++;
    }
    this.length--;
    return true;
  }

  /** streamGetEdgeID(first, skipTombstones) into `out`; an empty stream gives max-max / 0-0. */
  edgeId(first: boolean, skipTombstones: boolean, out: StreamId): void {
    const nodes = this.nodes;
    if (first) {
      for (const node of nodes) {
        for (let i = 0; i < node.total; i++) {
          if (skipTombstones && (node.flags[i] & STREAM_ITEM_FLAG_DELETED) !== 0) continue;
          out.set(node.ms[i], node.seq[i]);
          return;
        }
      }
      out.set(U64_MAX, U64_MAX);
      return;
    }
    for (let n = nodes.length - 1; n >= 0; n--) {
      const node = nodes[n];
      for (let i = node.total - 1; i >= 0; i--) {
        if (skipTombstones && (node.flags[i] & STREAM_ITEM_FLAG_DELETED) !== 0) continue;
        out.set(node.ms[i], node.seq[i]);
        return;
      }
    }
    out.set(0, 0);
  }

  /** Sets firstId after deletions: the first live entry, or 0-0 for an empty stream. */
  refreshFirstId(scratch: StreamId): void {
    if (this.length === 0) {
      this.firstMs = 0;
      this.firstSeq = 0;
      return;
    }
    this.edgeId(true, true, scratch);
    this.firstMs = scratch.ms;
    this.firstSeq = scratch.seq;
  }

  /** streamTrim: returns the number of entries removed. */
  trim(args: TrimArgs, scratch: StreamId): number {
    if (args.strategy === TRIM_NONE) return 0;
    const nodes = this.nodes;
    const maxlen = args.maxlen;
    const limit = args.limit;
    let deleted = 0;
    let removedNodes = 0;
    for (let n = 0; n < nodes.length; n++) {
      if (args.strategy === TRIM_MAXLEN && this.length <= maxlen) break;
      const node = nodes[n];
      const entries = node.live;
      if (limit !== 0 && deleted + entries > limit) break;
      let removeNode: boolean;
      if (args.strategy === TRIM_MAXLEN) {
        removeNode = this.length - entries >= maxlen;
      } else {
        // The node's last entry, tombstone or not (lpGetEdgeStreamID).
        const last = node.total - 1;
        removeNode = last >= 0 && compareIds(node.ms[last], node.seq[last], args.minMs, args.minSeq) < 0;
      }
      if (removeNode) {
        removedNodes++;
        this.length -= entries;
        deleted += entries;
        this.mem -= nodeMemory(node);
        continue;
      }
      if (args.approx) break;
      let fromNode = 0;
      for (let i = 0; i < node.total; i++) {
        const stop =
          args.strategy === TRIM_MAXLEN
            ? this.length <= maxlen
            : compareIds(node.ms[i], node.seq[i], args.minMs, args.minSeq) >= 0;
        if (stop) break;
        if ((node.flags[i] & STREAM_ITEM_FLAG_DELETED) === 0) {
          node.flags[i] |= STREAM_ITEM_FLAG_DELETED;
          fromNode++;
          this.length--;
        }
      }
      node.live -= fromNode;
      node.deleted += fromNode;
      deleted += fromNode;
      break;
    }
    if (removedNodes > 0) nodes.splice(0, removedNodes);
    if (this.length === 0) {
      this.firstMs = 0;
      this.firstSeq = 0;
    } else if (deleted > 0) {
      this.refreshFirstId(scratch);
    }
    return deleted;
  }

  /** streamLastValidID into `out` (0-0 when empty). */
  lastValidId(out: StreamId): void {
    this.edgeId(false, true, out);
  }

  /**
   * rax->numnodes of Redis's radix tree over the node keys: the nodes of a compressed trie of
   * 16-byte big-endian keys, counted as the root, every branching point, every child of a
   * branching point and every key (the shape raxInsert/raxRemove keep).
   */
  radixTreeNodes(): number {
    const nodes = this.nodes;
    if (nodes.length === 0) return 1;
    const keys = nodes.map((n) => raxKey(n.masterMs, n.masterSeq));
    const seen = new Set<string>([""]);
    for (const k of keys) seen.add(k);
    for (let i = 0; i + 1 < keys.length; i++) {
      const a = keys[i];
      const b = keys[i + 1];
      let l = 0;
      while (l < 16 && a.charCodeAt(l) === b.charCodeAt(l)) l++;
      seen.add(a.slice(0, l));
      seen.add(a.slice(0, l + 1));
      seen.add(b.slice(0, l + 1));
    }
    return seen.size;
  }

  clone(): StreamObject {
    const copy = new StreamObject();
    for (const node of this.nodes) copy.nodes.push(node.clone());
    copy.length = this.length;
    copy.lastMs = this.lastMs;
    copy.lastSeq = this.lastSeq;
    copy.firstMs = this.firstMs;
    copy.firstSeq = this.firstSeq;
    copy.maxDeletedMs = this.maxDeletedMs;
    copy.maxDeletedSeq = this.maxDeletedSeq;
    copy.entriesAdded = this.entriesAdded;
    for (const g of this.groupsInOrder()) copy.addGroup(g.clone());
    copy.recountGroups();
    copy.mem = this.mem;
    copy.groupsMem = this.groupsMem;
    return copy;
  }

  // ---- consumer-group read counters -----------------------------------------------------

  /** streamRangeHasTombstones for [start, +inf) (`start` null: from the beginning). */
  rangeHasTombstones(startMs: U64, startSeq: U64): boolean {
    if (this.length === 0 || (this.maxDeletedMs === 0 && this.maxDeletedSeq === 0)) return false;
    if (compareIds(this.firstMs, this.firstSeq, this.maxDeletedMs, this.maxDeletedSeq) > 0) return false;
    return compareIds(startMs, startSeq, this.maxDeletedMs, this.maxDeletedSeq) <= 0;
  }

  /** streamEstimateDistanceFromFirstEverEntry: the read counter of an ID, or -1 (unknown). */
  estimateDistance(ms: U64, seq: U64): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && compareIds(ms, seq, this.lastMs, this.lastSeq) < 1) return this.entriesAdded;
    const cmpLast = compareIds(ms, seq, this.lastMs, this.lastSeq);
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return -1;
    const cmpFirst = compareIds(ms, seq, this.firstMs, this.firstSeq);
    const noTombstones =
      (this.maxDeletedMs === 0 && this.maxDeletedSeq === 0) ||
      compareIds(this.maxDeletedMs, this.maxDeletedSeq, this.firstMs, this.firstSeq) < 0;
    if (noTombstones) {
      if (cmpFirst < 0) return this.entriesAdded - this.length;
      if (cmpFirst === 0) return this.entriesAdded - this.length + 1;
    }
    return -1;
  }

  /** streamReplyWithCGLag's figure: the group's lag, or null when it cannot be known. */
  groupLag(group: StreamGroup): number | null {
    if (this.entriesAdded === 0) return 0;
    if (group.entriesRead !== -1 && !this.rangeHasTombstones(group.lastMs, group.lastSeq))
      return this.entriesAdded - group.entriesRead;
    const read = this.estimateDistance(group.lastMs, group.lastSeq);
    return read === -1 ? null : this.entriesAdded - read;
  }

  /**
   * What streamReplyWithRange does to a group when it delivers entry (ms, seq): advance the
   * last-delivered ID and keep the read counter valid when it can. True when lastId moved.
   */
  advanceGroup(group: StreamGroup, ms: U64, seq: U64): boolean {
    if (compareIds(ms, seq, group.lastMs, group.lastSeq) <= 0) return false;
    if (group.entriesRead !== -1 && !this.rangeHasTombstones(ms, seq)) group.entriesRead++;
    else if (this.entriesAdded !== 0) group.entriesRead = this.estimateDistance(ms, seq);
    group.lastMs = ms;
    group.lastSeq = seq;
    return true;
  }

  /** A new NACK for (ms, seq), now, owned by nobody yet. */
  static nack(ms: U64, seq: U64, now: number): StreamNack {
    return new StreamNack(ms, seq, now, null);
  }
}

function nodeMemory(node: StreamNode): number {
  let m = NODE_OVERHEAD;
  for (const f of node.masterFields) m += stringMemory(f.length);
  for (let i = 0; i < node.total; i++) {
    const items = node.items[i];
    m += ENTRY_OVERHEAD + 8 * items.length;
    const same = (node.flags[i] & STREAM_ITEM_FLAG_SAMEFIELDS) !== 0;
    for (let k = same ? 1 : 0; k < items.length; k += same ? 2 : 1) m += stringMemory(items[k].length);
  }
  return m;
}

/** The radix-tree key of a node: its master ID as 16 big-endian bytes (latin1 chars). */
export function raxKey(ms: U64, seq: U64): string {
  let s = "";
  for (const half of [big(ms), big(seq)]) {
    for (let shift = 56n; shift >= 0n; shift -= 8n) s += String.fromCharCode(Number((half >> shift) & 0xffn));
  }
  return s;
}

/** The inverse of raxKey: [ms, seq]. */
export function decodeRaxKey(key: string): [U64, U64] {
  let ms = 0n;
  let seq = 0n;
  for (let i = 0; i < 8; i++) ms = (ms << 8n) | BigInt(key.charCodeAt(i));
  for (let i = 8; i < 16; i++) seq = (seq << 8n) | BigInt(key.charCodeAt(i));
  return [u64(ms), u64(seq)];
}
