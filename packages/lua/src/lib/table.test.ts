import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HAVE_LUA51, lit, outcome, runLua51 } from "../../test/stdlib-reference.js";
import {
  LuaError,
  LuaFunction,
  LuaTable,
  type LuaValue,
  numberToString as luaNumberToString,
  typeName,
} from "../value.js";
import { createTableLibrary } from "./table.js";

const lib = createTableLibrary();

function call(name: string, ...args: LuaValue[]): LuaValue[] {
  return (lib.get(name) as LuaFunction).call(args);
}

/** The table's 1..maxn values joined by commas, as the Lua side's ser() prints them. */
function ser(t: LuaTable): string {
  const max = call("maxn", t)[0] as number;
  const out: string[] = [];
  for (let i = 1; i <= max; i++) {
    const v = t.get(i);
    out.push(typeof v === "number" ? luaNumberToString(v) : String(v ?? "nil"));
  }
  return out.join(",");
}

const LUA_SETUP = `
function ser(t)
  local o = {}
  for i = 1, table.maxn(t) do o[i] = tostring(t[i]) end
  return table.concat(o, ",")
end
comps = {
  lt = function(a, b) return a < b end,
  le = function(a, b) return a <= b end,
  gt = function(a, b) return a > b end,
  key = function(a, b) return math.floor(a / 1000) < math.floor(b / 1000) end,
  keyle = function(a, b) return math.floor(a / 1000) <= math.floor(b / 1000) end,
  weird = function(a, b) return (a * 7 + b * 13) % 5 < 2 end,
  always = function(a, b) return true end,
  never = function(a, b) return false end,
}
function sorted(kind, ...)
  local t = {...}
  table.sort(t, comps[kind])
  return ser(t)
end
function edit(op, arr, ...)
  local r = {op(arr, ...)}
  return ser(arr), unpack(r)
end
`;

/** The comparators of LUA_SETUP, failing on nil arguments with the same messages. */
function compare(a: LuaValue, b: LuaValue): [number, number] {
  if (typeof a === "number" && typeof b === "number") return [a, b];
  throw new LuaError(`attempt to compare ${typeName(a)} with ${typeName(b)}`, 1);
}

function arith(a: LuaValue, b: LuaValue): [number, number] {
  if (typeof a !== "number")
    throw new LuaError("attempt to perform arithmetic on local 'a' (a nil value)", 1);
  if (typeof b !== "number")
    throw new LuaError("attempt to perform arithmetic on local 'b' (a nil value)", 1);
  return [a, b];
}

const comps: Record<string, ((a: LuaValue, b: LuaValue) => boolean) | undefined> = {
  lt: (a, b) => {
    const [x, y] = compare(a, b);
    return x < y;
  },
  le: (a, b) => {
    const [x, y] = compare(a, b);
    return x <= y;
  },
  gt: (a, b) => {
    const [y, x] = compare(b, a);
    return x > y;
  },
  key: (a, b) => {
    const [x, y] = arith(a, b);
    return Math.floor(x / 1000) < Math.floor(y / 1000);
  },
  keyle: (a, b) => {
    const [x, y] = arith(a, b);
    return Math.floor(x / 1000) <= Math.floor(y / 1000);
  },
  weird: (a, b) => {
    const [x, y] = arith(a, b);
    return (x * 7 + y * 13) % 5 < 2;
  },
  always: () => true,
  never: () => false,
};

function compFunction(kind: string): LuaFunction | undefined {
  const f = comps[kind];
  if (f === undefined) return undefined;
  return new LuaFunction("comp", (args) => [f(args[0], args[1])]);
}

function oursSorted(kind: string, values: LuaValue[]): LuaValue[] {
  const t = LuaTable.fromArray(values);
  const comp = compFunction(kind);
  call("sort", t, ...(comp === undefined ? [] : [comp]));
  return [ser(t)];
}

