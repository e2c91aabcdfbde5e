/**
 * Client-side caching (Redis's tracking.c): which clients may hold which keys, and the
 * invalidation messages they get when a key changes.
 *
 * - Default mode: the keys a tracking client reads (read-only commands, after they run) are
 *   remembered per key; the first change of such a key sends each of those clients one
 *   invalidation and forgets them. OPTIN remembers only after CLIENT CACHING YES, OPTOUT skips
 *   after CLIENT CACHING NO; NOLOOP skips changes made by the client itself.
 * - BCAST mode: nothing is remembered per client; every key changed during an event-loop turn
 *   under a prefix the client registered is sent in one message per prefix at the turn's end.
 * - The message: RESP3 `>2 invalidate [keys]` (a null instead of the keys after a flush), or,
 *   redirected (REDIRECT id) to a RESP2 client in the subscribed state, a `message` on
 *   `__redis__:invalidate`. A client's own invalidations follow its command's reply.
 *
 * Keys are tracked across databases, by name, as Redis does. The table keeps client ids, not
 * clients: a client that leaves is dropped lazily, when one of its keys changes.
 */

import { commandKeys } from "../commands/key-specs.js";
import type { Command } from "../commands/spec.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { compareBytes } from "../util/compare-bytes.js";

/** Client.tracking bits (CLIENT_TRACKING*). */
export const Tracking = {
  On: 1,
  Bcast: 2,
  OptIn: 4,
  OptOut: 8,
  /** CLIENT CACHING was given for the next command (or transaction). */
  Caching: 16,
  NoLoop: 32,
  BrokenRedirect: 64,
} as const;

/** The keys changed under one BCAST prefix this turn, with the client that changed each. */
interface PrefixState {
  keys: Map<string, Client | null>;
  clients: Set<Client>;
}

const CHANNEL = "__redis__:invalidate";

export class ClientTracking {
  private readonly server: Server;
  /** Clients with tracking on (tracking_clients). */
  clients = 0;
  /** Key -> ids of the clients that may cache it. */
  private table = new Map<string, Set<number>>();
  /** Sum of the table's id sets (tracking_total_items). */
  totalItems = 0;
  private readonly prefixes = new Map<string, PrefixState>();
  /** Invalidations for the client whose command is running, sent after its reply. */
  private readonly pendingSelf: string[] = [];
  /** Commands in a row that found the table over tracking-table-max-keys (more effort each). */
  private effortTurns = 0;

  constructor(server: Server) {
    this.server = server;
  }

  get totalKeys(): number {
    return this.table.size;
  }

  get totalPrefixes(): number {
    return this.prefixes.size;
  }

  /** enableTracking: `options` are Tracking bits (Bcast, OptIn, OptOut, NoLoop). */
  enable(c: Client, redirect: number, options: number, prefixes: readonly string[]): void {
    if ((c.tracking & Tracking.On) === 0) this.clients++;
    c.tracking =
      (c.tracking &
        ~(Tracking.BrokenRedirect | Tracking.Bcast | Tracking.OptIn | Tracking.OptOut | Tracking.NoLoop)) |
      Tracking.On;
    c.trackingRedirect = redirect;
    if ((options & Tracking.Bcast) !== 0) {
      c.tracking |= Tracking.Bcast;
      for (const prefix of prefixes.length === 0 ? [""] : prefixes) this.addPrefix(c, prefix);
    }
    c.tracking |= options & (Tracking.OptIn | Tracking.OptOut | Tracking.NoLoop);
  }

  private addPrefix(c: Client, prefix: string): void {
    let state = this.prefixes.get(prefix);
    if (state === undefined) {
      state = { keys: new Map(), clients: new Set() };
      this.prefixes.set(prefix, state);
    }
    state.clients.add(c);
    c.trackingPrefixes ??= new Set();
    c.trackingPrefixes.add(prefix);
  }

  /** disableTracking (CLIENT TRACKING off, RESET, disconnect). */
  disable(c: Client): void {
    if (c.trackingPrefixes !== null) {
      for (const prefix of c.trackingPrefixes) {
        const state = this.prefixes.get(prefix);
        if (state === undefined) continue;
        state.clients.delete(c);
        if (state.clients.size === 0) this.prefixes.delete(prefix);
      }
      c.trackingPrefixes = null;
    }
    if ((c.tracking & Tracking.On) !== 0) {
      this.clients--;
      c.tracking = 0;
    }
  }

  /**
   * The error text when `prefixes` overlap each other or the client's registered ones (one key
   * would be reported twice), else null (checkPrefixCollisionsOrReply).
   */
  prefixCollision(c: Client, prefixes: readonly string[]): string | null {
    const overlap = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
    for (let i = 0; i < prefixes.length; i++) {
      for (const existing of c.trackingPrefixes ?? []) {
        if (overlap(existing, prefixes[i])) {
          return `ERR Prefix '${prefixes[i]}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`;
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlap(prefixes[i], prefixes[j])) {
          return `ERR Prefix '${prefixes[i]}' overlaps with another provided prefix '${prefixes[j]}'. Prefixes for a single client must not overlap.`;
        }
      }
    }
    return null;
  }

  /** The client's prefixes in Redis's order (its radix tree's: by bytes). */
  sortedPrefixes(c: Client): string[] {
    return [...(c.trackingPrefixes ?? [])].sort(compareBytes);
  }

