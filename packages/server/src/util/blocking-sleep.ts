/**
 * A sleep that blocks the whole event loop, as Redis's nanosleep/usleep in DEBUG SLEEP and the
 * AOF flush test hook do: nothing else runs meanwhile (that is the point). Atomics.wait is
 * allowed on Node's main thread, and waits without spinning.
 */

const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks for `ms` milliseconds (fractions allowed; nothing for 0 or less). */
export function blockingSleep(ms: number): void {
  if (!(ms > 0)) return;
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) Atomics.wait(cell, 0, 0, left);
}
