/**
 * The list type: a growable ring buffer of strings (a deque), so both ends push and pop in O(1)
 * and any index is reached in O(1), where Redis's quicklist needs O(n/chunk) for LINDEX/LSET.
 * Middle insertions and removals shift the shorter side only; LREM compacts in one pass; LTRIM
 * and multi-pops cut the ends without touching the kept part.
 *
 *   capacity 8, head 6, length 4:   [ c | d | . | . | . | . | a | b ]     order: a b c d
 *                                         ^tail end         ^head
 *
 * Invariants: `buf.length` (the capacity) is a power of two >= MIN_CAPACITY; the elements are
 * buf[(head + i) & mask] for i in [0, length); every other slot holds "" so that popped strings
 * can be collected. The buffer doubles when full and halves when less than a quarter full (never
 * below MIN_CAPACITY), which keeps pushes and pops amortized O(1) without thrashing.
 *
 * OBJECT ENCODING is always "quicklist": Redis 7.0 stores every list as a quicklist (the listpack
 * encoding of small lists arrived in 7.2), and `list-max-listpack-size` only sizes its nodes.
 *
 * Memory estimate (`mem`, see keyspace/memory.ts), deterministic and updated on every change:
 *   LIST_OVERHEAD                  the object, its fields and the array header
 *   + per element LIST_ENTRY_OVERHEAD (the 8-byte slot, plus 8 for the ring's average slack)
 *   + stringMemory(element length)
 *
 * Called by commands/lists.ts (and sort.ts for STORE), persistence and COPY.
 */

import { stringMemory } from "../memory.js";
import type { ListValue } from "../value.js";

export const LIST_OVERHEAD = 64;
export const LIST_ENTRY_OVERHEAD = 16;
const MIN_CAPACITY = 8;

function emptyBuffer(capacity: number): string[] {
  // Filled by push so V8 keeps the array PACKED (no hole checks on reads).
  const buf: string[] = [];
  for (let i = 0; i < capacity; i++) buf.push("");
  return buf;
}

function elementMemory(s: string): number {
  return LIST_ENTRY_OVERHEAD + stringMemory(s.length);
}

