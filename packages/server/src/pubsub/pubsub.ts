/**
 * Channels, patterns and shard channels with their subscribers (Redis's pubsub.c), and keyspace
 * notifications (notify.c) built on them. Shard channels (SSUBSCRIBE/SPUBLISH) are a namespace of
 * their own; without cluster mode there is one shard, so they work like plain channels. Messages
 * are encoded straight into each receiver's output buffer as a push (RESP3) or an array (RESP2);
 * the end-of-turn flush sends them.
 *
 * Invariant: a client is in `channels.get(ch)` iff `ch` is in `client.channels` (same for
 * patterns and shard channels), so unsubscribing on disconnect is O(subscriptions of that client).
 */

import { type Client, ClientFlag } from "../network/client.js";
import { globMatch } from "../util/glob.js";

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /** notify-keyspace-events flags as text (normalized, e.g. "KEA"); empty = off. */
  private notifyFlags = "";
  private notifyKeyspace = false;
  private notifyKeyevent = false;
  private readonly schedule: (c: Client) => void;

  constructor(schedule: (c: Client) => void) {
    this.schedule = schedule;
  }

  setNotifyFlags(flags: string): void {
    this.notifyFlags = flags;
    this.notifyKeyspace = flags.includes("K");
    this.notifyKeyevent = flags.includes("E");
  }

  /** The three kinds of subscription: what each keeps and how its replies are named and counted. */
  readonly channelKind: SubscriptionKind = {
    all: this.channels,
    of: (c) => c.channels,
    subscribe: "subscribe",
    unsubscribe: "unsubscribe",
    count: plainSubscriptions,
  };
  readonly patternKind: SubscriptionKind = {
    all: this.patterns,
    of: (c) => c.patterns,
    subscribe: "psubscribe",
    unsubscribe: "punsubscribe",
    count: plainSubscriptions,
  };
  /** Shard channels: their replies count the client's shard channels only, as Redis's do. */
  readonly shardKind: SubscriptionKind = {
    all: this.shardChannels,
    of: (c) => c.shardChannels,
    subscribe: "ssubscribe",
    unsubscribe: "sunsubscribe",
    count: (c) => c.shardChannels.size,
  };

  subscribe(c: Client, kind: SubscriptionKind, name: string): void {
    const mine = kind.of(c);
    if (!mine.has(name)) {
      mine.add(name);
      let set = kind.all.get(name);
      if (set === undefined) {
        set = new Set();
        kind.all.set(name, set);
      }
      set.add(c);
    }
    c.flags |= ClientFlag.PubSub;
    this.writeSubscriptionReply(c, kind.subscribe, name, kind.count(c));
  }

  /** Unsubscribes one name; `notify` writes the reply (false when the client is closing). */
  unsubscribe(c: Client, kind: SubscriptionKind, name: string, notify: boolean): void {
    if (kind.of(c).delete(name)) {
      const set = kind.all.get(name);
      if (set !== undefined) {
        set.delete(c);
        if (set.size === 0) kind.all.delete(name);
      }
    }
    if (notify) this.writeSubscriptionReply(c, kind.unsubscribe, name, kind.count(c));
    if (c.channels.size === 0 && c.patterns.size === 0 && c.shardChannels.size === 0)
      c.flags &= ~ClientFlag.PubSub;
  }

  /** Every name of one kind; with none, a single reply naming nothing (when `notify`). */
  unsubscribeAll(c: Client, kind: SubscriptionKind, notify: boolean): void {
    const mine = kind.of(c);
    if (mine.size === 0) {
      if (notify) this.writeSubscriptionReply(c, kind.unsubscribe, null, kind.count(c));
      return;
    }
    for (const name of [...mine]) this.unsubscribe(c, kind, name, notify);
  }

  /** Every subscription of a client that leaves (disconnect, RESET), without replies. */
  dropClient(c: Client): void {
    for (const kind of [this.channelKind, this.patternKind, this.shardKind])
      this.unsubscribeAll(c, kind, false);
  }

  private writeSubscriptionReply(c: Client, kind: string, name: string | null, count: number): void {
    const out = c.pushOut;
    out.pushHeader(3);
    out.bulk(kind);
    if (name === null) out.nullBulk();
    else out.bulk(name);
    out.integer(count);
  }

  /** SPUBLISH: delivers to the shard channel's subscribers; returns their number. */
  spublish(channel: string, message: string): number {
    return this.deliver(this.shardChannels.get(channel), "smessage", channel, message);
  }

  /** `kind` (message, smessage) of `channel` to each of `subs`; returns their number. */
  private deliver(subs: Set<Client> | undefined, kind: string, channel: string, message: string): number {
    if (subs === undefined) return 0;
    for (const c of subs) {
      const out = c.pushOut;
      out.pushHeader(3);
      out.bulk(kind);
      out.bulk(channel);
      out.bulk(message);
      this.schedule(c);
    }
    return subs.size;
  }

  /** PUBLISH: delivers to channel and pattern subscribers; returns the number of receivers. */
  publish(channel: string, message: string): number {
    let receivers = this.deliver(this.channels.get(channel), "message", channel, message);
    if (this.patterns.size !== 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        for (const c of clients) {
          const out = c.pushOut;
          out.pushHeader(4);
          out.bulk("pmessage");
          out.bulk(pattern);
          out.bulk(channel);
          out.bulk(message);
          this.schedule(c);
          receivers++;
        }
      }
    }
    return receivers;
  }

  /**
   * notifyKeyspaceEvent: `type` is the event class char of notify-keyspace-events
   * (g $ l s h z x e t d m n), `event` the event name (set, del, expired...).
   */
  notify(type: string, event: string, key: string, dbId: number): void {
    if (this.notifyFlags === "" || !this.classEnabled(type)) return;
    if (this.notifyKeyspace) this.publish(`__keyspace@${dbId}__:${key}`, event);
    if (this.notifyKeyevent) this.publish(`__keyevent@${dbId}__:${event}`, key);
  }

  private classEnabled(type: string): boolean {
    const flags = this.notifyFlags;
    if (flags.includes(type)) return true;
    // 'A' stands for every class except 'm' (key-miss) and 'n' (new key).
    return flags.includes("A") && type !== "m" && type !== "n";
  }

  get notificationsEnabled(): boolean {
    return this.notifyFlags !== "";
  }
}

/** One kind of subscription (channels, patterns, shard channels). */
export interface SubscriptionKind {
  /** Name -> its subscribers. */
  all: Map<string, Set<Client>>;
  /** A client's own names of this kind. */
  of: (c: Client) => Set<string>;
  /** The reply names. */
  subscribe: string;
  unsubscribe: string;
  /** The count a reply carries. */
  count: (c: Client) => number;
}

/** Channels plus patterns (SUBSCRIBE's and PSUBSCRIBE's count; shard channels are apart). */
function plainSubscriptions(c: Client): number {
  return c.channels.size + c.patterns.size;
}
