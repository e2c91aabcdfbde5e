/**
 * A position in a stream and a walk over its live entries in an ID range, forwards or backwards
 * (t_stream.c's streamIterator, without the listpack pointer arithmetic: nodes keep their
 * entries in arrays). Commands keep one cursor per module and reuse it, so range replies
 * allocate nothing per entry.
 *
 * Callers: stream commands, DEBUG DIGEST, StreamObject.findEntry/deleteEntry (as scratch).
 */

import { STREAM_ITEM_FLAG_DELETED, type StreamNode, type StreamObject } from "./stream.js";
import { compareIds, type U64 } from "./stream-id.js";

/**
 * A position in a stream, and a range walk over live entries (streamIterator without the
 * listpack pointer arithmetic). Reused by commands: seek once, then next() until false; after a
 * true next(), `node` and `index` address the entry.
 */
export class StreamCursor {
  node: StreamNode | null = null;
  index = 0;
  nodeIndex = 0;
  private stream: StreamObject | null = null;
  private rev = false;
  private startMs: U64 = 0;
  private startSeq: U64 = 0;
  private endMs: U64 = 0;
  private endSeq: U64 = 0;

  /** streamIteratorStart over [start, end] (inclusive), forwards or backwards. */
  seek(s: StreamObject, startMs: U64, startSeq: U64, endMs: U64, endSeq: U64, rev: boolean): void {
    this.stream = s;
    this.rev = rev;
    this.startMs = startMs;
    this.startSeq = startSeq;
    this.endMs = endMs;
    this.endSeq = endSeq;
    this.node = null;
    const nodes = s.nodes;
    if (!rev) {
      let ni = s.nodeIndexFor(startMs, startSeq);
      if (ni < 0) ni = 0;
      this.nodeIndex = ni;
      this.index = ni < nodes.length ? nodes[ni].lowerBound(startMs, startSeq) - 1 : -1;
    } else {
      const ni = s.nodeIndexFor(endMs, endSeq);
      this.nodeIndex = ni;
      if (ni >= 0) {
        const node = nodes[ni];
        let i = node.lowerBound(endMs, endSeq);
        if (i < node.total && compareIds(node.ms[i], node.seq[i], endMs, endSeq) === 0) i++;
        this.index = i;
      }
    }
  }

  /** Moves to the next live entry in range; false at the end. */
  next(): boolean {
    const s = this.stream!;
    const nodes = s.nodes;
    if (!this.rev) {
      let ni = this.nodeIndex;
      let i = this.index + 1;
      while (ni < nodes.length) {
        const node = nodes[ni];
        for (; i < node.total; i++) {
          if ((node.flags[i] & STREAM_ITEM_FLAG_DELETED) !== 0) continue;
          if (compareIds(node.ms[i], node.seq[i], this.endMs, this.endSeq) > 0) {
            this.nodeIndex = nodes.length;
            return false;
          }
          this.nodeIndex = ni;
          this.index = i;
          this.node = node;
          return true;
        }
        ni++;
        i = 0;
      }
      this.nodeIndex = ni;
      return false;
    }
    let ni = this.nodeIndex;
    let i = this.index - 1;
    while (ni >= 0) {
      const node = nodes[ni];
      if (i >= node.total) i = node.total - 1;
      for (; i >= 0; i--) {
        if ((node.flags[i] & STREAM_ITEM_FLAG_DELETED) !== 0) continue;
        if (compareIds(node.ms[i], node.seq[i], this.startMs, this.startSeq) < 0) {
          this.nodeIndex = -1;
          return false;
        }
        this.nodeIndex = ni;
        this.index = i;
        this.node = node;
        return true;
      }
      ni--;
      i = ni >= 0 ? nodes[ni].total - 1 : 0;
    }
    this.nodeIndex = -1;
    return false;
  }

  /** The current entry's ID. */
  get ms(): U64 {
    return this.node!.ms[this.index];
  }
  get seq(): U64 {
    return this.node!.seq[this.index];
  }
  get items(): string[] {
    return this.node!.items[this.index];
  }
}
