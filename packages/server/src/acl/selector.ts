/**
 * An ACL selector (acl.c aclSelector): which commands, keys and channels it allows. A user has a
 * root selector and any number of extra ones; a command runs when one selector allows all of it.
 * `apply` is ACLSetSelector: one rule such as `+get`, `-@write`, `%R~cache:*` or `&news`.
 */

import type { Command } from "../commands/spec.js";
import { type AclCatalog, COMMAND_BITS, categoryBit } from "./catalog.js";

/** Key pattern permissions (ACL_READ_PERMISSION, ACL_WRITE_PERMISSION). */
export const KEY_READ = 1;
export const KEY_WRITE = 2;
export const KEY_ALL = KEY_READ | KEY_WRITE;

/** ACLSetUserStringError's texts, thrown by a rule that cannot be applied. */
export const RuleError = {
  syntax: "Syntax error",
  unknownName: "Unknown command or category name in ACL",
  keyAfterAll:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  channelAfterAll:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  noSuchPassword: "The password you are trying to remove from the user does not exist",
  badHash:
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
  duplicateUser: "Duplicate user found. A user can only be defined once in config files",
  firstArgOfSubcommand: "Allowing first-arg of a subcommand is not supported",
} as const;

export class AclRuleError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface KeyPattern {
  pattern: string;
  flags: number;
}

/** ACLStringHasSpaces: whitespace or NUL, refused in user names and patterns. */
export function hasSpaces(s: string): boolean {
  return /[ \t\n\v\f\r\0]/.test(s);
}

export class Selector {
  readonly root: boolean;
  allKeys = false;
  allChannels = false;
  allCommands = false;
  /** Permission bit per command id. */
  allowed: Uint8Array;
  /** The reserved bit Redis sets with +@all only: the rules start from +@all when describing. */
  futureCommands = false;
  /** First arguments allowed for a command whose bit is clear (`+select|0`), by command id. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];
  private readonly catalog: AclCatalog;

  constructor(catalog: AclCatalog, root: boolean, allChannelsByDefault: boolean) {
    this.catalog = catalog;
    this.root = root;
    this.allChannels = allChannelsByDefault;
    this.allowed = new Uint8Array(COMMAND_BITS);
  }

  copy(): Selector {
    const s = new Selector(this.catalog, this.root, this.allChannels);
    s.allKeys = this.allKeys;
    s.allCommands = this.allCommands;
    s.allowed.set(this.allowed);
    s.futureCommands = this.futureCommands;
    if (this.firstArgs !== null) {
      s.firstArgs = new Map();
      for (const [id, args] of this.firstArgs) s.firstArgs.set(id, [...args]);
    }
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  /** True when nothing is restricted: every command, key and channel. */
  get unrestricted(): boolean {
    return this.allCommands && this.allKeys && this.allChannels;
  }

