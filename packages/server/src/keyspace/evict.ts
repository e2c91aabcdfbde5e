/**
 * maxmemory eviction (Redis 7.0's evict.c): when used memory, less the memory not counted for
 * eviction (replica output buffers, the AOF buffer), exceeds `maxmemory`, keys are deleted per
 * `maxmemory-policy` until it no longer does.
 *
 * - LRU, LFU and volatile-ttl choose through an eviction pool (evictionPoolPopulate): every round
 *   samples `maxmemory-samples` keys of each database (all keys, or only those with a TTL) and
 *   keeps the EVPOOL_SIZE best candidates seen so far across rounds and calls, sorted by a score
 *   where higher means "evict first": idle ms (LRU), 255 - decayed counter (LFU), or how soon the
 *   key expires (volatile-ttl). The best live candidate is evicted; candidates that vanished
 *   meanwhile are "ghosts" and skipped.
 * - The random policies evict a random key, visiting the databases in turn.
 * - One call works for at most the time `maxmemory-eviction-tenacity` allows (checked every 16
 *   keys); if memory is still over then, the eviction time proc (evictionTimeProc) keeps evicting
 *   between event-loop turns, and commands are not refused meanwhile (EVICT_RUNNING).
 *
 * Each evicted key is deleted, counted (evicted_keys), invalidates WATCH, fires the `evicted`
 * keyspace event (class 'e') and propagates as DEL (UNLINK with lazyfree-lazy-eviction) on its
 * own, outside any transaction, as propagatePendingCommands does after each eviction.
 *
 * Nothing is evicted while loading, while clients are paused, or on a replica with
 * replica-ignore-maxmemory (its master's DELs keep it an exact copy).
 *
 * Called by dispatch before every command of a non-master client (gates.evictIfNeeded, installed
 * only while maxmemory > 0), by the cron, and by the time proc started on CONFIG SET maxmemory.
 */

import { gates } from "../exec/dispatch.js";
import type { Server } from "../server.js";
import { refreshClock } from "./clock.js";
import type { Db } from "./db.js";
import { lfuDecayedCounter, lruIdleSeconds } from "./lru.js";

/** performEvictions results. */
export const EVICT_OK = 0;
/** Still over maxmemory, but the time proc keeps evicting: commands are not refused. */
export const EVICT_RUNNING = 1;
/** Over maxmemory with nothing (allowed) to evict: denyoom commands get -OOM. */
export const EVICT_FAIL = 2;

/** EVPOOL_SIZE: candidates kept across rounds. */
const EVPOOL_SIZE = 16;
/** Keys evicted between two checks of the time limit (and of lazy freeing). */
const KEYS_PER_TIME_CHECK = 16;

type PolicyKind = "lru" | "lfu" | "ttl" | "random" | "none";

/**
 * The candidates, sorted by ascending score; empty slots (key null) are all on the right. Keys
 * are kept by name, as Redis keeps an sds copy: a candidate deleted meanwhile is found missing
 * when picked, and nothing here pins a deleted value.
 */
export class EvictionPool {
  readonly score = new Float64Array(EVPOOL_SIZE);
  readonly key: (string | null)[] = new Array(EVPOOL_SIZE).fill(null);
  readonly dbId = new Int32Array(EVPOOL_SIZE);

  /** Inserts a candidate if it beats the worst one kept (or there is room). */
  insert(dbId: number, key: string, score: number): void {
    const keys = this.key;
    let k = 0;
    while (k < EVPOOL_SIZE && keys[k] !== null && this.score[k] < score) k++;
    const full = keys[EVPOOL_SIZE - 1] !== null;
    if (k === 0 && full) return; // worse than every candidate kept
    // Sampled again (small databases): already a candidate. Checked only now, as it reads the
    // key strings, which the common rejection above does not need.
    for (let i = 0; i < EVPOOL_SIZE && keys[i] !== null; i++) {
      if (keys[i] === key && this.dbId[i] === dbId) return;
    }
    if (k < EVPOOL_SIZE && keys[k] === null) {
      // Lands in the first empty slot: nothing to move.
    } else if (!full) {
      // Room on the right: shift the better candidates one step right.
      this.move(k + 1, k, EVPOOL_SIZE - k - 1);
    } else {
      // Full: drop the worst (slot 0) by shifting the worse ones one step left.
      k--;
      this.move(0, 1, k);
    }
    keys[k] = key;
    this.score[k] = score;
    this.dbId[k] = dbId;
  }

