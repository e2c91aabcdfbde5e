/**
 * The hash behind Redis's HyperLogLogs (hyperloglog.c MurmurHash64A and hllPatLen), in 32-bit
 * halves: JavaScript has no 64-bit integer arithmetic short of BigInt, which would allocate per
 * step. Only hyperloglog.ts uses it.
 */

/** Bits of the hash that pick a register: 2^14 = 16384 registers. */
export const HLL_P = 14;
const HLL_P_MASK = (1 << HLL_P) - 1;
/** Bits of the hash above the register index: a register holds at most HLL_Q + 1. */
export const HLL_Q = 64 - HLL_P;

/** MurmurHash64A's multiplier, as 32-bit halves. */
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
/** Results of mul64 and of murmurHash64A (no allocation per call). */
let hi = 0;
let lo = 0;

/** (ah:al) * (bh:bl) mod 2^64 into hi:lo, in exact double arithmetic on 16-bit pieces. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const low = a0 * b0 + (mid % 0x10000) * 0x10000;
  lo = low >>> 0;
  const carry = Math.floor(low / 0x100000000);
  hi = (a1 * b1 + Math.floor(mid / 0x10000) + carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** MurmurHash64A of the latin1 bytes of `s` with `seed` (32 bits), into hi:lo. */
function murmurHash64A(s: string, seed: number): void {
  const len = s.length;
  mul64(0, len, M_HI, M_LO);
  let hh = hi;
  let hl = (lo ^ seed) >>> 0;
  const blocks = len - (len & 7);
  let i = 0;
  for (; i < blocks; i += 8) {
    const kl =
      (s.charCodeAt(i) |
        (s.charCodeAt(i + 1) << 8) |
        (s.charCodeAt(i + 2) << 16) |
        (s.charCodeAt(i + 3) << 24)) >>>
      0;
    const kh =
      (s.charCodeAt(i + 4) |
        (s.charCodeAt(i + 5) << 8) |
        (s.charCodeAt(i + 6) << 16) |
        (s.charCodeAt(i + 7) << 24)) >>>
      0;
    mul64(kh, kl, M_HI, M_LO);
    // k ^= k >> 47: only the high half's top 17 bits reach the low half.
    mul64(hi, (lo ^ (hi >>> 15)) >>> 0, M_HI, M_LO);
    hh = (hh ^ hi) >>> 0;
    hl = (hl ^ lo) >>> 0;
    mul64(hh, hl, M_HI, M_LO);
    hh = hi;
    hl = lo;
  }
  const rest = len & 7;
  if (rest > 0) {
    // The tail's bytes, little-endian, as the C switch's fall-through XORs them in.
    for (let j = rest - 1; j >= 0; j--) {
      const byte = s.charCodeAt(i + j);
      if (j >= 4) hh = (hh ^ (byte << ((j - 4) * 8))) >>> 0;
      else hl = (hl ^ (byte << (j * 8))) >>> 0;
    }
    mul64(hh, hl, M_HI, M_LO);
    hh = hi;
    hl = lo;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mul64(hh, hl, M_HI, M_LO);
  hi = hi >>> 0;
  lo = (lo ^ (hi >>> 15)) >>> 0;
}

/**
 * hllPatLen: the register an element hashes to and the run length of zeros (plus one) it
 * produces there, packed as `register << 6 | count` (a count is at most 51).
 */
export function patLen(element: string): number {
  murmurHash64A(element, 0xadc83b19);
  const index = lo & HLL_P_MASK;
  // hash >>= 14, then bit 50 set so the count stops at Q + 1.
  const l = ((lo >>> HLL_P) | (hi << (32 - HLL_P))) >>> 0;
  const h = (hi >>> HLL_P) | (1 << (HLL_Q - 32));
  const count = l !== 0 ? 1 + (31 - Math.clz32(l & -l)) : 33 + (31 - Math.clz32(h & -h));
  return (index << 6) | count;
}
