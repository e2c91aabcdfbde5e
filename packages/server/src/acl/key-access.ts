/**
 * What a command does with each key and channel it names, for ACL checks
 * (getKeysFromCommandWithSpecs and getChannelsFromCommand): a key read needs a pattern with
 * read permission (`%R~`), a key inserted, updated or deleted one with write permission (`%W~`).
 */

import { keySpecFlagsVary, resolvedKeySpecFlags } from "../commands/introspection.js";
import { type Command, commandKeys } from "../commands/spec.js";
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

const RW = KEY_READ | KEY_WRITE;

/**
 * Commands whose keys Redis describes with two key specs: the first key named and the others
 * differ (a destination written from sources that are only read, or a source moved away).
 */
const FIRST_AND_REST: Record<string, readonly [number, number]> = {
  sinterstore: [KEY_WRITE, KEY_READ],
  sunionstore: [KEY_WRITE, KEY_READ],
  sdiffstore: [KEY_WRITE, KEY_READ],
  zunionstore: [KEY_WRITE, KEY_READ],
  zinterstore: [KEY_WRITE, KEY_READ],
  zdiffstore: [KEY_WRITE, KEY_READ],
  zrangestore: [KEY_WRITE, KEY_READ],
  geosearchstore: [KEY_WRITE, KEY_READ],
  bitop: [KEY_WRITE, KEY_READ],
  pfmerge: [RW, KEY_READ],
  rename: [RW, KEY_WRITE],
  renamenx: [RW, KEY_WRITE],
  copy: [KEY_READ, KEY_WRITE],
  lmove: [RW, KEY_WRITE],
  blmove: [RW, KEY_WRITE],
  rpoplpush: [RW, KEY_WRITE],
  brpoplpush: [RW, KEY_WRITE],
  smove: [RW, KEY_WRITE],
  sort: [KEY_READ, KEY_WRITE],
  georadius: [KEY_READ, KEY_WRITE],
  georadiusbymember: [KEY_READ, KEY_WRITE],
};

/** Permission bits of commands whose key flags do not depend on their arguments. */
const fixedPerm = new WeakMap<Command, number>();

function keyPerm(cmd: Command, argv: readonly string[]): number {
  const known = fixedPerm.get(cmd);
  if (known !== undefined) return known;
  const perm = permOf(resolvedKeySpecFlags(cmd, argv));
  if (!keySpecFlagsVary(cmd)) fixedPerm.set(cmd, perm);
  return perm;
}

export function keyAccesses(cmd: Command, argv: readonly string[]): KeyAccess[] {
  const positions = commandKeys(cmd, argv);
  const split = FIRST_AND_REST[cmd.fullName];
  if (split !== undefined) {
    return positions.map((pos, i) => ({ pos, perm: i === 0 ? split[0] : split[1] }));
  }
  const perm = keyPerm(cmd, argv);
  return positions.map((pos) => ({ pos, perm }));
}

/** Whether the command names keys at all (doesCommandHaveKeys). */
export function commandHasKeys(cmd: Command): boolean {
  return cmd.firstKey !== 0 || cmd.getKeys !== undefined;
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
