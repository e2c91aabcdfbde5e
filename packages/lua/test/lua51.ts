/**
 * Test helpers: run a snippet through our interpreter and through the reference `lua5.1`
 * (skipped where it is not installed), both printing the same way.
 */

import { spawnSync } from "node:child_process";
import { openMath } from "../src/lib/math.js";
import { openString } from "../src/lib/string.js";
import { openTable } from "../src/lib/table.js";
import { LuaState } from "../src/state.js";
import { LuaError } from "../src/value.js";

export const hasLua51 = spawnSync("lua5.1", ["-v"], { encoding: "latin1" }).status === 0;

/** Loads `src` as chunk "=input" (as loadstring would), runs it, reports errors as lua5.1's harness does. */
export function runOurs(src: string, setup?: (state: LuaState) => void): string {
  const state = new LuaState();
  let out = "";
  state.stdout = (text) => {
    out += text;
  };
  openString(state.globals);
  openTable(state.globals);
  openMath(state.globals);
  setup?.(state);
  let fn: ReturnType<LuaState["load"]>;
  try {
    fn = state.load(src, "=input", { baseLevel: 2 });
  } catch (e) {
    if (e instanceof LuaError) return `${out}SYNTAX: ${String(e.value)}\n`;
    throw e;
  }
  try {
    fn.call([]);
  } catch (e) {
    if (e instanceof LuaError) {
      const v = e.value;
      return `${out}ERROR: ${typeof v === "string" ? v : typeof v === "number" ? String(v) : "<object>"}\n`;
    }
    throw e;
  }
  return out;
}

const HARNESS = `
local src = io.read("*a")
local f, err = loadstring(src, "=input")
if not f then print("SYNTAX: " .. err) else
  local ok, e = pcall(f)
  if not ok then
    local t = type(e)
    print("ERROR: " .. ((t == "string" or t == "number") and tostring(e) or "<object>"))
  end
end`;

export function runReference(src: string): string {
  const r = spawnSync("lua5.1", ["-e", HARNESS], { input: Buffer.from(src, "latin1"), timeout: 10000 });
  if (r.error) throw r.error;
  return r.stdout.toString("latin1") + r.stderr.toString("latin1");
}
