/**
 * Encodes a command as a RESP multibulk request. Used where a whole request is needed as one
 * Buffer (replica handshake, Sentinel links, test clients); the replication stream encodes into
 * a buffer of its own with `writeCommandInto` instead.
 */

import { writeLatin1 } from "./latin1.js";

/**
 * `argv` items: strings are written as latin1 (one byte per char, as keys and values are stored)
 * unless `utf8` is set; Buffers are written as is; numbers in decimal.
 */
export function encodeCommand(argv: readonly (string | Buffer | number)[], utf8 = false): Buffer {
  const parts: (string | Buffer)[] = new Array(argv.length);
  let size = 1 + String(argv.length).length + 2;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const part =
      typeof a === "number" ? String(a) : utf8 && typeof a === "string" ? Buffer.from(a, "utf8") : a;
    parts[i] = part;
    const len = part.length;
    size += 1 + String(len).length + 2 + len + 2;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = writeLatin1(out, `*${argv.length}\r\n`, 0);
  for (const part of parts) {
    pos += writeLatin1(out, `$${part.length}\r\n`, pos);
    if (typeof part === "string") pos += writeLatin1(out, part, pos);
    else pos += part.copy(out, pos);
    out[pos++] = 13;
    out[pos++] = 10;
  }
  return out;
}

/** Strings up to this length are copied char by char: a native call costs more (measured in the AOF). */
const SHORT_STRING_MAX = 48;

/**
 * Writes the decimal digits of `n` (a non-negative integer) at `pos`; returns the new end.
 * ReplyWriter keeps its own writeNumber (signed, any size): sharing either one measured slower,
 * about 10% per command here with writeNumber, about 3x per number there with this one.
 */
function writeDecimal(buf: Buffer, pos: number, n: number): number {
  if (n < 10) {
    buf[pos] = 48 + n;
    return pos + 1;
  }
  let digits = 2;
  for (let p = 100; p <= n; p *= 10) digits++;
  const end = pos + digits;
  for (let i = end - 1; i >= pos; i--) {
    buf[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

/** Room writeCommandInto needs for `argv`: at most 15 bytes of framing per argument and header. */
export function commandBound(argv: readonly string[]): number {
  let bound = 15;
  for (let i = 0; i < argv.length; i++) bound += argv[i].length + 15;
  return bound;
}

/**
 * encodeCommand(argv)'s bytes written into `buf` at `pos` (strings one byte per char), for
 * encoders that append to a buffer of their own; `buf` must have commandBound(argv) bytes free.
 * Returns the new end.
 */
export function writeCommandInto(buf: Buffer, pos: number, argv: readonly string[]): number {
  const argc = argv.length;
  buf[pos++] = 0x2a; // '*'
  pos = writeDecimal(buf, pos, argc);
  buf[pos++] = 13;
  buf[pos++] = 10;
  for (let i = 0; i < argc; i++) {
    const a = argv[i];
    const n = a.length;
    buf[pos++] = 0x24; // '$'
    pos = writeDecimal(buf, pos, n);
    buf[pos++] = 13;
    buf[pos++] = 10;
    if (n <= SHORT_STRING_MAX) {
      // & 0xff is what latin1Write does with a char above 255.
      for (let j = 0; j < n; j++) buf[pos++] = a.charCodeAt(j) & 0xff;
    } else {
      pos += writeLatin1(buf, a, pos);
    }
    buf[pos++] = 13;
    buf[pos++] = 10;
  }
  return pos;
}
