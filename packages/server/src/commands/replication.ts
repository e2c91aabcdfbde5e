/**
 * Replication commands: REPLICAOF/SLAVEOF, SYNC, PSYNC, REPLCONF, WAIT, FAILOVER. ROLE lives with
 * the admin commands and answers through `server.roleReply`, which the replication subsystem
 * installs. The work is done in ../replication/; these are the entry points with Redis 7.0's
 * argument checks and error texts.
 */

import { shared } from "@keyhaven/protocol";
import { type Client, ClientFlag } from "../network/client.js";
import { replicationOf } from "../replication/replication.js";
import { waitCommand as wait } from "../replication/wait.js";
import { parseInteger } from "./args.js";
import { type CommandSpec, spec } from "./spec.js";

/** replicaofCommand: REPLICAOF host port | REPLICAOF NO ONE. */
function replicaofCommand(c: Client): void {
  const repl = replicationOf(c.server);
  const logger = c.server.logger;
  if (repl.failover.state !== "no-failover") {
    c.error("ERR REPLICAOF not allowed while failing over.");
    return;
  }
  const host = c.argv[1];
  const portArg = c.argv[2];
  if (host.toLowerCase() === "no" && portArg.toLowerCase() === "one") {
    if (repl.isReplica) {
      repl.replica.unsetMaster();
      logger.notice(`MASTER MODE enabled (user request from '${c.describe()}')`);
    }
    c.out.raw(shared.OK);
    return;
  }
  if (c.has(ClientFlag.Replica)) {
    c.error("ERR Command is not valid when client is a replica.");
    return;
  }
  const port = parseInteger(portArg);
  if (port === null || port < 0 || port > 65535) {
    c.error("ERR Invalid master port");
    return;
  }
  const side = repl.replica;
  if (
    side.masterHost !== null &&
    side.masterHost.toLowerCase() === host.toLowerCase() &&
    side.masterPort === port
  ) {
    logger.notice(
      "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
    );
    c.out.simple("OK Already connected to specified master");
    return;
  }
  side.setMaster(host, port);
  logger.notice(`REPLICAOF ${host}:${port} enabled (user request from '${c.describe()}')`);
  c.out.raw(shared.OK);
}

function syncCommand(c: Client): void {
  replicationOf(c.server).master.sync(c);
}

function replconfCommand(c: Client): void {
  replicationOf(c.server).master.replconf(c);
}

function waitCommand(c: Client): void {
  wait(replicationOf(c.server), c);
}

function failoverCommand(c: Client): void {
  replicationOf(c.server).failover.command(c);
}

export const replicationCommands = [
  spec(
    "replicaof",
    3,
    "admin noscript stale no_async_loading",
    [0, 0, 0],
    "server",
    "Configures a server as replica of another, or promotes it to a master.",
    "5.0.0",
    replicaofCommand,
  ),
  spec(
    "slaveof",
    3,
    "admin noscript stale no_async_loading",
    [0, 0, 0],
    "server",
    "Sets a Redis server as a replica of another, or promotes it to being a master.",
    "1.0.0",
    replicaofCommand,
  ),
  spec(
    "sync",
    1,
    "admin noscript no_async_loading no_multi",
    [0, 0, 0],
    "server",
    "An internal command used in replication.",
    "1.0.0",
    syncCommand,
  ),
  spec(
    "psync",
    -3,
    "admin noscript no_async_loading no_multi",
    [0, 0, 0],
    "server",
    "An internal command used in replication.",
    "2.8.0",
    syncCommand,
  ),
  spec(
    "replconf",
    -1,
    "admin noscript loading stale allow_busy",
    [0, 0, 0],
    "server",
    "An internal command for configuring the replication stream.",
    "3.0.0",
    replconfCommand,
  ),
  spec(
    "wait",
    3,
    "noscript",
    [0, 0, 0],
    "generic",
    "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
    "3.0.0",
    waitCommand,
    { acl: ["slow", "connection"] },
  ),
  spec(
    "failover",
    -1,
    "admin noscript stale",
    [0, 0, 0],
    "server",
    "Starts a coordinated failover from a server to one of its replicas.",
    "6.2.0",
    failoverCommand,
  ),
] satisfies CommandSpec[];
