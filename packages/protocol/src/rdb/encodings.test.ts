import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RdbFormatError } from "../errors.js";
import { canonicalInt32, parseCanonicalInt } from "./integers.js";
import { decodeIntset, encodeIntset } from "./intset.js";
import { decodeListpack, encodeListpack } from "./listpack.js";
import { d2string, parseScore } from "./scores.js";
import { decodeZiplist } from "./ziplist.js";
import { decodeZipmap } from "./zipmap.js";

const latin1 = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString("latin1"));
const intText = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.integer({ min: -70000, max: 70000 }).map(String),
  fc.constantFrom("0", "-0", "007", "+1", "9223372036854775808", "-9223372036854775809", " 1", "1e3", ""),
);

function lp(items: string[]): string[] {
  const buf = encodeListpack(items);
  const out: string[] = [];
  decodeListpack(buf, 0, buf.length, 0, out);
  return out;
}

describe("canonical integers (string2ll)", () => {
  it("accepts exactly the texts that print back the same", () => {
    fc.assert(
      fc.property(intText, (s) => {
        const v = parseCanonicalInt(s);
        if (v === null) {
          const ok =
            /^-?\d+$/.test(s) &&
            String(BigInt(s)) === s &&
            BigInt(s) >= -(2n ** 63n) &&
            BigInt(s) < 2n ** 63n;
          expect(ok).toBe(false);
        } else expect(String(v)).toBe(s);
      }),
    );
    expect(canonicalInt32("2147483647")).toBe(2147483647);
    expect(canonicalInt32("2147483648")).toBeNull();
    expect(canonicalInt32("-0")).toBeNull();
  });
});

describe("listpack", () => {
  it("writes the bytes lpAppend writes", () => {
    expect(encodeListpack(["a"]).toString("hex")).toBe("0a0000000100" + "816102" + "ff");
    // 127 (7-bit), 128 (13-bit), -4096, 4096 (16-bit), 8388607 (24-bit), 2^31 (64-bit).
    const hex = encodeListpack(["127", "128", "-4096", "4096", "8388607", "2147483648"]).toString("hex");
    expect(hex).toBe(
      "22000000" +
        "0600" +
        "7f01" +
        "c08002" +
        "d00002" +
        "f1001003" +
        "f2ffff7f04" +
        "f4" +
        "0000008000000000" +
        "09" +
        "ff",
    );
  });

  it("round-trips any strings, integer-looking or not", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(latin1, intText), { maxLength: 40 }), (items) => {
        expect(lp(items)).toEqual(items);
      }),
    );
    const long = ["x".repeat(63), "y".repeat(64), "z".repeat(4095), "w".repeat(4096), "v".repeat(20000)];
    expect(lp(long)).toEqual(long);
  });

  it("keeps the count field at 65535 for huge listpacks", () => {
    const items = Array.from({ length: 70000 }, (_, i) => String(i % 10));
    const buf = encodeListpack(items);
    expect(buf.readUInt16LE(4)).toBe(65535);
    expect(lp(items).length).toBe(70000);
  });

  it("rejects listpacks whose internal lengths disagree", () => {
    const good = encodeListpack(["hello", "42", "world"]);
    const bad = (mutate: (b: Buffer) => Buffer | undefined) => {
      const copy = Buffer.from(good);
      const b = mutate(copy) ?? copy;
      expect(() => decodeListpack(b, 0, b.length, 7, [])).toThrow(RdbFormatError);
    };
    bad((b) => {
      b.writeUInt32LE(b.length + 1, 0); // total bytes
    });
    bad((b) => {
      b.writeUInt16LE(4, 4); // count
    });
    bad((b) => {
      b[b.length - 1] = 0; // terminator
    });
    bad((b) => {
      b[6] = 0x86; // string length runs over
    });
    bad((b) => {
      b[12] = 9; // backlen of the first entry
    });
    bad((b) => {
      b[6] = 0xf7; // unknown encoding
    });
    bad((b) => b.subarray(0, 5));
  });
});

