/**
 * RdbWriter: produces an RDB version 10 stream exactly as Redis 7.0's rdbSaveRio lays it out:
 *
 *   "REDIS0010"  AUX redis-ver, redis-bits, ctime, used-mem, [repl-stream-db, repl-id,
 *   repl-offset], aof-base   [FUNCTION2 ...]   per non-empty db: SELECTDB, RESIZEDB, then per key
 *   [EXPIRETIME_MS] [IDLE] [FREQ] <type> <key> <value>   EOF   CRC64 (8 bytes LE, or 0 when off)
 *
 * Values are encoded as Redis 7.0 would hold them (see value-writer.ts) under the thresholds given
 * as options. The output is pulled with take() in pieces, so the server's snapshotter can serialize
 * a few keys per event-loop turn and stream them to a file or to replicas.
 *
 *   const w = new RdbWriter({ compression: true });
 *   w.header({ redisVer: "7.0.15", ctime, usedMem });
 *   w.selectDb(0, dbSize, expiresSize);
 *   w.entry(key, value, expireAtMs);    // ... then w.take() whenever convenient
 *   w.end();
 *   const tail = w.take();
 *
 * Throws RdbValueError for values Redis cannot hold (empty collections, NaN scores) and for calls
 * out of order; otherwise never throws.
 */

import { RdbValueError } from "../errors.js";
import {
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_VERSION,
} from "./opcodes.js";
import { RdbOutput } from "./output.js";
import type { RdbEncodingOptions, RdbValue } from "./types.js";
import { type RdbFlatValue, resolveEncodingOptions, ValueEncoder } from "./value-writer.js";

export interface RdbWriterOptions extends RdbEncodingOptions {
  /** rdbchecksum: when false the trailer is 8 zero bytes, which loaders accept unchecked. */
  checksum?: boolean;
  /** Size of the output pieces (default 64 KB). */
  chunkSize?: number;
}

/** The AUX fields rdbSaveInfoAuxFields writes; the caller supplies every value. */
export interface RdbAuxFields {
  /** REDIS_VERSION, e.g. "7.0.15". */
  redisVer: string;
  /** Default 64. */
  redisBits?: number;
  /** Unix time in seconds. */
  ctime: number;
  usedMem: number;
  /** Replication info (rdbPopulateSaveInfo): written only when present, as Redis does. */
  repl?: { streamDb: number; id: string; offset: number };
  /** True for an AOF base file (RDBFLAGS_AOF_PREAMBLE). */
  aofBase?: boolean;
}

export interface RdbEntryOptions {
  /** Written as RDB_OPCODE_IDLE when >= 0 (maxmemory-policy *-lru). */
  lruIdleSeconds?: number;
  /** Written as RDB_OPCODE_FREQ when >= 0 (maxmemory-policy *-lfu). */
  lfuFreq?: number;
}

const PHASE_START = 0;
const PHASE_BODY = 1;
const PHASE_ENDED = 2;

export class RdbWriter {
  private readonly out: RdbOutput;
  private readonly encoder: ValueEncoder;
  private readonly compression: boolean;
  private readonly checksum: boolean;
  private phase = PHASE_START;
  /** Output produced before the trailer at end(), returned by the next take(). */
  private held: Buffer[] = [];

  constructor(options: RdbWriterOptions = {}) {
    const opts = resolveEncodingOptions(options);
    this.checksum = options.checksum ?? true;
    this.compression = opts.compression;
    this.out = new RdbOutput(this.checksum, options.chunkSize);
    this.encoder = new ValueEncoder(opts);
  }

  /** Bytes produced so far (taken or not). */
  get bytesWritten(): number {
    return this.out.bytesWritten;
  }

  /** Bytes produced but not yet taken. */
  get pendingBytes(): number {
    return this.out.pendingBytes;
  }

