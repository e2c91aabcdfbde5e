/**
 * LATENCY LATEST|HISTORY|RESET|HELP (latency.c latencyCommand) over the server's latency
 * monitor. DOCTOR, GRAPH and HISTOGRAM are not built: they answer the unknown-subcommand error
 * and HELP does not offer them.
 */

import { LatencyMonitor } from "../info/latency-monitor.js";
import type { Client } from "../network/client.js";
import { helpReply } from "./common.js";
import { type CommandSpec, container, spec } from "./spec.js";

/** latencyCommandReplyWithLatestEvents: [event, time of the last sample, its latency, max]. */
function latencyLatestCommand(c: Client): void {
  const events = c.server.latencyMonitor.events;
  c.out.arrayHeader(events.size);
  for (const [event, ts] of events) {
    const last = ts.last();
    c.out.arrayHeader(4);
    c.out.bulk(event);
    c.out.integer(ts.times[last]);
    c.out.integer(ts.latencies[last]);
    c.out.integer(ts.max);
  }
}

/** [time, latency] pairs, oldest first; an unknown event is an empty array. */
function latencyHistoryCommand(c: Client): void {
  const ts = c.server.latencyMonitor.events.get(c.argv[2]);
  const samples = ts === undefined ? [] : LatencyMonitor.samples(ts);
  c.out.arrayHeader(samples.length);
  for (const [time, latency] of samples) {
    c.out.arrayHeader(2);
    c.out.integer(time);
    c.out.integer(latency);
  }
}

/** The number of events that existed and were reset (an event named twice counts once). */
function latencyResetCommand(c: Client): void {
  const monitor = c.server.latencyMonitor;
  if (c.argv.length === 2) {
    c.out.integer(monitor.reset(null));
    return;
  }
  let resets = 0;
  for (let j = 2; j < c.argv.length; j++) resets += monitor.reset(c.argv[j]);
  c.out.integer(resets);
}

const ADMIN = "admin noscript loading stale";

export const latencyCommands = [
  container("latency", -2, "server", "A container for latency diagnostics commands", "2.8.13", [
    spec(
      "latest",
      2,
      ADMIN,
      [0, 0, 0],
      "server",
      "Return the latest latency samples for all events.",
      "2.8.13",
      latencyLatestCommand,
    ),
    spec(
      "history",
      3,
      ADMIN,
      [0, 0, 0],
      "server",
      "Return timestamp-latency samples for the event.",
      "2.8.13",
      latencyHistoryCommand,
    ),
    spec(
      "reset",
      -2,
      ADMIN,
      [0, 0, 0],
      "server",
      "Reset latency data for one or more events.",
      "2.8.13",
      latencyResetCommand,
    ),
    spec(
      "help",
      2,
      "loading stale",
      [0, 0, 0],
      "server",
      "Show helpful text about the different subcommands.",
      "2.8.13",
      (c) =>
        helpReply(c, [
          "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "HISTORY <event>",
          "    Return time-latency samples for the <event> class.",
          "LATEST",
          "    Return the latest latency samples for all events.",
          "RESET [<event> ...]",
          "    Reset latency data of one or more <event> classes.",
          "    (default: reset all data for all event classes)",
          "HELP",
          "    Prints this help.",
        ]),
    ),
  ]),
] satisfies CommandSpec[];
