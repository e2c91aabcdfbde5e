import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CallCase,
  callBody,
  callOurs,
  hasRedis,
  luaLiteral,
  pairsTable,
  type RedisRef,
  runInRedis,
  runOurs,
  startRedis,
  tbl,
} from "../../test/redis-reference.js";
import { formatNumberG } from "../printf.js";
import { LuaFunction, LuaTable, type LuaValue } from "../value.js";
import { CJSON_NULL, createCjsonLibrary, openCjson } from "./cjson.js";

const globals = new LuaTable();
openCjson(globals);
const lib = globals.get("cjson") as LuaTable;

function fn(t: LuaTable, name: string): LuaFunction {
  return t.get(name) as LuaFunction;
}

function call(name: string, ...args: LuaValue[]): CallCase {
  return { fn: `cjson.${name}`, args };
}

function ours(c: CallCase): string {
  return callOurs(globals, c);
}

function nested(depth: number, inner: LuaValue): LuaValue {
  let v = inner;
  for (let i = 0; i < depth; i++) v = tbl([v]);
  return v;
}

function nestedObjects(depth: number): LuaValue {
  let v: LuaValue = 1;
  for (let i = 0; i < depth; i++) v = tbl([], { k: v });
  return v;
}

/** A configuration scenario on a fresh cjson.new() table: setup calls, then the reported call. */
interface ConfigCase {
  steps: [string, LuaValue[]][];
  last: [string, LuaValue[]];
}

function configBody(c: ConfigCase): string {
  const lit = (args: LuaValue[]) => args.map(luaLiteral).join(", ");
  const steps = c.steps.map(([f, a]) => `c.${f}(${lit(a)})`).join(" ");
  return `local c = cjson.new() ${steps} return c.${c.last[0]}(${lit(c.last[1])})`;
}

function configOurs(c: ConfigCase): string {
  return runOurs(() => {
    const t = fn(lib, "new").call([])[0] as LuaTable;
    for (const [f, a] of c.steps) fn(t, f).call(a.slice());
    return fn(t, c.last[0]).call(c.last[1].slice());
  });
}

describe("cjson (without Redis)", () => {
  it("encodes and decodes", () => {
    expect(ours(call("encode", tbl([1, 2, tbl([], { a: 1 })])))).toBe('ok:"[1,2,{\\034a\\034:1}]"');
    expect(ours(call("decode", '{"a":[1,null]}'))).toBe('ok:{["a"]={[1]=1,[2]=null}}');
    expect(fn(lib, "decode").call(["null"])[0]).toBe(CJSON_NULL);
    expect(ours(call("decode", "[1,2"))).toBe(
      "err:Expected comma or array end but found T_END at character 5",
    );
  });

  it("formats numbers like glibc's %.14g, ties to even", () => {
    expect(formatNumberG(123456789012345, 14)).toBe("1.2345678901234e+14");
    expect(formatNumberG(0.1, 14)).toBe("0.1");
    expect(formatNumberG(1e100, 14)).toBe("1e+100");
    expect(formatNumberG(1 / 3, 14)).toBe("0.33333333333333");
    expect(formatNumberG(0.125, 2)).toBe("0.12");
    expect(formatNumberG(-2.5, 1)).toBe("-2");
    expect(formatNumberG(9.5, 1)).toBe("1e+01");
    expect(formatNumberG(1e-5, 14)).toBe("1e-05");
    expect(formatNumberG(0.0001, 14)).toBe("0.0001");
  });

  it("has Redis's fields", () => {
    expect(lib.get("_NAME")).toBe("cjson");
    expect(lib.get("_VERSION")).toBe("2.1.0");
    expect(lib.get("null")).toBe(CJSON_NULL);
    expect(createCjsonLibrary().get("encode")).toBeInstanceOf(LuaFunction);
  });
});

let allBytes = "";
for (let i = 0; i < 256; i++) allBytes += String.fromCharCode(i);

