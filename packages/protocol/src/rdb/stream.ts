/**
 * Streams in RDB files (rdb.c rdbSaveObject / rdbLoadObject for RDB_TYPE_STREAM_LISTPACKS = 15,
 * written by Redis 5 and 6, and RDB_TYPE_STREAM_LISTPACKS_2 = 19, written by Redis 7.0):
 *
 *   <nodes: len> (<master ID: 16-byte string, big endian ms+seq> <listpack: string>)*
 *   <length: len> <last ID ms: len> <seq: len>
 *   [v2: <first ID ms> <seq> <max deleted ID ms> <seq> <entries added>]   (all lens)
 *   <groups: len> (<name: string> <last ID ms> <seq> [v2: <entries read>]
 *                  <PEL size: len> (<16 raw ID bytes> <delivery time: int64 LE ms> <count: len>)*
 *                  <consumers: len> (<name: string> <seen time: int64 LE ms>
 *                                    <PEL size: len> (<16 raw ID bytes>)*)*)*
 *
 * Each listpack is a node laid out as streamAppendItem builds it:
 *
 *   count deleted num-fields field_1 .. field_N 0                    (the master entry)
 *   flags ms-delta seq-delta [num-fields field_1 ..] value_1 .. lp-count   (per entry)
 *
 * with flags bit 0 = deleted, bit 1 = same fields as the master entry (then the field names and
 * their count are omitted); the deltas are from the node's master ID, as int64 (uint64
 * arithmetic); lp-count is the number of elements of the entry after the flags' own, so the node
 * can be walked backwards.
 *
 * IDs and counters are bigints here (they are full uint64s in the format). Parsing validates as
 * rdbLoadObject does with deep sanitization (streamValidateListpackIntegrity, duplicate groups,
 * consumers and PEL entries, consumer PEL entries missing from the group PEL, group PEL entries
 * without a consumer) and throws RdbFormatError. Type 15 values get the fields 7.0 derives on load
 * (entries added = length, first ID = first live entry, entries read estimated).
 *
 * Callers: value-parser.ts (loading), value-writer.ts (saving), the server's stream conversion.
 */

import { RdbFormatError } from "../errors.js";
import { bytesToLatin1 } from "../resp/latin1.js";
import type { RdbInput } from "./input.js";
import { decodeListpack, type ListpackBuilder } from "./listpack.js";
import type { RdbOutput } from "./output.js";

export const STREAM_ITEM_FLAG_DELETED = 1;
export const STREAM_ITEM_FLAG_SAMEFIELDS = 2;

const U64_MAX = 18446744073709551615n;

export interface RdbStreamEntry {
  flags: number;
  ms: bigint;
  seq: bigint;
  /** Field/value pairs (for a SAMEFIELDS entry, the fields are the master fields). */
  items: string[];
}

/** One listpack node. */
export interface RdbStreamNode {
  masterMs: bigint;
  masterSeq: bigint;
  masterFields: string[];
  live: number;
  deleted: number;
  entries: RdbStreamEntry[];
}

export interface RdbStreamNack {
  ms: bigint;
  seq: bigint;
  deliveryTime: number;
  deliveryCount: number;
  /** Index of the owning consumer in the group's `consumers` (-1 while loading). */
  consumer: number;
}

export interface RdbStreamConsumer {
  name: string;
  seenTime: number;
  /** Indexes into the group's `pel`. */
  pel: number[];
}

export interface RdbStreamGroup {
  name: string;
  lastMs: bigint;
  lastSeq: bigint;
  /** -1: invalid (SCG_INVALID_ENTRIES_READ). */
  entriesRead: number;
  pel: RdbStreamNack[];
  consumers: RdbStreamConsumer[];
}

export interface RdbStream {
  nodes: RdbStreamNode[];
  length: number;
  lastMs: bigint;
  lastSeq: bigint;
  firstMs: bigint;
  firstSeq: bigint;
  maxDeletedMs: bigint;
  maxDeletedSeq: bigint;
  entriesAdded: number;
  groups: RdbStreamGroup[];
}

