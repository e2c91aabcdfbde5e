/**
 * Incremental parser for client requests: RESP multibulk (`*N\r\n$len\r\n...`) and inline
 * commands (`SET a "b c"\n`), as Redis's processMultibulkBuffer/processInlineBuffer read them.
 *
 * Invariants:
 * - It never throws on input. Running out of bytes is PARSE_NEED_MORE; malformed input is
 *   PARSE_ERROR with Redis's exact text in `error`, after which the parser must be discarded
 *   (the server replies and closes that connection).
 * - It buffers at most one unfinished command: a header line longer than
 *   PROTO_INLINE_MAX_SIZE, or a bulk longer than `maxBulkLen`, is an error before it is stored.
 * - Arguments are returned as latin1 strings (copies), so nothing keeps a socket chunk alive:
 *   short ones (< 13 chars, which V8 copies) are cut from a decoded text window, longer ones are
 *   decoded on their own with one native call each.
 *
 * Two ways through a multibulk command, which must give identical results (tested against each
 * other): parseWholeCommand, one straight pass when the whole command (a few arguments, none
 * big) is already buffered, which is nearly always for pipelined clients; and the general
 * resumable path for everything else (commands cut by a chunk boundary, big arguments, inline
 * commands, anything unusual or malformed, and every error).
 *
 * Callers: the server's client reader, and the replica applying its master's stream (which uses
 * `consumed` to advance its replication offset by exactly the bytes of each command).
 *
 *   feed(chunk) ──► [pending bytes] ──► next() ─┬─ whole command? ─► parseWholeCommand ─► argv
 *                        ▲                       └─ general path ──► PARSE_COMMAND | NEED_MORE | ERROR
 *                        └── big bulk ◄────────────────┘  (a bulk >= 32 KB is gathered in its own buffer)
 */

import { constants } from "node:buffer";
import { bytesToLatin1 } from "./latin1.js";
import {
  PROTO_INLINE_MAX_SIZE,
  PROTO_MAX_BULK_LEN_DEFAULT,
  PROTO_MAX_MULTIBULK_LEN,
  PROTO_MBULK_BIG_ARG,
} from "./limits.js";

export const PARSE_NEED_MORE = 0;
export const PARSE_COMMAND = 1;
export const PARSE_ERROR = -1;
export type ParseStatus = typeof PARSE_NEED_MORE | typeof PARSE_COMMAND | typeof PARSE_ERROR;

const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);

export interface RequestParserOptions {
  /** proto-max-bulk-len; ignored when `trusted` (a master's stream has no bulk limit). */
  maxBulkLen?: number;
  /** Largest `*N` accepted. */
  maxMultibulkLen?: number;
  /** The master link: Redis skips the bulk length limit for CLIENT_MASTER. */
  trusted?: boolean;
}

/** Below this length an argument is cut from the decoded text window (V8 copies such substrings). */
const SHORT_ARG = 13;
/**
 * Bytes decoded at once into the text window that short arguments are cut from. Socket reads
 * come in up to 64 KB, and a read merged with the unfinished command before it is a little
 * longer, so 96 KB decodes a typical buffer once. Not more: a string over V8's 128 KB regular
 * object limit goes to large-object space, allocated by the page, which measured slower on big
 * buffers. The bound also keeps the decode of a huge buffer proportional to the part used.
 */
const TEXT_WINDOW = 96 * 1024;
/**
 * Commands of at most this many arguments are tried on the one-pass path (parseWholeCommand).
 * MSET of 10 pairs (redis-benchmark's) has 21; a command that turns out to be incomplete costs
 * one abandoned pass, as the general path then keeps it until it is whole.
 */
const FAST_MAX_ARGS = 64;

/**
 * Command names seen recently, by a hash of their bytes: argv[0] repeats from one command to the
 * next, so a name found here costs a few byte compares instead of a new string. Direct-mapped and
 * shared by every parser (strings are immutable); a collision replaces the entry. Bounded: at most
 * NAME_CACHE_SIZE names of at most NAME_MAX bytes, whatever clients send.
 */
const NAME_CACHE_SIZE = 256;
const NAME_MAX = 24;
const nameCache: string[] = Array.from({ length: NAME_CACHE_SIZE }, () => "");

