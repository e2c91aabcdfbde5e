/**
 * Channels, patterns and shard channels with their subscribers (Redis's pubsub.c), and keyspace
 * notifications (notify.c) built on them. Shard channels (SSUBSCRIBE/SPUBLISH) are a namespace of
 * their own; without cluster mode there is one shard, so they work like plain channels. Messages are encoded straight into each receiver's output buffer
 * as a push (RESP3) or an array (RESP2); the end-of-turn flush sends them.
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

  /** Number of channels plus patterns a client is subscribed to (the count in replies). */
  static subscriptionCount(c: Client): number {
    return c.channels.size + c.patterns.size;
  }

  subscribe(c: Client, channel: string): void {
    subscribeTo(this.channels, c.channels, c, channel);
    this.writeSubscriptionReply(c, "subscribe", channel, PubSub.subscriptionCount(c));
  }

  /** Unsubscribes one channel; `notify` writes the reply (false when the client is closing). */
  unsubscribe(c: Client, channel: string, notify: boolean): void {
    unsubscribeFrom(this.channels, c.channels, c, channel);
    if (notify) this.writeSubscriptionReply(c, "unsubscribe", channel, PubSub.subscriptionCount(c));
    this.updatePubSubFlag(c);
  }

  unsubscribeAll(c: Client, notify: boolean): void {
    if (c.channels.size === 0) {
      if (notify) this.writeSubscriptionReply(c, "unsubscribe", null, PubSub.subscriptionCount(c));
      return;
    }
    for (const channel of [...c.channels]) this.unsubscribe(c, channel, notify);
  }

  psubscribe(c: Client, pattern: string): void {
    subscribeTo(this.patterns, c.patterns, c, pattern);
    this.writeSubscriptionReply(c, "psubscribe", pattern, PubSub.subscriptionCount(c));
  }

  punsubscribe(c: Client, pattern: string, notify: boolean): void {
    unsubscribeFrom(this.patterns, c.patterns, c, pattern);
    if (notify) this.writeSubscriptionReply(c, "punsubscribe", pattern, PubSub.subscriptionCount(c));
    this.updatePubSubFlag(c);
  }

  punsubscribeAll(c: Client, notify: boolean): void {
    if (c.patterns.size === 0) {
      if (notify) this.writeSubscriptionReply(c, "punsubscribe", null, PubSub.subscriptionCount(c));
      return;
    }
    for (const pattern of [...c.patterns]) this.punsubscribe(c, pattern, notify);
  }

  /** SSUBSCRIBE: its replies count the client's shard channels only, as Redis's do. */
  ssubscribe(c: Client, channel: string): void {
    subscribeTo(this.shardChannels, c.shardChannels, c, channel);
    this.writeSubscriptionReply(c, "ssubscribe", channel, c.shardChannels.size);
  }

  sunsubscribe(c: Client, channel: string, notify: boolean): void {
    unsubscribeFrom(this.shardChannels, c.shardChannels, c, channel);
    if (notify) this.writeSubscriptionReply(c, "sunsubscribe", channel, c.shardChannels.size);
    this.updatePubSubFlag(c);
  }

  sunsubscribeAll(c: Client, notify: boolean): void {
    if (c.shardChannels.size === 0) {
      if (notify) this.writeSubscriptionReply(c, "sunsubscribe", null, 0);
      return;
    }
    for (const channel of [...c.shardChannels]) this.sunsubscribe(c, channel, notify);
  }

  /** Every subscription of a client that leaves (disconnect, RESET), without replies. */
  dropClient(c: Client): void {
    this.unsubscribeAll(c, false);
    this.punsubscribeAll(c, false);
    this.sunsubscribeAll(c, false);
  }

  private updatePubSubFlag(c: Client): void {
    if (c.channels.size === 0 && c.patterns.size === 0 && c.shardChannels.size === 0)
      c.flags &= ~ClientFlag.PubSub;
  }

  private writeSubscriptionReply(c: Client, kind: string, name: string | null, count: number): void {
    const out = c.out;
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
      const out = c.out;
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
          const out = c.out;
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

/** Adds a subscription on both sides (the server's map, the client's set) and flags the client. */
function subscribeTo(all: Map<string, Set<Client>>, mine: Set<string>, c: Client, name: string): void {
  if (!mine.has(name)) {
    mine.add(name);
    let set = all.get(name);
    if (set === undefined) {
      set = new Set();
      all.set(name, set);
    }
    set.add(c);
  }
  c.flags |= ClientFlag.PubSub;
}

/** Removes a subscription on both sides, dropping a name nobody subscribes to any more. */
function unsubscribeFrom(all: Map<string, Set<Client>>, mine: Set<string>, c: Client, name: string): void {
  if (!mine.delete(name)) return;
  const set = all.get(name);
  if (set === undefined) return;
  set.delete(c);
  if (set.size === 0) all.delete(name);
}
