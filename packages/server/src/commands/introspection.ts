/**
 * COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP), all
 * generated from the command table, so they list exactly what is implemented.
 */

import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { is } from "./args.js";
import { writeCommandDocs } from "./command-docs.js";
import { helpReply } from "./common.js";
import { commandHasKeys, hasMovableKeys, type KeyRef, type KeySpec, keysWithFlags } from "./key-specs.js";
import { type Command, type CommandSpec, container, helpSpec, spec } from "./spec.js";

/**
 * Flags COMMAND shows, in the order it shows them. Redis 7.0 hides internal ones such as
 * `sentinel` and `protected`, and prints no `may_replicate` either (PUBLISH carries it: CLIENT
 * PAUSE WRITE holds it back).
 */
const SHOWN_FLAGS = [
  "write",
  "readonly",
  "denyoom",
  "module",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip_monitor",
  "skip_slowlog",
  "fast",
  "no_auth",
  "no_mandatory_keys",
  "no_async_loading",
  "no_multi",
  "movablekeys",
  "allow_busy",
];

const GROUP_CATEGORY: Record<string, string> = {
  string: "string",
  list: "list",
  hash: "hash",
  stream: "stream",
  set: "set",
  sorted_set: "sortedset",
  bitmap: "bitmap",
  generic: "keyspace",
  pubsub: "pubsub",
  connection: "connection",
  transactions: "transaction",
  server: "",
  hyperloglog: "hyperloglog",
  geo: "geo",
  scripting: "scripting",
};

/** ACLCommandCategories: the order in which Redis prints a command's categories. */
const CATEGORY_ORDER = [
  "@keyspace",
  "@read",
  "@write",
  "@set",
  "@sortedset",
  "@list",
  "@hash",
  "@string",
  "@bitmap",
  "@hyperloglog",
  "@geo",
  "@stream",
  "@pubsub",
  "@admin",
  "@fast",
  "@slow",
  "@blocking",
  "@dangerous",
  "@connection",
  "@transaction",
  "@scripting",
];

/** ACL categories derived from flags and group, as Redis's setImplicitACLCategories does. */
export function aclCategories(cmd: Command): string[] {
  const cats = aclCategorySet(cmd);
  return CATEGORY_ORDER.filter((cat) => cats.has(cat));
}

function aclCategorySet(cmd: Command): Set<string> {
  if (cmd.acl !== undefined) return new Set(cmd.acl.map((a) => `@${a}`));
  // Pure containers only carry @slow; their subcommands carry the real categories.
  if (cmd.subcommandMap !== null && cmd.handler === undefined) return new Set(["@slow"]);
  const cats = new Set<string>(EXTRA_CATEGORIES[cmd.fullName] ?? []);
  if (cmd.isWrite) cats.add("@write");
  if (cmd.isReadonly) cats.add("@read");
  if (cmd.isAdmin) {
    cats.add("@admin");
    cats.add("@dangerous");
  }
  if (cmd.isPubsub) cats.add("@pubsub");
  if (cmd.flags.includes("fast")) cats.add("@fast");
  else cats.add("@slow");
  if (cmd.isBlocking) cats.add("@blocking");
  // COMMAND and its subcommands are @connection commands in Redis's json; PUBSUB HELP is the
  // one HELP without its family's category.
  const group = cmd.fullName.startsWith("command") ? "connection" : GROUP_CATEGORY[cmd.group];
  if (group && cmd.fullName !== "pubsub|help") cats.add(`@${group}`);
  return cats;
}

/**
 * Categories Redis 7.0 declares beyond what flags and group give (the json "acl_categories"):
 * KEYS, FLUSH* and SWAPDB are dangerous, INFO too, LASTSAVE and ROLE are admin commands.
 */
const EXTRA_CATEGORIES: Record<string, readonly string[]> = {
  keys: ["@dangerous"],

  dbsize: ["@keyspace"],
  flushdb: ["@keyspace", "@dangerous"],
  flushall: ["@keyspace", "@dangerous"],
  swapdb: ["@keyspace", "@dangerous"],
  info: ["@dangerous"],
  lastsave: ["@admin", "@dangerous"],
  role: ["@admin", "@dangerous"],
};

