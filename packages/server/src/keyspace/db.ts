/**
 * One numbered database: the main dict of keys, their TTLs, and the bookkeeping that Redis keeps
 * beside the dict (random access for RANDOMKEY/eviction/active expiry, memory accounting, the
 * keys clients WATCH or block on).
 *
 * Invariants:
 * - every Entry of `dict` is in `all` at `entry.slot`, and an entry never changes slot while it
 *   lives: a deleted key leaves a hole that a later key may reuse. That is what gives SCAN its
 *   guarantee (a cursor is a slot index; a key present for the whole iteration is returned
 *   exactly once), as Redis's reverse-binary cursor does over its rehashing tables;
 * - every Entry with expireAt >= 0 is in `volatile` at `entry.vslot` (dense, swap-remove: it is
 *   only sampled, never scanned);
 * - while `sampler` is not null it holds every live entry (and, until drawn, some deleted ones:
 *   an entry is live iff `all[entry.slot] === entry`); see randomEntry;
 * - entries added by addDeferred (all[deferredFrom..]) are not in `dict` yet: every use of `dict`
 *   inserts them first (flushDeferred), so only the cost of the insert is deferred, never its effect;
 * - `usedMemory` is the sum of keyMemory + value memory (+ EXPIRE_OVERHEAD) over the entries, as
 *   last synced: collections are re-synced by `syncMemory` whenever a command signals a change;
 * - a key whose TTL has passed is never visible to a lookup: on a master it is deleted (and the
 *   deletion propagated by the hooks), on a replica it is hidden until the master's DEL arrives
 *   (Redis's expireIfNeeded).
 *
 * Called by command handlers (through lookups and writes), the active expire cycle, eviction,
 * persistence and replication.
 */

import { clock } from "./clock.js";
import { hashKey, KeyTable } from "./key-table.js";
import { EXPIRE_OVERHEAD, keyMemory, stringMemory } from "./memory.js";
import { Entry, STR_ENC_AUTO, type Value } from "./value.js";

/** What a Db needs from the server, so this module stays free of networking and propagation. */
export interface KeyspaceHooks {
  /** This server replicates from a master: it never deletes expired keys on its own. */
  isReplica(): boolean;
  /** The command being executed came from our master (it sees keys its own DELs will remove). */
  executingMasterCommand(): boolean;
  /** Writes are paused (CLIENT PAUSE WRITE / failover): expired keys are hidden, not deleted. */
  writesPaused(): boolean;
  /**
   * The dataset is being loaded (AOF replay): nothing expires, so the file's commands apply to
   * exactly the keys they applied to when they ran (keyIsExpired's `if (server.loading) return 0`).
   */
  isLoading(): boolean;
  /** A key was deleted because its TTL passed: propagate DEL, notify `expired`, count it. */
  onKeyExpired(db: Db, key: string): void;
  /**
   * A writable replica's own client (not its master) set a TTL: the replica must expire that
   * key itself, since no DEL will come from the master (rememberSlaveKeyWithExpire).
   */
  onReplicaOwnExpire(db: Db, key: string): void;
  /** Lookup statistics (keyspace_hits/misses). */
  countLookup(hit: boolean): void;
  /** A read lookup missed (lookupKey's `keymiss` notification). */
  onKeyMiss(db: Db, key: string): void;
  /** dbAdd created `key` (its `new` notification). */
  onKeyAdded(db: Db, key: string): void;
  /** The LRU/LFU field value for a key being touched now. */
  touchLru(current: number): number;
}

/**
 * Watches changes before they happen: the point-in-time snapshot (persistence/snapshot.ts)
 * serializes a key's pre-image the first time it is about to change while a snapshot runs.
 * Every mutation path of a Db calls it: write lookups (commands mutate collections in place
 * after a LOOKUP_WRITE lookup), overwrite, delete, expiry changes, and whole-db flush/swap.
 */
export interface KeyspaceObserver {
  beforeKeyWrite(db: Db, entry: Entry): void;
  /** A key created now did not exist when the snapshot began: it must not be saved. */
  keyAdded(db: Db, entry: Entry): void;
  beforeDbFlush(db: Db): void;
}

const EMPTY_HASHES = new Int32Array(0);

