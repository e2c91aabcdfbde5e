import { afterEach, describe, expect, it } from "vitest";
import { clock, LRU_CLOCK_MAX, refreshClock } from "./clock.js";
import { LFU_INIT_VAL, lfuDecayedCounter, lruFromIdle, lruIdleSeconds, touchedLfu } from "./lru.js";

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
    clock.lruSeconds = 1000;
    const lru = clock.lruSeconds;
    clock.lruSeconds += 42;
    expect(lruIdleSeconds(lru)).toBe(42);
    // A stamp ahead of the clock reads as one from before the last wrap, as in Redis.
    expect(lruIdleSeconds(clock.lruSeconds + 5)).toBe(LRU_CLOCK_MAX - 5);
  });

  it("the clock is unix seconds cut to 24 bits, as Redis's LRU_CLOCK", () => {
    refreshClock();
    expect(clock.lruSeconds).toBeLessThanOrEqual(LRU_CLOCK_MAX);
    expect(clock.lruSeconds).toBe(Math.floor(clock.ms / 1000) % 2 ** 24);
  });

  it("idle time counts forward across the 24-bit wrap", () => {
    clock.lruSeconds = 10;
    expect(lruIdleSeconds(LRU_CLOCK_MAX - 5)).toBe(15);
    // A stamp kept as full unix seconds reads as its 24-bit cut.
    clock.lruSeconds = Math.floor(Date.now() / 1000) & LRU_CLOCK_MAX;
    expect(lruIdleSeconds(Math.floor(Date.now() / 1000) - 30)).toBeGreaterThanOrEqual(29);
    expect(lruIdleSeconds(Math.floor(Date.now() / 1000) - 30)).toBeLessThanOrEqual(31);
  });

  it("an idle time older than the clock lands half-way round it (objectSetLRUOrLFU)", () => {
    clock.lruSeconds = 1000;
    expect(lruIdleSeconds(lruFromIdle(400))).toBe(400);
    const far = lruFromIdle(5000);
    expect(far).toBeLessThanOrEqual(LRU_CLOCK_MAX);
    expect(lruIdleSeconds(far)).toBeGreaterThan(2 ** 22);
  });
});

describe("switching maxmemory-policy between LRU and LFU", () => {
  const settings = { logFactor: 0, decayTime: 0 };

  it("an LRU stamp read as LFU data is a counter of at most 255 (its low byte, undecayed)", () => {
    refreshClock();
    const stamp = clock.lruSeconds;
    const freq = lfuDecayedCounter(stamp, settings);
    expect(freq).toBe(stamp & 255);
    // The first access under LFU increments that counter (log factor 0) and stamps the minute.
    const touched = touchedLfu(stamp, settings);
    expect(touched & 255).toBe(Math.min(255, freq + 1));
    expect(touched >> 8).toBe(nowMinutes());
  });

  it("with decay, a stamp whose 16 high bits are far from the minute clock decays to 0", () => {
    refreshClock();
    // ldt = stamp >> 8 is 16 bits, so the elapsed minutes are at most 65535 and the field
    // never reads as anything but a small counter.
    for (let i = 0; i < 1000; i++) {
      const stamp = Math.floor(Math.random() * (LRU_CLOCK_MAX + 1));
      const freq = lfuDecayedCounter(stamp, { logFactor: 10, decayTime: 1 });
      expect(freq).toBeGreaterThanOrEqual(0);
      expect(freq).toBeLessThanOrEqual(stamp & 255);
    }
    // Full unix seconds (never cut) are read through the same 24-bit window.
    const secs = Math.floor(Date.now() / 1000);
    expect(lfuDecayedCounter(secs, settings)).toBe(secs & 255);
  });

  it("LFU data read as an LRU stamp is an idle time within the 24-bit clock", () => {
    refreshClock();
    const lfu = touchedLfu(-1, settings);
    const idle = lruIdleSeconds(lfu);
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(idle).toBeLessThanOrEqual(LRU_CLOCK_MAX);
    expect(idle).toBe(clock.lruSeconds - lfu + (clock.lruSeconds >= lfu ? 0 : LRU_CLOCK_MAX));
  });
});