const encodeCases: CallCase[] = [
  call("encode", undefined),
  call("encode", true),
  call("encode", false),
  ...[
    0,
    -0,
    1,
    -1,
    1.5,
    0.1,
    1 / 3,
    2 / 3,
    1e100,
    1e-100,
    2 ** 53,
    2 ** 63,
    123456789012345,
    12345678901234.5,
    1e14,
    1e15,
    99999999999999.5,
    1e-5,
    0.0001,
    0.00012345,
    -1e-300,
    5e-324,
    1.7976931348623157e308,
    100,
    1e21,
  ].map((n) => call("encode", n)),
  call("encode", Infinity),
  call("encode", -Infinity),
  call("encode", NaN),
  call("encode", ""),
  call("encode", allBytes),
  call("encode", 'a/b\\c"d'),
  call("encode", "é ü \u00ff"),
  call("encode", tbl()),
  call("encode", tbl([1, 2, 3])),
  call("encode", tbl([1, undefined, 3])),
  call(
    "encode",
    pairsTable([
      [1, 1],
      [10, 2],
    ]),
  ),
  call(
    "encode",
    pairsTable([
      [1, 1],
      [11, 2],
    ]),
  ),
  call("encode", pairsTable([[11, 1]])),
  call(
    "encode",
    pairsTable([
      [3, 1],
      [4, 1],
      [5, 1],
      [6, 1],
      [12, 1],
    ]),
  ),
  call("encode", pairsTable([[0, "z"]])),
  call("encode", pairsTable([[-1, "n"]])),
  call("encode", pairsTable([[1.5, "f"]])),
  call("encode", pairsTable([[2 ** 31 - 1, "m"]])),
  call("encode", pairsTable([[2 ** 31, "big"]])),
  call("encode", pairsTable([[1e20, "huge"]])),
  call("encode", pairsTable([[Infinity, "inf"]])),
  call("encode", pairsTable([[true, 1]])),
  call("encode", pairsTable([[tbl(), 1]])),
  call("encode", tbl([], { a: "x" })),
  call("encode", tbl([], { "a/b": tbl([]) })),
  call("encode", tbl([tbl([]), tbl([tbl([])])])),
  call("encode", tbl([CJSON_NULL, undefined, 1])),
  call("encode", CJSON_NULL),
  call("encode", tbl([1, 2, Infinity])),
  call("encode"),
  call("encode", 1, 2),
];

const decodeCases: string[] = [
  "null",
  "true",
  "false",
  "0",
  "-0",
  "1",
  "-1.5e3",
  "1E400",
  "-1e-400",
  "0.1",
  "123456789012345678901234567890",
  "01",
  "+1",
  "0x1F",
  "-0x10",
  "0x",
  "1.",
  ".5",
  "-",
  "--1",
  "inf",
  "-inf",
  "Infinity",
  "-Infinity",
  "nan",
  "NaN",
  "-nan",
  "infinit",
  "Inf",
  "nope",
  "nul",
  "tru",
  "True",
  '"abc"',
  '""',
  '"a\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti"',
  '"\\u0041\\u00e9\\u20ac\\uD83D\\uDE00"',
  '"\\u0000"',
  '"\\uDE00"',
  '"\\uD83D"',
  '"\\uD83Dx"',
  '"\\uD83D\\u0041"',
  '"\\u12"',
  '"\\u12G4"',
  '"\\x"',
  '"abc',
  '"a\0b"',
  '"raw \x01\x7f\xff bytes"',
  "[]",
  "{}",
  "[1,2,3]",
  "[1,[2,[3,[]]]]",
  "[null,1,null]",
  '{"a":1,"b":[true,false],"c":{"d":null}}',
  '{"a":1,"a":2}',
  "  [ 1 , 2 ]  ",
  "\t\n\r[1]\r\n",
  "[1,]",
  "[,1]",
  "[1 2]",
  "[1,2",
  "[",
  "]",
  "{",
  "{1:2}",
  '{"a" 1}',
  '{"a":}',
  '{"a":1,}',
  '{"a":1 "b":2}',
  '{"a":1',
  "[1]x",
  "[1] [2]",
  "1 2",
  "[1]\0garbage",
  "",
  " ",
  "\0x",
  "x\0",
  "@",
  "[@]",
  "{'a':1}",
  "[1e5, -2.5E-3, 0.0]",
  "[".repeat(1000) + "]".repeat(1000),
  "[".repeat(1001) + "]".repeat(1001),
  `${'{"a":'.repeat(1000)}1${"}".repeat(1000)}`,
  `${'{"a":'.repeat(1001)}1${"}".repeat(1001)}`,
];