function cmp(aMs: bigint, aSeq: bigint, bMs: bigint, bSeq: bigint): number {
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

// ---- writing ------------------------------------------------------------------------------

/** An int64 as ListpackBuilder.appendInt wants it: a number when exact, else a bigint. */
function lpInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Builds the listpack of `node` in `lp`; returns its size (the blob is lp.buffer[0, size)). */
export function encodeStreamNode(node: RdbStreamNode, lp: ListpackBuilder): number {
  lp.reset();
  lp.appendInt(node.live);
  lp.appendInt(node.deleted);
  lp.appendInt(node.masterFields.length);
  for (const f of node.masterFields) lp.append(f);
  lp.appendInt(0);
  for (const e of node.entries) {
    const numFields = e.items.length >>> 1;
    const same = (e.flags & STREAM_ITEM_FLAG_SAMEFIELDS) !== 0;
    lp.appendInt(e.flags);
    lp.appendInt(lpInt(BigInt.asIntN(64, e.ms - node.masterMs)));
    lp.appendInt(lpInt(BigInt.asIntN(64, e.seq - node.masterSeq)));
    if (!same) lp.appendInt(numFields);
    for (let i = 0; i < e.items.length; i += 2) {
      if (!same) lp.append(e.items[i]);
      lp.append(e.items[i + 1]);
    }
    lp.appendInt(numFields + 3 + (same ? 0 : numFields + 1));
  }
  return lp.seal();
}

/** The 16-byte radix-tree key of an ID. */
function rawId(ms: bigint, seq: bigint): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(ms, 0);
  b.writeBigUInt64BE(seq, 8);
  return b;
}

/** rdbSaveObject's stream body in the RDB_TYPE_STREAM_LISTPACKS_2 layout. */
export function writeStream(out: RdbOutput, s: RdbStream, lp: ListpackBuilder, compress: boolean): void {
  out.writeLen(s.nodes.length);
  for (const node of s.nodes) {
    const key = rawId(node.masterMs, node.masterSeq);
    out.writeBlob(key, compress);
    const size = encodeStreamNode(node, lp);
    out.writeBlob(lp.buffer, compress, 0, size);
  }
  out.writeLen(s.length);
  writeBigLen(out, s.lastMs);
  writeBigLen(out, s.lastSeq);
  writeBigLen(out, s.firstMs);
  writeBigLen(out, s.firstSeq);
  writeBigLen(out, s.maxDeletedMs);
  writeBigLen(out, s.maxDeletedSeq);
  out.writeLen(s.entriesAdded);
  out.writeLen(s.groups.length);
  for (const g of s.groups) {
    out.writeString(g.name, compress);
    writeBigLen(out, g.lastMs);
    writeBigLen(out, g.lastSeq);
    // rdbSaveLen of a long long: -1 goes out as 2^64 - 1.
    writeBigLen(out, BigInt.asUintN(64, BigInt(g.entriesRead)));
    out.writeLen(g.pel.length);
    for (const nack of g.pel) {
      out.writeCopy(rawId(nack.ms, nack.seq), 0, 16);
      out.writeMillis(nack.deliveryTime);
      out.writeLen(nack.deliveryCount);
    }
    out.writeLen(g.consumers.length);
    for (const consumer of g.consumers) {
      out.writeString(consumer.name, compress);
      out.writeMillis(consumer.seenTime);
      out.writeLen(consumer.pel.length);
      for (const i of consumer.pel) out.writeCopy(rawId(g.pel[i].ms, g.pel[i].seq), 0, 16);
    }
  }
}

/** rdbSaveLen of a full uint64. */
function writeBigLen(out: RdbOutput, v: bigint): void {
  if (v <= 0xffffffffn) {
    out.writeLen(Number(v));
    return;
  }
  const b = Buffer.allocUnsafe(9);
  b[0] = 0x81;
  b.writeBigUInt64BE(v, 1);
  out.writeCopy(b, 0, 9);
}

// ---- reading ------------------------------------------------------------------------------

/** rdbLoadLen as a full uint64. */
function readBigLen(input: RdbInput): bigint {
  if (input.pos >= input.buf.length) input.ensure(1);
  const b = input.buf[input.pos];
  if (b === 0x81) {
    input.ensure(9);
    const v = input.buf.readBigUInt64BE(input.pos + 1);
    input.pos += 9;
    return v;
  }
  return BigInt(input.readLen());
}

