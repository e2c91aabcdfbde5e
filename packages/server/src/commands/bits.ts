/**
 * Bitmap commands (bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
 * Strings are immutable one-byte-char strings, so a write copies the value into a Buffer,
 * changes it and stores the new string: O(length) per write, which matches how the value is
 * stored; reads work on the string directly.
 */

import { bytesToLatin1, shared } from "@keyhaven/protocol";
import { STR_ENC_RAW } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { is, parseInt64, parseInteger } from "./args.js";
import {
  maxStringLength,
  modified,
  readStringOrReply,
  storeRawString,
  writeStringOrReply,
} from "./common.js";
import { RO_ACCESS, RW_ACCESS_UPDATE } from "./key-specs.js";
import { type CommandSpec, spec } from "./spec.js";

/** bitfieldGetKeys: the key is only read when every operation is a GET. */
function bitfieldKeyFlags(argv: readonly string[]): readonly string[] {
  for (let i = 2; i < argv.length; i++) {
    const left = argv.length - i - 1;
    if (is(argv[i], "get") && left >= 2) i += 2;
    else if (is(argv[i], "overflow") && left >= 1) i += 1;
    else return RW_ACCESS_UPDATE; // a write, or a syntax error: assume the worst
  }
  return RO_ACCESS;
}

const POPCOUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** getBitOffsetFromArgument: a bit offset (or `#N` times the type width when `hashAllowed`). */
function bitOffsetOrReply(c: Client, arg: string, hashAllowed: boolean, bits: number): number | null {
  let text = arg;
  let mul = 1;
  if (hashAllowed && text.startsWith("#")) {
    text = text.slice(1);
    mul = bits;
  }
  const n = parseInteger(text);
  const limit = maxStringLength(c) * 8;
  if (n === null || n < 0 || n * mul >= limit) {
    c.error("ERR bit offset is not an integer or out of range");
    return null;
  }
  return n * mul;
}

function toBuffer(value: string | null, minBytes: number): Buffer {
  const len = Math.max(value?.length ?? 0, minBytes);
  const buf = Buffer.alloc(len);
  if (value !== null) buf.write(value, 0, "latin1");
  return buf;
}

/**
 * Stores an edited bitmap: Redis edits the sds in place, so the value becomes "raw". `event`
 * null stores silently (a BITFIELD whose writes all failed still creates/grows the key, without
 * a keyspace event, as Redis does; it is still propagated so replicas hold the same bytes).
 */
function store(c: Client, key: string, buf: Buffer, existed: boolean, event: string | null, dirty = 1): void {
  storeRawString(c.db, key, bytesToLatin1(buf, 0, buf.length), existed);
  if (event !== null) {
    modified(c, c.db, key, "$", event, dirty);
  } else {
    c.server.signalModifiedKey(c.db, key);
    c.server.dirty++;
  }
}

function setbitCommand(c: Client): void {
  const key = c.argv[1];
  const offset = bitOffsetOrReply(c, c.argv[2], false, 0);
  if (offset === null) return;
  const bitArg = c.argv[3];
  if (bitArg !== "0" && bitArg !== "1") {
    c.error("ERR bit is not an integer or out of range");
    return;
  }
  const old = writeStringOrReply(c, key);
  if (old === undefined) return;
  const byte = offset >> 3;
  const buf = toBuffer(old, byte + 1);
  const mask = 1 << (7 - (offset & 7));
  const previous = (buf[byte] & mask) !== 0 ? 1 : 0;
  if (bitArg === "1") buf[byte] |= mask;
  else buf[byte] &= ~mask;
  // Like setbitCommand: a bit set to the value it had changes nothing (no event, no dirty),
  // unless the string had to be created or grown.
  if (old === null || buf.length !== old.length || previous !== (bitArg === "1" ? 1 : 0)) {
    store(c, key, buf, old !== null, "setbit");
  } else {
    // lookupStringForBitCommand unshared the value all the same: it is "raw" from now on.
    c.db.peek(key)!.strEncoding = STR_ENC_RAW;
  }
  c.out.raw(previous ? shared.ONE : shared.ZERO);
}