  /** trackingRememberKeys: after a read-only command of a tracking client not in BCAST mode. */
  rememberKeys(c: Client, cmd: Command, argv: readonly string[]): void {
    const optIn = (c.tracking & Tracking.OptIn) !== 0;
    const optOut = (c.tracking & Tracking.OptOut) !== 0;
    const caching = (c.tracking & Tracking.Caching) !== 0;
    if ((optIn && !caching) || (optOut && caching) || cmd.isPubsub) return;
    for (const i of commandKeys(cmd, argv)) {
      const key = argv[i];
      let ids = this.table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.table.set(key, ids);
      }
      if (!ids.has(c.id)) {
        ids.add(c.id);
        this.totalItems++;
      }
    }
  }

  /**
   * trackingInvalidateKey: `key` changed (by `by`, null outside a client's command). With
   * `bcast`, it is also noted for the BCAST prefixes it falls under.
   */
  invalidateKey(key: string, by: Client | null, bcast = true): void {
    if (bcast && this.prefixes.size !== 0) {
      let noted = false;
      for (const [prefix, state] of this.prefixes) {
        if (!key.startsWith(prefix)) continue;
        state.keys.set(key, by);
        noted = true;
      }
      // Sent at the turn's end, also when no client's reply asks for one (an expiry).
      if (noted) this.server.scheduleBeforeSleep();
    }
    const ids = this.table.get(key);
    if (ids === undefined) return;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      if (
        target === undefined ||
        (target.tracking & Tracking.On) === 0 ||
        (target.tracking & Tracking.Bcast) !== 0
      )
        continue;
      if ((target.tracking & Tracking.NoLoop) !== 0 && target === by) continue;
      if (target === this.server.currentClient) this.pendingSelf.push(key);
      else this.send(target, (out) => keysArray(out, [key]));
    }
    this.totalItems -= ids.size;
    this.table.delete(key);
  }

  /** After the current client's command: its own invalidations, behind the command's reply. */
  flushPendingSelf(c: Client): void {
    if (this.pendingSelf.length === 0) return;
    for (const key of this.pendingSelf.splice(0)) this.send(c, (out) => keysArray(out, [key]));
  }

  /** trackingInvalidateKeysOnFlush: every tracking client is told "all keys" (a null). */
  invalidateAllOnFlush(): void {
    if (this.clients > 0) {
      for (const c of this.server.clients.values()) {
        // The null is in the tracking client's protocol, even when redirected (as Redis sends it).
        const resp = c.out.resp;
        if ((c.tracking & Tracking.On) !== 0)
          this.send(c, (out) => out.rawLatin1(resp === 3 ? "_\r\n" : "$-1\r\n"));
      }
    }
    this.table = new Map();
    this.totalItems = 0;
  }

  /** trackingBroadcastInvalidationMessages: the turn's changed keys to each BCAST client. */
  broadcast(): void {
    if (this.clients === 0) return;
    for (const state of this.prefixes.values()) {
      if (state.keys.size === 0) continue;
      // Redis lists them from its radix tree: in byte order.
      const keys = [...state.keys.keys()].sort(compareBytes);
      for (const c of state.clients) {
        const shown =
          (c.tracking & Tracking.NoLoop) !== 0 ? keys.filter((k) => state.keys.get(k) !== c) : keys;
        if (shown.length > 0) this.send(c, (out) => keysArray(out, shown));
      }
      state.keys = new Map();
    }
  }

  /**
   * trackingLimitUsedSlots: past tracking-table-max-keys, keys are forgotten (their clients told,
   * as if they had changed) until the table fits, with more effort each turn it still does not.
   */
  limitUsedSlots(maxKeys: number): void {
    if (maxKeys === 0 || this.table.size <= maxKeys) {
      this.effortTurns = 0;
      return;
    }
    let effort = 100 * (this.effortTurns + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidateKey(key, null, false);
      if (this.table.size <= maxKeys) {
        this.effortTurns = 0;
        return;
      }
    }
    this.effortTurns++;
  }

  /**
   * sendTrackingMessage: writes one invalidation for tracking client `c` (`payload` writes the
   * keys part) to `c` or to the client it redirects to.
   */
  private send(c: Client, payload: (out: Client["out"]) => void): void {
    let target = c;
    let redirected = false;
    if (c.trackingRedirect !== 0) {
      const redir = this.server.clients.get(c.trackingRedirect);
      if (redir === undefined) {
        c.tracking |= Tracking.BrokenRedirect;
        if (c.out.resp === 3) {
          c.out.pushHeader(2);
          c.out.bulk("tracking-redir-broken");
          c.out.integer(c.trackingRedirect);
          this.server.scheduleFlush(c);
        }
        return;
      }
      target = redir;
      redirected = true;
    }
    const out = target.out;
    if (out.resp === 3) {
      out.pushHeader(2);
      out.bulk("invalidate");
    } else if (redirected && (target.flags & ClientFlag.PubSub) !== 0) {
      out.arrayHeader(3);
      out.bulk("message");
      out.bulk(CHANNEL);
    } else {
      // RESP2 without a subscribed redirect target: nowhere to send it.
      return;
    }
    payload(out);
    this.server.scheduleFlush(target);
  }
}

function keysArray(out: Client["out"], keys: readonly string[]): void {
  out.arrayHeader(keys.length);
  for (const k of keys) out.bulk(k);
}
