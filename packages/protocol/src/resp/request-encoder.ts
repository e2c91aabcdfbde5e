/**
 * Encodes a command as a RESP multibulk request. Used where a whole request is needed as one
 * Buffer (replica handshake, Sentinel links, test clients); propagation appends into a
 * ReplyWriter with `command()` instead.
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