function readRawId(input: RdbInput): [bigint, bigint] {
  input.ensure(16);
  const ms = input.buf.readBigUInt64BE(input.pos);
  const seq = input.buf.readBigUInt64BE(input.pos + 8);
  input.pos += 16;
  return [ms, seq];
}

const INT64_TEXT = /^-?(0|[1-9][0-9]{0,18})$/;

/** lpGetIntegerIfValid on a decoded element: the int64, or null. */
function lpInteger(s: string | undefined): bigint | null {
  if (s === undefined || !INT64_TEXT.test(s) || s === "-0") return null;
  const v = BigInt(s);
  return v > 9223372036854775807n || v < -9223372036854775808n ? null : v;
}

/**
 * streamValidateListpackIntegrity (deep) plus the entry decoding: the node whose listpack is
 * buf[start, end), with master ID (masterMs, masterSeq).
 */
export function decodeStreamNode(
  buf: Buffer,
  start: number,
  end: number,
  masterMs: bigint,
  masterSeq: bigint,
  errOffset: number,
): RdbStreamNode {
  const items: string[] = [];
  decodeListpack(buf, start, end, errOffset, items);
  const bad = (): never => {
    throw new RdbFormatError("Stream listpack integrity check failed.", errOffset);
  };
  if (items.length === 0) throw new RdbFormatError("Empty listpack inside stream", errOffset);
  let p = 0;
  const int = (): bigint => {
    const v = lpInteger(items[p]);
    if (v === null) bad();
    p++;
    return v as bigint;
  };
  const live = int();
  const deleted = int();
  const masterCount = int();
  if (live < 0n || deleted < 0n || masterCount < 0n || masterCount > BigInt(items.length)) bad();
  const masterFields: string[] = [];
  for (let i = 0n; i < masterCount; i++) {
    if (p >= items.length) bad();
    masterFields.push(items[p++]);
  }
  if (int() !== 0n) bad();
  const total = live + deleted;
  if (total > BigInt(items.length)) bad();
  const entries: RdbStreamEntry[] = [];
  let liveSeen = 0;
  for (let k = 0n; k < total; k++) {
    const flags = Number(int());
    const ms = BigInt.asUintN(64, masterMs + int());
    const seq = BigInt.asUintN(64, masterSeq + int());
    const same = (flags & STREAM_ITEM_FLAG_SAMEFIELDS) !== 0;
    let fields = masterFields.length;
    let extra = 3;
    const pairs: string[] = [];
    if (!same) {
      const n = int();
      if (n < 0n || 2n * n > BigInt(items.length - p)) bad();
      fields = Number(n);
      extra += fields + 1;
      // Field and value alternate (streamAppendItem appends them in turn).
      for (let i = 0; i < fields; i++) {
        pairs.push(items[p], items[p + 1]);
        p += 2;
      }
    } else {
      if (p + fields > items.length) bad();
      for (let i = 0; i < fields; i++) pairs.push(masterFields[i], items[p + i]);
      p += fields;
    }
    const lpCount = int();
    if (lpCount !== BigInt(fields + extra)) bad();
    if ((flags & STREAM_ITEM_FLAG_DELETED) === 0) liveSeen++;
    entries.push({ flags, ms, seq, items: pairs });
  }
  if (p !== items.length) bad();
  if (BigInt(liveSeen) !== live) bad();
  return { masterMs, masterSeq, masterFields, live: Number(live), deleted: Number(deleted), entries };
}

/** streamEstimateDistanceFromFirstEverEntry, for groups loaded from RDB_TYPE_STREAM_LISTPACKS. */
function estimateDistance(s: RdbStream, ms: bigint, seq: bigint): number {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && cmp(ms, seq, s.lastMs, s.lastSeq) < 1) return s.entriesAdded;
  const cmpLast = cmp(ms, seq, s.lastMs, s.lastSeq);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return -1;
  const cmpFirst = cmp(ms, seq, s.firstMs, s.firstSeq);
  const noTombstones =
    (s.maxDeletedMs === 0n && s.maxDeletedSeq === 0n) ||
    cmp(s.maxDeletedMs, s.maxDeletedSeq, s.firstMs, s.firstSeq) < 0;
  if (noTombstones) {
    if (cmpFirst < 0) return s.entriesAdded - s.length;
    if (cmpFirst === 0) return s.entriesAdded - s.length + 1;
  }
  return -1;
}