  /** memmove of `n` slots from `from` to `to` (plain loops: copyWithin is slow on 16 slots). */
  private move(to: number, from: number, n: number): void {
    const { score, key, dbId } = this;
    if (to > from) {
      for (let i = n - 1; i >= 0; i--) {
        score[to + i] = score[from + i];
        key[to + i] = key[from + i];
        dbId[to + i] = dbId[from + i];
      }
    } else {
      for (let i = 0; i < n; i++) {
        score[to + i] = score[from + i];
        key[to + i] = key[from + i];
        dbId[to + i] = dbId[from + i];
      }
    }
  }

  clear(slot: number): void {
    this.key[slot] = null;
    this.score[slot] = 0;
  }

  reset(): void {
    for (let i = 0; i < EVPOOL_SIZE; i++) this.clear(i);
  }
}

/** Eviction state of one server: settings copied from the config, the pool, the time proc. */
class Evictor {
  readonly server: Server;
  maxmemory = 0;
  policy: PolicyKind = "none";
  allkeys = false;
  samples = 5;
  timeLimitMs = 0.5;
  lazy = false;
  ignoreOnReplica = true;
  readonly pool = new EvictionPool();
  /** Rotates the database the random policies start from (Redis's static next_db). */
  nextDb = 0;
  timeProcRunning = false;
  /** Client buffer bytes as of the last cron tick or exact check (see usedForEvictFast). */
  cachedClientsMemory = 0;

  constructor(server: Server) {
    this.server = server;
  }

  readSettings(): void {
    const config = this.server.config;
    this.maxmemory = config.num("maxmemory");
    const policy = config.str("maxmemory-policy");
    this.allkeys = policy.startsWith("allkeys-");
    this.policy = policy.endsWith("-lru")
      ? "lru"
      : policy.endsWith("-lfu")
        ? "lfu"
        : policy === "volatile-ttl"
          ? "ttl"
          : policy.endsWith("-random")
            ? "random"
            : "none";
    this.samples = config.num("maxmemory-samples");
    this.timeLimitMs = evictionTimeLimitMs(config.num("maxmemory-eviction-tenacity"));
    this.lazy = config.bool("lazyfree-lazy-eviction");
    this.ignoreOnReplica = config.bool("replica-ignore-maxmemory");
  }
}

/**
 * evictionTimeLimitUs, in ms: tenacity 0..10 is linear up to 500 us, then grows 15% per step
 * (about 2 minutes at 99); 100 means no limit.
 */
export function evictionTimeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return (50 * tenacity) / 1000;
  if (tenacity < 100) return (500 * 1.15 ** (tenacity - 10)) / 1000;
  return Number.POSITIVE_INFINITY;
}

const evictors = new WeakMap<Server, Evictor>();

function evictorOf(server: Server): Evictor {
  let ev = evictors.get(server);
  if (ev === undefined) {
    ev = new Evictor(server);
    ev.readSettings();
    evictors.set(server, ev);
  }
  return ev;
}

/**
 * Wires eviction into a server: reads the settings, installs the dispatch gate while maxmemory
 * is set (and removes it when CONFIG SET maxmemory 0), starts the time proc when maxmemory is
 * set at run time (updateMaxmemory), and checks from the cron on every tick.
 */
