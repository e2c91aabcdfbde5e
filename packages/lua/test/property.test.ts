/** Random arithmetic, comparison and concatenation expressions evaluate as in lua5.1. */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasLua51, runOurs, runReference } from "./lua51.js";

const atom = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom("0", "1", "2", "0.5", "1e300", "2^53", "(1/0)", "3.25", "1e-7", "123456789012345"),
  fc.constantFrom('"10"', '"0x10"', '" 3 "', '"abc"', '"1e2"', '""', '"-2"', '"5."'),
  fc.constantFrom("nil", "true", "x", "y", "s"),
);

const binop = fc.constantFrom(
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "..",
  "==",
  "~=",
  "<",
  "<=",
  ">",
  ">=",
  "and",
  "or",
);

const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    atom,
    fc.tuple(tie("e"), binop, tie("e")).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie("e").map((a) => `(${a})`),
    tie("e").map((a) => `- ${a}`),
    tie("e").map((a) => `not ${a}`),
  ),
})).e;

/** NaN's sign is not visible from JavaScript. */
function normalize(out: string): string {
  return out.replace(/-?nan/g, "nan");
}

describe.skipIf(!hasLua51)("random expressions match lua5.1", () => {
  it("200 expressions", () => {
    const exprs = fc.sample(expr, { numRuns: 200, seed: 42 });
    const src = [
      "local x, y, s = 7, -2.5, '12'",
      ...exprs.map((e) => `print(pcall(function() return ${e} end))`),
    ].join("\n");
    const ours = normalize(runOurs(src)).split("\n");
    const ref = normalize(runReference(src)).split("\n");
    expect(ref.length).toBeGreaterThan(200);
    for (let i = 0; i < Math.max(ours.length, ref.length); i++) {
      expect(ours[i], `expression: ${exprs[i - 0]}`).toBe(ref[i]);
    }
  });

  it("property: any expression", () => {
    fc.assert(
      fc.property(fc.array(expr, { minLength: 1, maxLength: 20 }), (list) => {
        const src = list.map((e) => `print(pcall(function() return ${e} end))`).join("\n");
        expect(normalize(runOurs(src))).toBe(normalize(runReference(src)));
      }),
      { numRuns: 10, seed: 7 },
    );
  });
});