const configCases: ConfigCase[] = [
  { steps: [], last: ["encode_sparse_array", []] },
  { steps: [], last: ["encode_sparse_array", [true]] },
  { steps: [], last: ["encode_sparse_array", ["on", 3, 5]] },
  { steps: [], last: ["encode_sparse_array", ["off", 0]] },
  { steps: [], last: ["encode_sparse_array", [1]] },
  { steps: [], last: ["encode_sparse_array", [true, -1]] },
  { steps: [], last: ["encode_sparse_array", [true, 1, -1]] },
  { steps: [], last: ["encode_sparse_array", [true, "x"]] },
  { steps: [], last: ["encode_sparse_array", [true, 1, 2, 3]] },
  { steps: [], last: ["encode_sparse_array", [tbl()]] },
  { steps: [["encode_sparse_array", [true]]], last: ["encode", [pairsTable([[20, 1]])]] },
  { steps: [["encode_sparse_array", [false, 0]]], last: ["encode", [pairsTable([[20, 1]])]] },
  { steps: [["encode_sparse_array", [false, 1, 0]]], last: ["encode", [pairsTable([[2, 1]])]] },
  {
    steps: [["encode_sparse_array", [false, 3, 2]]],
    last: [
      "encode",
      [
        pairsTable([
          [1, 1],
          [3, 1],
        ]),
      ],
    ],
  },
  { steps: [], last: ["encode_max_depth", []] },
  { steps: [], last: ["encode_max_depth", [0]] },
  { steps: [], last: ["encode_max_depth", [5.7]] },
  { steps: [], last: ["encode_max_depth", ["5"]] },
  { steps: [], last: ["encode_max_depth", [true]] },
  { steps: [], last: ["encode_max_depth", [1, 2]] },
  { steps: [["encode_max_depth", [3]]], last: ["encode", [nested(3, 1)]] },
  { steps: [["encode_max_depth", [3]]], last: ["encode", [nested(4, 1)]] },
  { steps: [], last: ["decode_max_depth", []] },
  { steps: [], last: ["decode_max_depth", [-1]] },
  { steps: [["decode_max_depth", [2]]], last: ["decode", ["[[1]]"]] },
  { steps: [["decode_max_depth", [2]]], last: ["decode", ["[[[1]]]"]] },
  { steps: [["decode_max_depth", [2]]], last: ["decode", ['{"a":{"b":{}}}']] },
  { steps: [], last: ["encode_number_precision", []] },
  { steps: [], last: ["encode_number_precision", [15]] },
  { steps: [], last: ["encode_number_precision", [0]] },
  { steps: [], last: ["encode_number_precision", [3, 4]] },
  {
    steps: [["encode_number_precision", [3]]],
    last: ["encode", [tbl([1 / 3, 2 / 3, 12345, 0.00012345, 1.25])]],
  },
  { steps: [["encode_number_precision", [1]]], last: ["encode", [tbl([0.5, 1.5, 2.5, 15, 25, 0.25])]] },
  { steps: [["encode_number_precision", [14]]], last: ["encode", [tbl([0.1, 1 / 3])]] },
  { steps: [], last: ["encode_keep_buffer", []] },
  { steps: [], last: ["encode_keep_buffer", [false]] },
  { steps: [], last: ["encode_keep_buffer", ["on"]] },
  { steps: [], last: ["encode_keep_buffer", ["x"]] },
  { steps: [], last: ["encode_keep_buffer", [1]] },
  { steps: [["encode_keep_buffer", [false]]], last: ["encode", [tbl([1])]] },
  { steps: [], last: ["encode_invalid_numbers", []] },
  { steps: [], last: ["encode_invalid_numbers", [true]] },
  { steps: [], last: ["encode_invalid_numbers", ["null"]] },
  { steps: [], last: ["encode_invalid_numbers", ["on"]] },
  { steps: [], last: ["encode_invalid_numbers", ["x"]] },
  { steps: [], last: ["encode_invalid_numbers", [tbl()]] },
  { steps: [["encode_invalid_numbers", [true]]], last: ["encode", [tbl([Infinity, -Infinity, NaN, 1])]] },
  { steps: [["encode_invalid_numbers", ["null"]]], last: ["encode", [tbl([Infinity, -Infinity, NaN, 1])]] },
  { steps: [["encode_invalid_numbers", ["null"]]], last: ["encode", [pairsTable([[Infinity, 1]])]] },
  {
    steps: [["encode_invalid_numbers", [true]]],
    last: ["encode", [pairsTable([[-Infinity, 1]])]],
  },
  { steps: [], last: ["decode_invalid_numbers", []] },
  { steps: [], last: ["decode_invalid_numbers", [false]] },
  { steps: [], last: ["decode_invalid_numbers", ["off"]] },
  { steps: [], last: ["decode_invalid_numbers", ["null"]] },
  ...["01", "+1", "0x10", "inf", "-inf", "nan", "-0", "-01", "[1, 0x2]", "1.5", "-x", "Infinity"].map(
    (s): ConfigCase => ({ steps: [["decode_invalid_numbers", [false]]], last: ["decode", [s]] }),
  ),
  { steps: [], last: ["decode", []] },
  { steps: [], last: ["decode", [1, 2]] },
  { steps: [], last: ["decode", [tbl()]] },
  { steps: [], last: ["decode", [123]] },
  { steps: [], last: ["decode", [undefined]] },
];

