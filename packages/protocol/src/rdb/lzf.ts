/**
 * LZF compression as Redis uses it for RDB strings (lzf_c.c / lzf_d.c from liblzf 3.6, built with
 * HLOG 16 and VERY_FAST). The format:
 *
 *   000LLLLL <L+1 literal bytes>        literal run of 1..32 bytes
 *   LLLooooo oooooooo                   back reference: copy L+2 bytes (L = 1..6) from op-o-1
 *   111ooooo LLLLLLLL oooooooo          back reference: copy L+9 bytes
 *
 * Any valid stream decodes identically; the compressor below follows liblzf's matching so its
 * output is as small as Redis's, though not necessarily byte-identical (Redis leaves its hash table
 * uninitialized, so even Redis is not deterministic here).
 *
 * Callers: the RDB writer (RDB_ENC_LZF strings), the RDB reader and DUMP parser.
 */

/** One 3-byte back reference produces at most 264 bytes: no valid stream expands more than this. */
export const LZF_MAX_EXPANSION = 88;

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * The hash table holds `generation + position`; entries from earlier calls are below the current
 * generation and so are ignored, which saves clearing 64K slots for every small string.
 * Doubles are exact up to 2^53 bytes of total input, which no process will reach.
 */
const htab = new Float64Array(HSIZE);
let generation = 1;

function hashIndex(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * Compresses input[start, end). Returns the compressed bytes, or null when they would not fit in
 * `maxOut` bytes (Redis passes len - 4: compression must save at least 4 bytes to be used).
 */
export function lzfCompress(input: Uint8Array, start: number, end: number, maxOut: number): Buffer | null {
  if (end - start <= 0 || maxOut <= 0) return null;
  const out = Buffer.allocUnsafe(maxOut + LZF_OUT_SLACK);
  const n = lzfCompressInto(input, start, end, maxOut, out);
  return n < 0 ? null : out.subarray(0, n);
}

/**
 * The checks in lzfCompressInto are liblzf's, which may touch up to 3 bytes past the last byte
 * they commit before bailing out: `out` needs this much room past maxOut.
 */
export const LZF_OUT_SLACK = 8;

/**
 * lzfCompress into a caller's buffer of at least maxOut + LZF_OUT_SLACK bytes (the RDB writer
 * reuses one, so compressing a value allocates nothing). Returns the compressed length, or -1
 * when it would not fit in `maxOut` bytes.
 */
export function lzfCompressInto(
  input: Uint8Array,
  start: number,
  end: number,
  maxOut: number,
  out: Uint8Array,
): number {
  const inLen = end - start;
  if (inLen <= 0 || maxOut <= 0) return -1;
  const gen = generation;
  generation += inLen + 1;
  const outEnd = maxOut;
  let ip = start;
  let op = 1; // the first literal run's control byte is reserved at out[0]
  let lit = 0;
  const last = end - 2;
  let hval = ((input[ip] << 8) | input[ip + 1]) >>> 0;
  while (ip < last) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = hashIndex(hval);
    const stored = htab[slot];
    htab[slot] = gen + (ip - start);
    const ref = stored >= gen ? start + (stored - gen) : -1;
    const off = ip - ref - 1;
    if (
      ref > start &&
      off < MAX_OFF &&
      ip + 4 < end &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      let len = 2;
      let maxlen = end - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      out[op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--; // ... or drop it if it is empty
      if (op + 3 + 1 >= outEnd) return -1;
      // liblzf unrolls the first 16 comparisons when maxlen > 16 and does not bound them by
      // maxlen (only by the input end, which maxlen > 16 guarantees); kept, so that matches end
      // where Redis's end and our output is byte-identical to Redis's in practice.
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // now the number of bytes - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start a new literal run
      ip += len + 1;
      if (ip >= last) break;
      // VERY_FAST: hash the two positions before the new one so later matches can find them.
      ip -= 2;
      hval = ((input[ip] << 8) | input[ip + 1]) >>> 0;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[hashIndex(hval)] = gen + (ip - start);
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[hashIndex(hval)] = gen + (ip - start);
      ip++;
    } else {
      if (op >= outEnd) return -1;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return -1;
  while (ip < end) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  if (op > outEnd) return -1;
  return op;
}

/**
 * Decompresses input[start, end) into exactly `outLen` bytes. Returns null when the stream is
 * corrupt, refers before the start of the output, or does not produce exactly `outLen` bytes (Redis
 * treats `lzf_decompress(...) != len` as corruption). Never allocates more than `outLen`, and
 * refuses an `outLen` no valid stream of this size could produce.
 */
export function lzfDecompress(input: Uint8Array, start: number, end: number, outLen: number): Buffer | null {
  if (outLen > (end - start) * LZF_MAX_EXPANSION) return null;
  const out = Buffer.allocUnsafe(outLen);
  return lzfDecompressInto(input, start, end, out, outLen) ? out : null;
}

/**
 * lzfDecompress into out[0, outLen) of a caller's buffer (the RDB reader reuses one, so a load
 * does not allocate a Buffer per compressed string). False when the stream is corrupt, as there.
 */
export function lzfDecompressInto(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outLen: number,
): boolean {
  if (outLen > (end - start) * LZF_MAX_EXPANSION || outLen > out.length) return false;
  let ip = start;
  let op = 0;
  while (ip < end) {
    let ctrl = input[ip++];
    if (ctrl < 1 << 5) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > end) return false;
      if (ctrl > 16) {
        out.set(input.subarray(ip, ip + ctrl), op);
        op += ctrl;
        ip += ctrl;
      } else {
        for (let k = 0; k < ctrl; k++) out[op++] = input[ip++];
      }
    } else {
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= end) return false;
      if (len === 7) {
        len += input[ip++];
        if (ip >= end) return false;
      }
      ref -= input[ip++];
      len += 2;
      if (op + len > outLen || ref < 0) return false;
      if (op - ref >= len && len > 16) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        // Overlapping copies repeat the pattern byte by byte, as LZ77 requires.
        for (let k = 0; k < len; k++) out[op++] = out[ref++];
      }
    }
  }
  return op === outLen;
}
