/**
 * Channels and patterns with their subscribers (Redis's pubsub.c), and keyspace notifications
 * (notify.c) built on them. Messages are encoded straight into each receiver's output buffer
 * as a push (RESP3) or an array (RESP2); the end-of-turn flush sends them.
 *
 * Invariant: a client is in `channels.get(ch)` iff `ch` is in `client.channels` (same for
 * patterns), so unsubscribing on disconnect is O(subscriptions of that client).
 */

import { type Client, ClientFlag } from "../network/client.js";
import { globMatch } from "../util/glob.js";

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
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
    if (!c.channels.has(channel)) {
      c.channels.add(channel);
      let set = this.channels.get(channel);
      if (set === undefined) {
        set = new Set();
        this.channels.set(channel, set);
      }
      set.add(c);
    }
    c.flags |= ClientFlag.PubSub;
    this.writeSubscriptionReply(c, "subscribe", channel);
  }

  /** Unsubscribes one channel; `notify` writes the reply (false when the client is closing). */
  unsubscribe(c: Client, channel: string, notify: boolean): void {
    if (c.channels.delete(channel)) {
      const set = this.channels.get(channel);
      if (set !== undefined) {
        set.delete(c);
        if (set.size === 0) this.channels.delete(channel);
      }
    }
    if (notify) this.writeSubscriptionReply(c, "unsubscribe", channel);
    this.updatePubSubFlag(c);
  }

  unsubscribeAll(c: Client, notify: boolean): void {
    if (c.channels.size === 0) {
      if (notify) this.writeSubscriptionReply(c, "unsubscribe", null);
      return;
    }
    for (const channel of [...c.channels]) this.unsubscribe(c, channel, notify);
  }

  psubscribe(c: Client, pattern: string): void {
    if (!c.patterns.has(pattern)) {
      c.patterns.add(pattern);
      let set = this.patterns.get(pattern);
      if (set === undefined) {
        set = new Set();
        this.patterns.set(pattern, set);
      }
      set.add(c);
    }
    c.flags |= ClientFlag.PubSub;
    this.writeSubscriptionReply(c, "psubscribe", pattern);
  }

  punsubscribe(c: Client, pattern: string, notify: boolean): void {
    if (c.patterns.delete(pattern)) {
      const set = this.patterns.get(pattern);
      if (set !== undefined) {
        set.delete(c);
        if (set.size === 0) this.patterns.delete(pattern);
      }
    }
    if (notify) this.writeSubscriptionReply(c, "punsubscribe", pattern);
    this.updatePubSubFlag(c);
  }

  punsubscribeAll(c: Client, notify: boolean): void {
    if (c.patterns.size === 0) {
      if (notify) this.writeSubscriptionReply(c, "punsubscribe", null);
      return;
    }
    for (const pattern of [...c.patterns]) this.punsubscribe(c, pattern, notify);
  }

  private updatePubSubFlag(c: Client): void {
    if (c.channels.size === 0 && c.patterns.size === 0) c.flags &= ~ClientFlag.PubSub;
  }

  private writeSubscriptionReply(c: Client, kind: string, name: string | null): void {
    const out = c.out;
    out.pushHeader(3);
    out.bulk(kind);
    if (name === null) out.nullBulk();
    else out.bulk(name);
    out.integer(PubSub.subscriptionCount(c));
  }

  /** PUBLISH: delivers to channel and pattern subscribers; returns the number of receivers. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const subs = this.channels.get(channel);
    if (subs !== undefined) {
      for (const c of subs) {
        const out = c.out;
        out.pushHeader(3);
        out.bulk("message");
        out.bulk(channel);
        out.bulk(message);
        this.schedule(c);
        receivers++;
      }
    }
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
