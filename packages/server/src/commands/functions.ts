/**
 * FCALL, FCALL_RO and FUNCTION (functions.c's commands); the engine is scripting/functions.ts.
 * FCALL's keys are the `numkeys` arguments after the function name, and the function's flags
 * replace FCALL's own for dispatch's gates (fcallGetCommandFlags). FUNCTION LOAD, DELETE, FLUSH
 * and RESTORE change the dataset (server.dirty), so they propagate to the AOF and replicas as
 * sent, as Redis propagates them.
 */

import { createFunctionsDumpPayload, parseFunctionsDumpPayload, shared } from "@keyhaven/protocol";
import { gates } from "../exec/dispatch.js";
import type { Client } from "../network/client.js";
import { scriptEngine } from "../scripting/engine.js";
import { LibraryContext } from "../scripting/function-library.js";
import { functionsEngine, LUA_ENGINE_NAME } from "../scripting/functions.js";
import { declaredCommandFlags, FLAG_NAMES } from "../scripting/shebang.js";
import { globMatch } from "../util/glob.js";
import { helpReply, subcommandSyntaxError } from "./common.js";
import { scriptRunSpec } from "./scripting.js";
import { type CommandSpec, container, type DeclaredFlags, spec } from "./spec.js";

function fcallFamily(ro: boolean): (c: Client) => void {
  return (c) => {
    // FCALL is skip_monitor so that MONITOR shows it before the commands its function runs.
    gates.feedMonitors?.(c, c.argv);
    functionsEngine(c.server).fcall(c, ro);
  };
}

function fcallDeclaredFlags(c: Client): DeclaredFlags | null {
  const fi = functionsEngine(c.server).lookup(c.argv[1]);
  return fi === undefined ? null : declaredCommandFlags(fi.flags);
}

/** FUNCTION LOAD [REPLACE] <code> */
function functionLoadCommand(c: Client): void {
  const argv = c.argv;
  let replace = false;
  let pos = 2;
  while (pos < argv.length - 1) {
    const arg = argv[pos++];
    if (arg.toLowerCase() === "replace") {
      replace = true;
      continue;
    }
    c.error(`ERR Unknown option given: ${arg}`);
    return;
  }
  if (pos >= argv.length) {
    c.error("ERR Function code is missing");
    return;
  }
  const result = functionsEngine(c.server).create(argv[pos], replace);
  if (!result.ok) {
    c.error(`ERR ${result.error}`);
    return;
  }
  c.server.dirty++;
  c.out.bulk(result.name);
}

/** FUNCTION DELETE <library> */
function functionDeleteCommand(c: Client): void {
  const ctx = functionsEngine(c.server).current;
  const li = ctx.libraries.get(c.argv[2]);
  if (li === undefined) {
    c.error("ERR Library not found");
    return;
  }
  ctx.unlink(li);
  c.server.dirty++;
  c.out.raw(shared.OK);
}

/** FUNCTION FLUSH [ASYNC|SYNC]: the collector frees the old libraries either way. */
function functionFlushCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 3) {
    subcommandSyntaxError(c);
    return;
  }
  if (argv.length === 3 && !/^(a?sync)$/i.test(argv[2])) {
    c.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  functionsEngine(c.server).swap(new LibraryContext());
  c.server.dirty++;
  c.out.raw(shared.OK);
}

/** FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] */
function functionListCommand(c: Client): void {
  const argv = c.argv;
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    if (!withCode && arg === "withcode") {
      withCode = true;
      continue;
    }
    if (pattern === null && arg === "libraryname") {
      if (i >= argv.length - 1) {
        c.error("ERR library name argument was not given");
        return;
      }
      pattern = argv[++i];
      continue;
    }
    c.error(`ERR Unknown argument ${argv[i]}`);
    return;
  }
  const libraries = [...functionsEngine(c.server).current.libraries.values()].filter(
    (li) => pattern === null || globMatch(pattern, li.name, true),
  );
  const out = c.out;
  out.arrayHeader(libraries.length);
  for (const li of libraries) {
    out.mapHeader(withCode ? 4 : 3);
    out.bulk("library_name");
    out.bulk(li.name);
    out.bulk("engine");
    out.bulk(li.engine);
    out.bulk("functions");
    out.arrayHeader(li.functions.size);
    for (const fi of li.functions.values()) {
      out.mapHeader(3);
      out.bulk("name");
      out.bulk(fi.name);
      out.bulk("description");
      if (fi.description === null) out.nullBulk();
      else out.bulk(fi.description);
      out.bulk("flags");
      const names = Object.entries(FLAG_NAMES).filter(([, bit]) => (fi.flags & bit) !== 0);
      out.setHeader(names.length);
      for (const [name] of names) out.simple(name);
    }
    if (withCode) {
      out.bulk("library_code");
      out.bulk(li.code);
    }
  }
}

