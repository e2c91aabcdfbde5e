/**
 * The "listpack" encoding of a small sorted set: every (member, score) pair packed, in ascending
 * (score, member) order, into one latin1 string, as Redis packs them into one listpack
 * (t_zset.c zzlInsertAt/zzlFind). One flat V8 string costs 16 bytes of header for the whole set
 * instead of ~24 per member string plus the arrays holding them, which is what keeps 100k small
 * sets within a small factor of Redis's memory.
 *
 *   entry := varint(member length) member score
 *   score := 0x00 zigzag-varint(int)        an integer in [-2^31, 2^31), like lpAppendInteger
 *          | 0x01 8 bytes IEEE-754 (LE)     any other double
 *
 * As in Redis, a score that is an integer is stored as one (zzlInsertAt's double2ll), so -0 is
 * read back as 0 while the set stays in this encoding.
 *
 * Strings are immutable, so every change builds a new string: the bytes are assembled in a
 * scratch Buffer and sliced out once (a `+` concatenation would leave a rope in the keyspace).
 * Sets here are small (zset-max-listpack-entries/value), so that O(size) copy matches the
 * memmove Redis does on a listpack insert.
 *
 * Used by zset.ts only. Parsing results go to the module-level `pk` record (no allocation).
 */

import { bytesToLatin1, writeLatin1 } from "@keyhaven/protocol";

/** The entry parsed by the last parseEntry call. */
export const pk = { moff: 0, mlen: 0, score: 0, next: 0 };

const f64 = new Float64Array(1);
const f64bytes = new Uint8Array(f64.buffer);
let scratch = Buffer.allocUnsafe(8192);

const INT_TAG = 0;
const DOUBLE_TAG = 1;
const INT_LIMIT = 2 ** 31;

/** Parses the entry at `off`: member at pk.moff (pk.mlen chars), pk.score, next entry at pk.next. */
export function parseEntry(lp: string, off: number): void {
  let b = lp.charCodeAt(off++);
  let len = b & 127;
  let mul = 128;
  while (b >= 128) {
    b = lp.charCodeAt(off++);
    len += (b & 127) * mul;
    mul *= 128;
  }
  pk.moff = off;
  pk.mlen = len;
  off += len;
  if (lp.charCodeAt(off++) === INT_TAG) {
    b = lp.charCodeAt(off++);
    let z = b & 127;
    mul = 128;
    while (b >= 128) {
      b = lp.charCodeAt(off++);
      z += (b & 127) * mul;
      mul *= 128;
    }
    pk.score = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  } else {
    for (let i = 0; i < 8; i++) f64bytes[i] = lp.charCodeAt(off + i);
    pk.score = f64[0];
    off += 8;
  }
  pk.next = off;
}

/** The member of the last parsed entry as its own string. */
export function parsedMember(lp: string): string {
  return lp.substring(pk.moff, pk.moff + pk.mlen);
}

/** memcmp of the last parsed entry's member against `member`: <0, 0, >0. */
export function compareParsed(lp: string, member: string): number {
  const off = pk.moff;
  const alen = pk.mlen;
  const blen = member.length;
  const n = Math.min(alen, blen);
  for (let i = 0; i < n; i++) {
    const d = lp.charCodeAt(off + i) - member.charCodeAt(i);
    if (d !== 0) return d;
  }
  return alen - blen;
}

/** Whether the last parsed entry's member is `member`. */
export function parsedIs(lp: string, member: string): boolean {
  return pk.mlen === member.length && lp.startsWith(member, pk.moff);
}

function isPackedInt(score: number): boolean {
  return Number.isInteger(score) && score >= -INT_LIMIT && score < INT_LIMIT;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Bytes an entry takes. */
export function entrySize(member: string, score: number): number {
  const head = varintSize(member.length) + member.length + 1;
  if (!isPackedInt(score)) return head + 8;
  return head + varintSize(score >= 0 ? score * 2 : -score * 2 - 1);
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

function writeEntry(buf: Buffer, pos: number, member: string, score: number): number {
  pos = writeVarint(buf, pos, member.length);
  pos += writeLatin1(buf, member, pos);
  if (isPackedInt(score)) {
    buf[pos++] = INT_TAG;
    return writeVarint(buf, pos, score >= 0 ? score * 2 : -score * 2 - 1);
  }
  buf[pos++] = DOUBLE_TAG;
  f64[0] = score;
  for (let i = 0; i < 8; i++) buf[pos++] = f64bytes[i];
  return pos;
}

function ensureScratch(n: number): Buffer {
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  return scratch;
}

/**
 * lp with bytes [from, to) replaced by the entry (member, score), or just removed when member
 * is null.
 */
export function replaceRange(
  lp: string,
  from: number,
  to: number,
  member: string | null,
  score: number,
): string {
  const entryLen = member === null ? 0 : entrySize(member, score);
  const total = lp.length - (to - from) + entryLen;
  const buf = ensureScratch(Math.max(total, lp.length));
  writeLatin1(buf, lp, 0);
  if (entryLen !== to - from) buf.copyWithin(from + entryLen, to, lp.length);
  if (member !== null) writeEntry(buf, from, member, score);
  return bytesToLatin1(buf, 0, total);
}

/** Packs `n` pairs already in ascending order. */
export function packAll(members: readonly string[], scores: ArrayLike<number>, n: number): string {
  let total = 0;
  for (let i = 0; i < n; i++) total += entrySize(members[i], scores[i]);
  const buf = ensureScratch(total);
  let pos = 0;
  for (let i = 0; i < n; i++) pos = writeEntry(buf, pos, members[i], scores[i]);
  return bytesToLatin1(buf, 0, total);
}

/**
 * Every member of lp as a flat string of its own (not a slice pinning lp), with its score:
 * used when a set converts to the tree encoding and keeps the members for its lifetime.
 */
export function unpackAll(lp: string, members: string[], scores: number[]): void {
  const buf = ensureScratch(lp.length);
  writeLatin1(buf, lp, 0);
  for (let off = 0; off < lp.length; off = pk.next) {
    parseEntry(lp, off);
    members.push(bytesToLatin1(buf, pk.moff, pk.moff + pk.mlen));
    scores.push(pk.score);
  }
}

/**
 * A flat copy of `s`: substrings of 13+ chars are V8 slices that pin their parent (a whole
 * packed set); members kept in a tree must not.
 */
export function flatString(s: string): string {
  if (s.length < 13) return s;
  const buf = ensureScratch(s.length);
  writeLatin1(buf, s, 0);
  return bytesToLatin1(buf, 0, s.length);
}
