/**
 * The Lua scripting engine behind EVAL/EVALSHA/SCRIPT (Redis 7.0's eval.c and script.c): one
 * Lua state for all clients, the SHA1 -> script cache, and the run context of the script being
 * executed. Scripts see the sandbox Redis builds: the allowed libraries, the `redis` API, and
 * globals that are locked (reading an unknown global or writing any global is an error).
 *
 * A script runs synchronously, start to end, inside the EVAL's execution unit: the commands it
 * calls through redis.call run on the script client with dispatch's `call`, so they propagate
 * one by one and the unit wraps them in MULTI/EXEC, as Redis 7.0 replicates script effects. No
 * other client is served meanwhile (Redis would serve a few commands, like SCRIPT KILL, once a
 * script runs past busy-reply-threshold, which busy-script.ts does here from the Lua hook).
 */

import {
  LuaError,
  type LuaFunction,
  type LuaState,
  LuaTable,
  type LuaValue,
  rawToString,
} from "@keyhaven/lua";
import { shared } from "@keyhaven/protocol";
import { aclErrorMessage } from "../acl/acl.js";
import { AclResult, checkCommand } from "../acl/check.js";
import { atoi, parseInteger } from "../commands/args.js";
import { debugSubcommands } from "../commands/debug.js";
import type { Command } from "../commands/spec.js";
import { call, gates } from "../exec/dispatch.js";
import { PROPAGATE_AOF, PROPAGATE_REPL } from "../exec/propagate.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { perServer } from "../util/per-server.js";
import { type BusyKind, BusyScriptWatch } from "./busy-script.js";
import { errorTable, luaArgsToArgv, normalizeErrorText, replyToLua, writeLuaReply } from "./lua-reply.js";
import { createScriptingState, type RedisApi, sha1hex } from "./lua-sandbox.js";
import { extractShebangFlags, ScriptFlag } from "./shebang.js";

/**
 * DEBUG SET-DISABLE-DENY-SCRIPTS <0|1> (server.script_disable_deny_script): with 1, scripts may
 * call commands flagged noscript. Redis's own tests use it; the flag is process-wide as Redis's is.
 */
let denyScriptDisabled = false;
debugSubcommands.set("set-disable-deny-scripts", (c) => {
  denyScriptDisabled = atoi(c.argv[2]) !== 0;
  c.out.raw(shared.OK);
});

export interface CachedScript {
  fn: LuaFunction;
  flags: number;
}

const RunFlag = {
  ReadOnly: 1,
  AllowOom: 2,
  /** The script already wrote: later commands cannot be refused for server state. */
  WriteDirty: 4,
} as const;

/** scriptRunCtx: the script or function being executed. */
export interface ScriptRun {
  caller: Client;
  /** The script's SHA1 or the function's name (error replies name it). */
  name: string;
  /** EVAL or FCALL: which KILL stops it, and which -BUSY text others get meanwhile. */
  kind: BusyKind;
  flags: number;
  /** redis.set_repl: where this script's writes propagate. */
  replTargets: number;
  /** The OOM state dispatch saw before the EVAL (pre_command_oom_state). */
  oomAtStart: boolean;
}

export class ScriptEngine {
  private readonly server: Server;
  private lua!: LuaState;
  private readonly scripts = new Map<string, CachedScript>();
  /** Bytes of cached bodies and their SHAs (used_memory_scripts_eval's main part). */
  private bodyBytes = 0;
  private run: ScriptRun | null = null;
  /** The client scripts run commands as (Redis's lua_client). */
  readonly client: Client;
  private readonly busy: BusyScriptWatch;

  constructor(server: Server) {
    this.server = server;
    const c = server.createFakeClient();
    // CLIENT_DENY_BLOCKING: a blocking command answers at once, as inside EXEC.
    c.flags |= ClientFlag.Script | ClientFlag.InExec;
    this.client = c;
    this.busy = new BusyScriptWatch(server);
    this.reset();
  }

  get cachedScripts(): number {
    return this.scripts.size;
  }

