/**
 * The byte source under RdbReader and the DUMP parser: chunks fed from a socket or file, read with
 * RDB's primitives (rdbLoadLen, rdbGenericLoadStringObject, doubles, times).
 *
 * Parsing is done in *units* (one opcode with its arguments, one collection element, one blob).
 * A read that runs out of bytes throws NEED_MORE; the caller rewinds `pos` to `mark` (the start of
 * the unfinished unit) and waits. Two rules keep the total work linear in the input size:
 * - a failed read records in `needUntil` the absolute offset it needs, and nothing is retried
 *   before that many bytes are buffered (a 100 MB string is attempted twice, not once per chunk);
 * - chunks are merged into one buffer only then, dropping everything before `mark`, so each byte
 *   is copied at most once more than it would be anyway.
 *
 *   feed(chunk) ─► pending[] ──(buffered >= needUntil)──► buf: [ consumed | mark .. pos .. end ]
 *
 * The CRC64 runs over bytes as they are dropped (and at the EOF opcode), so rewinds never count a
 * byte twice. Nothing here allocates more than the bytes actually received, whatever a length says.
 */

import { RdbFormatError } from "../errors.js";
import { bytesToLatin1 } from "../resp/latin1.js";
import { int8, int16LE, int32LE, TWO_POW_32, uint32BE, uint32LE } from "./bytes.js";
import { Crc64 } from "./crc64.js";
import { LZF_MAX_EXPANSION, lzfDecompressInto } from "./lzf.js";
import {
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_DOUBLE_NAN,
  RDB_DOUBLE_NEG_INF,
  RDB_DOUBLE_POS_INF,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
} from "./opcodes.js";
import { parseScore } from "./scores.js";

/** Thrown (never seen outside this package) when a unit needs bytes not yet received. */
class NeedMore {
  readonly needMore = true;
}
export const NEED_MORE = new NeedMore();

const EMPTY = Buffer.alloc(0);
/** LZF strings up to this long are decoded into one kept buffer; longer ones get their own. */
const LZF_SCRATCH_KEEP = 1 << 20;
/** Merges up to this long go into one kept buffer (see merge); longer ones get one of their own size. */
const MERGE_KEEP = 4 << 20;
const MERGE_MIN = 64 << 10;

export class RdbInput {
  buf: Buffer = EMPTY;
  /** Read position in `buf`. */
  pos = 0;
  /** Start (in `buf`) of the unit being parsed: where to rewind on NEED_MORE. */
  mark = 0;
  /** Absolute stream offset of buf[0]. */
  base = 0;
  /** Absolute offset that must be buffered before the unfinished unit is retried. */
  needUntil = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Running checksum, or null when not computed. */
  crc: Crc64 | null;
  /** Absolute offset up to which `crc` has been fed. */
  private crcPos = 0;

  /** Where merges put their bytes, reused while no longer than MERGE_KEEP. */
  private mergeScratch: Buffer = EMPTY;
  /** Where LZF strings are decoded (readBlob), reused while no longer than LZF_SCRATCH_KEEP. */
  private lzfScratch: Buffer = EMPTY;

  /** Set by readBlob: the bytes of the last blob read, as a region of `blobBuf`. */
  blobBuf: Buffer = EMPTY;
  blobStart = 0;
  blobEnd = 0;

  constructor(withCrc: boolean) {
    this.crc = withCrc ? new Crc64() : null;
  }

  /** Absolute offset of the read position. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes received in total. */
  get received(): number {
    return this.base + this.buf.length + this.pendingBytes;
  }

  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  /**
   * Called before each parse attempt. Returns false while fewer than `needUntil` bytes are
   * buffered; otherwise merges pending chunks into `buf` and returns true.
   */
  prepare(): boolean {
    if (this.received < this.needUntil) return false;
    if (this.pendingBytes > 0) this.merge();
    return true;
  }

