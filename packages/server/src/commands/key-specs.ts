/**
 * Key specs: where a command's keys are in its arguments and what it does with each, as Redis 7.0
 * describes them (src/commands/*.json; ours are in key-spec-table.ts). A spec first finds where
 * its keys begin (a fixed index, or the argument after a keyword), then which arguments from
 * there are keys (a range, or a count given by an argument). COMMAND INFO prints them, COMMAND
 * GETKEYS and GETKEYSANDFLAGS and the ACL key checks read the keys through them
 * (getKeysFromCommandWithSpecs).
 */

import { atoi, parseInteger } from "./args.js";
import type { Command } from "./spec.js";

export type BeginSearch =
  | { type: "index"; index: number }
  | { type: "keyword"; keyword: string; startfrom: number }
  | { type: "unknown" };

export type FindKeys =
  | { type: "range"; lastkey: number; keystep: number; limit: number }
  | { type: "keynum"; keynumidx: number; firstkey: number; keystep: number }
  | { type: "unknown" };

export interface KeySpec {
  /** RO/RW/OW/RM, access/insert/update/delete, not_key, incomplete, variable_flags. */
  flags: readonly string[];
  notes?: string;
  beginSearch: BeginSearch;
  findKeys: FindKeys;
}

/** A key argument and the flags of the spec that found it. */
export interface KeyRef {
  pos: number;
  flags: readonly string[];
}

export const index = (i: number): BeginSearch => ({ type: "index", index: i });
export const keyword = (word: string, startfrom: number): BeginSearch => ({
  type: "keyword",
  keyword: word,
  startfrom,
});
export const range = (lastkey: number, keystep: number, limit: number): FindKeys => ({
  type: "range",
  lastkey,
  keystep,
  limit,
});
export const keynum = (keynumidx: number, firstkey: number, keystep: number): FindKeys => ({
  type: "keynum",
  keynumidx,
  firstkey,
  keystep,
});
export const UNKNOWN_BEGIN: BeginSearch = { type: "unknown" };
export const UNKNOWN_FIND: FindKeys = { type: "unknown" };

/** A spec from its flags as one space-separated string. */
export function ks(flags: string, beginSearch: BeginSearch, findKeys: FindKeys, notes?: string): KeySpec {
  const spec: KeySpec = { flags: flags.split(" "), beginSearch, findKeys };
  if (notes !== undefined) spec.notes = notes;
  return spec;
}

/** Where a keyword-begun spec's keys start, or 0 when the keyword is absent. */
function keywordStart(begin: { keyword: string; startfrom: number }, argv: readonly string[]): number {
  const argc = argv.length;
  const forward = begin.startfrom > 0;
  const from = forward ? begin.startfrom : argc + begin.startfrom;
  const to = forward ? argc - 1 : 1;
  const word = begin.keyword.toLowerCase();
  for (let i = from; i !== to; i = from <= to ? i + 1 : i - 1) {
    if (i >= argc || i < 1) break;
    if (argv[i].toLowerCase() === word) return i + 1;
  }
  return 0;
}

/**
 * The keys the specs find (getKeysUsingKeySpecs without partial results), or null when a spec
 * cannot be followed (unknown, an unparsable count, positions out of range) or is incomplete:
 * the command's own key finder then decides.
 */
function keysFromSpecs(specs: readonly KeySpec[], argv: readonly string[]): KeyRef[] | null {
  const argc = argv.length;
  const out: KeyRef[] = [];
  for (const spec of specs) {
    if (spec.flags.includes("not_key")) continue;
    let first: number;
    const begin = spec.beginSearch;
    if (begin.type === "index") first = begin.index;
    else if (begin.type === "keyword") {
      first = keywordStart(begin, argv);
      if (first === 0) continue;
    } else return null;
    let last: number;
    let step: number;
    const find = spec.findKeys;
    if (find.type === "range") {
      step = find.keystep;
      if (find.lastkey >= 0) last = first + find.lastkey;
      else if (find.limit === 0) last = argc + find.lastkey;
      else last = first + (Math.floor((argc - first) / find.limit) + find.lastkey);
    } else if (find.type === "keynum") {
      step = find.keystep;
      if (find.keynumidx >= argc) return null;
      const count = parseInteger(argv[first + find.keynumidx] ?? "");
      if (count === null || count < 0) return null;
      first += find.firstkey;
      last = first + count - 1;
    } else return null;
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: spec.flags });
    if (spec.flags.includes("incomplete")) return null;
  }
  return out;
}

/** Key flags commands' own finders give (CommandSpec.foundKeyFlags). */
export const RW_ACCESS_UPDATE: readonly string[] = ["RW", "access", "update"];
export const OW_UPDATE: readonly string[] = ["OW", "update"];
export const RO_ACCESS: readonly string[] = ["RO", "access"];

/**
 * A key finder for commands that count their keys (genericGetKeys): `numkeys` at `numkeysIdx`,
 * that many keys right after it, and the destination at 1 `withDestination`. A count out of
 * range finds no keys, since the command answers it with an error. Redis reads the count with
 * atoi, so "2x" counts 2.
 */
export function numkeysKeys(
  numkeysIdx: number,
  withDestination = false,
): (argv: readonly string[]) => number[] {
  return (argv) => {
    const n = atoi(argv[numkeysIdx] ?? "");
    const first = numkeysIdx + 1;
    if (n < 1 || n > argv.length - first) return [];
    const keys = withDestination ? [1] : [];
    for (let i = 0; i < n; i++) keys.push(first + i);
    return keys;
  };
}

/** The positions of the keys, from the command's own finder or else its first/last/step. */
export function commandKeys(cmd: Command, argv: readonly string[]): number[] {
  if (cmd.getKeys) return cmd.getKeys(argv);
  if (cmd.firstKey === 0) return [];
  const last = cmd.lastKey < 0 ? argv.length + cmd.lastKey : cmd.lastKey;
  const out: number[] = [];
  for (let i = cmd.firstKey; i <= last && i < argv.length; i += cmd.keyStep) out.push(i);
  return out;
}

/** Every key of a call with what it does to it (getKeysFromCommandWithSpecs). */
export function keysWithFlags(cmd: Command, argv: readonly string[]): KeyRef[] {
  if (cmd.keySpecsFirst) {
    const found = keysFromSpecs(cmd.keySpecs, argv);
    if (found !== null) return found;
  }
  if (!cmd.getKeys && !cmd.foundKeyFlags) return [];
  // Flags only from the commands whose specs cannot say, as only Redis's getkeys procs for
  // those give them.
  return commandKeys(cmd, argv).map((pos) => ({ pos, flags: cmd.foundKeyFlags?.(argv, pos) ?? [] }));
}

/**
 * Whether the specs are the first way to the keys: some spec names real keys and none has
 * flags that depend on the arguments.
 */
export function specsFindKeys(specs: readonly KeySpec[]): boolean {
  return (
    specs.some((s) => !s.flags.includes("not_key")) && !specs.some((s) => s.flags.includes("variable_flags"))
  );
}

/** Whether the command may name keys at all (doesCommandHaveKeys). */
export function commandHasKeys(cmd: Command): boolean {
  return cmd.getKeys !== undefined || cmd.keySpecs.some((s) => !s.flags.includes("not_key"));
}

/** COMMAND's movablekeys flag: the keys cannot be found from fixed positions alone. */
export function hasMovableKeys(cmd: Command): boolean {
  return (
    cmd.getKeys !== undefined ||
    cmd.keySpecs.some((s) => s.beginSearch.type !== "index" || s.findKeys.type !== "range")
  );
}