const PHASE_NODES = 0;
const PHASE_META = 1;
const PHASE_GROUP = 2;
const PHASE_PEL = 3;
const PHASE_CONSUMERS = 4;
const PHASE_CONSUMER = 5;
const PHASE_CONSUMER_PEL = 6;

function idKey(ms: bigint, seq: bigint): string {
  return `${ms}-${seq}`;
}

/**
 * Resumable parser of one stream value: each node, group header, PEL entry and consumer is a
 * unit committed to `input.mark` as soon as it is read, so a big stream arriving in many chunks
 * is parsed once.
 */
export class StreamValueParser {
  private readonly v2: boolean;
  private phase = PHASE_NODES;
  private remaining = 0;
  private groupsLeft = 0;
  private consumersLeft = 0;
  private readonly s: RdbStream = {
    nodes: [],
    length: 0,
    lastMs: 0n,
    lastSeq: 0n,
    firstMs: 0n,
    firstSeq: 0n,
    maxDeletedMs: 0n,
    maxDeletedSeq: 0n,
    entriesAdded: 0,
    groups: [],
  };
  private readonly nodeKeys = new Set<string>();
  private pelIndex = new Map<string, number>();
  private consumerNames = new Set<string>();
  private group: RdbStreamGroup | null = null;
  private consumer: RdbStreamConsumer | null = null;

  /** Reads the node count (atomic). `v2`: RDB_TYPE_STREAM_LISTPACKS_2. */
  constructor(input: RdbInput, v2: boolean) {
    this.v2 = v2;
    this.remaining = input.readLen();
  }

