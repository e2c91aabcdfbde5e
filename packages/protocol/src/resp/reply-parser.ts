/**
 * Incremental parser for RESP2 and RESP3 replies, for the replica link, Sentinel's links and
 * test clients.
 *
 * Aggregates are parsed with an explicit stack, so a reply that arrives in many chunks resumes
 * where it stopped instead of being re-parsed from its first byte (a 1M-element array costs
 * O(n), not O(n * chunks)). A scalar that is cut by a chunk boundary is re-read from its type
 * byte; a bulk of PROTO_MBULK_BIG_ARG bytes or more is gathered into its own buffer. In plain
 * mode, a reply that is already whole in the buffer (the usual case) skips that machinery:
 * fastValue reads it by recursive descent, and gives way to the general path, which must give
 * the same result (tested against each other), for anything incomplete, rare or malformed.
 *
 * Two output shapes:
 * - plain (default): JS values as clients use them: string | Buffer, number, bigint, boolean,
 *   null, arrays, Map for RESP3 maps, RespPush for push messages, RespError for errors.
 * - typed: a RespValue tree keeping every RESP type apart (for exact assertions and round trips).
 *
 * It never throws on input: malformed bytes give REPLY_ERROR with a message in `error`.
 */

import { isAscii } from "node:buffer";
import { bytesToLatin1 } from "./latin1.js";
import { PROTO_INLINE_MAX_SIZE, PROTO_MBULK_BIG_ARG } from "./limits.js";
import { RespError, RespPush, type RespValue } from "./reply-values.js";

export { RespError, RespPush, type RespValue };

export const REPLY_NEED_MORE = 0;
export const REPLY_VALUE = 1;
export const REPLY_ERROR = -1;
export type ReplyStatus = typeof REPLY_NEED_MORE | typeof REPLY_VALUE | typeof REPLY_ERROR;

export interface ReplyParserOptions {
  /** Produce RespValue trees instead of plain values. */
  typed?: boolean;
  /** How plain mode returns strings: decoded as UTF-8 (default), latin1 (byte per char), or Buffers. */
  strings?: "utf8" | "latin1" | "buffer";
}

enum Kind {
  Array = 42,
  Map = 37,
  Set = 126,
  Push = 62,
  Attribute = 124,
}

interface Frame {
  kind: Kind;
  items: unknown[];
  /** Elements still expected (maps and attributes count keys and values separately). */
  remaining: number;
  /** An attribute that preceded this aggregate and annotates it (typed mode). */
  attribute: unknown[] | null;
}

const EMPTY = Buffer.alloc(0);
/**
 * Bytes decoded at once into the text window that strings are cut from. It bounds what a kept
 * reply string can pin (a substring of 13+ chars shares the window's text), and the work of a
 * decode whose window is only partly used.
 */
const TEXT_WINDOW = 64 * 1024;
/**
 * In a window that is not all ASCII, a UTF-8 string up to this long is checked byte by byte in JS
 * (a few ns per byte) before paying for a native utf8Slice (about 100 ns a call).
 */
const ASCII_SCAN_MAX = 128;
/** Aggregates nested deeper than this are left to the general path (fastValue recurses). */
const FAST_MAX_DEPTH = 8;
/** Lengths and counts the fast path reads: more digits than this go the general way. */
const FAST_MAX_LEN = 999_999_999;

export class ReplyParser {
  /** The reply just returned by next(). */
  value: unknown = undefined;
  error = "";
  private readonly typed: boolean;
  private readonly strings: "utf8" | "latin1" | "buffer";
  private buf: Buffer = EMPTY;
  private pos = 0;
  private stack: Frame[] = [];
  /** An attribute waiting for the value it annotates (typed mode). */
  private pendingAttribute: unknown[] | null = null;
  private big: Buffer | null = null;
  private bigFill = 0;
  private bigType = 0;
  /**
   * buf[textStart, textEnd) decoded once as latin1, and whether those bytes are all ASCII (then
   * latin1 and UTF-8 agree). Strings are cut from it with `substring`: no native call per string.
   * V8 shares the window's text with substrings of 13+ chars, so a reply string kept for long
   * keeps up to TEXT_WINDOW bytes of text alive; replies are short-lived in every caller (replica
   * link, Sentinel, tests), which is why this parser makes that trade and the request parser does
   * not. Reset whenever `buf` changes.
   */
  private text = "";
  private textStart = 0;
  private textEnd = 0;
  private textAscii = false;
  /** Where the value just returned by fastValue ended. */
  private fastEnd = 0;

