/**
 * Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO. Replies and errors follow
 * Redis 7.0 (server.c pingCommand, networking.c resetCommand, acl.c authCommand, helloCommand).
 */

import { shared } from "@keyhaven/protocol";
import { unwatchAllKeys } from "../exec/watch.js";
import { type Client, ClientFlag } from "../network/client.js";
import { REDIS_VERSION } from "../version.js";
import { intOrReply, is } from "./args.js";
import { REDACTED } from "./common.js";
import { stopMonitoring } from "./monitor.js";
import { type CommandSpec, spec } from "./spec.js";

function pingCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 2) {
    c.error(`ERR wrong number of arguments for 'ping' command`);
    return;
  }
  // A RESP2 client in subscribed state gets the pub/sub form: ["pong", message].
  if ((c.flags & ClientFlag.PubSub) !== 0 && c.resp === 2) {
    c.out.arrayHeader(2);
    c.out.bulk("pong");
    c.out.bulk(argv.length === 2 ? argv[1] : "");
    return;
  }
  if (argv.length === 2) c.out.bulk(argv[1]);
  else c.out.raw(shared.PONG);
}

function echoCommand(c: Client): void {
  c.out.bulk(c.argv[1]);
}

function quitCommand(c: Client): void {
  c.out.raw(shared.OK);
  c.flags |= ClientFlag.CloseAfterReply;
}

function selectCommand(c: Client): void {
  const id = intOrReply(c, c.argv[1]);
  if (id === null) return;
  if (id < 0 || id >= c.server.dbs.length) {
    c.error("ERR DB index is out of range");
    return;
  }
  c.db = c.server.dbs[id];
  c.out.raw(shared.OK);
}

function authCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 3) {
    c.error("ERR syntax error");
    return;
  }
  if (argv.length === 2 && c.server.acl.defaultUser.nopass) {
    c.error(
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    return;
  }
  const user = argv.length === 3 ? argv[1] : "default";
  const password = argv[argv.length - 1];
  if (c.server.acl.authenticate(c, user, password)) {
    c.out.raw(shared.OK);
  } else {
    c.error("WRONGPASS invalid username-password pair or user is disabled.");
  }
}

function helloCommand(c: Client): void {
  const argv = c.argv;
  let version = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = Number(argv[1]);
    if (!/^-?\d+$/.test(argv[1]) || !Number.isSafeInteger(v)) {
      c.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    next = 2;
    if (v < 2 || v > 3) {
      c.error("NOPROTO unsupported protocol version");
      return;
    }
    version = v;
  }
  let setName: string | null = null;
  for (let i = next; i < argv.length; i++) {
    const more = argv.length - i - 1;
    if (is(argv[i], "auth") && more >= 2) {
      const user = argv[i + 1];
      const pass = argv[i + 2];
      if (!c.server.acl.authenticate(c, user, pass)) {
        c.error("WRONGPASS invalid username-password pair or user is disabled.");
        return;
      }
      i += 2;
    } else if (is(argv[i], "setname") && more >= 1) {
      setName = argv[i + 1];
      i += 1;
    } else {
      c.error(`ERR Syntax error in HELLO option '${argv[i]}'`);
      return;
    }
  }
  if (!c.authenticated && c.server.acl.authRequired()) {
    c.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
    return;
  }
  if (setName !== null) {
    if (!validClientName(setName)) {
      c.error("ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    c.name = setName;
  }
  if (version !== 0) c.out.resp = version as 2 | 3;
  const server = c.server;
  const out = c.out;
  out.mapHeader(7);
  out.bulk("server");
  out.bulk("redis");
  out.bulk("version");
  out.bulk(REDIS_VERSION);
  out.bulk("proto");
  out.integer(c.resp);
  out.bulk("id");
  out.integer(c.id);
  out.bulk("mode");
  out.bulk(server.mode);
  out.bulk("role");
  out.bulk(server.replicaMode ? "replica" : "master");
  out.bulk("modules");
  out.arrayHeader(0);
}

/** MONITOR and SLOWLOG show HELLO AUTH's username and password as "(redacted)", as Redis. */
function helloRedacted(argv: readonly string[]): string[] {
  const out = [...argv];
  for (let i = 2; i < argv.length; i++) {
    if (is(argv[i], "auth") && i + 2 < argv.length) {
      out[i + 1] = REDACTED;
      out[i + 2] = REDACTED;
      i += 2;
    } else if (is(argv[i], "setname")) i++;
  }
  return out;
}

/** Client names: printable ASCII without spaces (clientSetName's check). */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

/** RESET: back to a fresh connection's state (clearClientConnectionState). */
function resetCommand(c: Client): void {
  const server = c.server;
  if (c.has(ClientFlag.Multi)) {
    c.multiQueue = [];
  }
  c.flags &= ~(ClientFlag.Multi | ClientFlag.DirtyCas | ClientFlag.DirtyExec);
  unwatchAllKeys(c);
  server.pubsub.dropClient(c);
  server.tracking.disable(c);
  stopMonitoring(c);
  c.flags &= ~(
    ClientFlag.ReplyOff |
    ClientFlag.ReplySkip |
    ClientFlag.ReplySkipNext |
    ClientFlag.NoEvict |
    ClientFlag.PubSub
  );
  c.db = server.dbs[0];
  c.out.resp = 2;
  c.name = "";
  c.user = server.acl.defaultUser;
  c.authenticated = server.acl.startsAuthenticated();
  c.out.simple("RESET");
}

export const connectionCommands = [
  spec(
    "ping",
    -1,
    "fast sentinel",
    [0, 0, 0],
    "connection",
    "Returns the server's liveliness response.",
    "1.0.0",
    pingCommand,
    {
      acl: ["fast", "connection"],
    },
  ),
  spec(
    "echo",
    2,
    "fast loading stale",
    [0, 0, 0],
    "connection",
    "Returns the given string.",
    "1.0.0",
    echoCommand,
    {
      acl: ["fast", "connection"],
    },
  ),
  spec(
    "quit",
    -1,
    "noscript loading stale fast no_auth allow_busy",
    [0, 0, 0],
    "connection",
    "Closes the connection.",
    "1.0.0",
    quitCommand,
    { acl: ["fast", "connection"] },
  ),
  spec(
    "select",
    2,
    "loading stale fast",
    [0, 0, 0],
    "connection",
    "Changes the selected database.",
    "1.0.0",
    selectCommand,
    {
      acl: ["fast", "connection"],
    },
  ),
  spec(
    "auth",
    -2,
    "noscript loading stale fast no_auth sentinel allow_busy",
    [0, 0, 0],
    "connection",
    "Authenticates the connection.",
    "1.0.0",
    authCommand,
    { acl: ["fast", "connection"], redactedArgv: (argv) => [argv[0], ...argv.slice(1).map(() => REDACTED)] },
  ),
  spec(
    "hello",
    -1,
    "noscript loading stale fast no_auth sentinel allow_busy",
    [0, 0, 0],
    "connection",
    "Handshakes with the Redis server.",
    "6.0.0",
    helloCommand,
    { acl: ["fast", "connection"], redactedArgv: helloRedacted },
  ),
  spec(
    "reset",
    1,
    "noscript loading stale fast no_auth sentinel allow_busy",
    [0, 0, 0],
    "connection",
    "Resets the connection.",
    "6.2.0",
    resetCommand,
    { acl: ["fast", "connection"] },
  ),
] satisfies CommandSpec[];
