/**
 * Keys and values are JS strings holding one byte per char (latin1): lossless for arbitrary
 * bytes, compact in V8 (one-byte strings) and cheap to write back to a socket. Buffer's
 * `latin1Slice`/`latin1Write` are the fastest conversions Node offers; they exist on every
 * Buffer but are not in @types/node, hence this narrow typing.
 */

interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(str: string, offset: number, length?: number): number;
}

export function bytesToLatin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Buffer).latin1Slice(start, end);
}

/** Writes `str` (one byte per char) at `offset`; returns the number of bytes written. */
export function writeLatin1(buf: Buffer, str: string, offset: number): number {
  return (buf as unknown as Latin1Buffer).latin1Write(str, offset, str.length);
}

/** A latin1 string from text that may hold any Unicode (UTF-8 encoded first). */
export function utf8ToLatin1(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  return bytesToLatin1(bytes, 0, bytes.length);
}

/** The reverse of utf8ToLatin1, for showing stored bytes as text. */
export function latin1ToUtf8(bytes: string): string {
  return Buffer.from(bytes, "latin1").toString("utf8");
}
