/**
 * C's rand() for code ported from Redis that draws random numbers with it (LOLWUT's art,
 * PFSELFTEST's data): the same range, so the arithmetic around each call (`rand() % n`,
 * `rand() / RAND_MAX`) keeps its meaning. Nothing depends on the sequence itself.
 */

/** glibc's RAND_MAX. */
export const RAND_MAX = 0x7fffffff;

/** A uniform integer in [0, RAND_MAX]. */
export function rand(): number {
  return Math.floor(Math.random() * (RAND_MAX + 1));
}
