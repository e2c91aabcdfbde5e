import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lzfCompress, lzfDecompress } from "./lzf.js";

describe("lzf", () => {
  it("decodes a hand-assembled stream (literal run, then an extended back reference)", () => {
    // 000LLLLL: 3 literals "abc"; 111ooooo LLLLLLLL oooooooo: copy 7+0+2 = 9 bytes from 3 back.
    const stream = Buffer.from([0x02, 0x61, 0x62, 0x63, 0xe0, 0x00, 0x02]);
    expect(lzfDecompress(stream, 0, stream.length, 12)?.toString()).toBe("abcabcabcabc");
    // Short back reference LLLooooo oooooooo: copy 1+2 = 3 bytes from 1 back (overlapping).
    const short = Buffer.from([0x01, 0x78, 0x79, 0x20, 0x01]);
    expect(lzfDecompress(short, 0, short.length, 5)?.toString()).toBe("xyxyx");
  });

  it("refuses corrupt streams and length mismatches", () => {
    const stream = Buffer.from([0x02, 0x61, 0x62, 0x63, 0xe0, 0x00, 0x02]);
    expect(lzfDecompress(stream, 0, stream.length, 11)).toBeNull(); // output would overflow
    expect(lzfDecompress(stream, 0, stream.length, 13)).toBeNull(); // output too short
    expect(lzfDecompress(stream, 0, 6, 12)).toBeNull(); // truncated reference
    expect(lzfDecompress(Buffer.from([0x05, 0x61]), 0, 2, 6)).toBeNull(); // truncated literal run
    expect(lzfDecompress(Buffer.from([0x20, 0x00]), 0, 2, 3)).toBeNull(); // reference before the start
    expect(lzfDecompress(Buffer.from([0x00, 0x61]), 0, 2, 10_000)).toBeNull(); // implausible length
  });

  it("compresses what liblzf compresses, with Redis's len - 4 budget", () => {
    const text = Buffer.from("a".repeat(100));
    const c = lzfCompress(text, 0, text.length, text.length - 4);
    expect(c).not.toBeNull();
    expect(c?.length).toBeLessThan(12);
    const random = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 97 + 13) & 0xff));
    expect(lzfCompress(random, 0, random.length, random.length - 4)).toBeNull();
  });

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 2000 }),
          fc
            .tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 500 }))
            .map(([unit, n]) =>
              Uint8Array.from({ length: unit.length * n }, (_, i) => unit[i % unit.length]),
            ),
        ),
        (bytes) => {
          const c = lzfCompress(bytes, 0, bytes.length, bytes.length + 64);
          expect(c).not.toBeNull();
          const d = lzfDecompress(c as Buffer, 0, (c as Buffer).length, bytes.length);
          expect(d).not.toBeNull();
          expect(Buffer.compare(d as Buffer, Buffer.from(bytes))).toBe(0);
        },
      ),
    );
  });
});
