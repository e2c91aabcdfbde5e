/**
 * The listening side of a Sentinel: keyhaven-server's networking, pub/sub and dispatch with
 * Sentinel's command table, as Redis runs redis-server with the sentinel command table
 * (server.c: sentinel mode keeps only commands flagged CMD_SENTINEL / CMD_ONLY_SENTINEL).
 *
 * Kept from the server table: PING, AUTH, ACL, HELLO, CLIENT, COMMAND, SUBSCRIBE,
 * PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, SHUTDOWN, and ROLE (its `server.roleReply` answers
 * `sentinel` + master names). Kept with Sentinel's own handler: INFO (server, clients, stats, cpu
 * and sentinel sections), PUBLISH (only hello messages, which are processed at once: other
 * Sentinels send us their hellos this way). Added: SENTINEL.
 * Every other command answers the ordinary unknown-command error, as Redis in sentinel mode.
 *
 * Called by main.ts.
 */

import { type Client, type Config, createServer, type Server } from "@keyhaven/server";
import { bindSentinel, sentinelCommands } from "./commands.js";
import { processHelloMessage } from "./discovery.js";
import type { Sentinel } from "./events.js";
import { announceAddr, SRI_O_DOWN, SRI_S_DOWN } from "./instance.js";
import { HELLO_CHANNEL } from "./monitor.js";

/** Server-table commands a Sentinel keeps as they are. */
const KEPT = new Set([
  "ping",
  "auth",
  "acl",
  "hello",
  "client",
  "command",
  "subscribe",
  "psubscribe",
  "unsubscribe",
  "punsubscribe",
  "shutdown",
  "role",
]);

/** Server-table commands a Sentinel keeps (flags and docs) but answers with its own handler. */
const REPLACED: ReadonlyMap<string, (c: Client) => void> = new Map([
  ["info", infoCommand],
  ["publish", publishCommand],
]);

const contexts = new WeakMap<Server, Sentinel>();

/** Builds the Sentinel-mode server (not started). */
export function createSentinelServer(config: Config): Server {
  const server = createServer(config, { dataNode: false });
  server.mode = "sentinel";
  for (const cmd of [...server.commands.all()]) {
    const handler = REPLACED.get(cmd.name);
    if (handler !== undefined) server.commands.replaceHandler(cmd.name, handler);
    else if (!KEPT.has(cmd.name)) server.commands.remove(cmd.name);
  }
  server.commands.add(sentinelCommands);
  return server;
}

/** Wires the Sentinel context into its server: SENTINEL handlers, INFO section, ROLE. */
export function attachSentinel(s: Sentinel): void {
  contexts.set(s.server, s);
  bindSentinel(s);
  s.server.infoSections.set("sentinel", () => sentinelInfo(s));
  s.server.roleReply = (c) => {
    c.out.arrayHeader(2);
    c.out.bulk("sentinel");
    c.out.arrayHeader(s.state.masters.size);
    for (const name of s.state.masters.keys()) c.out.bulk(name);
  };
}

/** INFO's sentinel section (sentinel.c sentinelInfoCommand's "sentinel" part). */
function sentinelInfo(s: Sentinel): string[] {
  const st = s.state;
  const lines = [
    `sentinel_masters:${st.masters.size}`,
    `sentinel_tilt:${st.tilt ? 1 : 0}`,
    `sentinel_tilt_since_seconds:${st.tilt ? Math.floor((Date.now() - st.tiltStartTime) / 1000) : -1}`,
    `sentinel_running_scripts:${s.scripts.runningScripts}`,
    `sentinel_scripts_queue_length:${s.scripts.queueLength}`,
    `sentinel_simulate_failure_flags:${st.simFailureFlags}`,
  ];
  let i = 0;
  for (const m of st.masters.values()) {
    const status = m.has(SRI_O_DOWN) ? "odown" : m.has(SRI_S_DOWN) ? "sdown" : "ok";
    lines.push(
      `master${i++}:name=${m.name},status=${status},address=${announceAddr(st, m.addr)}:${m.addr.port},` +
        `slaves=${m.slaves.size},sentinels=${m.sentinels.size + 1}`,
    );
  }
  return lines;
}

const TITLES: Record<string, string> = {
  server: "Server",
  clients: "Clients",
  stats: "Stats",
  cpu: "CPU",
  sentinel: "Sentinel",
};
/** sentinelInfoCommand's sections: `all` and `everything` mean these too, and others are dropped. */
const SECTIONS = ["server", "clients", "stats", "cpu", "sentinel"];

function infoCommand(c: Client): void {
  const requested = c.argv.slice(1).map((a) => a.toLowerCase());
  const every =
    requested.length === 0 || requested.some((r) => r === "default" || r === "all" || r === "everything");
  const names = every ? SECTIONS : SECTIONS.filter((n) => requested.includes(n));
  const parts: string[] = [];
  for (const name of names) {
    const builder = c.server.infoSections.get(name);
    if (builder === undefined) continue;
    parts.push(
      `# ${TITLES[name]}\r\n${builder()
        .map((l) => `${l}\r\n`)
        .join("")}`,
    );
  }
  c.out.verbatim(parts.join("\r\n"), "txt");
}

/** sentinelPublishCommand: only hello messages, processed as if received on a pub/sub link. */
function publishCommand(c: Client): void {
  if (c.argv[1] !== HELLO_CHANNEL) {
    c.error("ERR Only HELLO messages are accepted by Sentinel instances.");
    return;
  }
  const s = contexts.get(c.server)!;
  processHelloMessage(s, c.argv[2]);
  c.out.integer(1);
}
