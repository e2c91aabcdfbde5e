/**
 * CONFIG SET of every option both servers have, with values a user gets wrong (words for
 * numbers, negative sizes, units where none are taken, empty strings, several words, numbers
 * beyond 64 bits): the same reply (the same error text) and the same value afterwards as
 * redis-server. Options tied to the process (ports, files, daemonizing, protected settings) are
 * left out, and so are three numbers past 2^63 that Redis stores wrapped into its unsigned types,
 * and activedefrag: Debian's redis-server, linked with a system jemalloc that lacks the hooks
 * Redis's defragmenter needs, refuses `yes`, where a redis-server built from Redis's sources
 * accepts it; Keyhaven accepts it (V8's collector compacts its heap by itself).
 */

import { describe, expect, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import { redisPair } from "./redis-pair.js";

const LEFT_OUT = new Set(
  `port bind dir daemonize logfile pidfile unixsocket dbfilename appendonly appenddirname
  appendfilename requirepass masterauth masteruser replicaof slaveof aclfile save io-threads
  tls-port enable-debug-command enable-protected-configs enable-module-command supervised
  cluster-enabled rdb-key-save-delay key-load-delay rdb-del-sync-files tls-cluster tls-replication
  protected-mode bind-source-addr always-show-logo syslog-enabled unixsocketperm
  cluster-config-file activedefrag`.split(/\s+/),
);

const VALUES = ["abc", "-1", "0", "yes", "1gb", "999999999999999999999", "", "1 2 3", "10%", "150%"];

/** Redis wraps these into ULLONG_MAX (or a percentage); Keyhaven holds JS numbers and refuses. */
const WRAPPED = new Set([
  "maxmemory 999999999999999999999",
  "cluster-link-sendbuf-limit 999999999999999999999",
  "maxmemory-clients 999999999999999999999",
]);

function pairsToRecord(flat: unknown): Record<string, string> {
  const list = flat as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) out[list[i]] = list[i + 1];
  return out;
}

describe.skipIf(!hasRealRedis())("CONFIG SET of every option, against redis-server", () => {
  const pair = redisPair();

  it("answers and stores what redis-server answers and stores", async () => {
    const [rc, kc] = pair.clients();
    const [theirs, ours] = await Promise.all(
      [rc, kc].map(async (c) => pairsToRecord(await c.call("CONFIG", "GET", "*"))),
    );
    const names = Object.keys(theirs)
      .filter((n) => n in ours && !LEFT_OUT.has(n))
      .sort();
    expect(names.length).toBeGreaterThan(150);
    const differing: unknown[] = [];
    for (const name of names) {
      for (const value of VALUES) {
        if (WRAPPED.has(`${name} ${value}`)) continue;
        const [redis, keyhaven] = await Promise.all(
          [rc, kc].map(async (c) => {
            const reply = await c.call("CONFIG", "SET", name, value);
            const stored = pairsToRecord(await c.call("CONFIG", "GET", name))[name];
            return { reply, stored };
          }),
        );
        if (JSON.stringify(redis) !== JSON.stringify(keyhaven))
          differing.push({ name, value, redis, keyhaven });
        // Back to each server's own starting value.
        await Promise.all([
          rc.call("CONFIG", "SET", name, theirs[name]),
          kc.call("CONFIG", "SET", name, ours[name]),
        ]);
      }
    }
    expect(differing).toEqual([]);
  });
});
