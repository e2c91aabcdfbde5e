/**
 * CLIENT subcommands (networking.c clientCommand): ID, INFO, LIST, KILL, SETNAME, GETNAME,
 * SETINFO, PAUSE, UNPAUSE, REPLY, NO-EVICT, UNBLOCK, HELP; TRACKING, CACHING, GETREDIR and
 * TRACKINGINFO are in client-tracking.ts. CLIENT LIST prints Redis 7.0's
 * fields so tools that parse it (redis-cli, Sentinel, client libraries) work unchanged.
 */

import { shared } from "@keyhaven/protocol";
import { clientClassName } from "../config/values.js";
import { Tracking } from "../exec/tracking.js";
import { clock } from "../keyspace/clock.js";
import { type Client, ClientFlag } from "../network/client.js";
import { intOrReply, is } from "./args.js";
import { clientTrackingCommands, redirectOf } from "./client-tracking.js";
import { helpReply, subcommandSyntaxError } from "./common.js";
import { validClientName } from "./connection.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";

/** Queuing a transaction or running its EXEC: Redis's CLIENT_MULTI, which it keeps during EXEC. */
function inTransaction(c: Client): boolean {
  return (c.flags & (ClientFlag.Multi | ClientFlag.InExec)) !== 0;
}

function flagsString(c: Client): string {
  let f = "";
  if (c.has(ClientFlag.Replica)) f += c.has(ClientFlag.Monitor) ? "O" : "S";
  if (c.has(ClientFlag.Master)) f += "M";
  if (c.has(ClientFlag.PubSub)) f += "P";
  if (inTransaction(c)) f += "x";
  if (c.has(ClientFlag.Blocked)) f += "b";
  if ((c.tracking & Tracking.On) !== 0) f += "t";
  if ((c.tracking & Tracking.BrokenRedirect) !== 0) f += "R";
  if ((c.tracking & Tracking.Bcast) !== 0) f += "B";
  if (c.has(ClientFlag.DirtyCas)) f += "d";
  if (c.has(ClientFlag.CloseAfterReply)) f += "c";
  if (c.has(ClientFlag.UnixSocket)) f += "U";
  if (c.has(ClientFlag.CloseAsap)) f += "A";
  if (c.has(ClientFlag.NoEvict)) f += "e";
  if (c.has(ClientFlag.Monitor) && !c.has(ClientFlag.Replica)) f += "O";
  return f === "" ? "N" : f;
}

/** One CLIENT LIST line (catClientInfoString). */
export function clientInfoString(c: Client): string {
  const now = clock.ms;
  const qbuf = c.parser.bufferedLength;
  const obl = c.out.pendingBytes;
  const oll = c.socket?.writableLength ?? 0;
  const multi = inTransaction(c) ? c.multiQueue.length : -1;
  const argvMem = c.argv.reduce((n, a) => n + a.length, 0);
  const cmd = c.lastCmd?.fullName ?? "NULL";
  return [
    `id=${c.id}`,
    `addr=${c.addr}`,
    `laddr=${c.laddr}`,
    `fd=${c.socket === null ? -1 : 8}`,
    `name=${c.name}`,
    `age=${Math.floor((now - c.createdAt) / 1000)}`,
    `idle=${Math.floor((now - c.lastInteraction) / 1000)}`,
    `flags=${flagsString(c)}`,
    `db=${c.db.id}`,
    `sub=${c.channels.size}`,
    `psub=${c.patterns.size}`,
    `ssub=${c.shardChannels.size}`,
    `multi=${multi}`,
    `qbuf=${qbuf}`,
    `qbuf-free=${Math.max(0, 20474 - qbuf)}`,
    `argv-mem=${argvMem}`,
    `multi-mem=${c.multiQueue.reduce((n, q) => n + q.argv.reduce((m, a) => m + a.length, 0), 0)}`,
    "rbs=1024",
    "rbp=0",
    `obl=${obl}`,
    `oll=${oll > 0 ? 1 : 0}`,
    `omem=${obl + oll}`,
    `tot-mem=${obl + oll + qbuf + argvMem + 1024}`,
    // Redis watches for writability only when a reply could not all be written at once.
    `events=r${oll > 0 ? "w" : ""}`,
    `cmd=${cmd}`,
    `user=${c.user?.name ?? "(superuser)"}`,
    `redir=${redirectOf(c)}`,
    `resp=${c.resp}`,
  ].join(" ");
}

