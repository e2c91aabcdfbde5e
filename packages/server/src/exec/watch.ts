/**
 * WATCH bookkeeping shared by MULTI/EXEC, RESET and client teardown: a client's watched keys
 * live both on the client (to release them) and on each database (to find watchers on writes).
 */

import type { Client } from "../network/client.js";

/**
 * Keys that were already logically expired when WATCHed ("<db>\0<key>" ids): their later
 * deletion by expiry is not a change (Redis 7.0's watchedKey.expired).
 */
export const expiredAtWatch = new WeakMap<Client, Set<string>>();

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