function getbitCommand(c: Client): void {
  const offset = bitOffsetOrReply(c, c.argv[2], false, 0);
  if (offset === null) return;
  const v = readStringOrReply(c, c.argv[1]);
  if (v === undefined) return;
  const byte = offset >> 3;
  if (v === null || byte >= v.length) {
    c.out.raw(shared.ZERO);
    return;
  }
  c.out.raw((v.charCodeAt(byte) & (1 << (7 - (offset & 7)))) !== 0 ? shared.ONE : shared.ZERO);
}

/**
 * Normalizes a [start, end] range with negative indexes over `len` units; null if empty.
 * BITCOUNT (like GETRANGE) treats two negative indexes in reverse order as empty before
 * clamping; BITPOS does not (`reversedNegativesEmpty` false), as in Redis 7.0.
 */
function normalizeRange(
  start: number,
  end: number,
  len: number,
  reversedNegativesEmpty = true,
): [number, number] | null {
  if (reversedNegativesEmpty && start < 0 && end < 0 && start > end) return null;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end) return null;
  return [start, end];
}

function countBits(v: string, fromBit: number, toBit: number): number {
  let n = 0;
  for (let bit = fromBit; bit <= toBit; ) {
    if ((bit & 7) === 0 && bit + 7 <= toBit) {
      n += POPCOUNT[v.charCodeAt(bit >> 3)];
      bit += 8;
    } else {
      if ((v.charCodeAt(bit >> 3) & (1 << (7 - (bit & 7)))) !== 0) n++;
      bit++;
    }
  }
  return n;
}

function bitcountCommand(c: Client): void {
  const argv = c.argv;
  // As in Redis, the key comes first: a missing key counts 0 whatever the other arguments say.
  const v = readStringOrReply(c, argv[1]);
  if (v === undefined) return;
  if (v === null) {
    c.out.raw(shared.ZERO);
    return;
  }
  let isBit = false;
  let start = 0;
  let end = -1;
  let ranged = false;
  if (argv.length === 4 || argv.length === 5) {
    const s = parseInteger(argv[2]);
    const e = parseInteger(argv[3]);
    if (s === null || e === null) {
      c.error("ERR value is not an integer or out of range");
      return;
    }
    start = s;
    end = e;
    ranged = true;
    if (argv.length === 5) {
      if (is(argv[4], "bit")) isBit = true;
      else if (!is(argv[4], "byte")) {
        c.error("ERR syntax error");
        return;
      }
    }
  } else if (argv.length !== 2) {
    c.error("ERR syntax error");
    return;
  }
  const units = isBit ? v.length * 8 : v.length;
  const range = ranged
    ? normalizeRange(start, end, units)
    : units === 0
      ? null
      : ([0, units - 1] as [number, number]);
  if (range === null) {
    c.out.raw(shared.ZERO);
    return;
  }
  const [s, e] = range;
  c.out.integer(isBit ? countBits(v, s, e) : countBits(v, s * 8, e * 8 + 7));
}