export class RequestParser {
  /** Arguments of the command just returned by next() (a fresh array per command). */
  argv: string[] = [];
  /** Error text (without the leading `-ERR `) after PARSE_ERROR. */
  error = "";
  /** Total bytes of complete commands parsed so far (including skipped empty ones). */
  consumed = 0;
  /** True when the last command came as an inline line (Redis treats those slightly differently). */
  lastWasInline = false;

  maxBulkLen: number;
  maxMultibulkLen: number;
  trusted: boolean;

  private buf: Buffer = EMPTY;
  /** `buf` is (a view of) the caller's chunk rather than memory of our own (see retain). */
  private borrowed = false;
  private pos = 0;
  /** Offset in `buf` where the current command began (for `consumed`). */
  private cmdStart = 0;
  /** Bytes of the current command already consumed from earlier buffers (big-arg path). */
  private carried = 0;
  /** Multibulk state: arguments still expected (0 when between commands). */
  private remaining = 0;
  /** Length of the bulk being read, or -1 while its `$len` line is still expected. */
  private bulkLen = -1;
  private pendingArgv: string[] = [];
  /** Gathering buffer for a big bulk, and how much of it is filled. */
  private big: Buffer | null = null;
  private bigFill = 0;
  /**
   * buf[textStart, textEnd) decoded as one latin1 string, made on first use. V8 copies
   * substrings shorter than 13 chars, so short arguments cut from it share nothing with the
   * chunk and cost no native call each; longer ones are decoded on their own (a substring would
   * keep the whole chunk's text alive in the keyspace). Reset whenever `buf` changes.
   */
  private text = "";
  private textStart = 0;
  private textEnd = 0;

  constructor(options: RequestParserOptions = {}) {
    this.maxBulkLen = options.maxBulkLen ?? PROTO_MAX_BULK_LEN_DEFAULT;
    this.maxMultibulkLen = options.maxMultibulkLen ?? PROTO_MAX_MULTIBULK_LEN;
    this.trusted = options.trusted ?? false;
  }

  /** Bytes received but not yet part of a returned command. */
  get bufferedLength(): number {
    return this.buf.length - this.pos + this.bigFill;
  }

  /** True while a command is partly received (for the query-buffer idle checks). */
  get inCommand(): boolean {
    return this.remaining > 0 || this.pos < this.buf.length || this.big !== null;
  }

