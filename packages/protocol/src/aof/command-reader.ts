/**
 * AofCommandReader: the command part of an AOF file (an incr file, a plain base, or the tail after
 * an RDB preamble), read exactly as Redis 7.0's loadSingleAppendOnlyFile reads it, so that a file
 * real Redis accepts we accept, and a file it refuses we refuse:
 *
 *   line   := fgets of at most 1023 bytes (up to and including '\n')
 *   item   := '#' line                      annotation (`#TS:<unix>`), skipped by the loader
 *           | '*' atoi(argc) line, argc >= 1, then argc times:
 *               '$' strtol(len) line, <len> bytes, 2 bytes (the CRLF, not checked, as Redis)
 *
 * Incremental: feed chunks as they are read and pull items with next(); `end()` declares the input
 * complete and tells a clean end from a file cut inside an item (Redis's "short read", which
 * aof-load-truncated turns into a truncation at the last complete command).
 *
 * Invariants:
 * - Every refusal is an AofFormatError carrying the byte offset of the item that is wrong; after
 *   one, the reader is dead. A truncated tail is not an error here: end() reports it.
 * - Memory is linear in the input: nothing is allocated from a length before its bytes arrived,
 *   and `argc` is never used to preallocate.
 * - A negative bulk length is refused as a format error (Redis would try to allocate it and abort).
 *
 * Callers: the server's AOF loader (persistence/aof-load.ts).
 *
 *   feed(chunk) ─► [chunk queue] ─► next() ─► AOF_COMMAND (argv) | AOF_ANNOTATION | AOF_NEED_MORE
 *   end() ─► "complete" | "truncated"
 */

import { AofFormatError } from "../errors.js";
import { bytesToLatin1 } from "../resp/latin1.js";

export const AOF_NEED_MORE = 0;
export const AOF_COMMAND = 1;
export const AOF_ANNOTATION = 2;
export type AofReadStatus = typeof AOF_NEED_MORE | typeof AOF_COMMAND | typeof AOF_ANNOTATION;

/** aof.c AOF_ANNOTATION_LINE_MAX_LEN: the fgets buffer, so a line holds at most 1023 bytes. */
export const AOF_ANNOTATION_LINE_MAX_LEN = 1024;
const LINE_MAX = AOF_ANNOTATION_LINE_MAX_LEN - 1;

/** The message Redis logs for a malformed AOF (fmterr). */
export const AOF_BAD_FORMAT = "Bad file format reading the append only file";
/** The message Redis logs for a read error that is not at the end of the file (readerr). */
export const AOF_UNRECOVERABLE = "Unrecoverable error reading the append only file";

/* States: expecting a top-level line (`*argc` or `#...`), an argument's `$len` line, its bytes,
 * or the two bytes after them. */
const S_TOP = 0;
const S_ARG_LINE = 1;
const S_BULK = 2;
const S_CRLF = 3;

const EMPTY = Buffer.alloc(0);

export class AofCommandReader {
  /** Arguments of the command just returned by next() (latin1 strings, a fresh array). */
  argv: string[] = [];
  /** Text of the annotation just returned (without the leading '#' and the line end). */
  annotation = "";
  /** Absolute offset where the item just returned started. */
  itemStart = 0;
  /** Absolute offset just past the item just returned. */
  itemEnd = 0;

  private readonly file: string | null;
  /* Input: the chunk being read, its absolute offset, and the chunks queued after it. */
  private cur: Buffer = EMPTY;
  private pos = 0;
  private base = 0;
  private queue: Buffer[] = [];
  private queueHead = 0;

  private state = S_TOP;
  private failure: AofFormatError | null = null;
  /* A line that spans chunks is gathered here. */
  private readonly lineBuf = Buffer.allocUnsafe(LINE_MAX);
  private lineLen = 0;
  private lineStartOffset = 0;
  /* The complete line just read: bytes [lineS, lineE) of lineRef. */
  private lineRef: Buffer = EMPTY;
  private lineS = 0;
  private lineE = 0;
  /* The command being read. */
  private cmdStart = 0;
  private argc = 0;
  private pendingArgv: string[] = [];
  private bulkRemaining = 0;
  private bulkParts: Buffer[] = [];
  private crlfRemaining = 0;

  /** `startOffset`: absolute offset of the first byte fed (after an RDB preamble). */
  constructor(options: { file?: string | null; startOffset?: number } = {}) {
    this.file = options.file ?? null;
    this.base = options.startOffset ?? 0;
    this.itemEnd = this.base;
    this.itemStart = this.base;
  }

  /** Absolute offset of the next byte not yet consumed. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** True while a command has been partly read. */
  get inCommand(): boolean {
    return this.state !== S_TOP || this.lineLen > 0;
  }

