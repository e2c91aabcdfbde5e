/**
 * What a key holds. Strings are JS strings of one-byte chars (latin1): immutable, compact in V8,
 * written to sockets without conversion. Every other type is an object implementing
 * CollectionValue, which keeps its own memory estimate up to date as it changes.
 */

import { LRU_CLOCK_MAX } from "./clock.js";

export type ValueType = "string" | "list" | "hash" | "set" | "zset" | "stream";

export interface CollectionValue {
  readonly type: Exclude<ValueType, "string">;
  /** Estimated bytes held by this value (elements, per-element overhead, the container). */
  mem: number;
  /** The `mem` the keyspace last accounted for this value (see Db.syncMemory). */
  accountedMem: number;
  /** OBJECT ENCODING: Redis's name for the current representation. */
  encoding(): string;
  /** Number of elements (0 means the key must be deleted, as Redis never keeps empty collections). */
  size(): number;
  /** A deep copy (COPY, and snapshots that must not see later changes). */
  clone(): CollectionValue;
}

/** Iteration contracts every type provides, for persistence (RDB), DEBUG DIGEST and COPY. */
export interface ListValue extends CollectionValue {
  readonly type: "list";
  /** Elements from head to tail. */
  values(): IterableIterator<string>;
}
export interface SetValue extends CollectionValue {
  readonly type: "set";
  members(): IterableIterator<string>;
}
export interface ZSetValue extends CollectionValue {
  readonly type: "zset";
  /** Members with their scores, in ascending score order. */
  entries(): IterableIterator<[string, number]>;
}
export interface HashValue extends CollectionValue {
  readonly type: "hash";
  entries(): IterableIterator<[string, string]>;
}

export type Value = string | CollectionValue;

export function typeOf(value: Value): ValueType {
  return typeof value === "string" ? "string" : value.type;
}

export const STR_ENC_AUTO = 0;
export const STR_ENC_RAW = 1;
export const STR_ENC_NO_INT = 2;

/** The low 24 bits of Entry's packed field: the LRU/LFU data. */
const LRU_BITS = LRU_CLOCK_MAX;

/**
 * A key's record. One object per key carries what Redis keeps in the dictEntry and the robj
 * header: the value, the absolute expiry, the LRU/LFU clock, and the key's positions in the
 * random-access arrays that make RANDOMKEY, eviction sampling and active expiry O(1).
 * Six fields (keyspace/memory.ts counts them): the 24-bit LRU/LFU data and the 2-bit string
 * encoding share one small integer, as Redis packs lru and encoding into the robj header; with
 * a million keys each field is 8 MB of heap.
 */
export class Entry {
  key: string;
  value: Value;
  /** Absolute unix time in ms, or -1 when the key has no TTL. */
  expireAt: number;
  /** Index in Db's array of all entries. */
  slot: number;
  /** Index in Db's array of entries with a TTL, or -1. */
  vslot: number;
  /** lru in bits 0-23, strEncoding in bits 24-25. */
  private bits: number;

  constructor(key: string, value: Value, lru: number) {
    this.key = key;
    this.value = value;
    this.expireAt = -1;
    this.slot = -1;
    this.vslot = -1;
    this.bits = lru & LRU_BITS; // STR_ENC_AUTO
  }

  /**
   * LRU clock (24-bit seconds) or LFU data ((minutes << 8) | counter), as the maxmemory policy
   * says (keyspace/lru.ts). Cut to 24 bits when set, as Redis's robj.lru field is.
   */
  get lru(): number {
    return this.bits & LRU_BITS;
  }
  set lru(lru: number) {
    this.bits = (this.bits & ~LRU_BITS) | (lru & LRU_BITS);
  }

  /**
   * How Redis would encode this string value (OBJECT ENCODING): STR_ENC_AUTO is what
   * tryObjectEncoding gives a value set by SET (int, embstr or raw by content); STR_ENC_RAW is
   * the result of an in-place edit (APPEND to an existing key, SETRANGE, SETBIT, BITFIELD,
   * BITOP); STR_ENC_NO_INT a value Redis builds as a plain string object even when it looks
   * like an integer (INCRBYFLOAT). Any replacement of the value (Db.overwrite) resets it.
   */
  get strEncoding(): number {
    return this.bits >>> 24;
  }
  set strEncoding(encoding: number) {
    this.bits = (this.bits & LRU_BITS) | (encoding << 24);
  }
}
