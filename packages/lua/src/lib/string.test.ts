import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callSource, HAVE_LUA51, outcome, runLua51 } from "../../test/stdlib-reference.js";
import { fixedDigits, formatNumberG, significantDigits } from "../printf.js";
import { LuaFunction, LuaTable, type LuaValue, numberToString as luaNumberToString } from "../value.js";
import { createStringLibrary } from "./string.js";

const lib = createStringLibrary();

function fn(name: string): LuaFunction {
  return lib.get(name) as LuaFunction;
}

function call(name: string, ...args: LuaValue[]): LuaValue[] {
  return fn(name).call(args);
}

type Case = [string, ...LuaValue[]];

/** Compares string.<name>(args) with lua5.1 for every case, in one lua5.1 process. */
function compareWithLua(cases: Case[]): void {
  const expected = runLua51(cases.map(([name, ...args]) => callSource(`string.${name}`, args)));
  const mismatches: string[] = [];
  cases.forEach(([name, ...args], i) => {
    const got = outcome(() => call(name, ...args));
    if (got !== expected[i]) {
      mismatches.push(`${callSource(`string.${name}`, args)}\n  lua5.1: ${expected[i]}\n  ours:   ${got}`);
    }
  });
  expect(mismatches.slice(0, 20).join("\n")).toBe("");
}

describe("string library (direct calls)", () => {
  it("formats like printf", () => {
    expect(call("format", "%5.2f", 3.14158)).toEqual([" 3.14"]);
    expect(call("format", "%.0f %.1f %.0f", 2.5, 0.25, 3.5)).toEqual(["2 0.2 4"]);
    expect(call("format", "%q", 'a\0b\r\n"\\')).toEqual(['"a\\000b\\r\\\n\\"\\\\"']);
    expect(call("format", "%d", 3.99)).toEqual(["3"]);
    expect(call("format", "%x", -1)).toEqual(["ffffffffffffffff"]);
  });

  it("matches patterns", () => {
    expect(call("find", "hello world", "o w")).toEqual([5, 7]);
    expect(call("match", "key=value", "(%w+)=(%w+)")).toEqual(["key", "value"]);
    expect(call("gsub", "hello world", "(%w+)", "<%1>")).toEqual(["<hello> <world>", 2]);
    expect(call("match", "  x", "()x")).toEqual([3]);
    expect(call("find", "THE (quick) fox", "%f[%a]%a+%f[%A]")).toEqual([1, 3]);
    expect(call("match", "f(a(b)c)d", "%b()")).toEqual(["(a(b)c)"]);
  });

  it("iterates with gmatch", () => {
    const it = call("gmatch", "one two  three", "%a+")[0] as LuaFunction;
    const words: LuaValue[] = [];
    for (let r = it.call([]); r.length > 0; r = it.call([])) words.push(r[0]);
    expect(words).toEqual(["one", "two", "three"]);
  });

  it("gsub with table and function replacements", () => {
    const t = new LuaTable();
    t.set("a", "1");
    t.set("b", 2);
    t.set("c", false);
    expect(call("gsub", "abcd", "%a", t)).toEqual(["12cd", 4]);
    const f = new LuaFunction("f", (args) => [args[0] === "b" ? undefined : `[${args[0]}${args[1] ?? ""}]`]);
    expect(call("gsub", "abc", "(%a)", f)).toEqual(["[a]b[c]", 3]);
    expect(() => call("gsub", "abc", "%a", new LuaFunction("g", () => [new LuaTable()]))).toThrow(
      "invalid replacement value (a table)",
    );
  });

  it("reports pattern errors like 5.1", () => {
    expect(() => call("find", "a", "%")).toThrow("malformed pattern (ends with '%')");
    expect(() => call("find", "a", "[a")).toThrow("malformed pattern (missing ']')");
    expect(() => call("find", "a", "(a")).toThrow("unfinished capture");
    expect(() => call("match", "a", "a)")).toThrow("invalid pattern capture");
    expect(() => call("find", "a", "%fa")).toThrow("missing '[' after '%f' in pattern");
    expect(() => call("find", "a", "(".repeat(33))).toThrow("too many captures");
    expect(() => call("match", "a".repeat(10000), "a?".repeat(10000))).toThrow("pattern too complex");
  });

  it("string.dump cannot dump", () => {
    expect(() => call("dump", new LuaFunction("f", () => []))).toThrow("unable to dump given function");
    expect(() => call("dump", 1)).toThrow("bad argument #1 to 'dump' (function expected, got number)");
  });

  it("has the exact glibc rounding helpers", () => {
    expect(fixedDigits(2.5, 0)).toBe("2");
    expect(fixedDigits(0.125, 2)).toBe("0.12");
    expect(fixedDigits(0.375, 2)).toBe("0.38");
    expect(fixedDigits(1e22, 1)).toBe("10000000000000000000000.0");
    expect(significantDigits(2.5, 1)).toEqual(["2", 0]);
    expect(significantDigits(9.5, 1)).toEqual(["1", 1]);
    expect(formatNumberG(0.5, 0)).toBe("0.5");
    expect(luaNumberToString(0.1)).toBe("0.1");
    expect(luaNumberToString(1e100)).toBe("1e+100");
    expect(luaNumberToString(2 ** 53)).toBe("9.007199254741e+15");
    expect(luaNumberToString(-0)).toBe("-0");
    expect(luaNumberToString(100000000000005)).toBe("1e+14"); // an exact tie, rounded to even
  });
});

