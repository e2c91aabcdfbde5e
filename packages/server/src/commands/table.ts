/**
 * The command table: every family's specs in one lookup map, from which dispatch, arity checks,
 * COMMAND (COUNT, INFO, DOCS, LIST, GETKEYS) and INFO commandstats are derived, as Redis builds
 * its table from src/commands/*.json. Only implemented commands are here, so anything else
 * answers "unknown command" and is absent from COMMAND.
 *
 * Lookup is allocation-free for the common case: the name as sent is tried first, and only a
 * miss lower-cases it.
 */

import { aclCommands } from "./acl.js";
import { bitCommands } from "./bits.js";
import { clientCommands } from "./client.js";
import { clusterCommands } from "./cluster.js";
import { COMMAND_TIPS } from "./command-tips.js";
import { configCommands } from "./config.js";
import { connectionCommands } from "./connection.js";
import { debugCommands } from "./debug.js";
import { expireCommands } from "./expire.js";
import { functionCommands } from "./functions.js";
import { geoCommands } from "./geo.js";
import { geoSearchCommands } from "./geo-search.js";
import { hashCommands } from "./hashes.js";
import { hyperloglogCommands } from "./hyperloglog.js";
import { pfselftestCommands } from "./hyperloglog-selftest.js";
import { introspectionCommands } from "./introspection.js";
import { KEY_SPECS } from "./key-spec-table.js";
import { specsFindKeys } from "./key-specs.js";
import { keyCommands } from "./keys.js";
import { latencyCommands } from "./latency.js";
import { listBlockingCommands } from "./list-blocking.js";
import { listMoveCommands } from "./list-moves.js";
import { listCommands } from "./lists.js";
import { lolwutCommands } from "./lolwut.js";
import { memoryCommands } from "./memory.js";
import { migrateCommands } from "./migrate.js";
import { monitorCommands } from "./monitor.js";
import { objectCommands } from "./object.js";
import { pubsubCommands } from "./pubsub.js";
import { replicationCommands } from "./replication.js";
import { scanCommands } from "./scan.js";
import { scriptingCommands } from "./scripting.js";
import { adminCommands } from "./server-admin.js";
import { setCommands } from "./sets.js";
import { slowlogCommands } from "./slowlog.js";
import { sortCommands } from "./sort.js";
import type { Command, CommandFlag, CommandHandler, CommandSpec } from "./spec.js";
import { streamClaimCommands } from "./stream-claim.js";
import { streamGroupCommands } from "./stream-groups.js";
import { streamInfoCommands } from "./stream-info.js";
import { streamReadCommands } from "./stream-read.js";
import { streamCommands } from "./streams.js";
import { counterCommands } from "./string-counters.js";
import { stringRangeCommands } from "./string-ranges.js";
import { stringCommands } from "./strings.js";
import { transactionCommands } from "./transactions.js";
import { zsetCommands } from "./zsets.js";

/**
 * Commands that may delete any number of expired keys they come across (Redis 7.0's
 * CMD_TOUCHES_ARBITRARY_KEYS, which COMMAND does not show): run directly, those deletions
 * propagate as separate DELs, not as one MULTI/EXEC.
 */
const TOUCHES_ARBITRARY_KEYS = new Set(["randomkey", "scan"]);

function finalize(s: CommandSpec, parent: Command | null): Command {
  const has = (f: CommandFlag) => s.flags.includes(f);
  const fullName = parent === null ? s.name : `${parent.name}|${s.name}`;
  const keySpecs = KEY_SPECS[fullName] ?? [];
  const cmd: Command = {
    ...s,
    fullName,
    parent,
    isWrite: has("write"),
    isReadonly: has("readonly"),
    denyOom: has("denyoom"),
    allowLoading: has("loading"),
    allowStale: has("stale"),
    noAuth: has("no_auth"),
    noMulti: has("no_multi"),
    isAdmin: has("admin"),
    isPubsub: has("pubsub"),
    mayReplicate: has("may_replicate"),
    isBlocking: has("blocking"),
    isProtected: has("protected"),
    noScript: has("noscript"),
    allowBusy: has("allow_busy"),
    skipMonitor: has("skip_monitor"),
    skipSlowlog: has("skip_slowlog"),
    touchesArbitraryKeys: TOUCHES_ARBITRARY_KEYS.has(fullName),
    subcommandMap: null,
    calls: 0,
    usec: 0,
    rejectedCalls: 0,
    failedCalls: 0,
    latency: null,
    aclId: -1,
    keySpecs,
    keySpecsFirst: specsFindKeys(keySpecs),
    tips: COMMAND_TIPS[fullName] ?? [],
  };
  if (s.subcommands !== undefined) {
    cmd.subcommandMap = new Map();
    for (const sub of s.subcommands) cmd.subcommandMap.set(sub.name, finalize(sub, cmd));
  }
  return cmd;
}

export class CommandTable {
  private readonly map = new Map<string, Command>();

  /** Every command by lower-case name, for COMMAND and INFO (the lookup map also has aliases). */
  private readonly byName = new Map<string, Command>();

  /** Commands renamed to "": callable by no name, so COMMAND leaves them out, as Redis's does. */
  private readonly removedByRename = new Set<Command>();