  constructor(options: ReplyParserOptions = {}) {
    this.typed = options.typed ?? false;
    this.strings = options.strings ?? "utf8";
  }

  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.big !== null) {
      const take = Math.min(this.big.length - this.bigFill, chunk.length);
      chunk.copy(this.big, this.bigFill, 0, take);
      this.bigFill += take;
      if (take === chunk.length) return;
      chunk = chunk.subarray(take);
    }
    if (this.pos >= this.buf.length) {
      this.setBuffer(chunk);
      this.pos = 0;
      return;
    }
    const tail = this.buf.length - this.pos;
    const merged = Buffer.allocUnsafe(tail + chunk.length);
    this.buf.copy(merged, 0, this.pos);
    chunk.copy(merged, tail);
    this.setBuffer(merged);
    this.pos = 0;
  }

  private setBuffer(buf: Buffer): void {
    this.buf = buf;
    this.text = "";
    this.textStart = 0;
    this.textEnd = 0;
  }

  /** Bytes received and not yet returned as part of a reply. */
  get bufferedLength(): number {
    return this.buf.length - this.pos + this.bigFill;
  }

  /**
   * Takes up to `n` raw bytes that follow the last reply (used by a replica to read an RDB
   * payload after `+FULLRESYNC`); returns what is buffered, possibly less than n.
   */
  takeRaw(n: number): Buffer {
    const end = Math.min(this.buf.length, this.pos + n);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    if (this.pos >= this.buf.length) {
      this.setBuffer(EMPTY);
      this.pos = 0;
    }
    return out;
  }

  /**
   * Parses the next reply: REPLY_VALUE (in `value`), REPLY_NEED_MORE, or REPLY_ERROR (in
   * `error`; the stream is then unusable).
   */
  next(): ReplyStatus {
    if (this.stack.length === 0 && this.pendingAttribute === null && this.big === null && !this.typed) {
      const buf = this.buf;
      const pos = this.pos;
      if (pos < buf.length) {
        const value = this.fastValue(buf, pos, 0);
        if (value !== FAST_FAIL) {
          this.pos = this.fastEnd;
          this.value = value;
          return REPLY_VALUE;
        }
      }
    }
    const status = this.nextGeneral();
    // The next feed replaces `buf`, so the window is of no more use: let an idle link drop it.
    if (status === REPLY_NEED_MORE) this.setBuffer(this.buf);
    return status;
  }

  /**
   * A whole plain-mode reply of the common kinds (`+ - : $ * % ~ >` and `_`, aggregates nested
   * at most FAST_MAX_DEPTH deep) that is already entirely in `buf`, parsed by recursive descent
   * without the frame stack; its end goes to `fastEnd`. FAST_FAIL, with nothing consumed, for
   * anything else (incomplete, another type, an attribute, malformed, unusual digits): the
   * general path then parses the same bytes and gives the same value, need-more, or error.
   */
  private fastValue(buf: Buffer, start: number, depth: number): unknown {
    const end = buf.length;
    const type = buf[start];
    let q = start + 1;
    if (q >= end) return FAST_FAIL;
    let c = buf[q];
    if (type === 43 /* '+' */ || type === 45 /* '-' */) {
      while (c !== 13) {
        if (++q >= end) return FAST_FAIL;
        c = buf[q];
      }
      if (q + 1 >= end) return FAST_FAIL;
      this.fastEnd = q + 2;
      return type === 43
        ? this.makeString(buf, start + 1, q)
        : new RespError(buf.toString("utf8", start + 1, q));
    }
    if (type === 95 /* '_' */) {
      if (c !== 13 || q + 1 >= end) return FAST_FAIL;
      this.fastEnd = q + 2;
      return null;
    }
    // Every other type handled here has a decimal header: `:` signed, the rest a length or -1.
    let negative = false;
    if (c === 45 /* '-' */) {
      negative = true;
      if (++q >= end) return FAST_FAIL;
      c = buf[q];
    }
    let n = c - 48;
    if (n < 0 || n > 9) return FAST_FAIL;
    const digits = q;
    for (;;) {
      if (++q >= end) return FAST_FAIL;
      c = buf[q];
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
    }
    if (c !== 13 || q + 1 >= end) return FAST_FAIL;
    q += 2;
    if (type === 58 /* ':' */) {
      if (q - digits > 17) return FAST_FAIL; // 16+ digits: parseInteger's bigint rule
      this.fastEnd = q;
      return negative ? -n : n;
    }
    if (negative) {
      if (n !== 1 || q - digits !== 3 || (type !== 36 && type !== 42)) return FAST_FAIL;
      this.fastEnd = q;
      return null; // `$-1` or `*-1`
    }
    if (n > FAST_MAX_LEN) return FAST_FAIL;
    if (type === 36 /* '$' */) {
      if (end - q < n + 2) return FAST_FAIL;
      this.fastEnd = q + n + 2;
      return this.makeString(buf, q, q + n);
    }
    if (type !== 42 /* '*' */ && type !== 37 /* '%' */ && type !== 126 /* '~' */ && type !== 62 /* '>' */) {
      return FAST_FAIL;
    }
    if (depth >= FAST_MAX_DEPTH) return FAST_FAIL;
    const count = type === 37 ? n * 2 : n;
    if (count * 3 > end - q) return FAST_FAIL; // not all here (each item takes 3+ bytes)
    const items: unknown[] = new Array(count);
    for (let i = 0; i < count; i++) {
      if (q >= end) return FAST_FAIL;
      const item = this.fastValue(buf, q, depth + 1);
      if (item === FAST_FAIL) return FAST_FAIL;
      items[i] = item;
      q = this.fastEnd;
    }
    this.fastEnd = q;
    if (type === 42 || type === 126) return items;
    return type === 37 ? toMap(items) : new RespPush(items);
  }

  private nextGeneral(): ReplyStatus {
    for (;;) {
      let value: unknown;
      if (this.big !== null) {
        if (this.bigFill < this.big.length) return REPLY_NEED_MORE;
        const body = this.big.subarray(0, this.big.length - 2);
        value =
          this.bigType === 61 ? this.makeVerbatim(body, 0, body.length) : this.makeBulk(body, 0, body.length);
        this.big = null;
        this.bigFill = 0;
      } else {
        if (this.pos >= this.buf.length) {
          this.setBuffer(EMPTY);
          this.pos = 0;
          return REPLY_NEED_MORE;
        }
        const parsed = this.parseElement();
        // Fast path: a scalar reply at top level.
        if (this.stack.length === 0 && this.pendingAttribute === null && typeof parsed !== "symbol") {
          this.value = parsed;
          return REPLY_VALUE;
        }
        if (parsed === NEED_MORE) return REPLY_NEED_MORE;
        if (parsed === FAILED) return REPLY_ERROR;
        if (parsed === CONTINUE) continue;
        value = parsed;
      }
      // Attach to the enclosing aggregates, closing every one that is now complete.
      for (;;) {
        if (this.pendingAttribute !== null && value !== ATTRIBUTE_DONE) {
          const attrs = this.pendingAttribute;
          this.pendingAttribute = null;
          if (this.typed) value = { type: "attribute", attributes: pairs(attrs as RespValue[]), value };
        }
        const top = this.stack.length === 0 ? null : this.stack[this.stack.length - 1];
        if (top === null) {
          if (value === ATTRIBUTE_DONE) break;
          this.value = value;
          return REPLY_VALUE;
        }
        if (value !== ATTRIBUTE_DONE) top.items.push(value);
        if (--top.remaining > 0) break;
        this.stack.pop();
        value = this.closeFrame(top);
        if (value === ATTRIBUTE_DONE) {
          // An attribute annotates the next value; it does not count as an element itself.
          top.remaining = 0;
          const parent = this.stack.length === 0 ? null : this.stack[this.stack.length - 1];
          if (parent !== null) parent.remaining++;
        }
      }
    }
  }

  private closeFrame(frame: Frame): unknown {
    const value = this.aggregateValue(frame);
    if (frame.attribute !== null && this.typed) {
      return { type: "attribute", attributes: pairs(frame.attribute as RespValue[]), value };
    }
    return value;
  }

  private aggregateValue(frame: Frame): unknown {
    const items = frame.items;
    switch (frame.kind) {
      case Kind.Array:
        return this.typed ? { type: "array", value: items } : items;
      case Kind.Set:
        return this.typed ? { type: "set", value: items } : items;
      case Kind.Push:
        return this.typed ? { type: "push", value: items } : new RespPush(items);
      case Kind.Map:
        if (this.typed) return { type: "map", value: pairs(items as RespValue[]) };
        return toMap(items);
      case Kind.Attribute:
        this.pendingAttribute = items;
        return ATTRIBUTE_DONE;
    }
  }

  private fail(message: string): typeof FAILED {
    this.error = message;
    return FAILED;
  }

  /** Parses one element at pos: a scalar value, a pushed aggregate frame, or a status marker. */
  private parseElement(): unknown {
    const buf = this.buf;
    const start = this.pos;
    const type = buf[start];
    if ((type === 36 || type === 58) && !this.typed) {
      // Fast path for the commonest replies: `$<len>` and non-negative `:<n>`.
      let i = start + 1;
      let c = buf[i];
      if (c >= 48 && c <= 57) {
        let n = 0;
        do {
          n = n * 10 + (c - 48);
          c = buf[++i];
        } while (c >= 48 && c <= 57 && i - start < 16);
        if (c === 13 && i + 1 < buf.length) {
          if (type === 58) {
            this.pos = i + 2;
            return n;
          }
          const body = i + 2;
          if (buf.length - body >= n + 2) {
            this.pos = body + n + 2;
            return this.makeString(buf, body, body + n);
          }
        }
      }
    }
    // Find the end of the header line.
    let cr = start + 1;
    const len = buf.length;
    while (cr < len && buf[cr] !== 13) cr++;
    if (cr + 1 >= len) {
      if (len - start > PROTO_INLINE_MAX_SIZE && type !== 36 && type !== 61) {
        return this.fail("Protocol error: reply line too long");
      }
      return NEED_MORE;
    }
    const lineStart = start + 1;
    switch (type) {
      case 43: // '+'
        this.pos = cr + 2;
        return this.typed
          ? { type: "simple", value: buf.toString("utf8", lineStart, cr) }
          : this.makeString(buf, lineStart, cr);
      case 45: // '-'
        this.pos = cr + 2;
        return this.typed
          ? { type: "error", value: buf.toString("utf8", lineStart, cr) }
          : new RespError(buf.toString("utf8", lineStart, cr));
      case 58: {
        // ':'
        const n = parseInteger(buf, lineStart, cr);
        if (n === null) return this.fail("Protocol error: invalid integer");
        this.pos = cr + 2;
        if (this.typed) return { type: "integer", value: typeof n === "bigint" ? n : BigInt(n) };
        return n;
      }
      case 36: // '$'
      case 61: {
        // '=' verbatim
        const n = parseInteger(buf, lineStart, cr);
        if (n === null || typeof n === "bigint" || n < -1)
          return this.fail("Protocol error: invalid bulk length");
        if (n === -1) {
          this.pos = cr + 2;
          return this.typed ? { type: "nullBulk" } : null;
        }
        const bodyStart = cr + 2;
        if (len - bodyStart < n + 2) {
          if (n >= PROTO_MBULK_BIG_ARG) {
            this.big = Buffer.allocUnsafe(n + 2);
            buf.copy(this.big, 0, bodyStart);
            this.bigFill = len - bodyStart;
            this.bigType = type;
            this.setBuffer(EMPTY);
            this.pos = 0;
          }
          return NEED_MORE;
        }
        this.pos = bodyStart + n + 2;
        return type === 36
          ? this.makeBulk(buf, bodyStart, bodyStart + n)
          : this.makeVerbatim(buf, bodyStart, bodyStart + n);
      }
      case 42: // '*'
      case 37: // '%'
      case 126: // '~'
      case 62: // '>'
      case 124: {
        // '|'
        const n = parseInteger(buf, lineStart, cr);
        if (n === null || typeof n === "bigint" || n < -1)
          return this.fail("Protocol error: invalid aggregate length");
        this.pos = cr + 2;
        if (n === -1) return this.typed ? { type: "nullArray" } : null;
        const count = type === 37 || type === 124 ? n * 2 : n;
        if (type === 124) {
          if (count === 0) {
            this.pendingAttribute = [];
            return CONTINUE;
          }
          this.stack.push({ kind: Kind.Attribute, items: [], remaining: count, attribute: null });
          return CONTINUE;
        }
        if (count === 0)
          return this.aggregateValue({ kind: type as Kind, items: [], remaining: 0, attribute: null });
        this.stack.push({
          kind: type as Kind,
          items: [],
          remaining: count,
          attribute: this.pendingAttribute,
        });
        this.pendingAttribute = null;
        return CONTINUE;
      }
      case 95: // '_'
        this.pos = cr + 2;
        return this.typed ? { type: "null" } : null;
      case 35: {
        // '#'
        const c = buf[lineStart];
        if (cr !== lineStart + 1 || (c !== 116 && c !== 102))
          return this.fail("Protocol error: invalid boolean");
        this.pos = cr + 2;
        return this.typed ? { type: "boolean", value: c === 116 } : c === 116;
      }
      case 44: {
        // ','
        const text = bytesToLatin1(buf, lineStart, cr);
        const d = parseRespDouble(text);
        if (d === null) return this.fail("Protocol error: invalid double");
        this.pos = cr + 2;
        return this.typed ? { type: "double", value: d } : d;
      }
      case 40: {
        // '('
        const text = bytesToLatin1(buf, lineStart, cr);
        if (!/^-?\d+$/.test(text)) return this.fail("Protocol error: invalid big number");
        this.pos = cr + 2;
        return this.typed ? { type: "bignum", value: BigInt(text) } : BigInt(text);
      }
      default:
        return this.fail(`Protocol error: invalid reply type byte ${type}`);
    }
  }

  private makeString(buf: Buffer, start: number, end: number): unknown {
    const strings = this.strings;
    if (strings === "buffer") return Buffer.from(buf.subarray(start, end));
    if (buf === this.buf && end - start <= TEXT_WINDOW) {
      let from = start - this.textStart;
      if (from < 0 || end > this.textEnd) {
        const textEnd = Math.min(buf.length, start + TEXT_WINDOW);
        this.text = bytesToLatin1(buf, start, textEnd);
        this.textAscii = isAscii(buf.subarray(start, textEnd));
        this.textStart = start;
        this.textEnd = textEnd;
        from = 0;
      }
      if (strings === "latin1" || this.textAscii) return this.text.substring(from, from + (end - start));
      if (end - start <= ASCII_SCAN_MAX) {
        let i = start;
        while (i < end && buf[i] < 128) i++;
        if (i === end) return this.text.substring(from, from + (end - start));
      }
    }
    if (strings === "utf8")
      return (buf as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);
    return bytesToLatin1(buf, start, end);
  }

  private makeBulk(buf: Buffer, start: number, end: number): unknown {
    if (this.typed) return { type: "bulk", value: Buffer.from(buf.subarray(start, end)) };
    return this.makeString(buf, start, end);
  }

  private makeVerbatim(buf: Buffer, start: number, end: number): unknown {
    if (this.typed) {
      return {
        type: "verbatim",
        format: bytesToLatin1(buf, start, Math.min(start + 3, end)),
        value: Buffer.from(buf.subarray(Math.min(start + 4, end), end)),
      };
    }
    return this.makeString(buf, Math.min(start + 4, end), end);
  }
}

