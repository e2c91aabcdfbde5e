/**
 * Script flags: the `#!lua flags=...` line of Redis 7.0 scripts (evalExtractShebangFlags), and
 * how declared flags replace EVAL's own command flags for dispatch (scriptFlagsToCmdFlags).
 * A script without a shebang runs in compatibility mode: it may write, and its EVAL is gated
 * like any EVAL.
 */

import { splitInlineArgs } from "@keyhaven/protocol";

export const ScriptFlag = {
  NoWrites: 1,
  AllowOom: 2,
  AllowStale: 4,
  NoCluster: 8,
  AllowCrossSlot: 16,
  /** No shebang: the pre-7.0 behaviour. */
  EvalCompat: 32,
} as const;

export const FLAG_NAMES: Record<string, number> = {
  "no-writes": ScriptFlag.NoWrites,
  "allow-oom": ScriptFlag.AllowOom,
  "allow-stale": ScriptFlag.AllowStale,
  "no-cluster": ScriptFlag.NoCluster,
  "allow-cross-slot-keys": ScriptFlag.AllowCrossSlot,
};

export interface Shebang {
  flags: number;
  /** Bytes of the shebang line (its newline stays, so line numbers are the user's). */
  length: number;
}

/** The script's flags and shebang length, or the error text Redis replies with. */
export function extractShebangFlags(body: string): Shebang | string {
  if (!body.startsWith("#!")) return { flags: ScriptFlag.EvalCompat, length: 0 };
  const end = body.indexOf("\n");
  if (end === -1) return "Invalid script shebang";
  const line = Buffer.from(body.slice(0, end), "latin1");
  const parts = splitInlineArgs(line, 0, line.length);
  if (parts === null || parts.length === 0) return "Invalid engine in script shebang";
  if (parts[0] !== "#!lua") return `Unexpected engine in script shebang: ${parts[0]}`;
  let flags = 0;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (!part.startsWith("flags=")) return `Unknown lua shebang option: ${part}`;
    for (const name of part.slice(6).split(",")) {
      const flag = FLAG_NAMES[name];
      if (flag === undefined) return `Unexpected flag in script shebang: ${name}`;
      flags |= flag;
    }
  }
  return { flags, length: end };
}

/** The command flags dispatch gates a script's EVAL by, when the script declared its flags. */
export interface DeclaredCommandFlags {
  write: boolean;
  denyOom: boolean;
  stale: boolean;
}

export function declaredCommandFlags(scriptFlags: number): DeclaredCommandFlags {
  const noWrites = (scriptFlags & ScriptFlag.NoWrites) !== 0;
  return {
    write: !noWrites,
    // no-writes implies allow-oom.
    denyOom: (scriptFlags & (ScriptFlag.AllowOom | ScriptFlag.NoWrites)) === 0,
    stale: (scriptFlags & ScriptFlag.AllowStale) !== 0,
  };
}