describe.skipIf(!HAVE_LUA51)("string library against lua5.1", () => {
  it("string.format conversions, flags, widths and errors", () => {
    const cases: Case[] = [];
    const numbers = [
      0,
      -0,
      1,
      -1,
      2.5,
      3.5,
      0.5,
      1.5,
      -2.5,
      0.25,
      0.125,
      1.005,
      123456789,
      1e15,
      1e16,
      1e21,
      1e22,
      1e100,
      -1e-5,
      1e-5,
      0.0001,
      Math.E,
      2 ** 53,
      2 ** 63,
      2 ** 64,
      -(2 ** 63),
      1 / 3,
      5e-324,
      1.7976931348623157e308,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      255,
      65,
      321,
      -191,
      4294967296 + 66,
    ];
    const specs = [
      "%d",
      "%5d",
      "%-5d|",
      "%05d",
      "%+d",
      "% d",
      "%.3d",
      "%.0d",
      "%i",
      "%u",
      "%x",
      "%X",
      "%#x",
      "%#X",
      "%o",
      "%#o",
      "%#.0o",
      "%c",
      "%5c",
      "%-3c|",
      "%e",
      "%E",
      "%.0e",
      "%#.0e",
      "%.3e",
      "%12.4e",
      "%-12.4e|",
      "%+e",
      "%f",
      "%.0f",
      "%#.0f",
      "%.1f",
      "%.2f",
      "%.10f",
      "%20.3f",
      "%-20.3f|",
      "%020.3f",
      "%+.3f",
      "% .3f",
      "%g",
      "%G",
      "%.0g",
      "%.1g",
      "%.3g",
      "%#g",
      "%#.3g",
      "%.14g",
      "%.17g",
      "%.99f",
      "%.99e",
      "%.99g",
      "%99.2f",
      "%+5s",
      "%s",
      "%5.1s|",
      "%q",
    ];
    for (const spec of specs) for (const n of numbers) cases.push(["format", spec, n]);
    const strings = ["", "abc", "a\0b", "x".repeat(100), "x".repeat(99), "\r\n\\\"'\x01\xff", "12"];
    for (const spec of ["%s", "%10s", "%-10s|", "%.2s", "%5.1s", "%q", "%d", "%05s", "%.0s"]) {
      for (const s of strings) cases.push(["format", spec, s]);
    }
    cases.push(
      ["format", "%"],
      ["format", "%", 1],
      ["format", "abc%"],
      ["format", "%y", 1],
      ["format", "%y"],
      ["format", "%5%"],
      ["format", "%%"],
      ["format", "%-----d", 1],
      ["format", "%------d", 1],
      ["format", "%100d", 1],
      ["format", "%1.100f", 1],
      ["format", "%.123f", 1],
      ["format", "%s %s", 1],
      ["format", "%d", "x"],
      ["format", "%d", "0x10"],
      ["format", "%s", undefined],
      ["format", "%s", true],
      ["format", "%d", undefined],
      ["format", "%ld", 1],
      ["format", "%a", 1],
      ["format", "%F", 1],
      ["format", "%n", 1],
      ["format", "a%\0b", 1],
      ["format", 12],
      ["format"],
      ["format", "%5.3s|%-7.2f|%+.3e|%#o|%c%c%c", "abcdef", 2.345, 12345.678, 8, 76, 117, 97],
    );
    compareWithLua(cases);
  });

  it("string.format %g/%f/%e on random doubles", () => {
    const doubles = fc.sample(
      fc.oneof(
        fc.double({ noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.integer({ min: -100000, max: 100000 }).map((i) => i / 8),
        fc.integer({ min: -1000000, max: 1000000 }).map((i) => i / 1000),
        fc.integer({ min: 0, max: 1 << 30 }).map((i) => i * 2 ** -20),
      ),
      { numRuns: 2000, seed: 42 },
    );
    const specs = ["%g", "%.14g", "%.3g", "%f", "%.2f", "%.0f", "%e", "%.3e", "%.0e", "%#.5g", "%.1f"];
    const cases: Case[] = [];
    doubles.forEach((d, i) => {
      cases.push(["format", specs[i % specs.length], d]);
      cases.push(["format", specs[(i * 7 + 3) % specs.length], d]);
    });
    // exact binary ties: i / 2^j has j decimals, the last a 5
    const ties = fc.sample(
      fc.tuple(fc.integer({ min: -2000000, max: 2000000 }), fc.integer({ min: 1, max: 14 }), fc.nat(14)),
      { numRuns: 1500, seed: 5 },
    );
    for (const [i, j, p] of ties) {
      const x = i / 2 ** j;
      cases.push(["format", `%.${j - 1}f`, x], ["format", `%.${p}e`, x], ["format", `%.${p + 1}g`, x]);
    }
    compareWithLua(cases);
  });

  it("byte, char, len, lower, upper, rep, reverse, sub", () => {
    const s = "Hello,\0World\xe9\xff";
    const cases: Case[] = [];
    for (const i of [undefined, 0, 1, 2, -1, -3, 14, 15, 100, -100, 2.7]) {
      for (const j of [undefined, 0, 1, 3, -1, -2, 20, -20]) {
        cases.push(["sub", s, i ?? 1, j], ["byte", s, i, j]);
      }
    }
    cases.push(
      ["sub", s],
      ["sub", 12345, 2, 3],
      ["byte", ""],
      ["char"],
      ["char", 72, 105, 0, 255],
      ["char", 256],
      ["char", -1],
      ["char", "65"],
      ["char", 65.9],
      ["char", "x"],
      ["len", s],
      ["len", 1.5],
      ["len"],
      ["lower", s],
      ["upper", s],
      ["upper", 1e100],
      ["rep", "ab", 3],
      ["rep", "ab", 0],
      ["rep", "ab", -1],
      ["rep", "ab", 2.9],
      ["rep", "", 5],
      ["rep", "ab"],
      ["reverse", s],
      ["reverse", ""],
      ["sub", "abc", "x"],
      ["byte", "abc", 1, 3],
    );
    compareWithLua(cases);
  });

  it("find, match, gsub with many patterns", () => {
    const subjects = [
      "hello world from Lua",
      "  key = value ; k2=v2  ",
      "THE (quick) [brown] fox 123.45e-6 0x1F",
      "aaa",
      "",
      "a\0b\0c",
      "f(a(b)c)d((e)",
      "x=1, y=22, z=333",
      "\t\n\r\x0b\x0c \x7f\x80\xff",
    ];
    const patterns = [
      "o",
      "o w",
      "%a+",
      "%A+",
      "%d+",
      "%D",
      "%l+",
      "%u+",
      "%s+",
      "%S+",
      "%w+",
      "%W",
      "%x+",
      "%p",
      "%c",
      "%z",
      "^%s*(.-)%s*$",
      "(%w+)%s*=%s*(%w+)",
      "()",
      "()a()",
      "(a*(.)%2)",
      "%b()",
      "%b[]",
      "%f[%w]%w+",
      "%f[%W]",
      "%f[%z]",
      "[%a_][%w_]*",
      "[^%s]+",
      "[a-f]+",
      "[%]]",
      "[]]",
      "[^]]",
      "[a-]",
      "[-a]",
      "a-b",
      ".-",
      ".*",
      ".+",
      ".?",
      "a?",
      "a*",
      "a-",
      "a+",
      "$",
      "^",
      "^a",
      "a$",
      "^$",
      "%.",
      "%%",
      "[%.%d]+",
      "(%d)(%d)",
      "%1",
      "(a)%1",
      "((a)(b))",
      "(x=(%d+)), ",
      "[%w%s]+",
      "\0",
      "a\0",
      "%z+",
      "[\0-\x1f]+",
      "(",
      ")",
      "%",
      "[a",
      "[^",
      "%b",
      "%ba",
      "%f",
      "%fa",
      "(()",
      "%2",
      "(a)%2",
      "[%",
      "^(a-)b",
      "(%",
      ".-$",
      "x=(%d+)",
      "%d+%.?%d*[eE]?[+-]?%d*",
      "[+-]?%d",
      "[%a-z]",
      "[!-/]+",
    ];
    const cases: Case[] = [];
    for (const s of subjects) {
      for (const p of patterns) {
        cases.push(["find", s, p], ["match", s, p], ["gsub", s, p, "<%0>"]);
      }
    }
    for (const init of [undefined, 0, 1, -1, -5, 3, 100, -100]) {
      cases.push(
        ["find", "hello hello", "ll", init],
        ["find", "hello hello", "l+", init],
        ["find", "hello hello", "", init],
        ["match", "hello hello", "()", init],
        ["find", "a.b", ".", init, true],
        ["find", "hello", "^h", init],
      );
    }
    cases.push(
      ["gsub", "hello world", "o", "0", 1],
      ["gsub", "hello world", "o", "0", 0],
      ["gsub", "hello world", "o", "0", -1],
      ["gsub", "hello world", "", "-"],
      ["gsub", "hello world", "^", ">"],
      ["gsub", "hello world", "$", "<"],
      ["gsub", "hello", "^h", "H"],
      ["gsub", "hello", "(l)(l)", "%2%1%%%0"],
      ["gsub", "hello", "l", "%9"],
      ["gsub", "hello", "(l)", "%2"],
      ["gsub", "hello", "l", "x%"],
      ["gsub", "hello", "l", "%x"],
      ["gsub", "hello", "()l", "%1"],
      ["gsub", "hello", "l", 5],
      ["gsub", "hello", "l", 1.5],
      ["gsub", "hello", "l"],
      ["gsub", "hello", "l", true],
      ["gsub", "hello", "l", "x", "y"],
      ["gsub", "abc", "%w", "%1"],
      ["gsub", "abc", "", "%1"],
      ["find", "abc", "b", 1, false],
      ["find", "a+b", "+", 1, 1],
      ["find", "a+b", "+"],
      ["find", 12345, 34],
      ["match", 12345, "(%d)(%d)"],
      ["find"],
      ["find", "x"],
      ["match", "x", "x", "y"],
      ["gfind", "x", "x"],
    );
    compareWithLua(cases);
  });

  it("find and gsub on random subjects and patterns", () => {
    const alphabet = fc.constantFrom(..."ab(%).[]^$*+-?%dla\0 ".split(""));
    const subj = fc.constantFrom(..."aab b(a)cd.1 2\0".split(""));
    const sample = fc.sample(
      fc.tuple(fc.array(subj, { maxLength: 12 }), fc.array(alphabet, { maxLength: 8 })),
      { numRuns: 1500, seed: 7 },
    );
    const cases: Case[] = [];
    for (const [s, p] of sample) {
      cases.push(["find", s.join(""), p.join("")], ["gsub", s.join(""), p.join(""), "[%0]"]);
    }
    compareWithLua(cases);
  });

  it("gmatch over patterns", () => {
    const setup = `
      function collect(s, p)
        local out = {}
        for a, b in string.gmatch(s, p) do out[#out + 1] = tostring(a) .. "/" .. tostring(b) end
        return table.concat(out, ",")
      end`;
    const ours = (s: string, p: string): LuaValue[] => {
      const it = call("gmatch", s, p)[0] as LuaFunction;
      const out: string[] = [];
      for (let r = it.call([]); r.length > 0; r = it.call([])) {
        const a = r[0];
        const b = r[1];
        out.push(
          `${typeof a === "number" ? luaNumberToString(a) : String(a ?? "nil")}/${typeof b === "number" ? luaNumberToString(b) : String(b ?? "nil")}`,
        );
      }
      return [out.join(",")];
    };
    const pairs: [string, string][] = [
      ["one two three", "%a+"],
      ["k=v, k2=v2", "(%w+)=(%w+)"],
      ["abc", ""],
      ["abc", "()"],
      ["^a^a", "^a"],
      ["aaa", "a*"],
      ["a,b,,c", "([^,]*)"],
      ["x", "("],
    ];
    const expected = runLua51(
      pairs.map(([s, p]) => `collect(${JSON.stringify(s)}, ${JSON.stringify(p)})`),
      setup,
    );
    pairs.forEach(([s, p], i) => {
      expect(
        outcome(() => ours(s, p)),
        `${s} ${p}`,
      ).toBe(expected[i]);
    });
  });
});