  /** used_memory_scripts_eval, in the spirit of evalScriptsMemory: bodies, SHAs and entries. */
  get scriptsMemory(): number {
    return this.bodyBytes + this.scripts.size * 64;
  }

  /** The script or function being run (FUNCTION STATS's running_script), or null. */
  get running(): { name: string; argv: readonly string[]; durationMs: number } | null {
    const run = this.run;
    if (run === null) return null;
    return { name: run.name, argv: run.caller.argv, durationMs: this.busy.elapsedMs() };
  }

  /** scriptingReset (SCRIPT FLUSH): a fresh Lua state and an empty cache. */
  reset(): void {
    this.scripts.clear();
    this.bodyBytes = 0;
    const lua = createScriptingState(this.redisApi());
    this.installBusyHook(lua);
    this.lua = lua;
  }

  has(sha: string): boolean {
    return this.scripts.has(sha.toLowerCase());
  }

  /**
   * luaCreateFunction: compiles and caches `body`, returning its SHA1; on a bad shebang or a
   * compile error replies to `c` and returns null.
   */
  createFunction(c: Client, body: string): string | null {
    const sha = sha1hex(body);
    if (this.scripts.has(sha)) return sha;
    const shebang = extractShebangFlags(body);
    if (typeof shebang === "string") {
      c.error(`ERR ${shebang}`);
      return null;
    }
    let fn: LuaFunction;
    try {
      fn = this.lua.load(shebang.length === 0 ? body : body.slice(shebang.length), "@user_script");
    } catch (err) {
      if (!(err instanceof LuaError)) throw err;
      c.error(`ERR Error compiling script (new function): ${describeError(err.value)}`);
      return null;
    }
    this.scripts.set(sha, { fn, flags: shebang.flags });
    this.bodyBytes += body.length + 40;
    return sha;
  }

  /** The cached script an EVAL/EVALSHA argv names, if any (evalGetCommandFlags's lookup). */
  lookup(argv: readonly string[], evalsha: boolean): CachedScript | undefined {
    const ref = argv[1];
    if (evalsha)
      return ref.length === 40 ? (this.scripts.get(ref) ?? this.scripts.get(ref.toLowerCase())) : undefined;
    return this.scripts.get(sha1hex(ref));
  }

  /** evalGenericCommand. */
  eval(c: Client, evalsha: boolean, ro: boolean): void {
    const argv = c.argv;
    const numkeys = numkeysOrReply(c, "ERR value is not an integer or out of range");
    if (numkeys === null) return;
    const sha = evalsha ? argv[1].toLowerCase() : sha1hex(argv[1]);
    let script = this.scripts.get(sha);
    if (script === undefined) {
      if (evalsha || this.createFunction(c, argv[1]) === null) {
        if (evalsha) c.error(NOSCRIPT);
        return;
      }
      script = this.scripts.get(sha)!;
    }
    const run = this.prepareForRun(c, sha, script.flags, ro);
    if (run === null) return;
    // EVAL scripts see KEYS and ARGV as globals (luaCallFunction with the eval flag).
    const globals = this.lua.globals;
    globals.readonly = false;
    globals.set("KEYS", argvTable(argv, 3, 3 + numkeys));
    globals.set("ARGV", argvTable(argv, 3 + numkeys, argv.length));
    globals.readonly = true;
    this.runFunction(run, script.fn, []);
  }