  /** Bumped by every change, so derived views (the ACL catalog) know to rebuild. */
  version = 0;

  add(specs: readonly CommandSpec[]): void {
    this.version++;
    for (const s of specs) {
      const cmd = finalize(s, null);
      this.byName.set(s.name, cmd);
      this.map.set(s.name, cmd);
      // Clients send names upper-case as often as lower-case: both hit on the first lookup.
      this.map.set(s.name.toUpperCase(), cmd);
    }
  }

  /** Removes a command (e.g. Sentinel mode keeps only its own set). */
  remove(name: string): void {
    this.version++;
    this.byName.delete(name);
    this.map.delete(name);
    this.map.delete(name.toUpperCase());
  }

  /**
   * rename-command: the command answers to `to` instead of `from` (to nothing when `to` is
   * empty). As in Redis it keeps its own name everywhere else: COMMAND, INFO commandstats and
   * ACL rules still know it as `from`. Throws Redis's config errors.
   */
  rename(from: string, to: string): void {
    const oldName = from.toLowerCase();
    const cmd = this.map.get(oldName);
    if (cmd === undefined) throw new Error("No such command in rename-command");
    this.version++;
    this.map.delete(oldName);
    this.map.delete(oldName.toUpperCase());
    if (to === "") {
      this.removedByRename.add(cmd);
      return;
    }
    const newName = to.toLowerCase();
    if (this.map.has(newName)) throw new Error("Target command name already exists");
    this.map.set(newName, cmd);
    this.map.set(newName.toUpperCase(), cmd);
  }

  /**
   * Gives a command another handler, its flags and docs unchanged (Sentinel mode answers INFO
   * and PUBLISH itself). Throws for a name the table does not hold: that is a wiring bug.
   */
  replaceHandler(name: string, handler: CommandHandler): void {
    const cmd = this.byName.get(name);
    if (cmd === undefined) throw new Error(`replaceHandler: no command ${name}`);
    cmd.handler = handler;
  }

  /**
   * lookupCommand: the command for argv, resolving container subcommands. Returns undefined for
   * an unknown command and null for an unknown subcommand of a known container.
   */
  lookup(argv: readonly string[]): Command | null | undefined {
    const name = argv[0];
    let cmd = this.map.get(name);
    if (cmd === undefined) {
      cmd = this.map.get(name.toLowerCase());
      if (cmd === undefined) return undefined;
    }
    if (cmd.subcommandMap === null) return cmd;
    // A container with too few arguments reports the arity error against itself.
    if (argv.length < 2) return cmd;
    const subName = argv[1];
    return cmd.subcommandMap.get(subName) ?? cmd.subcommandMap.get(subName.toLowerCase()) ?? null;
  }

  get(name: string): Command | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /**
   * lookupCommandBySds: "name" or "container|sub", case-insensitive; deeper names ("a|b|c")
   * match nothing, as in Redis.
   */
  getByFullName(fullName: string): Command | undefined {
    return resolveFullName(this.byName, fullName);
  }

  /**
   * As getByFullName, but by the name clients call it now (after rename-command), as COMMAND
   * INFO and COMMAND DOCS look commands up; ACL rules keep the original names.
   */
  getByCalledName(fullName: string): Command | undefined {
    return resolveFullName(this.map, fullName);
  }

  /** Every top-level command. */
  all(): IterableIterator<Command> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  /** The top-level commands a client can call by some name (COMMAND, COMMAND COUNT, LIST, DOCS). */
  callable(): Command[] {
    return [...this.byName.values()].filter((cmd) => !this.removedByRename.has(cmd));
  }
}

/** "name" or "container|sub" in `top`, case-insensitive; deeper names match nothing. */
function resolveFullName(top: Map<string, Command>, fullName: string): Command | undefined {
  const [name, sub, ...extra] = fullName.toLowerCase().split("|");
  const cmd = top.get(name);
  if (cmd === undefined || sub === undefined) return cmd;
  return extra.length === 0 ? cmd.subcommandMap?.get(sub) : undefined;
}

export function buildCommandTable(): CommandTable {
  const table = new CommandTable();
  for (const family of [
    connectionCommands,
    clusterCommands,
    aclCommands,
    clientCommands,
    keyCommands,
    migrateCommands,
    scanCommands,
    scriptingCommands,
    functionCommands,
    objectCommands,
    expireCommands,
    stringCommands,
    counterCommands,
    stringRangeCommands,
    bitCommands,
    listCommands,
    listMoveCommands,
    listBlockingCommands,
    hashCommands,
    hyperloglogCommands,
    pfselftestCommands,
    setCommands,
    sortCommands,
    transactionCommands,
    pubsubCommands,
    adminCommands,
    monitorCommands,
    slowlogCommands,
    latencyCommands,
    memoryCommands,
    lolwutCommands,
    debugCommands,
    configCommands,
    introspectionCommands,
    zsetCommands,
    geoCommands,
    geoSearchCommands,
    streamCommands,
    streamReadCommands,
    streamGroupCommands,
    streamClaimCommands,
    streamInfoCommands,
    replicationCommands,
  ]) {
    table.add(family);
  }
  return table;
}