/**
 * FUNCTION STATS. A script can only be running when this is served by a slow script's hook
 * (busy-script.ts): then its name, command and duration.
 */
function functionStatsCommand(c: Client): void {
  const engine = functionsEngine(c.server);
  const out = c.out;
  out.mapHeader(2);
  out.bulk("running_script");
  const running = scriptEngine(c.server).running;
  if (running === null) {
    out.nullBulk();
  } else {
    out.mapHeader(3);
    out.bulk("name");
    out.bulk(running.name);
    out.bulk("command");
    out.arrayHeader(running.argv.length);
    for (const a of running.argv) out.bulk(a);
    out.bulk("duration_ms");
    out.integer(running.durationMs);
  }
  out.bulk("engines");
  out.mapHeader(1);
  out.bulk(LUA_ENGINE_NAME);
  out.mapHeader(2);
  out.bulk("libraries_count");
  out.integer(engine.libraryCount);
  out.bulk("functions_count");
  out.integer(engine.functionCount);
}

/** FUNCTION KILL: stops a slow function that has not written (engine.ts scriptKill). */
function functionKillCommand(c: Client): void {
  scriptEngine(c.server).scriptKill(c, false);
}

/** FUNCTION DUMP */
function functionDumpCommand(c: Client): void {
  const codes = functionsEngine(c.server).libraryCodes();
  const payload = createFunctionsDumpPayload(codes, c.server.config.bool("rdbcompression"));
  c.out.bulk(payload.toString("latin1"));
}

/** FUNCTION RESTORE <payload> [FLUSH|APPEND|REPLACE] */
function functionRestoreCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 4) {
    subcommandSyntaxError(c);
    return;
  }
  let policy = "append";
  if (argv.length === 4) {
    policy = argv[3].toLowerCase();
    if (policy !== "append" && policy !== "replace" && policy !== "flush") {
      c.error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  // verifyDumpPayload, as RESTORE: DEBUG SET-SKIP-CHECKSUM-VALIDATION skips the CRC check.
  const parsed = parseFunctionsDumpPayload(Buffer.from(argv[2], "latin1"), c.server.skipChecksumValidation);
  if (!parsed.ok) {
    c.error(`ERR ${parsed.error}`);
    return;
  }
  const engine = functionsEngine(c.server);
  const ctx = new LibraryContext();
  for (const code of parsed.codes) {
    const result = engine.create(code, false, ctx);
    if (!result.ok) {
      c.error(`ERR ${result.error}`);
      return;
    }
  }
  if (policy === "flush") {
    engine.swap(ctx);
  } else {
    const error = engine.current.join(ctx, policy === "replace");
    if (error !== null) {
      c.error(`ERR ${error}`);
      return;
    }
  }
  c.server.dirty++;
  c.out.raw(shared.OK);
}

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];

function fcallSpec(name: string, ro: boolean): CommandSpec {
  return scriptRunSpec(
    name,
    ro,
    ro ? "Invoke a read-only function" : "Invoke a function",
    "7.0.0",
    fcallFamily(ro),
    fcallDeclaredFlags,
  );
}

function sub(
  name: string,
  arity: number,
  flags: string,
  summary: string,
  handler: (c: Client) => void,
  write = false,
): CommandSpec {
  return spec(name, arity, flags, [0, 0, 0], "scripting", summary, "7.0.0", handler, {
    acl: write ? ["write", "slow", "scripting"] : ["slow", "scripting"],
  });
}

export const functionCommands = [
  fcallSpec("fcall", false),
  fcallSpec("fcall_ro", true),
  container("function", -2, "scripting", "A container for function commands", "7.0.0", [
    sub(
      "load",
      -3,
      "write denyoom noscript",
      "Create a function with the given arguments (name, code, description)",
      functionLoadCommand,
      true,
    ),
    sub("delete", 3, "write noscript", "Delete a function by name", functionDeleteCommand, true),
    sub("flush", -2, "write noscript", "Deleting all functions", functionFlushCommand, true),
    sub("list", -2, "noscript", "List information about all the functions", functionListCommand),
    sub(
      "stats",
      2,
      "noscript allow_busy",
      "Return information about the function currently running (name, description, duration)",
      functionStatsCommand,
    ),
    sub("kill", 2, "noscript allow_busy", "Kill the function currently in execution.", functionKillCommand),
    sub("dump", 2, "noscript", "Dump all functions into a serialized binary payload", functionDumpCommand),
    sub(
      "restore",
      -3,
      "write denyoom noscript",
      "Restore all the functions on the given payload",
      functionRestoreCommand,
      true,
    ),
    sub("help", 2, "loading stale", "Show helpful text about the different subcommands", (c) =>
      helpReply(c, FUNCTION_HELP),
    ),
  ]),
] satisfies CommandSpec[];
