/**
 * ACL permission checks (ACLCheckAllUserCommandPerm): a command is allowed when one of the
 * user's selectors allows the command, every key it names and every channel it publishes or
 * subscribes to. Otherwise the most relevant denial is reported: a channel before a key before
 * the command, and among equals the one furthest in the arguments.
 */

import { commandHasKeys } from "../commands/key-specs.js";
import type { Command } from "../commands/spec.js";
import { globMatch } from "../util/glob.js";
import { channelAccesses, type KeyAccess, keyAccesses } from "./key-access.js";
import { KEY_READ, type Selector } from "./selector.js";
import type { AclUser } from "./user.js";

/** ACL_OK and ACL_DENIED_*, with Redis's values (their order picks the reported denial). */
export enum AclResult {
  Ok = 0,
  DeniedCommand = 1,
  DeniedKey = 2,
  DeniedAuth = 3,
  DeniedChannel = 4,
}

export interface AclVerdict {
  result: AclResult;
  /** Position in argv of the key or channel denied. */
  pos: number;
}

const OK: AclVerdict = { result: AclResult.Ok, pos: 0 };

function selectorAllowsKey(s: Selector, key: string, perm: number): boolean {
  if (s.allKeys) return true;
  for (const p of s.patterns) {
    if ((p.flags & perm) !== perm) continue;
    if (globMatch(p.pattern, key)) return true;
  }
  return false;
}

/** ACLCheckChannelAgainstList: patterns given to PSUBSCRIBE must equal an allowed pattern. */
export function channelAllowed(patterns: readonly string[], channel: string, isPattern: boolean): boolean {
  for (const p of patterns) {
    if (isPattern ? p === channel : globMatch(p, channel)) return true;
  }
  return false;
}

function selectorAllowsCommand(s: Selector, cmd: Command, argv: readonly string[]): boolean {
  if (s.allCommands || cmd.noAuth || s.allowed[cmd.aclId] === 1) return true;
  const firstArgs = s.firstArgs?.get(cmd.aclId);
  if (firstArgs === undefined || argv.length < 2) return false;
  const arg = argv[cmd.parent !== null ? 2 : 1]?.toLowerCase();
  return firstArgs.some((a) => a.toLowerCase() === arg);
}

function checkSelector(
  s: Selector,
  cmd: Command,
  argv: readonly string[],
  keys: () => KeyAccess[],
): AclVerdict {
  if (!selectorAllowsCommand(s, cmd, argv)) return { result: AclResult.DeniedCommand, pos: 0 };
  if (!s.allKeys && commandHasKeys(cmd)) {
    for (const k of keys()) {
      if (!selectorAllowsKey(s, argv[k.pos], k.perm)) return { result: AclResult.DeniedKey, pos: k.pos };
    }
  }
  if (!s.allChannels) {
    const channels = channelAccesses(cmd, argv);
    if (channels !== null) {
      for (const ch of channels) {
        if (!channelAllowed(s.channels, argv[ch.pos], ch.isPattern))
          return { result: AclResult.DeniedChannel, pos: ch.pos };
      }
    }
  }
  return OK;
}

/** The command's keys, found once and only if a selector needs them (aclKeyResultCache). */
function lazyKeyAccesses(cmd: Command, argv: readonly string[]): () => KeyAccess[] {
  let cached: KeyAccess[] | null = null;
  return () => {
    if (cached === null) cached = keyAccesses(cmd, argv);
    return cached;
  };
}

/** ACLCheckAllUserCommandPerm; a null user (the master link, AOF loading) may run anything. */
export function checkCommand(user: AclUser | null, cmd: Command, argv: readonly string[]): AclVerdict {
  if (user === null || user.unrestricted) return OK;
  const keys = lazyKeyAccesses(cmd, argv);
  let relevant: AclVerdict = { result: AclResult.DeniedCommand, pos: 0 };
  for (const s of user.selectors) {
    const v = checkSelector(s, cmd, argv, keys);
    if (v.result === AclResult.Ok) return OK;
    if (v.result > relevant.result || (v.result === relevant.result && v.pos > relevant.pos)) relevant = v;
  }
  return relevant;
}

/**
 * ACLUserCheckCmdWithUnrestrictedKeyAccess (for reads): one selector allows the command and may
 * read every key (`~*`, `allkeys` or `%R~*`). SORT's BY and GET patterns can name any key.
 */
export function mayReadAnyKey(user: AclUser | null, cmd: Command, argv: readonly string[]): boolean {
  if (user === null || user.unrestricted) return true;
  const keys = lazyKeyAccesses(cmd, argv);
  for (const s of user.selectors) {
    const readsAll = s.allKeys || s.patterns.some((p) => (p.flags & KEY_READ) !== 0 && p.pattern === "*");
    if (readsAll && checkSelector(s, cmd, argv, keys).result === AclResult.Ok) return true;
  }
  return false;
}

/** ACLUserCheckChannelPerm, for a channel the user is already subscribed to. */
export function userMayUseChannel(user: AclUser, channel: string, isPattern: boolean): boolean {
  for (const s of user.selectors) {
    if (s.allChannels || channelAllowed(s.channels, channel, isPattern)) return true;
  }
  return false;
}