function bitposCommand(c: Client): void {
  const argv = c.argv;
  const bitNum = parseInteger(argv[2]);
  if (bitNum === null) {
    c.error("ERR value is not an integer or out of range");
    return;
  }
  if (bitNum !== 0 && bitNum !== 1) {
    c.error("ERR The bit argument must be 1 or 0.");
    return;
  }
  const bit = bitNum;
  // Like bitposCommand, the key is looked up before the range is parsed: a missing key is an
  // endless run of zeros whatever the other arguments say.
  const v = readStringOrReply(c, argv[1]);
  if (v === undefined) return;
  if (v === null) {
    c.out.integer(bit ? -1 : 0);
    return;
  }
  let start = 0;
  let end = -1;
  let endGiven = false;
  let isBit = false;
  if (argv.length > 6) {
    c.error("ERR syntax error");
    return;
  }
  if (argv.length >= 4) {
    const s = parseInteger(argv[3]);
    if (s === null) {
      c.error("ERR value is not an integer or out of range");
      return;
    }
    start = s;
  }
  if (argv.length >= 5) {
    const e = parseInteger(argv[4]);
    if (e === null) {
      c.error("ERR value is not an integer or out of range");
      return;
    }
    end = e;
    endGiven = true;
  }
  if (argv.length === 6) {
    if (is(argv[5], "bit")) isBit = true;
    else if (!is(argv[5], "byte")) {
      c.error("ERR syntax error");
      return;
    }
  }
  const units = isBit ? v.length * 8 : v.length;
  const range = normalizeRange(start, end, units, false);
  if (range === null) {
    c.out.integer(-1);
    return;
  }
  const fromBit = isBit ? range[0] : range[0] * 8;
  const toBit = isBit ? range[1] : range[1] * 8 + 7;
  // Whole bytes that cannot hold the bit (0x00 when looking for a 1, 0xff for a 0) are skipped
  // eight bits at a time, so a long run costs one comparison per byte.
  const skipByte = bit === 1 ? 0x00 : 0xff;
  for (let b = fromBit; b <= toBit; ) {
    if ((b & 7) === 0 && b + 7 <= toBit && v.charCodeAt(b >> 3) === skipByte) {
      b += 8;
      continue;
    }
    const set = (v.charCodeAt(b >> 3) & (1 << (7 - (b & 7)))) !== 0 ? 1 : 0;
    if (set === bit) {
      c.out.integer(b);
      return;
    }
    b++;
  }
  // Looking for a clear bit with no explicit end: the string is padded with zeros on the right.
  if (bit === 0 && !endGiven) {
    c.out.integer(toBit + 1);
    return;
  }
  c.out.integer(-1);
}

