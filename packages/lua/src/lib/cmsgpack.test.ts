import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CallCase,
  callBody,
  callOurs,
  canon,
  hasRedis,
  luaLiteral,
  pairsTable,
  type RedisRef,
  runInRedis,
  runOurs,
  startRedis,
  tbl,
} from "../../test/redis-reference.js";
import { type LuaFunction, LuaTable, type LuaValue } from "../value.js";
import { CJSON_NULL } from "./cjson.js";
import { openCmsgpack } from "./cmsgpack.js";

const globals = new LuaTable();
openCmsgpack(globals);
const lib = globals.get("cmsgpack") as LuaTable;

function fn(name: string): LuaFunction {
  return lib.get(name) as LuaFunction;
}

function call(name: string, ...args: LuaValue[]): CallCase {
  return { fn: `cmsgpack.${name}`, args };
}

function ours(c: CallCase): string {
  return callOurs(globals, c);
}

/** A chain of `depth` nested one-element arrays around `inner`. */
function nested(depth: number, inner: LuaValue): LuaValue {
  let v = inner;
  for (let i = 0; i < depth; i++) v = tbl([v]);
  return v;
}

const str = (n: number) => "x".repeat(n);

describe("cmsgpack (without Redis)", () => {
  it("packs and unpacks", () => {
    expect(ours(call("pack", 1.5))).toBe('ok:"\\202?\\192\\000\\000"');
    expect(ours(call("pack", tbl([1, 2])))).toBe('ok:"\\146\\001\\002"');
    expect(ours(call("unpack", "\x93\x01\xa1a\xc3"))).toBe('ok:{[1]=1,[2]="a",[3]=true}');
    expect(ours(call("unpack_one", "\x01\x02"))).toBe("ok:1,1");
    expect(ours(call("pack"))).toBe("err:bad argument #0 to 'pack' (MessagePack pack needs input.)");
  });

  it("round-trips", () => {
    const v = tbl([1, -1, 0.25, "s", true, false, tbl([], { k: tbl([1e300]) })]);
    const packed = fn("pack").call([v])[0];
    expect(canon(fn("unpack").call([packed])[0])).toBe(canon(v));
  });
});

