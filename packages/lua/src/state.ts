/**
 * A Lua state: the global table with the base library, the compiler entry point (load) and
 * the instruction-count hook Redis uses for script timeouts.
 */

import { generate } from "./compiler.js";
import { chunkId } from "./lexer.js";
import { openBase } from "./lib/base.js";
import { parse } from "./parser.js";
import * as runtime from "./runtime.js";
import { LuaError, type LuaFunction, LuaTable } from "./value.js";

/** Steps (loop iterations and calls) between two calls of the hook. */
export const HOOK_COUNT = 100000;

const R = { ...runtime, LuaTable };

type Factory = (r: typeof R, state: LuaState, env: LuaTable) => LuaFunction;

export interface LoadOptions {
  /** C-call levels in use when the chunk is loaded (loadstring from Lua code passes 2). */
  baseLevel?: number;
  /** The chunk's environment (default: the state's globals), as a function's setfenv would set it. */
  env?: LuaTable;
}

export class LuaState {
  readonly globals: LuaTable;
  /** Called about every HOOK_COUNT steps while Lua code runs; throwing aborts the script. */
  hook: (() => void) | null = null;
  /** Steps left before the next hook call (decremented by the compiled code). */
  budget = HOOK_COUNT;
  /** Where print() writes (latin1 text, one char per byte). */
  stdout: (text: string) => void = (text) => {
    process.stdout.write(Buffer.from(text, "latin1"));
  };

  constructor() {
    this.globals = new LuaTable();
    openBase(this);
  }

  /** Called by compiled code when the budget runs out. */
  tick(): void {
    this.budget = HOOK_COUNT;
    if (this.hook !== null) this.hook();
  }

  /**
   * luaL_loadbuffer: compiles a chunk into a function running with `globals` as environment.
   * Throws a LuaError whose value is Lua's syntax error message.
   */
  load(source: string, chunkName: string, options: LoadOptions = {}): LuaFunction {
    const chunk = chunkId(chunkName);
    let factory: Factory;
    try {
      const proto = parse(source, chunk, options);
      const code = generate(proto, chunk);
      factory = new Function("R", "$S", "$env", code) as Factory;
    } catch (e) {
      if (e instanceof RangeError) throw new LuaError(`${chunk}: chunk has too many syntax levels`, 0);
      throw e;
    }
    return factory(R, this, options.env ?? this.globals);
  }
}