/** Lookup flags (lookupKey's LOOKUP_*). */
export const LOOKUP_NONE = 0;
export const LOOKUP_NOTOUCH = 1;
export const LOOKUP_NOSTATS = 2;
export const LOOKUP_WRITE = 4;
export const LOOKUP_NOEXPIRE = 8;
/** No `keymiss` notification: for lookups that are Redis's expireIfNeeded or dictFind, not lookupKey. */
export const LOOKUP_NONOTIFY = 16;

export class Db {
  readonly id: number;
  private dict = new KeyTable();
  /** Index in `all` of the first entry addDeferred left out of `dict`, or -1. */
  private deferredFrom = -1;
  /**
   * The deferred keys' hashes (hashKey), in `all` order: computed while each key string is still
   * in the cache, instead of revisiting a million entries and keys at the end.
   */
  private deferredHashes: Int32Array = EMPTY_HASHES;
  /** Later copies of keys found by flushDeferred, removed again; for finishDeferred. */
  private deferredDuplicates: Entry[] = [];
  /** Entries by slot; null marks a hole left by a deleted key. */
  private all: (Entry | null)[] = [];
  /** Holes of `all` available for reuse (may hold indices beyond a since-trimmed tail). */
  private freeSlots: number[] = [];
  private volatile: Entry[] = [];
  /** Live entries, densely, while `all` is sparse (see randomEntry); null otherwise. */
  private sampler: Entry[] | null = null;
  usedMemory = 0;
  /** Average TTL estimate (ms) maintained by the active expire cycle, for INFO keyspace. */
  avgTtl = 0;
  /** Clients that WATCH a key, by key (touchWatchedKey marks them dirty). */
  watchedKeys = new Map<string, Set<{ markDirtyCas(): void }>>();
  /** Keys with clients blocked on them; owned by exec/blocking.ts. */
  blockingKeys = new Map<string, unknown>();
  readonly hooks: KeyspaceHooks;
  /** Set while a snapshot runs; null otherwise (one null check per write). */
  observer: KeyspaceObserver | null = null;

  constructor(id: number, hooks: KeyspaceHooks) {
    this.id = id;
    this.hooks = hooks;
  }

  get size(): number {
    return this.deferredFrom < 0 ? this.dict.size : this.dict.size + this.all.length - this.deferredFrom;
  }

  get expiresCount(): number {
    return this.volatile.length;
  }

  /** The entry for `key` with no expiry check, statistics or LRU update (internal use). */
  peek(key: string): Entry | undefined {
    if (this.deferredFrom >= 0) this.flushDeferred();
    return this.dict.get(key);
  }

  /**
   * lookupKey: the live entry for `key`, or undefined when absent or logically expired.
   * Updates LRU/LFU unless NOTOUCH and hit/miss stats unless NOSTATS; a miss notifies `keymiss`
   * unless NONOTIFY or WRITE.
   */
  lookup(key: string, flags: number): Entry | undefined {
    if (this.deferredFrom >= 0) this.flushDeferred();
    let entry = this.dict.get(key);
    if (
      entry !== undefined &&
      entry.expireAt >= 0 &&
      entry.expireAt < clock.ms &&
      (flags & LOOKUP_NOEXPIRE) === 0
    ) {
      if (this.expireIfNeeded(entry, (flags & LOOKUP_WRITE) !== 0)) entry = undefined;
    }
    if (entry !== undefined) {
      if ((flags & LOOKUP_WRITE) !== 0 && this.observer !== null) this.observer.beforeKeyWrite(this, entry);
      if ((flags & LOOKUP_NOTOUCH) === 0) entry.lru = this.hooks.touchLru(entry.lru);
      if ((flags & LOOKUP_NOSTATS) === 0) this.hooks.countLookup(true);
      return entry;
    }
    if ((flags & (LOOKUP_NONOTIFY | LOOKUP_WRITE)) === 0) this.hooks.onKeyMiss(this, key);
    if ((flags & LOOKUP_NOSTATS) === 0) this.hooks.countLookup(false);
    return undefined;
  }

  /** lookupKeyRead: the value, or undefined. */
  read(key: string): Value | undefined {
    return this.lookup(key, LOOKUP_NONE)?.value;
  }

