import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CallCase,
  callBody,
  callOurs,
  hasRedis,
  type RedisRef,
  runInRedis,
  startRedis,
  tbl,
} from "../../test/redis-reference.js";
import { LuaTable, type LuaValue } from "../value.js";
import { openBit, toBit } from "./bit.js";

const globals = new LuaTable();
openBit(globals);

function call(fn: string, ...args: LuaValue[]): CallCase {
  return { fn: `bit.${fn}`, args };
}

function ours(c: CallCase): string {
  return callOurs(globals, c);
}

describe("bit (without Redis)", () => {
  it("normalises like LuaBitOp", () => {
    expect(toBit(0xffffffff)).toBe(-1);
    expect(toBit(2 ** 32 + 5)).toBe(5);
    expect(toBit(1.5)).toBe(2);
    expect(toBit(2.5)).toBe(2);
    expect(toBit(-1.5)).toBe(-2);
    expect(toBit(Number.NaN)).toBe(0);
    expect(toBit(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it("computes", () => {
    expect(ours(call("tohex", -1))).toBe('ok:"ffffffff"');
    expect(ours(call("tohex", 255, -4))).toBe('ok:"00FF"');
    expect(ours(call("band", 0xff, 0x0f, 0x3))).toBe("ok:3");
    expect(ours(call("lshift", 1, 31))).toBe("ok:-2147483648");
    expect(ours(call("rshift", -1, 28))).toBe("ok:15");
    expect(ours(call("arshift", -256, 4))).toBe("ok:-16");
    expect(ours(call("rol", 0x12345678, 4))).toBe("ok:591751041");
    expect(ours(call("bswap", 0x12345678))).toBe("ok:2018915346");
    expect(ours(call("bor", 1, "x"))).toBe("err:bad argument #2 to 'bor' (number expected, got string)");
    expect(ours(call("tobit"))).toBe("err:bad argument #1 to 'tobit' (number expected, got no value)");
  });
});

const fixedCases: CallCase[] = [
  call("tobit", 0),
  call("tobit", 1),
  call("tobit", -1),
  call("tobit", 0xffffffff),
  call("tobit", 0x7fffffff),
  call("tobit", 0x80000000),
  call("tobit", 2 ** 32),
  call("tobit", 2 ** 32 + 1),
  call("tobit", 1.5),
  call("tobit", 2.5),
  call("tobit", -2.5),
  call("tobit", 0.49999999999999994),
  call("tobit", 2 ** 51),
  call("tobit", 2 ** 52),
  call("tobit", 2 ** 53 + 2),
  call("tobit", 1e300),
  call("tobit", -1e300),
  call("tobit", 5e-324),
  call("tobit", -0),
  call("tobit", Number.POSITIVE_INFINITY),
  call("tobit", Number.NEGATIVE_INFINITY),
  call("tobit", Number.NaN),
  call("tobit", "12"),
  call("tobit", "0x10"),
  call("tobit", " 7 "),
  call("tobit", "abc"),
  call("tobit", true),
  call("tobit", tbl()),
  call("tobit", undefined),
  call("tobit"),
  call("bnot", 0),
  call("bnot", -1),
  call("bnot", 12345.6),
  call("band"),
  call("band", 7),
  call("band", 0xf0f0, 0xff00, 0x3c3c),
  call("band", 1, "x", tbl()),
  call("band", 1, 2, undefined),
  call("bor", 1, 2, 4, 8, 2 ** 31),
  call("bxor", 0xffff, 0xff, -1),
  call("bxor", 1, "2"),
  call("lshift", 1, 0),
  call("lshift", 1, 31),
  call("lshift", 1, 32),
  call("lshift", 1, 33),
  call("lshift", 1, -1),
  call("lshift", 3, 1.5),
  call("lshift", 1),
  call("rshift", -1, 0),
  call("rshift", -1, 1),
  call("rshift", -1, 31),
  call("rshift", 0x80000000, 4),
  call("arshift", -1, 31),
  call("arshift", 0x80000000, 4),
  call("arshift", 256, 4),
  call("rol", 0x12345678, 0),
  call("rol", 0x12345678, 8),
  call("rol", 0x12345678, 36),
  call("rol", -1, 5),
  call("ror", 0x12345678, 0),
  call("ror", 0x12345678, 8),
  call("ror", 1, 1),
  call("bswap", 0x12345678),
  call("bswap", -1),
  call("bswap", 0x80),
  call("tohex", 0),
  call("tohex", -1),
  call("tohex", 0x12345678),
  call("tohex", 0x12345678, 4),
  call("tohex", 0x12345678, -4),
  call("tohex", 0xabcdef, -8),
  call("tohex", 0xabcdef, 0),
  call("tohex", 0xabcdef, 9),
  call("tohex", 0xabcdef, 100),
  call("tohex", 0xabcdef, -100),
  call("tohex", 0xabcdef, 1),
  call("tohex", 0xabcdef, 2 ** 32 - 3),
  call("tohex", 0xabcdef, 2.5),
  call("tohex", 0xabcdef, undefined),
  call("tohex", 0xabcdef, "3"),
  call("tohex", 0xabcdef, "x"),
  call("tohex", 1e20),
  call("tohex"),
];

const luaCases: string[] = [
  "return bit.band(unpack({1, 3, 7, 15, 31}))",
  "return type(bit.tobit), bit.bnot(bit.bnot(-5))",
  "local n = 0 for k in pairs(bit) do n = n + 1 end return n",
];

describe.skipIf(!hasRedis())("bit against redis-server", () => {
  let redis: RedisRef | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("fixed cases give Redis's results and errors", async () => {
    const theirs = await runInRedis(redis!, fixedCases.map(callBody));
    const diffs = fixedCases
      .map((c, i) => ({ lua: callBody(c), ours: ours(c), redis: theirs[i] }))
      .filter((d) => d.ours !== d.redis);
    expect(diffs).toEqual([]);
  });

  it("library shape matches", async () => {
    const theirs = await runInRedis(redis!, luaCases);
    expect(theirs).toEqual(["ok:1", 'ok:"function",-5', "ok:12"]);
    let n = 0;
    const bitLib = globals.get("bit") as LuaTable;
    for (let e = bitLib.next(undefined); e !== undefined; e = bitLib.next(e[0])) n++;
    expect(n).toBe(12);
  });

  it("random doubles and operands match Redis (property)", async () => {
    const numbers = fc.oneof(
      fc.double(),
      fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
      fc.double({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.double({ min: -4, max: 4 }),
      fc.constantFrom(2 ** 51, 2 ** 52, 2 ** 53, -(2 ** 52), 2 ** 63, 0.5, -0.5, 1.5, -1.5),
    );
    const op = fc.constantFrom(
      "tobit",
      "bnot",
      "band",
      "bor",
      "bxor",
      "lshift",
      "rshift",
      "arshift",
      "rol",
      "ror",
      "bswap",
      "tohex",
    );
    const caseArb = fc.tuple(op, numbers, numbers).map(([fn, a, b]): CallCase => {
      const unary = fn === "tobit" || fn === "bnot" || fn === "bswap";
      if (fn === "tohex") return call(fn, a, ((b % 20) | 0) === -2147483648 ? 3 : (b % 20) | 0);
      return unary ? call(fn, a) : call(fn, a, b);
    });
    const cases = fc.sample(caseArb, { numRuns: 3000, seed: 20240601 });
    const theirs = await runInRedis(redis!, cases.map(callBody), 500);
    const diffs = cases
      .map((c, i) => ({ lua: callBody(c), ours: ours(c), redis: theirs[i] }))
      .filter((d) => d.ours !== d.redis);
    expect(diffs.slice(0, 10)).toEqual([]);
  });
});
