/**
 * Integer reads for the RDB decoders (input, listpack, ziplist, intset, zipmap). Buffer's
 * readInt32LE and friends validate their offset on each call; in a replica loading a 100k-key
 * sync in a fresh process, before V8 has optimized them, the validation and the methods' own
 * bodies were ~20 ms of the CPU profile. Every caller checks its bounds before reading.
 */

export const TWO_POW_32 = 4294967296;

export function int8(b: Uint8Array, p: number): number {
  return (b[p] << 24) >> 24;
}

export function int16LE(b: Uint8Array, p: number): number {
  return ((b[p] | (b[p + 1] << 8)) << 16) >> 16;
}

export function uint16LE(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8);
}

export function int24LE(b: Uint8Array, p: number): number {
  return ((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) << 8) >> 8;
}

export function int32LE(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
}

export function uint32LE(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}

export function uint32BE(b: Uint8Array, p: number): number {
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}

/**
 * An int64 (little-endian) as a number when it is within +-2^53 (exact as a double), else as a
 * bigint: |hi| < 2^21 keeps hi * 2^32 + lo within 2^53.
 */
export function int64LE(b: Buffer, p: number): number | bigint {
  const hi = int32LE(b, p + 4);
  return hi >= -2097152 && hi < 2097152 ? hi * TWO_POW_32 + uint32LE(b, p) : b.readBigInt64LE(p);
}
