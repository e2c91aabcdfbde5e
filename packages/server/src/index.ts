/**
 * Public surface of @keyhaven/server: building a server from a Config (used by main.ts, tests
 * that embed a server, and Sentinel, which reuses the networking, pub/sub, config parsing and
 * config rewriting layers).
 */

import { registerMonitorCleanup, registerSlowlog } from "./commands/server-admin.js";
import type { Config } from "./config/config.js";
import { registerCoreInfoSections } from "./info/info.js";
import { registerEviction } from "./keyspace/evict.js";
import { registerAof } from "./persistence/aof.js";
import { registerPersistence } from "./persistence/register.js";
import { Server } from "./server.js";

export { type CommandSpec, container, spec } from "./commands/spec.js";
export { Config, formatConfigError } from "./config/config.js";
export { readConfigText, rewriteConfigText, writeFileAtomically } from "./config/rewrite.js";
export { ConfigError, KeyhavenError } from "./errors.js";
export type { Client } from "./network/client.js";
export { Server } from "./server.js";
export { globMatch } from "./util/glob.js";
export { createLogger, type Logger, type LogLevel } from "./util/logger.js";
export { REDIS_VERSION } from "./version.js";

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
  registerEviction(server);
  if (options.persistence !== false) {
    // AOF first: each wraps the MISCONF gate, so the RDB check (registered last) runs first, as in Redis.
    registerAof(server);
    registerPersistence(server);
  }
  return server;
}