  /** lookupKeyWrite: the value, or undefined (no hit/miss statistics, as Redis). */
  write(key: string): Value | undefined {
    return this.lookup(key, LOOKUP_WRITE | LOOKUP_NOSTATS)?.value;
  }

  /**
   * expireIfNeeded for a key whose TTL has passed: returns true when it must be treated as
   * absent. Masters delete it (and the hooks propagate the deletion); replicas only hide it,
   * except from their master's own commands.
   */
  private expireIfNeeded(entry: Entry, forWrite: boolean): boolean {
    if (this.hooks.isLoading()) return false;
    if (this.hooks.isReplica()) {
      if (this.hooks.executingMasterCommand()) return false;
      if (!forWrite) return true;
    }
    if (this.hooks.writesPaused()) return true;
    const key = entry.key;
    this.delete(key);
    this.hooks.onKeyExpired(this, key);
    return true;
  }

  /** True when `key` exists and has expired (whether or not it was deleted yet). */
  isExpired(entry: Entry): boolean {
    return entry.expireAt >= 0 && entry.expireAt < clock.ms;
  }

  /** dbAdd: adds a key that must not exist (notifying `new`). Returns its entry. */
  add(key: string, value: Value): Entry {
    if (this.deferredFrom >= 0) this.flushDeferred();
    const entry = new Entry(key, value, this.hooks.touchLru(-1));
    this.dict.addIfAbsent(entry);
    this.placeAdded(entry);
    this.hooks.onKeyAdded(this, key);
    return entry;
  }

  /**
   * add() for a bulk loader (RDB): the entry gets its slot, TTL and memory accounting now, but
   * goes into `dict` later, in one batch with the others (KeyTable.addBulk writes the table in
   * slot order: most of a 1M-key load's dict cost was cache misses of one-by-one inserts). The
   * batch is inserted by finishDeferred, or by the first operation that needs `dict`. A key
   * given twice is not detected here: finishDeferred returns the later copies (removed again).
   */
  addDeferred(key: string, value: Value): Entry {
    const entry = new Entry(key, value, this.hooks.touchLru(-1));
    const all = this.all;
    if (this.deferredFrom < 0) this.deferredFrom = all.length;
    const n = all.length - this.deferredFrom;
    if (n === this.deferredHashes.length) {
      const grown = new Int32Array(Math.max(1024, n * 2));
      grown.set(this.deferredHashes);
      this.deferredHashes = grown;
    }
    this.deferredHashes[n] = hashKey(key);
    // Always at the tail (holes are reused once the batch is in), so the batch is one run of `all`.
    entry.slot = all.length;
    all.push(entry);
    this.accountAdded(entry);
    return entry;
  }

  /**
   * Inserts what addDeferred added into `dict`. Returns the entries that repeated a key already
   * present (or earlier in the batch), in the order they were added; they were removed from the
   * Db again, the first copy of each key staying.
   */
  finishDeferred(): Entry[] {
    if (this.deferredFrom >= 0) this.flushDeferred();
    const duplicates = this.deferredDuplicates;
    if (duplicates.length > 0) this.deferredDuplicates = [];
    return duplicates;
  }

  private flushDeferred(): void {
    const from = this.deferredFrom;
    this.deferredFrom = -1;
    const all = this.all;
    const hashes = this.deferredHashes;
    this.deferredHashes = EMPTY_HASHES;
    const duplicates = this.dict.addBulk(all as Entry[], from, all.length - from, hashes);
    for (const entry of duplicates) {
      // Never in `dict`: undo the rest of what addDeferred did.
      if (this.observer !== null) this.observer.beforeKeyWrite(this, entry);
      this.releaseSlot(entry.slot);
      if (entry.expireAt >= 0) this.removeFromVolatile(entry);
      this.usedMemory -= keyMemory(entry.key) + accountedMemory(entry.value);
      this.deferredDuplicates.push(entry);
    }
  }

  /** add()'s bookkeeping for an entry just put in `dict`: its slot, the observer, memory. */
  private placeAdded(entry: Entry): void {
    let slot = -1;
    while (this.freeSlots.length > 0) {
      const candidate = this.freeSlots.pop()!;
      if (candidate < this.all.length) {
        slot = candidate;
        break;
      }
    }
    if (slot === -1) {
      slot = this.all.length;
      this.all.push(entry);
    } else {
      this.all[slot] = entry;
    }
    entry.slot = slot;
    this.accountAdded(entry);
  }

