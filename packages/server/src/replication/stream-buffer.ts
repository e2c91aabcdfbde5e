/**
 * The replication stream a master produces, between the propagator and the replica sockets:
 * commands are encoded straight into an append-only slab (no Buffer per command; the backlog
 * copies them from the slab), and the bytes not yet written to the streaming replicas are taken
 * as one shared view per flush (Redis 7.0 shares its replication buffer blocks the same way).
 *
 *   slab: [ taken (may still be in a socket's queue) | pending: start..pos | free ]
 *
 * A region once written is never overwritten: when the slab is full a new one starts and the
 * old one lives as long as views of it (socket writes, replicas' pending lists) do.
 */

import { commandBound, writeCommandInto } from "@keyhaven/protocol";

/** Slab size: a millisecond of stream at a few hundred thousand small writes per second. */
const SLAB_SIZE = 64 * 1024;
/** Appended Buffers from this size are kept by reference rather than copied into the slab. */
const COPY_MAX = 4 * 1024;

export class StreamBuffer {
  /** The slab being filled; after command(), the command is slab[returned start, pos). */
  slab: Buffer;
  pos = 0;
  /** First pending byte of the slab. */
  private start = 0;
  /** Pending bytes before the slab's (earlier slabs, large appended Buffers), in order. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private readonly slabSize: number;

  constructor(slabSize = SLAB_SIZE) {
    this.slabSize = slabSize;
    this.slab = Buffer.allocUnsafe(slabSize);
  }

  /** Bytes appended and not yet taken. */
  get pendingBytes(): number {
    return this.chunkBytes + (this.pos - this.start);
  }

  /** Encodes `argv` as a multibulk at the end; returns where it starts in `slab`. */
  command(argv: readonly string[]): number {
    this.ensure(commandBound(argv));
    const start = this.pos;
    this.pos = writeCommandInto(this.slab, start, argv);
    return start;
  }

  /** Appends bytes that are already encoded (SELECT, PING, a master's stream proxied). */
  append(bytes: Buffer): void {
    const n = bytes.length;
    if (n >= COPY_MAX) {
      this.seal();
      this.chunks.push(bytes);
      this.chunkBytes += n;
      return;
    }
    this.ensure(n);
    bytes.copy(this.slab, this.pos);
    this.pos += n;
  }

  /** Everything pending as one Buffer (a view when it is in one piece), or null; marks it taken. */
  take(): Buffer | null {
    if (this.chunks.length === 0) {
      if (this.pos === this.start) return null;
      const view = this.slab.subarray(this.start, this.pos);
      this.start = this.pos;
      return view;
    }
    this.seal();
    const chunks = this.chunks;
    const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.chunkBytes);
    this.chunks = [];
    this.chunkBytes = 0;
    return data;
  }

  /** Forgets what is pending (nobody streams it). */
  drop(): void {
    this.chunks = [];
    this.chunkBytes = 0;
    this.start = this.pos;
  }

  /** Moves the slab's pending region to `chunks`. */
  private seal(): void {
    if (this.pos === this.start) return;
    this.chunks.push(this.slab.subarray(this.start, this.pos));
    this.chunkBytes += this.pos - this.start;
    this.start = this.pos;
  }

  /** Makes room for `n` bytes at `pos`. */
  private ensure(n: number): void {
    if (this.pos + n <= this.slab.length) return;
    this.seal();
    this.slab = Buffer.allocUnsafe(Math.max(this.slabSize, n));
    this.start = 0;
    this.pos = 0;
  }
}
