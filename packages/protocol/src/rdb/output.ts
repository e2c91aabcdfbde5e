/**
 * The byte sink under RdbWriter and createDumpPayload: RDB's save primitives (rdbSaveLen,
 * rdbSaveRawString with its integer and LZF encodings, doubles, times) written into 64 KB chunks.
 * `take()` hands out what has been written so far, so a snapshot can be streamed to a file or a
 * replica socket in small slices; the CRC64 is updated over every byte as it is handed out.
 *
 * Invariant: the concatenation of everything take() returned is exactly the bytes written, and
 * `crc` covers exactly those bytes.
 *
 * Callers: writer.ts, dump.ts, value-writer.ts.
 */

import { writeLatin1 } from "../resp/latin1.js";
import { Crc64 } from "./crc64.js";
import { canonicalInt32 } from "./integers.js";
import { LZF_OUT_SLACK, lzfCompressInto } from "./lzf.js";
import {
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
} from "./opcodes.js";

const DEFAULT_CHUNK = 64 * 1024;
const ENCVAL = 0xc0;
/** A scratch buffer for LZF input up to this size is kept and reused. */
const SCRATCH_KEEP = 1 << 20;

export class RdbOutput {
  /** Total bytes written (handed out or not). */
  bytesWritten = 0;
  readonly crc: Crc64 | null;
  private chunk: Buffer;
  private pos = 0;
  private ready: Buffer[] = [];
  private readonly chunkSize: number;
  private scratch: Buffer = Buffer.alloc(0);
  /** LZF output for inputs up to SCRATCH_KEEP, reused so compressing allocates nothing. */
  private lzfOut: Buffer = Buffer.alloc(0);

  constructor(withCrc: boolean, chunkSize = DEFAULT_CHUNK) {
    this.crc = withCrc ? new Crc64() : null;
    this.chunkSize = chunkSize;
    this.chunk = Buffer.allocUnsafe(chunkSize);
  }

  /** Bytes written but not yet taken. */
  get pendingBytes(): number {
    let n = this.pos;
    for (const b of this.ready) n += b.length;
    return n;
  }

  /** Everything written since the last call, in order (possibly an empty array). */
  take(): Buffer[] {
    if (this.pos > 0) {
      if (this.pos < this.chunkSize >> 2) {
        // Little was written: copy it out and keep filling the same chunk.
        this.hand(Buffer.from(this.chunk.subarray(0, this.pos)));
      } else {
        this.hand(this.chunk.subarray(0, this.pos));
        this.chunk = Buffer.allocUnsafe(this.chunkSize);
      }
      this.pos = 0;
    }
    const out = this.ready;
    this.ready = [];
    return out;
  }

  private hand(buf: Buffer): void {
    this.crc?.update(buf);
    this.ready.push(buf);
  }

  private flushChunk(): void {
    if (this.pos === 0) return;
    this.hand(this.chunk.subarray(0, this.pos));
    this.chunk = Buffer.allocUnsafe(this.chunkSize);
    this.pos = 0;
  }

  /** Makes room for `n` contiguous bytes (n <= chunkSize). */
  private reserve(n: number): void {
    if (this.pos + n > this.chunk.length) this.flushChunk();
  }

  writeByte(b: number): void {
    if (this.pos >= this.chunk.length) this.flushChunk();
    this.chunk[this.pos++] = b;
    this.bytesWritten++;
  }

  /** rdbSaveLen. */
  writeLen(len: number): void {
    this.reserve(9);
    const c = this.chunk;
    let p = this.pos;
    if (len < 64) {
      c[p++] = len;
    } else if (len < 16384) {
      c[p++] = (len >> 8) | 0x40;
      c[p++] = len & 0xff;
    } else if (len <= 0xffffffff) {
      c[p++] = RDB_32BITLEN;
      c.writeUInt32BE(len, p);
      p += 4;
    } else {
      c[p++] = RDB_64BITLEN;
      c.writeBigUInt64BE(BigInt(len), p);
      p += 8;
    }
    this.bytesWritten += p - this.pos;
    this.pos = p;
  }

