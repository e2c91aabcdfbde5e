/**
 * The string/table/math libraries driven from Lua source: each snippet runs in our LuaState
 * and in lua5.1 and the outcomes must agree.
 */

import { describe, expect, it } from "vitest";
import { HAVE_LUA51, outcome, runLua51 } from "../../test/stdlib-reference.js";
import { LuaState } from "../state.js";
import type { LuaValue } from "../value.js";
import { openMath } from "./math.js";
import { openString } from "./string.js";
import { openTable } from "./table.js";

/** A fresh state with the libraries Redis opens, running `source` as a chunk. */
function run(source: string): LuaValue[] {
  const state = new LuaState();
  openString(state.globals);
  openTable(state.globals);
  openMath(state.globals);
  return state.load(source, "=snippet").call([]);
}

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

describe.skipIf(!HAVE_LUA51)("libraries from Lua source against lua5.1", () => {
  it("snippets agree", () => {
    const expected = runLua51(SNIPPETS);
    SNIPPETS.forEach((src, i) => {
      expect(
        outcome(() => run(`return ${src}`)),
        src,
      ).toBe(expected[i]);
    });
  });
});
