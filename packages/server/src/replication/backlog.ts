/**
 * The replication backlog (Redis's repl_backlog): the last `repl-backlog-size` bytes of the
 * replication stream, so a replica that lost its link (or a replica of the master we were
 * promoted from) can continue from its offset with PSYNC instead of a full sync.
 *
 * A ring buffer addressed by stream offsets. Offsets are 1-based like Redis's: the byte at
 * offset `o` is the o-th byte ever fed to the stream under this history; `endOffset` is the
 * offset of the last byte stored (= master_repl_offset), `firstOffset` that of the oldest one
 * (repl_backlog_first_byte_offset).
 *
 *          oldest byte (firstOffset)            next write (idx)
 *                 v                                   v
 *   buf: [ ..new..|................old.................|..new.. ]   (full, wrapped)
 *         └─ bytes before idx are the newest ─┘
 *
 *   histlen = bytes held (<= limit); firstOffset = endOffset - histlen + 1
 *
 * The buffer grows on demand (doubling) up to the limit, so a large `repl-backlog-size` costs
 * memory only once the stream actually fills it, as Redis 7 allocates its backlog blocks lazily.
 * Invariant: histlen <= buf.length <= limit, and `idx` is where the next byte goes.
 *
 * Callers: replication/state.ts (every byte fed to replicas also goes here) and the PSYNC path
 * of master-side.ts (`copyFrom`).
 */

/** First allocation: small, so an idle master with a backlog costs almost nothing. */
const INITIAL_CAPACITY = 64 * 1024;

export class ReplBacklog {
  private buf: Buffer;
  /** Next write position in `buf`. */
  private idx = 0;
  /** Bytes of history held. */
  histlen = 0;
  /** Offset of the newest byte held (0 before anything was fed at offset 1). */
  endOffset: number;
  /** repl-backlog-size. */
  private limit: number;

  /** `startOffset`: the stream offset already reached; the first byte fed will be startOffset+1. */
  constructor(limit: number, startOffset: number) {
    this.limit = Math.max(1, limit);
    this.buf = Buffer.allocUnsafe(Math.min(this.limit, INITIAL_CAPACITY));
    this.endOffset = startOffset;
  }

  /** repl_backlog_first_byte_offset: the offset of the oldest byte (endOffset + 1 when empty). */
  get firstOffset(): number {
    return this.endOffset - this.histlen + 1;
  }

  get size(): number {
    return this.limit;
  }

  /** Bytes allocated (for used_memory and mem_replication_backlog). */
  get allocated(): number {
    return this.buf.length;
  }

  /** Appends stream bytes (feedReplicationBacklog). */
  append(data: Buffer): void {
    this.appendRange(data, 0, data.length);
  }

  /** Appends data[from, to) (stream bytes encoded in a larger buffer). */
  appendRange(data: Buffer, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.endOffset += n;
    if (n >= this.limit) {
      // Only the tail of a chunk larger than the whole backlog can be kept.
      this.ensureCapacity(this.limit);
      data.copy(this.buf, 0, to - this.limit, to);
      this.idx = 0;
      this.histlen = this.limit;
      return;
    }
    if (this.buf.length < this.limit && this.histlen + n > this.buf.length) {
      this.ensureCapacity(Math.min(this.limit, Math.max(this.buf.length * 2, this.histlen + n)));
    }
    const cap = this.buf.length;
    const first = Math.min(n, cap - this.idx);
    data.copy(this.buf, this.idx, from, from + first);
    if (first < n) data.copy(this.buf, 0, from + first, to);
    this.idx = (this.idx + n) % cap;
    this.histlen = Math.min(cap, this.histlen + n);
  }

  /** True when the bytes from `offset` up to the end are all held (PSYNC can continue). */
  covers(offset: number): boolean {
    return offset >= this.firstOffset && offset <= this.endOffset + 1;
  }

  /**
   * The bytes from `offset` to the end, as copies (addReplyReplicationBacklog). The caller checks
   * `covers(offset)` first; an offset past the end gives nothing.
   */
  copyFrom(offset: number): Buffer[] {
    const len = this.endOffset - offset + 1;
    if (len <= 0 || offset < this.firstOffset) return [];
    const cap = this.buf.length;
    const start = (this.idx - len + cap) % cap;
    if (start + len <= cap) return [Buffer.from(this.buf.subarray(start, start + len))];
    return [Buffer.from(this.buf.subarray(start, cap)), Buffer.from(this.buf.subarray(0, start + len - cap))];
  }

  /**
   * CONFIG SET repl-backlog-size: changes the limit, keeping the newest bytes that still fit
   * (Redis 7 keeps the history too, trimming the oldest blocks when shrinking).
   */
  resize(limit: number): void {
    limit = Math.max(1, limit);
    if (limit === this.limit) return;
    const keep = Math.min(this.histlen, limit);
    const tail = keep > 0 ? this.copyFrom(this.endOffset - keep + 1) : [];
    this.limit = limit;
    this.buf = Buffer.allocUnsafe(Math.max(Math.min(limit, INITIAL_CAPACITY), Math.min(limit, keep * 2)));
    let pos = 0;
    for (const t of tail) pos += t.copy(this.buf, pos);
    this.histlen = keep;
    this.idx = pos % this.buf.length;
  }

  /** Grows the ring to `capacity`, laying the history out from index 0. */
  private ensureCapacity(capacity: number): void {
    if (capacity <= this.buf.length) return;
    const next = Buffer.allocUnsafe(capacity);
    let pos = 0;
    if (this.histlen > 0) for (const part of this.viewFrom(this.firstOffset)) pos += part.copy(next, pos);
    this.buf = next;
    this.idx = pos % capacity;
  }

  /** Like copyFrom, without copying (internal use while the buffer is not written). */
  private viewFrom(offset: number): Buffer[] {
    const len = this.endOffset - offset + 1;
    const cap = this.buf.length;
    const start = (this.idx - len + cap) % cap;
    if (start + len <= cap) return [this.buf.subarray(start, start + len)];
    return [this.buf.subarray(start, cap), this.buf.subarray(0, start + len - cap)];
  }
}