  /** Adds bytes. Chunks are kept by reference until consumed: do not reuse them. */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.pos >= this.cur.length && this.queueHead === this.queue.length) {
      this.base += this.cur.length;
      this.cur = chunk;
      this.pos = 0;
      this.queue = [];
      this.queueHead = 0;
      return;
    }
    this.queue.push(chunk);
  }

  /** Moves to the next queued chunk; false when none is left. */
  private advance(): boolean {
    if (this.queueHead === this.queue.length) return false;
    this.base += this.cur.length;
    this.cur = this.queue[this.queueHead];
    this.queue[this.queueHead++] = EMPTY;
    this.pos = 0;
    return true;
  }

  private fail(reason: string, offset: number): never {
    this.failure = new AofFormatError(reason, { file: this.file, offset });
    throw this.failure;
  }

  /**
   * The next item, or AOF_NEED_MORE. Throws AofFormatError on malformed input (and again on every
   * later call).
   */
  next(): AofReadStatus {
    if (this.failure !== null) throw this.failure;
    for (;;) {
      switch (this.state) {
        case S_TOP: {
          if (this.lineLen === 0) this.cmdStart = this.base + this.pos;
          if (!this.readLine()) return AOF_NEED_MORE;
          const status = this.topLine(false);
          if (status !== AOF_NEED_MORE) return status;
          break;
        }
        case S_ARG_LINE:
          if (!this.readLine()) return AOF_NEED_MORE;
          this.argLine();
          break;
        case S_BULK:
          if (!this.readBulk()) return AOF_NEED_MORE;
          if (this.pendingArgv.length === this.argc) return this.finishCommand();
          break;
        case S_CRLF:
          if (!this.skipCrlf()) return AOF_NEED_MORE;
          if (this.pendingArgv.length === this.argc) return this.finishCommand();
          this.state = S_ARG_LINE;
          break;
      }
    }
  }

  private finishCommand(): AofReadStatus {
    this.argv = this.pendingArgv;
    this.pendingArgv = [];
    this.state = S_TOP;
    this.itemStart = this.cmdStart;
    this.itemEnd = this.base + this.pos;
    return AOF_COMMAND;
  }

  /**
   * fgets(buf, 1024): gathers bytes up to and including '\n', at most 1023. Returns false when the
   * input ran out first (the partial line is kept).
   */
  private readLine(): boolean {
    for (;;) {
      const cur = this.cur;
      if (this.pos >= cur.length) {
        if (!this.advance()) return false;
        continue;
      }
      if (this.lineLen === 0) this.lineStartOffset = this.base + this.pos;
      const room = LINE_MAX - this.lineLen;
      const limit = Math.min(cur.length, this.pos + room);
      let nl = cur.indexOf(10, this.pos);
      if (nl >= limit) nl = -1;
      const end = nl === -1 ? limit : nl + 1;
      if (this.lineLen === 0 && (nl !== -1 || end - this.pos === LINE_MAX)) {
        // Fast path: the whole line is in this chunk.
        this.lineRef = cur;
        this.lineS = this.pos;
        this.lineE = end;
        this.pos = end;
        return true;
      }
      cur.copy(this.lineBuf, this.lineLen, this.pos, end);
      this.lineLen += end - this.pos;
      this.pos = end;
      if (nl !== -1 || this.lineLen === LINE_MAX) {
        this.lineRef = this.lineBuf;
        this.lineS = 0;
        this.lineE = this.lineLen;
        this.lineLen = 0;
        return true;
      }
    }
  }

  /**
   * A top-level line. `atEof`: the line was cut by the end of the input (no '\n'), where Redis's
   * read errors become a short read. Returns AOF_ANNOTATION, or AOF_NEED_MORE after a `*argc` line.
   */
  private topLine(atEof: boolean): AofReadStatus {
    const b = this.lineRef;
    const s = this.lineS;
    const e = this.lineE;
    const first = b[s];
    if (first === 35 /* # */) {
      let t = e;
      while (t > s + 1 && (b[t - 1] === 10 || b[t - 1] === 13)) t--;
      this.annotation = bytesToLatin1(b, s + 1, t);
      this.itemStart = this.lineStartOffset;
      this.itemEnd = this.base + this.pos;
      return AOF_ANNOTATION;
    }
    if (first !== 42 /* * */) this.fail(AOF_BAD_FORMAT, this.lineStartOffset);
    if (e - s === 1 || b[s + 1] === 0) {
      // Redis's readerr: a short read at the end of the file, else an unrecoverable error.
      if (atEof) return AOF_NEED_MORE;
      this.fail(AOF_UNRECOVERABLE, this.lineStartOffset);
    }
    const argc = cAtoi(b, s + 1, e);
    if (argc < 1) this.fail(AOF_BAD_FORMAT, this.lineStartOffset);
    this.argc = argc;
    this.pendingArgv = [];
    this.state = S_ARG_LINE;
    return AOF_NEED_MORE;
  }

  private argLine(): void {
    const b = this.lineRef;
    const s = this.lineS;
    if (b[s] !== 36 /* $ */) this.fail(AOF_BAD_FORMAT, this.lineStartOffset);
    const len = cStrtol(b, s + 1, this.lineE);
    if (len < 0) this.fail(`${AOF_BAD_FORMAT} (negative bulk length)`, this.lineStartOffset);
    this.bulkRemaining = len;
    this.bulkParts = [];
    this.state = S_BULK;
  }

  /** Reads the argument's bytes; false when the input ran out. */
  private readBulk(): boolean {
    for (;;) {
      const cur = this.cur;
      const avail = cur.length - this.pos;
      const need = this.bulkRemaining;
      if (need === 0) {
        const parts = this.bulkParts;
        let arg = "";
        if (parts.length === 1) arg = bytesToLatin1(parts[0], 0, parts[0].length);
        else if (parts.length > 1) {
          const all = Buffer.concat(parts);
          arg = bytesToLatin1(all, 0, all.length);
        }
        this.bulkParts = [];
        this.pendingArgv.push(arg);
        this.crlfRemaining = 2;
        this.state = S_CRLF;
        return this.skipCrlf() ? this.afterCrlf() : false;
      }
      if (avail === 0) {
        if (!this.advance()) return false;
        continue;
      }
      if (this.bulkParts.length === 0 && avail >= need) {
        this.pendingArgv.push(bytesToLatin1(cur, this.pos, this.pos + need));
        this.pos += need;
        this.bulkRemaining = 0;
        this.crlfRemaining = 2;
        this.state = S_CRLF;
        return this.skipCrlf() ? this.afterCrlf() : false;
      }
      const take = Math.min(avail, need);
      this.bulkParts.push(cur.subarray(this.pos, this.pos + take));
      this.pos += take;
      this.bulkRemaining -= take;
    }
  }

  /** After an argument and its two trailing bytes: the next argument's line, or the command's end. */
  private afterCrlf(): boolean {
    this.state = this.pendingArgv.length === this.argc ? S_TOP : S_ARG_LINE;
    return true;
  }

  /** Skips the two bytes after an argument (Redis reads them without checking them). */
  private skipCrlf(): boolean {
    while (this.crlfRemaining > 0) {
      if (this.pos >= this.cur.length) {
        if (!this.advance()) return false;
        continue;
      }
      const take = Math.min(this.crlfRemaining, this.cur.length - this.pos);
      this.pos += take;
      this.crlfRemaining -= take;
    }
    return true;
  }

  /**
   * Declares the input complete. Returns "complete" when it ended between items, "truncated" when
   * it ended inside a command (Redis's unexpected EOF). Throws AofFormatError when the cut-short
   * last line is itself malformed, as Redis's fmterr comes before its short-read check.
   */
  end(): "complete" | "truncated" {
    if (this.failure !== null) throw this.failure;
    if (this.state === S_TOP) {
      if (this.lineLen === 0) return "complete";
      this.lineRef = this.lineBuf;
      this.lineS = 0;
      this.lineE = this.lineLen;
      this.lineLen = 0;
      const status = this.topLine(true);
      return status === AOF_ANNOTATION ? "complete" : "truncated";
    }
    if (this.state === S_ARG_LINE && this.lineLen > 0 && this.lineBuf[0] !== 36 /* $ */) {
      this.fail(AOF_BAD_FORMAT, this.lineStartOffset);
    }
    return "truncated";
  }
}