  /** The magic and the standard AUX fields, in rdbSaveInfoAuxFields's order. Must come first. */
  header(aux: RdbAuxFields): void {
    if (this.phase !== PHASE_START) throw new RdbValueError("RdbWriter.header() must be called first, once");
    this.out.writeLatin1(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
    this.phase = PHASE_BODY;
    this.aux("redis-ver", aux.redisVer);
    this.aux("redis-bits", String(aux.redisBits ?? 64));
    this.aux("ctime", String(Math.trunc(aux.ctime)));
    this.aux("used-mem", String(Math.trunc(aux.usedMem)));
    if (aux.repl !== undefined) {
      this.aux("repl-stream-db", String(aux.repl.streamDb));
      this.aux("repl-id", aux.repl.id);
      this.aux("repl-offset", String(aux.repl.offset));
    }
    this.aux("aof-base", aux.aofBase ? "1" : "0");
  }

  /** An extra AUX field (loaders ignore the ones they do not know). */
  aux(name: string, value: string): void {
    this.checkBody();
    this.out.writeByte(RDB_OPCODE_AUX);
    this.out.writeString(name, this.compression);
    this.out.writeString(value, this.compression);
  }

  /** A function library (rdbSaveFunctions), written before the databases. */
  functionLibrary(code: string): void {
    this.checkBody();
    this.out.writeByte(RDB_OPCODE_FUNCTION2);
    this.out.writeString(code, this.compression);
  }

  /** SELECTDB and RESIZEDB for a database with `dbSize` keys, `expiresSize` of them volatile. */
  selectDb(db: number, dbSize: number, expiresSize: number): void {
    this.checkBody();
    const out = this.out;
    out.writeByte(RDB_OPCODE_SELECTDB);
    out.writeLen(db);
    out.writeByte(RDB_OPCODE_RESIZEDB);
    out.writeLen(dbSize);
    out.writeLen(expiresSize);
  }

  /**
   * One key (rdbSaveKeyValuePair). `expireAtMs` -1 means no expiry. A reused RdbFlatValue spares
   * the per-key arrays an RdbValue needs; it is read before entry() returns.
   */
  entry(key: string, value: RdbValue | RdbFlatValue, expireAtMs = -1, options?: RdbEntryOptions): void {
    this.checkBody();
    const out = this.out;
    const type = this.encoder.prepare(value);
    if (expireAtMs !== -1) {
      out.writeByte(RDB_OPCODE_EXPIRETIME_MS);
      out.writeMillis(expireAtMs);
    }
    if (options !== undefined) {
      const idle = options.lruIdleSeconds ?? -1;
      if (idle >= 0) {
        out.writeByte(RDB_OPCODE_IDLE);
        out.writeLen(Math.trunc(idle));
      }
      const freq = options.lfuFreq ?? -1;
      if (freq >= 0) {
        out.writeByte(RDB_OPCODE_FREQ);
        out.writeByte(freq & 0xff);
      }
    }
    out.writeByte(type);
    out.writeString(key, this.compression);
    this.encoder.write(out);
  }

  /** The EOF opcode and the checksum trailer. Take the output afterwards. */
  end(): void {
    this.checkBody();
    const out = this.out;
    out.writeByte(RDB_OPCODE_EOF);
    // The trailer is not part of what it checks: hand everything out first so the CRC is final.
    const pieces = out.take();
    const trailer = Buffer.alloc(8);
    if (this.checksum && out.crc !== null) out.crc.writeLE(trailer, 0);
    out.writeBytes(trailer);
    this.held = pieces;
    this.phase = PHASE_ENDED;
  }

  /** Everything produced since the last call, in order. */
  take(): Buffer[] {
    const pieces = this.out.take();
    if (this.held.length === 0) return pieces;
    const all = this.held.concat(pieces);
    this.held = [];
    return all;
  }

  private checkBody(): void {
    if (this.phase === PHASE_START) throw new RdbValueError("RdbWriter.header() must be called first");
    if (this.phase === PHASE_ENDED) throw new RdbValueError("RdbWriter already ended");
  }
}
