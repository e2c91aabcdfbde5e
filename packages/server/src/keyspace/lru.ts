/**
 * The LRU/LFU field of a key, as Redis keeps it in robj.lru (evict.c):
 * - LRU policies: the LRU clock in seconds when the key was last touched.
 * - LFU policies: (last decrement time in minutes, 16 bits) << 8 | logarithmic counter (8 bits).
 * Switching maxmemory-policy between the two families reinterprets the bits, as Redis does.
 */

import { clock } from "./clock.js";

/** LFU_INIT_VAL: a new key starts with some frequency so it is not evicted at once. */
export const LFU_INIT_VAL = 5;

export interface LfuSettings {
  logFactor: number;
  decayTime: number;
}

function minutesNow(): number {
  return Math.floor(clock.ms / 60000) & 0xffff;
}

/** LFUTimeElapsed: minutes since `ldt`, with 16-bit wrap-around. */
function minutesElapsed(ldt: number): number {
  const now = minutesNow();
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}

/** LFUDecrAndReturn: the counter after decaying one step per `decayTime` minutes idle. */
export function lfuDecayedCounter(lru: number, settings: LfuSettings): number {
  const ldt = lru >> 8;
  const counter = lru & 255;
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

/** OBJECT IDLETIME in seconds for an LRU field. */
export function lruIdleSeconds(lru: number): number {
  return Math.max(0, clock.lruSeconds - lru);
}
