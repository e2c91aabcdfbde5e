/**
 * ACL and its subcommands (acl.c aclCommand): users, their rules, the security log, the ACL
 * file. Replies and error texts are Redis 7.0's.
 */

import { randomBytes } from "node:crypto";
import { shared } from "@keyhaven/protocol";
import { ACL_CATEGORIES, categoryBit } from "../acl/catalog.js";
import { AclResult, checkCommand } from "../acl/check.js";
import { describeChannels, describeCommandRules, describeKeys, userFlags } from "../acl/describe.js";
import { reasonName } from "../acl/log.js";
import type { Selector } from "../acl/selector.js";
import type { Client } from "../network/client.js";
import { intOrReply, is } from "./args.js";
import { helpReply, REDACTED, subcommandSyntaxError } from "./common.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";

function aclSetuserCommand(c: Client): void {
  const error = c.server.acl.setUser(c.argv[2], c.argv.slice(3));
  if (error !== null) c.error(error);
  else c.out.raw(shared.OK);
}

function aclDeluserCommand(c: Client): void {
  const names = c.argv.slice(2);
  if (names.includes("default")) {
    c.error("ERR The 'default' user cannot be removed");
    return;
  }
  c.out.integer(c.server.acl.deleteUsers(c, names));
}

/** aclAddReplySelectorDescription: commands, keys and channels of one selector. */
function writeSelector(c: Client, s: Selector): void {
  const acl = c.server.acl;
  c.out.bulk("commands");
  c.out.bulk(describeCommandRules(s, acl.catalog, c.server.commands.all()));
  c.out.bulk("keys");
  c.out.bulk(describeKeys(s));
  c.out.bulk("channels");
  c.out.bulk(describeChannels(s));
}

function aclGetuserCommand(c: Client): void {
  const u = c.server.acl.users.get(c.argv[2]);
  if (u === undefined) {
    c.out.nullBulk();
    return;
  }
  const out = c.out;
  out.mapHeader(6);
  out.bulk("flags");
  const flags = userFlags(u);
  out.setHeader(flags.length);
  for (const f of flags) out.bulk(f);
  out.bulk("passwords");
  out.arrayHeader(u.passwords.length);
  for (const p of u.passwords) out.bulk(p);
  writeSelector(c, u.root);
  out.bulk("selectors");
  out.arrayHeader(u.selectors.length - 1);
  for (const s of u.selectors.slice(1)) {
    out.mapHeader(3);
    writeSelector(c, s);
  }
}

function aclListCommand(c: Client): void {
  const acl = c.server.acl;
  const users = acl.sortedUsers();
  c.out.arrayHeader(users.length);
  for (const u of users) c.out.bulk(acl.userLine(u));
}

function aclUsersCommand(c: Client): void {
  const users = c.server.acl.sortedUsers();
  c.out.arrayHeader(users.length);
  for (const u of users) c.out.bulk(u.name);
}

function aclWhoamiCommand(c: Client): void {
  if (c.user === null) c.out.nullBulk();
  else c.out.bulk(c.user.name);
}

/** The ACL file, or null after replying that none is configured. */
function aclFileOrReply(c: Client): string | null {
  const path = c.server.config.str("aclfile");
  if (path !== "") return path;
  c.error(
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
  );
  return null;
}

function aclLoadCommand(c: Client): void {
  const path = aclFileOrReply(c);
  if (path === null) return;
  const errors = c.server.acl.loadFile(path);
  if (errors === null) c.out.raw(shared.OK);
  else c.error(`ERR ${errors}`);
}

function aclSaveCommand(c: Client): void {
  const path = aclFileOrReply(c);
  if (path === null) return;
  if (c.server.acl.saveFile(path)) c.out.raw(shared.OK);
  else
    c.error(
      "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
    );
}

function aclCatCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length === 2) {
    c.out.arrayHeader(ACL_CATEGORIES.length);
    for (const cat of ACL_CATEGORIES) c.out.bulk(cat);
    return;
  }
  if (argv.length !== 3) {
    subcommandSyntaxError(c);
    return;
  }
  const bit = categoryBit(argv[2]);
  if (bit === 0) {
    c.error(`ERR Unknown category '${argv[2].slice(0, 128)}'`);
    return;
  }
  const { commands, categories } = c.server.acl.catalog;
  const names: string[] = [];
  for (let i = 0; i < commands.length; i++) if ((categories[i] & bit) !== 0) names.push(commands[i].fullName);
  c.out.arrayHeader(names.length);
  for (const n of names) c.out.bulk(n);
}

const GENPASS_MAX_BITS = 4096;

function aclGenpassCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 3) {
    subcommandSyntaxError(c);
    return;
  }
  let bits = 256;
  if (argv.length === 3) {
    const n = intOrReply(c, argv[2]);
    if (n === null) return;
    bits = n;
  }
  if (bits <= 0 || bits > GENPASS_MAX_BITS) {
    c.error(
      `ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${GENPASS_MAX_BITS}`,
    );
    return;
  }
  const chars = Math.floor((bits + 3) / 4);
  c.out.bulk(
    randomBytes(Math.ceil(chars / 2))
      .toString("hex")
      .slice(0, chars),
  );
}

function aclLogCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 3) {
    subcommandSyntaxError(c);
    return;
  }
  const log = c.server.acl.log;
  let count = 10;
  if (argv.length === 3) {
    if (is(argv[2], "reset")) {
      log.reset();
      c.out.raw(shared.OK);
      return;
    }
    const n = intOrReply(c, argv[2]);
    if (n === null) return;
    count = Math.max(0, n);
  }
  const entries = log.entries.slice(0, count);
  const now = Date.now();
  const out = c.out;
  out.arrayHeader(entries.length);
  for (const e of entries) {
    out.mapHeader(7);
    out.bulk("count");
    out.integer(e.count);
    out.bulk("reason");
    out.bulk(reasonName(e.reason));
    out.bulk("context");
    out.bulk(e.context);
    out.bulk("object");
    out.bulk(e.object);
    out.bulk("username");
    out.bulk(e.username);
    out.bulk("age-seconds");
    out.double((now - e.time) / 1000);
    out.bulk("client-info");
    out.bulk(e.clientInfo);
  }
}

function aclDryrunCommand(c: Client): void {
  const argv = c.argv;
  const server = c.server;
  const u = server.acl.users.get(argv[2]);
  if (u === undefined) {
    c.error(`ERR User '${argv[2]}' not found`);
    return;
  }
  const cmdArgv = argv.slice(3);
  const cmd = server.commands.lookup(cmdArgv);
  if (cmd === null || cmd === undefined) {
    c.error(`ERR Command '${argv[3]}' not found`);
    return;
  }
  if ((cmd.arity > 0 && cmd.arity !== cmdArgv.length) || cmdArgv.length < -cmd.arity) {
    c.error(`ERR wrong number of arguments for '${cmd.fullName}' command`);
    return;
  }
  const verdict = checkCommand(u, cmd, cmdArgv);
  switch (verdict.result) {
    case AclResult.Ok:
      c.out.raw(shared.OK);
      return;
    case AclResult.DeniedCommand:
      c.out.bulk(`This user has no permissions to run the '${cmd.fullName}' command`);
      return;
    case AclResult.DeniedKey:
      c.out.bulk(`This user has no permissions to access the '${cmdArgv[verdict.pos]}' key`);
      return;
    default:
      c.out.bulk(`This user has no permissions to access the '${cmdArgv[verdict.pos]}' channel`);
  }
}

function aclHelpCommand(c: Client): void {
  helpReply(c, [
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
  ]);
}

const ADMIN = "admin noscript loading stale";
const PLAIN = "noscript loading stale";
const NO_KEYS = [0, 0, 0] as const;

export const aclCommands = [
  container("acl", -2, "server", "A container for Access List Control commands ", "6.0.0", [
    spec(
      "cat",
      -2,
      PLAIN,
      NO_KEYS,
      "server",
      "List the ACL categories or the commands inside a category",
      "6.0.0",
      aclCatCommand,
    ),
    spec(
      "deluser",
      -3,
      ADMIN,
      NO_KEYS,
      "server",
      "Remove the specified ACL users and the associated rules",
      "6.0.0",
      aclDeluserCommand,
    ),
    spec(
      "dryrun",
      -4,
      ADMIN,
      NO_KEYS,
      "server",
      "Returns whether the user can execute the given command without executing the command.",
      "7.0.0",
      aclDryrunCommand,
    ),
    spec(
      "genpass",
      -2,
      PLAIN,
      NO_KEYS,
      "server",
      "Generate a pseudorandom secure password to use for ACL users",
      "6.0.0",
      aclGenpassCommand,
    ),
    spec(
      "getuser",
      3,
      ADMIN,
      NO_KEYS,
      "server",
      "Get the rules for a specific ACL user",
      "6.0.0",
      aclGetuserCommand,
    ),
    spec(
      "list",
      2,
      ADMIN,
      NO_KEYS,
      "server",
      "List the current ACL rules in ACL config file format",
      "6.0.0",
      aclListCommand,
    ),
    spec(
      "load",
      2,
      ADMIN,
      NO_KEYS,
      "server",
      "Reload the ACLs from the configured ACL file",
      "6.0.0",
      aclLoadCommand,
    ),
    spec(
      "log",
      -2,
      ADMIN,
      NO_KEYS,
      "server",
      "List latest events denied because of ACLs in place",
      "6.0.0",
      aclLogCommand,
    ),
    spec(
      "save",
      2,
      ADMIN,
      NO_KEYS,
      "server",
      "Save the current ACL rules in the configured ACL file",
      "6.0.0",
      aclSaveCommand,
    ),
    spec(
      "setuser",
      -3,
      ADMIN,
      NO_KEYS,
      "server",
      "Modify or create the rules for a specific ACL user",
      "6.0.0",
      aclSetuserCommand,
      // The user name and every rule (passwords among them) are hidden from MONITOR and SLOWLOG.
      { redactedArgv: (argv) => [...argv.slice(0, 2), ...argv.slice(2).map(() => REDACTED)] },
    ),
    spec(
      "users",
      2,
      ADMIN,
      NO_KEYS,
      "server",
      "List the username of all the configured ACL rules",
      "6.0.0",
      aclUsersCommand,
    ),
    spec(
      "whoami",
      2,
      PLAIN,
      NO_KEYS,
      "server",
      "Return the name of the user associated to the current connection",
      "6.0.0",
      aclWhoamiCommand,
    ),
    {
      ...helpSpec("server", "6.0.0", aclHelpCommand),
      summary: "Show helpful text about the different subcommands",
    },
  ]),
] satisfies CommandSpec[];
