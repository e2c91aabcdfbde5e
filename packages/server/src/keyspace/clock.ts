/**
 * Cached time, like Redis's server.mstime/unixtime: refreshed once per command and per cron
 * tick, so every key of one command is judged against the same instant (a MULTI or a long
 * command sees consistent expiries) and hot paths do not call Date.now() per key.
 */

/** LRU_CLOCK_MAX: the LRU clock and the Entry field holding LRU/LFU data wrap at 24 bits. */
export const LRU_CLOCK_MAX = 0xffffff;

export const clock = {
  /** Unix time in ms as of the current command or cron tick. */
  ms: Date.now(),
  /**
   * LRU_CLOCK: seconds, cut to 24 bits as Redis's is (LRU_CLOCK_MAX), because the same 24-bit
   * field holds LFU data under the LFU policies and a policy switch reads one as the other.
   */
  lruSeconds: Math.floor(Date.now() / 1000) & LRU_CLOCK_MAX,
};

export function refreshClock(): number {
  const now = Date.now();
  clock.ms = now;
  clock.lruSeconds = Math.floor(now / 1000) & LRU_CLOCK_MAX;
  return now;
}