describe("intset", () => {
  it("round-trips and picks the smallest width", () => {
    const enc = (vals: (number | bigint)[]) => encodeIntset(vals).readUInt32LE(0);
    expect(enc([1, -32768, 32767])).toBe(2);
    expect(enc([1, 32768])).toBe(4);
    expect(enc([1, 2147483648])).toBe(8);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), {
          minLength: 1,
          maxLength: 50,
        }),
        (vals) => {
          const out: string[] = [];
          const buf = encodeIntset(vals);
          decodeIntset(buf, 0, buf.length, 0, out);
          expect(out).toEqual([...vals].sort((a, b) => (a < b ? -1 : 1)).map(String));
        },
      ),
    );
  });

  it("rejects bad encodings, sizes, emptiness and disorder", () => {
    const check = (b: Buffer) => expect(() => decodeIntset(b, 0, b.length, 0, [])).toThrow(RdbFormatError);
    const good = encodeIntset([1, 2, 3]);
    check(Buffer.concat([good, Buffer.alloc(2)]));
    check(Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]));
    check(Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]));
    const dup = Buffer.from(good);
    dup.writeInt16LE(1, 10);
    check(dup);
  });
});

describe("ziplist and zipmap (legacy, decode only)", () => {
  // file ziplist: "a", 5 (immediate), -200 (int16); built by hand from ziplist.c's layout.
  const zl = Buffer.from([
    ...[0x14, 0, 0, 0], // zlbytes = 20
    ...[0x0f, 0, 0, 0], // zltail = 15
    ...[3, 0], // zllen
    ...[0x00, 0x01, 0x61], // prevlen 0, 6-bit string "a"
    ...[0x03, 0xf6], // prevlen 3, immediate 5
    ...[0x02, 0xc0, 0x38, 0xff], // prevlen 2, int16 -200
    0xff,
  ]);

  it("decodes entries, integers as text", () => {
    const out: string[] = [];
    expect(decodeZiplist(zl, 0, zl.length, 0, out)).toBe(3);
    expect(out).toEqual(["a", "5", "-200"]);
  });

  it("rejects a wrong prevlen, tail, count or size", () => {
    const check = (mutate: (b: Buffer) => void) => {
      const b = Buffer.from(zl);
      mutate(b);
      expect(() => decodeZiplist(b, 0, b.length, 0, [])).toThrow(RdbFormatError);
    };
    check((b) => {
      b[13] = 4;
    });
    check((b) => {
      b[4] = 13;
    });
    check((b) => {
      b[8] = 2;
    });
    check((b) => {
      b[0] = 21;
    });
    check((b) => {
      b[16] = 0xc5; // bad encoding byte (0xc5 is not an integer encoding)
    });
  });

  it("decodes zipmaps with free space and big lengths", () => {
    const zm = Buffer.concat([
      Buffer.from([2, 3]),
      Buffer.from("foo"),
      Buffer.from([3, 1]),
      Buffer.from("bar?"),
      Buffer.from([254, 0, 1, 0, 0]),
      Buffer.alloc(256, 0x6b),
      Buffer.from([0, 0, 0xff]),
    ]);
    const out: string[] = [];
    expect(decodeZipmap(zm, 0, zm.length, 0, out)).toBe(2);
    expect(out).toEqual(["foo", "bar", "k".repeat(256), ""]);
    const bad = Buffer.from(zm);
    bad[0] = 3;
    expect(() => decodeZipmap(bad, 0, bad.length, 0, [])).toThrow(RdbFormatError);
    expect(() => decodeZipmap(Buffer.from([0, 0xff]), 0, 2, 0, [])).toThrow(RdbFormatError);
  });
});

describe("scores", () => {
  it("prints as d2string and reads back exactly", () => {
    expect(d2string(-0)).toBe("0"); // as Redis 7.0: -0 is integral
    expect(d2string(3)).toBe("3");
    expect(d2string(1.5)).toBe("1.5");
    expect(d2string(1 / 3)).toBe("0.33333333333333331");
    expect(d2string(1e100)).toBe("1e+100");
    expect(d2string(Number.POSITIVE_INFINITY)).toBe("inf");
    expect(parseScore("-inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parseScore("+inf")).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(parseScore("-0"), -0)).toBe(true);
    expect(parseScore("nan")).toBeNaN();
    expect(parseScore("")).toBeNaN();
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (d) => {
        expect(Object.is(parseScore(d2string(d)), Object.is(d, -0) ? 0 : d)).toBe(true);
      }),
    );
  });
});
