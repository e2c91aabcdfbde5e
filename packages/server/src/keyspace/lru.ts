/**
 * The LRU/LFU field of a key, as Redis keeps it in the 24 bits of robj.lru (evict.c):
 * - LRU policies: LRU_CLOCK (seconds, cut to 24 bits) when the key was last touched.
 * - LFU policies: (last decrement time in minutes, 16 bits) << 8 | logarithmic counter (8 bits).
 * Switching maxmemory-policy between the two families reinterprets the bits, as Redis does:
 * an LRU stamp read as LFU data gives a counter decayed from its low byte, and LFU data read
 * as an LRU stamp gives some idle time within the 24-bit clock's range. Values are masked to
 * 24 bits on read, so a field written as plain unix seconds (older code paths) reads the same.
 */

import { clock, LRU_CLOCK_MAX } from "./clock.js";

/** LFU_INIT_VAL: a new key starts with some frequency so it is not evicted at once. */
export const LFU_INIT_VAL = 5;

export interface LfuSettings {
  logFactor: number;
  decayTime: number;
}

/** LFUGetTimeInMinutes: unix minutes, 16 bits. */
function minutesNow(): number {
  return Math.floor(clock.ms / 60000) & 0xffff;
}

/** LFUTimeElapsed: minutes since `ldt`, with 16-bit wrap-around (65535, not 65536, as Redis). */
function minutesElapsed(ldt: number): number {
  const now = minutesNow();
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}

/** LFUDecrAndReturn: the counter after decaying one step per `decayTime` minutes idle. */
export function lfuDecayedCounter(lru: number, settings: LfuSettings): number {
  const field = lru & LRU_CLOCK_MAX;
  const ldt = field >> 8;
  const counter = field & 255;
  const periods = settings.decayTime > 0 ? Math.floor(minutesElapsed(ldt) / settings.decayTime) : 0;
  return periods > counter ? 0 : counter - periods;
}

/** LFULogIncr: increments with probability 1 / ((counter - LFU_INIT_VAL) * logFactor + 1). */
function lfuLogIncr(counter: number, logFactor: number): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  const p = 1 / (base * logFactor + 1);
  return Math.random() < p ? counter + 1 : counter;
}

/** The field value for a key touched now (a new key when `current` < 0). */
export function touchedLfu(current: number, settings: LfuSettings): number {
  if (current < 0) return (minutesNow() << 8) | LFU_INIT_VAL;
  const counter = lfuLogIncr(lfuDecayedCounter(current, settings), settings.logFactor);
  return (minutesNow() << 8) | counter;
}

/**
 * estimateObjectIdleTime in seconds: the distance from the field to the LRU clock, going
 * forward around the 24-bit wrap (LRU_CLOCK_MAX - lru + now, as Redis counts it).
 */
export function lruIdleSeconds(lru: number): number {
  const now = clock.lruSeconds;
  const field = lru & LRU_CLOCK_MAX;
  return now >= field ? now - field : now + (LRU_CLOCK_MAX - field);
}

/**
 * objectSetLRUOrLFU for an LRU idle time (RESTORE IDLETIME, RDB): the stamp `idle` seconds
 * ago; when that would fall before 0 Redis puts it half-way round the clock so it stays old.
 */
export function lruFromIdle(idleSeconds: number): number {
  const now = clock.lruSeconds;
  const abs = now - idleSeconds;
  return abs >= 0 ? abs : (now + Math.floor(LRU_CLOCK_MAX / 2)) % LRU_CLOCK_MAX;
}
