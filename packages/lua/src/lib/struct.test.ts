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
import { openStruct } from "./struct.js";

const globals = new LuaTable();
openStruct(globals);

function call(fn: string, ...args: LuaValue[]): CallCase {
  return { fn: `struct.${fn}`, args };
}

function ours(c: CallCase): string {
  return callOurs(globals, c);
}

describe("struct (without Redis)", () => {
  it("packs and unpacks", () => {
    expect(ours(call("pack", ">I2", 258))).toBe('ok:"\\001\\002"');
    expect(ours(call("unpack", "<i4", "\xff\xff\xff\xff"))).toBe("ok:-1,5");
    expect(ours(call("size", "!4bi"))).toBe("ok:8");
    expect(ours(call("pack", "q"))).toBe("err:bad argument #1 to 'pack' (invalid format option 'q')");
    expect(ours(call("unpack", "i4", "ab"))).toBe("err:bad argument #2 to 'unpack' (data string too short)");
  });
});

const s = (n: number) => "abcdefghijklmnopqrstuvwxyz0123456789".repeat(3).slice(0, n);

const fixedCases: CallCase[] = [
  // pack: integers
  call("pack", "b", 1),
  call("pack", "b", -1),
  call("pack", "b", 255),
  call("pack", "b", 256),
  call("pack", "B", -2),
  call("pack", ">h", -2),
  call("pack", "<h", -2),
  call("pack", ">H", 65535),
  call("pack", ">H", 65536),
  call("pack", ">l", -1),
  call("pack", "<L", 2 ** 53),
  call("pack", ">T", 12345678901),
  call("pack", "i", 1),
  call("pack", ">i", -123456),
  call("pack", ">i1", 300),
  call("pack", ">i3", 0x123456),
  call("pack", "<i3", -2),
  call("pack", ">i8", -2),
  call("pack", ">i16", -1),
  call("pack", "<i16", -1),
  call("pack", ">I16", 2 ** 60),
  call("pack", ">i32", -3),
  call("pack", ">i33", 1),
  call("pack", ">i0", 1),
  call("pack", ">I8", 2 ** 63),
  call("pack", ">I8", 2 ** 64),
  call("pack", ">I8", 2 ** 63 + 2 ** 62),
  call("pack", ">I8", 1e30),
  call("pack", ">I8", Number.NaN),
  call("pack", ">I8", Number.POSITIVE_INFINITY),
  call("pack", ">i8", Number.NEGATIVE_INFINITY),
  call("pack", ">i8", -(2 ** 64)),
  call("pack", ">i8", -(2 ** 63)),
  call("pack", ">i4", 1.9),
  call("pack", ">i4", -1.9),
  call("pack", ">i4", "42"),
  call("pack", ">i4", "x"),
  call("pack", ">i4"),
  call("pack", ">i4", tbl()),
  // floats
  call("pack", ">f", 1.5),
  call("pack", "<f", 0.1),
  call("pack", ">d", 0.1),
  call("pack", "<d", -0),
  call("pack", ">d", Number.POSITIVE_INFINITY),
  call("pack", ">f", 1e300),
  call("pack", ">f", 5e-324),
  // strings
  call("pack", "c3", "abcdef"),
  call("pack", "c0", "abcdef"),
  call("pack", "c10", "abc"),
  call("pack", "bc5", 1, "ab"),
  call("pack", "s", "hello"),
  call("pack", "s", "he\0llo"),
  call("pack", "ss", "a", "b"),
  call("pack", "c", "xyz"),
  call("pack", "c2", 123),
  call("pack", "s"),
  // alignment and controls
  call("pack", "!4 b i", 1, 2),
  call("pack", "!b i", 1, 2),
  call("pack", "!2 b d", 1, 2),
  call("pack", "!8 b d", 1, 2),
  call("pack", "!8 b h b i b l", 1, 2, 3, 4, 5, 6),
  call("pack", "!4 b c3 i", 1, "abc", 2),
  call("pack", "!4 b x i", 1, 2),
  call("pack", "!4 b i3", 1, 2),
  call("pack", "!3 b i", 1, 2),
  call("pack", "!0 b", 1),
  call("pack", "x"),
  call("pack", "xxb", 1),
  call("pack", "<>b", 1),
  call("pack", ""),
  call("pack", "b\0q", 1),
  call("pack", "z", 1),
  call("pack", "b4", 1),
  call("pack", "\xff", 1),
  call("pack", "i99999999999", 1),
  call("pack", "!99999999999", 1),
  call("pack", "c2147483647", "a"),
  call("pack", "c2147483648", "a"),
  call("pack"),
  call("pack", 5, 1),
  // unpack
  call("unpack", ">I2", "\x01\x02"),
  call("unpack", "<I2", "\x01\x02"),
  call("unpack", ">h", "\xff\xfe"),
  call("unpack", "b", "\x80"),
  call("unpack", "B", "\x80"),
  call("unpack", ">l", "\xff\xff\xff\xff\xff\xff\xff\xfe"),
  call("unpack", ">L", "\xff\xff\xff\xff\xff\xff\xff\xfe"),
  call("unpack", ">T", "\x00\x00\x00\x00\x00\x00\x01\x00"),
  call("unpack", ">i3", "\xff\xff\xfe"),
  call("unpack", ">I3", "\xff\xff\xfe"),
  call("unpack", ">i9", "\xff\x00\x00\x00\x00\x00\x00\x00\x80"),
  call("unpack", ">I9", "\xff\x80\x00\x00\x00\x00\x00\x00\x01"),
  call("unpack", "<i16", "\x01".repeat(16)),
  call("unpack", ">i16", "\x80".repeat(16)),
  call("unpack", ">i12", "\x00".repeat(4) + "\x80".repeat(8)),
  call("unpack", ">i0", "abc"),
  call("unpack", ">f", "\x3f\xc0\x00\x00"),
  call("unpack", "<f", "\x00\x00\xc0\x7f"),
  call("unpack", ">d", "\x3f\xb9\x99\x99\x99\x99\x99\x9a"),
  call("unpack", "<d", "\x00\x00\x00\x00\x00\x00\xf0\xff"),
  call("unpack", "c3", "abcdef"),
  call("unpack", "c3", "abcdef", 2),
  call("unpack", "c3", "abcdef", 4),
  call("unpack", "c3", "abcdef", 5),
  call("unpack", "c3", "abcdef", 0),
  call("unpack", "c3", "abcdef", -1),
  call("unpack", "", "abc", -5),
  call("unpack", "", "abc", 10),
  call("unpack", "", "abc", 2 ** 70),
  call("unpack", "b", "abc", 2.9),
  call("unpack", "b", "abc", "2"),
  call("unpack", "b", "abc", "x"),
  call("unpack", "bc0", "\x03abcdef"),
  call("unpack", "bc0", "\x09abc"),
  call("unpack", "c1c0", "3abcd"),
  call("unpack", "c1c0", "xabcd"),
  call("unpack", "c0", "abc"),
  call("unpack", "xc0", "abc"),
  call("unpack", "dc0", "\0\0\0\0\0\0\xf0\xbfabc"),
  call("unpack", "dc0", "\0\0\0\0\0\0\0\x80abc"),
  call("unpack", "dc0", "\0\0\0\0\0\0\xf8\x7fabc"),
  call("unpack", "s", "abc\0def"),
  call("unpack", "ss", "abc\0def\0"),
  call("unpack", "ss", "abc\0def"),
  call("unpack", "s", ""),
  call("unpack", "!4 b i", "\x01\0\0\0\x02\0\0\0"),
  call("unpack", "!4 b i", "\x01\0\0\0\x02\0\0"),
  call("unpack", "!8 b d", `\x01${"\0".repeat(7)}\0\0\0\0\0\0\xf0\x3f`),
  call("unpack", "!2 b x h", "\x01\0\0\0\x05\0"),
  call("unpack", "!4 bi", "\x01\0\0\0\x02\0\0\0", 2),
  call("unpack", "x", "a"),
  call("unpack", "x", ""),
  call("unpack", "<>", "a"),
  call("unpack", "q", "abc"),
  call("unpack", "b\0q", "abc"),
  call("unpack", "i40", "abc"),
  call("unpack", "!6", "abc"),
  call("unpack", "b"),
  call("unpack", "b", 12),
  call("unpack"),
  // size
  call("size", ""),
  call("size", "b"),
  call("size", "bhilLTfdx"),
  call("size", "!bhilLTfdx"),
  call("size", "!4 b d"),
  call("size", "c10"),
  call("size", "c0"),
  call("size", "s"),
  call("size", "z"),
  call("size", "q5"),
  call("size", "i3i3"),
  call("size", "!4 i3i3"),
  call("size", "i33"),
  call("size", "%"),
  call("size", "!5"),
  call("size", ">i2<i2"),
  call("size"),
  call("size", 4),
];

