/**
 * Consumer groups of a stream (Redis's streamCG, streamConsumer, streamNACK).
 *
 * A group's pending entries list (PEL) and each consumer's own PEL hold the same StreamNack
 * objects, as Redis shares one streamNACK between the two radix trees: a NACK is in exactly one
 * consumer's PEL (its `consumer`) once loading or claiming is complete. PELs are arrays sorted by
 * ID: deliveries append in ID order, and the ranges XPENDING and XAUTOCLAIM walk are binary
 * searches. Removal is a splice, which is cheap at the sizes PELs have when consumers acknowledge.
 *
 * Groups and consumers are listed in byte order of their names, as Redis's rax iterates them
 * (latin1 strings compare by byte with `<`).
 *
 * Callers: keyspace/types/stream.ts (owner), commands/stream-groups.ts, persistence.
 */

import { compareIds, type U64 } from "./stream-id.js";

/** SCG_INVALID_ENTRIES_READ. */
export const ENTRIES_READ_INVALID = -1;

export class StreamNack {
  ms: U64;
  seq: U64;
  /** Unix ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
  consumer: StreamConsumer | null;

  constructor(ms: U64, seq: U64, deliveryTime: number, consumer: StreamConsumer | null) {
    this.ms = ms;
    this.seq = seq;
    this.deliveryTime = deliveryTime;
    this.deliveryCount = 1;
    this.consumer = consumer;
  }
}

/** A PEL: NACKs sorted by ID. */
export class Pel {
  items: StreamNack[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Index of the first NACK with ID >= (ms, seq). */
  lowerBound(ms: U64, seq: U64): number {
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    // Deliveries and acks mostly touch the ends: check the tail first.
    if (hi > 0 && compareIds(items[hi - 1].ms, items[hi - 1].seq, ms, seq) < 0) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(items[mid].ms, items[mid].seq, ms, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the NACK with this ID, or -1. */
  indexOf(ms: U64, seq: U64): number {
    const i = this.lowerBound(ms, seq);
    const items = this.items;
    return i < items.length && compareIds(items[i].ms, items[i].seq, ms, seq) === 0 ? i : -1;
  }

  find(ms: U64, seq: U64): StreamNack | undefined {
    const i = this.indexOf(ms, seq);
    return i < 0 ? undefined : this.items[i];
  }

  /** Inserts `nack` (whose ID must not be present). */
  insert(nack: StreamNack): void {
    const i = this.lowerBound(nack.ms, nack.seq);
    if (i === this.items.length) this.items.push(nack);
    else this.items.splice(i, 0, nack);
  }

  /** Removes the NACK with this ID; returns it, or undefined. */
  remove(ms: U64, seq: U64): StreamNack | undefined {
    const i = this.indexOf(ms, seq);
    if (i < 0) return undefined;
    const nack = this.items[i];
    if (i === 0) this.items.shift();
    else this.items.splice(i, 1);
    return nack;
  }
}

export class StreamConsumer {
  readonly name: string;
  /** Unix ms of the last time the consumer was seen (streamLookupConsumer refreshes it). */
  seenTime: number;
  readonly pel = new Pel();

  constructor(name: string, seenTime: number) {
    this.name = name;
    this.seenTime = seenTime;
  }
}

export class StreamGroup {
  readonly name: string;
  lastMs: U64;
  lastSeq: U64;
  /** The logical read counter of lastId, or ENTRIES_READ_INVALID. */
  entriesRead: number;
  readonly pel = new Pel();
  private readonly consumers = new Map<string, StreamConsumer>();
  /** Consumers in name order, rebuilt lazily after additions and removals. */
  private sorted: StreamConsumer[] | null = [];

  constructor(name: string, lastMs: U64, lastSeq: U64, entriesRead: number) {
    this.name = name;
    this.lastMs = lastMs;
    this.lastSeq = lastSeq;
    this.entriesRead = entriesRead;
  }

  get consumerCount(): number {
    return this.consumers.size;
  }

  /** streamLookupConsumer without the seen-time refresh (callers decide). */
  consumer(name: string): StreamConsumer | undefined {
    return this.consumers.get(name);
  }

  /** streamCreateConsumer: the new consumer, or null when the name exists. */
  createConsumer(name: string, now: number): StreamConsumer | null {
    if (this.consumers.has(name)) return null;
    const consumer = new StreamConsumer(name, now);
    this.consumers.set(name, consumer);
    this.sorted = null;
    return consumer;
  }

  /** streamDelConsumer: drops the consumer and its pending entries from the group PEL. */
  deleteConsumer(consumer: StreamConsumer): void {
    for (const nack of consumer.pel.items) this.pel.remove(nack.ms, nack.seq);
    this.consumers.delete(consumer.name);
    this.sorted = null;
  }

  /** Consumers in name order. */
  consumersInOrder(): readonly StreamConsumer[] {
    if (this.sorted === null) {
      this.sorted = [...this.consumers.values()].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    }
    return this.sorted;
  }

  /** Removes the NACK at this ID from the group PEL and its consumer's PEL. */
  ack(ms: U64, seq: U64): boolean {
    const nack = this.pel.remove(ms, seq);
    if (nack === undefined) return false;
    nack.consumer?.pel.remove(ms, seq);
    return true;
  }

  /** A deep copy (COPY, snapshots): NACKs are shared between the copied group and consumer PELs. */
  clone(): StreamGroup {
    const copy = new StreamGroup(this.name, this.lastMs, this.lastSeq, this.entriesRead);
    const byNack = new Map<StreamNack, StreamNack>();
    for (const nack of this.pel.items) {
      const n = new StreamNack(nack.ms, nack.seq, nack.deliveryTime, null);
      n.deliveryCount = nack.deliveryCount;
      copy.pel.items.push(n);
      byNack.set(nack, n);
    }
    for (const consumer of this.consumersInOrder()) {
      const cc = copy.createConsumer(consumer.name, consumer.seenTime)!;
      for (const nack of consumer.pel.items) {
        const n = byNack.get(nack)!;
        n.consumer = cc;
        cc.pel.items.push(n);
      }
    }
    return copy;
  }
}