export class ListObject implements ListValue {
  readonly type = "list" as const;
  mem = LIST_OVERHEAD;
  accountedMem = 0;
  private buf: string[];
  private mask: number;
  private head = 0;
  private len = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.buf = emptyBuffer(cap);
    this.mask = cap - 1;
  }

  /** A list holding `values` in order. */
  static from(values: Iterable<string>): ListObject {
    const list = new ListObject();
    for (const v of values) list.pushTail(v);
    return list;
  }

  encoding(): string {
    return "quicklist";
  }

  size(): number {
    return this.len;
  }

  get length(): number {
    return this.len;
  }

  clone(): ListObject {
    const copy = new ListObject(this.len);
    for (let i = 0; i < this.len; i++) copy.buf[i] = this.buf[(this.head + i) & this.mask];
    copy.len = this.len;
    copy.mem = this.mem;
    return copy;
  }

  *values(): IterableIterator<string> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & this.mask];
  }

  /** The element at index `i` (0 <= i < length; callers normalize negative indexes). */
  get(i: number): string {
    return this.buf[(this.head + i) & this.mask];
  }

  /** Replaces the element at index `i` (0 <= i < length). */
  set(i: number, value: string): void {
    const at = (this.head + i) & this.mask;
    this.mem += elementMemory(value) - elementMemory(this.buf[at]);
    this.buf[at] = value;
  }

  pushHead(value: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = value;
    this.len++;
    this.mem += elementMemory(value);
  }

  pushTail(value: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.buf[(this.head + this.len) & this.mask] = value;
    this.len++;
    this.mem += elementMemory(value);
  }

  /** Removes and returns the first element, or undefined when empty. */
  popHead(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = "";
    this.head = (this.head + 1) & this.mask;
    this.len--;
    this.mem -= elementMemory(v);
    this.maybeShrink();
    return v;
  }

  /** Removes and returns the last element, or undefined when empty. */
  popTail(): string | undefined {
    if (this.len === 0) return undefined;
    const at = (this.head + this.len - 1) & this.mask;
    const v = this.buf[at];
    this.buf[at] = "";
    this.len--;
    this.mem -= elementMemory(v);
    this.maybeShrink();
    return v;
  }

  /** Inserts `value` so that it ends up at index `i` (0 <= i <= length). */
  insertAt(i: number, value: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    const buf = this.buf;
    const mask = this.mask;
    if (i < this.len - i) {
      // Shift the first i elements one slot towards the head.
      this.head = (this.head - 1) & mask;
      for (let k = 0; k < i; k++) buf[(this.head + k) & mask] = buf[(this.head + k + 1) & mask];
    } else {
      for (let k = this.len; k > i; k--) buf[(this.head + k) & mask] = buf[(this.head + k - 1) & mask];
    }
    buf[(this.head + i) & mask] = value;
    this.len++;
    this.mem += elementMemory(value);
  }

  /**
   * Removes `count` elements starting at index `start` (both within bounds), shifting whichever
   * side is shorter (quicklistDelRange).
   */
  removeRange(start: number, count: number): void {
    if (count <= 0) return;
    const buf = this.buf;
    const mask = this.mask;
    const head = this.head;
    for (let k = start; k < start + count; k++) this.mem -= elementMemory(buf[(head + k) & mask]);
    const after = this.len - start - count;
    if (start < after) {
      // Move the elements before the range forward, towards the tail.
      for (let k = start - 1; k >= 0; k--) buf[(head + k + count) & mask] = buf[(head + k) & mask];
      for (let k = 0; k < count; k++) buf[(head + k) & mask] = "";
      this.head = (head + count) & mask;
    } else {
      for (let k = start; k < start + after; k++) buf[(head + k) & mask] = buf[(head + k + count) & mask];
      for (let k = start + after; k < this.len; k++) buf[(head + k) & mask] = "";
    }
    this.len -= count;
    this.maybeShrink();
  }

  /**
   * LREM: removes up to `count` elements equal to `value` scanning from the head (count > 0),
   * from the tail (count < 0), or all of them (count = 0), in one compacting pass. Returns how
   * many were removed.
   */
  removeMatching(value: string, count: number): number {
    const limit = count === 0 ? Number.POSITIVE_INFINITY : Math.abs(count);
    const buf = this.buf;
    const mask = this.mask;
    const head = this.head;
    const n = this.len;
    let removed = 0;
    if (count >= 0) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const v = buf[(head + r) & mask];
        if (removed < limit && v === value) {
          removed++;
          continue;
        }
        if (w !== r) buf[(head + w) & mask] = v;
        w++;
      }
      for (let k = w; k < n; k++) buf[(head + k) & mask] = "";
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const v = buf[(head + r) & mask];
        if (removed < limit && v === value) {
          removed++;
          continue;
        }
        if (w !== r) buf[(head + w) & mask] = v;
        w--;
      }
      for (let k = 0; k <= w; k++) buf[(head + k) & mask] = "";
      this.head = (head + removed) & mask;
    }
    this.len -= removed;
    this.mem -= removed * elementMemory(value);
    this.maybeShrink();
    return removed;
  }

  /** Index of the first element equal to `value` from the head, or -1. */
  indexOf(value: string): number {
    for (let i = 0; i < this.len; i++) if (this.buf[(this.head + i) & this.mask] === value) return i;
    return -1;
  }

  private maybeShrink(): void {
    let cap = this.buf.length;
    if (cap <= MIN_CAPACITY || this.len >= cap >>> 2) return;
    while (cap > MIN_CAPACITY && this.len < cap >>> 2) cap >>>= 1;
    this.resize(cap);
  }

  private resize(capacity: number): void {
    const next = emptyBuffer(capacity);
    for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) & this.mask];
    this.buf = next;
    this.mask = capacity - 1;
    this.head = 0;
  }
}
