/**
 * SLOWLOG GET|LEN|RESET|HELP (slowlog.c): commands slower than slowlog-log-slower-than, with
 * Redis's truncation of long argument lists and long arguments.
 */

import { shared } from "@keyhaven/protocol";
import { gates } from "../exec/dispatch.js";
import { clock } from "../keyspace/clock.js";
import type { Client } from "../network/client.js";
import type { Server } from "../server.js";
import { parseInteger } from "./args.js";
import { helpReply, subcommandSyntaxError } from "./common.js";
import { type CommandSpec, container, spec } from "./spec.js";

interface SlowlogEntry {
  id: number;
  time: number;
  micros: number;
  argv: string[];
  addr: string;
  name: string;
}

const SLOWLOG_MAX_ARGC = 32;
const SLOWLOG_MAX_STRING = 128;
let slowlog: SlowlogEntry[] = [];
let slowlogNextId = 0;

export function registerSlowlog(server: Server): void {
  gates.slowlog = (c, argv, micros) => {
    const threshold = server.config.num("slowlog-log-slower-than");
    if (threshold < 0 || micros < threshold) return;
    const args: string[] = [];
    const n = Math.min(argv.length, SLOWLOG_MAX_ARGC);
    for (let i = 0; i < n; i++) {
      if (n !== argv.length && i === n - 1) {
        args.push(`... (${argv.length - SLOWLOG_MAX_ARGC + 1} more arguments)`);
        break;
      }
      const a = argv[i];
      args.push(
        a.length > SLOWLOG_MAX_STRING
          ? `${a.slice(0, SLOWLOG_MAX_STRING)}... (${a.length - SLOWLOG_MAX_STRING} more bytes)`
          : a,
      );
    }
    slowlog.unshift({
      id: slowlogNextId++,
      time: Math.floor(clock.ms / 1000),
      micros: Math.round(micros),
      argv: args,
      addr: c.addr,
      name: c.name,
    });
    const max = server.config.num("slowlog-max-len");
    if (slowlog.length > max) slowlog.length = max;
  };
}

function slowlogGetCommand(c: Client): void {
  // slowlogCommand takes GET with at most a count; more arguments are a subcommand syntax error.
  if (c.argv.length > 3) return void subcommandSyntaxError(c);
  let count = 10;
  if (c.argv.length === 3) {
    const n = parseInteger(c.argv[2]);
    if (n === null || n < -1) {
      c.error("ERR count should be greater than or equal to -1");
      return;
    }
    count = n === -1 ? slowlog.length : n;
  }
  const entries = slowlog.slice(0, count);
  c.out.arrayHeader(entries.length);
  for (const e of entries) {
    c.out.arrayHeader(6);
    c.out.integer(e.id);
    c.out.integer(e.time);
    c.out.integer(e.micros);
    c.out.arrayHeader(e.argv.length);
    for (const a of e.argv) c.out.bulk(a);
    c.out.bulk(e.addr);
    c.out.bulk(e.name);
  }
}

export const slowlogCommands = [
  container("slowlog", -2, "server", "A container for slow log commands.", "2.2.12", [
    spec(
      "get",
      -2,
      "admin loading stale",
      [0, 0, 0],
      "server",
      "Returns the slow log's entries.",
      "2.2.12",
      slowlogGetCommand,
    ),
    spec(
      "len",
      2,
      "admin loading stale",
      [0, 0, 0],
      "server",
      "Returns the number of entries in the slow log.",
      "2.2.12",
      (c) => c.out.integer(slowlog.length),
    ),
    spec(
      "reset",
      2,
      "admin loading stale",
      [0, 0, 0],
      "server",
      "Clears all entries from the slow log.",
      "2.2.12",
      (c) => {
        slowlog = [];
        c.out.raw(shared.OK);
      },
    ),
    spec(
      "help",
      2,
      "loading stale",
      [0, 0, 0],
      "server",
      "Show helpful text about the different subcommands",
      "6.2.0",
      (c) =>
        helpReply(c, [
          "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "GET [<count>]",
          "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
          "    Entries are made of:",
          "    id, timestamp, time in microseconds, arguments array, client IP and port,",
          "    client name",
          "LEN",
          "    Return the length of the slowlog.",
          "RESET",
          "    Reset the slowlog.",
          "HELP",
          "    Prints this help.",
        ]),
    ),
  ]),
] satisfies CommandSpec[];