function clientType(c: Client): string {
  if (c.has(ClientFlag.Master)) return "master";
  if (c.has(ClientFlag.Replica) && !c.has(ClientFlag.Monitor)) return "replica";
  if (c.has(ClientFlag.PubSub)) return "pubsub";
  return "normal";
}

function clientListCommand(c: Client): void {
  const argv = c.argv;
  let filter: (x: Client) => boolean = () => true;
  if (argv.length === 4 && is(argv[2], "type")) {
    const type = clientClassName(argv[3]);
    if (type === null) {
      c.error(`ERR Unknown client type '${argv[3]}'`);
      return;
    }
    filter = (x) => clientType(x) === type;
  } else if (argv.length > 3 && is(argv[2], "id")) {
    const ids = new Set<number>();
    for (let i = 3; i < argv.length; i++) {
      const n = intOrReply(c, argv[i], "ERR Invalid client ID");
      if (n === null) return;
      ids.add(n);
    }
    filter = (x) => ids.has(x.id);
  } else if (argv.length !== 2) {
    c.error("ERR syntax error");
    return;
  }
  let text = "";
  for (const x of c.server.clients.values()) if (filter(x)) text += `${clientInfoString(x)}\n`;
  c.out.verbatim(text, "txt");
}

function clientKillCommand(c: Client): void {
  const argv = c.argv;
  const server = c.server;
  if (argv.length === 3) {
    // Old form: CLIENT KILL addr:port.
    for (const x of server.clients.values()) {
      if (x.addr === argv[2]) {
        killClient(c, x);
        c.out.raw(shared.OK);
        return;
      }
    }
    c.error("ERR No such client");
    return;
  }
  if (argv.length % 2 !== 0) {
    c.error("ERR syntax error");
    return;
  }
  const filters: ((x: Client) => boolean)[] = [];
  let skipMe = true;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i];
    const val = argv[i + 1];
    if (is(opt, "id")) {
      const n = intOrReply(c, val, "ERR client-id should be greater than 0");
      if (n === null) return;
      if (n <= 0) {
        c.error("ERR client-id should be greater than 0");
        return;
      }
      filters.push((x) => x.id === n);
    } else if (is(opt, "type")) {
      const type = clientClassName(val);
      if (type === null) {
        c.error(`ERR Unknown client type '${val}'`);
        return;
      }
      filters.push((x) => clientType(x) === type);
    } else if (is(opt, "addr")) {
      filters.push((x) => x.addr === val);
    } else if (is(opt, "laddr")) {
      filters.push((x) => x.laddr === val);
    } else if (is(opt, "user")) {
      const user = c.server.acl.users.get(val);
      if (user === undefined) {
        c.error(`ERR No such user '${val}'`);
        return;
      }
      filters.push((x) => x.user === user);
    } else if (is(opt, "skipme")) {
      if (is(val, "yes")) skipMe = true;
      else if (is(val, "no")) skipMe = false;
      else {
        c.error("ERR syntax error");
        return;
      }
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  let killed = 0;
  for (const x of [...server.clients.values()]) {
    if (skipMe && x === c) continue;
    if (filters.every((f) => f(x))) {
      killClient(c, x);
      killed++;
    }
  }
  c.out.integer(killed);
}

/** Closing ourselves must still deliver this reply: close after it instead. */
function killClient(requester: Client, target: Client): void {
  if (target === requester) target.flags |= ClientFlag.CloseAfterReply;
  else requester.server.closeClient(target);
}

