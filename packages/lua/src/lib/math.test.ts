import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callSource,
  HAVE_LUA51,
  HAVE_REDIS,
  outcome,
  RedisProcess,
  runLua51,
} from "../../test/stdlib-reference.js";
import { type LuaFunction, LuaTable, type LuaValue, numberToString as luaNumberToString } from "../value.js";
import { createMathLibrary, frexp, ldexp, openMath, RedisRand48 } from "./math.js";

const lib = createMathLibrary(new RedisRand48());

function call(name: string, ...args: LuaValue[]): LuaValue[] {
  return (lib.get(name) as LuaFunction).call(args);
}

describe("math library (direct calls)", () => {
  it("has 5.1's functions and constants", () => {
    expect(call("floor", -0.5)).toEqual([-1]);
    expect(call("max", 1, 5, 3)).toEqual([5]);
    expect(call("fmod", -7, 3)).toEqual([-1]);
    expect(lib.get("mod")).toBe(lib.get("fmod"));
    expect(lib.get("huge")).toBe(Number.POSITIVE_INFINITY);
    expect(call("modf", -3.5)).toEqual([-3, -0.5]);
    expect(Object.is(call("modf", -3)[1], -0)).toBe(true);
    expect(call("pow", 1, Number.NaN)).toEqual([1]);
    expect(() => call("max")).toThrow("bad argument #1 to 'max' (number expected, got no value)");
  });

  it("frexp and ldexp round-trip, subnormals included", () => {
    for (const x of [1, 0.5, 3, -1024.75, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]) {
      const [m, e] = frexp(x);
      expect(Math.abs(m) >= 0.5 && Math.abs(m) < 1).toBe(true);
      expect(ldexp(m, e)).toBe(x);
    }
    expect(ldexp(1, 1024)).toBe(Number.POSITIVE_INFINITY);
    expect(ldexp(1, -1074)).toBe(5e-324);
    expect(ldexp(1, -1075)).toBe(0);
    expect(ldexp(3, -1075)).toBe(1e-323); // 1.5 ulp rounds to even once
  });

  it("random follows Redis's rand48 from its startup state", () => {
    const rng = new RedisRand48();
    const m = createMathLibrary(rng);
    const random = m.get("random") as LuaFunction;
    const seq = [1, 2, 3, 4, 5].map(() => random.call([1000000])[0]);
    expect(seq).toEqual([396465, 840486, 353337, 446584, 318693]);
    (m.get("randomseed") as LuaFunction).call([7]);
    expect([1, 2].map(() => random.call([1000000])[0])).toEqual([266445, 682036]);
    expect(() => random.call([0])).toThrow("bad argument #1 to 'random' (interval is empty)");
    expect(() => random.call([3, 2])).toThrow("bad argument #2 to 'random' (interval is empty)");
    expect(() => random.call([1, 2, 3])).toThrow("wrong number of arguments");
  });

  it("openMath sets the global", () => {
    const g = new LuaTable();
    openMath(g);
    expect(g.get("math")).toBeInstanceOf(LuaTable);
  });
});

