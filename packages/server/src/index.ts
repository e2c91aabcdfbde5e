/**
 * Public surface of @keyhaven/server: building a server from a Config (used by main.ts, tests
 * that embed a server, and Sentinel, which reuses the networking, pub/sub, config parsing and
 * config rewriting layers).
 */

import { registerMonitorCleanup } from "./commands/monitor.js";
import { registerSlowlog } from "./commands/slowlog.js";
import { type Config, formatConfigError } from "./config/config.js";
import { ConfigError } from "./errors.js";
import { registerCoreInfoSections } from "./info/info.js";
import { registerEviction } from "./keyspace/evict.js";
import { aofOf, registerAof } from "./persistence/aof.js";
import { registerRdbWarmup } from "./persistence/rdb-warmup.js";
import { registerPersistence } from "./persistence/register.js";
import { registerReplication } from "./replication/replication.js";
import { Server } from "./server.js";
import { strerror } from "./util/strerror.js";
import { REDIS_VERSION } from "./version.js";

export { type CommandSpec, container, spec } from "./commands/spec.js";
export { Config, formatConfigError } from "./config/config.js";
export { readConfigText, rewriteConfigText, writeFileAtomically } from "./config/rewrite.js";
export { ConfigError, KeyhavenError } from "./errors.js";
export type { Client } from "./network/client.js";
export { Server } from "./server.js";
export { globMatch } from "./util/glob.js";
export { createLogger, type Logger, type LogLevel } from "./util/logger.js";
export { strerror } from "./util/strerror.js";
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
 * The start-up steps both executables take after reading the config: chdir to `dir` (checked
 * while reading; failing here means it went away since). Returns the message to print before
 * exiting 1, or null.
 */
export function enterConfiguredDir(config: Config): string | null {
  const dir = config.str("dir");
  if (dir === "") return null;
  try {
    process.chdir(dir);
    return null;
  } catch (err) {
    return `Can't chdir to '${dir}': ${strerror(err)}`;
  }
}

/**
 * What a config file asks of the command table and the users once they exist (Redis applies it
 * while reading the file): `rename-command` lines, then `user` lines or the aclfile. Returns null,
 * or the message to print before exiting 1: a bad line as FATAL CONFIG FILE ERROR, an ACL file's
 * problem as Redis logs it.
 */
export function applyStartupDirectives(server: Server): string | null {
  const config = server.config;
  for (const { from, to, where } of config.renameDirectives) {
    try {
      server.commands.rename(from, to);
    } catch (err) {
      const bad = new ConfigError((err as Error).message, where.file, where.line, where.text);
      return formatConfigError(bad, REDIS_VERSION);
    }
  }
  try {
    server.acl.loadAtStartup(config.userDirectives);
    return null;
  } catch (err) {
    return err instanceof ConfigError ? formatConfigError(err, REDIS_VERSION) : (err as Error).message;
  }
}
