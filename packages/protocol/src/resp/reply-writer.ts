/**
 * Encodes replies (RESP2 or RESP3) into an append-only output buffer, one per client.
 *
 * The buffer is a slab that is only ever appended to: `take()` hands the bytes written since the
 * last take to the socket as a view, and later replies go after them. A region handed to the
 * socket is therefore never overwritten while the kernel write is pending; when the slab is
 * full a new one is started and the old one is freed by GC once its writes complete.
 *
 *   slab: [ taken (in flight) | pending: start..pos | free ]
 *
 * RESP3-only types are downgraded for RESP2 clients as Redis does (map -> flat array, set ->
 * array, double -> bulk string, boolean -> integer, null -> `$-1` or `*-1`, big number and
 * verbatim string -> bulk string, push -> array, attribute -> omitted).
 *
 * Callers: the server's clients (replies), the master's replication stream (command() encodes
 * each propagated command once; the backlog copies it from the slab and the replicas share the
 * taken bytes), the replica and Sentinel links (requests).
 */

import { formatDouble17g } from "../format/double.js";
import { writeLatin1 } from "./latin1.js";
import { commandBound, writeCommandInto } from "./request-encoder.js";

/** Tuned: large enough that a typical pipeline batch fits in one slab, small per idle client. */
const SLAB_SIZE = 16 * 1024;

const CRLF = 0x0a0d; // little-endian "\r\n" for writeUInt16LE

/** Up to this length a bulk string is copied char by char rather than by a native call (measured). */
const SHORT_STRING = 32;

