/**
 * The set type, in Redis 7.0's two encodings (there are no listpack sets before 7.2):
 * - "intset": members that are all canonical int64 decimal strings, kept sorted by numeric
 *   value in one array (binary search, O(n) insert/remove like intsetAdd's memmove), so
 *   SMEMBERS, SSCAN and the set algebra reply in ascending order exactly as Redis does.
 * - "hashtable": a SlotDict (Map + dense arrays + stable scan slots, see slot-dict.ts).
 * A set converts to a hashtable when a non-integer member is added or when it holds more than
 * set-max-intset-entries members (setTypeAdd), and never converts back. A new set starts as an
 * intset when its first member is an integer (setTypeCreate).
 *
 * Positions: `memberAt(i)` for i in [0, size()) addresses both encodings (random picks).
 *
 * Memory estimate (`mem`, see keyspace/memory.ts), updated on every change:
 *   SET_OVERHEAD
 *   + per member, intset:    SET_INTSET_ENTRY_OVERHEAD (one array slot)
 *   + per member, hashtable: SET_HT_ENTRY_OVERHEAD (Map entry ~32 incl. bucket share, and the
 *                            keys/slotOf/slots array slots, 8 each; SlotDict makes the last
 *                            two only at its first removal, so until then this is 16 bytes high)
 *   + stringMemory(member)
 *
 * Called by commands/sets.ts, sort.ts, persistence and COPY.
 */

import { stringMemory } from "../memory.js";
import type { SetValue } from "../value.js";
import { typeLimits } from "./limits.js";
import { SlotDict, scanPositions } from "./slot-dict.js";

export const SET_OVERHEAD = 64;
export const SET_INTSET_ENTRY_OVERHEAD = 8;
export const SET_HT_ENTRY_OVERHEAD = 56;

const INT64_MAX_DIGITS = "9223372036854775807";
const INT64_MIN_DIGITS = "9223372036854775808";

/**
 * isSdsRepresentableAsLongLong / string2ll: true for the canonical decimal form of an int64 (no
 * sign other than a leading '-', no leading zeros, no "-0", no spaces).
 */
