/**
 * The command catalog ACL rules are written against: every command and subcommand with an id
 * (an index into a selector's permission bits) and its categories as a bit mask, in the order
 * Redis's ACLCommandCategories lists them. Ids follow the command table's order, parents before
 * their subcommands, which is also the order single-command rules are described in.
 */

import { aclCategories } from "../commands/introspection.js";
import type { Command } from "../commands/spec.js";
import type { CommandTable } from "../commands/table.js";

/** ACLCommandCategories, in Redis's order (ACL CAT prints them so). */
export const ACL_CATEGORIES = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
] as const;

/** Bit of a category name (case-insensitive), or 0 for an unknown name. */
export function categoryBit(name: string): number {
  const i = ACL_CATEGORIES.indexOf(name.toLowerCase() as (typeof ACL_CATEGORIES)[number]);
  return i < 0 ? 0 : 1 << i;
}

/**
 * Permission bits per selector, as Redis's USER_COMMAND_BITS_COUNT: room for every command,
 * including those registered after users were created (+@all sets them all).
 */
export const COMMAND_BITS = 1024;

export class AclCatalog {
  private readonly table: CommandTable;
  private syncedVersion = -1;
  private nextId = 0;
  private liveCommands: Command[] = [];
  private liveCategories: number[] = [];

  constructor(table: CommandTable) {
    this.table = table;
  }

  /** Every command and subcommand now in the table, parents before their subcommands. */
  get commands(): readonly Command[] {
    this.sync();
    return this.liveCommands;
  }

  /** Category bits, parallel to `commands`. */
  get categories(): readonly number[] {
    this.sync();
    return this.liveCategories;
  }

  /** Subsystems add commands after the server is built: ids are handed out as they appear. */
  private sync(): void {
    if (this.syncedVersion === this.table.version) return;
    this.syncedVersion = this.table.version;
    this.liveCommands = [];
    this.liveCategories = [];
    for (const cmd of this.table.all()) {
      this.register(cmd);
      if (cmd.subcommandMap !== null) for (const sub of cmd.subcommandMap.values()) this.register(sub);
    }
  }

  private register(cmd: Command): void {
    if (cmd.aclId < 0) {
      if (this.nextId >= COMMAND_BITS) throw new Error("ACL: more commands than permission bits");
      cmd.aclId = this.nextId++;
    }
    this.liveCommands.push(cmd);
    let mask = 0;
    for (const cat of aclCategories(cmd)) mask |= categoryBit(cat.slice(1));
    this.liveCategories.push(mask);
  }

  /** ACLLookupCommand: "name" or "container|sub", case-insensitive. */
  lookup(fullName: string): Command | undefined {
    this.sync();
    return this.table.getByFullName(fullName);
  }
}