  /** ACLSetSelector: applies one rule, or throws AclRuleError. */
  apply(op: string): void {
    const lower = op.toLowerCase();
    if (lower === "allkeys" || lower === "~*") {
      this.allKeys = true;
      this.patterns = [];
    } else if (lower === "resetkeys") {
      this.allKeys = false;
      this.patterns = [];
    } else if (lower === "allchannels" || lower === "&*") {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === "resetchannels") {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === "allcommands" || lower === "+@all") {
      this.allowed.fill(1);
      this.futureCommands = true;
      this.allCommands = true;
      this.firstArgs = null;
    } else if (lower === "nocommands" || lower === "-@all") {
      this.allowed.fill(0);
      this.futureCommands = false;
      this.allCommands = false;
      this.firstArgs = null;
    } else if (op[0] === "~" || op[0] === "%") {
      this.addKeyPattern(op);
    } else if (op[0] === "&") {
      if (this.allChannels) throw new AclRuleError(RuleError.channelAfterAll);
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw new AclRuleError(RuleError.syntax);
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if (op[0] === "+" && op[1] !== "@") {
      this.allowCommandRule(op.slice(1));
    } else if (op[0] === "-" && op[1] !== "@") {
      const cmd = this.catalog.lookup(op.slice(1));
      if (cmd === undefined) throw new AclRuleError(RuleError.unknownName);
      this.changePermission(cmd, false);
    } else if ((op[0] === "+" || op[0] === "-") && op[1] === "@") {
      const bit = categoryBit(op.slice(2));
      if (bit === 0) throw new AclRuleError(RuleError.unknownName);
      this.setCategory(bit, op[0] === "+");
    } else {
      throw new AclRuleError(RuleError.syntax);
    }
  }

  private addKeyPattern(op: string): void {
    if (this.allKeys) throw new AclRuleError(RuleError.keyAfterAll);
    let flags = 0;
    let offset = 1;
    if (op[0] === "%") {
      for (; offset < op.length; offset++) {
        const ch = op[offset].toUpperCase();
        if (ch === "R" && (flags & KEY_READ) === 0) flags |= KEY_READ;
        else if (ch === "W" && (flags & KEY_WRITE) === 0) flags |= KEY_WRITE;
        else if (op[offset] === "~") {
          offset++;
          break;
        } else throw new AclRuleError(RuleError.syntax);
      }
      // `%~x` would give a pattern with no permission at all, which nothing can describe.
      if (flags === 0) throw new AclRuleError(RuleError.syntax);
    } else {
      flags = KEY_ALL;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) throw new AclRuleError(RuleError.syntax);
    const existing = this.patterns.find((p) => p.pattern === pattern);
    if (existing === undefined) this.patterns.push({ pattern, flags });
    else existing.flags |= flags;
    this.allKeys = false;
  }

  /** `+cmd`, `+container|sub`, or `+cmd|first-arg` for a command without subcommands. */
  private allowCommandRule(name: string): void {
    const bar = name.lastIndexOf("|");
    if (bar < 0) {
      const cmd = this.catalog.lookup(name);
      if (cmd === undefined) throw new AclRuleError(RuleError.unknownName);
      this.changePermission(cmd, true);
      return;
    }
    const cmd = this.catalog.lookup(name.slice(0, bar));
    if (cmd === undefined) throw new AclRuleError(RuleError.unknownName);
    if (cmd.parent !== null) throw new AclRuleError(RuleError.firstArgOfSubcommand);
    const sub = name.slice(bar + 1);
    if (sub === "") throw new AclRuleError(RuleError.syntax);
    if (cmd.subcommandMap !== null) {
      const subcommand = this.catalog.lookup(name);
      if (subcommand === undefined) throw new AclRuleError(RuleError.unknownName);
      this.changePermission(subcommand, true);
      return;
    }
    // Redis logs a deprecation warning for this form; it still works in 7.0.
    if (this.firstArgs === null) this.firstArgs = new Map();
    const args = this.firstArgs.get(cmd.aclId) ?? [];
    if (!args.some((a) => a.toLowerCase() === sub.toLowerCase())) args.push(sub);
    this.firstArgs.set(cmd.aclId, args);
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.allCommands = false;
  }

  /** ACLChangeSelectorPerm: a command and, for a container, all its subcommands. */
  changePermission(cmd: Command, allow: boolean): void {
    this.setBit(cmd.aclId, allow);
    this.firstArgs?.delete(cmd.aclId);
    if (cmd.subcommandMap !== null)
      for (const sub of cmd.subcommandMap.values()) this.setBit(sub.aclId, allow);
  }

  /** ACLSetSelectorCommandBitsForCategory. */
  setCategory(bit: number, allow: boolean): void {
    const { commands, categories } = this.catalog;
    for (let i = 0; i < commands.length; i++) {
      if ((categories[i] & bit) !== 0) this.changePermission(commands[i], allow);
    }
  }
}
