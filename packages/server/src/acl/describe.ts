/**
 * Users and selectors described as rules (ACL LIST, ACL GETUSER, ACL SAVE, CONFIG REWRITE), as
 * acl.c's ACLDescribeUser does. Command permissions are kept as bits, not as the rules given,
 * so Redis 7.0 rebuilds rules from the bits: start from +@all or -@all, apply the categories that
 * fit best one at a time, then fix the remaining differences command by command. A fake
 * selector tracks what the rules emitted so far allow.
 */

import type { Command } from "../commands/spec.js";
import { ACL_CATEGORIES, type AclCatalog } from "./catalog.js";
import { KEY_ALL, KEY_READ, type KeyPattern, Selector } from "./selector.js";
import { type AclUser, Sanitize } from "./user.js";

function categoryCounts(s: Selector, catalog: AclCatalog, bit: number): [on: number, off: number] {
  let on = 0;
  let off = 0;
  const { commands, categories } = catalog;
  for (let i = 0; i < commands.length; i++) {
    if ((categories[i] & bit) === 0) continue;
    if (s.allowed[commands[i].aclId] === 1) on++;
    else off++;
  }
  return [on, off];
}

function describeSingleCommands(
  s: Selector,
  fake: Selector,
  commands: Iterable<Command>,
  rules: string[],
): void {
  for (const cmd of commands) {
    const userBit = s.allowed[cmd.aclId] === 1;
    if (userBit !== (fake.allowed[cmd.aclId] === 1)) {
      rules.push(`${userBit ? "+" : "-"}${cmd.fullName}`);
      fake.changePermission(cmd, userBit);
    }
    if (cmd.subcommandMap !== null) describeSingleCommands(s, fake, cmd.subcommandMap.values(), rules);
    const firstArgs = s.firstArgs?.get(cmd.aclId);
    if (!userBit && firstArgs !== undefined)
      for (const arg of firstArgs) rules.push(`+${cmd.fullName}|${arg}`);
  }
}

/** ACLDescribeSelectorCommandRules. */
export function describeCommandRules(s: Selector, catalog: AclCatalog, topLevel: Iterable<Command>): string {
  const additive = !s.futureCommands;
  const start = additive ? "-@all" : "+@all";
  const rules = [start];
  const fake = new Selector(catalog, false, false);
  fake.apply(start);
  const remaining = new Selector(catalog, false, false);
  remaining.allowed.set(s.allowed);
  const applied = new Set<number>();
  for (;;) {
    let best = -1;
    let minDiff = Number.MAX_SAFE_INTEGER;
    let maxSame = 0;
    for (let j = 0; j < ACL_CATEGORIES.length; j++) {
      if (applied.has(j)) continue;
      const [on, off] = categoryCounts(remaining, catalog, 1 << j);
      const diff = additive ? off : on;
      const same = additive ? on : off;
      if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
        best = j;
        minDiff = diff;
        maxSame = same;
      }
    }
    if (best < 0) break;
    rules.push(`${additive ? "+" : "-"}@${ACL_CATEGORIES[best]}`);
    fake.setCategory(1 << best, additive);
    remaining.setCategory(1 << best, !additive);
    applied.add(best);
  }
  describeSingleCommands(s, fake, topLevel, rules);
  return rules.join(" ");
}

function patternString(p: KeyPattern): string {
  if (p.flags === KEY_ALL) return `~${p.pattern}`;
  return `${p.flags === KEY_READ ? "%R~" : "%W~"}${p.pattern}`;
}

/** The `keys` field of ACL GETUSER. */
export function describeKeys(s: Selector): string {
  return s.allKeys ? "~*" : s.patterns.map(patternString).join(" ");
}

/** The `channels` field of ACL GETUSER. */
export function describeChannels(s: Selector): string {
  return s.allChannels ? "&*" : s.channels.map((c) => `&${c}`).join(" ");
}

/** ACLDescribeSelector: keys, channels, then command rules. */
export function describeSelector(s: Selector, catalog: AclCatalog, topLevel: Iterable<Command>): string {
  const parts: string[] = [];
  if (s.allKeys) parts.push("~*");
  else for (const p of s.patterns) parts.push(patternString(p));
  if (s.allChannels) parts.push("&*");
  else {
    parts.push("resetchannels");
    for (const c of s.channels) parts.push(`&${c}`);
  }
  parts.push(describeCommandRules(s, catalog, topLevel));
  return parts.join(" ");
}

/** The flags ACL GETUSER lists, in ACLUserFlags's order. */
export function userFlags(u: AclUser): string[] {
  const flags = [u.enabled ? "on" : "off"];
  if (u.nopass) flags.push("nopass");
  if (u.sanitize === Sanitize.Skip) flags.push("skip-sanitize-payload");
  if (u.sanitize === Sanitize.Always) flags.push("sanitize-payload");
  return flags;
}

/** ACLDescribeUser: the rules that recreate the user (without its name). */
export function describeUser(u: AclUser, catalog: AclCatalog, topLevel: () => Iterable<Command>): string {
  const parts = [...userFlags(u), ...u.passwords.map((h) => `#${h}`)];
  parts.push(describeSelector(u.root, catalog, topLevel()));
  let text = parts.join(" ");
  for (const s of u.selectors.slice(1)) text += ` (${describeSelector(s, catalog, topLevel())})`;
  return text;
}
