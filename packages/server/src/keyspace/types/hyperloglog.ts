/**
 * HyperLogLog values as Redis 7.0 stores them in plain strings (hyperloglog.c), byte for byte, so
 * an HLL moves between Keyhaven and Redis by RDB, AOF, replication or DUMP/RESTORE and counts the
 * same on both sides:
 *
 *   "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cached cardinality (8 bytes, LE;
 *   bit 63 set: stale) | registers
 *
 *   dense:  16384 registers of 6 bits, packed from each byte's least significant bit up
 *   sparse: run-length opcodes   00xxxxxx  ZERO  1-64 zero registers
 *                                01xxxxxx yyyyyyyy  XZERO  1-16384 zero registers
 *                                1vvvvvxx  VAL   1-4 registers of value 1-32
 *
 * A new HLL is sparse; it turns dense when a register needs a value above 32 or the sparse form
 * would outgrow `hll-sparse-max-bytes`. Elements are hashed with MurmurHash64A (seed 0xadc83b19):
 * the low 14 bits pick the register, the run of zeros above them (plus one) is the value.
 * Cardinality uses Ertl's estimator over the register histogram, as Redis does since 5.0.
 *
 * Values are edited in a Buffer (`Hll`), copied from the stored string once per command and
 * turned back into one after it. Reads that change nothing (a cached count, an add to a dense
 * HLL that raises no register, a merge's sources) work on the string itself or a scratch copy.
 */

import { HLL_P, HLL_Q, patLen } from "./hyperloglog-hash.js";

export const HLL_REGISTERS = 1 << HLL_P;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * 6 + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
/** 0.5 / ln(2): the estimator's constant for an infinite number of registers. */
const ALPHA_INF = 0.7213475204444817;

/** An HLL being read or edited: its bytes are buf[0, len); buf may be longer (room to grow). */
export interface Hll {
  buf: Buffer;
  len: number;
}

// ---- dense registers ----------------------------------------------------------------------

function denseGet(buf: Buffer, base: number, reg: number): number {
  const byte = base + ((reg * 6) >> 3);
  const fb = (reg * 6) & 7;
  // The byte after the last register is read too (Redis relies on the sds terminator).
  const b1 = byte + 1 < buf.length ? buf[byte + 1] : 0;
  return ((buf[byte] >> fb) | (b1 << (8 - fb))) & 63;
}

function denseSet(buf: Buffer, base: number, reg: number, value: number): void {
  const byte = base + ((reg * 6) >> 3);
  const fb = (reg * 6) & 7;
  buf[byte] = (buf[byte] & ~(63 << fb)) | (value << fb);
  if (fb > 2) buf[byte + 1] = (buf[byte + 1] & ~(63 >> (8 - fb))) | (value >> (8 - fb));
}

/** Register `index` of a dense HLL (HLL_DENSE_GET_REGISTER), for PFSELFTEST. */
export function denseRegister(h: Hll, index: number): number {
  return denseGet(h.buf, HLL_HDR_SIZE, index);
}

/** Sets register `index` of a dense HLL to `value` (0..63) whatever it held, for PFSELFTEST. */
export function setDenseRegister(h: Hll, index: number, value: number): void {
  denseSet(h.buf, HLL_HDR_SIZE, index, value);
}

/**
 * Every register of the dense bytes at src[base..], one per byte into `out` (the larger of the
 * two when `keepMax`): three bytes hold four registers, so they are unpacked four at a time.
 */
function unpackDense(src: Uint8Array, base: number, out: Uint8Array, keepMax: boolean): void {
  for (let i = 0, p = base; i < HLL_REGISTERS; i += 4, p += 3) {
    const b0 = src[p];
    const b1 = src[p + 1];
    const b2 = src[p + 2];
    const r0 = b0 & 63;
    const r1 = ((b0 >> 6) | (b1 << 2)) & 63;
    const r2 = ((b1 >> 4) | (b2 << 4)) & 63;
    const r3 = b2 >> 2;
    if (keepMax) {
      if (r0 > out[i]) out[i] = r0;
      if (r1 > out[i + 1]) out[i + 1] = r1;
      if (r2 > out[i + 2]) out[i + 2] = r2;
      if (r3 > out[i + 3]) out[i + 3] = r3;
    } else {
      out[i] = r0;
      out[i + 1] = r1;
      out[i + 2] = r2;
      out[i + 3] = r3;
    }
  }
}

/** unpackDense's inverse: registers one per byte packed into dst[base..]. */
function packDense(registers: Uint8Array, dst: Uint8Array, base: number): void {
  for (let i = 0, p = base; i < HLL_REGISTERS; i += 4, p += 3) {
    const r1 = registers[i + 1];
    const r2 = registers[i + 2];
    dst[p] = registers[i] | ((r1 & 3) << 6);
    dst[p + 1] = (r1 >> 2) | ((r2 & 15) << 4);
    dst[p + 2] = (r2 >> 4) | (registers[i + 3] << 2);
  }
}

