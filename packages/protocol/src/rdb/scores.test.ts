/**
 * d2string prints non-integral scores as %.17g does; its shortcut for short exact decimals
 * (2.5, 0.125, ...) must give exactly what the full %.17g formatting gives.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDouble17g } from "../format/double.js";
import { d2string } from "./scores.js";

describe("d2string", () => {
  it("matches %.17g for binary fractions of every size and scale", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: -8, max: 20 }),
        (m, shift, pow10) => {
          const d = (m / 2 ** shift) * 10 ** pow10;
          if (Number.isInteger(d) && Math.abs(d) < 2 ** 52) return;
          expect(d2string(d)).toBe(formatDouble17g(d));
        },
      ),
      { numRuns: 20000 },
    );
  });

  it("matches %.17g for arbitrary doubles and the fixed/exponent boundaries", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (d) => {
        if (Number.isInteger(d) && Math.abs(d) < 2 ** 52) return;
        expect(d2string(d)).toBe(formatDouble17g(d));
      }),
      { numRuns: 20000 },
    );
    for (const d of [2.5, -0.125, 1e-4, 0.00006103515625, 99999999999999.5, 999999999999999.5, 0.1, 1 / 3]) {
      expect(d2string(d)).toBe(formatDouble17g(d));
    }
    expect(d2string(2.5)).toBe("2.5");
    expect(d2string(0.1)).toBe("0.10000000000000001");
  });
});
