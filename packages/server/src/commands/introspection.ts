/**
 * COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP), all
 * generated from the command table, so they list exactly what is implemented.
 */

import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { is } from "./args.js";
import { helpReply } from "./common.js";
import {
  type Command,
  type CommandSpec,
  commandKeys,
  container,
  helpSpec,
  type KeySpec,
  spec,
} from "./spec.js";

/**
 * Flags COMMAND shows. Redis 7.0 hides internal ones such as `sentinel` and `protected`, and
 * prints no `may_replicate` either (PUBLISH carries it: CLIENT PAUSE WRITE holds it back).
 */
const SHOWN_FLAGS = new Set([
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
  "allow_busy",
]);

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

/** Key spec flags of the core commands whose keys Redis 7.0 describes beyond read/write. */
const KEY_SPEC_FLAGS: Record<string, readonly string[]> = {
  del: ["RM", "delete"],
  unlink: ["RM", "delete"],
  exists: ["RO"],
  type: ["RO"],
  rename: ["RW", "access", "delete"],
  renamenx: ["RW", "access", "delete"],
  move: ["RW", "access", "update"],
  copy: ["RO", "access"],
  touch: ["RO"],
  "object|encoding": ["RO"],
  "object|freq": ["RO"],
  "object|idletime": ["RO"],
  "object|refcount": ["RO"],
  set: ["RW", "access", "update", "variable_flags"],
  setnx: ["OW", "insert"],
  setex: ["OW", "update"],
  psetex: ["OW", "update"],
  getdel: ["RW", "access", "delete"],
  getex: ["RW", "access", "update"],
  getset: ["RW", "access", "update"],
  mset: ["OW", "update"],
  msetnx: ["OW", "insert"],
  append: ["RW", "insert"],
  strlen: ["RO"],
  incr: ["RW", "access", "update"],
  decr: ["RW", "access", "update"],
  incrby: ["RW", "access", "update"],
  decrby: ["RW", "access", "update"],
  incrbyfloat: ["RW", "access", "update"],
  setbit: ["RW", "access", "update"],
  bitop: ["OW", "update"],
  bitfield: ["RW", "access", "update", "variable_flags"],
  watch: ["RO"],
  "memory|usage": ["RO"],
};

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

/**
 * A key spec's flags as Redis prints them: the access kind (RO, RW, OW overwrite, RM remove) and
 * the operation (access, update, insert, delete). Commands whose keys Redis describes
 * differently from the read/write default declare `keySpecFlags` in their spec.
 */
function keySpecFlags(cmd: Command): readonly string[] {
  if (cmd.keySpecFlags !== undefined) return cmd.keySpecFlags;
  const known = KEY_SPEC_FLAGS[cmd.fullName];
  if (known !== undefined) return known;
  return cmd.isWrite ? ["RW", "update"] : ["RO", "access"];
}

/** Whether a command's key flags depend on its arguments (SET ... GET, BITFIELD). */
export function keySpecFlagsVary(cmd: Command): boolean {
  return keySpecFlags(cmd).includes("variable_flags");
}

/**
 * The flags of a key spec with "variable_flags" resolved against actual arguments, as Redis's
 * setGetKeys/bitfieldGetKeys do: SET without GET only overwrites, BITFIELD with only GET reads.
 */
export function resolvedKeySpecFlags(cmd: Command, argv: readonly string[]): readonly string[] {
  const flags = keySpecFlags(cmd);
  if (!flags.includes("variable_flags")) return flags;
  const rest = argv.slice(cmd.name === "set" ? 3 : 2).map((a) => a.toLowerCase());
  if (cmd.name === "set") return rest.includes("get") ? ["RW", "access", "update"] : ["OW", "update"];
  const writes = rest.includes("set") || rest.includes("incrby");
  return writes ? ["RW", "access", "update"] : ["RO", "access"];
}

function writeKeySpecs(c: Client, cmd: Command): void {
  const out = c.out;
  // Redis 7.0 replies key specs and subcommands as RESP3 sets (arrays in RESP2).
  if (cmd.keySpecs !== undefined) {
    out.setHeader(cmd.keySpecs.length);
    for (const ks of cmd.keySpecs) writeKeySpec(c, ks);
    return;
  }
  if (cmd.firstKey === 0 && cmd.getKeys === undefined) {
    out.setHeader(0);
    return;
  }
  out.setHeader(1);
  writeKeySpec(c, {
    flags: keySpecFlags(cmd),
    beginSearch: { index: cmd.firstKey },
    findKeys: {
      lastkey: cmd.lastKey < 0 ? cmd.lastKey : cmd.lastKey - cmd.firstKey,
      keystep: cmd.keyStep,
      limit: 0,
    },
  });
}