/** A dense HLL string's bytes, copied for unpacking (one copy at a time). */
const denseScratch = Buffer.allocUnsafe(HLL_DENSE_SIZE);
/** Registers one per byte, for counting. */
const registerScratch = new Uint8Array(HLL_REGISTERS);

// ---- values -------------------------------------------------------------------------------

/** Marks the cached cardinality stale (HLL_INVALIDATE_CACHE). */
export function invalidateCachedCount(h: Hll): void {
  h.buf[15] |= 0x80;
}

/** createHLLObject: an empty sparse HLL (XZERO opcodes covering every register). */
export function emptyHll(): Hll {
  const len = HLL_HDR_SIZE + Math.ceil(HLL_REGISTERS / SPARSE_XZERO_MAX_LEN) * 2;
  const buf = Buffer.alloc(len + 8);
  buf.write("HYLL", 0, "latin1");
  buf[4] = HLL_SPARSE;
  for (let p = HLL_HDR_SIZE, left = HLL_REGISTERS; left > 0; p += 2) {
    const run = Math.min(left, SPARSE_XZERO_MAX_LEN);
    buf[p] = ((run - 1) >> 8) | 0x40;
    buf[p + 1] = (run - 1) & 0xff;
    left -= run;
  }
  return { buf, len };
}

/** An HLL's bytes from its stored string, with room for a few more. */
export function hllFromString(value: string): Hll {
  const buf = Buffer.allocUnsafe(value.length + 8);
  buf.write(value, 0, "latin1");
  return { buf, len: value.length };
}

/** isHLLObjectOrReply's checks on a string: magic, a known encoding, a dense value's exact size. */
export function isHllString(value: string): boolean {
  if (value.length < HLL_HDR_SIZE || !value.startsWith("HYLL")) return false;
  const encoding = value.charCodeAt(4);
  if (encoding > HLL_SPARSE) return false;
  return encoding !== HLL_DENSE || value.length === HLL_DENSE_SIZE;
}

export function hllEncoding(h: Hll): number {
  return h.buf[4];
}

