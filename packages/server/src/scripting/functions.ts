/**
 * Redis 7.0 functions (functions.c and function_lua.c): the one Lua engine ("LUA"), its own
 * Lua state, and the server's current library context.
 *
 * The state is built as luaEngineInitEngine builds it: the sandbox EVAL scripts get (the same
 * allow-listed globals, `redis` API and read-only tables), but code runs with an empty,
 * read-only globals table whose metatable's __index points at either
 *   - the library API while a library loads: only `redis` with register_function, log, the
 *     LOG_* levels and the version fields; anything else (redis.call, math, error...) is a
 *     nonexistent global, or
 *   - the real globals while a function runs (KEYS and ARGV are arguments, not globals).
 * Loading runs the library's top level under a 500 ms budget (LOAD_TIMEOUT_MS), checked by
 * the instruction-count hook.
 *
 * Functions run through the EVAL engine's run machinery (engine.ts prepareForRun/runFunction):
 * the same script client, redis.call checks, effects propagation and error replies.
 */

import {
  LuaError,
  LuaFunction,
  type LuaState,
  LuaTable,
  type LuaValue,
  rawToString,
  toStringCoerce,
} from "@keyhaven/lua";
import type { Client } from "../network/client.js";
import type { Server } from "../server.js";
import { perServer } from "../util/per-server.js";
import { argvTable, numkeysOrReply, type ScriptEngine, scriptEngine } from "./engine.js";
import {
  BAD_NAME,
  extractLibMetadata,
  type FunctionInfo,
  type FunctionLibrary,
  LibraryContext,
  verifyName,
} from "./function-library.js";
import { errorTable, normalizeErrorText } from "./lua-reply.js";
import { createScriptingState } from "./lua-sandbox.js";
import { FLAG_NAMES } from "./shebang.js";

/** The engine's registered name, as FUNCTION LIST and STATS show it. */
export const LUA_ENGINE_NAME = "LUA";
/** LOAD_TIMEOUT_MS: a library's top level only registers functions; 500 ms is plenty. */
const LOAD_TIMEOUT_MS = 500;

/** The outcome of creating a library: its name, or the error text (without "ERR "). */
export type CreateResult = { ok: true; name: string } | { ok: false; error: string };

export class FunctionsEngine {
  private readonly engine: ScriptEngine;
  private readonly lua: LuaState;
  /** What code sees as globals: empty, read-only, resolved through `envMeta.__index`. */
  private readonly env: LuaTable;
  private readonly envMeta: LuaTable;
  private readonly globalsApi: LuaTable;
  private readonly libraryApi: LuaTable;
  /** The library whose top level is running (loadCtx), or null. */
  private loading: FunctionLibrary | null = null;
  /** functionsLibCtx of the server. */
  current = new LibraryContext();

  constructor(server: Server) {
    this.engine = scriptEngine(server);
    this.lua = createScriptingState(this.engine.redisApi());
    this.engine.installBusyHook(this.lua);
    this.globalsApi = this.lua.globals;
    const errorMeta = this.globalsApi.metatable;
    const realRedis = this.globalsApi.get("redis") as LuaTable;

    const redis = new LuaTable();
    redis.set(
      "register_function",
      new LuaFunction("register_function", (args) => this.registerFunction(args)),
    );
    for (const key of [
      "log",
      "LOG_DEBUG",
      "LOG_VERBOSE",
      "LOG_NOTICE",
      "LOG_WARNING",
      "REDIS_VERSION",
      "REDIS_VERSION_NUM",
    ])
      redis.set(key, realRedis.get(key));
    redis.metatable = errorMeta;
    redis.readonly = true;
    const api = new LuaTable();
    api.set("redis", redis);
    api.metatable = errorMeta;
    api.readonly = true;
    this.libraryApi = api;

    this.envMeta = new LuaTable();
    this.envMeta.set("__index", this.globalsApi);
    this.envMeta.readonly = true;
    this.env = new LuaTable();
    this.env.metatable = this.envMeta;
    this.env.readonly = true;
  }

  get libraryCount(): number {
    return this.current.libraries.size;
  }

  get functionCount(): number {
    return this.current.functions.size;
  }

  /** The code of every library, for RDB saves, FUNCTION DUMP and AOF rewrites. */
  libraryCodes(): string[] {
    const codes: string[] = [];
    for (const li of this.current.libraries.values()) codes.push(li.code);
    return codes;
  }

