/**
 * CLUSTER, READONLY, READWRITE and ASKING as a Redis 7.0 server started without cluster-enabled
 * has them: every one answers "-ERR This instance has cluster support disabled" (cluster.c checks
 * server.cluster_enabled first), after the usual arity and subcommand checks. Clients probe with
 * them (CLUSTER INFO to tell a cluster from a standalone server, READONLY on replicas) and ACL
 * rules name them (+readonly), so they exist here as they do in a standalone Redis: in COMMAND,
 * COMMAND DOCS and the ACL catalog. Keyhaven has no cluster mode (cluster-enabled is refused).
 *
 * Arity, flags, categories and summaries are Redis 7.0.15's (COMMAND INFO/DOCS of redis-server);
 * the differential command-info test compares them.
 */

import type { Client } from "../network/client.js";
import { type CommandSpec, container, spec } from "./spec.js";

function clusterDisabled(c: Client): void {
  c.error("ERR This instance has cluster support disabled");
}

/** name, arity, flags, ACL categories, since, summary: all the entries differ in. */
type Row = [string, number, string, string, string, string];

function disabledSpec([name, arity, flags, acl, since, summary]: Row): CommandSpec {
  return spec(name, arity, flags, [0, 0, 0], "cluster", summary, since, clusterDisabled, {
    acl: acl.split(" "),
  });
}

const COMMANDS: Row[] = [
  ["asking", 1, "fast", "fast connection", "3.0.0", "Sent by cluster clients after an -ASK redirect"],
  [
    "readonly",
    1,
    "loading stale fast",
    "fast connection",
    "3.0.0",
    "Enables read queries for a connection to a cluster replica node",
  ],
  [
    "readwrite",
    1,
    "loading stale fast",
    "fast connection",
    "3.0.0",
    "Disables read queries for a connection to a cluster replica node",
  ],
];

const CLUSTER_SUBCOMMANDS: Row[] = [
  [
    "addslots",
    -3,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Assign new hash slots to receiving node",
  ],
  ["getkeysinslot", 4, "stale", "slow", "3.0.0", "Return local key names in the specified hash slot"],
  ["slots", 2, "stale", "slow", "3.0.0", "Get array of Cluster slot to node mappings"],
  [
    "delslotsrange",
    -4,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "7.0.0",
    "Set hash slots as unbound in receiving node",
  ],
  [
    "addslotsrange",
    -4,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "7.0.0",
    "Assign new hash slots to receiving node",
  ],
  [
    "saveconfig",
    2,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Forces the node to save cluster state on disk",
  ],
  [
    "forget",
    3,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Remove a node from the nodes table",
  ],
  [
    "slaves",
    3,
    "admin stale",
    "admin slow dangerous",
    "3.0.0",
    "List replica nodes of the specified master node",
  ],
  [
    "count-failure-reports",
    3,
    "admin stale",
    "admin slow dangerous",
    "3.0.0",
    "Return the number of failure reports active for a given node",
  ],
  [
    "countkeysinslot",
    3,
    "stale",
    "slow",
    "3.0.0",
    "Return the number of local keys in the specified hash slot",
  ],
  [
    "flushslots",
    2,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Delete a node's own slots information",
  ],
  ["links", 2, "stale", "slow", "7.0.0", "Returns a list of all TCP links to and from peer nodes in cluster"],
  ["keyslot", 3, "stale", "slow", "3.0.0", "Returns the hash slot of the specified key"],
  [
    "bumpepoch",
    2,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Advance the cluster config epoch",
  ],
  [
    "replicas",
    3,
    "admin stale",
    "admin slow dangerous",
    "5.0.0",
    "List replica nodes of the specified master node",
  ],
  [
    "meet",
    -4,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Force a node cluster to handshake with another node",
  ],
  [
    "failover",
    -2,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Forces a replica to perform a manual failover of its master.",
  ],
  [
    "setslot",
    -4,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Bind a hash slot to a specific node",
  ],
  ["info", 2, "stale", "slow", "3.0.0", "Provides info about Redis Cluster node state"],
  ["myid", 2, "stale", "slow", "3.0.0", "Return the node id"],
  ["nodes", 2, "stale", "slow", "3.0.0", "Get Cluster config for the node"],
  [
    "delslots",
    -3,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Set hash slots as unbound in receiving node",
  ],
  [
    "set-config-epoch",
    3,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Set the configuration epoch in a new node",
  ],
  [
    "replicate",
    3,
    "admin stale no_async_loading",
    "admin slow dangerous",
    "3.0.0",
    "Reconfigure a node as a replica of the specified master node",
  ],
  ["shards", 2, "stale", "slow", "7.0.0", "Get array of cluster slots to node mappings"],
  ["help", 2, "loading stale", "slow", "5.0.0", "Show helpful text about the different subcommands"],
  ["reset", -2, "admin noscript stale", "admin slow dangerous", "3.0.0", "Reset a Redis Cluster node"],
];

export const clusterCommands = [
  ...COMMANDS.map(disabledSpec),
  container(
    "cluster",
    -2,
    "cluster",
    "A container for cluster commands",
    "3.0.0",
    CLUSTER_SUBCOMMANDS.map(disabledSpec),
  ),
] satisfies CommandSpec[];
