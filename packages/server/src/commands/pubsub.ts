/**
 * Pub/Sub commands (pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and
 * PUBSUB CHANNELS|NUMSUB|NUMPAT|HELP. PUBLISH is propagated to replicas only (not the AOF), as
 * Redis's forceCommandPropagation(PROPAGATE_REPL) does, so subscribers of replicas see it too.
 */

import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { helpReply, subcommandSyntaxError } from "./common.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";

function subscribeCommand(c: Client): void {
  const argv = c.argv;
  for (let i = 1; i < argv.length; i++) c.server.pubsub.subscribe(c, argv[i]);
}

function unsubscribeCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length === 1) c.server.pubsub.unsubscribeAll(c, true);
  else for (let i = 1; i < argv.length; i++) c.server.pubsub.unsubscribe(c, argv[i], true);
}

function psubscribeCommand(c: Client): void {
  const argv = c.argv;
  for (let i = 1; i < argv.length; i++) c.server.pubsub.psubscribe(c, argv[i]);
}

function punsubscribeCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length === 1) c.server.pubsub.punsubscribeAll(c, true);
  else for (let i = 1; i < argv.length; i++) c.server.pubsub.punsubscribe(c, argv[i], true);
}

function publishCommand(c: Client): void {
  const receivers = c.server.pubsub.publish(c.argv[1], c.argv[2]);
  c.server.propagator.alsoPropagate(c.db.id, c.argv, true);
  c.preventPropagation = true;
  c.out.integer(receivers);
}

function pubsubChannelsCommand(c: Client): void {
  // PUBSUB CHANNELS takes at most one pattern (pubsubCommand's `c->argc == 2 || c->argc == 3`).
  if (c.argv.length > 3) return void subcommandSyntaxError(c);
  const pattern = c.argv.length > 2 ? c.argv[2] : null;
  const names: string[] = [];
  for (const name of c.server.pubsub.channels.keys())
    if (pattern === null || globMatch(pattern, name)) names.push(name);
  c.out.arrayHeader(names.length);
  for (const n of names) c.out.bulk(n);
}

function pubsubNumsubCommand(c: Client): void {
  const argv = c.argv;
  // A flat array even in RESP3, as Redis 7.0 replies it.
  c.out.arrayHeader((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.out.bulk(argv[i]);
    c.out.integer(c.server.pubsub.channels.get(argv[i])?.size ?? 0);
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
    subscribeCommand,
  ),
  spec(
    "unsubscribe",
    -1,
    "pubsub noscript loading stale sentinel",
    [0, 0, 0],
    "pubsub",
    "Stops listening to messages posted to channels.",
    "2.0.0",
    unsubscribeCommand,
  ),
  spec(
    "psubscribe",
    -2,
    "pubsub noscript loading stale sentinel",
    [0, 0, 0],
    "pubsub",
    "Listens for messages published to channels that match one or more patterns.",
    "2.0.0",
    psubscribeCommand,
  ),
  spec(
    "punsubscribe",
    -1,
    "pubsub noscript loading stale sentinel",
    [0, 0, 0],
    "pubsub",
    "Stops listening to messages published to channels that match one or more patterns.",
    "2.0.0",
    punsubscribeCommand,
  ),
  spec(
    "publish",
    3,
    "pubsub loading stale fast may_replicate sentinel",
    [0, 0, 0],
    "pubsub",
    "Posts a message to a channel.",
    "2.0.0",
    publishCommand,
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
      pubsubChannelsCommand,
    ),
    spec(
      "numsub",
      -2,
      "pubsub loading stale",
      [0, 0, 0],
      "pubsub",
      "Returns a count of subscribers to channels.",
      "2.8.0",
      pubsubNumsubCommand,
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