  private accountAdded(entry: Entry): void {
    const value = entry.value;
    if (this.sampler !== null) this.sampler.push(entry);
    if (this.observer !== null) this.observer.keyAdded(this, entry);
    this.usedMemory += keyMemory(entry.key) + valueMemory(value);
    if (typeof value !== "string") value.accountedMem = value.mem;
  }

  /** dbOverwrite: replaces the value of an existing entry, keeping its TTL. */
  overwrite(entry: Entry, value: Value): void {
    if (this.observer !== null) this.observer.beforeKeyWrite(this, entry);
    this.usedMemory += valueMemory(value) - accountedMemory(entry.value);
    if (typeof value !== "string") value.accountedMem = value.mem;
    entry.value = value;
    entry.strEncoding = STR_ENC_AUTO;
  }

  /**
   * setKey: creates or replaces `key`. The TTL is removed unless keepTtl (SET KEEPTTL).
   * Returns the entry. Callers signal the modification (WATCH, blocking) themselves.
   */
  set(key: string, value: Value, keepTtl = false): Entry {
    const entry = this.peek(key);
    if (entry === undefined) return this.add(key, value);
    this.overwrite(entry, value);
    if (!keepTtl && entry.expireAt >= 0) this.removeExpire(entry);
    return entry;
  }

  /** dbDelete: removes `key`; returns whether it existed (expired or not). */
  delete(key: string): boolean {
    const entry = this.peek(key);
    if (entry === undefined) return false;
    if (this.observer !== null) this.observer.beforeKeyWrite(this, entry);
    this.dict.delete(key);
    this.releaseSlot(entry.slot);
    if (entry.expireAt >= 0) this.removeFromVolatile(entry);
    this.usedMemory -= keyMemory(key) + accountedMemory(entry.value);
    return true;
  }

  /** setExpire: sets an absolute expiry (ms) on an existing entry. */
  setExpire(entry: Entry, whenMs: number): void {
    if (this.observer !== null) this.observer.beforeKeyWrite(this, entry);
    if (entry.expireAt < 0) {
      entry.vslot = this.volatile.length;
      this.volatile.push(entry);
      this.usedMemory += EXPIRE_OVERHEAD;
    }
    entry.expireAt = whenMs;
    if (this.hooks.isReplica() && !this.hooks.executingMasterCommand() && !this.hooks.isLoading())
      this.hooks.onReplicaOwnExpire(this, entry.key);
  }

  /** removeExpire: returns whether there was a TTL. */
  removeExpire(entry: Entry): boolean {
    if (entry.expireAt < 0) return false;
    if (this.observer !== null) this.observer.beforeKeyWrite(this, entry);
    this.removeFromVolatile(entry);
    entry.expireAt = -1;
    return true;
  }

  private releaseSlot(slot: number): void {
    const all = this.all;
    all[slot] = null;
    if (slot === all.length - 1) {
      // Trim trailing holes: no live entry moves, so cursors stay valid.
      let end = slot;
      while (end > 0 && all[end - 1] === null) end--;
      all.length = end;
      if (this.freeSlots.length > 2 * end + 16) this.freeSlots = this.freeSlots.filter((s) => s < end);
    } else {
      this.freeSlots.push(slot);
    }
  }

  private removeFromVolatile(entry: Entry): void {
    const last = this.volatile.pop()!;
    if (last !== entry) {
      this.volatile[entry.vslot] = last;
      last.vslot = entry.vslot;
    }
    entry.vslot = -1;
    this.usedMemory -= EXPIRE_OVERHEAD;
  }

  /** Re-accounts a collection that changed in place (called when a key is signalled modified). */
  syncMemory(entry: Entry): void {
    const value = entry.value;
    if (typeof value === "string") return;
    this.usedMemory += value.mem - value.accountedMem;
    value.accountedMem = value.mem;
  }