/** hllSparseToDense: false when the sparse opcodes do not cover exactly every register. */
export function sparseToDense(h: Hll): boolean {
  if (h.buf[4] === HLL_DENSE) return true;
  const dense = Buffer.alloc(HLL_DENSE_SIZE);
  h.buf.copy(dense, 0, 0, HLL_HDR_SIZE);
  dense[4] = HLL_DENSE;
  const src = h.buf;
  const end = h.len;
  let idx = 0;
  for (let p = HLL_HDR_SIZE; p < end; ) {
    const op = src[p];
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      idx += (((op & 0x3f) << 8) | src[p + 1]) + 1;
      p += 2;
    } else {
      let run = (op & 3) + 1;
      const value = ((op >> 2) & 0x1f) + 1;
      if (run + idx > HLL_REGISTERS) break;
      while (run-- > 0) denseSet(dense, HLL_HDR_SIZE, idx++, value);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  h.buf = dense;
  h.len = HLL_DENSE_SIZE;
  return true;
}

/** Opens `delta` bytes at `at` (closes -delta when negative), growing the buffer when short. */
function shift(h: Hll, at: number, delta: number): void {
  if (h.len + delta > h.buf.length) {
    const grown = Buffer.allocUnsafe(h.len + delta + 64);
    h.buf.copy(grown, 0, 0, h.len);
    h.buf = grown;
  }
  h.buf.copy(h.buf, at + delta, at, h.len);
  h.len += delta;
}

const VAL = (value: number, run: number) => (((value - 1) << 2) | (run - 1) | 0x80) & 0xff;

/** Writes a zero run of `run` registers as ZERO or XZERO into seq at n; returns the new n. */
function zeroRun(seq: number[], n: number, run: number): number {
  if (run > SPARSE_ZERO_MAX_LEN) {
    seq[n++] = ((run - 1) >> 8) | 0x40;
    seq[n++] = (run - 1) & 0xff;
  } else {
    seq[n++] = run - 1;
  }
  return n;
}

const seq = [0, 0, 0, 0, 0];

/**
 * hllSparseSet: raises register `index` to `count` in a sparse HLL. Returns 1 when it changed, 0
 * when it already held as much, -1 when the sparse data is corrupt. Turns the HLL dense when the
 * value does not fit a VAL opcode or the result would exceed `maxBytes`.
 */
function sparseSet(h: Hll, index: number, count: number, maxBytes: number): number {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(h, index, count);
  const buf = h.buf;
  let end = h.len;
  // Find the opcode covering `index`.
  let p = HLL_HDR_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = buf[p];
    let oplen = 1;
    if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
    else if ((op & 0x80) !== 0) span = (op & 3) + 1;
    else {
      span = (((op & 0x3f) << 8) | buf[p + 1]) + 1;
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = buf[p];
  const isXzero = (op & 0xc0) === 0x40;
  const next = isXzero ? p + 2 : p + 1;
  const isVal = (op & 0x80) !== 0;
  const isZero = !isVal && !isXzero;
  const runlen = isZero ? (op & 0x3f) + 1 : isVal ? (op & 3) + 1 : (((op & 0x3f) << 8) | buf[p + 1]) + 1;
  let updatedInPlace = false;
  if (isVal) {
    if (((op >> 2) & 0x1f) + 1 >= count) return 0;
    if (runlen === 1) {
      buf[p] = VAL(count, 1);
      updatedInPlace = true;
    }
  }
  if (!updatedInPlace && isZero && runlen === 1) {
    buf[p] = VAL(count, 1);
    updatedInPlace = true;
  }
  if (!updatedInPlace) {
    // Split the opcode: [zeros or old values before] VAL(count) [zeros or old values after].
    const last = first + span - 1;
    let n = 0;
    if (!isVal) {
      if (index !== first) n = zeroRun(seq, n, index - first);
      seq[n++] = VAL(count, 1);
      if (index !== last) n = zeroRun(seq, n, last - index);
    } else {
      const current = ((op >> 2) & 0x1f) + 1;
      if (index !== first) seq[n++] = VAL(current, index - first);
      seq[n++] = VAL(count, 1);
      if (index !== last) seq[n++] = VAL(current, last - index);
    }
    const delta = n - (isXzero ? 2 : 1);
    if (delta > 0 && h.len + delta > maxBytes) return promote(h, index, count);
    if (delta !== 0) shift(h, next, delta);
    for (let i = 0; i < n; i++) h.buf[p + i] = seq[i];
    end = h.len;
  }
  mergeAdjacentValues(h, prev === -1 ? HLL_HDR_SIZE : prev, end);
  invalidateCachedCount(h);
  return 1;
}

/** Step 4 of hllSparseSet: merges equal adjacent VAL opcodes among the 5 from `from`. */
function mergeAdjacentValues(h: Hll, from: number, end: number): void {
  const buf = h.buf;
  let p = from;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const op = buf[p];
    if ((op & 0xc0) === 0x40) {
      p += 2;
      continue;
    }
    if ((op & 0xc0) === 0) {
      p++;
      continue;
    }
    if (p + 1 < end && (buf[p + 1] & 0x80) !== 0) {
      const v1 = ((op >> 2) & 0x1f) + 1;
      const v2 = ((buf[p + 1] >> 2) & 0x1f) + 1;
      if (v1 === v2) {
        const len = (op & 3) + 1 + (buf[p + 1] & 3) + 1;
        if (len <= SPARSE_VAL_MAX_LEN) {
          buf[p + 1] = VAL(v1, len);
          shift(h, p + 1, -1);
          end--;
          continue;
        }
      }
    }
    p++;
  }
}

function promote(h: Hll, index: number, count: number): number {
  if (!sparseToDense(h)) return -1;
  denseSet(h.buf, HLL_HDR_SIZE, index, count);
  invalidateCachedCount(h);
  return 1;
}

/** hllAdd: 1 when the element raised a register, 0 when not, -1 on a corrupt sparse HLL. */
export function hllAdd(h: Hll, element: string, maxBytes: number): number {
  return hllAddPattern(h, patLen(element), maxBytes);
}

/**
 * hllAdd of an element already hashed (`pattern` from patLen), so one hash can feed several
 * HLLs (PFSELFTEST adds each element to a dense and a sparse one).
 */
export function hllAddPattern(h: Hll, pattern: number, maxBytes: number): number {
  const index = pattern >> 6;
  const count = pattern & 63;
  if (h.buf[4] === HLL_SPARSE) return sparseSet(h, index, count, maxBytes);
  if (denseGet(h.buf, HLL_HDR_SIZE, index) >= count) return 0;
  denseSet(h.buf, HLL_HDR_SIZE, index, count);
  invalidateCachedCount(h);
  return 1;
}

/**
 * Whether adding `element` would change the dense HLL string `value`: most adds to a large HLL
 * change nothing, and this answers without copying the string.
 */
export function denseAddChanges(value: string, element: string): boolean {
  const pattern = patLen(element);
  const reg = pattern >> 6;
  const byte = HLL_HDR_SIZE + ((reg * 6) >> 3);
  const fb = (reg * 6) & 7;
  const b1 = fb > 2 ? value.charCodeAt(byte + 1) : 0;
  return (pattern & 63) > (((value.charCodeAt(byte) >> fb) | (b1 << (8 - fb))) & 63);
}

/** PFMERGE into a dense HLL: its registers become `max` (which already includes its own). */
export function setDenseRegisters(h: Hll, max: Uint8Array): void {
  packDense(max, h.buf, HLL_HDR_SIZE);
}

/** hllDenseSet for PFMERGE's write-back: raises register `index` to `count` in either encoding. */
export function hllRaise(h: Hll, index: number, count: number, maxBytes: number): number {
  if (h.buf[4] === HLL_SPARSE) return sparseSet(h, index, count, maxBytes);
  if (denseGet(h.buf, HLL_HDR_SIZE, index) < count) denseSet(h.buf, HLL_HDR_SIZE, index, count);
  return 1;
}

/**
 * hllMerge: max[i] = max(max[i], register i) over an HLL string. False on a corrupt sparse one.
 */
export function mergeInto(max: Uint8Array, value: string): boolean {
  if (value.charCodeAt(4) === HLL_DENSE) {
    denseScratch.write(value, 0, "latin1");
    unpackDense(denseScratch, HLL_HDR_SIZE, max, true);
    return true;
  }
  let i = 0;
  for (let p = HLL_HDR_SIZE; p < value.length; ) {
    const op = value.charCodeAt(p);
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      i += (((op & 0x3f) << 8) | value.charCodeAt(p + 1)) + 1;
      p += 2;
    } else {
      let run = (op & 3) + 1;
      const v = ((op >> 2) & 0x1f) + 1;
      if (run + i > HLL_REGISTERS) break;
      while (run-- > 0) {
        if (v > max[i]) max[i] = v;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

// ---- counting -----------------------------------------------------------------------------

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    // pow(1 - x, 2) in C: one correctly rounded product, as glibc's pow gives.
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}

const histogram = new Int32Array(64);

/** The estimate from `histogram` (registers counted by value). */
function estimate(): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histogram[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histogram[j];
    z *= 0.5;
  }
  z += m * sigma(histogram[0] / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

/** hllCount of an HLL: its estimated cardinality, or -1 when its sparse data is corrupt. */
export function hllCount(h: Hll): number {
  histogram.fill(0);
  const buf = h.buf;
  if (buf[4] === HLL_DENSE) {
    unpackDense(buf, HLL_HDR_SIZE, registerScratch, false);
    for (let i = 0; i < HLL_REGISTERS; i++) histogram[registerScratch[i]]++;
  } else {
    let idx = 0;
    for (let p = HLL_HDR_SIZE; p < h.len; ) {
      const op = buf[p];
      if ((op & 0xc0) === 0) {
        const run = (op & 0x3f) + 1;
        idx += run;
        histogram[0] += run;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        const run = (((op & 0x3f) << 8) | buf[p + 1]) + 1;
        idx += run;
        histogram[0] += run;
        p += 2;
      } else {
        const run = (op & 3) + 1;
        idx += run;
        histogram[((op >> 2) & 0x1f) + 1] += run;
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return -1;
  }
  return estimate();
}

/** hllCount of registers held one per byte (PFCOUNT over several keys). */
export function countRegisters(max: Uint8Array): number {
  histogram.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) histogram[max[i]]++;
  return estimate();
}

/** The cached cardinality in an HLL string, or -1 when stale (read in place: no copy). */
export function cachedCount(value: string): number {
  if ((value.charCodeAt(15) & 0x80) !== 0) return -1;
  let card = 0;
  // Estimates stay far below 2^53: the high bytes are zero in any HLL Redis or we wrote.
  for (let i = 15; i >= 8; i--) card = card * 256 + value.charCodeAt(i);
  return card;
}

export function setCachedCount(h: Hll, card: number): void {
  h.buf.writeUIntLE(card % 2 ** 48, 8, 6);
  h.buf.writeUInt16LE(Math.floor(card / 2 ** 48), 14);
}

/** Every register of a dense HLL, in order (PFDEBUG GETREG). */
export function denseRegisters(h: Hll): number[] {
  unpackDense(h.buf, HLL_HDR_SIZE, registerScratch, false);
  return Array.from(registerScratch);
}

/** PFDEBUG DECODE's text of a sparse HLL: `Z:n` XZERO, `z:n` ZERO, `v:value,run` VAL. */
export function decodeSparse(h: Hll): string {
  const parts: string[] = [];
  const buf = h.buf;
  for (let p = HLL_HDR_SIZE; p < h.len; ) {
    const op = buf[p];
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      parts.push(`Z:${(((op & 0x3f) << 8) | buf[p + 1]) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return parts.join(" ");
}
