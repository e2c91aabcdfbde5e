/** The LuaState API the Redis integration uses: load, errors, the hook, recursion limits. */

import { describe, expect, it } from "vitest";
import { LuaState } from "../src/state.js";
import { LuaError, LuaFunction, LuaTable } from "../src/value.js";

function errorOf(fn: () => unknown): LuaError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LuaError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("LuaState", () => {
  it("compiles and runs a chunk with globals as its environment", () => {
    const L = new LuaState();
    L.globals.set("KEYS", LuaTable.fromArray(["a", "b"]));
    const f = L.load("x = #KEYS return KEYS[2], ...", "@user_script");
    expect(f.call([1, 2])).toEqual(["b", 1, 2]);
    expect(L.globals.get("x")).toBe(2);
  });

  it("reports syntax errors with the chunk name", () => {
    const L = new LuaState();
    expect(errorOf(() => L.load("x", "@user_script")).value).toBe("user_script:1: '=' expected near '<eof>'");
    expect(errorOf(() => L.load("x = = 1", "=x")).value).toBe("x:1: unexpected symbol near '='");
    expect(errorOf(() => L.load("return +", "return +")).value).toBe(
      `[string "return +"]:1: unexpected symbol near '+'`,
    );
  });

  it("gives runtime errors their position and keeps error objects untouched", () => {
    const L = new LuaState();
    expect(errorOf(() => L.load("\nlocal t = nil\nreturn t.x", "@user_script").call([])).value).toBe(
      "user_script:3: attempt to index local 't' (a nil value)",
    );
    const t = new LuaTable();
    L.globals.set("obj", t);
    expect(errorOf(() => L.load("error(obj)", "@user_script").call([])).value).toBe(t);
    L.globals.set(
      "fail",
      new LuaFunction("fail", () => {
        throw new LuaError("from the host", 1);
      }),
    );
    expect(errorOf(() => L.load("local a = 1\nfail()", "@s").call([])).value).toBe("s:2: from the host");
  });

  it("turns deep recursion into a catchable stack overflow", () => {
    const L = new LuaState();
    const f = L.load(
      "local function f(n) return 1 + f(n + 1) end local ok, e = pcall(f, 1) return ok, e",
      "@user_script",
    );
    const [ok, e] = f.call([]);
    expect(ok).toBe(false);
    expect(e).toMatch(/^user_script:1: stack overflow$/);
    const g = L.load("local function g() return 1 + g() end return g()", "@user_script");
    expect(errorOf(() => g.call([])).value).toMatch(/stack overflow/);
  });

  it("calls the hook while scripts run, and an exception from it aborts the script", () => {
    const L = new LuaState();
    let calls = 0;
    L.hook = () => {
      calls++;
      if (calls === 3) throw new Error("timeout");
    };
    const f = L.load("while true do end", "@user_script");
    expect(() => f.call([])).toThrow("timeout");
    expect(calls).toBe(3);
    // A non-Lua exception passes through pcall.
    calls = 0;
    const g = L.load(
      "local function spin() local x = 0 while true do x = x + 1 end end return pcall(spin)",
      "@s",
    );
    expect(() => g.call([])).toThrow("timeout");
    // Calls count as steps too.
    calls = 0;
    const h = L.load(
      "local function r(n) if n > 0 then return r(n - 1) end end for i = 1, 1e9 do r(10) end",
      "@s",
    );
    expect(() => h.call([])).toThrow("timeout");
  });

  it("supports setfenv/getfenv on Lua functions", () => {
    const L = new LuaState();
    const f = L.load(
      "local function f() return y end local env = {y = 'inner'} setfenv(f, env) return f(), getfenv(f) == env, y",
      "@s",
    );
    expect(f.call([])).toEqual(["inner", true, undefined]);
  });

  it("runs closures created in loops with their own variables", () => {
    const L = new LuaState();
    const f = L.load(
      "local r = {} for i = 1, 3 do local j = i * 10 r[i] = function() j = j + 1 return i, j end end return r[1](), r[1](), r[3]()",
      "@s",
    );
    expect(f.call([])).toEqual([1, 1, 3, 31]);
  });
});
