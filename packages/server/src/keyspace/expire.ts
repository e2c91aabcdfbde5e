/**
 * Active expiry (Redis's activeExpireCycle, slow cycle): on every cron tick each database with
 * TTLs samples random volatile keys, deletes those past their time, and keeps sampling while more
 * than 10% of a sample was expired, within a time budget of 25% of the tick. Deleted keys
 * propagate as DEL through the one stream (onKeyExpired). Replicas never run it: their master
 * sends the DELs. A writable replica expires only the keys its own clients gave a TTL
 * (expireReplicaKeys), which no DEL from the master would ever remove.
 */

import type { Server } from "../server.js";
import { perServer } from "../util/per-server.js";
import { clock } from "./clock.js";
import type { Db } from "./db.js";

/** ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP, scaled by active-expire-effort as Redis does. */
const KEYS_PER_LOOP = 20;
/** ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC. */
const SLOW_TIME_PERC = 25;
/** ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE: keep going while more than this % were expired. */
const ACCEPTABLE_STALE = 10;

let activeExpireEnabled = true;

/** DEBUG SET-ACTIVE-EXPIRE. */
export function setActiveExpireEnabled(enabled: boolean): void {
  activeExpireEnabled = enabled;
}

/**
 * Keys a writable replica's own clients set a TTL on, with the databases they were set in
 * (Redis's slaveKeysWithExpire). Entries may outlive their key: each is checked against the
 * database when visited.
 */
const replicaKeysWithExpire = perServer(() => new Map<string, Set<Db>>());

export function rememberReplicaKeyWithExpire(server: Server, db: Db, key: string): void {
  const keys = replicaKeysWithExpire.of(server);
  let dbs = keys.get(key);
  if (dbs === undefined) {
    dbs = new Set();
    keys.set(key, dbs);
  }
  dbs.add(db);
}

/**
 * expireSlaveKeys: deletes the remembered keys whose TTL passed, stopping after more than 3 keys
 * that cannot expire yet or 1 ms. Keys still waiting go to the back of the map, so every key is
 * visited in turn (Redis picks them at random for the same reason).
 */
function expireReplicaKeys(server: Server): void {
  const keys = replicaKeysWithExpire.started(server);
  if (keys === undefined || keys.size === 0) return;
  const start = performance.now();
  // Keys put back go to the end: stop before visiting any of them twice.
  const total = keys.size;
  let cycles = 0;
  let notExpired = 0;
  for (const [key, dbs] of keys) {
    if (cycles === total) break;
    keys.delete(key);
    for (const db of dbs) {
      const entry = db.peek(key);
      if (entry === undefined || entry.expireAt < 0) dbs.delete(db);
      else if (entry.expireAt < clock.ms) {
        db.delete(key);
        server.onKeyExpired(db, key);
        dbs.delete(db);
      } else notExpired++;
    }
    if (dbs.size !== 0) keys.set(key, dbs);
    cycles++;
    if (notExpired > 3) break;
    if (cycles % 64 === 0 && performance.now() - start > 1) break;
  }
}

export function activeExpireCycle(server: Server): void {
  if (!activeExpireEnabled || server.loading) return;
  if (server.isReplica()) {
    expireReplicaKeys(server);
    return;
  }
  if (server.writesPaused()) return;
  const effort = server.config.num("active-expire-effort") - 1;
  const perLoop = KEYS_PER_LOOP + (KEYS_PER_LOOP / 4) * effort;
  const acceptableStale = ACCEPTABLE_STALE - effort;
  const budgetMs = (1000 * (SLOW_TIME_PERC + 2 * effort)) / server.cron.currentHz / 100;
  const start = performance.now();
  let sampledTotal = 0;
  let expiredTotal = 0;
  for (const db of server.dbs) {
    if (db.expiresCount === 0) continue;
    let ttlSum = 0;
    let ttlSamples = 0;
    for (;;) {
      const n = Math.min(perLoop, db.expiresCount);
      if (n === 0) break;
      let expired = 0;
      for (let i = 0; i < n; i++) {
        const entry = db.randomVolatileEntry();
        if (entry === undefined) break;
        if (entry.expireAt < clock.ms) {
          const key = entry.key;
          db.delete(key);
          server.onKeyExpired(db, key);
          expired++;
        } else {
          ttlSum += entry.expireAt - clock.ms;
          ttlSamples++;
        }
      }
      sampledTotal += n;
      expiredTotal += expired;
      if (performance.now() - start > budgetMs) {
        server.stats.expiredTimeCapReachedCount++;
        break;
      }
      if ((expired * 100) / n <= acceptableStale) break;
    }
    if (ttlSamples > 0) {
      const avg = ttlSum / ttlSamples;
      // Smooth like Redis: new estimate weighs 2% per sample round.
      db.avgTtl = db.avgTtl === 0 ? avg : (db.avgTtl / 50) * 49 + avg / 50;
    }
  }
  server.stats.expireCycleCpuMs += performance.now() - start;
  if (sampledTotal > 0) {
    const perc = expiredTotal / sampledTotal;
    server.stats.expiredStalePerc = perc * 0.05 + server.stats.expiredStalePerc * 0.95;
  }
}