/** Deep nesting built by Lua loops (a literal that deep is beyond Lua's parser). */
const deepCases: { lua: string; ours: () => LuaValue[] }[] = [999, 1000, 1001].flatMap((n) => [
  {
    lua: `local t = 1 for i = 1, ${n} do t = {t} end return cjson.encode(t)`,
    ours: () => fn(lib, "encode").call([nested(n, 1)]),
  },
  {
    lua: `local t = 1 for i = 1, ${n} do t = {k = t} end return cjson.encode(t)`,
    ours: () => fn(lib, "encode").call([nestedObjects(n)]),
  },
  {
    lua: `local t = 1 for i = 1, ${n} do t = {t} end local c = cjson.new() c.encode_max_depth(${n} - 1) return c.encode(t)`,
    ours: () => {
      const c = fn(lib, "new").call([])[0] as LuaTable;
      fn(c, "encode_max_depth").call([n - 1]);
      return fn(c, "encode").call([nested(n, 1)]);
    },
  },
]);

const luaCases: string[] = [
  "return cjson._NAME, cjson._VERSION, type(cjson.null), cjson.null == cjson.decode('null')",
  "local c = cjson.new() return c ~= cjson, c.null == cjson.null, c._VERSION, type(c.new)",
  "local c = cjson.new() c.encode_max_depth(2) return cjson.encode_max_depth(), c.encode_max_depth()",
  "local n = 0 for k in pairs(cjson) do n = n + 1 end return n",
  "return cjson.encode({f = function() end})",
  "return cjson.encode({cjson.encode})",
  "return cjson.encode(coroutine.create(function() end))",
];

const latin1 = fc.string({
  unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
  maxLength: 30,
});
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.maxSafeInteger(),
  fc.integer({ min: 0, max: 2 ** 31 }).map((n) => n * 100000 + 5),
);
const leaf: fc.Arbitrary<LuaValue> = fc.oneof(fc.boolean(), number, latin1, fc.constant(CJSON_NULL));
const value = fc.letrec<{ v: LuaValue; arr: LuaValue; obj: LuaValue }>((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, tie("arr"), tie("obj")),
  arr: fc.array(tie("v"), { maxLength: 12 }).map((a) => LuaTable.fromArray(a)),
  obj: fc
    .array(fc.tuple(fc.oneof(latin1, fc.integer({ min: -3, max: 30 })), tie("v")), { maxLength: 6 })
    .map((e) => pairsTable(e)),
})).v;

