/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (eval.c's commands); the engine that runs the
 * scripts is scripting/engine.ts. EVAL's keys are the `numkeys` arguments after the script, and
 * a script's `#!lua flags=` line replaces EVAL's flags for dispatch's gates.
 */

import { shared } from "@keyhaven/protocol";
import { gates } from "../exec/dispatch.js";
import type { Client } from "../network/client.js";
import { scriptEngine } from "../scripting/engine.js";
import { declaredCommandFlags, extractShebangFlags, ScriptFlag } from "../scripting/shebang.js";
import { helpReply } from "./common.js";
import { numkeysKeys } from "./key-specs.js";
import {
  type CommandHandler,
  type CommandSpec,
  container,
  type DeclaredFlags,
  helpSpec,
  spec,
} from "./spec.js";

function evalFamily(evalsha: boolean, ro: boolean): (c: Client) => void {
  return (c) => {
    // EVAL is skip_monitor so that MONITOR shows it before the commands its script runs.
    gates.feedMonitors?.(c, c.argv);
    if (evalsha && c.argv[1].length !== 40) {
      c.error("NOSCRIPT No matching script. Please use EVAL.");
      return;
    }
    scriptEngine(c.server).eval(c, evalsha, ro);
  };
}

/** evalGetCommandFlags: a cached or inline script's declared flags, when it has a shebang. */
function evalDeclaredFlags(evalsha: boolean): (c: Client) => DeclaredFlags | null {
  return (c) => {
    // A body without a shebang runs in compatibility mode whether cached or not: no SHA1 here.
    if (!evalsha && !c.argv[1].startsWith("#!")) return null;
    const script = scriptEngine(c.server).lookup(c.argv, evalsha);
    let flags: number;
    if (script !== undefined) flags = script.flags;
    else if (evalsha || !c.argv[1].startsWith("#!")) return null;
    else {
      const parsed = extractShebangFlags(c.argv[1]);
      if (typeof parsed === "string") return null;
      flags = parsed.flags;
    }
    return (flags & ScriptFlag.EvalCompat) !== 0 ? null : declaredCommandFlags(flags);
  };
}

function scriptLoadCommand(c: Client): void {
  const sha = scriptEngine(c.server).createFunction(c, c.argv[2]);
  if (sha !== null) c.out.bulk(sha);
}

function scriptExistsCommand(c: Client): void {
  const engine = scriptEngine(c.server);
  const argv = c.argv;
  c.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.out.integer(engine.has(argv[i]) ? 1 : 0);
}

function scriptFlushCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 3 || (argv.length === 3 && !/^(a?sync)$/i.test(argv[2]))) {
    c.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  // ASYNC frees the old state in the background in Redis; here the collector does that anyway.
  scriptEngine(c.server).reset();
  c.out.raw(shared.OK);
}

function scriptKillCommand(c: Client): void {
  scriptEngine(c.server).scriptKill(c, true);
}

const SCRIPT_HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
  "HELP",
  "    Prints this help.",
];

/**
 * The spec EVAL, EVALSHA, FCALL and their _RO variants share: numkeys at 2, keys after it, and
 * flags that a script's or function's declared flags replace for one call.
 */
export function scriptRunSpec(
  name: string,
  ro: boolean,
  summary: string,
  since: string,
  handler: CommandHandler,
  declaredFlags: (c: Client) => DeclaredFlags | null,
): CommandSpec {
  return spec(
    name,
    -3,
    `${ro ? "readonly " : ""}noscript stale skip_monitor no_mandatory_keys`,
    [0, 0, 0],
    "scripting",
    summary,
    since,
    handler,
    {
      getKeys: numkeysKeys(2),
      acl: ["slow", "scripting"],
      declaredFlags,
    },
  );
}

function evalSpec(name: string, evalsha: boolean, ro: boolean, summary: string, since: string): CommandSpec {
  return scriptRunSpec(name, ro, summary, since, evalFamily(evalsha, ro), evalDeclaredFlags(evalsha));
}

export const scriptingCommands = [
  evalSpec("eval", false, false, "Execute a Lua script server side", "2.6.0"),
  evalSpec("evalsha", true, false, "Execute a Lua script server side", "2.6.0"),
  evalSpec("eval_ro", false, true, "Execute a read-only Lua script server side", "7.0.0"),
  evalSpec("evalsha_ro", true, true, "Execute a read-only Lua script server side", "7.0.0"),
  container("script", -2, "scripting", "A container for Lua scripts management commands", "2.6.0", [
    spec(
      "load",
      3,
      "noscript stale",
      [0, 0, 0],
      "scripting",
      "Load the specified Lua script into the script cache.",
      "2.6.0",
      scriptLoadCommand,
      { acl: ["slow", "scripting"] },
    ),
    spec(
      "exists",
      -3,
      "noscript",
      [0, 0, 0],
      "scripting",
      "Check existence of scripts in the script cache.",
      "2.6.0",
      scriptExistsCommand,
      { acl: ["slow", "scripting"] },
    ),
    spec(
      "flush",
      -2,
      "noscript",
      [0, 0, 0],
      "scripting",
      "Remove all the scripts from the script cache.",
      "2.6.0",
      scriptFlushCommand,
      { acl: ["slow", "scripting"] },
    ),
    spec(
      "kill",
      2,
      "noscript allow_busy",
      [0, 0, 0],
      "scripting",
      "Kill the script currently in execution.",
      "2.6.0",
      scriptKillCommand,
      { acl: ["slow", "scripting"] },
    ),
    helpSpec("scripting", "5.0.0", (c) => helpReply(c, SCRIPT_HELP)),
  ]),
] satisfies CommandSpec[];
