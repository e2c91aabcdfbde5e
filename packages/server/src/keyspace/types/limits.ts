/**
 * The encoding thresholds of the collection types (Redis's server.hash_max_listpack_entries,
 * set_max_intset_entries...), kept as plain fields so that hot paths never look an option up by
 * name. `bindTypeLimits` copies them from the configuration at start and again whenever
 * CONFIG SET changes one; a change only affects later conversions, as in Redis (existing values
 * keep their encoding until they are next written).
 *
 * One process runs one server, so one module-level record serves the commands, the types and
 * the RDB loader alike.
 */

import type { Config } from "../../config/config.js";

export interface TypeLimits {
  /** hash-max-listpack-entries: a hash with more fields becomes a hashtable. */
  hashMaxListpackEntries: number;
  /** hash-max-listpack-value: a field or value longer than this makes the hash a hashtable. */
  hashMaxListpackValue: number;
  /** set-max-intset-entries: an all-integer set with more members becomes a hashtable. */
  setMaxIntsetEntries: number;
  /** zset-max-listpack-entries / -value: beyond either, a sorted set is a skiplist. */
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  /** stream-node-max-bytes / -entries: when a stream's tail node is full, XADD opens a new one (0 = no limit). */
  streamNodeMaxBytes: number;
  streamNodeMaxEntries: number;
}

export const typeLimits: TypeLimits = {
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
};

const WATCHED = new Set([
  "hash-max-listpack-entries",
  "hash-max-listpack-value",
  "set-max-intset-entries",
  "zset-max-listpack-entries",
  "zset-max-listpack-value",
  "stream-node-max-bytes",
  "stream-node-max-entries",
]);

function load(config: Config): void {
  typeLimits.hashMaxListpackEntries = config.num("hash-max-listpack-entries");
  typeLimits.hashMaxListpackValue = config.num("hash-max-listpack-value");
  typeLimits.setMaxIntsetEntries = config.num("set-max-intset-entries");
  typeLimits.zsetMaxListpackEntries = config.num("zset-max-listpack-entries");
  typeLimits.zsetMaxListpackValue = config.num("zset-max-listpack-value");
  typeLimits.streamNodeMaxBytes = config.num("stream-node-max-bytes");
  typeLimits.streamNodeMaxEntries = config.num("stream-node-max-entries");
}

/** Copies the thresholds from `config` now and on every later change (called once by the server). */
export function bindTypeLimits(config: Config): void {
  load(config);
  config.onChange((name) => {
    if (WATCHED.has(name)) load(config);
  });
}
