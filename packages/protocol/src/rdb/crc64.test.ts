import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Crc64, crc64, readUint64LE } from "./crc64.js";

/** The textbook bit-at-a-time reflected CRC-64/Jones, as the reference. */
function slowCrc64(buf: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const byte of buf) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

describe("crc64", () => {
  it("matches Redis's check value", () => {
    expect(crc64(Buffer.from("123456789"))).toBe(0xe9c6d914c4b8d9can);
    expect(crc64(Buffer.alloc(0))).toBe(0n);
  });

  it("equals the bit-at-a-time definition on long runs at any memory alignment", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 256, maxLength: 1200 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 7 }),
        (bytes, shift, start) => {
          // Copied at `shift` bytes into a fresh ArrayBuffer, so the word reads start misaligned.
          const backing = new Uint8Array(bytes.length + 8);
          backing.set(bytes, shift);
          const view = backing.subarray(shift, shift + bytes.length);
          expect(new Crc64().update(view, start).digest()).toBe(slowCrc64(bytes.subarray(start)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("equals the bit-at-a-time definition on any input, whatever the split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const expected = slowCrc64(bytes);
        expect(crc64(bytes)).toBe(expected);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const c = new Crc64();
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          c.update(bytes, prev, p);
          prev = p;
        }
        expect(c.digest()).toBe(expected);
      }),
    );
  });

  it("stores and compares the little-endian trailer form", () => {
    const c = new Crc64().update(Buffer.from("123456789"));
    const out = Buffer.alloc(8);
    c.writeLE(out, 0);
    expect(out.toString("hex")).toBe("cad9b8c414d9c6e9");
    expect(c.equalsLE(out, 0)).toBe(true);
    expect(readUint64LE(out, 0)).toBe(0xe9c6d914c4b8d9can);
    out[3] ^= 1;
    expect(c.equalsLE(out, 0)).toBe(false);
  });
});
