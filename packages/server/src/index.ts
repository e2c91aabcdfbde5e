/**
 * Public surface of @keyhaven/server: building a server from a Config (used by main.ts, tests
 * that embed a server, and Sentinel, which reuses the networking, pub/sub, config parsing and
 * config rewriting layers).
 */

import { registerMonitorCleanup } from "./commands/monitor.js";
import { registerSlowlog } from "./commands/slowlog.js";
import type { Config } from "./config/config.js";
import { ConfigError } from "./errors.js";
import { registerCoreInfoSections } from "./info/info.js";
import { registerEviction } from "./keyspace/evict.js";
import { aofOf, registerAof } from "./persistence/aof.js";
import { registerRdbWarmup } from "./persistence/rdb-warmup.js";
import { registerPersistence } from "./persistence/register.js";
import { registerReplication } from "./replication/replication.js";
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
  /**
   * A data node (the default): replication, eviction, RDB and AOF persistence. Sentinel mode
   * runs the same server core without a dataset, so it passes false.
   */
  dataNode?: boolean;
}

/** A fully wired server (core subsystems registered), not yet started. */
export function createServer(config: Config, options: CreateServerOptions = {}): Server {
  const server = new Server(config);
  registerMonitorCleanup(server);
  registerSlowlog(server);
  if (options.dataNode !== false) {
    const replication = registerReplication(server);
    registerEviction(server);
    // AOF first: each wraps the MISCONF gate, so the RDB check (registered last) runs first, as in Redis.
    registerAof(server);
    registerPersistence(server);
    // Last: its load hook runs once the dataset is loaded.
    registerRdbWarmup(
      server,
      () => server.loading || server.snapshots.busy || replication.replica.linkState === "transfer",
    );
    // restartAOFAfterSYNC: a replica's AOF starts over from the dataset its full sync loaded.
    replication.afterFullSync.push(() => {
      const aof = aofOf(server);
      if (aof === undefined || !server.config.bool("appendonly")) return;
      aof.stopAppendOnly();
      if (!aof.startAppendOnly())
        server.logger.warning("Failed enabling the AOF after successful master synchronization!");
    });
  }
  registerCoreInfoSections(server);
  return server;
}

/**
 * What a config file asks of the command table and the users once they exist (Redis applies it
 * while reading the file): `rename-command` lines, then `user` lines or the aclfile. Throws a
 * ConfigError naming the line, or an Error for an ACL file, for the caller to report and exit.
 */
export function applyStartupDirectives(server: Server): void {
  const config = server.config;
  for (const { from, to, where } of config.renameDirectives) {
    try {
      server.commands.rename(from, to);
    } catch (err) {
      throw new ConfigError((err as Error).message, where.file, where.line, where.text);
    }
  }
  server.acl.loadAtStartup(config.userDirectives);
}
