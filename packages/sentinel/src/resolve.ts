/**
 * Hostname resolution for `sentinel resolve-hostnames yes` (sentinel.c createSentinelAddr /
 * anetResolve). Redis resolves with a blocking getaddrinfo wherever an address enters (config,
 * SENTINEL MONITOR, INFO, hello messages); blocking the event loop would stall every link and
 * could trip TILT, so Keyhaven resolves asynchronously into a cache instead:
 *
 *   - the config file's hostnames are resolved before its directives are applied (main.ts);
 *   - SENTINEL MONITOR blocks only its own client until the lookup ends (commands-config.ts);
 *   - INFO and hello messages repeat, so a hostname not yet in the cache is looked up in the
 *     background and the message is used when it comes again.
 *
 * Like anetResolve, the first address getaddrinfo returns is kept (dns.lookup, OS order).
 * Entries older than REFRESH_MS are looked up again in the background (an instance that
 * restarted under a new address is found again), the old value serving meanwhile.
 */

import { lookup } from "node:dns/promises";

const REFRESH_MS = 10_000;

interface Entry {
  ip: string | null;
  at: number;
}

export class HostResolver {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<string | null>>();

  /** The cached address of `host`: an IP, null when the lookup failed, undefined if unknown. */
  cached(host: string): string | null | undefined {
    const key = host.toLowerCase();
    const e = this.cache.get(key);
    if (e === undefined || Date.now() - e.at > REFRESH_MS) void this.resolve(host);
    return e?.ip;
  }

  /** Looks `host` up (one lookup at a time per name); resolves with its IP or null. */
  resolve(host: string): Promise<string | null> {
    const key = host.toLowerCase();
    let p = this.pending.get(key);
    if (p === undefined) {
      p = lookup(host).then(
        (r) => r.address,
        () => null,
      );
      p = p.then((ip) => {
        this.cache.set(key, { ip, at: Date.now() });
        this.pending.delete(key);
        return ip;
      });
      this.pending.set(key, p);
    }
    return p;
  }
}
