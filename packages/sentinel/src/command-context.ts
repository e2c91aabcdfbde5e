/**
 * The Sentinel context of a command handler: SENTINEL handlers receive only the client, and
 * reach the Sentinel bound to the client's server here. Shared by commands.ts and
 * commands-config.ts; bound once by mode.ts at start-up.
 */

import type { Client, Server } from "@keyhaven/server";
import type { Sentinel } from "./events.js";
import type { Instance } from "./instance.js";

const contexts = new WeakMap<Server, Sentinel>();

export function bindSentinel(s: Sentinel): void {
  contexts.set(s.server, s);
}

export function ctx(c: Client): Sentinel {
  return contexts.get(c.server)!;
}

export const NO_SUCH_MASTER = "ERR No such master with that name";

export function masterOrReply(c: Client, name: string): Instance | null {
  const ri = ctx(c).state.masters.get(name);
  if (ri === undefined) {
    c.error(NO_SUCH_MASTER);
    return null;
  }
  return ri;
}