  /**
   * scriptPrepareForRun: the checks the declared flags of a script or function call for, then
   * its run context; null after replying to `c` with why it cannot run. `name` is the script's
   * SHA1 or the function's name. Shared by EVAL and FCALL (functions.ts).
   */
  prepareForRun(
    c: Client,
    name: string,
    scriptFlags: number,
    ro: boolean,
    kind: BusyKind = "eval",
  ): ScriptRun | null {
    const server = this.server;
    const runningStale =
      server.replicaMode &&
      gates.masterLinkDown?.() === true &&
      !server.config.bool("replica-serve-stale-data");
    const obey = mustObeyClient(c);
    const compat = (scriptFlags & ScriptFlag.EvalCompat) !== 0;
    if (!compat) {
      if (runningStale && (scriptFlags & ScriptFlag.AllowStale) === 0) {
        c.error(
          "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.",
        );
        return null;
      }
      if ((scriptFlags & ScriptFlag.NoWrites) === 0) {
        if (server.replicaMode && server.config.bool("replica-read-only") && !obey) {
          c.error("READONLY Can not run script with write flag on readonly replica");
          return null;
        }
        const denied = obey ? null : (gates.writeDeniedReason?.() ?? null);
        if (denied !== null) {
          c.error(scriptMisconfText(denied));
          return null;
        }
        if (ro) {
          c.error("ERR Can not execute a script with write flag using *_ro command.");
          return null;
        }
        if (!server.replicaMode && gates.enoughGoodReplicas !== null && !gates.enoughGoodReplicas()) {
          c.error("NOREPLICAS Not enough good replicas to write.");
          return null;
        }
      }
      if (
        gates.preCommandOom &&
        server.config.num("maxmemory") > 0 &&
        (scriptFlags & (ScriptFlag.AllowOom | ScriptFlag.NoWrites)) === 0
      ) {
        c.error("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
        return null;
      }
    } else if (runningStale) {
      c.error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
      return null;
    }
    let flags = 0;
    if (ro || (!compat && (scriptFlags & ScriptFlag.NoWrites) !== 0)) flags |= RunFlag.ReadOnly;
    if (!compat && (scriptFlags & ScriptFlag.AllowOom) !== 0) flags |= RunFlag.AllowOom;
    return {
      caller: c,
      name,
      kind,
      flags,
      replTargets: PROPAGATE_AOF | PROPAGATE_REPL,
      oomAtStart: gates.preCommandOom,
    };
  }

  /**
   * luaCallFunction: calls `fn` with `args` as the script client, then replies to the caller
   * with its return value or its error (the error handler's text). EVAL passes no arguments
   * (its KEYS/ARGV are globals), FCALL the KEYS and ARGV tables.
   */
  runFunction(run: ScriptRun, fn: LuaFunction, args: LuaValue[]): void {
    const caller = run.caller;
    const sc = this.client;
    sc.db = caller.db;
    sc.out.resp = 2;
    this.run = run;
    this.busy.begin(caller, run.kind, run.name);
    try {
      let result: LuaValue;
      try {
        result = fn.call(args)[0];
      } catch (err) {
        this.replyScriptError(run, err);
        return;
      }
      writeLuaReply(caller, result, sc.out.resp);
    } finally {
      this.run = null;
      this.busy.end();
      sc.out.discard();
      // The script's effects were propagated command by command, never the EVAL itself.
      caller.preventPropagation = true;
    }
  }

  /** The error reply of a failed script, as __redis__err__handler and luaCallFunction build it. */
  private replyScriptError(run: ScriptRun, err: unknown): void {
    const c = run.caller;
    const luaErr = toLuaError(err);
    let message: string;
    let ignoreStats = false;
    const value = luaErr.value;
    if (value instanceof LuaTable && typeof value.get("err") === "string") {
      message = value.get("err") as string;
      ignoreStats = value.get("ignore_error_stats_update") === true;
    } else {
      message = `ERR ${describeError(value)}`;
    }
    let text = message;
    if (luaErr.source !== undefined && luaErr.line >= 0)
      text += ` script: ${run.name}, on ${luaErr.source}:${luaErr.line}.`;
    text = text.replace(/[\r\n]/g, " ");
    if (ignoreStats) c.errorCountedBefore(text);
    else c.error(text);
  }

  /** scriptCall: one command from redis.call/pcall, with the checks scripts are subject to. */
  private scriptCall(args: LuaValue[], raise: boolean): LuaValue[] {
    const run = this.run;
    if (run === null) {
      throw new LuaError(
        errorTable(normalizeErrorText("redis.call/pcall can only be called inside a script invocation")),
      );
    }
    const argv = luaArgsToArgv(args);
    if (typeof argv === "string") {
      const e = errorTable(normalizeErrorText(argv));
      if (raise) throw new LuaError(e);
      return [e];
    }
    const sc = this.client;
    const cmd = this.server.commands.lookup(argv);
    const refusal = this.refusal(run, cmd ?? null, argv);
    if (refusal !== null) {
      if (cmd) cmd.rejectedCalls++;
      this.server.stats.countError(refusal.startsWith("-") ? refusal.slice(1) : `ERR ${refusal}`);
      const e = errorTable(normalizeErrorText(refusal), true);
      if (raise) throw new LuaError(e);
      return [e];
    }
    if (cmd!.isWrite) run.flags |= RunFlag.WriteDirty;
    sc.argv = argv;
    const propagator = this.server.propagator;
    propagator.targetMask = run.replTargets;
    try {
      call(this.server, sc, cmd!);
    } finally {
      propagator.targetMask = PROPAGATE_AOF | PROPAGATE_REPL;
    }
    const bytes = sc.out.takeBuffer();
    // Nothing written is only possible for a command that replies later (none may, here).
    const reply = bytes.length === 0 ? undefined : replyToLua(bytes);
    if (raise && bytes[0] === 45) throw new LuaError(reply);
    return [reply];
  }

  /** The error that keeps a command from running inside the script, or null. */
  private refusal(run: ScriptRun, cmd: Command | null, argv: readonly string[]): string | null {
    if (cmd === null || cmd.handler === undefined) return "Unknown Redis command called from script";
    const argc = argv.length;
    if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity)
      return "Wrong number of args calling Redis command from script";
    if (cmd.noScript && !denyScriptDisabled) return "This Redis command is not allowed from script";
    const server = this.server;
    if (
      server.replicaMode &&
      gates.masterLinkDown?.() === true &&
      !server.config.bool("replica-serve-stale-data") &&
      !cmd.allowStale
    )
      return "Can not execute the command on a stale replica";
    const verdict = checkCommand(run.caller.user, cmd, argv);
    if (verdict.result !== AclResult.Ok) {
      server.acl.logDenial(run.caller, verdict, "lua", cmd, argv);
      return `The user executing the script ${aclErrorMessage(verdict.result)}`;
    }
    const writes = cmd.isWrite || cmd.mayReplicate;
    if ((run.flags & RunFlag.ReadOnly) !== 0 && writes)
      return "Write commands are not allowed from read-only scripts.";
    const obey = mustObeyClient(run.caller);
    if (cmd.isWrite && (run.flags & RunFlag.WriteDirty) === 0) {
      if (server.replicaMode && server.config.bool("replica-read-only") && !obey)
        return "-READONLY You can't write against a read only replica.";
      const denied = gates.writeDeniedReason?.() ?? null;
      if (denied !== null) return `-${denied}`;
      if (!server.replicaMode && gates.enoughGoodReplicas !== null && !gates.enoughGoodReplicas())
        return "-NOREPLICAS Not enough good replicas to write.";
    }
    if (
      (run.flags & (RunFlag.AllowOom | RunFlag.WriteDirty)) === 0 &&
      server.config.num("maxmemory") > 0 &&
      !obey &&
      run.oomAtStart &&
      cmd.denyOom
    )
      return "-OOM command not allowed when used memory > 'maxmemory'.";
    return null;
  }

