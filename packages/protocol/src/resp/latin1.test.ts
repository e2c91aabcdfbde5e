import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToLatin1 } from "./latin1.js";

describe("bytesToLatin1", () => {
  it("gives one char per byte, whatever the length and bytes (short runs take other paths)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), (bytes, skip) => {
        const buf = Buffer.concat([Buffer.alloc(skip, 0xff), bytes, Buffer.from([0x41])]);
        const s = bytesToLatin1(buf, skip, skip + bytes.length);
        expect(s.length).toBe(bytes.length);
        expect([...s].map((c) => c.charCodeAt(0))).toEqual([...bytes]);
      }),
      { numRuns: 500 },
    );
  });
});