describe.skipIf(!hasRedis())("struct against redis-server", () => {
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

  it("long strings and many results", async () => {
    const cases: CallCase[] = [
      call("pack", "c300", s(100).repeat(3)),
      call("unpack", "c0", s(10)),
      call("unpack", "b".repeat(7996), "a".repeat(8000)),
      call("unpack", "b".repeat(7997), "a".repeat(8000)),
      call("unpack", "b".repeat(7998), "a".repeat(8000)),
      call("unpack", "b".repeat(7997), "a".repeat(8000), 1),
      call("unpack", "b".repeat(7996), "a".repeat(8000), 1),
    ];
    const theirs = await runInRedis(
      redis!,
      cases.map((c) => {
        // Count the results instead of returning thousands of them.
        return `local t = {pcall(${c.fn}, ${callBody(c).slice(7 + c.fn.length + 1, -1)})} if not t[1] then error(t[2]) end return #t - 1, t[2], t[#t]`;
      }),
    );
    // Our side: compare counts, first and last values.
    const summary = cases.map((c) => {
      try {
        const [lib, name] = c.fn.split(".");
        const f = (globals.get(lib) as LuaTable).get(name) as { call: (a: LuaValue[]) => LuaValue[] };
        const r = f.call(c.args.slice());
        return `ok:${r.length},${JSON.stringify(r[0])},${JSON.stringify(r[r.length - 1])}`;
      } catch (e) {
        return `err:${(e as Error).message.replace(/^bad argument #\d+ to '\w+' /, "")}`;
      }
    });
    const theirSummary = theirs.map((t) => {
      if (t.startsWith("err:")) return `err:${t.slice(4).replace(/^bad argument #\d+ to '\?' /, "")}`;
      const parts = t.slice(3).split(",");
      const q = (x: string) => (x.startsWith('"') ? JSON.stringify(x.slice(1, -1)) : x);
      return `ok:${parts[0]},${q(parts[1])},${q(parts[parts.length - 1])}`;
    });
    expect(summary).toEqual(theirSummary);
  });

  it("random integer round trips give Redis's bytes (property)", async () => {
    const fmt = fc.constantFrom(
      ">b",
      "<B",
      ">h",
      "<H",
      ">i",
      "<I",
      ">l",
      "<L",
      ">i3",
      "<I5",
      ">i7",
      "<i12",
      ">f",
      "<d",
    );
    const num = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
      fc.double({ noNaN: true }),
      fc.double({ min: -(2 ** 60), max: 2 ** 60, noNaN: true }),
    );
    const cases = fc
      .sample(fc.tuple(fmt, num), { numRuns: 1500, seed: 424242 })
      .map(([f, n]) => call("pack", f, n));
    const theirs = await runInRedis(redis!, cases.map(callBody), 500);
    const diffs = cases
      .map((c, i) => ({ lua: callBody(c), ours: ours(c), redis: theirs[i] }))
      .filter((d) => d.ours !== d.redis);
    expect(diffs.slice(0, 10)).toEqual([]);
    // And unpacking what was packed.
    const ucases = cases.map((c, i) => {
      const bytes = (
        (globals.get("struct") as LuaTable).get("pack") as { call: (a: LuaValue[]) => LuaValue[] }
      ).call(c.args.slice())[0] as string;
      return call("unpack", c.args[0], bytes, i % 2 === 0 ? 1 : undefined);
    });
    const theirsU = await runInRedis(redis!, ucases.map(callBody), 500);
    const diffsU = ucases
      .map((c, i) => ({ lua: callBody(c), ours: ours(c), redis: theirsU[i] }))
      .filter((d) => d.ours !== d.redis);
    expect(diffsU.slice(0, 10)).toEqual([]);
  });
});
