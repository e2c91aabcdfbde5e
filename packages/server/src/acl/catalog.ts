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

export class AclCatalog {
  /** Commands by id. */
  readonly commands: Command[] = [];
  /** Category bits by id. */
  readonly categories: number[] = [];
  private readonly table: CommandTable;

  constructor(table: CommandTable) {
    this.table = table;
    for (const cmd of table.all()) {
      this.register(cmd);
      if (cmd.subcommandMap !== null) for (const sub of cmd.subcommandMap.values()) this.register(sub);
    }
  }

  private register(cmd: Command): void {
    cmd.aclId = this.commands.length;
    this.commands.push(cmd);
    let mask = 0;
    for (const cat of aclCategories(cmd)) mask |= categoryBit(cat.slice(1));
    this.categories.push(mask);
  }

  get size(): number {
    return this.commands.length;
  }

  /** ACLLookupCommand: "name" or "container|sub", case-insensitive. */
  lookup(fullName: string): Command | undefined {
    return this.table.getByFullName(fullName);
  }
}
