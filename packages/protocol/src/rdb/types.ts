/**
 * The data model shared by the RDB reader, writer and DUMP codec, and the contract the server is
 * written against. Keys, members, fields and string values are JS strings holding one byte per char
 * (latin1), exactly the bytes Redis stores; integers that Redis keeps in integer encodings come back
 * as their canonical decimal text.
 */

import type { RdbStream } from "./stream.js";

export type RdbValue =
  | { type: "string"; value: string }
  | { type: "list"; value: string[] }
  | { type: "set"; value: string[] }
  | { type: "zset"; value: [member: string, score: number][] }
  | { type: "hash"; value: [field: string, value: string][] }
  | { type: "stream"; value: RdbStream };

export interface RdbEntry {
  db: number;
  key: string;
  value: RdbValue;
  /** Absolute Unix time in ms; -1: no expiry. */
  expireAtMs: number;
  /** RDB_OPCODE_IDLE (LRU idle time in seconds); -1: absent. */
  lruIdleSeconds: number;
  /** RDB_OPCODE_FREQ (LFU logarithmic counter 0..255); -1: absent. */
  lfuFreq: number;
}

/** What RdbReader.next() yields, in file order. */
export type RdbEvent =
  | { kind: "aux"; name: string; value: string }
  | { kind: "selectdb"; db: number }
  /** A sizing hint from the file: untrusted, so never preallocate from it without a bound. */
  | { kind: "resizedb"; dbSize: number; expiresSize: number }
  | { kind: "entry"; entry: RdbEntry }
  /** A function library (RDB_OPCODE_FUNCTION2 payload), only with `functions: "emit"`. */
  | { kind: "function"; code: string }
  /**
   * The EOF opcode and the CRC64 trailer. `checksum` is the stored value (0n for files saved with
   * `rdbchecksum no`, and for RDB < 5 which has no trailer); `verified` says whether it was compared.
   */
  | { kind: "end"; checksum: bigint; verified: boolean };

/**
 * Encoding thresholds the writer uses to pick the encoding Redis 7.0 would, named after the config
 * options they mirror. Defaults are Redis 7.0's.
 */
export interface RdbEncodingOptions {
  /** rdbcompression: LZF-compress strings longer than 20 bytes when it saves space. */
  compression?: boolean;
  /** list-max-listpack-size: negative = node size class (-2 = 8 KB), positive = entries per node. */
  listMaxListpackSize?: number;
  /** Elements of at least this many bytes go in a PLAIN quicklist node (packed_threshold, 1 GB). */
  listPackedThreshold?: number;
  /** set-max-intset-entries. */
  setMaxIntsetEntries?: number;
  /** zset-max-listpack-entries / zset-max-listpack-value. */
  zsetMaxListpackEntries?: number;
  zsetMaxListpackValue?: number;
  /** hash-max-listpack-entries (Redis 7.0's default is 512) / hash-max-listpack-value. */
  hashMaxListpackEntries?: number;
  hashMaxListpackValue?: number;
}

export const RDB_ENCODING_DEFAULTS: Required<RdbEncodingOptions> = {
  compression: true,
  listMaxListpackSize: -2,
  listPackedThreshold: 1 << 30,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
};