  /** Reads what is left; returns the stream, or throws NEED_MORE / RdbFormatError. */
  resume(input: RdbInput): RdbStream {
    const s = this.s;
    for (;;) {
      switch (this.phase) {
        case PHASE_NODES: {
          while (this.remaining > 0) {
            const at = input.offset;
            input.readBlob();
            if (input.blobEnd - input.blobStart !== 16)
              throw new RdbFormatError("Stream node key entry is not the size of a stream ID", at);
            const key = input.blobBuf.subarray(input.blobStart, input.blobEnd);
            const masterMs = key.readBigUInt64BE(0);
            const masterSeq = key.readBigUInt64BE(8);
            const keyText = bytesToLatin1(input.blobBuf, input.blobStart, input.blobEnd);
            const lpAt = input.offset;
            input.readBlob();
            const node = decodeStreamNode(
              input.blobBuf,
              input.blobStart,
              input.blobEnd,
              masterMs,
              masterSeq,
              lpAt,
            );
            if (this.nodeKeys.has(keyText))
              throw new RdbFormatError("Listpack re-added with existing key", at);
            this.nodeKeys.add(keyText);
            s.nodes.push(node);
            this.remaining--;
            input.mark = input.pos;
          }
          this.phase = PHASE_META;
          break;
        }
        case PHASE_META: {
          const at = input.offset;
          const length = input.readLen();
          const lastMs = readBigLen(input);
          const lastSeq = readBigLen(input);
          if (this.v2) {
            s.firstMs = readBigLen(input);
            s.firstSeq = readBigLen(input);
            s.maxDeletedMs = readBigLen(input);
            s.maxDeletedSeq = readBigLen(input);
            s.entriesAdded = input.readLen();
          }
          const groups = input.readLen();
          s.length = length;
          s.lastMs = lastMs;
          s.lastSeq = lastSeq;
          let live = 0;
          for (const n of s.nodes) live += n.live;
          if (live !== length) throw new RdbFormatError("Stream length inconsistent with rax entries", at);
          if (!this.v2) {
            s.entriesAdded = length;
            s.firstMs = U64_MAX;
            s.firstSeq = U64_MAX;
            outer: for (const n of s.nodes) {
              for (const e of n.entries) {
                if ((e.flags & STREAM_ITEM_FLAG_DELETED) === 0) {
                  s.firstMs = e.ms;
                  s.firstSeq = e.seq;
                  break outer;
                }
              }
            }
          }
          this.groupsLeft = groups;
          input.mark = input.pos;
          this.phase = PHASE_GROUP;
          break;
        }
        case PHASE_GROUP: {
          if (this.groupsLeft === 0) return s;
          const at = input.offset;
          const name = input.readString();
          const lastMs = readBigLen(input);
          const lastSeq = readBigLen(input);
          let entriesRead: number;
          if (this.v2) entriesRead = Number(BigInt.asIntN(64, readBigLen(input)));
          else entriesRead = estimateDistance(s, lastMs, lastSeq);
          const pelSize = input.readLen();
          for (const g of s.groups) {
            if (g.name === name) throw new RdbFormatError(`Duplicated consumer group name ${name}`, at);
          }
          const group: RdbStreamGroup = { name, lastMs, lastSeq, entriesRead, pel: [], consumers: [] };
          s.groups.push(group);
          this.group = group;
          this.pelIndex = new Map();
          this.consumerNames = new Set();
          this.remaining = pelSize;
          this.groupsLeft--;
          input.mark = input.pos;
          this.phase = PHASE_PEL;
          break;
        }
        case PHASE_PEL: {
          const group = this.group!;
          while (this.remaining > 0) {
            const at = input.offset;
            const [ms, seq] = readRawId(input);
            const deliveryTime = input.readMillis();
            const deliveryCount = input.readLen();
            const k = idKey(ms, seq);
            if (this.pelIndex.has(k))
              throw new RdbFormatError("Duplicated global PEL entry loading stream consumer group", at);
            this.pelIndex.set(k, group.pel.length);
            group.pel.push({ ms, seq, deliveryTime, deliveryCount, consumer: -1 });
            this.remaining--;
            input.mark = input.pos;
          }
          this.phase = PHASE_CONSUMERS;
          break;
        }
        case PHASE_CONSUMERS: {
          this.consumersLeft = input.readLen();
          input.mark = input.pos;
          this.phase = PHASE_CONSUMER;
          break;
        }
        case PHASE_CONSUMER: {
          const group = this.group!;
          if (this.consumersLeft === 0) {
            for (const nack of group.pel) {
              if (nack.consumer === -1)
                throw new RdbFormatError("Stream CG PEL entry without consumer", input.offset);
            }
            this.phase = PHASE_GROUP;
            break;
          }
          const at = input.offset;
          const name = input.readString();
          const seenTime = input.readMillis();
          const pelSize = input.readLen();
          if (this.consumerNames.has(name))
            throw new RdbFormatError("Duplicate stream consumer detected.", at);
          this.consumerNames.add(name);
          const consumer: RdbStreamConsumer = { name, seenTime, pel: [] };
          group.consumers.push(consumer);
          this.consumer = consumer;
          this.remaining = pelSize;
          this.consumersLeft--;
          input.mark = input.pos;
          this.phase = PHASE_CONSUMER_PEL;
          break;
        }
        case PHASE_CONSUMER_PEL: {
          const group = this.group!;
          const consumer = this.consumer!;
          const ci = group.consumers.length - 1;
          while (this.remaining > 0) {
            const at = input.offset;
            const [ms, seq] = readRawId(input);
            const i = this.pelIndex.get(idKey(ms, seq));
            if (i === undefined) throw new RdbFormatError("Consumer entry not found in group global PEL", at);
            // Redis only catches a repeat within one consumer; an entry owned twice is as corrupt.
            if (group.pel[i].consumer !== -1)
              throw new RdbFormatError("Duplicated consumer PEL entry loading a stream consumer group", at);
            group.pel[i].consumer = ci;
            consumer.pel.push(i);
            this.remaining--;
            input.mark = input.pos;
          }
          this.phase = PHASE_CONSUMER;
          break;
        }
      }
    }
  }
}
