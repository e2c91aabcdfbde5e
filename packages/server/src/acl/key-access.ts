/**
 * What a command does with each key and channel it names, for ACL checks
 * (getKeysFromCommandWithSpecs and getChannelsFromCommand): a key read needs a pattern with
 * read permission (`%R~`), a key inserted, updated or deleted one with write permission (`%W~`).
 */

import { keysWithFlags } from "../commands/key-specs.js";
import type { Command } from "../commands/spec.js";
import { KEY_READ, KEY_WRITE } from "./selector.js";

export interface KeyAccess {
  pos: number;
  /** KEY_READ | KEY_WRITE bits the key needs (0: only its existence is looked at). */
  perm: number;
}

/** Permission bits of a key spec's flags (ACLSelectorCheckKey). */
function permOf(flags: readonly string[]): number {
  let perm = 0;
  for (const f of flags) {
    if (f === "access") perm |= KEY_READ;
    else if (f === "insert" || f === "update" || f === "delete") perm |= KEY_WRITE;
  }
  return perm;
}

export function keyAccesses(cmd: Command, argv: readonly string[]): KeyAccess[] {
  return keysWithFlags(cmd, argv).map((k) => ({ pos: k.pos, perm: permOf(k.flags) }));
}

export interface ChannelAccess {
  pos: number;
  /** PSUBSCRIBE's patterns are compared literally against the user's channel patterns. */
  isPattern: boolean;
}

/** getChannelsFromCommand, for the commands whose channels ACLs check (publish and subscribe). */
export function channelAccesses(cmd: Command, argv: readonly string[]): ChannelAccess[] | null {
  switch (cmd.fullName) {
    case "publish":
    case "spublish":
      return [{ pos: 1, isPattern: false }];
    case "subscribe":
    case "ssubscribe":
    case "psubscribe": {
      const out: ChannelAccess[] = [];
      for (let pos = 1; pos < argv.length; pos++) out.push({ pos, isPattern: cmd.fullName === "psubscribe" });
      return out;
    }
    default:
      return null;
  }
}