function bitopCommand(c: Client): void {
  const argv = c.argv;
  const op = argv[1].toLowerCase();
  if (op !== "and" && op !== "or" && op !== "xor" && op !== "not") {
    c.error("ERR syntax error");
    return;
  }
  const dest = argv[2];
  const sources = argv.slice(3);
  if (op === "not" && sources.length !== 1) {
    c.error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  const values: string[] = [];
  for (const key of sources) {
    const v = readStringOrReply(c, key);
    if (v === undefined) return;
    values.push(v ?? "");
  }
  const maxLen = values.reduce((m, v) => Math.max(m, v.length), 0);
  const out = Buffer.alloc(maxLen);
  for (let i = 0; i < maxLen; i++) {
    let acc = i < values[0].length ? values[0].charCodeAt(i) : 0;
    if (op === "not") acc = ~acc & 255;
    for (let k = 1; k < values.length; k++) {
      const b = i < values[k].length ? values[k].charCodeAt(i) : 0;
      if (op === "and") acc &= b;
      else if (op === "or") acc |= b;
      else acc ^= b;
    }
    out[i] = acc;
  }
  const db = c.db;
  if (maxLen === 0) {
    if (db.write(dest) !== undefined) {
      db.delete(dest);
      c.server.signalDeletedKey(db, dest);
      c.server.notify("g", "del", dest, db.id);
      c.server.dirty++;
    }
    c.out.raw(shared.ZERO);
    return;
  }
  db.set(dest, bytesToLatin1(out, 0, out.length)).strEncoding = STR_ENC_RAW;
  modified(c, db, dest, "$", "set");
  c.out.integer(maxLen);
}

// ---- BITFIELD --------------------------------------------------------------------------------

interface FieldType {
  signed: boolean;
  bits: number;
}

function parseFieldType(c: Client, arg: string): FieldType | null {
  const m = /^([iu])(\d+)$/i.exec(arg);
  const bits = m ? Number(m[2]) : 0;
  const signed = m?.[1].toLowerCase() === "i";
  if (m === null || bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) {
    c.error(
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    );
    return null;
  }
  return { signed, bits };
}

function readField(buf: Buffer | string, offset: number, t: FieldType): bigint {
  let v = 0n;
  const at = (i: number) =>
    typeof buf === "string" ? (i < buf.length ? buf.charCodeAt(i) : 0) : i < buf.length ? buf[i] : 0;
  for (let i = 0; i < t.bits; i++) {
    const bit = offset + i;
    const set = (at(bit >> 3) & (1 << (7 - (bit & 7)))) !== 0;
    v = (v << 1n) | (set ? 1n : 0n);
  }
  if (t.signed && t.bits > 0 && (v & (1n << BigInt(t.bits - 1))) !== 0n) v -= 1n << BigInt(t.bits);
  return v;
}

function writeField(buf: Buffer, offset: number, t: FieldType, value: bigint): void {
  const mask = (1n << BigInt(t.bits)) - 1n;
  let v = value & mask;
  for (let i = t.bits - 1; i >= 0; i--) {
    const bit = offset + i;
    const byteMask = 1 << (7 - (bit & 7));
    if ((v & 1n) !== 0n) buf[bit >> 3] |= byteMask;
    else buf[bit >> 3] &= ~byteMask;
    v >>= 1n;
  }
}

type Overflow = "wrap" | "sat" | "fail";

/** checkSignedBitfieldOverflow / checkUnsignedBitfieldOverflow: the stored value, or null on FAIL. */
function applyOverflow(value: bigint, t: FieldType, mode: Overflow): bigint | null {
  const bits = BigInt(t.bits);
  const min = t.signed ? -(1n << (bits - 1n)) : 0n;
  const max = t.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (value >= min && value <= max) return value;
  if (mode === "fail") return null;
  if (mode === "sat") return value > max ? max : min;
  const wrapped = ((value % (1n << bits)) + (1n << bits)) % (1n << bits);
  if (t.signed && wrapped > max) return wrapped - (1n << bits);
  return wrapped;
}

interface FieldOp {
  kind: "get" | "set" | "incrby";
  type: FieldType;
  offset: number;
  arg: bigint;
  overflow: Overflow;
}

function bitfieldGeneric(c: Client, readonly: boolean): void {
  const argv = c.argv;
  const ops: FieldOp[] = [];
  let overflow: Overflow = "wrap";
  let writes = false;
  for (let i = 2; i < argv.length; ) {
    const sub = argv[i].toLowerCase();
    const remaining = argv.length - i - 1;
    if (sub === "get" && remaining >= 2) {
      const type = parseFieldType(c, argv[i + 1]);
      if (type === null) return;
      const offset = bitOffsetOrReply(c, argv[i + 2], true, type.bits);
      if (offset === null) return;
      ops.push({ kind: "get", type, offset, arg: 0n, overflow });
      i += 3;
    } else if ((sub === "set" || sub === "incrby") && remaining >= 3) {
      if (readonly) {
        c.error("ERR BITFIELD_RO only supports the GET subcommand");
        return;
      }
      const type = parseFieldType(c, argv[i + 1]);
      if (type === null) return;
      const offset = bitOffsetOrReply(c, argv[i + 2], true, type.bits);
      if (offset === null) return;
      const arg = parseInt64(argv[i + 3]);
      if (arg === null) {
        c.error("ERR value is not an integer or out of range");
        return;
      }
      ops.push({ kind: sub, type, offset, arg, overflow });
      writes = true;
      i += 4;
    } else if (sub === "overflow" && remaining >= 1) {
      // BITFIELD_RO accepts OVERFLOW (it has nothing to apply to), as Redis does.
      const mode = argv[i + 1].toLowerCase();
      if (mode !== "wrap" && mode !== "sat" && mode !== "fail") {
        c.error("ERR Invalid OVERFLOW type specified");
        return;
      }
      overflow = mode;
      i += 2;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  const key = argv[1];
  const current = writes ? writeStringOrReply(c, key) : readStringOrReply(c, key);
  if (current === undefined) return;
  let buf: Buffer | null = null;
  let grown = false;
  if (writes) {
    // lookupStringForBitCommand: the key is created, or grown to the highest written byte, even
    // when every write then fails under OVERFLOW FAIL.
    let maxByte = 0;
    for (const op of ops)
      if (op.kind !== "get") maxByte = Math.max(maxByte, (op.offset + op.type.bits - 1) >> 3);
    if (maxByte + 1 > maxStringLength(c)) {
      c.error("ERR bit offset is not an integer or out of range");
      return;
    }
    buf = toBuffer(current, maxByte + 1);
    grown = current === null || buf.length > current.length;
  }
  // Writes that changed something (bitfieldGeneric's `changes`): a field set to the value it had
  // counts only when the string was created or grown. Each counts in the dirty counter.
  let changes = 0;
  c.out.arrayHeader(ops.length);
  for (const op of ops) {
    if (op.kind === "get") {
      c.out.bigInteger(readField(buf ?? current ?? "", op.offset, op.type));
      continue;
    }
    const old = readField(buf!, op.offset, op.type);
    const target = op.kind === "set" ? op.arg : old + op.arg;
    const stored = applyOverflow(target, op.type, op.overflow);
    if (stored === null) {
      c.out.nullBulk();
      continue;
    }
    writeField(buf!, op.offset, op.type, stored);
    if (grown || stored !== old) changes++;
    c.out.bigInteger(op.kind === "set" ? old : stored);
  }
  if (changes > 0 && buf !== null) store(c, key, buf, current !== null, "setbit", changes);
  // Every write failed (OVERFLOW FAIL) yet the string was created or grown: stored without an
  // event, and still propagated so that replicas hold the same bytes.
  else if (grown && buf !== null) store(c, key, buf, current !== null, null);
  else if (writes && current !== null) c.db.peek(key)!.strEncoding = STR_ENC_RAW;
}

export const bitCommands = [
  spec(
    "setbit",
    4,
    "write denyoom",
    [1, 1, 1],
    "bitmap",
    "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.",
    "2.2.0",
    setbitCommand,
  ),
  spec(
    "getbit",
    3,
    "readonly fast",
    [1, 1, 1],
    "bitmap",
    "Returns a bit value by offset.",
    "2.2.0",
    getbitCommand,
  ),
  spec(
    "bitcount",
    -2,
    "readonly",
    [1, 1, 1],
    "bitmap",
    "Counts the number of set bits (population counting) in a string.",
    "2.6.0",
    bitcountCommand,
  ),
  spec(
    "bitpos",
    -3,
    "readonly",
    [1, 1, 1],
    "bitmap",
    "Finds the first set (1) or clear (0) bit in a string.",
    "2.8.7",
    bitposCommand,
  ),
  spec(
    "bitop",
    -4,
    "write denyoom",
    [2, -1, 1],
    "bitmap",
    "Performs bitwise operations on multiple strings, and stores the result.",
    "2.6.0",
    bitopCommand,
  ),
  spec(
    "bitfield",
    -2,
    "write denyoom",
    [1, 1, 1],
    "bitmap",
    "Performs arbitrary bitfield integer operations on strings.",
    "3.2.0",
    (c) => bitfieldGeneric(c, false),
    { foundKeyFlags: bitfieldKeyFlags },
  ),
  spec(
    "bitfield_ro",
    -2,
    "readonly fast",
    [1, 1, 1],
    "bitmap",
    "Performs arbitrary read-only bitfield integer operations on strings.",
    "6.0.0",
    (c) => bitfieldGeneric(c, true),
  ),
] satisfies CommandSpec[];