function writeKeySpec(c: Client, ks: KeySpec): void {
  const out = c.out;
  out.mapHeader(3);
  out.bulk("flags");
  out.setHeader(ks.flags.length);
  for (const f of ks.flags) out.simple(f);
  out.bulk("begin_search");
  out.mapHeader(2);
  out.bulk("type");
  const begin = ks.beginSearch;
  if ("index" in begin) {
    out.bulk("index");
    out.bulk("spec");
    out.mapHeader(1);
    out.bulk("index");
    out.integer(begin.index);
  } else {
    out.bulk("keyword");
    out.bulk("spec");
    out.mapHeader(2);
    out.bulk("keyword");
    out.bulk(begin.keyword);
    out.bulk("startfrom");
    out.integer(begin.startfrom);
  }
  out.bulk("find_keys");
  out.mapHeader(2);
  out.bulk("type");
  out.bulk("range");
  out.bulk("spec");
  out.mapHeader(3);
  out.bulk("lastkey");
  out.integer(ks.findKeys.lastkey);
  out.bulk("keystep");
  out.integer(ks.findKeys.keystep);
  out.bulk("limit");
  out.integer(ks.findKeys.limit);
}

/** One command's COMMAND INFO entry (addReplyCommandInfo). */
function writeCommandInfo(c: Client, cmd: Command): void {
  const out = c.out;
  out.arrayHeader(10);
  out.bulk(cmd.fullName);
  out.integer(cmd.arity);
  const flags = cmd.flags.filter((f) => SHOWN_FLAGS.has(f));
  if (cmd.getKeys !== undefined) flags.push("movablekeys" as never);
  out.setHeader(flags.length);
  for (const f of flags) out.simple(f);
  out.integer(cmd.firstKey);
  out.integer(cmd.lastKey);
  out.integer(cmd.keyStep);
  const cats = aclCategories(cmd);
  out.setHeader(cats.length);
  for (const cat of cats) out.simple(cat);
  const tips = cmd.tips ?? [];
  out.setHeader(tips.length);
  for (const tip of tips) out.bulk(tip);
  writeKeySpecs(c, cmd);
  const subs = cmd.subcommandMap === null ? [] : [...cmd.subcommandMap.values()];
  out.setHeader(subs.length);
  for (const sub of subs) writeCommandInfo(c, sub);
}

function commandCommand(c: Client): void {
  const all = [...c.server.commands.all()];
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
    const cmd = c.server.commands.getByFullName(name);
    if (cmd === undefined) c.out.nullBulk();
    else writeCommandInfo(c, cmd);
  }
}

function writeCommandDocs(c: Client, cmd: Command): void {
  const out = c.out;
  const subs = cmd.subcommandMap === null ? [] : [...cmd.subcommandMap.values()];
  out.mapHeader(subs.length > 0 ? 4 : 3);
  out.bulk("summary");
  out.bulk(cmd.summary);
  out.bulk("since");
  out.bulk(cmd.since);
  out.bulk("group");
  out.bulk(cmd.group);
  if (subs.length > 0) {
    out.bulk("subcommands");
    out.mapHeader(subs.length);
    for (const sub of subs) {
      out.bulk(sub.fullName);
      writeCommandDocs(c, sub);
    }
  }
}

function commandDocsCommand(c: Client): void {
  const names = c.argv.slice(2);
  const cmds: Command[] = [];
  if (names.length === 0) cmds.push(...c.server.commands.all());
  else
    for (const n of names) {
      const cmd = c.server.commands.getByFullName(n);
      if (cmd !== undefined) cmds.push(cmd);
    }
  c.out.mapHeader(cmds.length);
  for (const cmd of cmds) {
    c.out.bulk(cmd.fullName);
    writeCommandDocs(c, cmd);
  }
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
  for (const cmd of c.server.commands.all()) {
    if (filter(cmd)) names.push(cmd.fullName);
    if (cmd.subcommandMap !== null)
      for (const sub of cmd.subcommandMap.values()) if (filter(sub)) names.push(sub.fullName);
  }
  c.out.arrayHeader(names.length);
  for (const n of names) c.out.bulk(n);
}

function getKeysOrReply(c: Client): [number[], string[]] | null {
  const argv = c.argv.slice(2);
  const cmd = c.server.commands.lookup(argv);
  if (cmd === undefined || cmd === null) {
    c.error("ERR Invalid command specified");
    return null;
  }
  if (cmd.firstKey === 0 && cmd.getKeys === undefined) {
    c.error("ERR The command has no key arguments");
    return null;
  }
  if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity) {
    c.error("ERR Invalid number of arguments specified for command");
    return null;
  }
  const keys = commandKeys(cmd, argv);
  // no_mandatory_keys commands (EVAL with numkeys 0) answer an empty list instead.
  if (keys.length === 0 && !cmd.flags.includes("no_mandatory_keys")) {
    c.error("ERR Invalid arguments specified for command");
    return null;
  }
  return [keys, argv];
}

function commandGetkeysCommand(c: Client): void {
  const r = getKeysOrReply(c);
  if (r === null) return;
  const [keys, argv] = r;
  c.out.arrayHeader(keys.length);
  for (const i of keys) c.out.bulk(argv[i]);
}

function commandGetkeysAndFlagsCommand(c: Client): void {
  const r = getKeysOrReply(c);
  if (r === null) return;
  const [keys, argv] = r;
  const cmd = c.server.commands.lookup(argv)!;
  const flags = resolvedKeySpecFlags(cmd, argv);
  c.out.arrayHeader(keys.length);
  for (const i of keys) {
    c.out.arrayHeader(2);
    c.out.bulk(argv[i]);
    c.out.setHeader(flags.length);
    for (const f of flags) c.out.simple(f);
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
        c.out.integer(c.server.commands.size),
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
