/**
 * The command table: every family's specs in one lookup map, from which dispatch, arity checks,
 * COMMAND (COUNT, INFO, DOCS, LIST, GETKEYS) and INFO commandstats are derived, as Redis builds
 * its table from src/commands/*.json. Only implemented commands are here, so anything else
 * answers "unknown command" and is absent from COMMAND.
 *
 * Lookup is allocation-free for the common case: the name as sent is tried first, and only a
 * miss lower-cases it.
 */

import { bitCommands } from "./bits.js";
import { clientCommands } from "./client.js";
import { configCommands } from "./config.js";
import { connectionCommands } from "./connection.js";
import { expireCommands } from "./expire.js";
import { introspectionCommands } from "./introspection.js";
import { keyCommands } from "./keys.js";
import { pubsubCommands } from "./pubsub.js";
import { replicationCommands } from "./replication.js";
import { adminCommands } from "./server-admin.js";
import type { Command, CommandFlag, CommandSpec } from "./spec.js";
import { stringCommands } from "./strings.js";
import { transactionCommands } from "./transactions.js";

function finalize(s: CommandSpec, parent: Command | null): Command {
  const has = (f: CommandFlag) => s.flags.includes(f);
  const cmd: Command = {
    ...s,
    fullName: parent === null ? s.name : `${parent.name}|${s.name}`,
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
    subcommandMap: null,
    calls: 0,
    usec: 0,
    rejectedCalls: 0,
    failedCalls: 0,
  };
  if (s.subcommands !== undefined) {
    cmd.subcommandMap = new Map();
    for (const sub of s.subcommands) cmd.subcommandMap.set(sub.name, finalize(sub, cmd));
  }
  return cmd;
}

export class CommandTable {
  private readonly map = new Map<string, Command>();

  add(specs: readonly CommandSpec[]): void {
    for (const s of specs) this.map.set(s.name, finalize(s, null));
  }

  /** Removes a command (e.g. Sentinel mode keeps only its own set). */
  remove(name: string): void {
    this.map.delete(name);
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
    return this.map.get(name.toLowerCase());
  }

  /** Every top-level command. */
  all(): IterableIterator<Command> {
    return this.map.values();
  }

  get size(): number {
    return this.map.size;
  }
}

export function buildCommandTable(): CommandTable {
  const table = new CommandTable();
  for (const family of [
    connectionCommands,
    clientCommands,
    keyCommands,
    expireCommands,
    stringCommands,
    bitCommands,
    transactionCommands,
    pubsubCommands,
    adminCommands,
    configCommands,
    introspectionCommands,
    replicationCommands,
  ]) {
    table.add(family);
  }
  return table;
}
