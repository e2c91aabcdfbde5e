/**
 * Public surface of @keyhaven/server: building a server from a Config (used by main.ts, tests
 * that embed a server, and Sentinel, which reuses the networking and pub/sub layers).
 */

import { registerMonitorCleanup, registerSlowlog } from "./commands/server-admin.js";
import type { Config } from "./config/config.js";
import { registerCoreInfoSections } from "./info/info.js";
import { registerReplication } from "./replication/replication.js";
import { Server } from "./server.js";

export { Config } from "./config/config.js";
export { ConfigError, KeyhavenError } from "./errors.js";
export type { Client } from "./network/client.js";
export { Server } from "./server.js";

/** A fully wired server (core subsystems registered), not yet started. */
export function createServer(config: Config): Server {
  const server = new Server(config);
  registerMonitorCleanup(server);
  registerSlowlog(server);
  registerReplication(server);
  registerCoreInfoSections(server);
  return server;
}