  /**
   * A uniformly random entry (may be expired), or undefined when empty; O(1) expected.
   *
   * While at least a quarter of the slots are live, a random slot is drawn until it holds an
   * entry (under 4 draws on average, like dictGetRandomKey retrying empty buckets). Deletions can
   * leave `all` much sparser than that, and in long runs (eviction by age empties the oldest,
   * lowest slots together), where neither retrying nor walking to the next live slot is O(1).
   * Redis shrinks its table then; slots here must not move (SCAN, snapshots), so a dense array of
   * the live entries (`sampler`) is built once instead, in O(slots), paid for by the deletions
   * that made the table sparse. Deleted entries leave it lazily, when drawn; it is dropped when
   * the table is dense again.
   */
  randomEntry(): Entry | undefined {
    const live = this.size;
    if (live === 0) return undefined;
    const all = this.all;
    const n = all.length;
    if (live * 4 >= n) {
      if (this.sampler !== null) this.sampler = null;
      for (let tries = 0; tries < 64; tries++) {
        const e = all[Math.floor(Math.random() * n)];
        if (e !== null) return e;
      }
      // (3/4)^64: practically never. Fall through to the sparse path rather than loop on.
    }
    let sampler = this.sampler;
    if (sampler === null || sampler.length > 2 * live + 64) {
      sampler = [];
      for (let i = 0; i < n; i++) {
        const e = all[i];
        if (e !== null) sampler.push(e);
      }
      this.sampler = sampler;
    }
    for (;;) {
      const i = Math.floor(Math.random() * sampler.length);
      const e = sampler[i];
      if (all[e.slot] === e) return e;
      // Deleted since the sampler was built: swap-remove it.
      const last = sampler.pop()!;
      if (i < sampler.length) sampler[i] = last;
    }
  }

  /** A uniformly random entry among those with a TTL, or undefined. */
  randomVolatileEntry(): Entry | undefined {
    const n = this.volatile.length;
    return n === 0 ? undefined : this.volatile[Math.floor(Math.random() * n)];
  }

  /** Number of slots (live entries and holes): the end of the SCAN cursor space. */
  get slotCount(): number {
    return this.all.length;
  }

  /** The entry in `slot`, or null for a hole / undefined past the end (SCAN walks these). */
  entryAt(slot: number): Entry | null | undefined {
    return this.all[slot];
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    if (this.observer !== null) this.observer.beforeDbFlush(this);
    const n = this.size;
    this.dict = new KeyTable();
    this.deferredFrom = -1;
    this.deferredHashes = EMPTY_HASHES;
    this.deferredDuplicates = [];
    this.all = [];
    this.freeSlots = [];
    this.volatile = [];
    this.sampler = null;
    this.usedMemory = 0;
    this.avgTtl = 0;
    return n;
  }

  /** Exchanges the whole contents with another Db (SWAPDB), keeping watchers and blockers. */
  swapContents(other: Db): void {
    if (this.observer !== null) this.observer.beforeDbFlush(this);
    if (other.observer !== null) other.observer.beforeDbFlush(other);
    if (this.deferredFrom >= 0) this.flushDeferred();
    if (other.deferredFrom >= 0) other.flushDeferred();
    [this.dict, other.dict] = [other.dict, this.dict];
    [this.deferredDuplicates, other.deferredDuplicates] = [other.deferredDuplicates, this.deferredDuplicates];
    [this.all, other.all] = [other.all, this.all];
    [this.freeSlots, other.freeSlots] = [other.freeSlots, this.freeSlots];
    [this.volatile, other.volatile] = [other.volatile, this.volatile];
    [this.sampler, other.sampler] = [other.sampler, this.sampler];
    [this.usedMemory, other.usedMemory] = [other.usedMemory, this.usedMemory];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
  }

  /**
   * Iterates live entries (no expiry check), in slot order. Entries deleted during the walk are
   * skipped; entries added during it are seen when they take a slot not yet passed.
   */
  *entries(): IterableIterator<Entry> {
    const all = this.all;
    for (let i = 0; i < all.length; i++) {
      const e = all[i];
      if (e !== null) yield e;
    }
  }
}

export function valueMemory(value: Value): number {
  return typeof value === "string" ? stringMemory(value.length) : value.mem;
}

function accountedMemory(value: Value): number {
  return typeof value === "string" ? stringMemory(value.length) : value.accountedMem;
}
