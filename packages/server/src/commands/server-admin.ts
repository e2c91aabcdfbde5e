/**
 * Server administration: INFO, TIME, LASTSAVE, ROLE, SHUTDOWN. MONITOR, SLOWLOG, MEMORY and DEBUG
 * have files of their own (monitor.ts, slowlog.ts, memory.ts, debug.ts).
 */

import { shared } from "@keyhaven/protocol";
import { gates } from "../exec/dispatch.js";
import { genInfoString } from "../info/info.js";
import { type Client, ClientFlag } from "../network/client.js";
import { is } from "./args.js";
import { type CommandSpec, spec } from "./spec.js";

function infoCommand(c: Client): void {
  const text = genInfoString(c.server, c.argv.slice(1));
  c.out.verbatim(text, "txt");
}

function timeCommand(c: Client): void {
  const now = Date.now();
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1_000_000;
  c.out.arrayHeader(2);
  c.out.bulk(String(Math.floor(now / 1000)));
  c.out.bulk(String(micros));
}

function lastsaveCommand(c: Client): void {
  c.out.integer(c.server.lastSaveTime);
}

/** ROLE for a master (replication replaces this handler's data through `roleReply`). */
function roleCommand(c: Client): void {
  c.server.roleReply(c);
}

function shutdownCommand(c: Client): void {
  const argv = c.argv;
  let save: boolean | null = null;
  let now = false;
  let force = false;
  let abort = false;
  let sawSave = false;
  let sawNosave = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (is(a, "nosave")) {
      save = false;
      sawNosave = true;
    } else if (is(a, "save")) {
      save = true;
      sawSave = true;
    } else if (is(a, "now")) now = true;
    else if (is(a, "force")) force = true;
    else if (is(a, "abort")) abort = true;
    else {
      c.error("ERR syntax error");
      return;
    }
  }
  // Redis 7.0 refuses ABORT with any other flag and NOSAVE together with SAVE (repeating a
  // flag is fine), so a contradictory SHUTDOWN neither saves nor exits.
  if ((abort && (save !== null || now || force)) || (sawSave && sawNosave)) {
    c.error("ERR syntax error");
    return;
  }
  const server = c.server;
  if (abort) {
    if (server.abortShutdown()) c.out.raw(shared.OK);
    else c.error("ERR No shutdown in progress.");
    return;
  }
  if (gates.busyScriptError !== null) {
    // A script is running past busy-reply-threshold: only NOSAVE may stop the server, at once,
    // from inside the script (the event loop will not run again).
    if (save !== false) {
      c.error(gates.busyScriptError);
      return;
    }
    server.logger.warning("User requested shutdown...");
    server.stop();
    server.logger.warning("Redis is now ready to exit, bye bye...");
    process.exit(0);
  }
  // The reply (if the shutdown fails) must wait for the async shutdown; block the client meanwhile.
  c.flags |= ClientFlag.Blocked;
  server.shutdownWaiters++;
  void server.shutdown({ save, now, force }).then((ok) => {
    server.shutdownWaiters--;
    c.flags &= ~ClientFlag.Blocked;
    if (!ok) {
      c.error("ERR Errors trying to SHUTDOWN. Check logs.");
      server.queueUnblocked(c);
    }
  });
}

export const adminCommands = [
  spec(
    "info",
    -1,
    "loading stale sentinel",
    [0, 0, 0],
    "server",
    "Returns information and statistics about the server.",
    "1.0.0",
    infoCommand,
  ),
  spec(
    "time",
    1,
    "loading stale fast",
    [0, 0, 0],
    "server",
    "Returns the server time.",
    "2.6.0",
    timeCommand,
  ),
  spec(
    "lastsave",
    1,
    "loading stale fast",
    [0, 0, 0],
    "server",
    "Returns the Unix timestamp of the last successful save to disk.",
    "1.0.0",
    lastsaveCommand,
  ),
  spec(
    "role",
    1,
    "noscript loading stale fast sentinel",
    [0, 0, 0],
    "server",
    "Returns the replication role.",
    "2.8.12",
    roleCommand,
  ),
  spec(
    "shutdown",
    -1,
    "admin noscript loading stale no_multi sentinel allow_busy",
    [0, 0, 0],
    "server",
    "Synchronously saves the database(s) to disk and shuts down the Redis server.",
    "1.0.0",
    shutdownCommand,
  ),
] satisfies CommandSpec[];
