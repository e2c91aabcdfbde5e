/**
 * The "hashtable" encoding shared by hashes and sets (Redis's dict): a Map for O(1) lookups,
 * dense arrays for O(1) uniformly random picks (SRANDMEMBER, SPOP, HRANDFIELD, like
 * dictGetFairRandomKey), and stable scan slots for the SCAN-family guarantee.
 *
 *   index:  Map key -> dense position (null up to SMALL_MAX elements: `keys` is searched)
 *   keys[pos], vals[pos]    dense; a delete moves the last element into the hole (swap-remove)
 *   slotOf[pos] -> slot     the element's scan slot, fixed for the element's whole life
 *   slots[slot] -> pos | -1 a hole is reused by a later addition; trailing holes are trimmed
 *
 * Why two orders: random picks need a dense array, but swap-remove moves elements, and an
 * element moved from an unvisited to a visited position would be missed by HSCAN/SSCAN. So
 * cursors walk `slots`, where an element never moves while it lives: every element present for
 * a whole iteration is returned (exactly once), as Redis's reverse-binary dict cursor
 * guarantees, and elements added meanwhile may or may not be.
 *
 * Until the first removal, slot and position are the same for every element (additions only
 * append), so `slotOf` and `slots` stay null and stand for the identity: most sets and hashes
 * (every one loaded from an RDB) never lose an element, and the two arrays cost ~370 bytes for a
 * 4-member set (V8 grows an array pushed one by one to 17 slots) and two pushes per insert.
 *
 * Small dicts have no Map either: a search of up to SMALL_MAX short strings costs about what
 * hashing the probe key for a Map lookup does, and the Map is ~150-260 bytes of a small set
 * (Redis 7.0 keeps every set with a non-integer member as a hashtable, however small).
 *
 * Called by keyspace/types/hash.ts and set.ts only; they own the memory accounting.
 */

import { hasRepeat } from "@keyhaven/protocol";

/** Up to this many elements, positions are found by searching `keys` (no index Map). */
const SMALL_MAX = 8;

export class SlotDict {
  /** key -> dense position; null until the dict first grows past SMALL_MAX elements. */
  private index: Map<string, number> | null = null;
  readonly keys: string[];
  /** Values parallel to `keys` (hashes), or null (sets). */
  readonly vals: string[] | null;
  /** null: the identity (no element was ever removed), see the head comment. */
  private slotOf: number[] | null = null;
  private slots: number[] | null = null;
  /** Holes of `slots` to reuse; made with it. */
  private free: number[] | null = null;

  constructor(withValues: boolean, keys: string[] = [], vals: string[] = []) {
    this.vals = withValues ? vals : null;
    this.keys = keys;
  }

  /**
   * A dict of `keys` (and, for a hash, `vals` parallel to them), which it takes over (the caller
   * must not keep them), or null when a key repeats. For bulk builds (RDB loads): no search per
   * key, and an array made at its exact size holds 4 members in 48 bytes, one grown by pushes in
   * 152.
   */
  static ofKeys(keys: string[], vals: string[] | null = null): SlotDict | null {
    const dict = new SlotDict(vals !== null, keys, vals ?? undefined);
    if (keys.length <= SMALL_MAX) return hasRepeat(keys) ? null : dict;
    // The index is needed anyway: a repeated key leaves it smaller than `keys`.
    return dict.buildIndex().size === keys.length ? dict : null;
  }

