/**
 * MONITOR (replicationFeedMonitors): every command a client sends is shown to monitoring clients
 * as `+<time> [<db> <addr>] "arg" ...`, quoted like sdscatrepr, before it runs.
 */

import { shared } from "@keyhaven/protocol";
import { gates } from "../exec/dispatch.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { type CommandSpec, spec } from "./spec.js";

const monitors = new Set<Client>();

/** sdscatrepr: a quoted, escaped representation of one argument. */
export function reprArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    switch (ch) {
      case 92:
        out += "\\\\";
        break;
      case 34:
        out += '\\"';
        break;
      case 10:
        out += "\\n";
        break;
      case 13:
        out += "\\r";
        break;
      case 9:
        out += "\\t";
        break;
      case 7:
        out += "\\a";
        break;
      case 8:
        out += "\\b";
        break;
      default:
        out += ch >= 32 && ch < 127 ? s[i] : `\\x${ch.toString(16).padStart(2, "0")}`;
    }
  }
  return `${out}"`;
}

function feedMonitors(c: Client, argv: string[]): void {
  if (monitors.size === 0) return;
  const now = performance.timeOrigin + performance.now();
  const sec = Math.floor(now / 1000);
  const usec = String(Math.floor((now % 1000) * 1000)).padStart(6, "0");
  const source = c.has(ClientFlag.Script)
    ? "lua"
    : c.has(ClientFlag.UnixSocket)
      ? `unix:${c.server.config.str("unixsocket")}`
      : c.has(ClientFlag.Master)
        ? "master"
        : c.addr;
  const line = `${sec}.${usec} [${c.db.id} ${source}] ${argv.map(reprArg).join(" ")}`;
  for (const m of monitors) {
    if (m === c) continue;
    m.out.simple(line);
    c.server.scheduleFlush(m);
  }
}

function monitorCommand(c: Client): void {
  if (c.has(ClientFlag.Monitor)) return;
  if (c.has(ClientFlag.InExec)) {
    c.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  c.flags |= ClientFlag.Monitor;
  monitors.add(c);
  gates.feedMonitors = feedMonitors;
  c.out.raw(shared.OK);
}

/** Leaves MONITOR mode (RESET, like clearClientConnectionState). */
export function stopMonitoring(c: Client): void {
  if (!c.has(ClientFlag.Monitor)) return;
  c.flags &= ~ClientFlag.Monitor;
  monitors.delete(c);
  if (monitors.size === 0) gates.feedMonitors = null;
}

export function registerMonitorCleanup(server: Server): void {
  server.clientCloseHooks.push((c) => {
    monitors.delete(c);
    if (monitors.size === 0) gates.feedMonitors = null;
  });
}

export const monitorCommands = [
  spec(
    "monitor",
    1,
    "admin noscript loading stale",
    [0, 0, 0],
    "server",
    "Listens for all requests received by the server in real-time.",
    "1.0.0",
    monitorCommand,
  ),
] satisfies CommandSpec[];
