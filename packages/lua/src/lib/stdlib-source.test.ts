/**
 * The string/table/math libraries driven from Lua source, once the interpreter (src/state.ts)
 * exists: each snippet runs in our LuaState and in lua5.1 and the outcomes must agree. Skipped
 * while there is no interpreter.
 */

import { describe, expect, it } from "vitest";
import { HAVE_LUA51, outcome, runLua51 } from "../../test/stdlib-reference.js";
import type { LuaValue } from "../value.js";

type Runner = (source: string) => LuaValue[];

async function loadRunner(): Promise<Runner | undefined> {
  try {
    const path = "../state.js";
    // biome-ignore lint/suspicious/noExplicitAny: the interpreter's module may not exist yet
    const mod: any = await import(/* @vite-ignore */ path);
    if (typeof mod.LuaState !== "function") return undefined;
    const probe = new mod.LuaState();
    if (probe.load("return string and table and math", "=probe").call([])[0] === undefined) return undefined;
    return (source) => new mod.LuaState().load(source, "=snippet").call([]);
  } catch {
    return undefined;
  }
}

const runner = await loadRunner();

const SNIPPETS = [
  `("%5.2f|%d|%q"):format(3.14158, 7, "a\\0b")`,
  `("hello world"):gsub("o", {o = "0"})`,
  `("hello world"):gsub("(%w+)", function(w) return w:upper() end)`,
  `string.rep("ab", 3, "ignored")`,
  `(function() local t = {} for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do t[#t + 1] = k .. v end return table.concat(t, ";") end)()`,
  `(function() local t = {5, 2, 8, 1, 9, 3} table.sort(t, function(a, b) return a > b end) return table.concat(t, ",") end)()`,
  `(function() local t = {"b", "a", "c"} table.sort(t) return table.concat(t) end)()`,
  `(function() local t = {1, 2, 3} table.insert(t, 2, 9) return table.concat(t, ","), table.remove(t), #t end)()`,
  `math.floor(-3.5), math.max(1, 9, 3), math.fmod(7, -3), math.huge, -math.huge`,
  `pcall(string.rep)`,
  `pcall(table.sort, {1, "x", 2})`,
  `select("#", string.byte("abc", 1, -1))`,
  `tostring(1e15), tostring(0.1), tostring(-0), tostring(2^63), 1/3`,
];

describe.skipIf(runner === undefined || !HAVE_LUA51)("libraries from Lua source against lua5.1", () => {
  it("snippets agree", () => {
    const expected = runLua51(SNIPPETS);
    SNIPPETS.forEach((src, i) => {
      expect(
        outcome(() => (runner as Runner)(`return ${src}`)),
        src,
      ).toBe(expected[i]);
    });
  });
});