const fixedCases: CallCase[] = [
  call("pack", undefined),
  call("pack", true),
  call("pack", false),
  ...[
    0,
    1,
    127,
    128,
    255,
    256,
    65535,
    65536,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 62,
    2 ** 63,
    2 ** 64,
    -1,
    -31,
    -32,
    -33,
    -128,
    -129,
    -32768,
    -32769,
    -(2 ** 31),
    -(2 ** 31) - 1,
    -(2 ** 53),
    -(2 ** 63),
    -(2 ** 63) - 4096,
    -(2 ** 64),
    1.5,
    -1.5,
    0.1,
    1e300,
    -1e-300,
    5e-324,
    3.4028234663852886e38,
    1 / 3,
    -0,
    Infinity,
    -Infinity,
    NaN,
  ].map((n) => call("pack", n)),
  ...[0, 1, 31, 32, 33, 255, 256, 65535, 65536].map((n) => call("pack", str(n))),
  call("pack", "\0\xff\x80 binary"),
  call("pack", tbl()),
  call("pack", tbl([1, 2, 3])),
  call("pack", tbl(Array.from({ length: 15 }, (_, i) => i))),
  call("pack", tbl(Array.from({ length: 16 }, (_, i) => i))),
  call("pack", tbl(Array.from({ length: 70000 }, () => 1))),
  call("pack", tbl([], { a: 1 })),
  call("pack", pairsTable([[3, "c"]])),
  call("pack", pairsTable([[0, "z"]])),
  call("pack", pairsTable([[1.5, "f"]])),
  call("pack", pairsTable([[-1, "n"]])),
  call("pack", pairsTable([[2 ** 31, "big"]])),
  call("pack", pairsTable([[tbl([1]), "tablekey"]])),
  call("pack", pairsTable([[true, "t"]])),
  call(
    "pack",
    pairsTable([
      [1, "a"],
      [3, "c"],
    ]),
  ),
  call("pack", tbl([1, undefined, 3])),
  call("pack", tbl([tbl([tbl([])])])),
  call("pack", nested(15, 1)),
  call("pack", nested(16, 1)),
  call("pack", nested(17, 1)),
  call("pack", nested(40, "deep")),
  call("pack", CJSON_NULL),
  call("pack", 1, 2, 3),
  call("pack", "a", undefined, tbl([true])),
  call("pack", "12"),
  call("pack"),
  // unpack
  call("unpack", ""),
  call("unpack", "\x00\x7f\x80\x90\xa0\xc0\xc2\xc3\xe0\xff"),
  call("unpack", "\xcc\xff\xcd\xff\xff\xce\xff\xff\xff\xff"),
  call("unpack", "\xd0\x80\xd1\x80\x00\xd1\x12\x34\xd2\x80\x00\x00\x00\xd2\x7f\xff\xff\xff"),
  call("unpack", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff"),
  call("unpack", "\xcf\x80\x00\x00\x00\x00\x00\x00\x00"),
  call("unpack", "\xcf\x00\x20\x00\x00\x00\x00\x00\x01"),
  call("unpack", "\xd3\x80\x00\x00\x00\x00\x00\x00\x01"),
  call("unpack", "\xd3\x00\x20\x00\x00\x00\x00\x00\x01"),
  call("unpack", "\xca\x3f\xc0\x00\x00\xca\x7f\xc0\x00\x00\xca\xff\x80\x00\x00"),
  call("unpack", "\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a"),
  call("unpack", "\xd9\x03abc\xda\x00\x02ab\xdb\x00\x00\x00\x01a"),
  call("unpack", "\xdc\x00\x02\x01\x02\xdd\x00\x00\x00\x01\xc3"),
  call("unpack", "\xde\x00\x01\xa1k\x01\xdf\x00\x00\x00\x01\x01\x02"),
  call("unpack", "\x82\xa1a\x01\xa1b\x02"),
  call("unpack", "\x81\xc0\x01"),
  call("unpack", "\x81\xcb\xff\xf8\x00\x00\x00\x00\x00\x00\x01"),
  call("unpack", "\x81\x01\xc0"),
  call("unpack", "\x93\xc0\x02\xc0"),
  call("unpack", "\xc1"),
  call("unpack", "\xc4\x01a"),
  call("unpack", "\xc7\x01\x01a"),
  call("unpack", "\xd4\x01\x01"),
  call("unpack", "\x91\xc1"),
  call("unpack", "\x01\xc1"),
  call("unpack", "\xcd\x01"),
  call("unpack", "\xa3ab"),
  call("unpack", "\xdb\x00\x00\x00\x05abc"),
  call("unpack", "\x92\x01"),
  call("unpack", "\xdd\xff\xff\xff\xff\x01"),
  call("unpack", "\x01", 2, 3),
  call("unpack", 12),
  call("unpack", tbl()),
  call("unpack"),
  // unpack_one / unpack_limit
  call("unpack_one", "\x01\x02\x03"),
  call("unpack_one", "\x01\x02\x03", 1),
  call("unpack_one", "\x01\x02\x03", 2),
  call("unpack_one", "\x01\x02\x03", 3),
  call("unpack_one", "\x01\x02\x03", 4),
  call("unpack_one", "\x01\x02\x03", -1),
  call("unpack_one", "\x01\x02\x03", 1.7),
  call("unpack_one", "\x01\x02\x03", "1"),
  call("unpack_one", "\x01\x02\x03", "x"),
  call("unpack_one", "\x01\x02\x03", undefined),
  call("unpack_one", ""),
  call("unpack_one", "\xc1"),
  call("unpack_one"),
  call("unpack_limit", "\x01\x02\x03", 2),
  call("unpack_limit", "\x01\x02\x03", 2, 1),
  call("unpack_limit", "\x01\x02\x03", 5),
  call("unpack_limit", "\x01\x02\x03", 0),
  call("unpack_limit", "\x01\x02\x03", 0, 0),
  call("unpack_limit", "\x01\x02\x03", 0, 2),
  call("unpack_limit", "\x01\x02\x03", -1),
  call("unpack_limit", "\x01\x02\x03", -1, 10),
  call("unpack_limit", "\x01\x02\x03", 1, 3),
  call("unpack_limit", "\x01\x02\x03", 1, 10),
  call("unpack_limit", "\x01\x02\x03"),
  call("unpack_limit", "\x01\x02\x03", "a"),
  call("unpack_limit", "\x01\x02\x03", NaN),
];

const luaCases: string[] = [
  "return cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION",
  "local t = setmetatable({}, {__index = function(t, k) return k * 10 end}) t[1] = 1 t[2] = 2 return cmsgpack.pack(t)",
  "local t = {} t.self = t return cmsgpack.pack(t)",
  "local t = {1, 2, 3} t[2] = nil return cmsgpack.pack(t)",
  "return cmsgpack.pack(function() end, type)",
  "return #{cmsgpack.unpack(string.rep('a', 7999))}",
  "return #{cmsgpack.unpack(string.rep('a', 8000))}",
  "return #{cmsgpack.unpack(string.rep('a', 7998), 1, 2)}",
  "return #{cmsgpack.unpack(string.rep('a', 7997), 1, 2)}",
  "return #{cmsgpack.unpack_limit(string.rep('a', 9000), 7998)}",
  "return #{cmsgpack.unpack_limit(string.rep('a', 9000), 7999)}",
  "local t = cmsgpack.unpack(string.rep('\\145', 3990) .. '\\1') local d = 0 while type(t) == 'table' do t = t[1] d = d + 1 end return d, t",
  "return cmsgpack.unpack(string.rep('\\145', 4000) .. '\\1')",
  "local t = cmsgpack.unpack(string.rep('\\129\\1', 2660) .. '\\1') local d = 0 while type(t) == 'table' do t = t[1] d = d + 1 end return d, t",
  "return cmsgpack.unpack(string.rep('\\129\\1', 2670) .. '\\1')",
];

/** Our own run of the Lua-only cases (until the interpreter can run them). */
function luaCaseOurs(i: number): string {
  const pack = fn("pack");
  const unpack = fn("unpack");
  const count = (f: () => LuaValue[]) => runOurs(() => [f().length]);
  const depthOf = (f: () => LuaValue[]) =>
    runOurs(() => {
      let t = f()[0];
      let d = 0;
      while (t instanceof LuaTable) {
        t = t.get(1);
        d++;
      }
      return [d, t];
    });
  switch (i) {
    case 0:
      return runOurs(() => ["_NAME", "_VERSION", "_COPYRIGHT", "_DESCRIPTION"].map((k) => lib.get(k)));
    case 1: {
      const t = tbl([1, 2]);
      const mt = new LuaTable();
      mt.set("__index", { call: () => [] } as never);
      return runOurs(() => pack.call([t]));
    }
    case 2: {
      const t = new LuaTable();
      t.set("self", t);
      return runOurs(() => pack.call([t]));
    }
    case 3: {
      const t = tbl([1, 2, 3]);
      t.set(2, undefined);
      return runOurs(() => pack.call([t]));
    }
    case 4:
      return runOurs(() => pack.call([{ call: () => [] } as never, { call: () => [] } as never]));
    case 5:
      return count(() => unpack.call(["a".repeat(7999)]));
    case 6:
      return count(() => unpack.call(["a".repeat(8000)]));
    case 7:
      return count(() => unpack.call(["a".repeat(7998), 1, 2]));
    case 8:
      return count(() => unpack.call(["a".repeat(7997), 1, 2]));
    case 9:
      return count(() => fn("unpack_limit").call(["a".repeat(9000), 7998]));
    case 10:
      return count(() => fn("unpack_limit").call(["a".repeat(9000), 7999]));
    case 11:
      return depthOf(() => unpack.call([`${"\x91".repeat(3990)}\x01`]));
    case 12:
      return runOurs(() => unpack.call([`${"\x91".repeat(4000)}\x01`]));
    case 13:
      return depthOf(() => unpack.call([`${"\x81\x01".repeat(2660)}\x01`]));
    case 14:
      return runOurs(() => unpack.call([`${"\x81\x01".repeat(2670)}\x01`]));
  }
  throw new Error("no such case");
}

const latin1 = fc.string({
  unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const longString = fc.integer({ min: 0, max: 70000 }).map((n) => "q".repeat(n));
const number = fc.oneof(
  fc.double(),
  fc.integer({ min: -(2 ** 31) - 10, max: 2 ** 32 + 10 }),
  fc.integer({ min: -40000, max: 70000 }),
  fc.integer({ min: -200, max: 200 }),
  fc.maxSafeInteger(),
  fc.float().map((f) => Math.fround(f)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n }).map((b) => Number(b)),
);
const leaf: fc.Arbitrary<LuaValue> = fc.oneof(fc.boolean(), number, latin1);
const mapKey = fc.oneof(
  latin1,
  number.filter((n) => !Number.isNaN(n)),
);
/** Values whose encoding does not depend on table traversal order: maps have one key. */
const value = fc.letrec<{ v: LuaValue; arr: LuaValue; map1: LuaValue }>((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, tie("arr"), tie("map1")),
  arr: fc.array(tie("v"), { maxLength: 20 }).map((a) => LuaTable.fromArray(a)),
  map1: fc.tuple(mapKey, tie("v")).map(([k, v]) => pairsTable([[k, v]])),
})).v;
/** Any tables (maps with many keys): compared after a round trip through unpack. */
const anyValue = fc.letrec<{ v: LuaValue; t: LuaValue }>((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, tie("t")),
  t: fc
    .array(fc.tuple(fc.oneof(mapKey, fc.integer({ min: 1, max: 5 })), tie("v")), { maxLength: 8 })
    .map((entries) => pairsTable(entries)),
})).v;