  /**
   * functionsCreateWithLibraryCtx: compiles `code` and runs its top level, then links the new
   * library into `ctx` (replacing a library of the same name when `replace`). On any error
   * `ctx` is unchanged.
   */
  create(code: string, replace: boolean, ctx: LibraryContext = this.current): CreateResult {
    const md = extractLibMetadata(code);
    if (typeof md === "string") return { ok: false, error: md };
    if (!verifyName(md.name)) return { ok: false, error: BAD_NAME };
    if (md.engine.toUpperCase() !== LUA_ENGINE_NAME)
      return { ok: false, error: `Engine '${md.engine}' not found` };
    const old = ctx.libraries.get(md.name);
    if (old !== undefined && !replace) return { ok: false, error: `Library '${md.name}' already exists` };
    const li: FunctionLibrary = { name: md.name, engine: LUA_ENGINE_NAME, code, functions: new Map() };
    const error = this.runLibrary(li, md.body);
    if (error !== null) return { ok: false, error };
    if (li.functions.size === 0) return { ok: false, error: "No functions registered" };
    if (old !== undefined) ctx.unlink(old);
    const clash = ctx.collision(li);
    if (clash !== undefined) {
      if (old !== undefined) ctx.link(old);
      return { ok: false, error: `Function ${clash.name} already exists` };
    }
    ctx.link(li);
    return { ok: true, name: md.name };
  }

  /** luaEngineCreate: compiles the body and runs it with the library API as its globals. */
  private runLibrary(li: FunctionLibrary, body: string): string | null {
    let chunk: LuaFunction;
    try {
      chunk = this.lua.load(body, "@user_function", { env: this.env });
    } catch (err) {
      if (!(err instanceof LuaError)) throw err;
      return `Error compiling function: ${rawToString(err.value)}`;
    }
    const lua = this.lua;
    const started = performance.now();
    let timedOut = false;
    lua.hook = () => {
      if (!timedOut && performance.now() - started <= LOAD_TIMEOUT_MS) return;
      timedOut = true;
      // Keeps failing at the next steps too, so a pcall in the library cannot swallow it.
      lua.budget = 1;
      throw new LuaError(errorTable("ERR FUNCTION LOAD timeout"));
    };
    this.setGlobalsIndex(this.libraryApi);
    this.loading = li;
    try {
      chunk.call([]);
      return null;
    } catch (err) {
      return `Error registering functions: ${extractErrorMessage(err)}`;
    } finally {
      this.loading = null;
      this.setGlobalsIndex(this.globalsApi);
      this.engine.installBusyHook(lua);
    }
  }

  private setGlobalsIndex(table: LuaTable): void {
    this.envMeta.readonly = false;
    this.envMeta.set("__index", table);
    this.envMeta.readonly = true;
  }

  /** luaRegisterFunction: redis.register_function(name, callback) or the named-arguments table. */
  private registerFunction(args: LuaValue[]): LuaValue[] {
    const li = this.loading;
    if (li === null) raise("redis.register_function can only be called on FUNCTION LOAD command");
    if (args.length < 1 || args.length > 2) raise("wrong number of arguments to redis.register_function");
    let name: string;
    let fn: LuaFunction;
    let description: string | null = null;
    let flags = 0;
    if (args.length === 2) {
      const n = toStringCoerce(args[0]);
      if (n === undefined) raise("first argument to redis.register_function must be a string");
      if (!(args[1] instanceof LuaFunction))
        raise("second argument to redis.register_function must be a function");
      name = n;
      fn = args[1];
    } else {
      const named = readNamedArgs(args[0]);
      name = named.name;
      fn = named.fn;
      description = named.description;
      flags = named.flags;
    }
    // functionLibCreateFunction.
    if (!verifyName(name)) raise(BAD_NAME);
    if (li.functions.has(name)) raise("Function already exists in the library");
    const fi: FunctionInfo = { name, fn, description, flags, library: li };
    li.functions.set(name, fi);
    return [];
  }

  /** fcallCommandGeneric. */
  fcall(c: Client, ro: boolean): void {
    const argv = c.argv;
    const fi = this.current.lookupFunction(argv[1]);
    if (fi === undefined) {
      c.error("ERR Function not found");
      return;
    }
    const numkeys = numkeysOrReply(c, "ERR Bad number of keys provided");
    if (numkeys === null) return;
    const engine = this.engine;
    const run = engine.prepareForRun(c, fi.name, fi.flags, ro, "function");
    if (run === null) return;
    engine.runFunction(run, fi.fn, [
      argvTable(argv, 3, 3 + numkeys),
      argvTable(argv, 3 + numkeys, argv.length),
    ]);
  }

