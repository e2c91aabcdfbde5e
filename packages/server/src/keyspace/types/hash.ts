/**
 * The hash type, in Redis's two encodings:
 * - "listpack": a flat array [field0, value0, field1, value1, ...] in insertion order, searched
 *   linearly, as Redis's listpack is. HDEL keeps the order of the rest and HSET of an existing
 *   field replaces in place, so HGETALL/HKEYS/HSCAN reply in the same order as Redis.
 * - "hashtable": a SlotDict (Map + dense arrays + stable scan slots, see slot-dict.ts).
 * A hash converts to a hashtable when a field or value longer than hash-max-listpack-value is
 * written or when it holds more than hash-max-listpack-entries fields (hashTypeTryConversion,
 * hashTypeSet), and never converts back, as in Redis.
 *
 * Positions: `fieldAt(i)`/`valueAt(i)` for i in [0, size()) address both encodings alike
 * (HGETALL, HRANDFIELD).
 *
 * Memory estimate (`mem`, see keyspace/memory.ts), updated on every change:
 *   HASH_OVERHEAD
 *   + per field, listpack:  HASH_LP_PAIR_OVERHEAD (two array slots)
 *   + per field, hashtable: HASH_HT_PAIR_OVERHEAD (Map entry ~32 incl. bucket share, and the
 *                           keys/vals/slotOf/slots array slots, 8 each)
 *   + stringMemory(field) + stringMemory(value)
 *
 * Called by commands/hashes.ts, sort.ts (BY/GET key->field), persistence and COPY.
 */

import { stringMemory } from "../memory.js";
import type { HashValue } from "../value.js";
import { typeLimits } from "./limits.js";
import { SlotDict } from "./slot-dict.js";

export const HASH_OVERHEAD = 64;
export const HASH_LP_PAIR_OVERHEAD = 16;
export const HASH_HT_PAIR_OVERHEAD = 64;

function pairMemory(field: string, value: string): number {
  return stringMemory(field.length) + stringMemory(value.length);
}

export class HashObject implements HashValue {
  readonly type = "hash" as const;
  mem = HASH_OVERHEAD;
  accountedMem = 0;
  /** Listpack encoding (null once converted). */
  private lp: string[] | null = [];
  /** Hashtable encoding (null while a listpack). */
  private ht: SlotDict | null = null;

  encoding(): string {
    return this.lp !== null ? "listpack" : "hashtable";
  }

  size(): number {
    return this.lp !== null ? this.lp.length >>> 1 : this.ht!.size;
  }

  get isListpack(): boolean {
    return this.lp !== null;
  }

  private lpFind(field: string): number {
    const lp = this.lp!;
    for (let i = 0; i < lp.length; i += 2) if (lp[i] === field) return i;
    return -1;
  }

  get(field: string): string | undefined {
    if (this.lp !== null) {
      const i = this.lpFind(field);
      return i < 0 ? undefined : this.lp[i + 1];
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
        const lp = this.lp;
        const i = this.lpFind(field);
        if (i >= 0) {
          this.mem += stringMemory(value.length) - stringMemory(lp[i + 1].length);
          lp[i + 1] = value;
          return false;
        }
        lp.push(field, value);
        this.mem += HASH_LP_PAIR_OVERHEAD + pairMemory(field, value);
        if (lp.length >>> 1 > typeLimits.hashMaxListpackEntries) this.convert();
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
      const i = this.lpFind(field);
      if (i < 0) return false;
      this.mem -= HASH_LP_PAIR_OVERHEAD + pairMemory(field, this.lp[i + 1]);
      this.lp.splice(i, 2);
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
    return this.lp !== null ? this.lp[2 * i] : this.ht!.keys[i];
  }

  /** The value at position i in [0, size()). */
  valueAt(i: number): string {
    return this.lp !== null ? this.lp[2 * i + 1] : this.ht!.vals![i];
  }

  /** A uniformly random position (the hash must not be empty). */
  randomPosition(): number {
    return Math.floor(Math.random() * this.size());
  }

  *entries(): IterableIterator<[string, string]> {
    const n = this.size();
    for (let i = 0; i < n; i++) yield [this.fieldAt(i), this.valueAt(i)];
  }

  /**
   * One HSCAN step: pushes the positions of the next elements into `out` and returns the next
   * cursor. A listpack is returned whole with cursor 0, as Redis's scanGenericCommand does.
   */
  scan(cursor: number, count: number, out: number[]): number {
    if (this.ht === null) {
      const n = this.size();
      for (let i = 0; i < n; i++) out.push(i);
      return 0;
    }
    return this.ht.scan(cursor, count, out);
  }

  clone(): HashObject {
    const copy = new HashObject();
    if (this.lp !== null) {
      copy.lp = this.lp.slice();
    } else {
      copy.lp = null;
      copy.ht = this.ht!.clone();
    }
    copy.mem = this.mem;
    return copy;
  }

  /** hashTypeConvert to OBJ_ENCODING_HT. */
  private convert(): void {
    const lp = this.lp!;
    const ht = new SlotDict(true);
    let mem = HASH_OVERHEAD;
    for (let i = 0; i < lp.length; i += 2) {
      ht.insert(lp[i], lp[i + 1]);
      mem += HASH_HT_PAIR_OVERHEAD + pairMemory(lp[i], lp[i + 1]);
    }
    this.lp = null;
    this.ht = ht;
    this.mem = mem;
  }
}
