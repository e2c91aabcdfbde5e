import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDouble17g } from "./double.js";

describe("formatDouble17g matches C's %.17g", () => {
  it("known vectors (printf output from glibc)", () => {
    const vectors: [number, string][] = [
      [0, "0"],
      [-0, "-0"],
      [1, "1"],
      [1.1, "1.1000000000000001"],
      [0.1, "0.10000000000000001"],
      [1.5, "1.5"],
      [-2.5, "-2.5"],
      [100, "100"],
      [1e16, "10000000000000000"],
      [1e17, "1e+17"],
      [1.5e300, "1.5000000000000001e+300"],
      [0.0001, "0.0001"],
      [0.00001, "1.0000000000000001e-05"],
      [123456789.123, "123456789.123"],
      [5e-324, "4.9406564584124654e-324"],
      [2 ** -25, "2.9802322387695312e-08"],
      [3.0000000000000004, "3.0000000000000004"],
      [Number.POSITIVE_INFINITY, "inf"],
      [Number.NEGATIVE_INFINITY, "-inf"],
    ];
    for (const [d, text] of vectors) expect(formatDouble17g(d), String(d)).toBe(text);
  });

  it("always parses back to the same double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        expect(Number(formatDouble17g(d))).toBe(d);
      }),
    );
  });
});