/** A key spec as COMMAND INFO prints it; `unknown` searches have an empty spec. */
function writeKeySpec(c: Client, ks: KeySpec): void {
  const out = c.out;
  out.mapHeader(ks.notes === undefined ? 3 : 4);
  if (ks.notes !== undefined) {
    out.bulk("notes");
    out.bulk(ks.notes);
  }
  out.bulk("flags");
  out.setHeader(ks.flags.length);
  for (const f of ks.flags) out.simple(f);
  out.bulk("begin_search");
  out.mapHeader(2);
  out.bulk("type");
  const begin = ks.beginSearch;
  out.bulk(begin.type);
  out.bulk("spec");
  if (begin.type === "index") {
    out.mapHeader(1);
    out.bulk("index");
    out.integer(begin.index);
  } else if (begin.type === "keyword") {
    out.mapHeader(2);
    out.bulk("keyword");
    out.bulk(begin.keyword);
    out.bulk("startfrom");
    out.integer(begin.startfrom);
  } else {
    out.mapHeader(0);
  }
  out.bulk("find_keys");
  out.mapHeader(2);
  out.bulk("type");
  const find = ks.findKeys;
  out.bulk(find.type);
  out.bulk("spec");
  if (find.type === "range") {
    out.mapHeader(3);
    out.bulk("lastkey");
    out.integer(find.lastkey);
    out.bulk("keystep");
    out.integer(find.keystep);
    out.bulk("limit");
    out.integer(find.limit);
  } else if (find.type === "keynum") {
    out.mapHeader(3);
    out.bulk("keynumidx");
    out.integer(find.keynumidx);
    out.bulk("firstkey");
    out.integer(find.firstkey);
    out.bulk("keystep");
    out.integer(find.keystep);
  } else {
    out.mapHeader(0);
  }
}

/** One command's COMMAND INFO entry (addReplyCommandInfo). */
function writeCommandInfo(c: Client, cmd: Command): void {
  const out = c.out;
  out.arrayHeader(10);
  out.bulk(cmd.fullName);
  out.integer(cmd.arity);
  const movable = hasMovableKeys(cmd);
  const flags = SHOWN_FLAGS.filter((f) => (f === "movablekeys" ? movable : cmd.flags.includes(f as never)));
  out.setHeader(flags.length);
  for (const f of flags) out.simple(f);
  out.integer(cmd.firstKey);
  out.integer(cmd.lastKey);
  out.integer(cmd.keyStep);
  const cats = aclCategories(cmd);
  out.setHeader(cats.length);
  for (const cat of cats) out.simple(cat);
  out.setHeader(cmd.tips.length);
  for (const tip of cmd.tips) out.bulk(tip);
  // Redis 7.0 replies key specs and subcommands as RESP3 sets (arrays in RESP2).
  out.setHeader(cmd.keySpecs.length);
  for (const ks of cmd.keySpecs) writeKeySpec(c, ks);
  const subs = cmd.subcommandMap === null ? [] : [...cmd.subcommandMap.values()];
  out.setHeader(subs.length);
  for (const sub of subs) writeCommandInfo(c, sub);
}

function commandCommand(c: Client): void {
  const all = c.server.commands.callable();
  c.out.arrayHeader(all.length);
  for (const cmd of all) writeCommandInfo(c, cmd);
}

function commandInfoCommand(c: Client): void {
  const names = c.argv.slice(2);
  if (names.length === 0) {
    commandCommand(c);
    return;
  }
  c.out.arrayHeader(names.length);
  for (const name of names) {
    const cmd = c.server.commands.getByCalledName(name);
    if (cmd === undefined) c.out.nullBulk();
    else writeCommandInfo(c, cmd);
  }
}

function commandDocsCommand(c: Client): void {
  const names = c.argv.slice(2);
  const cmds: Command[] = [];
  if (names.length === 0) cmds.push(...c.server.commands.callable());
  else
    for (const n of names) {
      const cmd = c.server.commands.getByCalledName(n);
      if (cmd !== undefined) cmds.push(cmd);
    }
  c.out.mapHeader(cmds.length);
  for (const cmd of cmds) writeCommandDocs(c, cmd);
}