export function registerEviction(server: Server): void {
  const ev = evictorOf(server);
  const gate = (): boolean => performEvictions(server) !== EVICT_FAIL;
  const install = () => {
    gates.evictIfNeeded = ev.maxmemory > 0 ? gate : null;
  };
  install();
  server.config.onChange((name) => {
    ev.readSettings();
    if (name === "maxmemory-policy") ev.pool.reset();
    if (name !== "maxmemory") return;
    install();
    ev.cachedClientsMemory = server.memory.clients();
    if (ev.maxmemory > 0) {
      const used = server.memory.used(ev.cachedClientsMemory) - server.memory.notCountedForEvict();
      if (ev.maxmemory < used) {
        server.logger.warning(
          `WARNING: the new maxmemory value set via CONFIG SET (${ev.maxmemory}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
        );
      }
      startEvictionTimeProc(server);
    }
  });
  server.cron.everyTick(() => {
    if (ev.maxmemory === 0) return;
    ev.cachedClientsMemory = server.memory.clients();
    if (!ev.timeProcRunning && usedForEvictFast(ev) > ev.maxmemory) {
      performEvictions(server);
      server.scheduleBeforeSleep();
    }
  });
}

/**
 * A cheap estimate of used_memory: the exact keyspace figure plus the connections' memory as of
 * the last cron tick or exact check (summing every client's buffers per command would cost
 * O(clients)). It only decides whether the exact check is needed, so a connection's buffers can
 * go unnoticed for at most one cron tick.
 */
function usedForEvictFast(ev: Evictor): number {
  return ev.server.memory.used(ev.cachedClientsMemory);
}

/**
 * getMaxmemoryState: bytes to free to get back under maxmemory, or 0 when under it (or when no
 * maxmemory is set). Replica output buffers and the AOF buffer do not count: the DELs an eviction
 * pushes into them must not cause more evictions.
 */
export function bytesToFree(server: Server): number {
  const ev = evictorOf(server);
  if (ev.maxmemory === 0) return 0;
  if (usedForEvictFast(ev) <= ev.maxmemory) return 0;
  // Over by the cheap figure: take the exact one, refreshing the client buffers on the way.
  const reported = server.memory.used();
  ev.cachedClientsMemory = Math.max(0, reported - (usedForEvictFast(ev) - ev.cachedClientsMemory));
  if (reported <= ev.maxmemory) return 0;
  const notCounted = server.memory.notCountedForEvict();
  const used = reported > notCounted ? reported - notCounted : 0;
  return used > ev.maxmemory ? used - ev.maxmemory : 0;
}

/** isPerformEvictions: eviction is skipped while loading, paused, or on an ignoring replica. */
function evictionAllowed(ev: Evictor): boolean {
  const server = ev.server;
  if (server.loading) return false;
  if (server.replicaMode && ev.ignoreOnReplica) return false;
  if (server.writesPaused()) return false;
  return true;
}

/**
 * performEvictions: frees memory until under maxmemory or out of time. Returns EVICT_OK (under
 * the limit, or eviction not allowed now), EVICT_RUNNING (still over, the time proc continues)
 * or EVICT_FAIL (over, and nothing the policy may evict). Never called on a replica's master
 * stream; safe to call at any time outside a command.
 */
export function performEvictions(server: Server): number {
  const ev = evictorOf(server);
  if (!evictionAllowed(ev)) return EVICT_OK;
  const toFree = bytesToFree(server);
  let result = EVICT_FAIL;
  if (toFree === 0) {
    result = EVICT_OK;
  } else if (ev.policy !== "none") {
    result = evictLoop(ev, toFree);
  }
  updateExceededTime(server, result);
  return result;
}

function evictLoop(ev: Evictor, toFree: number): number {
  const server = ev.server;
  const start = performance.now();
  let freed = 0;
  let keysFreed = 0;
  while (freed < toFree) {
    const picked = ev.policy === "random" ? pickRandom(ev) : pickFromPool(ev);
    if (picked === null) return EVICT_FAIL; // nothing left the policy may evict
    const db = server.dbs[pickedDb];
    const before = db.usedMemory;
    evictKey(ev, db, picked);
    freed += before - db.usedMemory;
    keysFreed++;
    if (keysFreed % KEYS_PER_TIME_CHECK === 0) {
      if (ev.lazy && bytesToFree(server) === 0) break;
      if (performance.now() - start > ev.timeLimitMs) {
        startEvictionTimeProc(server);
        break;
      }
    }
  }
  return ev.timeProcRunning ? EVICT_RUNNING : EVICT_OK;
}

/** Database of the key last returned by a pick function (avoids allocating a pair per pick). */
let pickedDb = 0;

/** The best live candidate of the pool, refilling it until one is found; null when no keys. */
function pickFromPool(ev: Evictor): string | null {
  const server = ev.server;
  const pool = ev.pool;
  for (;;) {
    let total = 0;
    for (const db of server.dbs) {
      const n = ev.allkeys ? db.size : db.expiresCount;
      if (n === 0) continue;
      populatePool(ev, db, n);
      total += n;
    }
    if (total === 0) return null;
    for (let k = EVPOOL_SIZE - 1; k >= 0; k--) {
      const key = pool.key[k];
      if (key === null) continue;
      const dbId = pool.dbId[k];
      pool.clear(k);
      const entry = server.dbs[dbId].peek(key);
      if (entry !== undefined && (ev.allkeys || entry.expireAt >= 0)) {
        pickedDb = dbId;
        return key;
      }
      // A ghost (deleted, or lost its TTL, since it was sampled): try the next one.
    }
  }
}

/** evictionPoolPopulate: samples `maxmemory-samples` keys of `db` into the pool. */
function populatePool(ev: Evictor, db: Db, size: number): void {
  const n = Math.min(ev.samples, size);
  const lfu = ev.server.lfuSettings;
  for (let i = 0; i < n; i++) {
    const entry = ev.allkeys ? db.randomEntry() : db.randomVolatileEntry();
    if (entry === undefined) return;
    let score: number;
    if (ev.policy === "lru") score = idleMs(entry.lru);
    else if (ev.policy === "lfu") score = 255 - lfuDecayedCounter(entry.lru, lfu);
    else score = Number.MAX_SAFE_INTEGER - entry.expireAt; // the sooner it expires, the better
    ev.pool.insert(db.id, entry.key, score);
  }
}

/** estimateObjectIdleTime: ms since the key was touched, at the LRU clock's 1 s resolution. */
function idleMs(lru: number): number {
  // A field still holding LFU data after a policy switch reads as some stamp on the 24-bit
  // clock, as it does in Redis; it settles as the keys are touched under the new policy.
  return lruIdleSeconds(lru) * 1000;
}

/** allkeys-random / volatile-random: a random key of the next database that has one. */
function pickRandom(ev: Evictor): string | null {
  const dbs = ev.server.dbs;
  for (let i = 0; i < dbs.length; i++) {
    ev.nextDb = (ev.nextDb + 1) % dbs.length;
    const db = dbs[ev.nextDb];
    const entry = ev.allkeys ? db.randomEntry() : db.randomVolatileEntry();
    if (entry !== undefined) {
      pickedDb = db.id;
      return entry.key;
    }
  }
  return null;
}

/** Deletes one key as an eviction, with its statistics, signals and propagation. */
function evictKey(ev: Evictor, db: Db, key: string): void {
  const server = ev.server;
  db.delete(key);
  server.stats.evictedKeys++;
  server.signalDeletedKey(db, key);
  server.notify("e", "evicted", key, db.id);
  server.propagator.alsoPropagate(db.id, [ev.lazy ? "UNLINK" : "DEL", key]);
}

/**
 * startEvictionTimeProc: keeps evicting between event-loop turns (Redis runs it as a 0 ms time
 * event) until memory is under the limit or nothing is left to evict. Clients are served in
 * between, since each step is bounded by the tenacity time limit.
 */
export function startEvictionTimeProc(server: Server): void {
  const ev = evictorOf(server);
  if (ev.timeProcRunning) return;
  ev.timeProcRunning = true;
  setImmediate(() => evictionTimeProc(ev));
}

function evictionTimeProc(ev: Evictor): void {
  refreshClock();
  const result = ev.server.shuttingDown ? EVICT_OK : performEvictions(ev.server);
  // DELs went into the propagation stream: let the AOF and replica flush run.
  ev.server.scheduleBeforeSleep();
  if (result === EVICT_RUNNING) {
    setImmediate(() => evictionTimeProc(ev));
    return;
  }
  ev.timeProcRunning = false;
}

/**
 * total_eviction_exceeded_time / current_eviction_exceeded_time: how long memory has been over
 * the limit (from the first call that could not fix it to the first that finds it fixed).
 */
function updateExceededTime(server: Server, result: number): void {
  const stats = server.stats;
  if (result === EVICT_OK) {
    if (stats.evictionExceededSince !== 0) {
      stats.totalEvictionExceededTimeMs += performance.now() - stats.evictionExceededSince;
      stats.evictionExceededSince = 0;
    }
  } else if (stats.evictionExceededSince === 0) {
    stats.evictionExceededSince = performance.now();
  }
}

/** current_eviction_exceeded_time in ms (0 when under the limit). */
export function currentEvictionExceededMs(server: Server): number {
  const since = server.stats.evictionExceededSince;
  return since === 0 ? 0 : performance.now() - since;
}