  /**
   * Moves the unfinished unit and the pending chunks into one buffer. A single chunk that starts a
   * unit is used as it is; otherwise the bytes go into a buffer kept from one merge to the next
   * (the unfinished unit may already be at its end, and moves to its front). A new buffer per
   * merge cost a 1M-key file load ~8%: with the launcher's MALLOC_MMAP_THRESHOLD_ each was a
   * mapping of its own, faulted in page by page and unmapped again.
   */
  private merge(): void {
    const mark = this.mark;
    this.crcTo(this.base + mark);
    const tail = this.buf.length - mark;
    const need = tail + this.pendingBytes;
    let merged: Buffer;
    if (tail === 0 && this.pending.length === 1) {
      merged = this.pending[0];
    } else {
      let out = this.mergeScratch;
      if (need > MERGE_KEEP) {
        out = Buffer.allocUnsafe(need);
      } else if (need > out.length) {
        let size = MERGE_MIN;
        while (size < need) size *= 2;
        out = Buffer.allocUnsafe(size);
        this.mergeScratch = out;
      }
      // Buffer#copy allows overlap: the tail may already be in `out`, further on.
      this.buf.copy(out, 0, mark);
      let o = tail;
      for (const c of this.pending) {
        c.copy(out, o);
        o += c.length;
      }
      merged = out.subarray(0, need);
    }
    this.base += mark;
    this.pos -= mark;
    this.mark = 0;
    this.buf = merged;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Feeds the checksum with every byte before absolute offset `abs`. */
  crcTo(abs: number): void {
    if (this.crc !== null && abs > this.crcPos) {
      this.crc.update(this.buf, this.crcPos - this.base, abs - this.base);
      this.crcPos = abs;
    }
  }

  /**
   * Whether `chunk`'s memory is still needed: a chunk fed here is kept by reference until it is
   * parsed or merged. A caller that reads into buffers of its own reuses one only once this is false.
   */
  holds(chunk: Buffer): boolean {
    if (this.buf.buffer === chunk.buffer) return true;
    for (const c of this.pending) if (c.buffer === chunk.buffer) return true;
    return false;
  }

  /** Everything received after the read position (the bytes after an RDB, e.g. an AOF tail). */
  rest(): Buffer {
    const parts = [this.buf.subarray(this.pos), ...this.pending];
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  corrupt(reason: string, offset = this.offset): never {
    throw new RdbFormatError(reason, offset);
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      this.needUntil = this.base + this.pos + n;
      throw NEED_MORE;
    }
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.ensure(1);
    return this.buf[this.pos++];
  }

  /** rdbLoadLen. Lengths beyond 2^53 cannot describe anything real and are corruption. */
  readLen(): number {
    if (this.pos >= this.buf.length) this.ensure(1);
    const buf = this.buf;
    const b = buf[this.pos];
    const kind = b >> 6;
    if (kind === 0) {
      this.pos++;
      return b;
    }
    if (kind === 1) {
      this.ensure(2);
      const v = ((b & 0x3f) << 8) | buf[this.pos + 1];
      this.pos += 2;
      return v;
    }
    if (b === RDB_32BITLEN) {
      this.ensure(5);
      const v = uint32BE(buf, this.pos + 1);
      this.pos += 5;
      return v;
    }
    if (b === RDB_64BITLEN) {
      this.ensure(9);
      const hi = uint32BE(buf, this.pos + 1);
      if (hi >= 2097152) this.corrupt("Length too large in rdbLoadLen()");
      const v = hi * TWO_POW_32 + uint32BE(buf, this.pos + 5);
      this.pos += 9;
      return v;
    }
    return this.corrupt(`Unknown length encoding 0x${b.toString(16)} in rdbLoadLen()`);
  }

  /** rdbLoadMillisecondTime: int64 little-endian. */
  readMillis(): number {
    this.ensure(8);
    const lo = uint32LE(this.buf, this.pos);
    const hi = int32LE(this.buf, this.pos + 4);
    this.pos += 8;
    return hi * TWO_POW_32 + lo;
  }

  /** rdbLoadTime: int32 seconds (RDB_OPCODE_EXPIRETIME). */
  readSeconds(): number {
    this.ensure(4);
    const v = int32LE(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  /** rdbLoadBinaryDoubleValue (RDB_TYPE_ZSET_2). */
  readBinaryDouble(): number {
    this.ensure(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte with markers for nan/+inf/-inf, then text. */
  readStringDouble(): number {
    const at = this.offset;
    const len = this.u8();
    if (len === RDB_DOUBLE_NEG_INF) return Number.NEGATIVE_INFINITY;
    if (len === RDB_DOUBLE_POS_INF) return Number.POSITIVE_INFINITY;
    if (len === RDB_DOUBLE_NAN) return Number.NaN;
    this.ensure(len);
    const v = parseScore(bytesToLatin1(this.buf, this.pos, this.pos + len));
    this.pos += len;
    if (Number.isNaN(v)) this.corrupt("Bad double value in rdbLoadDoubleValue()", at);
    return v;
  }

  /** rdbGenericLoadStringObject as a latin1 string (integer encodings as decimal text). */
  readString(): string {
    const buf = this.buf;
    const pos = this.pos;
    if (pos < buf.length) {
      const b = buf[pos];
      if (b < 0x40) {
        // The common case: a 6-bit length.
        const end = pos + 1 + b;
        if (end <= buf.length) {
          this.pos = end;
          return bytesToLatin1(buf, pos + 1, end);
        }
      }
    }
    // Integer encodings give their decimal text directly (readBlob would make a Buffer of it).
    if (pos < buf.length && buf[pos] >> 6 === 3) {
      const enc = buf[pos] & 0x3f;
      if (enc === RDB_ENC_INT8 && pos + 2 <= buf.length) {
        this.pos = pos + 2;
        return String(int8(buf, pos + 1));
      }
      if (enc === RDB_ENC_INT16 && pos + 3 <= buf.length) {
        this.pos = pos + 3;
        return String(int16LE(buf, pos + 1));
      }
      if (enc === RDB_ENC_INT32 && pos + 5 <= buf.length) {
        this.pos = pos + 5;
        return String(int32LE(buf, pos + 1));
      }
    }
    this.readBlob();
    return bytesToLatin1(this.blobBuf, this.blobStart, this.blobEnd);
  }

  /**
   * rdbGenericLoadStringObject as bytes: sets blobBuf/blobStart/blobEnd. For plain strings the
   * region is a view of the input, for LZF a reused buffer: either way valid only until the next
   * read. Integer encodings produce a fresh buffer.
   */
  readBlob(): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    const b = this.buf[this.pos];
    if (b >> 6 !== 3) {
      const len = this.readLen();
      this.ensure(len);
      this.blobBuf = this.buf;
      this.blobStart = this.pos;
      this.blobEnd = this.pos + len;
      this.pos += len;
      return;
    }
    const enc = b & 0x3f;
    let text: string;
    if (enc === RDB_ENC_INT8) {
      this.ensure(2);
      text = String(int8(this.buf, this.pos + 1));
      this.pos += 2;
    } else if (enc === RDB_ENC_INT16) {
      this.ensure(3);
      text = String(int16LE(this.buf, this.pos + 1));
      this.pos += 3;
    } else if (enc === RDB_ENC_INT32) {
      this.ensure(5);
      text = String(int32LE(this.buf, this.pos + 1));
      this.pos += 5;
    } else if (enc === RDB_ENC_LZF) {
      const at = this.offset;
      this.pos++;
      const clen = this.readLen();
      const len = this.readLen();
      this.ensure(clen);
      if (len > clen * LZF_MAX_EXPANSION) this.corrupt("Invalid LZF compressed string (bad length)", at);
      // Decoded into a reused buffer: every reader of a blob is done with it before the next read.
      let out = this.lzfScratch;
      if (len > out.length) {
        out = Buffer.allocUnsafe(len);
        if (len <= LZF_SCRATCH_KEEP) this.lzfScratch = out;
      }
      if (!lzfDecompressInto(this.buf, this.pos, this.pos + clen, out, len))
        this.corrupt("Invalid LZF compressed string", at);
      this.pos += clen;
      this.blobBuf = out;
      this.blobStart = 0;
      this.blobEnd = len;
      return;
    } else {
      this.corrupt(`Unknown RDB string encoding type ${enc}`);
    }
    const out = Buffer.from(text, "latin1");
    this.blobBuf = out;
    this.blobStart = 0;
    this.blobEnd = out.length;
  }
}