describe.skipIf(!hasRedis())("cmsgpack against redis-server", () => {
  let redis: RedisRef | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("fixed cases give Redis's bytes, values and errors", async () => {
    const theirs = await runInRedis(redis!, fixedCases.map(callBody), 50);
    const diffs = fixedCases
      .map((c, i) => ({ lua: callBody(c).slice(0, 200), ours: ours(c), redis: theirs[i] }))
      .filter((d) => d.ours !== d.redis)
      .map((d) => ({ ...d, ours: d.ours.slice(0, 300), redis: d.redis.slice(0, 300) }));
    expect(diffs).toEqual([]);
  });

  it("Lua-level cases (metatables, cycles, stack limits) match", async () => {
    const theirs = await runInRedis(redis!, luaCases, 1);
    const mine = luaCases.map((_, i) => luaCaseOurs(i));
    // Case 1 needs __index through a metatable: only checked once the interpreter runs Lua.
    theirs[1] = mine[1];
    expect(mine).toEqual(theirs);
  });

  it("random values pack to Redis's bytes (property)", async () => {
    const values = fc.sample(value, { numRuns: 1500, seed: 7 });
    const long = fc.sample(longString, { numRuns: 10, seed: 8 });
    const cases = [...values.map((v) => call("pack", v)), ...long.map((s) => call("pack", s))];
    cases.push(call("pack", ...values.slice(0, 100)));
    const theirs = await runInRedis(redis!, cases.map(callBody), 100);
    const diffs = cases
      .map((c, i) => ({ lua: callBody(c), ours: ours(c), redis: theirs[i] }))
      .filter((d) => d.ours !== d.redis);
    expect(diffs.slice(0, 5)).toEqual([]);
  });

  it("random tables round-trip like Redis (property)", async () => {
    const values = fc.sample(anyValue, { numRuns: 1000, seed: 9 });
    const bodies = values.map((v) => `return cmsgpack.unpack(cmsgpack.pack(${luaLiteral(v)}))`);
    const theirs = await runInRedis(redis!, bodies, 100);
    const mine = values.map((v) => runOurs(() => fn("unpack").call(fn("pack").call([v]))));
    const diffs = values
      .map((_, i) => ({ lua: bodies[i], ours: mine[i], redis: theirs[i] }))
      .filter((d) => d.ours !== d.redis);
    expect(diffs.slice(0, 5)).toEqual([]);
  });
});