  /**
   * Adds bytes from the peer. The chunk may be kept as a view until the next feed, never longer
   * than the command it completes.
   */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.big !== null) {
      const want = this.big.length - this.bigFill;
      const take = Math.min(want, chunk.length);
      chunk.copy(this.big, this.bigFill, 0, take);
      this.bigFill += take;
      if (take < chunk.length) this.appendPending(chunk.subarray(take));
      return;
    }
    this.appendPending(chunk);
  }

  /**
   * Copies the bytes not parsed yet (an unfinished command, or commands left for later by a
   * blocked client) out of the chunk last fed, so that the caller may reuse that memory: a
   * reader that receives every socket's data into one shared buffer calls this after each feed.
   * Costs nothing when every command of the chunk was parsed.
   */
  retain(): void {
    if (!this.borrowed) return;
    if (this.pos >= this.buf.length) {
      this.carried += this.pos - this.cmdStart;
      this.setBuffer(EMPTY);
      this.pos = 0;
      this.cmdStart = 0;
      return;
    }
    const own = Buffer.allocUnsafe(this.buf.length - this.cmdStart);
    this.buf.copy(own, 0, this.cmdStart);
    this.pos -= this.cmdStart;
    this.cmdStart = 0;
    this.setBuffer(own);
  }

  private setBuffer(buf: Buffer, borrowed = false): void {
    this.buf = buf;
    this.borrowed = borrowed;
    this.text = "";
    this.textStart = 0;
    this.textEnd = 0;
  }

  private appendPending(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.carried += this.pos - this.cmdStart;
      this.setBuffer(chunk, true);
      this.pos = 0;
      this.cmdStart = 0;
      return;
    }
    // Keep only the unfinished tail, starting at the current command.
    const tailStart = this.cmdStart;
    const tail = this.buf.length - tailStart;
    const merged = Buffer.allocUnsafe(tail + chunk.length);
    this.buf.copy(merged, 0, tailStart);
    chunk.copy(merged, tail);
    this.pos -= tailStart;
    this.cmdStart = 0;
    this.setBuffer(merged);
  }

  /** Parses the next command. See the head comment for the three outcomes. */
  next(): ParseStatus {
    if (this.remaining === 0 && this.big === null) {
      const buf = this.buf;
      const pos = this.pos;
      if (pos < buf.length && buf[pos] === 42 /* '*' */ && this.parseWholeCommand(buf, pos)) {
        return PARSE_COMMAND;
      }
    }
    const status = this.nextGeneral();
    // The next feed replaces `buf`, so the window is of no more use: let an idle client drop it.
    if (status === PARSE_NEED_MORE) this.setBuffer(this.buf, this.borrowed);
    return status;
  }

  /**
   * The common case in one straight pass: a whole multibulk command of at most FAST_MAX_ARGS
   * arguments, none of them big, already in `buf`. Returns false having changed nothing but
   * caches whenever anything is unusual (incomplete, malformed, `*0`, leading zeros, big or many
   * arguments): the general path then parses the same bytes and gives the same command, the
   * need-more, or the exact error. Checks mirror the general path's: digits as parseStrictInt
   * reads them, CR then one unchecked byte after a header, two unchecked bytes after a payload.
   */
  private parseWholeCommand(buf: Buffer, start: number): boolean {
    const end = buf.length;
    let p = start + 1;
    if (p >= end) return false;
    let n = buf[p] - 48;
    if (n < 1 || n > 9) return false;
    let c = 0;
    for (;;) {
      if (++p >= end) return false;
      c = buf[p];
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      if (n > FAST_MAX_ARGS) return false;
    }
    if (c !== CR || p + 1 >= end || n > this.maxMultibulkLen) return false;
    p += 2;
    // Bulks from PROTO_MBULK_BIG_ARG up go the general way (gathering); so do refused lengths.
    const maxLen =
      this.trusted || this.maxBulkLen >= PROTO_MBULK_BIG_ARG ? PROTO_MBULK_BIG_ARG - 1 : this.maxBulkLen;
    const argv = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      if (p + 3 >= end || buf[p] !== 36 /* '$' */) return false;
      let len = buf[p + 1] - 48;
      if (len < 0 || len > 9) return false;
      let q = p + 2;
      c = buf[q];
      if (len !== 0) {
        while (c >= 48 && c <= 57) {
          len = len * 10 + (c - 48);
          if (len > maxLen || ++q >= end) return false;
          c = buf[q];
        }
      }
      if (c !== CR || q + 1 >= end || len > maxLen) return false;
      p = q + 2;
      if (end - p < len + 2) return false;
      if (i === 0 && len <= NAME_MAX) argv[i] = this.commandName(buf, p, len);
      else if (len < SHORT_ARG) argv[i] = this.shortArg(buf, p, len);
      else argv[i] = bytesToLatin1(buf, p, p + len);
      p += len + 2;
    }
    this.argv = argv;
    this.lastWasInline = false;
    this.carried = 0;
    this.consumed += p - start;
    this.pos = p;
    this.cmdStart = p;
    return true;
  }

  /** buf[start, start + len) for len < SHORT_ARG, cut from the text window. */
  private shortArg(buf: Buffer, start: number, len: number): string {
    let from = start - this.textStart;
    if (from < 0 || start + len > this.textEnd) {
      const textEnd = Math.min(buf.length, start + TEXT_WINDOW);
      this.text = bytesToLatin1(buf, start, textEnd);
      this.textStart = start;
      this.textEnd = textEnd;
      from = 0;
    }
    return this.text.substring(from, from + len);
  }

  /** A command name (argv[0]) through nameCache. */
  private commandName(buf: Buffer, start: number, len: number): string {
    const end = start + len;
    let h = len;
    for (let i = start; i < end; i++) h = ((h << 5) - h + buf[i]) | 0;
    const slot = (h ^ (h >>> 8)) & (NAME_CACHE_SIZE - 1);
    const cached = nameCache[slot];
    if (cached.length === len) {
      let i = 0;
      while (i < len && cached.charCodeAt(i) === buf[start + i]) i++;
      if (i === len) return cached;
    }
    const name = len < SHORT_ARG ? this.shortArg(buf, start, len) : bytesToLatin1(buf, start, end);
    nameCache[slot] = name;
    return name;
  }

  private nextGeneral(): ParseStatus {
    for (;;) {
      if (this.remaining === 0 && this.big === null) {
        if (this.pos >= this.buf.length) {
          this.release();
          return PARSE_NEED_MORE;
        }
        this.cmdStart = this.pos;
        this.carried = 0;
        if (this.buf[this.pos] !== 42 /* '*' */) {
          const status = this.parseInline();
          if (status === PARSE_COMMAND && this.argv.length === 0) continue; // empty line
          return status;
        }
        const status = this.parseMultibulkHeader();
        if (status !== PARSE_COMMAND) return status;
        if (this.remaining === 0) {
          this.finishCommand();
          continue; // `*0` or `*-1`: nothing to run
        }
      }
      const status = this.parseBulks();
      if (status !== PARSE_COMMAND) return status;
      return PARSE_COMMAND;
    }
  }

  private release(): void {
    this.carried += this.pos - this.cmdStart;
    this.cmdStart = this.pos;
    if (this.pos > 0 && this.pos >= this.buf.length) {
      this.setBuffer(EMPTY);
      this.pos = 0;
      this.cmdStart = 0;
    }
  }

  private finishCommand(): void {
    this.consumed += this.carried + (this.pos - this.cmdStart);
    this.carried = 0;
    this.cmdStart = this.pos;
  }

  private fail(message: string): ParseStatus {
    this.error = message;
    return PARSE_ERROR;
  }

  private parseInline(): ParseStatus {
    const buf = this.buf;
    const newline = buf.indexOf(LF, this.pos);
    if (newline === -1) {
      if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE)
        return this.fail("Protocol error: too big inline request");
      return PARSE_NEED_MORE;
    }
    let lineEnd = newline;
    if (lineEnd > this.pos && buf[lineEnd - 1] === CR) lineEnd--;
    const args = splitInlineArgs(buf, this.pos, lineEnd);
    if (args === null) return this.fail("Protocol error: unbalanced quotes in request");
    this.pos = newline + 1;
    this.argv = args;
    this.lastWasInline = true;
    this.finishCommand();
    return PARSE_COMMAND;
  }

  /** Reads `*N\r\n`. Leaves `remaining` = N (0 for N <= 0). */
  private parseMultibulkHeader(): ParseStatus {
    const buf = this.buf;
    const cr = findCR(buf, this.pos);
    if (cr === -1 || cr + 1 >= buf.length) {
      if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE)
        return this.fail("Protocol error: too big mbulk count string");
      return PARSE_NEED_MORE;
    }
    const n = parseStrictInt(buf, this.pos + 1, cr);
    if (Number.isNaN(n) || n > this.maxMultibulkLen)
      return this.fail("Protocol error: invalid multibulk length");
    this.pos = cr + 2;
    this.lastWasInline = false;
    if (n <= 0) {
      this.remaining = 0;
      return PARSE_COMMAND;
    }
    this.remaining = n;
    this.bulkLen = -1;
    this.pendingArgv = [];
    return PARSE_COMMAND;
  }

  private parseBulks(): ParseStatus {
    const argv = this.pendingArgv;
    for (;;) {
      if (this.big !== null) {
        if (this.bigFill < this.big.length) return PARSE_NEED_MORE;
        argv.push(bytesToLatin1(this.big, 0, this.big.length - 2));
        this.carried += this.big.length;
        this.big = null;
        this.bigFill = 0;
        this.bulkLen = -1;
        if (--this.remaining === 0) break;
        continue;
      }
      const buf = this.buf;
      if (this.bulkLen === -1) {
        const cr = findCR(buf, this.pos);
        if (cr === -1 || cr + 1 >= buf.length) {
          if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE)
            return this.fail("Protocol error: too big bulk count string");
          return PARSE_NEED_MORE;
        }
        if (buf[this.pos] !== 36 /* '$' */) {
          return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(buf[this.pos])}'`);
        }
        const len = parseStrictInt(buf, this.pos + 1, cr);
        // Besides proto-max-bulk-len, a bulk can never exceed what a V8 string holds (2^29 - 24
        // chars): refusing it here beats failing to decode it once 512 MB have arrived.
        if (
          Number.isNaN(len) ||
          len < 0 ||
          len > constants.MAX_STRING_LENGTH ||
          (!this.trusted && len > this.maxBulkLen)
        ) {
          return this.fail("Protocol error: invalid bulk length");
        }
        this.pos = cr + 2;
        this.bulkLen = len;
      }
      const len = this.bulkLen;
      const available = buf.length - this.pos;
      if (available < len + 2) {
        if (len >= PROTO_MBULK_BIG_ARG) {
          // Gather this argument in its own buffer: later chunks are copied once, in place.
          this.big = Buffer.allocUnsafe(len + 2);
          buf.copy(this.big, 0, this.pos);
          this.bigFill = available;
          this.carried += this.pos - this.cmdStart;
          this.pos = buf.length;
          this.cmdStart = this.pos;
        }
        return PARSE_NEED_MORE;
      }
      // Like Redis, the two bytes after the payload are skipped without checking for CRLF.
      argv.push(
        len < SHORT_ARG ? this.shortArg(buf, this.pos, len) : bytesToLatin1(buf, this.pos, this.pos + len),
      );
      this.pos += len + 2;
      this.bulkLen = -1;
      if (--this.remaining === 0) break;
    }
    this.argv = argv;
    this.pendingArgv = [];
    this.finishCommand();
    return PARSE_COMMAND;
  }
}

