/**
 * Sentinel events (sentinel.c sentinelEvent): every state change is logged, published on the
 * pub/sub channel named after the event type, and (for warnings about an instance) handed to
 * the master's notification-script.
 *
 * Message format, exactly Redis's, because Jedis/Lettuce/redis-py split it on spaces:
 *   instance part:  "<type> <name> <ip> <port>"                                 (a master)
 *                   "<type> <name> <ip> <port> @ <master> <master-ip> <master-port>" (others)
 *   then the event-specific text, e.g. "+odown" adds " #quorum 2/2".
 * The log line is "<event> <message>"; debug-level events are logged but not published.
 *
 * Also owns `Sentinel`, the context object every module receives: the state, the listening
 * server (for pub/sub and logging), the script queue and the config flusher.
 */

import type { Server } from "@keyhaven/server";
import type { Instance, SentinelState } from "./instance.js";
import type { ScriptQueue } from "./scripts.js";

export type EventLevel = "debug" | "verbose" | "notice" | "warning";

/** The context shared by the Sentinel modules. */
export interface Sentinel {
  readonly state: SentinelState;
  readonly server: Server;
  readonly scripts: ScriptQueue;
  /**
   * sentinelFlushConfig: rewrites the config file with the current state (logs failures), at
   * the end of the current event-loop turn, or at once with `now`.
   */
  flushConfig(now?: boolean): void;
}

/** The "%@" part of an event message for `ri` (hostnames with announce-hostnames yes). */
export function instanceDescription(ri: Instance, announceHostnames = false): string {
  const host = (r: Instance) => (announceHostnames ? r.addr.hostname : r.addr.ip);
  const own = `${ri.typeStr} ${ri.name} ${host(ri)} ${ri.addr.port}`;
  const master = ri.master;
  if (master === null) return own;
  return `${own} @ ${master.name} ${host(master)} ${master.addr.port}`;
}

/**
 * sentinelEvent. `ri` null means a global event (+tilt/-tilt). With `withInstance` the message
 * starts with the instance description ("%@" in Redis's format strings), followed by `extra`.
 */
export function sentinelEvent(
  s: Sentinel,
  level: EventLevel,
  type: string,
  ri: Instance | null,
  extra: string,
  withInstance = true,
): void {
  let msg = ri !== null && withInstance ? instanceDescription(ri, s.state.announceHostnames) : "";
  msg += extra;
  const logger = s.server.logger;
  if (logger.isLevelEnabled(level)) logger[level](`${type} ${msg}`);
  if (level !== "debug") s.server.pubsub.publish(type, msg);
  if (level === "warning" && ri !== null) {
    const master = ri.masterOf;
    if (master.notificationScript !== null) {
      s.scripts.schedule(master.notificationScript, [type, msg]);
    }
  }
}