  /** The hook of a Lua state scripts run in: the busy-script watch (busy-script.ts). */
  installBusyHook(lua: LuaState): void {
    lua.hook = () =>
      this.busy.check(() => {
        lua.budget = 0;
      });
  }

  /**
   * scriptKill: SCRIPT KILL (`isEval`) or FUNCTION KILL, reachable while a slow script serves
   * other clients; each kills only its own kind.
   */
  scriptKill(c: Client, isEval: boolean): void {
    const run = this.run;
    if (run === null) {
      c.error("NOTBUSY No scripts in execution right now.");
      return;
    }
    if (mustObeyClient(run.caller)) {
      c.error(
        "UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.",
      );
      return;
    }
    if ((run.flags & RunFlag.WriteDirty) !== 0) {
      c.error(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
      );
      return;
    }
    if (isEval !== (run.kind === "eval")) {
      c.error(
        `BUSY Redis is busy running a script. You can only call ${run.kind === "eval" ? "SCRIPT" : "FUNCTION"} KILL or SHUTDOWN NOSAVE.`,
      );
      return;
    }
    this.busy.killed = true;
    c.out.raw(shared.OK);
  }

  /** True while a script runs past busy-reply-threshold (SHUTDOWN then needs NOSAVE). */
  get timedOut(): boolean {
    return this.busy.timedOut;
  }