export function isInt64String(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  const negative = s.charCodeAt(0) === 45;
  if (negative) {
    if (n === 1) return false;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1;
  if (first < 49 || first > 57) return false;
  for (let k = i + 1; k < n; k++) {
    const d = s.charCodeAt(k);
    if (d < 48 || d > 57) return false;
  }
  const digits = n - i;
  if (digits < 19) return true;
  if (digits > 19) return false;
  return (negative ? s.slice(1) : s) <= (negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS);
}

/** Numeric order of two canonical int64 strings (see isInt64String). */
export function compareInt64Strings(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45;
  const bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  let c: number;
  if (a.length !== b.length) c = a.length < b.length ? -1 : 1;
  else c = a < b ? -1 : a > b ? 1 : 0;
  return an ? -c : c;
}

export class SetObject implements SetValue {
  readonly type = "set" as const;
  mem = SET_OVERHEAD;
  accountedMem = 0;
  /** Intset encoding, sorted numerically (null once converted). */
  private ints: string[] | null;
  /** Hashtable encoding (null while an intset). */
  private ht: SlotDict | null;

  /**
   * An empty set; `intset` picks the encoding (createIntsetObject / createSetObject). `ht`: a
   * hashtable built beforehand instead (fromMembers), its memory not yet counted.
   */
  constructor(intset = true, ht: SlotDict | null = null) {
    this.ints = intset ? [] : null;
    this.ht = intset ? null : (ht ?? new SlotDict(false));
  }

  /**
   * A set of `members`, as adding them one by one to forMember(members[0]) would build it, or
   * null when a member repeats (a corrupt RDB or DUMP payload, which loaders refuse). Integers in
   * strictly ascending order within set-max-intset-entries (an RDB intset) are copied as they
   * are: no search per member, and an array of exactly their size (one grown by push has room
   * for 16 or more).
   */
  static fromMembers(members: string[]): SetObject | null {
    const n = members.length;
    let sortedInts = n > 0 && n <= typeLimits.setMaxIntsetEntries && isInt64String(members[0]);
    for (let i = 1; sortedInts && i < n; i++) {
      sortedInts = isInt64String(members[i]) && compareInt64Strings(members[i - 1], members[i]) < 0;
    }
    if (sortedInts) {
      const set = new SetObject(true);
      set.ints = members.slice();
      for (let i = 0; i < n; i++) set.mem += SET_INTSET_ENTRY_OVERHEAD + stringMemory(members[i].length);
      return set;
    }
    if (n > 0 && !isInt64String(members[0])) {
      // A hashtable from the first member on: built at once.
      const ht = SlotDict.ofKeys(members.slice());
      if (ht === null) return null;
      const set = new SetObject(false, ht);
      for (let i = 0; i < n; i++) set.mem += SET_HT_ENTRY_OVERHEAD + stringMemory(members[i].length);
      return set;
    }
    const set = n > 0 ? SetObject.forMember(members[0]) : new SetObject();
    for (let i = 0; i < n; i++) if (!set.add(members[i])) return null;
    return set;
  }

  /** setTypeCreate: an empty set whose encoding suits `first`, the member about to be added. */
  static forMember(first: string): SetObject {
    return new SetObject(isInt64String(first));
  }

  encoding(): string {
    return this.ints !== null ? "intset" : "hashtable";
  }

  size(): number {
    return this.ints !== null ? this.ints.length : this.ht!.size;
  }

  get isIntset(): boolean {
    return this.ints !== null;
  }

  /** Index of `m` in the intset, or -(insertion point) - 1. */
  private intsetSearch(m: string): number {
    const ints = this.ints!;
    let lo = 0;
    let hi = ints.length - 1;
    // Appending in ascending order is the common case (SADD 1 2 3...): check the end first.
    if (hi >= 0) {
      const c = compareInt64Strings(m, ints[hi]);
      if (c > 0) return -(hi + 1) - 1;
      if (c === 0) return hi;
    }
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareInt64Strings(ints[mid], m);
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  has(m: string): boolean {
    if (this.ints !== null) return isInt64String(m) && this.intsetSearch(m) >= 0;
    return this.ht!.has(m);
  }

  /** setTypeAdd: returns true when `m` was added. */
  add(m: string): boolean {
    if (this.ints !== null) {
      if (isInt64String(m)) {
        const i = this.intsetSearch(m);
        if (i >= 0) return false;
        if (-i - 1 === this.ints.length) this.ints.push(m);
        else this.ints.splice(-i - 1, 0, m);
        this.mem += SET_INTSET_ENTRY_OVERHEAD + stringMemory(m.length);
        if (this.ints.length > typeLimits.setMaxIntsetEntries) this.convert();
        return true;
      }
      this.convert();
    }
    const ht = this.ht!;
    if (ht.has(m)) return false;
    ht.insert(m, "");
    this.mem += SET_HT_ENTRY_OVERHEAD + stringMemory(m.length);
    return true;
  }

  /** setTypeRemove: returns true when `m` was a member. */
  remove(m: string): boolean {
    if (this.ints !== null) {
      if (!isInt64String(m)) return false;
      const i = this.intsetSearch(m);
      if (i < 0) return false;
      this.ints.splice(i, 1);
      this.mem -= SET_INTSET_ENTRY_OVERHEAD + stringMemory(m.length);
      return true;
    }
    const ht = this.ht!;
    const pos = ht.position(m);
    if (pos === undefined) return false;
    ht.removeAt(pos);
    this.mem -= SET_HT_ENTRY_OVERHEAD + stringMemory(m.length);
    return true;
  }

  /** The member at position i in [0, size()). */
  memberAt(i: number): string {
    return this.ints !== null ? this.ints[i] : this.ht!.keys[i];
  }

  /** Removes the member at position i in [0, size()) and returns it (SPOP). */
  removeAt(i: number): string {
    if (this.ints !== null) {
      const m = this.ints[i];
      this.ints.splice(i, 1);
      this.mem -= SET_INTSET_ENTRY_OVERHEAD + stringMemory(m.length);
      return m;
    }
    const ht = this.ht!;
    const m = ht.keys[i];
    ht.removeAt(i);
    this.mem -= SET_HT_ENTRY_OVERHEAD + stringMemory(m.length);
    return m;
  }

  /** A uniformly random position (the set must not be empty). */
  randomPosition(): number {
    return Math.floor(Math.random() * this.size());
  }

  *members(): IterableIterator<string> {
    const n = this.size();
    for (let i = 0; i < n; i++) yield this.memberAt(i);
  }

  /** One SSCAN step (see scanPositions): positions of the next members into `out`; the next cursor. */
  scan(cursor: number, count: number, out: number[]): number {
    return scanPositions(this.ht, this.size(), cursor, count, out);
  }

  clone(): SetObject {
    const copy = new SetObject(this.ints !== null);
    if (this.ints !== null) copy.ints = this.ints.slice();
    else copy.ht = this.ht!.clone();
    copy.mem = this.mem;
    return copy;
  }

  /** setTypeConvert to OBJ_ENCODING_HT (members keep their ascending order as dense order). */
  private convert(): void {
    const ints = this.ints!;
    const ht = new SlotDict(false);
    let mem = SET_OVERHEAD;
    for (const m of ints) {
      ht.insert(m, "");
      mem += SET_HT_ENTRY_OVERHEAD + stringMemory(m.length);
    }
    this.ints = null;
    this.ht = ht;
    this.mem = mem;
  }
}
