/**
 * The hash type, in Redis's two encodings:
 * - "listpack": every field and value in insertion order, packed into ONE latin1 string, each
 *   preceded by its length (one char below 255, else 255 and four big-endian chars), searched
 *   linearly as Redis's listpack is. HDEL keeps the order of the rest and HSET of an existing
 *   field replaces in place, so HGETALL/HKEYS/HSCAN reply in the same order as Redis. One string
 *   instead of 2 strings per field: a 10-field hash of short strings takes ~200 bytes of heap
 *   where separate strings and array slots took ~720 (V8 gives every string a 16-byte header
 *   and 8-byte alignment). Edits rebuild the string (Array.join gives a flat string), O(size)
 *   as listpack's memmove; reads return slices.
 * - "hashtable": a SlotDict (Map + dense arrays + stable scan slots, see slot-dict.ts).
 * A hash converts to a hashtable when a field or value longer than hash-max-listpack-value is
 * written or when it holds more than hash-max-listpack-entries fields (hashTypeTryConversion,
 * hashTypeSet), and never converts back, as in Redis.
 *
 * Positions: `fieldAt(i)`/`valueAt(i)` for i in [0, size()) address both encodings alike
 * (HGETALL, HRANDFIELD); on a listpack they walk from the last position asked for, so an
 * ascending sweep is linear in all.
 *
 * Memory estimate (`mem`, see keyspace/memory.ts), updated on every change:
 *   HASH_OVERHEAD (the object and its 8 fields)
 *   + listpack:  stringMemory(packed length), the packed length being the sum of
 *                packedPairLength(field, value)
 *   + hashtable: per field HASH_HT_PAIR_OVERHEAD (Map entry ~32 incl. bucket share, and the
 *                keys/vals/slotOf/slots array slots, 8 each; SlotDict makes the last two only
 *                at its first removal, so until then this is 16 bytes high) + stringMemory(field)
 *                + stringMemory(value)
 *
 * Called by commands/hashes.ts, sort.ts (BY/GET key->field), persistence and COPY.
 */

import { hasRepeat } from "@keyhaven/protocol";
import { stringMemory } from "../memory.js";
import type { HashValue } from "../value.js";
import { typeLimits } from "./limits.js";
import { SlotDict, scanPositions } from "./slot-dict.js";

export const HASH_OVERHEAD = 88;
export const HASH_HT_PAIR_OVERHEAD = 64;

/** Length prefixes at or above this take 5 chars. */
const LONG = 255;