describe.skipIf(!HAVE_LUA51)("math library against lua5.1", () => {
  it("every function on edge and random values", () => {
    const values: number[] = [
      0,
      -0,
      1,
      -1,
      0.5,
      -0.5,
      2.5,
      -2.5,
      3,
      10,
      100,
      1e-300,
      5e-324,
      1e300,
      1.7976931348623157e308,
      Math.PI,
      Math.E,
      0.1,
      1 / 3,
      2 ** 53 + 2,
      -(2 ** 60),
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      ...fc.sample(fc.double({ min: -1000, max: 1000, noNaN: true }), { numRuns: 40, seed: 11 }),
    ];
    const unary = [
      "abs",
      "ceil",
      "floor",
      "sqrt",
      "deg",
      "rad",
      "frexp",
      "modf",
      "exp",
      "log",
      "log10",
      "sin",
      "cos",
      "tan",
      "asin",
      "acos",
      "atan",
      "sinh",
      "cosh",
      "tanh",
    ];
    const binary = ["fmod", "mod", "pow", "atan2", "max", "min", "ldexp"];
    const cases: [string, LuaValue[]][] = [];
    for (const f of unary) for (const v of values) cases.push([f, [v]]);
    const small = values.slice(0, 24);
    for (const f of binary) for (const a of small) for (const b of small) cases.push([f, [a, b]]);
    cases.push(
      ["max", []],
      ["min", [1, "2", 0.5]],
      ["max", [1, "x"]],
      ["floor", ["3.7"]],
      ["ldexp", [1, 1e10]],
      ["ldexp", [0.75, 2.9]],
      ["frexp", [1e-310]],
      ["abs", []],
      ["pow", [-8, 1 / 3]],
      ["log", [8, 2]],
    );
    const expected = runLua51(cases.map(([f, args]) => callSource(`math.${f}`, args)));
    // Transcendental functions may differ from glibc in the last bit; compare them at the
    // precision Lua prints (%.14g) and everything else exactly.
    const exact = new Set([
      "abs",
      "ceil",
      "floor",
      "sqrt",
      "frexp",
      "modf",
      "fmod",
      "mod",
      "max",
      "min",
      "ldexp",
    ]);
    const mismatches: string[] = [];
    cases.forEach(([f, args], i) => {
      const ours = outcome(() => (lib.get(f) as LuaFunction).call(args));
      let theirs = expected[i];
      let mine = ours;
      if (!exact.has(f)) {
        const round = (s: string) =>
          s.replace(/n:([^|]+)/g, (_m, t: string) => {
            const n = Number(t);
            return `n:${Number.isNaN(n) ? t : luaNumberToString(n)}`;
          });
        theirs = round(theirs);
        mine = round(mine);
      }
      if (mine !== theirs)
        mismatches.push(`${callSource(`math.${f}`, args)}\n  lua5.1: ${theirs}\n  ours:   ${mine}`);
    });
    expect(mismatches.slice(0, 20).join("\n")).toBe("");
  });
});

describe.skipIf(!HAVE_REDIS)("math.random and string.format against redis-server", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterAll(() => redis?.stop());

  it("random/randomseed: one process-wide sequence, never reseeded per EVAL", () => {
    const rng = new RedisRand48();
    const m = createMathLibrary(rng);
    const random = m.get("random") as LuaFunction;
    const randomseed = m.get("randomseed") as LuaFunction;
    const script =
      "local t = {} for i = 1, 5 do t[#t+1] = tostring(math.random()) end " +
      "for i = 1, 5 do t[#t+1] = tostring(math.random(10)) end " +
      "for i = 1, 5 do t[#t+1] = tostring(math.random(-3, 3)) end " +
      "t[#t+1] = tostring(math.random(-2147483648, 2147483647)) " +
      "return table.concat(t, ' ')";
    const ours = (): string => {
      const t: string[] = [];
      for (let i = 0; i < 5; i++) t.push(luaNumberToString(random.call([])[0] as number));
      for (let i = 0; i < 5; i++) t.push(luaNumberToString(random.call([10])[0] as number));
      for (let i = 0; i < 5; i++) t.push(luaNumberToString(random.call([-3, 3])[0] as number));
      t.push(luaNumberToString(random.call([-2147483648, 2147483647])[0] as number));
      return t.join(" ");
    };
    // A fresh server starts from rand.c's initial state, and EVALs continue one sequence.
    expect(redis.eval(script)).toBe(ours());
    expect(redis.eval(script)).toBe(ours());
    for (const seed of [0, 1, 42, -1, 2 ** 31, 123456789.9, 2 ** 40 + 5]) {
      const seeded = redis.eval(`math.randomseed(${seed}) ${script}`);
      randomseed.call([seed]);
      expect(seeded, `seed ${seed}`).toBe(ours());
    }
    expect(redis.eval(script)).toBe(ours());
  });

  it("string.format and tostring like Redis's Lua", () => {
    const cases: [string, ...LuaValue[]][] = [
      ["%5.1f|%.0f|%.1f|%g|%.14g|%e", 3.14158, 2.5, 0.25, 1e20, 0.1, 12345.6789],
      ["%d|%x|%X|%o|%c|%q", 3.99, 255, -1, 8, 65, 'a\0b\r\n"\\'],
      ["%-10s|%10.3s|%05d|%+.3e|%#x", "abc", "abcdef", -42, 1e-300, 0],
    ];
    for (const [fmt, ...args] of cases) {
      const src = `return ${callSource("string.format", [fmt, ...args])}`;
      const expected = outcome(() => [redis.eval(src)]);
      const lua = HAVE_LUA51 ? runLua51([callSource("string.format", [fmt, ...args])])[0] : expected;
      expect(lua).toBe(expected);
    }
  });
});