describe.skipIf(!hasRedis())("cjson against redis-server", () => {
  let redis: RedisRef | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function compare(bodies: string[], mine: string[], batch = 50): Promise<void> {
    const theirs = await runInRedis(redis!, bodies, batch);
    const diffs = bodies
      .map((b, i) => ({ lua: b.slice(0, 160), ours: mine[i].slice(0, 400), redis: theirs[i].slice(0, 400) }))
      .filter((_d, i) => mine[i] !== theirs[i]);
    expect(diffs).toEqual([]);
  }

  it("encode gives Redis's bytes and errors", async () => {
    await compare(encodeCases.map(callBody), encodeCases.map(ours), 10);
  });

  it("decode gives Redis's values and errors", async () => {
    const cases = decodeCases.map((s) => call("decode", s));
    await compare(cases.map(callBody), cases.map(ours), 10);
  });

  it("deep nesting hits the same limits", async () => {
    await compare(
      deepCases.map((c) => c.lua),
      deepCases.map((c) => runOurs(c.ours)),
      1,
    );
  });

  it("configuration functions behave like Redis's", async () => {
    await compare(configCases.map(configBody), configCases.map(configOurs), 5);
  });

  it("module shape and unsupported types", async () => {
    const theirs = await runInRedis(redis!, luaCases, 1);
    expect(theirs).toEqual([
      'ok:"cjson","2.1.0","userdata",true',
      'ok:true,true,"2.1.0","function"',
      "ok:1000,2",
      "ok:13",
      "err:Cannot serialise function: type not supported",
      "err:Cannot serialise function: type not supported",
      "err:Cannot serialise thread: type not supported",
    ]);
    const mine = [
      runOurs(() => [lib.get("_NAME"), lib.get("_VERSION")]),
      runOurs(() => fn(lib, "encode").call([tbl([], { f: new LuaFunction("f", () => []) })])),
      runOurs(() => fn(lib, "encode").call([tbl([fn(lib, "encode")])])),
    ];
    expect(mine).toEqual([
      'ok:"cjson","2.1.0"',
      "err:Cannot serialise function: type not supported",
      "err:Cannot serialise function: type not supported",
    ]);
    let n = 0;
    for (let e = lib.next(undefined); e !== undefined; e = lib.next(e[0])) n++;
    expect(n).toBe(13);
  });

  it("random values: single-key encodings equal, any value decodes back like Redis (property)", async () => {
    const values = fc.sample(value, { numRuns: 800, seed: 11 });
    // Round trip through encode/decode compares structure whatever the key order.
    const bodies = values.map((v) => `return cjson.decode(cjson.encode(${luaLiteral(v)}))`);
    const mine = values.map((v) => runOurs(() => fn(lib, "decode").call(fn(lib, "encode").call([v]))));
    await compare(bodies, mine, 100);
    // Exact bytes for values whose objects have at most one key.
    const simple = values.filter(function oneKey(v: LuaValue): boolean {
      if (!(v instanceof LuaTable)) return true;
      let n = 0;
      for (let e = v.next(undefined); e !== undefined; e = v.next(e[0])) {
        n++;
        if (!oneKey(e[1])) return false;
      }
      return n <= 1 || v.hash.size === 0;
    });
    const cases = simple.map((v) => call("encode", v));
    await compare(cases.map(callBody), cases.map(ours), 100);
  });

  it("random strings and numbers decode like Redis (property)", async () => {
    const texts = fc.sample(
      fc.oneof(
        latin1.map((s) => JSON.stringify(s)),
        fc.double().map((d) => String(d)),
        fc.stringMatching(/^-?[0-9]{1,20}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?$/),
        fc.stringMatching(/^[[\]{}",:0-9a-z \\]{0,12}$/),
      ),
      { numRuns: 1500, seed: 12 },
    );
    const cases = texts.map((s) => call("decode", s));
    await compare(cases.map(callBody), cases.map(ours), 200);
  });
});