function lengthPrefix(n: number): string {
  return n < LONG
    ? String.fromCharCode(n)
    : String.fromCharCode(LONG, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

function prefixSize(n: number): number {
  return n < LONG ? 1 : 5;
}

function readLength(s: string, at: number): number {
  const c = s.charCodeAt(at);
  if (c < LONG) return c;
  return (
    s.charCodeAt(at + 1) * 0x1000000 +
    ((s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 8) | s.charCodeAt(at + 4))
  );
}

/**
 * Whether s[at, at + len) is `field`: compared from the end, since fields often share a prefix
 * ("field:1", "field:2"); an inlined char loop beats startsWith on such short strings.
 */
function sameAt(s: string, at: number, field: string, len: number): boolean {
  for (let i = len - 1; i >= 0; i--) if (s.charCodeAt(at + i) !== field.charCodeAt(i)) return false;
  return true;
}

/** Chars one field/value pair takes in the packed listpack string. */
export function packedPairLength(field: string, value: string): number {
  return prefixSize(field.length) + field.length + prefixSize(value.length) + value.length;
}

function pairMemory(field: string, value: string): number {
  return stringMemory(field.length) + stringMemory(value.length);
}

/**
 * A copy of `s` that shares no storage (slices of 13+ chars point into their parent, which would
 * keep a whole packed listpack alive once the hash has moved on).
 */
function detached(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, "latin1").toString("latin1");
}

export class HashObject implements HashValue {
  readonly type = "hash" as const;
  mem = HASH_OVERHEAD + stringMemory(0);
  accountedMem = 0;
  /** Listpack encoding: the packed string (null once converted). */
  private lp: string | null = "";
  /** Number of pairs in `lp`. */
  private lpCount = 0;
  /** A position of `lp` and the offset of its pair, where the next positional walk starts. */
  private walkIndex = 0;
  private walkOffset = 0;
  /** Hashtable encoding (null while a listpack). */
  private ht: SlotDict | null = null;

  encoding(): string {
    return this.lp !== null ? "listpack" : "hashtable";
  }

  size(): number {
    return this.lp !== null ? this.lpCount : this.ht!.size;
  }

  get isListpack(): boolean {
    return this.lp !== null;
  }

  /** Offset of the pair whose field is `field` in the listpack, or -1. */
  private lpFind(field: string): number {
    const lp = this.lp!;
    const len = field.length;
    let at = 0;
    for (let i = 0; i < this.lpCount; i++) {
      const flen = readLength(lp, at);
      const fstart = at + prefixSize(flen);
      if (flen === len && sameAt(lp, fstart, field, len)) return at;
      const vat = fstart + flen;
      const vlen = readLength(lp, vat);
      at = vat + prefixSize(vlen) + vlen;
    }
    return -1;
  }

  /** Offset of the value part of the pair at `at`. */
  private valueOffset(at: number): number {
    const flen = readLength(this.lp!, at);
    return at + prefixSize(flen) + flen;
  }

  /** The string whose length prefix is at `at`. */
  private stringAt(at: number): string {
    const n = readLength(this.lp!, at);
    const start = at + prefixSize(n);
    return this.lp!.slice(start, start + n);
  }

  /** Offset just past the pair at `at`. */
  private pairEnd(at: number): number {
    const vat = this.valueOffset(at);
    const vlen = readLength(this.lp!, vat);
    return vat + prefixSize(vlen) + vlen;
  }

  /** Offset of the pair at position i (walking on from the last position asked for when it is not after i). */
  private pairOffset(i: number): number {
    let k = this.walkIndex;
    let at = this.walkOffset;
    if (k > i) {
      k = 0;
      at = 0;
    }
    for (; k < i; k++) at = this.pairEnd(at);
    this.walkIndex = k;
    this.walkOffset = at;
    return at;
  }

  /** Replaces lp[from, to) with `middle`, as one flat string, and accounts the size change. */
  private splice(from: number, to: number, middle: string): void {
    const lp = this.lp!;
    const next = [lp.slice(0, from), middle, lp.slice(to)].join("");
    this.mem += stringMemory(next.length) - stringMemory(lp.length);
    this.lp = next;
    this.walkIndex = 0;
    this.walkOffset = 0;
  }

  get(field: string): string | undefined {
    if (this.lp !== null) {
      const at = this.lpFind(field);
      return at < 0 ? undefined : this.stringAt(this.valueOffset(at));
    }
    const pos = this.ht!.position(field);
    return pos === undefined ? undefined : this.ht!.vals![pos];
  }

  has(field: string): boolean {
    return this.lp !== null ? this.lpFind(field) >= 0 : this.ht!.has(field);
  }

  /** hashTypeSet: sets `field`, converting first when the strings are too long. Returns true when created. */
  set(field: string, value: string): boolean {
    if (this.lp !== null) {
      const max = typeLimits.hashMaxListpackValue;
      if (field.length > max || value.length > max) {
        this.convert();
      } else {
        const at = this.lpFind(field);
        if (at >= 0) {
          this.splice(this.valueOffset(at), this.pairEnd(at), lengthPrefix(value.length) + value);
          return false;
        }
        const end = this.lp.length;
        this.splice(end, end, lengthPrefix(field.length) + field + lengthPrefix(value.length) + value);
        this.lpCount++;
        if (this.lpCount > typeLimits.hashMaxListpackEntries) this.convert();
        return true;
      }
    }
    const ht = this.ht!;
    const pos = ht.position(field);
    if (pos !== undefined) {
      const vals = ht.vals!;
      this.mem += stringMemory(value.length) - stringMemory(vals[pos].length);
      vals[pos] = value;
      return false;
    }
    ht.insert(field, value);
    this.mem += HASH_HT_PAIR_OVERHEAD + pairMemory(field, value);
    return true;
  }

  /** hashTypeDelete: returns whether the field existed. */
  delete(field: string): boolean {
    if (this.lp !== null) {
      const at = this.lpFind(field);
      if (at < 0) return false;
      this.splice(at, this.pairEnd(at), "");
      this.lpCount--;
      return true;
    }
    const ht = this.ht!;
    const pos = ht.position(field);
    if (pos === undefined) return false;
    this.mem -= HASH_HT_PAIR_OVERHEAD + pairMemory(field, ht.vals![pos]);
    ht.removeAt(pos);
    return true;
  }

  /** The field at position i in [0, size()). */
  fieldAt(i: number): string {
    return this.lp !== null ? this.stringAt(this.pairOffset(i)) : this.ht!.keys[i];
  }

  /** The value at position i in [0, size()). */
  valueAt(i: number): string {
    return this.lp !== null ? this.stringAt(this.valueOffset(this.pairOffset(i))) : this.ht!.vals![i];
  }

  /** A uniformly random position (the hash must not be empty). */
  randomPosition(): number {
    return Math.floor(Math.random() * this.size());
  }

  /**
   * While a listpack: fills bounds with [start, end) of every field and value in position order
   * (field i at 2i, value i at 2i + 1, start and end interleaved) and returns the packed string
   * they index; null for a hashtable. Snapshots write the fields from it without substrings.
   */
  packedBounds(bounds: number[]): string | null {
    const lp = this.lp;
    if (lp === null) return null;
    let at = 0;
    for (let k = 0; k < 2 * this.lpCount; k++) {
      const n = readLength(lp, at);
      const start = at + prefixSize(n);
      bounds[2 * k] = start;
      bounds[2 * k + 1] = start + n;
      at = start + n;
    }
    return lp;
  }

  /** The pairs in position order, as strings of their own (they may be kept: RDB, COPY, SORT STORE). */
  *entries(): IterableIterator<[string, string]> {
    const n = this.size();
    for (let i = 0; i < n; i++) yield [detached(this.fieldAt(i)), detached(this.valueAt(i))];
  }

  /** One HSCAN step (see scanPositions): positions of the next elements into `out`; the next cursor. */
  scan(cursor: number, count: number, out: number[]): number {
    return scanPositions(this.ht, this.size(), cursor, count, out);
  }

  /**
   * A hash holding `pairs`, or null when a field repeats (a corrupt RDB or DUMP payload, which
   * loaders refuse). Built in one pass when they fit a listpack: loaders need not pay set()'s
   * rebuild per field.
   */
  static fromPairs(pairs: readonly (readonly [string, string])[]): HashObject | null {
    const hash = new HashObject();
    const max = typeLimits.hashMaxListpackValue;
    const n = pairs.length;
    let fits = n <= typeLimits.hashMaxListpackEntries;
    for (let i = 0; fits && i < n; i++) fits = pairs[i][0].length <= max && pairs[i][1].length <= max;
    if (!fits) {
      // The hashtable encoding at once: set() per field would search the dict for each first.
      const fields: string[] = new Array(n);
      const values: string[] = new Array(n);
      let mem = HASH_OVERHEAD;
      for (let i = 0; i < n; i++) {
        fields[i] = pairs[i][0];
        values[i] = pairs[i][1];
        mem += HASH_HT_PAIR_OVERHEAD + pairMemory(fields[i], values[i]);
      }
      const ht = SlotDict.ofKeys(fields, values);
      if (ht === null) return null;
      hash.lp = null;
      hash.ht = ht;
      hash.mem = mem;
      return hash;
    }
    const parts: string[] = [];
    for (const [field, value] of pairs)
      parts.push(lengthPrefix(field.length), field, lengthPrefix(value.length), value);
    if (hasRepeat(parts, 1, 4)) return null;
    // Assigned, not spliced into the empty listpack: one string built per hash, not two.
    const lp = parts.join("");
    hash.mem += stringMemory(lp.length) - stringMemory(0);
    hash.lp = lp;
    hash.lpCount = pairs.length;
    return hash;
  }

  clone(): HashObject {
    const copy = new HashObject();
    if (this.lp !== null) {
      copy.lp = this.lp; // immutable: every edit builds a new string
      copy.lpCount = this.lpCount;
    } else {
      copy.lp = null;
      copy.ht = this.ht!.clone();
    }
    copy.mem = this.mem;
    return copy;
  }

  /** hashTypeConvert to OBJ_ENCODING_HT. */
  private convert(): void {
    const ht = new SlotDict(true);
    let mem = HASH_OVERHEAD;
    for (const [field, value] of this.entries()) {
      ht.insert(field, value);
      mem += HASH_HT_PAIR_OVERHEAD + pairMemory(field, value);
    }
    this.lp = null;
    this.lpCount = 0;
    this.ht = ht;
    this.mem = mem;
  }
}
