/**
 * Public surface of @keyhaven/server: building a server from a Config (used by main.ts, tests
 * that embed a server, and Sentinel, which reuses the networking and pub/sub layers).
 */

import { registerMonitorCleanup, registerSlowlog } from "./commands/server-admin.js";
import type { Config } from "./config/config.js";
import { registerCoreInfoSections } from "./info/info.js";
import { registerPersistence } from "./persistence/register.js";
import { Server } from "./server.js";

export { Config } from "./config/config.js";
export { ConfigError, KeyhavenError } from "./errors.js";
export type { Client } from "./network/client.js";
export { Server } from "./server.js";

export interface CreateServerOptions {
  /** RDB persistence (dump.rdb load/save, SAVE/BGSAVE, DUMP/RESTORE). Default true; Sentinel: false. */
  persistence?: boolean;
}

/** A fully wired server (core subsystems registered), not yet started. */
export function createServer(config: Config, options: CreateServerOptions = {}): Server {
  const server = new Server(config);
  registerMonitorCleanup(server);
  registerSlowlog(server);
  registerCoreInfoSections(server);
  if (options.persistence !== false) registerPersistence(server);
  return server;
}
