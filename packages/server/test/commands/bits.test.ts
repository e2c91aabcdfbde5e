import { beforeEach, describe, expect, it } from "vitest";
import { errorText, type RespClient, withTarget } from "../helpers.js";

let c: RespClient;

withTarget({}, (t) => ({ c } = t));
beforeEach(async () => {
  await c.call("FLUSHALL");
});

describe("bitmaps", () => {
  it("SETBIT/GETBIT", async () => {
    expect(await c.call("SETBIT", "b", "7", "1")).toBe(0);
    expect(await c.call("SETBIT", "b", "7", "1")).toBe(1);
    expect(await c.call("GET", "b")).toBe("\x01");
    expect(await c.call("GETBIT", "b", "7")).toBe(1);
    expect(await c.call("GETBIT", "b", "100")).toBe(0);
    expect(await c.call("GETBIT", "nokey", "0")).toBe(0);
    expect(errorText(await c.call("SETBIT", "b", "7", "2"))).toBe(
      "ERR bit is not an integer or out of range",
    );
    expect(errorText(await c.call("SETBIT", "b", "-1", "1"))).toBe(
      "ERR bit offset is not an integer or out of range",
    );
    expect(errorText(await c.call("SETBIT", "b", "4294967296", "1"))).toBe(
      "ERR bit offset is not an integer or out of range",
    );
  });

  it("BITCOUNT with BYTE and BIT ranges", async () => {
    await c.call("SET", "s", "foobar");
    expect(await c.call("BITCOUNT", "s")).toBe(26);
    expect(await c.call("BITCOUNT", "s", "0", "0")).toBe(4);
    expect(await c.call("BITCOUNT", "s", "1", "1")).toBe(6);
    expect(await c.call("BITCOUNT", "s", "1", "-2", "BYTE")).toBe(18);
    expect(await c.call("BITCOUNT", "s", "5", "30", "BIT")).toBe(17);
    expect(await c.call("BITCOUNT", "s", "-1", "-5")).toBe(0);
    expect(await c.call("BITCOUNT", "nokey", "0", "1")).toBe(0);
    // The key is looked up first: a missing key counts 0 whatever follows, another type is WRONGTYPE.
    expect(await c.call("BITCOUNT", "nokey", "a", "b", "c", "d")).toBe(0);
    await c.call("RPUSH", "alist", "x");
    expect(errorText(await c.call("BITCOUNT", "alist", "a"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    expect(errorText(await c.call("BITCOUNT", "s", "0"))).toBe("ERR syntax error");
    expect(errorText(await c.call("BITCOUNT", "s", "0", "1", "FOO"))).toBe("ERR syntax error");
    expect(errorText(await c.call("BITCOUNT", "s", "a", "b"))).toBe(
      "ERR value is not an integer or out of range",
    );
  });

  it("BITPOS", async () => {
    await c.call("SET", "p", "\xff\xf0\x00");
    expect(await c.call("BITPOS", "p", "0")).toBe(12);
    expect(await c.call("BITPOS", "p", "1", "2", "-1")).toBe(-1);
    expect(await c.call("BITPOS", "p", "1", "7", "15", "BIT")).toBe(7);
    await c.call("SET", "q", "\xff\xff\xff");
    expect(await c.call("BITPOS", "q", "0")).toBe(24);
    expect(await c.call("BITPOS", "q", "0", "0", "-1")).toBe(-1);
    expect(await c.call("BITPOS", "nokey", "0")).toBe(0);
    expect(await c.call("BITPOS", "nokey", "1")).toBe(-1);
    expect(errorText(await c.call("BITPOS", "p", "2"))).toBe("ERR The bit argument must be 1 or 0.");
    expect(errorText(await c.call("BITPOS", "p", "x"))).toBe("ERR value is not an integer or out of range");
    // A missing key answers before the range is even parsed.
    expect(await c.call("BITPOS", "nokey", "1", "x")).toBe(-1);
    expect(errorText(await c.call("BITPOS", "p", "1", "x"))).toBe(
      "ERR value is not an integer or out of range",
    );
    // Unlike BITCOUNT, two negative indexes in reverse order are clamped, not an empty range.
    await c.call("SET", "z", "\x00\x00");
    expect(await c.call("BITPOS", "z", "0", "-5", "-100")).toBe(0);
    expect(await c.call("BITCOUNT", "z", "-5", "-100")).toBe(0);
    // Long runs are skipped a byte at a time and still give the exact position.
    await c.call("SETBIT", "long", "80001", "1");
    expect(await c.call("BITPOS", "long", "1")).toBe(80001);
    expect(await c.call("BITPOS", "long", "1", "10", "-1")).toBe(80001);
    expect(await c.call("BITPOS", "long", "1", "80", "80002", "BIT")).toBe(80001);
  });

  it("BITOP", async () => {
    await c.call("MSET", "a", "abc", "b", "\x0f\x0f");
    expect(await c.call("BITOP", "AND", "d", "a", "b")).toBe(3);
    expect(await c.call("GET", "d")).toBe("\x01\x02\x00");
    expect(await c.call("BITOP", "OR", "d", "a", "b")).toBe(3);
    expect(await c.call("GET", "d")).toBe("oo\x63");
    expect(await c.call("BITOP", "XOR", "d", "a", "b")).toBe(3);
    expect(await c.call("BITOP", "NOT", "d", "b")).toBe(2);
    expect(await c.call("GET", "d")).toBe("\xf0\xf0");
    expect(errorText(await c.call("BITOP", "NOT", "d", "a", "b"))).toBe(
      "ERR BITOP NOT must be called with a single source key.",
    );
    expect(errorText(await c.call("BITOP", "FOO", "d", "a"))).toBe("ERR syntax error");
    expect(await c.call("BITOP", "AND", "d", "nokey1", "nokey2")).toBe(0);
    expect(await c.call("EXISTS", "d")).toBe(0);
  });

  it("BITFIELD and BITFIELD_RO", async () => {
    expect(await c.call("BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0")).toEqual([0, 255]);
    expect(await c.call("BITFIELD", "bf", "INCRBY", "u8", "0", "10")).toEqual([9]);
    expect(await c.call("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300")).toEqual([255]);
    expect(await c.call("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1")).toEqual([null]);
    expect(await c.call("BITFIELD", "bf", "GET", "i8", "0", "GET", "u4", "0", "GET", "i64", "0")).toEqual([
      -1,
      15,
      -72057594037927936n,
    ]);
    expect(await c.call("BITFIELD", "bf", "SET", "u8", "#2", "7", "GET", "u8", "16")).toEqual([0, 7]);
    expect(
      await c.call("BITFIELD", "bf", "SET", "i64", "0", "-9223372036854775808", "GET", "i64", "0"),
    ).toEqual([-72049897456533504n, -9223372036854775808n]);
    expect(errorText(await c.call("BITFIELD", "bf", "GET", "u64", "0"))).toBe(
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    );
    expect(errorText(await c.call("BITFIELD", "bf", "OVERFLOW", "FOO"))).toBe(
      "ERR Invalid OVERFLOW type specified",
    );
    expect(errorText(await c.call("BITFIELD", "bf", "FOO"))).toBe("ERR syntax error");
    expect(errorText(await c.call("BITFIELD", "bf", "GET", "u8", "-1"))).toBe(
      "ERR bit offset is not an integer or out of range",
    );
    // A write that fails under OVERFLOW FAIL still creates the key, as Redis does.
    expect(await c.call("BITFIELD", "nf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300")).toEqual([null]);
    expect(await c.call("STRLEN", "nf")).toBe(1);
    expect(await c.call("BITFIELD_RO", "bf", "GET", "u8", "0")).toEqual([128]);
    expect(await c.call("BITFIELD_RO", "bf", "OVERFLOW", "SAT")).toEqual([]);
    expect(errorText(await c.call("BITFIELD_RO", "bf", "SET", "u8", "0", "1"))).toBe(
      "ERR BITFIELD_RO only supports the GET subcommand",
    );
  });
});
