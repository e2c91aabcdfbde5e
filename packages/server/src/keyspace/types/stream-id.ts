/**
 * Stream IDs: two unsigned 64-bit halves, `ms` and `seq` (Redis's streamID). Each half is a
 * U64: a JS number while it is a safe integer, a bigint beyond 2^53 - 1. The canonical form
 * (never a bigint that fits a number) keeps the common case on plain numbers, and JS's relational
 * operators compare a number with a bigint exactly, so ordering needs no conversion. Equality
 * goes through compareIds (=== would see 5 and 5n as different, which the canonical form rules
 * out, but callers should not rely on that).
 *
 * Parsing follows streamGenericParseIDOrReply and string2ull (string2ll first, then strtoull's
 * laxer rules: leading blanks, a sign, leading zeros).
 *
 * Callers: the stream type, its consumer groups, stream commands and the RDB conversion.
 */

export type U64 = number | bigint;

export const U64_MAX = 18446744073709551615n;
const SAFE_MAX = Number.MAX_SAFE_INTEGER;
const SAFE_MAX_BIG = BigInt(SAFE_MAX);

/** The canonical U64 of a bigint in [0, 2^64). */
export function u64(v: bigint): U64 {
  return v <= SAFE_MAX_BIG ? Number(v) : v;
}

export function big(v: U64): bigint {
  return typeof v === "bigint" ? v : BigInt(v);
}

/** streamCompareID: -1, 0 or 1. */
export function compareIds(aMs: U64, aSeq: U64, bMs: U64, bSeq: U64): number {
  if (aMs > bMs) return 1;
  if (aMs < bMs) return -1;
  if (aSeq > bSeq) return 1;
  if (aSeq < bSeq) return -1;
  return 0;
}

/** A mutable ID, reused by parsers and iterators so that hot paths allocate nothing. */
export class StreamId {
  ms: U64 = 0;
  seq: U64 = 0;

  set(ms: U64, seq: U64): this {
    this.ms = ms;
    this.seq = seq;
    return this;
  }

  isZero(): boolean {
    return this.ms === 0 && this.seq === 0;
  }

  isMax(): boolean {
    return this.ms === U64_MAX && this.seq === U64_MAX;
  }

  /** streamIncrID: false (and 0-0) when it was the largest ID. */
  incr(): boolean {
    if (this.seq === U64_MAX) {
      if (this.ms === U64_MAX) {
        this.ms = 0;
        this.seq = 0;
        return false;
      }
      this.ms = incrU64(this.ms);
      this.seq = 0;
      return true;
    }
    this.seq = incrU64(this.seq);
    return true;
  }

  /** streamDecrID: false (and max-max) when it was 0-0. */
  decr(): boolean {
    if (this.seq === 0) {
      if (this.ms === 0) {
        this.ms = U64_MAX;
        this.seq = U64_MAX;
        return false;
      }
      this.ms = decrU64(this.ms);
      this.seq = U64_MAX;
      return true;
    }
    this.seq = decrU64(this.seq);
    return true;
  }

  toString(): string {
    return formatId(this.ms, this.seq);
  }
}

export function incrU64(v: U64): U64 {
  if (typeof v === "number" && v < SAFE_MAX) return v + 1;
  return u64(big(v) + 1n);
}

export function decrU64(v: U64): U64 {
  if (typeof v === "number") return v - 1;
  return u64(v - 1n);
}

export function formatId(ms: U64, seq: U64): string {
  return `${ms}-${seq}`;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * string2ull: an unsigned 64-bit decimal, or null. Canonical int64 text is taken as is (negative
 * refused); anything else goes through strtoull's rules, where "-5" is refused above but "-05"
 * wraps to 2^64 - 5 exactly as in Redis.
 */
export function parseU64(s: string): U64 | null {
  const n = s.length;
  if (n === 0) return null;
  // Fast path: short plain digit strings without a leading zero.
  if (n <= 15) {
    let v = 0;
    let ok = true;
    for (let i = 0; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9 || (d === 0 && i === 0 && n > 1)) {
        ok = false;
        break;
      }
      v = v * 10 + d;
    }
    if (ok) return v;
  }
  let i = 0;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  let negative = false;
  const c = s.charCodeAt(i);
  if (c === 43 || c === 45) {
    negative = c === 45;
    i++;
  }
  const start = i;
  while (i < n) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    i++;
  }
  if (i === start) return null;
  let v = BigInt(s.slice(start));
  if (v > U64_MAX) return null;
  if (negative) {
    // string2ll accepts canonical negatives first, and string2ull refuses them.
    if (isCanonicalNegative(s) && v !== 0n) return null;
    if (v !== 0n) v = U64_MAX + 1n - v;
  }
  return u64(v);
}

function isCanonicalNegative(s: string): boolean {
  if (s.length < 2 || s.length > 20 || s.charCodeAt(0) !== 45) return false;
  if (s.charCodeAt(1) === 48) return false;
  for (let i = 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
  }
  return BigInt(s) >= -9223372036854775808n;
}

export const ID_INVALID = "ERR Invalid stream ID specified as stream command argument";

/** What parseId found: a full ID, or (with `allowSeqStar`) an `ms-*` ID whose seq is to be generated. */
export const PARSE_FAIL = 0;
export const PARSE_OK = 1;
export const PARSE_SEQ_STAR = 2;

/**
 * streamGenericParseIDOrReply into `out`: `-` and `+` are the smallest and largest IDs unless
 * `strict`; a missing seq becomes `missingSeq`; `ms-*` is accepted only with `allowSeqStar`.
 * Returns PARSE_FAIL (nothing replied; callers reply ID_INVALID), PARSE_OK or PARSE_SEQ_STAR.
 */
export function parseId(
  s: string,
  out: StreamId,
  missingSeq: U64,
  strict: boolean,
  allowSeqStar = false,
): number {
  const n = s.length;
  if (n > 127 || n === 0) return PARSE_FAIL;
  if (n === 1) {
    const c = s.charCodeAt(0);
    if (c === 45 || c === 43) {
      if (strict) return PARSE_FAIL;
      if (c === 45) out.set(0, 0);
      else out.set(U64_MAX, U64_MAX);
      return PARSE_OK;
    }
  }
  const dash = s.indexOf("-");
  const ms = parseU64(dash < 0 ? s : s.slice(0, dash));
  if (ms === null) return PARSE_FAIL;
  if (dash < 0) {
    out.set(ms, missingSeq);
    return PARSE_OK;
  }
  if (allowSeqStar && dash === n - 2 && s.charCodeAt(n - 1) === 42) {
    out.set(ms, 0);
    return PARSE_SEQ_STAR;
  }
  const seq = parseU64(s.slice(dash + 1));
  if (seq === null) return PARSE_FAIL;
  out.set(ms, seq);
  return PARSE_OK;
}
