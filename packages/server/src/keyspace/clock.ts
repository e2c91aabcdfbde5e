/**
 * Cached time, like Redis's server.mstime/unixtime: refreshed once per command and per cron
 * tick, so every key of one command is judged against the same instant (a MULTI or a long
 * command sees consistent expiries) and hot paths do not call Date.now() per key.
 */

export const clock = {
  /** Unix time in ms as of the current command or cron tick. */
  ms: Date.now(),
  /** Seconds for the LRU clock (Redis's LRU_CLOCK resolution is 1 s). */
  lruSeconds: Math.floor(Date.now() / 1000),
};

export function refreshClock(): number {
  const now = Date.now();
  clock.ms = now;
  clock.lruSeconds = Math.floor(now / 1000);
  return now;
}
