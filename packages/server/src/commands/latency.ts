/**
 * LATENCY LATEST|HISTORY|RESET|DOCTOR|GRAPH|HELP (latency.c latencyCommand) over the server's
 * latency monitor, and LATENCY HISTOGRAM over the per-command histograms of latency-tracking.
 */

import { latencyCdf } from "../info/latency.js";
import { latencyGraph, latencyReport } from "../info/latency-doctor.js";
import { LatencyMonitor } from "../info/latency-monitor.js";
import type { Client } from "../network/client.js";
import { helpReply } from "./common.js";
import type { Command } from "./spec.js";
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

/** The human-readable analysis, as a verbatim string (plain bulk in RESP2). */
function latencyDoctorCommand(c: Client): void {
  const config = c.server.config;
  const report = latencyReport(
    c.server.latencyMonitor,
    {
      threshold: c.server.latencyMonitor.threshold,
      slowlogSlowerThan: config.num("slowlog-log-slower-than"),
      hz: config.num("hz"),
      appendfsync: config.str("appendfsync"),
    },
    Math.floor(Date.now() / 1000),
  );
  c.out.verbatim(report, "txt");
}

/** The event's samples as an ASCII chart; the event name is matched exactly (no case folding). */
function latencyGraphCommand(c: Client): void {
  const event = c.argv[2];
  const ts = c.server.latencyMonitor.events.get(event);
  if (ts === undefined) {
    c.error(`ERR No samples available for event '${event}'`);
    return;
  }
  c.out.verbatim(latencyGraph(event, ts, Math.floor(Date.now() / 1000)), "txt");
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

/**
 * latencyAllCommandsFillCDF / latencySpecificCommandsFillCDF: a map of command full name to
 * {calls, histogram_usec}, for commands called since latency-tracking was on. A name may be a
 * container (its subcommands with data follow it) or `container|sub`; unknown names are skipped.
 */
function latencyHistogramCommand(c: Client): void {
  const table = c.server.commands;
  const picked: Command[] = [];
  const addWithSubcommands = (cmd: Command) => {
    if (cmd.latency !== null) picked.push(cmd);
    if (cmd.subcommandMap !== null)
      for (const sub of cmd.subcommandMap.values()) if (sub.latency !== null) picked.push(sub);
  };
  if (c.argv.length === 2) {
    for (const cmd of table.all()) addWithSubcommands(cmd);
  } else {
    for (let j = 2; j < c.argv.length; j++) {
      const cmd = table.getByFullName(c.argv[j]);
      if (cmd !== undefined) addWithSubcommands(cmd);
    }
  }
  c.out.mapHeader(picked.length);
  for (const cmd of picked) {
    const { calls, steps } = latencyCdf(cmd.latency!);
    c.out.bulk(cmd.fullName);
    c.out.mapHeader(2);
    c.out.bulk("calls");
    c.out.integer(calls);
    c.out.bulk("histogram_usec");
    c.out.mapHeader(steps.length);
    for (const [usec, count] of steps) {
      c.out.integer(usec);
      c.out.integer(count);
    }
  }
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
      "doctor",
      2,
      ADMIN,
      [0, 0, 0],
      "server",
      "Return a human readable latency analysis report.",
      "2.8.13",
      latencyDoctorCommand,
    ),
    spec(
      "graph",
      3,
      ADMIN,
      [0, 0, 0],
      "server",
      "Return a latency graph for the event.",
      "2.8.13",
      latencyGraphCommand,
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
      "histogram",
      -2,
      ADMIN,
      [0, 0, 0],
      "server",
      "Return the cumulative distribution of latencies of a subset of commands or all.",
      "7.0.0",
      latencyHistogramCommand,
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
          "DOCTOR",
          "    Return a human readable latency analysis report.",
          "GRAPH <event>",
          "    Return an ASCII latency graph for the <event> class.",
          "HISTORY <event>",
          "    Return time-latency samples for the <event> class.",
          "LATEST",
          "    Return the latest latency samples for all events.",
          "RESET [<event> ...]",
          "    Reset latency data of one or more <event> classes.",
          "    (default: reset all data for all event classes)",
          "HISTOGRAM [COMMAND ...]",
          "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
          "    If no commands are specified then all histograms are replied.",
          "HELP",
          "    Prints this help.",
        ]),
    ),
  ]),
] satisfies CommandSpec[];
