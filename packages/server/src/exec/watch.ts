/**
 * WATCH bookkeeping shared by MULTI/EXEC, RESET and client teardown: a client's watched keys
 * live both on the client (to release them) and on each database (to find watchers on writes).
 */

import type { Client } from "../network/client.js";

/** Removes every WATCH of a client (unwatchAllKeys). */
export function unwatchAllKeys(c: Client): void {
  for (const [db, key] of c.watched.values()) {
    const set = db.watchedKeys.get(key);
    if (set === undefined) continue;
    set.delete(c);
    if (set.size === 0) db.watchedKeys.delete(key);
  }
  c.watched.clear();
}
