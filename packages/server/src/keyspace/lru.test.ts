import { afterEach, describe, expect, it } from "vitest";
import { clock, refreshClock } from "./clock.js";
import { LFU_INIT_VAL, lfuDecayedCounter, lruIdleSeconds, touchedLfu } from "./lru.js";

const MINUTE = 60_000;

afterEach(() => {
  refreshClock();
});

/** The LFU field as Redis packs it: 16-bit minutes, then the 8-bit counter. */
function field(minutes: number, counter: number): number {
  return ((minutes & 0xffff) << 8) | counter;
}

function nowMinutes(): number {
  return Math.floor(clock.ms / MINUTE) & 0xffff;
}

describe("LFU (evict.c LFUDecrAndReturn / LFULogIncr)", () => {
  it("a new key starts at LFU_INIT_VAL with the current minute", () => {
    const f = touchedLfu(-1, { logFactor: 10, decayTime: 1 });
    expect(f & 255).toBe(LFU_INIT_VAL);
    expect(f >> 8).toBe(nowMinutes());
  });

  it("decays one step per lfu-decay-time minutes idle, never below 0, and not at all with 0", () => {
    const f = field(nowMinutes(), 20);
    clock.ms += 7 * MINUTE;
    expect(lfuDecayedCounter(f, { logFactor: 10, decayTime: 1 })).toBe(13);
    expect(lfuDecayedCounter(f, { logFactor: 10, decayTime: 2 })).toBe(17);
    expect(lfuDecayedCounter(f, { logFactor: 10, decayTime: 0 })).toBe(20);
    clock.ms += 60 * MINUTE;
    expect(lfuDecayedCounter(f, { logFactor: 10, decayTime: 1 })).toBe(0);
  });

  it("counts elapsed minutes across the 16-bit wrap of the minute clock", () => {
    const now = nowMinutes();
    // Stored 3 minutes "before" now, through the wrap: LFUTimeElapsed's 65535 - ldt + now.
    const ldt = (now - 3 + 65536) & 0xffff;
    const expected = now >= ldt ? now - ldt : 65535 - ldt + now;
    expect(lfuDecayedCounter(field(ldt, 10), { logFactor: 10, decayTime: 1 })).toBe(10 - expected);
  });

  it("an access decays first, then increments, and stamps the current minute", () => {
    const settings = { logFactor: 0, decayTime: 1 };
    const old = field(nowMinutes(), 9);
    clock.ms += 3 * MINUTE;
    const touched = touchedLfu(old, settings);
    expect(touched & 255).toBe(9 - 3 + 1);
    expect(touched >> 8).toBe(nowMinutes());
  });

  it("lfu-log-factor 0 increments on every access, saturating at 255", () => {
    const settings = { logFactor: 0, decayTime: 0 };
    let f = touchedLfu(-1, settings);
    for (let i = 0; i < 100; i++) f = touchedLfu(f, settings);
    expect(f & 255).toBe(105);
    for (let i = 0; i < 200; i++) f = touchedLfu(f, settings);
    expect(f & 255).toBe(255);
  });

  it("the increment is logarithmic, matching Redis's documented table", () => {
    // redis.conf: factor 10 gives ~10 after 100 hits and ~18 after 1000; factor 1 gives ~18
    // and ~49. Medians of 101 keys are stable far inside these bounds.
    const median = (logFactor: number, hits: number) => {
      const settings = { logFactor, decayTime: 0 };
      const counters: number[] = [];
      for (let k = 0; k < 101; k++) {
        let f = touchedLfu(-1, settings);
        for (let i = 0; i < hits; i++) f = touchedLfu(f, settings);
        counters.push(f & 255);
      }
      return counters.sort((a, b) => a - b)[50];
    };
    expect(median(10, 100)).toBeGreaterThanOrEqual(9);
    expect(median(10, 100)).toBeLessThanOrEqual(11);
    expect(median(10, 1000)).toBeGreaterThanOrEqual(17);
    expect(median(10, 1000)).toBeLessThanOrEqual(21);
    expect(median(1, 100)).toBeGreaterThanOrEqual(16);
    expect(median(1, 100)).toBeLessThanOrEqual(20);
    expect(median(1, 1000)).toBeGreaterThanOrEqual(46);
    expect(median(1, 1000)).toBeLessThanOrEqual(52);
  });
});

describe("LRU", () => {
  it("OBJECT IDLETIME counts whole seconds since the last touch", () => {
    const lru = clock.lruSeconds;
    clock.lruSeconds += 42;
    expect(lruIdleSeconds(lru)).toBe(42);
    expect(lruIdleSeconds(clock.lruSeconds + 5)).toBe(0);
  });
});
