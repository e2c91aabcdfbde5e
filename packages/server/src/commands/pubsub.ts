/**
 * Pub/Sub commands (pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, their
 * shard-channel forms SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, and PUBSUB CHANNELS|NUMSUB|NUMPAT|
 * SHARDCHANNELS|SHARDNUMSUB|HELP. PUBLISH and SPUBLISH are propagated to replicas only (not the
 * AOF), as Redis's forceCommandPropagation(PROPAGATE_REPL) does without cluster mode, so
 * subscribers of replicas see them too.
 */

import type { Client } from "../network/client.js";
import type { SubscriptionKind } from "../pubsub/pubsub.js";
import { globMatch } from "../util/glob.js";
import { helpReply, subcommandSyntaxError } from "./common.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";

/** SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: one reply per name. */
function subscribeGeneric(c: Client, kind: SubscriptionKind): void {
  for (let i = 1; i < c.argv.length; i++) c.server.pubsub.subscribe(c, kind, c.argv[i]);
}

/** UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE: the names given, or all of the kind. */
function unsubscribeGeneric(c: Client, kind: SubscriptionKind): void {
  const pubsub = c.server.pubsub;
  if (c.argv.length === 1) pubsub.unsubscribeAll(c, kind, true);
  else for (let i = 1; i < c.argv.length; i++) pubsub.unsubscribe(c, kind, c.argv[i], true);
}

/** PUBLISH and SPUBLISH: the receivers' count; replicas get the command, the AOF does not. */
function publishGeneric(c: Client, receivers: number): void {
  c.server.propagator.alsoPropagate(c.db.id, c.argv, true);
  c.preventPropagation = true;
  c.out.integer(receivers);
}

/** PUBSUB CHANNELS and SHARDCHANNELS: the names with subscribers, optionally matching a pattern. */
function channelsReply(c: Client, channels: Map<string, Set<Client>>): void {
  // At most one pattern (pubsubCommand's `c->argc == 2 || c->argc == 3`).
  if (c.argv.length > 3) return void subcommandSyntaxError(c);
  const pattern = c.argv.length > 2 ? c.argv[2] : null;
  const names: string[] = [];
  for (const name of channels.keys()) if (pattern === null || globMatch(pattern, name)) names.push(name);
  c.out.arrayHeader(names.length);
  for (const n of names) c.out.bulk(n);
}

/** PUBSUB NUMSUB and SHARDNUMSUB: each name and its subscriber count. */
function numsubReply(c: Client, channels: Map<string, Set<Client>>): void {
  const argv = c.argv;
  // A flat array even in RESP3, as Redis 7.0 replies it.
  c.out.arrayHeader((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.out.bulk(argv[i]);
    c.out.integer(channels.get(argv[i])?.size ?? 0);
  }
}

function pubsubNumpatCommand(c: Client): void {
  c.out.integer(c.server.pubsub.patterns.size);
}

function pubsubHelpCommand(c: Client): void {
  const lines = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
  ];
  helpReply(c, lines);
}

export const pubsubCommands = [
  spec(
    "subscribe",
    -2,
    "pubsub noscript loading stale sentinel",
    [0, 0, 0],
    "pubsub",
    "Listens for messages published to channels.",
    "2.0.0",
    (c) => subscribeGeneric(c, c.server.pubsub.channelKind),
  ),
  spec(
    "unsubscribe",
    -1,
    "pubsub noscript loading stale sentinel",
    [0, 0, 0],
    "pubsub",
    "Stops listening to messages posted to channels.",
    "2.0.0",
    (c) => unsubscribeGeneric(c, c.server.pubsub.channelKind),
  ),
  spec(
    "psubscribe",
    -2,
    "pubsub noscript loading stale sentinel",
    [0, 0, 0],
    "pubsub",
    "Listens for messages published to channels that match one or more patterns.",
    "2.0.0",
    (c) => subscribeGeneric(c, c.server.pubsub.patternKind),
  ),
  spec(
    "punsubscribe",
    -1,
    "pubsub noscript loading stale sentinel",
    [0, 0, 0],
    "pubsub",
    "Stops listening to messages published to channels that match one or more patterns.",
    "2.0.0",
    (c) => unsubscribeGeneric(c, c.server.pubsub.patternKind),
  ),
  spec(
    "publish",
    3,
    "pubsub loading stale fast may_replicate sentinel",
    [0, 0, 0],
    "pubsub",
    "Posts a message to a channel.",
    "2.0.0",
    (c) => publishGeneric(c, c.server.pubsub.publish(c.argv[1], c.argv[2])),
  ),
  spec(
    "ssubscribe",
    -2,
    "pubsub noscript loading stale",
    [1, -1, 1],
    "pubsub",
    "Listen for messages published to the given shard channels",
    "7.0.0",
    (c) => subscribeGeneric(c, c.server.pubsub.shardKind),
  ),
  spec(
    "sunsubscribe",
    -1,
    "pubsub noscript loading stale",
    [1, -1, 1],
    "pubsub",
    "Stop listening for messages posted to the given shard channels",
    "7.0.0",
    (c) => unsubscribeGeneric(c, c.server.pubsub.shardKind),
  ),
  spec(
    "spublish",
    3,
    "pubsub loading stale fast",
    [1, 1, 1],
    "pubsub",
    "Post a message to a shard channel",
    "7.0.0",
    (c) => publishGeneric(c, c.server.pubsub.spublish(c.argv[1], c.argv[2])),
  ),
  container("pubsub", -2, "pubsub", "A container for Pub/Sub commands.", "2.8.0", [
    spec(
      "channels",
      -2,
      "pubsub loading stale",
      [0, 0, 0],
      "pubsub",
      "Returns the active channels.",
      "2.8.0",
      (c) => channelsReply(c, c.server.pubsub.channels),
    ),
    spec(
      "numsub",
      -2,
      "pubsub loading stale",
      [0, 0, 0],
      "pubsub",
      "Returns a count of subscribers to channels.",
      "2.8.0",
      (c) => numsubReply(c, c.server.pubsub.channels),
    ),
    spec(
      "shardchannels",
      -2,
      "pubsub loading stale",
      [0, 0, 0],
      "pubsub",
      "List active shard channels",
      "7.0.0",
      (c) => channelsReply(c, c.server.pubsub.shardChannels),
    ),
    spec(
      "shardnumsub",
      -2,
      "pubsub loading stale",
      [0, 0, 0],
      "pubsub",
      "Get the count of subscribers for shard channels",
      "7.0.0",
      (c) => numsubReply(c, c.server.pubsub.shardChannels),
    ),
    spec(
      "numpat",
      2,
      "pubsub loading stale",
      [0, 0, 0],
      "pubsub",
      "Returns a count of unique pattern subscriptions.",
      "2.8.0",
      pubsubNumpatCommand,
    ),
    helpSpec("pubsub", "6.2.0", pubsubHelpCommand),
  ]),
] satisfies CommandSpec[];
