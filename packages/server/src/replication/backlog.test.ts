import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReplBacklog } from "./backlog.js";
import { ReplState } from "./state.js";

/** The model: every byte ever fed, of which the backlog must hold the last `limit`. */
function check(backlog: ReplBacklog, all: number[], start: number, limit: number): void {
  const held = Math.min(limit, all.length);
  expect(backlog.histlen).toBe(held);
  expect(backlog.endOffset).toBe(start + all.length);
  expect(backlog.firstOffset).toBe(start + all.length - held + 1);
  expect(backlog.allocated).toBeLessThanOrEqual(Math.max(limit, 1));
  for (const from of [
    backlog.firstOffset,
    backlog.firstOffset + Math.floor(held / 2),
    backlog.endOffset + 1,
  ]) {
    expect(backlog.covers(from)).toBe(true);
    const got = Buffer.concat(backlog.copyFrom(from));
    expect([...got]).toEqual(all.slice(from - start - 1));
  }
  if (held < all.length) expect(backlog.covers(backlog.firstOffset - 1)).toBe(false);
  expect(backlog.covers(backlog.endOffset + 2)).toBe(false);
}

describe("ReplBacklog", () => {
  it("holds the newest bytes, addressed by stream offset (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 5000, size: "max" }), { maxLength: 12 }),
        (limit, start, chunks) => {
          const backlog = new ReplBacklog(limit, start);
          const all: number[] = [];
          for (const chunk of chunks) {
            backlog.append(Buffer.from(chunk));
            for (const b of chunk) all.push(b);
          }
          check(backlog, all, start, limit);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a range of a larger buffer is held as the range alone (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.array(
          fc.record({
            before: fc.integer({ min: 0, max: 50 }),
            bytes: fc.uint8Array({ minLength: 0, maxLength: 5000, size: "max" }),
            after: fc.integer({ min: 0, max: 50 }),
          }),
          { maxLength: 12 },
        ),
        (limit, pieces) => {
          const backlog = new ReplBacklog(limit, 0);
          const all: number[] = [];
          for (const { before, bytes, after } of pieces) {
            // Padding that must not end up in the backlog.
            const data = Buffer.concat([Buffer.alloc(before, 0xee), bytes, Buffer.alloc(after, 0xdd)]);
            backlog.appendRange(data, before, before + bytes.length);
            for (const b of bytes) all.push(b);
          }
          check(backlog, all, 0, limit);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("resizing keeps the newest history that fits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000, size: "max" }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000, size: "max" }), { maxLength: 4 }),
        (limit, newLimit, before, after) => {
          const backlog = new ReplBacklog(limit, 0);
          const all: number[] = [];
          for (const chunk of before) {
            backlog.append(Buffer.from(chunk));
            for (const b of chunk) all.push(b);
          }
          backlog.resize(newLimit);
          // After a resize the history is what was held, trimmed to the new size.
          const kept = Math.min(Math.min(limit, all.length), newLimit);
          expect(backlog.histlen).toBe(kept);
          expect([...Buffer.concat(backlog.copyFrom(backlog.firstOffset))]).toEqual(
            all.slice(all.length - kept),
          );
          const held = all.slice(all.length - kept);
          const startOfHeld = all.length - kept;
          for (const chunk of after) {
            backlog.append(Buffer.from(chunk));
            for (const b of chunk) held.push(b);
          }
          check(backlog, held, startOfHeld, newLimit);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("ReplState", () => {
  it("PSYNC2 rules: own id in the backlog, the previous id up to second_repl_offset", () => {
    const state = new ReplState(1024);
    expect(state.replId).toMatch(/^[0-9a-f]{40}$/);
    expect(state.canContinue(state.replId, 1)).toEqual({ ok: false, reason: "lack of backlog" });
    state.createBacklog();
    state.feed(Buffer.alloc(100));
    expect(state.masterReplOffset).toBe(100);
    expect(state.canContinue(state.replId, 1).ok).toBe(true);
    expect(state.canContinue(state.replId, 101).ok).toBe(true);
    expect(state.canContinue(state.replId, 102).ok).toBe(false);
    expect(state.canContinue("?", -1)).toEqual({ ok: false, reason: "full resync requested" });
    const old = state.replId;
    state.shiftReplicationId();
    expect(state.replId2).toBe(old);
    expect(state.secondReplOffset).toBe(101);
    expect(state.replId).not.toBe(old);
    state.feed(Buffer.alloc(50));
    // The old id is good up to the promotion point, the new one from anywhere in the backlog.
    expect(state.canContinue(old, 101).ok).toBe(true);
    expect(state.canContinue(old, 102)).toEqual({
      ok: false,
      reason: "Requested offset for second ID was 102, but I can reply up to 101",
    });
    expect(state.canContinue(state.replId, 120).ok).toBe(true);
    expect(state.canContinue("f".repeat(40), 120).ok).toBe(false);
    state.clearReplicationId2();
    expect(state.secondReplOffset).toBe(-1);
    expect(state.canContinue(old, 101).ok).toBe(false);
  });

  it("no backlog: the offset does not move", () => {
    const state = new ReplState(1024);
    state.feed(Buffer.alloc(10));
    expect(state.masterReplOffset).toBe(0);
  });
});