  private buildIndex(): Map<string, number> {
    const index = new Map<string, number>();
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) index.set(keys[i], i);
    this.index = index;
    return index;
  }

  get size(): number {
    return this.keys.length;
  }

  /** Dense position of `key`, or undefined. */
  position(key: string): number | undefined {
    if (this.index !== null) return this.index.get(key);
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
    return undefined;
  }

  has(key: string): boolean {
    return this.index !== null ? this.index.has(key) : this.position(key) !== undefined;
  }

  /** Appends a key that must not be present (with its value for hashes). */
  insert(key: string, value: string): void {
    const pos = this.keys.length;
    this.keys.push(key);
    if (this.vals !== null) this.vals.push(value);
    // Once made, the index stays (also if the dict shrinks back): no rebuilding back and forth.
    if (this.index !== null) this.index.set(key, pos);
    else if (pos >= SMALL_MAX) this.buildIndex();
    if (this.slots === null) return;
    let slot = -1;
    const free = this.free!;
    while (free.length !== 0) {
      const candidate = free.pop()!;
      if (candidate < this.slots.length) {
        slot = candidate;
        break;
      }
    }
    if (slot === -1) {
      slot = this.slots.length;
      this.slots.push(pos);
    } else {
      this.slots[slot] = pos;
    }
    this.slotOf!.push(slot);
  }

  /** Removes the element at dense position `pos`. */
  removeAt(pos: number): void {
    const keys = this.keys;
    const last = keys.length - 1;
    if (this.slots === null) {
      if (pos === last) {
        // Removing the last element keeps slots and positions equal.
        this.index?.delete(keys[pos]);
        keys.pop();
        this.vals?.pop();
        return;
      }
      this.materializeSlots();
    }
    const slotOf = this.slotOf!;
    const slot = slotOf[pos];
    this.index?.delete(keys[pos]);
    if (pos !== last) {
      const moved = keys[last];
      keys[pos] = moved;
      if (this.vals !== null) this.vals[pos] = this.vals[last];
      const movedSlot = slotOf[last];
      slotOf[pos] = movedSlot;
      this.slots![movedSlot] = pos;
      this.index?.set(moved, pos);
    }
    keys.pop();
    this.vals?.pop();
    slotOf.pop();
    this.releaseSlot(slot);
  }

  /** Leaves the identity form: the arrays it stood for, before a removal breaks it. */
  private materializeSlots(): void {
    const n = this.keys.length;
    const identity = new Array<number>(n);
    for (let i = 0; i < n; i++) identity[i] = i;
    this.slots = identity;
    this.slotOf = identity.slice();
    this.free = [];
  }

  private releaseSlot(slot: number): void {
    const slots = this.slots!;
    slots[slot] = -1;
    if (slot === slots.length - 1) {
      let end = slot;
      while (end > 0 && slots[end - 1] === -1) end--;
      slots.length = end;
      if (this.free!.length > 2 * end + 16) this.free = this.free!.filter((s) => s < end);
    } else {
      this.free!.push(slot);
    }
  }

  /** A uniformly random dense position (the dict must not be empty). */
  randomPosition(): number {
    return Math.floor(Math.random() * this.keys.length);
  }

  /**
   * One step of an HSCAN/SSCAN iteration: pushes the dense positions of up to about `count`
   * elements from slot `cursor` on into `out`, and returns the next cursor (0 at the end).
   * Visits at most 10 * count slots so that long runs of holes cannot stall a call.
   */
  scan(cursor: number, count: number, out: number[]): number {
    const slots = this.slots;
    if (slots === null) {
      const end = Math.min(this.keys.length, cursor + count);
      for (let pos = cursor; pos < end; pos++) out.push(pos);
      return end >= this.keys.length ? 0 : end;
    }
    const end = slots.length;
    const maxVisits = count * 10;
    let slot = cursor;
    let visits = 0;
    let found = 0;
    while (slot < end && found < count && visits < maxVisits) {
      const pos = slots[slot];
      if (pos !== -1) {
        out.push(pos);
        found++;
      }
      slot++;
      visits++;
    }
    return slot >= end ? 0 : slot;
  }

  clone(): SlotDict {
    const copy = new SlotDict(this.vals !== null);
    for (let i = 0; i < this.keys.length; i++)
      copy.insert(this.keys[i], this.vals === null ? "" : this.vals[i]);
    return copy;
  }
}

/**
 * One HSCAN/SSCAN step over a collection of `size` elements held either compactly (`ht` null: a
 * listpack or intset, returned whole with cursor 0, as Redis's scanGenericCommand does) or in a
 * SlotDict. Pushes positions into `out`; returns the next cursor.
 */
export function scanPositions(
  ht: SlotDict | null,
  size: number,
  cursor: number,
  count: number,
  out: number[],
): number {
  if (ht !== null) return ht.scan(cursor, count, out);
  for (let i = 0; i < size; i++) out.push(i);
  return 0;
}
