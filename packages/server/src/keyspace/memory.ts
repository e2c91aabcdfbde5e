/**
 * The deterministic memory estimate behind used_memory, MEMORY USAGE and maxmemory. It is kept
 * incrementally (Db.usedMemory) instead of asking V8, because process.memoryUsage() is global,
 * costs a heap walk and moves with every GC: eviction needs a figure that changes exactly when
 * the dataset does. It counts what V8 allocates on a 64-bit Node without pointer compression
 * (Node's default builds):
 *
 * - per key: the main dict's slot (KeyTable: a word and a 4-byte hash per slot, in a table
 *   between a quarter and half full: 12 * 4 * ln 2 = 33 bytes on average; KEY_DICT_OVERHEAD is
 *   calibrated a little higher, below), the Entry record (3 header words + 6
 *   fields: ENTRY_OVERHEAD), its slot in the random-access array (SLOT_OVERHEAD) and the key
 *   string (stringMemory);
 * - per TTL: the heap number boxing `expireAt` and the slot in the volatile array
 *   (EXPIRE_OVERHEAD);
 * - per string value: a sequential one-byte string (16-byte header + chars, 8-byte aligned).
 *   Values over ~1 MB become external strings (their bytes outside the V8 heap): same figure;
 * - per collection: whatever the type's own `mem` says (each type documents its constants);
 * - per connection (server.clientsMemory): CLIENT_OVERHEAD plus its pending query and output
 *   bytes, as Redis counts client buffers in used_memory.
 *
 * Calibrated by measurement (bench/memory-calibrate.mjs: N keys loaded into a keyhaven-server,
 * used_memory growth against the growth of V8's heapUsed + external after a full GC). Node 24,
 * 200k keys each; used/heap: key:N -> 8 B 0.995, same with TTL 0.990, 40-byte keys 1.005,
 * 50 B values 1.005, 200 B 1.003, 1 KB 1.000, 16 KB 0.999, 2 MB 1.000. The dict term is the one
 * that varies (its table doubles at powers of two), hence the up-to-7% gap right after a doubling.
 *
 * Not counted: V8's free space inside pages, the young generation, code, and the fixed cost of
 * the process. Those show in used_memory_rss and mem_fragmentation_ratio (= rss / used_memory),
 * as allocator overhead does in Redis; used_memory_startup is a fixed figure (server.memory.startup) so an
 * empty server reports what an empty Redis does.
 */

export const KEY_DICT_OVERHEAD = 36;
export const ENTRY_OVERHEAD = 72;
export const SLOT_OVERHEAD = 8;
export const EXPIRE_OVERHEAD = 24;
/**
 * One connection: the ReplyWriter's 16 KB slab, plus the Socket, its handle and the Client with
 * its parser (~2.8 KB), measured as heap + external growth per idle connection (1000 clients).
 */
export const CLIENT_OVERHEAD = 19 * 1024;

/** Bytes of a V8 sequential one-byte string of `length` chars. */
export function stringMemory(length: number): number {
  return 16 + ((length + 7) & ~7);
}

/** Bytes of one key with its dict entry and record, without the value. */
export function keyMemory(key: string): number {
  return KEY_DICT_OVERHEAD + ENTRY_OVERHEAD + SLOT_OVERHEAD + stringMemory(key.length);
}