  /** Raw bytes. Large ones are handed out as their own buffer rather than copied. */
  writeBytes(buf: Buffer, start = 0, end = buf.length): void {
    const n = end - start;
    if (n <= this.chunk.length - this.pos) {
      buf.copy(this.chunk, this.pos, start, end);
      this.pos += n;
    } else if (n < this.chunkSize >> 1) {
      this.flushChunk();
      buf.copy(this.chunk, 0, start, end);
      this.pos = n;
    } else {
      this.flushChunk();
      this.hand(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    }
    this.bytesWritten += n;
  }

  /** Raw bytes, always copied (the caller reuses `buf`). */
  writeCopy(buf: Buffer, start: number, end: number): void {
    let from = start;
    while (from < end) {
      if (this.pos >= this.chunk.length) this.flushChunk();
      const n = Math.min(end - from, this.chunk.length - this.pos);
      buf.copy(this.chunk, this.pos, from, from + n);
      this.pos += n;
      from += n;
    }
    this.bytesWritten += end - start;
  }

  /** Raw latin1 text. */
  writeLatin1(s: string): void {
    const n = s.length;
    if (n <= this.chunk.length - this.pos) {
      writeLatin1(this.chunk, s, this.pos);
      this.pos += n;
      this.bytesWritten += n;
    } else {
      this.writeBytes(Buffer.from(s, "latin1"));
    }
  }

  /** int64 little-endian (rdbSaveMillisecondTime). */
  writeMillis(ms: number): void {
    this.reserve(8);
    // Two 32-bit halves: exact for any time a double holds, without a BigInt per key.
    const t = Math.trunc(ms);
    const hi = Math.floor(t / 4294967296);
    this.chunk.writeUInt32LE(t - hi * 4294967296, this.pos);
    this.chunk.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
    this.bytesWritten += 8;
  }

  /** IEEE 754 binary64 little-endian (rdbSaveBinaryDoubleValue). */
  writeDouble(d: number): void {
    this.reserve(8);
    this.chunk.writeDoubleLE(d, this.pos);
    this.pos += 8;
    this.bytesWritten += 8;
  }

  /** rdbEncodeInteger: the 2, 3 or 5 byte form of an int32. */
  private writeIntEncoded(v: number): void {
    this.reserve(5);
    const c = this.chunk;
    const p = this.pos;
    let n: number;
    if (v >= -128 && v <= 127) {
      c[p] = ENCVAL | RDB_ENC_INT8;
      c.writeInt8(v, p + 1);
      n = 2;
    } else if (v >= -32768 && v <= 32767) {
      c[p] = ENCVAL | RDB_ENC_INT16;
      c.writeInt16LE(v, p + 1);
      n = 3;
    } else {
      c[p] = ENCVAL | RDB_ENC_INT32;
      c.writeInt32LE(v, p + 1);
      n = 5;
    }
    this.pos += n;
    this.bytesWritten += n;
  }

  /**
   * rdbSaveRawString for a latin1 string: integer encoding when it is canonical int32 text, LZF
   * when `compress` and the string is over 20 bytes and shrinks by at least 4, verbatim otherwise.
   */
  writeString(s: string, compress: boolean): void {
    const len = s.length;
    if (len <= 11) {
      const iv = canonicalInt32(s);
      if (iv !== null) {
        this.writeIntEncoded(iv);
        return;
      }
    }
    if (compress && len > 20) {
      let bytes: Buffer;
      if (len <= SCRATCH_KEEP) {
        if (this.scratch.length < len) this.scratch = Buffer.allocUnsafe(Math.max(len, 256));
        writeLatin1(this.scratch, s, 0);
        bytes = this.scratch;
      } else {
        bytes = Buffer.from(s, "latin1");
      }
      if (this.writeLzf(bytes, 0, len)) return;
    }
    this.writeLen(len);
    this.writeLatin1(s);
  }

  /** rdbSaveRawString for bytes (listpacks, intsets, plain quicklist nodes); `buf` may be reused after. */
  writeBlob(buf: Buffer, compress: boolean, start = 0, end = buf.length): void {
    const len = end - start;
    // Only text starting with a digit or '-' can be an integer; listpacks and intsets (which
    // start with their size or encoding, below 12 here) never are, so skip making a string.
    const c0 = buf[start];
    if (len <= 11 && len > 0 && ((c0 >= 48 && c0 <= 57) || c0 === 45)) {
      const iv = canonicalInt32(buf.toString("latin1", start, end));
      if (iv !== null) {
        this.writeIntEncoded(iv);
        return;
      }
    }
    if (compress && len > 20 && this.writeLzf(buf, start, end)) return;
    this.writeLen(len);
    // Copied: the value writer builds blobs in scratch buffers it reuses for the next value.
    this.writeCopy(buf, start, end);
  }

  /** rdbSaveLzfStringObject: false when compression would not save 4 bytes. */
  private writeLzf(buf: Buffer, start: number, end: number): boolean {
    const len = end - start;
    const maxOut = len - 4;
    let out = this.lzfOut;
    if (out.length < maxOut + LZF_OUT_SLACK) {
      out = Buffer.allocUnsafe(Math.max(maxOut + LZF_OUT_SLACK, 256));
      if (len <= SCRATCH_KEEP) this.lzfOut = out;
    }
    const n = lzfCompressInto(buf, start, end, maxOut, out);
    if (n < 0) return false;
    this.writeByte(ENCVAL | RDB_ENC_LZF);
    this.writeLen(n);
    this.writeLen(len);
    if (out === this.lzfOut)
      this.writeCopy(out, 0, n); // reused: never hand it out as a piece
    else this.writeBytes(out, 0, n);
    return true;
  }
}