/** C's atoi over bytes [s, e): spaces, a sign, digits, stopping at anything else (or NUL). */
export function cAtoi(b: Buffer, s: number, e: number): number {
  const v = cStrtolNumber(b, s, e);
  if (v !== null && v >= -2147483648 && v <= 2147483647) return v;
  // (int)strtol(...): the long is clamped, then truncated to 32 bits.
  return Number(BigInt.asIntN(32, cStrtolBig(b, s, e)));
}

/** C's strtol over bytes [s, e), clamped to the long range (and to safe integers). */
export function cStrtol(b: Buffer, s: number, e: number): number {
  const v = cStrtolNumber(b, s, e);
  if (v !== null) return v;
  const big = cStrtolBig(b, s, e);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (big < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(big);
}

const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;

/** Index of the first digit and the sign, after C's isspace() prefix. */
function skipPrefix(b: Buffer, s: number, e: number): [number, boolean] {
  let i = s;
  while (i < e && (b[i] === 32 || (b[i] >= 9 && b[i] <= 13))) i++;
  let neg = false;
  if (i < e && (b[i] === 43 || b[i] === 45)) {
    neg = b[i] === 45;
    i++;
  }
  return [i, neg];
}

/** The value when it has at most 15 digits (every sane file), else null: no BigInt per line. */
function cStrtolNumber(b: Buffer, s: number, e: number): number | null {
  const [from, neg] = skipPrefix(b, s, e);
  let i = from;
  let v = 0;
  let digits = 0;
  while (i < e && b[i] >= 48 && b[i] <= 57) {
    if (++digits > 15) return null;
    v = v * 10 + (b[i] - 48);
    i++;
  }
  return neg && v !== 0 ? -v : v;
}

function cStrtolBig(b: Buffer, s: number, e: number): bigint {
  const [start, neg] = skipPrefix(b, s, e);
  let i = start;
  while (i < e && b[i] >= 48 && b[i] <= 57) i++;
  let v = i > start ? BigInt(bytesToLatin1(b, start, i)) : 0n;
  if (neg) v = -v;
  if (v > LONG_MAX) return LONG_MAX;
  if (v < LONG_MIN) return LONG_MIN;
  return v;
}
