/**
 * WATCH bookkeeping shared by MULTI/EXEC, RESET and client teardown: a client's watched keys
 * live both on the client (to release them) and on each database (to find watchers on writes).
 */

import type { Db } from "../keyspace/db.js";
import type { Client } from "../network/client.js";

/**
 * Keys that were already logically expired when WATCHed ("<db>\0<key>" ids): their later
 * deletion by expiry is not a change (Redis 7.0's watchedKey.expired). Keyed by the watchers a
 * Db lists, which are clients.
 */
export const expiredAtWatch = new WeakMap<object, Set<string>>();

function watchId(db: Db, key: string): string {
  return `${db.id}\0${key}`;
}

/**
 * touchWatchedKey: the clients WATCHing `key` will fail their EXEC, except those that WATCHed it
 * already expired and now see it deleted: logically it did not change.
 */
export function touchWatchedKey(db: Db, key: string): void {
  const watchers = db.watchedKeys.get(key);
  if (watchers === undefined) return;
  const id = watchId(db, key);
  for (const w of watchers) {
    const expired = expiredAtWatch.get(w);
    if (expired?.has(id)) {
      if (db.peek(key) === undefined) expired.delete(id);
      continue;
    }
    w.markDirtyCas();
  }
}

/**
 * touchAllWatchedKeysInDb, before FLUSHDB/FLUSHALL empties `db` or SWAPDB replaces its contents
 * with `replacedWith`'s: a watched key is touched when it exists in `db` now or in what replaces
 * it, so WATCH of a key that stays missing survives; an expired key that goes away or stays
 * expired is no change either, and a missing key replaced by an expired one counts as expired.
 */
export function touchAllWatchedKeysInDb(db: Db, replacedWith: Db | null): void {
  for (const [key, watchers] of db.watchedKeys) {
    const existsInEmptied = db.peek(key) !== undefined;
    const replacement = replacedWith?.peek(key);
    if (!existsInEmptied && replacement === undefined) continue;
    const id = watchId(db, key);
    for (const w of watchers) {
      let expired = expiredAtWatch.get(w);
      if (expired?.has(id)) {
        if (replacement === undefined) {
          expired.delete(id);
          continue;
        }
        if (replacedWith!.isExpired(replacement)) continue;
      } else if (!existsInEmptied && replacedWith!.isExpired(replacement!)) {
        if (expired === undefined) {
          expired = new Set();
          expiredAtWatch.set(w, expired);
        }
        expired.add(id);
        continue;
      }
      w.markDirtyCas();
    }
  }
}

/** Removes every WATCH of a client (unwatchAllKeys). */
export function unwatchAllKeys(c: Client): void {
  expiredAtWatch.delete(c);
  for (const [db, key] of c.watched.values()) {
    const set = db.watchedKeys.get(key);
    if (set === undefined) continue;
    set.delete(c);
    if (set.size === 0) db.watchedKeys.delete(key);
  }
  c.watched.clear();
}