  /**
   * The `redis` table's functions that need the engine (the rest are built by the sandbox).
   * The functions' Lua state gets the same ones: both kinds of script share the run context.
   */
  redisApi(): RedisApi {
    return {
      call: (args) => this.scriptCall(args, true),
      pcall: (args) => this.scriptCall(args, false),
      setResp: (resp) => {
        this.client.out.resp = resp;
      },
      setRepl: (targets) => {
        if (this.run !== null) this.run.replTargets = targets;
      },
      inRun: () => this.run !== null,
      aclCheckCommand: (argv) => {
        const cmd = this.server.commands.lookup(argv);
        if (cmd === null || cmd === undefined || this.run === null) return null;
        return checkCommand(this.run.caller.user, cmd, argv).result === AclResult.Ok;
      },
      log: (level, message) => this.server.logger[level](message),
      logEnabled: (level) => this.server.logger.isLevelEnabled(level),
    };
  }
}

const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

/**
 * The numkeys of EVAL/FCALL (argv[2]), checked against the arguments that follow; null after
 * replying with Redis's error (`notInteger` differs: EVAL's and FCALL's texts are not the same).
 */
export function numkeysOrReply(c: Client, notInteger: string): number | null {
  const argv = c.argv;
  const numkeys = parseInteger(argv[2]);
  if (numkeys === null) {
    c.error(notInteger);
    return null;
  }
  if (numkeys > argv.length - 3) {
    c.error("ERR Number of keys can't be greater than number of args");
    return null;
  }
  if (numkeys < 0) {
    c.error("ERR Number of keys can't be negative");
    return null;
  }
  return numkeys;
}

/** luaCreateArray: argv[from..to) as the list {a, b, ...} (strings are never nil). */
export function argvTable(argv: readonly string[], from: number, to: number): LuaTable {
  const t = new LuaTable();
  for (let i = from; i < to; i++) t.array.push(argv[i]);
  return t;
}

/** Replicas' master link and the AOF loader are obeyed whatever the local state (mustObeyClient). */
function mustObeyClient(c: Client): boolean {
  return c.has(ClientFlag.Master) || c.has(ClientFlag.Fake);
}

/** The MISCONF text scripts get: the command's, with the advice about no-writes scripts. */
function scriptMisconfText(reason: string): string {
  if (reason.includes("RDB"))
    return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.";
  const aofError = /AOF error: (.*)$/.exec(reason)?.[1] ?? "";
  return `MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: ${aofError}`;
}

/** tostring() of an error value, as the error handler's 'ERR ' .. tostring(err). */
function describeError(value: LuaValue): string {
  return rawToString(value);
}

/** Anything thrown while a script runs, as a Lua error (a JS stack overflow is Lua's). */
function toLuaError(err: unknown): LuaError {
  if (err instanceof LuaError) return err;
  if (err instanceof RangeError) return new LuaError("stack overflow");
  throw err;
}

const engines = perServer((server) => new ScriptEngine(server));

/** The server's engine, created by its first script command. */
export function scriptEngine(server: Server): ScriptEngine {
  return engines.of(server);
}

/** The engine if a script command created it (INFO reads it without creating one). */
export function startedScriptEngine(server: Server): ScriptEngine | undefined {
  return engines.started(server);
}
