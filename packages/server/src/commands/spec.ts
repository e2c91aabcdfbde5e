/**
 * The shape of a command table entry, as Redis 7.0 describes commands in src/commands/*.json:
 * dispatch, arity errors, the MULTI/OOM/READONLY/LOADING gates and COMMAND's replies are all
 * derived from these fields. Family files export arrays of specs checked with `satisfies`.
 */

import type { Client } from "../network/client.js";
import type { KeySpec } from "./key-specs.js";

/** Command flags, with Redis's names (COMMAND prints them). */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "module"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "no_mandatory_keys"
  | "no_async_loading"
  | "no_multi"
  | "allow_busy"
  | "protected"
  | "sentinel";

export type CommandHandler = (c: Client) => void;

export interface CommandSpec {
  /** Lower-case name; for subcommands just the subcommand part (`get` of `config|get`). */
  name: string;
  /** Redis arity: positive = exact argc, negative = at least -arity (argv[0] included). */
  arity: number;
  flags: readonly CommandFlag[];
  /** Key positions: first, last (negative counts from the end), step; 0,0,0 for none. */
  firstKey: number;
  lastKey: number;
  keyStep: number;
  /** For commands whose keys are not first/last/step (ZUNIONSTORE, EVAL...): positions in argv. */
  getKeys?: (argv: readonly string[]) => number[];
  /**
   * The flags of a key found by getKeys (or first/last/step), for a command whose key specs
   * cannot say (flags that depend on the arguments, keys the specs cannot locate), as Redis's
   * getkeys procs give them for those commands.
   */
  foundKeyFlags?: (argv: readonly string[], pos: number) => readonly string[];
  /** The command's family (string, generic, list, connection, server...): its ACL category. */
  group: string;
  /**
   * A one-line summary, and the version the command came in: COMMAND DOCS shows them only for a
   * command Redis 7.0 does not document; for the others it shows Redis's (command-docs.ts).
   */
  summary: string;
  since: string;
  /**
   * The argv MONITOR and SLOWLOG show, for a command with secrets among its arguments (Redis's
   * redactClientCommandArgument).
   */
  redactedArgv?: (argv: readonly string[]) => string[];
  /** ACL categories without the '@' (COMMAND INFO prints them). */
  acl?: readonly string[];
  handler?: CommandHandler;
  subcommands?: readonly CommandSpec[];
  /**
   * Flags that replace the command's own for one call, or null to keep them: an EVAL of a
   * script that declares its flags is gated by those (Redis's getCommandFlags).
   */
  declaredFlags?: (c: Client) => DeclaredFlags | null;
}

export interface DeclaredFlags {
  write: boolean;
  denyOom: boolean;
  stale: boolean;
}

/** Spec with defaults filled in, as stored in the table. */
export interface Command extends CommandSpec {
  /** Full name: `get`, or `config|get` for a subcommand. */
  fullName: string;
  parent: Command | null;
  isWrite: boolean;
  isReadonly: boolean;
  denyOom: boolean;
  allowLoading: boolean;
  allowStale: boolean;
  noAuth: boolean;
  noMulti: boolean;
  isAdmin: boolean;
  isPubsub: boolean;
  mayReplicate: boolean;
  isBlocking: boolean;
  isProtected: boolean;
  /** Refused when a script calls it. */
  noScript: boolean;
  /** Served while a script is busy (everything else gets -BUSY). */
  allowBusy: boolean;
  skipMonitor: boolean;
  skipSlowlog: boolean;
  /** Its expired-key deletions propagate unwrapped (table.ts TOUCHES_ARBITRARY_KEYS). */
  touchesArbitraryKeys: boolean;
  subcommandMap: Map<string, Command> | null;
  /** INFO commandstats. */
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
  /** INFO latencystats: this command's latency histogram, created on its first call. */
  latency: Float64Array | null;
  /** Index of the command's bit in ACL selectors (acl/catalog.ts), -1 until catalogued. */
  aclId: number;
  /** Redis's key specs for the command (key-spec-table.ts), empty when it names no keys. */
  keySpecs: readonly KeySpec[];
  /** The key specs are the first way to the keys (key-specs.ts specsFindKeys). */
  keySpecsFirst: boolean;
  /** COMMAND INFO's tips ("nondeterministic_output"...). */
  tips: readonly string[];
}

/** Compact spec constructor: flags as a space-separated list, keys as [first, last, step]. */
export function spec(
  name: string,
  arity: number,
  flags: string,
  keys: readonly [number, number, number],
  group: string,
  summary: string,
  since: string,
  handler: CommandHandler,
  extra: Partial<CommandSpec> = {},
): CommandSpec {
  return {
    name,
    arity,
    flags: flags.split(" ").filter((f) => f.length > 0) as CommandFlag[],
    firstKey: keys[0],
    lastKey: keys[1],
    keyStep: keys[2],
    group,
    summary,
    since,
    handler,
    ...extra,
  };
}

/**
 * A container's HELP subcommand as most Redis 7.0 containers document it (arity 2, the same
 * summary); only the group, the version it came in and the flags differ.
 */
export function helpSpec(
  group: string,
  since: string,
  handler: CommandHandler,
  flags = "loading stale",
): CommandSpec {
  return spec(
    "help",
    2,
    flags,
    [0, 0, 0],
    group,
    "Returns helpful text about the different subcommands.",
    since,
    handler,
  );
}

/** A container command (CONFIG, CLIENT...) whose work is done by subcommands. */
export function container(
  name: string,
  arity: number,
  group: string,
  summary: string,
  since: string,
  subcommands: CommandSpec[],
): CommandSpec {
  return { name, arity, flags: [], firstKey: 0, lastKey: 0, keyStep: 0, group, summary, since, subcommands };
}
