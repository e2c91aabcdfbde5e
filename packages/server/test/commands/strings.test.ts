import { describe, expect, it } from "vitest";
import { errorText, type RespClient, withTarget } from "../helpers.js";

let c: RespClient;

withTarget({}, (t) => ({ c } = t));

describe("strings", () => {
  it("SET/GET round-trip binary values", async () => {
    expect(await c.call("SET", "bin", "a\r\n\0\xff")).toBe("OK");
    expect(await c.call("GET", "bin")).toBe("a\r\n\0\xff");
    expect(await c.call("GET", "missing")).toBeNull();
  });

  it("SET options NX/XX/GET/KEEPTTL/EX and their errors", async () => {
    expect(await c.call("SET", "s1", "v", "NX")).toBe("OK");
    expect(await c.call("SET", "s1", "w", "NX")).toBeNull();
    expect(await c.call("SET", "s1", "w", "XX", "GET")).toBe("v");
    expect(await c.call("SET", "s2", "w", "XX")).toBeNull();
    expect(await c.call("SET", "s1", "x", "EX", "100")).toBe("OK");
    expect(await c.call("TTL", "s1")).toBe(100);
    expect(await c.call("SET", "s1", "y", "KEEPTTL")).toBe("OK");
    expect(await c.call("TTL", "s1")).toBe(100);
    expect(await c.call("SET", "s1", "y")).toBe("OK");
    expect(await c.call("TTL", "s1")).toBe(-1);
    expect(errorText(await c.call("SET", "s1", "v", "EX", "0"))).toBe(
      "ERR invalid expire time in 'set' command",
    );
    expect(errorText(await c.call("SET", "s1", "v", "EX", "abc"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorText(await c.call("SET", "s1", "v", "NX", "XX"))).toBe("ERR syntax error");
    expect(errorText(await c.call("SET", "s1", "v", "EX", "10", "PX", "10"))).toBe("ERR syntax error");
    expect(errorText(await c.call("SET", "s1"))).toBe("ERR wrong number of arguments for 'set' command");
  });

  it("counters with Redis's int64 limits and errors", async () => {
    expect(await c.call("SET", "n", "9223372036854775806")).toBe("OK");
    expect(await c.call("INCR", "n")).toBe(9223372036854775807n);
    expect(errorText(await c.call("INCR", "n"))).toBe("ERR increment or decrement would overflow");
    expect(await c.call("SET", "n", "abc")).toBe("OK");
    expect(errorText(await c.call("INCR", "n"))).toBe("ERR value is not an integer or out of range");
    expect(await c.call("DECRBY", "counter", "5")).toBe(-5);
    expect(errorText(await c.call("DECRBY", "counter", "-9223372036854775808"))).toBe(
      "ERR decrement would overflow",
    );
  });

  it("INCRBYFLOAT formats like Redis's long doubles", async () => {
    expect(await c.call("SET", "f", "10.50")).toBe("OK");
    expect(await c.call("INCRBYFLOAT", "f", "0.1")).toBe("10.6");
    expect(await c.call("INCRBYFLOAT", "f", "-5.0e3")).toBe("-4989.39999999999999991");
    expect(await c.call("INCRBYFLOAT", "fz", "3.0e3")).toBe("3000");
    expect(errorText(await c.call("INCRBYFLOAT", "f", "abc"))).toBe("ERR value is not a valid float");
  });

  it("INCRBYFLOAT and HINCRBYFLOAT refuse numbers beyond long double's range, as strtold's ERANGE", async () => {
    const invalid = "ERR value is not a valid float";
    for (const n of ["1e5000", "1e-5000", "0x1p99999", "1e39223372036854775807"]) {
      expect(errorText(await c.call("INCRBYFLOAT", "r", n))).toBe(invalid);
      expect(errorText(await c.call("HINCRBYFLOAT", "rh", "f", n))).toBe(invalid);
      expect(await c.call("SET", "stored", n)).toBe("OK");
      expect(errorText(await c.call("INCRBYFLOAT", "stored", "1"))).toBe(invalid);
    }
    expect(await c.call("INCRBYFLOAT", "r", "0e-99999")).toBe("0");
    // 1e400 fits a long double: redis-server prints it as the nearest long double.
    expect(await c.call("INCRBYFLOAT", "r", "1e400")).toBe(
      "10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880",
    );
    expect(errorText(await c.call("INCRBYFLOAT", "r", "inf"))).toBe(
      "ERR increment would produce NaN or Infinity",
    );
  });

  it("WRONGTYPE errors", async (ctx) => {
    // Hashes come from another subsystem: skip while this build does not have HSET.
    const [hset] = (await c.call("COMMAND", "INFO", "hset")) as unknown[];
    if (hset === null) ctx.skip();
    expect(await c.call("HSET", "ahash", "f", "v")).toBe(1);
    expect(errorText(await c.call("GET", "ahash"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });
});

describe("strings: options, ranges, encodings", () => {
  it("SET repeats an expiry option (last wins) but refuses conflicting ones", async () => {
    expect(await c.call("SET", "r1", "v", "EX", "10", "EX", "20")).toBe("OK");
    expect(await c.call("TTL", "r1")).toBe(20);
    expect(errorText(await c.call("SET", "r1", "v", "PX", "100", "EX", "20"))).toBe("ERR syntax error");
    expect(errorText(await c.call("SET", "r1", "v", "EX", "10", "KEEPTTL"))).toBe("ERR syntax error");
    expect(await c.call("SET", "r1", "v", "KEEPTTL", "KEEPTTL")).toBe("OK");
    expect(await c.call("SET", "r1", "w", "GET", "GET")).toBe("v");
    expect(await c.call("SET", "r1", "v", "PXAT", "99999999999999")).toBe("OK");
    expect(errorText(await c.call("SET", "r1", "v", "EX", "9223372036854776"))).toBe(
      "ERR invalid expire time in 'set' command",
    );
    expect(errorText(await c.call("SETEX", "r1", "0", "v"))).toBe(
      "ERR invalid expire time in 'setex' command",
    );
    expect(errorText(await c.call("PSETEX", "r1", "-5", "v"))).toBe(
      "ERR invalid expire time in 'psetex' command",
    );
  });

  it("GETEX looks the key up before validating the expiry", async () => {
    expect(await c.call("GETEX", "nokey", "EX", "abc")).toBeNull();
    expect(await c.call("SET", "gx", "v")).toBe("OK");
    expect(errorText(await c.call("GETEX", "gx", "EX", "abc"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorText(await c.call("GETEX", "gx", "EX", "-1"))).toBe(
      "ERR invalid expire time in 'getex' command",
    );
    expect(await c.call("GETEX", "gx", "EX", "10", "EX", "20")).toBe("v");
    expect(await c.call("TTL", "gx")).toBe(20);
    expect(errorText(await c.call("GETEX", "gx", "EX", "10", "PERSIST"))).toBe("ERR syntax error");
    expect(await c.call("GETEX", "gx", "PERSIST")).toBe("v");
    expect(await c.call("TTL", "gx")).toBe(-1);
    expect(await c.call("GETEX", "gx", "EXAT", "1")).toBe("v");
    expect(await c.call("EXISTS", "gx")).toBe(0);
  });

  it("GETRANGE/SETRANGE/APPEND edge cases", async () => {
    expect(await c.call("SET", "s", "hello")).toBe("OK");
    expect(await c.call("GETRANGE", "s", "-100", "-1")).toBe("hello");
    expect(await c.call("GETRANGE", "s", "3", "1")).toBe("");
    expect(await c.call("GETRANGE", "s", "-1", "-5")).toBe("");
    expect(await c.call("GETRANGE", "s", "0", "100")).toBe("hello");
    expect(await c.call("GETRANGE", "nokey", "0", "-1")).toBe("");
    expect(errorText(await c.call("GETRANGE", "s", "a", "b"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(await c.call("SETRANGE", "s", "10", "x")).toBe(11);
    expect(await c.call("GET", "s")).toBe("hello\0\0\0\0\0x");
    expect(errorText(await c.call("SETRANGE", "s", "-1", "x"))).toBe("ERR offset is out of range");
    expect(await c.call("SETRANGE", "s", "0", "")).toBe(11);
    expect(await c.call("SETRANGE", "nokey2", "5", "")).toBe(0);
    expect(await c.call("EXISTS", "nokey2")).toBe(0);
    expect(errorText(await c.call("SETRANGE", "s", "536870912", "x"))).toBe(
      "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    );
    expect(await c.call("APPEND", "ap", "abc")).toBe(3);
    expect(await c.call("APPEND", "ap", "def")).toBe(6);
    expect(await c.call("STRLEN", "ap")).toBe(6);
    expect(await c.call("STRLEN", "nokey")).toBe(0);
  });

  it("SUBSTR is GETRANGE under its old name, clamping included", async () => {
    expect(await c.call("SET", "sub", "Hello World")).toBe("OK");
    expect(await c.call("SUBSTR", "sub", "0", "4")).toBe("Hello");
    expect(await c.call("SUBSTR", "sub", "-5", "-1")).toBe("World");
    expect(await c.call("SUBSTR", "sub", "5", "2")).toBe("");
    // A negative end before the start clamps to 0: one character, not an empty string.
    expect(await c.call("SUBSTR", "sub", "0", "-100")).toBe("H");
    expect(await c.call("SUBSTR", "sub", "-100", "-50")).toBe("H");
    expect(await c.call("SUBSTR", "sub", "100", "200")).toBe("");
    expect(await c.call("SUBSTR", "nokey", "0", "1")).toBe("");
    expect(errorText(await c.call("SUBSTR", "sub", "a", "1"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorText(await c.call("SUBSTR", "sub", "0"))).toBe(
      "ERR wrong number of arguments for 'substr' command",
    );
    await c.call("LPUSH", "sublist", "a");
    expect(errorText(await c.call("SUBSTR", "sublist", "0", "1"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });

  it("OBJECT ENCODING follows how Redis built the value", async () => {
    await c.call("SET", "e1", "12345");
    expect(await c.call("OBJECT", "ENCODING", "e1")).toBe("int");
    await c.call("SET", "e1", "a".repeat(44));
    expect(await c.call("OBJECT", "ENCODING", "e1")).toBe("embstr");
    await c.call("SET", "e1", "a".repeat(45));
    expect(await c.call("OBJECT", "ENCODING", "e1")).toBe("raw");
    await c.call("SET", "e1", "01");
    expect(await c.call("OBJECT", "ENCODING", "e1")).toBe("embstr");
    await c.call("SET", "e1", "ab");
    await c.call("APPEND", "e1", "c");
    expect(await c.call("OBJECT", "ENCODING", "e1")).toBe("raw");
    await c.call("SETRANGE", "e2", "0", "12");
    expect(await c.call("OBJECT", "ENCODING", "e2")).toBe("raw");
    await c.call("INCRBYFLOAT", "e3", "1.5");
    await c.call("INCRBYFLOAT", "e3", "1.5");
    expect(await c.call("GET", "e3")).toBe("3");
    expect(await c.call("OBJECT", "ENCODING", "e3")).toBe("embstr");
    await c.call("INCR", "e3");
    expect(await c.call("OBJECT", "ENCODING", "e3")).toBe("int");
    await c.call("SETBIT", "e4", "0", "1");
    expect(await c.call("OBJECT", "ENCODING", "e4")).toBe("raw");
    await c.call("COPY", "e4", "e5");
    expect(await c.call("OBJECT", "ENCODING", "e5")).toBe("raw");
  });

  it("MSET/MSETNX/MGET/GETSET/GETDEL", async () => {
    expect(errorText(await c.call("MSET", "a", "1", "b"))).toBe(
      "ERR wrong number of arguments for 'mset' command",
    );
    expect(await c.call("MSET", "ma", "1", "mb", "2")).toBe("OK");
    expect(await c.call("MGET", "ma", "mb", "nokey")).toEqual(["1", "2", null]);
    expect(await c.call("MSETNX", "ma", "x", "mz", "y")).toBe(0);
    expect(await c.call("EXISTS", "mz")).toBe(0);
    expect(await c.call("MSETNX", "my", "x", "mz", "y")).toBe(1);
    expect(await c.call("GETSET", "ma", "10")).toBe("1");
    expect(await c.call("GETSET", "newgs", "x")).toBeNull();
    expect(await c.call("GETDEL", "ma")).toBe("10");
    expect(await c.call("GETDEL", "ma")).toBeNull();
  });

  it("LCS with LEN, IDX, MINMATCHLEN and WITHMATCHLEN", async () => {
    await c.call("MSET", "l1", "ohmytext", "l2", "mynewtext");
    expect(await c.call("LCS", "l1", "l2")).toBe("mytext");
    expect(await c.call("LCS", "l1", "l2", "LEN")).toBe(6);
    expect(await c.call("LCS", "l1", "l2", "IDX")).toEqual([
      "matches",
      [
        [
          [4, 7],
          [5, 8],
        ],
        [
          [2, 3],
          [0, 1],
        ],
      ],
      "len",
      6,
    ]);
    expect(await c.call("LCS", "l1", "l2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")).toEqual([
      "matches",
      [[[4, 7], [5, 8], 4]],
      "len",
      6,
    ]);
    expect(errorText(await c.call("LCS", "l1", "l2", "IDX", "LEN"))).toBe(
      "ERR If you want both the length and indexes, please just use IDX.",
    );
    expect(errorText(await c.call("LCS", "l1", "l2", "foo"))).toBe("ERR syntax error");
    expect(await c.call("LCS", "nokey1", "nokey2")).toBe("");
    // Keys of another type are refused before the options are read, with LCS's own error.
    await c.call("RPUSH", "lcslist", "x");
    for (const extra of [[], ["foo"], ["IDX", "LEN"]]) {
      expect(errorText(await c.call("LCS", "l1", "lcslist", ...extra))).toBe(
        "ERR The specified keys must contain string values",
      );
    }
  });

  it("INCRBYFLOAT errors and formatting", async () => {
    expect(await c.call("SET", "fl", "1.5")).toBe("OK");
    expect(errorText(await c.call("INCRBYFLOAT", "fl", "inf"))).toBe(
      "ERR increment would produce NaN or Infinity",
    );
    expect(errorText(await c.call("INCRBYFLOAT", "fl", "nan"))).toBe("ERR value is not a valid float");
    expect(await c.call("INCRBYFLOAT", "fl", "1e-5")).toBe("1.50001");
    expect(await c.call("INCRBYFLOAT", "nf", "5.")).toBe("5");
    expect(await c.call("INCRBYFLOAT", "nf2", ".5")).toBe("0.5");
    // strtold reads C99 hex floats too.
    expect(await c.call("INCRBYFLOAT", "nf2", "0x10")).toBe("16.5");
    expect(await c.call("INCRBYFLOAT", "nf2", "0x1.8p1")).toBe("19.5");
    expect(await c.call("SET", "fl", "1 ")).toBe("OK");
    expect(errorText(await c.call("INCRBYFLOAT", "fl", "1"))).toBe("ERR value is not a valid float");
  });
});
