/**
 * The deterministic memory estimate behind used_memory, MEMORY USAGE and maxmemory. It counts
 * what V8 allocates for each key on a 64-bit Node without pointer compression:
 *
 * - per key: the Map entry of the main dict (~3 words plus a share of its bucket array:
 *   KEY_DICT_OVERHEAD), the Entry record (header + 6 fields: ENTRY_OVERHEAD), its slot in the
 *   random-access array (8), and the key string (stringMemory).
 * - per TTL: the boxed double of `expireAt` and the slot in the volatile array (EXPIRE_OVERHEAD).
 * - per string value: a sequential one-byte string (header 16 + bytes, 8-byte aligned).
 * - per collection: whatever the type's own `mem` says (each type documents its constants).
 *
 * It does not count V8's free space, fragmentation, code or the young generation: those show up
 * in used_memory_rss and mem_fragmentation_ratio, as allocator overhead does in Redis.
 */

export const KEY_DICT_OVERHEAD = 40;
export const ENTRY_OVERHEAD = 72;
export const SLOT_OVERHEAD = 8;
export const EXPIRE_OVERHEAD = 24;

/** Bytes of a V8 sequential one-byte string of `length` chars. */
export function stringMemory(length: number): number {
  return 16 + ((length + 7) & ~7);
}

/** Bytes of one key with its dict entry and record, without the value. */
export function keyMemory(key: string): number {
  return KEY_DICT_OVERHEAD + ENTRY_OVERHEAD + SLOT_OVERHEAD + stringMemory(key.length);
}