/**
 * indexOf(CR) for header lines (`*3`, `$16`): they are a few bytes long, and a short JS scan is
 * several times cheaper than the native indexOf call; long lines fall back to it.
 */
function findCR(buf: Buffer, from: number): number {
  const end = Math.min(buf.length, from + 24);
  for (let i = from; i < end; i++) if (buf[i] === CR) return i;
  return end === buf.length ? -1 : buf.indexOf(CR, end);
}

/**
 * string2ll over bytes: optional '-', digits, no '+', no leading zeros, no spaces.
 * Returns NaN when the text is not such an integer or is beyond 2^53 (every limit is far below).
 */
export function parseStrictInt(buf: Buffer, start: number, end: number): number {
  if (start >= end) return Number.NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 45 /* '-' */) {
    negative = true;
    i++;
    if (i === end) return Number.NaN;
  }
  if (buf[i] === 48 /* '0' */) return end - i === 1 && !negative ? 0 : Number.NaN;
  if (end - i > 16) return Number.NaN;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * sdssplitargs over buf[start, end): Redis's inline and redis-cli argument syntax.
 * Returns null on unbalanced quotes (or a closing quote not followed by a space).
 * A NUL byte ends the line, as it does for the C string Redis scans.
 */
export function splitInlineArgs(buf: Buffer, start: number, end: number): string[] | null {
  const args: string[] = [];
  let p = start;
  const at = (i: number): number => (i < end ? buf[i] : 0);
  for (;;) {
    while (p < end && buf[p] !== 0 && isSpace(buf[p])) p++;
    if (at(p) === 0) return args;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    let current = "";
    let runStart = p; // start of a run of plain bytes not yet appended to `current`
    const flush = (upTo: number): void => {
      if (upTo > runStart) current += bytesToLatin1(buf, runStart, upTo);
    };
    while (!done) {
      const c = at(p);
      if (inDouble) {
        if (
          c === 92 /* \ */ &&
          at(p + 1) === 120 /* x */ &&
          hexValue(at(p + 2)) >= 0 &&
          hexValue(at(p + 3)) >= 0
        ) {
          flush(p);
          current += String.fromCharCode(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
          runStart = p + 1;
        } else if (c === 92 && at(p + 1) !== 0) {
          flush(p);
          p++;
          const e = at(p);
          const mapped = e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e;
          current += String.fromCharCode(mapped);
          runStart = p + 1;
        } else if (c === 34 /* " */) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          flush(p);
          done = true;
        } else if (c === 0) {
          return null;
        }
      } else if (inSingle) {
        if (c === 92 && at(p + 1) === 39 /* ' */) {
          flush(p);
          p++;
          runStart = p;
        } else if (c === 39) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          flush(p);
          done = true;
        } else if (c === 0) {
          return null;
        }
      } else if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0) {
        flush(p);
        done = true;
      } else if (c === 34) {
        flush(p);
        inDouble = true;
        runStart = p + 1;
      } else if (c === 39) {
        flush(p);
        inSingle = true;
        runStart = p + 1;
      }
      if (p < end && at(p) !== 0) p++;
    }
    args.push(current);
  }
}