function clientSetnameCommand(c: Client): void {
  const name = c.argv[2];
  if (!validClientName(name)) {
    c.error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  c.name = name;
  c.out.raw(shared.OK);
}

function clientSetinfoCommand(c: Client): void {
  const [, , attr, value] = c.argv;
  const isName = is(attr, "lib-name");
  if (!isName && !is(attr, "lib-ver")) {
    c.error(`ERR Unrecognized option '${attr}'`);
    return;
  }
  if (!validClientName(value) && value !== "") {
    c.error(`ERR ${isName ? "lib-name" : "lib-ver"} cannot contain spaces, newlines or special characters.`);
    return;
  }
  if (isName) c.libName = value;
  else c.libVersion = value;
  c.out.raw(shared.OK);
}

function clientPauseCommand(c: Client): void {
  const argv = c.argv;
  // clientCommand accepts PAUSE with 3 or 4 arguments only, and checks the mode before the timeout.
  if (argv.length > 4) return void subcommandSyntaxError(c);
  let kind: "write" | "all" = "all";
  if (argv.length === 4) {
    if (is(argv[3], "write")) kind = "write";
    else if (!is(argv[3], "all")) {
      c.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  const ms = Number(argv[2]);
  if (!/^-?\d+$/.test(argv[2]) || !Number.isSafeInteger(ms)) {
    c.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (ms < 0) {
    c.error("ERR timeout is negative");
    return;
  }
  c.server.pause(kind, clock.ms + ms);
  c.out.raw(shared.OK);
}

function clientReplyCommand(c: Client): void {
  const mode = c.argv[2];
  if (is(mode, "on")) {
    c.flags &= ~(ClientFlag.ReplyOff | ClientFlag.ReplySkip | ClientFlag.ReplySkipNext);
    c.out.raw(shared.OK);
  } else if (is(mode, "off")) {
    c.flags |= ClientFlag.ReplyOff;
  } else if (is(mode, "skip")) {
    if (!c.has(ClientFlag.ReplyOff)) c.flags |= ClientFlag.ReplySkipNext;
  } else {
    c.error("ERR syntax error");
  }
}

function clientNoEvictCommand(c: Client): void {
  const mode = c.argv[2];
  if (is(mode, "on")) c.flags |= ClientFlag.NoEvict;
  else if (is(mode, "off")) c.flags &= ~ClientFlag.NoEvict;
  else {
    c.error("ERR syntax error");
    return;
  }
  c.out.raw(shared.OK);
}

function clientUnblockCommand(c: Client): void {
  const argv = c.argv;
  const id = intOrReply(c, argv[2]);
  if (id === null) return;
  let asError = false;
  if (argv.length === 4) {
    if (is(argv[3], "error")) asError = true;
    else if (!is(argv[3], "timeout")) {
      c.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  const target = c.server.clients.get(id);
  const ok = target !== undefined && c.server.blocking.unblockByRequest(target, asError);
  c.out.raw(ok ? shared.ONE : shared.ZERO);
}

function clientHelpCommand(c: Client): void {
  const lines = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
  ];
  helpReply(c, lines);
}

export const clientCommands = [
  container("client", -2, "connection", "A container for client connection commands.", "2.4.0", [
    ...clientTrackingCommands,
    spec(
      "id",
      2,
      "noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Returns the unique client ID of the connection.",
      "5.0.0",
      (c) => c.out.integer(c.id),
    ),
    spec(
      "info",
      2,
      "noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Returns information about the connection.",
      "6.2.0",
      (c) => c.out.verbatim(`${clientInfoString(c)}\n`, "txt"),
    ),
    spec(
      "list",
      -2,
      "admin noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Lists open connections.",
      "2.4.0",
      clientListCommand,
    ),
    spec(
      "kill",
      -3,
      "admin noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Terminates open connections.",
      "2.4.0",
      clientKillCommand,
    ),
    spec(
      "setname",
      3,
      "noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Sets the connection name.",
      "2.6.9",
      clientSetnameCommand,
    ),
    spec(
      "getname",
      2,
      "noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Returns the name of the connection.",
      "2.6.9",
      (c) => (c.name === "" ? c.out.nullBulk() : c.out.bulk(c.name)),
    ),
    spec(
      "setinfo",
      4,
      "noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Sets information specific to the client or connection.",
      "7.2.0",
      clientSetinfoCommand,
    ),
    spec(
      "pause",
      -3,
      "admin noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Suspends commands processing.",
      "3.0.0",
      clientPauseCommand,
    ),
    spec(
      "unpause",
      2,
      "admin noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Resumes processing commands from paused clients.",
      "6.2.0",
      (c) => {
        c.server.unpause();
        c.out.raw(shared.OK);
      },
    ),
    spec(
      "reply",
      3,
      "noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Instructs the server whether to reply to commands.",
      "3.2.0",
      clientReplyCommand,
    ),
    spec(
      "no-evict",
      3,
      "admin noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Sets the client eviction mode of the connection.",
      "7.0.0",
      clientNoEvictCommand,
    ),
    spec(
      "unblock",
      -3,
      "admin noscript loading stale sentinel",
      [0, 0, 0],
      "connection",
      "Unblocks a client blocked by a blocking command from a different connection.",
      "5.0.0",
      clientUnblockCommand,
    ),
    helpSpec("connection", "5.0.0", clientHelpCommand, "loading stale sentinel"),
  ]),
] satisfies CommandSpec[];