const NEED_MORE = Symbol("need-more");
const FAILED = Symbol("failed");
/** fastValue's "not here": the general path takes over. */
const FAST_FAIL = Symbol("fast-fail");
/** An aggregate was opened (or an attribute read): keep parsing. */
const CONTINUE = Symbol("continue");
const ATTRIBUTE_DONE = Symbol("attribute-done");

function pairs(items: RespValue[]): [RespValue, RespValue][] {
  const out: [RespValue, RespValue][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i], items[i + 1]]);
  return out;
}

function toMap(items: unknown[]): Map<unknown, unknown> {
  const map = new Map<unknown, unknown>();
  for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
  return map;
}

/** A signed decimal integer; a bigint beyond 2^53; null when malformed. */
function parseInteger(buf: Buffer, start: number, end: number): number | bigint | null {
  let i = start;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
  } else if (buf[i] === 43) {
    i++;
  }
  if (i >= end) return null;
  if (end - i > 15) {
    const text = bytesToLatin1(buf, start, end);
    if (!/^[-+]?\d+$/.test(text)) return null;
    const big = BigInt(text);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

/** RESP3 double text: decimal/exponent forms, `inf`, `-inf`, `nan`. */
export function parseRespDouble(text: string): number | null {
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  if (lower === "nan" || lower === "-nan") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  return Number(text);
}