function commandListCommand(c: Client): void {
  const argv = c.argv;
  let filter: (cmd: Command) => boolean = () => true;
  if (argv.length === 5 && is(argv[2], "filterby")) {
    const kind = argv[3].toLowerCase();
    const value = argv[4];
    if (kind === "pattern") filter = (cmd) => globMatch(value, cmd.fullName, true);
    else if (kind === "aclcat") filter = (cmd) => aclCategories(cmd).includes(`@${value.toLowerCase()}`);
    else if (kind === "module") filter = () => false;
    else {
      c.error("ERR syntax error");
      return;
    }
  } else if (argv.length !== 2) {
    c.error("ERR syntax error");
    return;
  }
  const names: string[] = [];
  for (const cmd of c.server.commands.callable()) {
    if (filter(cmd)) names.push(cmd.fullName);
    if (cmd.subcommandMap !== null)
      for (const sub of cmd.subcommandMap.values()) if (filter(sub)) names.push(sub.fullName);
  }
  c.out.arrayHeader(names.length);
  for (const n of names) c.out.bulk(n);
}

/** COMMAND GETKEYS and GETKEYSANDFLAGS: the command's keys, or null after an error reply. */
function keysOrReply(c: Client): { argv: string[]; keys: KeyRef[] } | null {
  const argv = c.argv.slice(2);
  const cmd = c.server.commands.lookup(argv);
  if (cmd === undefined || cmd === null) {
    c.error("ERR Invalid command specified");
    return null;
  }
  if (!commandHasKeys(cmd)) {
    c.error("ERR The command has no key arguments");
    return null;
  }
  if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity) {
    c.error("ERR Invalid number of arguments specified for command");
    return null;
  }
  const keys = keysWithFlags(cmd, argv);
  // no_mandatory_keys commands (EVAL with numkeys 0) answer an empty list instead.
  if (keys.length === 0 && !cmd.flags.includes("no_mandatory_keys")) {
    c.error("ERR Invalid arguments specified for command");
    return null;
  }
  return { argv, keys };
}

function commandGetkeysCommand(c: Client): void {
  const r = keysOrReply(c);
  if (r === null) return;
  c.out.arrayHeader(r.keys.length);
  for (const k of r.keys) c.out.bulk(r.argv[k.pos]);
}

function commandGetkeysAndFlagsCommand(c: Client): void {
  const r = keysOrReply(c);
  if (r === null) return;
  c.out.arrayHeader(r.keys.length);
  for (const k of r.keys) {
    c.out.arrayHeader(2);
    c.out.bulk(r.argv[k.pos]);
    c.out.setHeader(k.flags.length);
    for (const f of k.flags) c.out.simple(f);
  }
}

function commandHelpCommand(c: Client): void {
  const lines = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
  ];
  helpReply(c, lines);
}

export const introspectionCommands = [
  {
    ...container("command", -1, "server", "Returns detailed information about all commands.", "2.8.13", [
      spec("count", 2, "loading stale", [0, 0, 0], "server", "Returns a count of commands.", "2.8.13", (c) =>
        c.out.integer(c.server.commands.callable().length),
      ),
      spec(
        "list",
        -2,
        "loading stale",
        [0, 0, 0],
        "server",
        "Returns a list of command names.",
        "7.0.0",
        commandListCommand,
      ),
      spec(
        "info",
        -2,
        "loading stale",
        [0, 0, 0],
        "server",
        "Returns information about one, multiple or all commands.",
        "2.8.13",
        commandInfoCommand,
      ),
      spec(
        "docs",
        -2,
        "loading stale",
        [0, 0, 0],
        "server",
        "Returns documentary information about one, multiple or all commands.",
        "7.0.0",
        commandDocsCommand,
      ),
      spec(
        "getkeys",
        -4,
        "loading stale",
        [0, 0, 0],
        "server",
        "Extracts the key names from an arbitrary command.",
        "2.8.13",
        commandGetkeysCommand,
      ),
      spec(
        "getkeysandflags",
        -4,
        "loading stale",
        [0, 0, 0],
        "server",
        "Extracts the key names and access flags for an arbitrary command.",
        "7.0.0",
        commandGetkeysAndFlagsCommand,
      ),
      helpSpec("server", "5.0.0", commandHelpCommand),
    ]),
    flags: ["loading", "stale"],
    handler: commandCommand,
  },
] satisfies CommandSpec[];