  /** The function FCALL would run, for dispatch's flag gates (fcallGetCommandFlags). */
  lookup(name: string): FunctionInfo | undefined {
    return this.current.lookupFunction(name);
  }

  /** functionsLibCtxSwapWithCurrent: `ctx` becomes the server's libraries. */
  swap(ctx: LibraryContext): void {
    this.current = ctx;
  }

  /**
   * used_memory_vm_functions: the Lua state's memory. JS cannot measure one state's heap, so
   * this is an estimate in Redis's units: the empty state's 32 KB plus the compiled code.
   */
  get vmMemory(): number {
    let code = 0;
    for (const li of this.current.libraries.values()) code += li.code.length;
    const estimate =
      32768 + 4096 * this.current.libraries.size + 1024 * this.current.functions.size + code * 8;
    return Math.ceil(estimate / 1024) * 1024;
  }

  /** used_memory_functions (functionsMemoryOverhead): dicts, contexts and cache_memory. */
  get overheadMemory(): number {
    const n = this.current.functions.size;
    let slots = 0;
    if (n > 0) slots = Math.max(4, 2 ** Math.ceil(Math.log2(n)));
    return 184 + n * 24 + slots * 8 + this.current.cacheMemory;
  }
}

/** luaRegisterFunctionReadNamedArgs. */
function readNamedArgs(arg: LuaValue): {
  name: string;
  fn: LuaFunction;
  description: string | null;
  flags: number;
} {
  if (!(arg instanceof LuaTable))
    raise(
      "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
    );
  let name: string | null = null;
  let description: string | null = null;
  let fn: LuaFunction | null = null;
  let flags = 0;
  for (let e = arg.next(undefined); e !== undefined; e = arg.next(e[0])) {
    const [k, v] = e;
    if (typeof k !== "string" && typeof k !== "number")
      raise("named argument key given to redis.register_function is not a string");
    const key = toStringCoerce(k)!.toLowerCase();
    if (key === "function_name") {
      const s = toStringCoerce(v);
      if (s === undefined) raise("function_name argument given to redis.register_function must be a string");
      name = s;
    } else if (key === "description") {
      const s = toStringCoerce(v);
      if (s === undefined) raise("description argument given to redis.register_function must be a string");
      description = s;
    } else if (key === "callback") {
      if (!(v instanceof LuaFunction))
        raise("callback argument given to redis.register_function must be a function");
      fn = v;
    } else if (key === "flags") {
      if (!(v instanceof LuaTable))
        raise("flags argument to redis.register_function must be a table representing function flags");
      const f = readFlags(v);
      if (f === null) raise("unknown flag given");
      flags = f;
    } else {
      raise("unknown argument given to redis.register_function");
    }
  }
  if (name === null) raise("redis.register_function must get a function name argument");
  if (fn === null) raise("redis.register_function must get a callback argument");
  return { name, fn, description, flags };
}

/** luaRegisterFunctionReadFlags: t[1], t[2]... until nil, each a flag name in any case. */
function readFlags(t: LuaTable): number | null {
  let flags = 0;
  for (let i = 1; ; i++) {
    const v = t.get(i);
    if (v === undefined) return flags;
    if (typeof v !== "string" && typeof v !== "number") return null;
    const flag = FLAG_NAMES[String(toStringCoerce(v)).toLowerCase()];
    if (flag === undefined) return null;
    flags |= flag;
  }
}

/** luaPushError + lua_error: the error as a Redis error table. */
function raise(message: string): never {
  throw new LuaError(errorTable(normalizeErrorText(message)));
}

/** luaExtractErrorInformation's message: an error table's err, or "ERR " + the error string. */
function extractErrorMessage(err: unknown): string {
  if (err instanceof RangeError) return "ERR stack overflow";
  if (!(err instanceof LuaError)) throw err;
  const value = err.value;
  if (value instanceof LuaTable) {
    const e = value.get("err");
    if (typeof e === "string") return e;
  }
  return `ERR ${rawToString(value)}`;
}

const engines = perServer((server) => new FunctionsEngine(server));

/** The server's functions engine, created on first use (like the EVAL engine). */
export function functionsEngine(server: Server): FunctionsEngine {
  return engines.of(server);
}

/** The engine if something created it (INFO and saves read it without creating one). */
export function startedFunctionsEngine(server: Server): FunctionsEngine | undefined {
  return engines.started(server);
}

/** Every library's code, without creating the engine (RDB saves, AOF rewrites). */
export function libraryCodes(server: Server): string[] {
  return engines.started(server)?.libraryCodes() ?? [];
}