/** Writes the decimal digits of `n` at `pos`; returns the new position. */
function writeNumber(slab: Buffer, pos: number, n: number): number {
  if (n >= 0 && n < 10) {
    slab[pos] = 48 + n;
    return pos + 1;
  }
  if ((n | 0) === n) {
    // 32-bit integers (lengths, counts, most integer replies) without a string allocation.
    let v = n;
    if (v < 0) {
      if (v === -2147483648) return pos + writeLatin1(slab, "-2147483648", pos);
      slab[pos++] = 45;
      v = -v;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
    let p = pos + digits;
    do {
      slab[--p] = 48 + (v % 10);
      v = (v / 10) | 0;
    } while (v > 0);
    return pos + digits;
  }
  const text = Number.isSafeInteger(n) ? String(n) : BigInt(Math.trunc(n)).toString();
  return pos + writeLatin1(slab, text, pos);
}

export class ReplyWriter {
  resp: 2 | 3 = 2;
  private slab: Buffer;
  private start = 0;
  private pos = 0;
  /** Finished regions of earlier slabs, in order, not yet taken. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Size of the slabs started when one is full. */
  private readonly slabSize: number;

  constructor(initialSize = SLAB_SIZE, slabSize = SLAB_SIZE) {
    this.slab = Buffer.allocUnsafe(initialSize);
    this.slabSize = slabSize;
  }

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.chunkBytes + (this.pos - this.start);
  }

  get hasPending(): boolean {
    return this.pos !== this.start || this.chunks.length !== 0;
  }

  /**
   * Returns everything written since the last call (one Buffer, or several in order) and marks
   * it as taken; null when there is nothing. The views stay valid forever.
   */
  take(): Buffer | Buffer[] | null {
    if (this.chunks.length === 0) {
      if (this.pos === this.start) return null;
      const view = this.slab.subarray(this.start, this.pos);
      this.start = this.pos;
      return view;
    }
    if (this.pos !== this.start) {
      this.chunks.push(this.slab.subarray(this.start, this.pos));
      this.start = this.pos;
    }
    const out = this.chunks;
    this.chunks = [];
    this.chunkBytes = 0;
    return out;
  }

  /** Concatenation of everything pending, taken (convenient for tests and small encoders). */
  takeBuffer(): Buffer {
    return this.takeOne() ?? Buffer.alloc(0);
  }

  /** Everything pending as one Buffer (a view when it is in one piece) and taken, or null. */
  takeOne(): Buffer | null {
    const taken = this.take();
    return Array.isArray(taken) ? Buffer.concat(taken) : taken;
  }

  /** Discards everything not yet taken (CLIENT REPLY OFF/SKIP, or a client being closed). */
  discard(): void {
    this.chunks = [];
    this.chunkBytes = 0;
    this.start = this.pos;
  }

  /** Makes room for `n` more bytes at `pos`. */
  private ensure(n: number): void {
    if (this.pos + n <= this.slab.length) return;
    if (this.pos !== this.start) {
      this.chunks.push(this.slab.subarray(this.start, this.pos));
      this.chunkBytes += this.pos - this.start;
    }
    this.slab = Buffer.allocUnsafe(Math.max(this.slabSize, n));
    this.start = 0;
    this.pos = 0;
  }

  /** Appends pre-encoded bytes (shared replies, propagated commands). */
  raw(bytes: Buffer): void {
    const n = bytes.length;
    if (n > SLAB_SIZE) {
      // Large pre-encoded payloads go out as their own chunk, without a copy.
      if (this.pos !== this.start) {
        this.chunks.push(this.slab.subarray(this.start, this.pos));
        this.chunkBytes += this.pos - this.start;
        this.start = this.pos;
      }
      this.chunks.push(bytes);
      this.chunkBytes += n;
      return;
    }
    this.ensure(n);
    bytes.copy(this.slab, this.pos);
    this.pos += n;
  }

  /**
   * Writes `argv` as a multibulk request (strings one byte per char) and returns where it starts
   * in `currentSlab`; it ends at `currentPos`. For a caller that copies the bytes elsewhere too.
   */
  command(argv: readonly string[]): number {
    this.ensure(commandBound(argv));
    const start = this.pos;
    this.pos = writeCommandInto(this.slab, start, argv);
    return start;
  }

  get currentSlab(): Buffer {
    return this.slab;
  }

  get currentPos(): number {
    return this.pos;
  }

  /** Appends a string of one-byte chars verbatim (protocol text built by the caller). */
  rawLatin1(text: string): void {
    this.ensure(text.length);
    this.pos += writeLatin1(this.slab, text, this.pos);
  }

  private prefixNumber(prefix: number, n: number): void {
    this.ensure(24);
    const slab = this.slab;
    let pos = this.pos;
    slab[pos++] = prefix;
    pos = writeNumber(slab, pos, n);
    slab[pos++] = 13;
    slab[pos++] = 10;
    this.pos = pos;
  }

  /** `+text` (text must not contain CR or LF). */
  simple(text: string): void {
    this.ensure(text.length + 3);
    const slab = this.slab;
    slab[this.pos++] = 43;
    this.pos += writeLatin1(slab, text, this.pos);
    slab.writeUInt16LE(CRLF, this.pos);
    this.pos += 2;
  }

  /** `-text`: the text includes its code (`ERR ...`, `WRONGTYPE ...`); CR/LF become spaces. */
  error(text: string): void {
    if (text.indexOf("\r") !== -1 || text.indexOf("\n") !== -1) text = text.replace(/[\r\n]/g, " ");
    this.ensure(text.length + 3);
    const slab = this.slab;
    slab[this.pos++] = 45;
    this.pos += writeLatin1(slab, text, this.pos);
    slab.writeUInt16LE(CRLF, this.pos);
    this.pos += 2;
  }

  integer(n: number): void {
    this.prefixNumber(58, n);
  }

  /** An integer that may exceed 2^53 (INCR on int64 values, BITFIELD). */
  bigInteger(n: bigint): void {
    this.rawLatin1(`:${n}\r\n`);
  }

  /** Bulk string of one-byte chars (keys and values as stored). */
  bulk(value: string): void {
    const len = value.length;
    this.ensure(len + 26);
    const slab = this.slab;
    let pos = this.pos;
    slab[pos++] = 36;
    pos = writeNumber(slab, pos, len);
    slab[pos++] = 13;
    slab[pos++] = 10;
    if (len <= SHORT_STRING) {
      // A JS loop beats the native latin1Write call for short strings (LRANGE, HGETALL...).
      for (let i = 0; i < len; i++) slab[pos + i] = value.charCodeAt(i);
      pos += len;
    } else {
      pos += writeLatin1(slab, value, pos);
    }
    slab[pos++] = 13;
    slab[pos++] = 10;
    this.pos = pos;
  }

  /** Bulk string from bytes. */
  bulkBytes(value: Buffer): void {
    this.prefixNumber(36, value.length);
    if (value.length > SLAB_SIZE) {
      this.raw(value);
      this.ensure(2);
    } else {
      this.ensure(value.length + 2);
      value.copy(this.slab, this.pos);
      this.pos += value.length;
    }
    this.slab.writeUInt16LE(CRLF, this.pos);
    this.pos += 2;
  }

  /** Bulk string of text that may hold any Unicode (INFO, CLIENT LIST...): sent as UTF-8. */
  bulkText(text: string): void {
    this.bulkBytes(Buffer.from(text, "utf8"));
  }

  /** Integer formatted as a bulk string (e.g. INCRBYFLOAT results are bulks). */
  bulkNumber(n: number): void {
    this.bulk(String(n));
  }

  /** Null in place of a bulk string: RESP2 `$-1`, RESP3 `_`. */
  nullBulk(): void {
    this.rawLatin1(this.resp === 3 ? "_\r\n" : "$-1\r\n");
  }

  /** Null in place of an array: RESP2 `*-1`, RESP3 `_`. */
  nullArray(): void {
    this.rawLatin1(this.resp === 3 ? "_\r\n" : "*-1\r\n");
  }

  arrayHeader(n: number): void {
    this.prefixNumber(42, n);
  }

  /** Map of n pairs: RESP3 `%n`, RESP2 a flat array of 2n. */
  mapHeader(n: number): void {
    if (this.resp === 3) this.prefixNumber(37, n);
    else this.prefixNumber(42, n * 2);
  }

  /** Set of n members: RESP3 `~n`, RESP2 `*n`. */
  setHeader(n: number): void {
    this.prefixNumber(this.resp === 3 ? 126 : 42, n);
  }

  /** Push of n items: RESP3 `>n`, RESP2 `*n` (pub/sub messages). */
  pushHeader(n: number): void {
    this.prefixNumber(this.resp === 3 ? 62 : 42, n);
  }

  /** Attribute of n pairs; RESP2 has no attributes, so nothing is written (skip the pairs too). */
  attributeHeader(n: number): boolean {
    if (this.resp !== 3) return false;
    this.prefixNumber(124, n);
    return true;
  }

  /** Double: RESP3 `,d`, RESP2 bulk string, both with Redis's `%.17g` text. */
  double(d: number): void {
    const text = formatDouble17g(d);
    if (this.resp === 3) this.rawLatin1(`,${text}\r\n`);
    else this.bulk(text);
  }

  /** Double already formatted by the caller (e.g. INCRBYFLOAT's long-double text). */
  doubleText(text: string): void {
    if (this.resp === 3) this.rawLatin1(`,${text}\r\n`);
    else this.bulk(text);
  }

  boolean(b: boolean): void {
    if (this.resp === 3) this.rawLatin1(b ? "#t\r\n" : "#f\r\n");
    else this.rawLatin1(b ? ":1\r\n" : ":0\r\n");
  }

  /** Big number (digits, optional '-'): RESP3 `(`, RESP2 bulk string. */
  bigNumber(digits: string): void {
    if (this.resp === 3) this.rawLatin1(`(${digits}\r\n`);
    else this.bulk(digits);
  }

  /** Verbatim string with a 3-char format (`txt`, `mkd`): RESP3 `=`, RESP2 bulk string. */
  verbatim(text: string, format = "txt"): void {
    const body = Buffer.from(text, "utf8");
    if (this.resp !== 3) {
      this.bulkBytes(body);
      return;
    }
    this.prefixNumber(61, body.length + 4);
    this.rawLatin1(`${format}:`);
    this.raw(body);
    this.rawLatin1("\r\n");
  }
}
