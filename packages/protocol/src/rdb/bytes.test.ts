/** The integer reads agree with Buffer's own methods on any bytes at any offset (fast-check). */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { int8, int16LE, int24LE, int32LE, int64LE, uint16LE, uint32BE, uint32LE } from "./bytes.js";

describe("RDB integer reads", () => {
  it("match Buffer's readers", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 24 }), fc.nat(16), (bytes, at) => {
        const b = Buffer.from(bytes);
        const p = at % (b.length - 7);
        expect(int8(b, p)).toBe(b.readInt8(p));
        expect(int16LE(b, p)).toBe(b.readInt16LE(p));
        expect(uint16LE(b, p)).toBe(b.readUInt16LE(p));
        expect(int24LE(b, p)).toBe(b.readIntLE(p, 3));
        expect(int32LE(b, p)).toBe(b.readInt32LE(p));
        expect(uint32LE(b, p)).toBe(b.readUInt32LE(p));
        expect(uint32BE(b, p)).toBe(b.readUInt32BE(p));
        expect(BigInt(int64LE(b, p))).toBe(b.readBigInt64LE(p));
        const v = int64LE(b, p);
        if (typeof v === "number") expect(Number.isSafeInteger(v)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("int64LE gives a number exactly within +-2^53 and a bigint beyond", () => {
    const b = Buffer.alloc(8);
    for (const x of [
      0n,
      -1n,
      2n ** 53n - 1n,
      -(2n ** 53n),
      2n ** 53n,
      -(2n ** 53n) - 1n,
      2n ** 63n - 1n,
      -(2n ** 63n),
    ]) {
      b.writeBigInt64LE(x);
      const v = int64LE(b, 0);
      expect(BigInt(v)).toBe(x);
    }
    b.writeBigInt64LE(2n ** 53n - 1n);
    expect(typeof int64LE(b, 0)).toBe("number");
    b.writeBigInt64LE(2n ** 63n - 1n);
    expect(typeof int64LE(b, 0)).toBe("bigint");
  });
});