describe("table library (direct calls)", () => {
  it("sorts, inserts, removes, concatenates", () => {
    const t = LuaTable.fromArray([3, 1, 2]);
    call("sort", t);
    expect(ser(t)).toBe("1,2,3");
    call("insert", t, 4);
    call("insert", t, 1, 0);
    expect(ser(t)).toBe("0,1,2,3,4");
    expect(call("remove", t)).toEqual([4]);
    expect(call("remove", t, 1)).toEqual([0]);
    expect(call("concat", t, "-")).toEqual(["1-2-3"]);
    expect(call("remove", new LuaTable())).toEqual([]);
    expect(() => call("insert", t, 1, 2, 3)).toThrow("wrong number of arguments to 'insert'");
    expect(() => call("setn", t, 1)).toThrow("'setn' is obsolete");
    expect(() => call("concat", LuaTable.fromArray([1, new LuaTable()]))).toThrow(
      "invalid value (table) at index 2 in table for 'concat'",
    );
  });

  it("sort's compare errors carry no position (raised inside the C function)", () => {
    try {
      call("sort", LuaTable.fromArray([1, "x", 3]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LuaError);
      expect((e as LuaError).value).toBe("attempt to compare string with number");
      expect((e as LuaError).level).toBe(0);
    }
  });
});

describe.skipIf(!HAVE_LUA51)("table library against lua5.1", () => {
  it("sort orders exactly as 5.1's quicksort (ties, non-strict and inconsistent comparators)", () => {
    const arrays = fc.sample(
      fc.oneof(
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 150 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 90, maxLength: 130 }),
      ),
      { numRuns: 300, seed: 3 },
    );
    const kinds = ["default", "lt", "le", "gt", "key", "keyle", "weird", "always", "never"];
    const cases: { kind: string; values: number[] }[] = [];
    arrays.forEach((values, i) => {
      cases.push({ kind: kinds[i % kinds.length], values });
      // ids that tie on the key: the order of equal keys shows the algorithm
      cases.push({ kind: i % 2 === 0 ? "key" : "keyle", values: values.map((v, j) => (v % 7) * 1000 + j) });
    });
    cases.push({ kind: "default", values: [] }, { kind: "le", values: [1, 1, 1, 1, 1] });
    const expected = runLua51(
      cases.map(({ kind, values }) => `sorted(${lit(kind)}${values.map((v) => `, ${v}`).join("")})`),
      LUA_SETUP,
    );
    const mismatches: string[] = [];
    cases.forEach(({ kind, values }, i) => {
      const got = outcome(() => oursSorted(kind, values));
      if (got !== expected[i])
        mismatches.push(`${kind} [${values}]\n  lua5.1: ${expected[i]}\n  ours:   ${got}`);
    });
    expect(mismatches.slice(0, 10).join("\n")).toBe("");
  });

  it("sort of mixed types and bad comparators", () => {
    const cases: [string, LuaValue[], string][] = [
      ["default", [1, "x", 3], `table.sort({1, "x", 3})`],
      ["default", ["b", "a", "c", "B"], `table.sort({"b", "a", "c", "B"})`],
      ["default", [true, false], `table.sort({true, false})`],
    ];
    const expected = runLua51(
      cases.map(
        ([, , src]) => `(function() local t = ${src.slice(11, -1)} table.sort(t) return ser(t) end)()`,
      ),
      LUA_SETUP,
    );
    cases.forEach(([kind, values], i) => {
      expect(outcome(() => oursSorted(kind, values))).toBe(expected[i]);
    });
    const t = LuaTable.fromArray([1, 2]);
    expect(() => call("sort", t, new LuaTable())).toThrow(
      "bad argument #2 to 'sort' (function expected, got table)",
    );
  });

  it("insert, remove, concat, maxn, getn, foreach, foreachi", () => {
    const base = [10, 20, 30, 40];
    type EditCase = { src: string; ours: () => LuaValue[] };
    const cases: EditCase[] = [];
    const arr = () => LuaTable.fromArray(base);
    const arrSrc = `{${base.join(", ")}}`;
    for (const pos of [-1, 0, 1, 2, 4, 5, 6, 9, 2.5]) {
      cases.push({
        src: `edit(table.insert, ${arrSrc}, ${pos}, "v")`,
        ours: () => {
          const t = arr();
          const r = call("insert", t, pos, "v");
          return [ser(t), ...r];
        },
      });
      cases.push({
        src: `edit(table.remove, ${arrSrc}, ${pos})`,
        ours: () => {
          const t = arr();
          const r = call("remove", t, pos);
          return [ser(t), ...r];
        },
      });
    }
    const concatArgs: LuaValue[][] = [
      [],
      [", "],
      ["", 2],
      ["-", 2, 3],
      ["-", 3, 2],
      ["-", 0, 2],
      ["-", 1, 5],
      ["-", 4, 4],
      [1, 1, 2],
    ];
    for (const a of concatArgs) {
      cases.push({
        src: `table.concat({1, 2.5, "x", 1e100}${a.map((v) => `, ${lit(v)}`).join("")})`,
        ours: () => call("concat", LuaTable.fromArray([1, 2.5, "x", 1e100]), ...a),
      });
    }
    cases.push(
      { src: `table.concat({}, {})`, ours: () => call("concat", new LuaTable(), new LuaTable()) },
      { src: `table.concat(nil, "x")`, ours: () => call("concat", undefined, "x") },
      {
        src: `table.concat({1, {}, 3})`,
        ours: () => call("concat", LuaTable.fromArray([1, new LuaTable(), 3])),
      },
      {
        src: `table.concat({1, 2}, "", 1, 3)`,
        ours: () => call("concat", LuaTable.fromArray([1, 2]), "", 1, 3),
      },
      { src: `table.insert({}, 1, 2, 3)`, ours: () => call("insert", new LuaTable(), 1, 2, 3) },
      { src: `table.insert({})`, ours: () => call("insert", new LuaTable()) },
      { src: `table.insert(nil, 1)`, ours: () => call("insert", undefined, 1) },
      { src: `table.insert({}, "x", 1)`, ours: () => call("insert", new LuaTable(), "x", 1) },
      { src: `edit(table.remove, {})`, ours: () => [ser(new LuaTable()), ...call("remove", new LuaTable())] },
      {
        src: `table.maxn({1, 2, [10] = 1, [2.5] = 1, x = 1, [-4] = 1})`,
        ours: () => {
          const t = LuaTable.fromArray([1, 2]);
          t.set(10, 1);
          t.set(2.5, 1);
          t.set("x", 1);
          t.set(-4, 1);
          return call("maxn", t);
        },
      },
      { src: `table.maxn({})`, ours: () => call("maxn", new LuaTable()) },
      { src: `table.getn({1, 2, 3})`, ours: () => call("getn", LuaTable.fromArray([1, 2, 3])) },
      { src: `table.getn("x")`, ours: () => call("getn", "x") },
      { src: `table.setn({}, 1)`, ours: () => call("setn", new LuaTable(), 1) },
      {
        src: `table.foreachi({5, 6, 7}, function(i, v) if v == 6 then return i * 100 end end)`,
        ours: () =>
          call(
            "foreachi",
            LuaTable.fromArray([5, 6, 7]),
            new LuaFunction("f", (a) => [a[1] === 6 ? (a[0] as number) * 100 : undefined]),
          ),
      },
      {
        src: `table.foreachi({5, 6, 7}, function(i, v) end)`,
        ours: () => call("foreachi", LuaTable.fromArray([5, 6, 7]), new LuaFunction("f", () => [])),
      },
      {
        src: `table.foreach({5, 6, 7}, function(k, v) if v == 7 then return false end end)`,
        ours: () =>
          call(
            "foreach",
            LuaTable.fromArray([5, 6, 7]),
            new LuaFunction("f", (a) => [a[1] === 7 ? false : undefined]),
          ),
      },
      { src: `table.foreach({}, 1)`, ours: () => call("foreach", new LuaTable(), 1) },
      { src: `table.sort({3, 2, 1}, 1)`, ours: () => call("sort", LuaTable.fromArray([3, 2, 1]), 1) },
    );
    const expected = runLua51(
      cases.map((c) => c.src),
      LUA_SETUP,
    );
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const got = outcome(c.ours);
      if (got !== expected[i]) mismatches.push(`${c.src}\n  lua5.1: ${expected[i]}\n  ours:   ${got}`);
    });
    expect(mismatches.join("\n")).toBe("");
  });
});
