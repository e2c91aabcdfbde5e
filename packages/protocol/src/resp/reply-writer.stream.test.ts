/**
 * ReplyWriter as the master's replication stream uses it: commands encoded in place (command(),
 * whose bytes the backlog copies from the slab), pre-encoded bytes appended, everything pending
 * taken as one shared Buffer or discarded.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReplyWriter } from "./reply-writer.js";
import { encodeCommand } from "./request-encoder.js";

/** Strings of one-byte chars, short and long (the encoder copies them two different ways). */
const arg = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.string({ unit: fc.constantFrom("a", "\r", "\n", "\xff"), minLength: 40, maxLength: 3000 }),
);

type Op =
  | { kind: "command"; argv: string[] }
  | { kind: "append"; bytes: Uint8Array }
  | { kind: "take" }
  | { kind: "drop" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("command" as const), argv: fc.array(arg, { minLength: 1, maxLength: 5 }) }),
  fc.record({
    kind: fc.constant("append" as const),
    bytes: fc.uint8Array({ minLength: 0, maxLength: 9000, size: "max" }),
  }),
  fc.record({ kind: fc.constant("take" as const) }),
  fc.record({ kind: fc.constant("drop" as const) }),
);

describe("ReplyWriter as a command stream", () => {
  it("takes exactly the bytes appended since the last take or drop, commands as encodeCommand encodes them (property)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.constantFrom(64, 1024, 65536), (ops, slabSize) => {
        // Small slabs too, so that commands often start a new one.
        const stream = new ReplyWriter(slabSize, slabSize);
        // Views taken earlier must keep their bytes while the stream goes on.
        const taken: { view: Buffer; expected: Buffer }[] = [];
        let pending: Buffer[] = [];
        for (const o of ops) {
          if (o.kind === "command") {
            const start = stream.command(o.argv);
            const bytes = encodeCommand(o.argv);
            expect(stream.currentSlab.subarray(start, stream.currentPos).equals(bytes)).toBe(true);
            pending.push(bytes);
          } else if (o.kind === "append") {
            stream.raw(Buffer.from(o.bytes));
            pending.push(Buffer.from(o.bytes));
          } else if (o.kind === "take") {
            const expected = Buffer.concat(pending);
            const view = stream.takeOne();
            if (expected.length === 0) expect(view).toBeNull();
            else taken.push({ view: view!, expected });
            pending = [];
          } else {
            stream.discard();
            pending = [];
          }
          expect(stream.pendingBytes).toBe(pending.reduce((n, b) => n + b.length, 0));
        }
        for (const t of taken) expect(t.view.equals(t.expected)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
